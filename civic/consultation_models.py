"""Consultations (议事会): a proposal residents discuss and then vote on, its comments, and
the community's council members who may open one.

A proposal's scope is a community, a compound or a building (civic.place_models). Its
times are kept in UTC without a zone, as every timestamp of the app: the discussion
runs from its opening until ``voting_opens_at``, the vote until ``voting_closes_at``.
Who may vote is fixed when the proposal is opened (civic.vote_roll): the roll.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.place_models import Building, Compound
from community.models import Community, User, utcnow
from extensions import db


class Scope(StrEnum):
    COMMUNITY = "community"
    COMPOUND = "compound"
    BUILDING = "building"


class Electorate(StrEnum):
    """Who votes: residents aged 18+ one vote each, or owners (业主) weighted by area."""

    RESIDENTS = "residents"
    OWNERS = "owners"


class Matter(StrEnum):
    """What an owners' vote decides, which fixes the rule of 《民法典》 Article 278."""

    RAISE_FUND = "raise_fund"  # 筹集建筑物及其附属设施的维修资金 (item 6): three quarters
    REBUILD = "rebuild"  # 改建、重建建筑物及其附属设施 (item 7), e.g. 加装电梯: three quarters
    COMMON_PARTS_USE = "common_parts_use"  # 改变共有部分的用途 (item 8): three quarters
    USE_FUND = "use_fund"  # 使用维修资金 (item 5): more than half
    OTHER = "other"  # every other matter: more than half


THREE_QUARTERS_MATTERS = frozenset({Matter.RAISE_FUND, Matter.REBUILD, Matter.COMMON_PARTS_USE})


class Stage(StrEnum):
    DISCUSSION = "discussion"
    VOTING = "voting"
    CLOSED = "closed"


class Consultation(db.Model):
    """A proposal: what, where, who votes under which rule, and when."""

    __tablename__ = "civic_consultations"
    __table_args__ = (
        CheckConstraint("title <> ''", name="title_given"),
        CheckConstraint("scope IN ('community', 'compound', 'building')", name="scope_known"),
        CheckConstraint("electorate IN ('residents', 'owners')", name="electorate_known"),
        CheckConstraint(
            "matter IN ('raise_fund', 'rebuild', 'common_parts_use', 'use_fund', 'other')",
            name="matter_known",
        ),
        CheckConstraint("voting_opens_at < voting_closes_at", name="opens_before_closes"),
        CheckConstraint("ballot_count >= 0", name="ballot_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    scope: Mapped[str] = mapped_column(String(12))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("civic_compounds.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("civic_buildings.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    # Documents: links to plans and drawings, one per line (files are not stored here).
    links: Mapped[str] = mapped_column(Text, default="")
    electorate: Mapped[str] = mapped_column(String(12))
    matter: Mapped[str] = mapped_column(String(20), default=Matter.OTHER)
    secret: Mapped[bool] = mapped_column(default=False)
    voting_opens_at: Mapped[datetime]
    voting_closes_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The roll when the proposal was opened: owners (or voters) and their area in all.
    roll_voters: Mapped[int] = mapped_column(default=0)
    roll_area_dm2: Mapped[int] = mapped_column(default=0)
    # The ballots' hash chain: how many ballots and the last one's digest.
    ballot_count: Mapped[int] = mapped_column(default=0)
    ballot_head: Mapped[str] = mapped_column(String(64), default="")

    community: Mapped[Community] = relationship()
    compound: Mapped[Compound | None] = relationship()
    building: Mapped[Building | None] = relationship()
    created_by: Mapped[User] = relationship()

    def stage(self, now: datetime) -> Stage:
        """Where the proposal stands at ``now`` (UTC)."""
        if now < self.voting_opens_at:
            return Stage.DISCUSSION
        if now < self.voting_closes_at:
            return Stage.VOTING
        return Stage.CLOSED

    @property
    def link_list(self) -> list[str]:
        return [line for line in self.links.splitlines() if line.strip()]


class ConsultationComment(db.Model):
    """A resident's word in the discussion; a coordinator may hide it (and show it again)."""

    __tablename__ = "civic_consultation_comments"
    __table_args__ = (CheckConstraint("body <> ''", name="body_given"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("civic_consultations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str] = mapped_column(String(200), default="")
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class CouncilMember(db.Model):
    """A resident a coordinator named to the community's council (议事会成员): they may
    open proposals for their community."""

    __tablename__ = "civic_council_members"
    __table_args__ = (UniqueConstraint("community_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
