"""Streets, communities (with their time-bank policies), members and family links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db

ELDER_AGE = 65
# scrypt by default; the test suite swaps in a cheap method (hashing is not under test there).
PASSWORD_HASH_METHOD = "scrypt"


def normalise_phone(raw: str) -> str:
    """Strip spaces, dashes and a +86 prefix from a phone number."""
    phone = re.sub(r"[\s-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Street(db.Model):
    """A street office (街道) that runs several communities."""

    __tablename__ = "streets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)

    communities: Mapped[list[Community]] = relationship(back_populates="street")


class ElderPayer(StrEnum):
    """Whose account pays for services an elder receives."""

    ELDER = "elder"
    GUARANTEE = "guarantee"


class GiftPolicy(StrEnum):
    """Who a member may gift hours to."""

    FAMILY = "family"
    ANYONE = "anyone"


class Community(db.Model):
    """A neighbourhood committee (社区) and the time-bank policy it sets."""

    __tablename__ = "communities"
    __table_args__ = (
        CheckConstraint("floor_minutes <= 0", name="floor_not_positive"),
        CheckConstraint("storage_cap_minutes > 0", name="cap_positive"),
        CheckConstraint("daily_earning_cap_minutes > 0", name="daily_cap_positive"),
        CheckConstraint("elder_services_paid_by IN ('elder', 'guarantee')", name="payer"),
        CheckConstraint("gift_recipients IN ('family', 'anyone')", name="gift_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The lowest a member's available balance may go (a credit limit, ≤ 0).
    floor_minutes: Mapped[int] = mapped_column(default=0)
    storage_cap_minutes: Mapped[int] = mapped_column(default=1500 * 60)
    daily_earning_cap_minutes: Mapped[int] = mapped_column(default=8 * 60)
    redeem_min_age: Mapped[int] = mapped_column(default=65)
    hardship_redeem_min_age: Mapped[int] = mapped_column(default=60)
    elder_services_paid_by: Mapped[str] = mapped_column(String(16), default=ElderPayer.GUARANTEE)
    gift_recipients: Mapped[str] = mapped_column(String(16), default=GiftPolicy.FAMILY)

    street: Mapped[Street] = relationship(back_populates="communities")
    members: Mapped[list[User]] = relationship(
        back_populates="community", foreign_keys="User.community_id"
    )


class Role(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"
    STREET_ADMIN = "street_admin"


class User(UserMixin, db.Model):
    """A resident, volunteer, family member, coordinator or street admin.

    Many elders have no phone and no email: a coordinator creates their
    account, and they may never sign in themselves.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'coordinator', 'street_admin')", name="role"),
        Index("uq_users_email", "email", unique=True),
        # the desk's newest members of a community, read without scanning all of them
        Index("ix_users_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(40), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Only members with an email get notifications by mail.
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date | None]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.MEMBER)
    is_volunteer: Mapped[bool] = mapped_column(default=False)
    # 重点关爱对象: living alone, disabled, low income — may receive grants.
    is_priority: Mapped[bool] = mapped_column(default=False)
    has_hardship: Mapped[bool] = mapped_column(default=False)
    is_active_member: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session and remember cookie: raising it on sign-out, a password
    # change or reset, suspension or a role change ends every copy of them.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when a coordinator resets the password with a one-time code.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Every page in large text (长辈版): set by the member, or by a coordinator for an elder.
    large_text: Mapped[bool] = mapped_column(default=False, server_default=false())

    community: Mapped[Community] = relationship(
        back_populates="members", foreign_keys=[community_id]
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated members cannot sign in
        return self.is_active_member

    def get_id(self) -> str:
        """Flask-Login's id in sessions and remember cookies: "<id>.<session_version>".

        The user loader refuses an id whose version is no longer the member's, so
        raising ``session_version`` (community.sign_in.end_sessions) ends every copy.
        """
        return f"{self.id}.{self.session_version}"

    def age_on(self, day: date) -> int | None:
        """Whole years of age on ``day``, or None when the birth date is unknown."""
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_elder_on(self, day: date) -> bool:
        age = self.age_on(day)
        return age is not None and age >= ELDER_AGE

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.STREET_ADMIN)

    @property
    def login_name(self) -> str:
        return self.phone or self.username or f"#{self.id}"


class LinkStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    REVOKED = "revoked"


class FamilyLink(db.Model):
    """A relative's consented right to act for an elder, and what it covers."""

    __tablename__ = "family_links"
    __table_args__ = (
        UniqueConstraint("elder_id", "relative_id", name="uq_family_links_pair"),
        CheckConstraint("elder_id <> relative_id", name="not_self"),
        CheckConstraint("status IN ('requested', 'active', 'revoked')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(12), default=LinkStatus.REQUESTED)
    may_book: Mapped[bool] = mapped_column(default=True)
    may_confirm: Mapped[bool] = mapped_column(default=True)
    may_receive_gifts: Mapped[bool] = mapped_column(default=True)
    consented_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # who declined the request or ended the link
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    elder: Mapped[User] = relationship(foreign_keys=[elder_id])
    relative: Mapped[User] = relationship(foreign_keys=[relative_id])
