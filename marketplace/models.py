"""Providers, their menus (items and dated meal menus) and their calendars.

Money is integer fen (1 yuan = 100 fen); hours are integer minutes. Calendar
times (weekly slots, exceptions) are wall-clock times in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import Community, Street, User, utcnow
from extensions import db


class ProviderKind(StrEnum):
    COMPANY = "company"
    INDIVIDUAL = "individual"


class ProviderStatus(StrEnum):
    APPLIED = "applied"  # waiting for a coordinator
    VERIFIED = "verified"  # visible to residents
    REJECTED = "rejected"
    SUSPENDED = "suspended"  # hidden from residents; existing bookings stand


class ServiceCategory(StrEnum):
    HOUSEKEEPING = "housekeeping"  # 家政
    CHILDCARE = "childcare"  # 托育
    MEALS = "meals"  # 助餐


class Unit(StrEnum):
    HOUR = "hour"
    VISIT = "visit"
    MEAL = "meal"
    SESSION = "session"


class Provider(db.Model):
    """A housekeeping company, childcare centre, canteen or individual offering services."""

    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint("kind IN ('company', 'individual')", name="kind"),
        CheckConstraint(
            "status IN ('applied', 'verified', 'rejected', 'suspended')", name="status"
        ),
        CheckConstraint("min_notice_hours >= 0", name="min_notice_not_negative"),
        CheckConstraint("response_hours > 0", name="response_hours_positive"),
        CheckConstraint("rating_count >= 0 AND rating_sum >= 0", name="rating_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))
    # comma-separated ServiceCategory codes, e.g. "housekeeping,meals"
    categories: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(1000), default="")
    contact_name: Mapped[str] = mapped_column(String(40))
    contact_phone: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200), default="")
    licence_number: Mapped[str] = mapped_column(String(60), default="")
    licence_details: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default=ProviderStatus.APPLIED, index=True)
    # why it was rejected or suspended (shown to the provider)
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    # the provider's hour account (AccountKind.PROVIDER) for bookings paid in hours
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    # a requested booking not accepted or declined within this many hours expires
    response_hours: Mapped[int] = mapped_column(default=24)
    # kept in step by the review services so browsing needs no aggregate per provider
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    street: Mapped[Street] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    communities: Mapped[list[Community]] = relationship(secondary="provider_communities")
    items: Mapped[list[ServiceItem]] = relationship(
        back_populates="provider", order_by="ServiceItem.id"
    )

    @property
    def category_codes(self) -> list[str]:
        return [code for code in self.categories.split(",") if code]

    @property
    def is_visible(self) -> bool:
        return self.status == ProviderStatus.VERIFIED


class ProviderCommunity(db.Model):
    """A community a provider serves."""

    __tablename__ = "provider_communities"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id"), primary_key=True, index=True
    )


class ProviderCheck(db.Model):
    """What a coordinator checked in person before making a childcare or meal provider
    bookable (verifying it, or reinstating it after a suspension): the licence number as
    read on the licence, and each point of the checklist. One row per such decision."""

    __tablename__ = "provider_checks"
    __table_args__ = (
        CheckConstraint("licence_number <> ''", name="licence_number_given"),
        CheckConstraint("decision IN ('verify', 'reinstate')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(12))
    licence_number: Mapped[str] = mapped_column(String(40))
    licence_seen: Mapped[bool]
    health_certificates_seen: Mapped[bool]
    premises_checked: Mapped[bool]
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    checked_by: Mapped[User] = relationship()


class ServiceItem(db.Model):
    """One line of a provider's menu. Bookings copy its price, so changes never alter them."""

    __tablename__ = "service_items"
    __table_args__ = (
        CheckConstraint("category IN ('housekeeping', 'childcare', 'meals')", name="category"),
        CheckConstraint("unit IN ('hour', 'visit', 'meal', 'session')", name="unit"),
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint(
            "price_minutes IS NULL OR price_minutes > 0", name="price_minutes_positive"
        ),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "cancel_fee_percent >= 0 AND cancel_fee_percent <= 100", name="cancel_fee_percent"
        ),
        CheckConstraint(
            "min_age_months IS NULL OR max_age_months IS NULL OR min_age_months <= max_age_months",
            name="age_range",
        ),
        Index("ix_service_items_provider", "provider_id", "is_paused"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    unit: Mapped[str] = mapped_column(String(10))
    price_fen: Mapped[int]
    # the same item's price in time-bank minutes, if the provider accepts hours
    price_minutes: Mapped[int | None]
    duration_minutes: Mapped[int]
    # places per slot for this item (e.g. 10 children in a session); None: the slot's own
    capacity: Mapped[int | None]
    # childcare: the ages the item is for, in months
    min_age_months: Mapped[int | None]
    max_age_months: Mapped[int | None]
    # share of the price kept when the resident cancels within 24 h of the start
    cancel_fee_percent: Mapped[int] = mapped_column(default=0)
    is_paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="items")


class MealMenu(db.Model):
    """A meal item's menu for one day: the dishes, portions on offer, pickup or delivery."""

    __tablename__ = "meal_menus"
    __table_args__ = (
        UniqueConstraint("item_id", "served_on", name="uq_meal_menus_item_day"),
        CheckConstraint("portions > 0", name="portions_positive"),
        CheckConstraint("offers_pickup OR offers_delivery", name="pickup_or_delivery"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    served_on: Mapped[date] = mapped_column(index=True)
    dishes: Mapped[str] = mapped_column(String(500))
    portions: Mapped[int]
    offers_pickup: Mapped[bool] = mapped_column(default=True)
    offers_delivery: Mapped[bool] = mapped_column(default=False)

    item: Mapped[ServiceItem] = relationship()


class WeeklySlot(db.Model):
    """A recurring bookable slot: weekday (0 = Monday), start and end, places."""

    __tablename__ = "weekly_slots"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        UniqueConstraint("provider_id", "weekday", "starts_at", name="uq_weekly_slots_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    weekday: Mapped[int]
    starts_at: Mapped[time]
    ends_at: Mapped[time]
    capacity: Mapped[int]


class CalendarException(db.Model):
    """A date on which the weekly schedule does not hold: closed, or other capacity."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (
        UniqueConstraint("provider_id", "on_date", name="uq_calendar_exceptions_day"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    on_date: Mapped[date]
    is_closed: Mapped[bool] = mapped_column(default=True)
    # when open: every slot that day has this many places instead of its own
    capacity: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(200), default="")
