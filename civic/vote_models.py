"""A consultation's vote: its roll, who has voted, the ballots (a hash chain) and the tally.

Secret votes keep who has voted (``VoteParticipation``) apart from what was chosen:
a secret ballot row holds no voter, no owner key, no area and no time, only the hash
of the voter's receipt and the choice sealed with a key derived from that receipt
(civic.vote_secrecy). The tally keeps running sums per choice. So no row links a
voter to a choice; the voter's receipt alone opens their ballot (to change it).
Open votes keep the voter and the choice on the ballot, and show them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.models import User, utcnow
from extensions import db


class Choice(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


CHOICES_SQL = "('agree', 'disagree', 'abstain')"


class VoteRollEntry(db.Model):
    """A member entitled to vote on a consultation, fixed when it was opened.

    ``voter_key`` names the voter counted: the member themself in a residents' vote;
    in an owners' vote one owner (co-owners and their homes counted once, see
    civic.vote_roll), the same key for each of its members, with its area.
    """

    __tablename__ = "civic_vote_roll"
    __table_args__ = (
        UniqueConstraint("consultation_id", "member_id"),
        Index("ix_civic_vote_roll_voter", "consultation_id", "voter_key"),
        CheckConstraint("area_dm2 >= 0", name="area_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("civic_consultations.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    voter_key: Mapped[int]
    area_dm2: Mapped[int] = mapped_column(default=0)

    member: Mapped[User] = relationship()


class VoteParticipation(db.Model):
    """That a voter (a ``voter_key``) has voted: who cast it, on paper or not, and when.

    One row per voter: the unique constraint is what keeps a voter to one ballot when
    many requests arrive at once. ``choice`` is kept here for open votes only.
    """

    __tablename__ = "civic_vote_participations"
    __table_args__ = (
        UniqueConstraint("consultation_id", "voter_key", name="uq_civic_vote_participations_voter"),
        UniqueConstraint(
            "consultation_id", "paper_number", name="uq_civic_vote_participations_paper_number"
        ),
        CheckConstraint(f"choice IS NULL OR choice IN {CHOICES_SQL}", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("civic_consultations.id"))
    voter_key: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    area_dm2: Mapped[int] = mapped_column(default=0)
    # a paper ballot's number, and the coordinator who recorded it for the voter
    paper_number: Mapped[int | None]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str | None] = mapped_column(String(10))
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime | None]

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])


class Ballot(db.Model):
    """One ballot cast or changed, appended to the consultation's hash chain.

    Open: the voter, choice and area. Secret: only ``receipt_hash`` and ``sealed``.
    A change appends a new ballot naming the one it ``replaces``.
    """

    __tablename__ = "civic_ballots"
    __table_args__ = (
        UniqueConstraint("consultation_id", "seq"),
        Index("ix_civic_ballots_receipt", "consultation_id", "receipt_hash"),
        CheckConstraint(f"choice IS NULL OR choice IN {CHOICES_SQL}", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("civic_consultations.id"))
    seq: Mapped[int]
    voter_key: Mapped[int | None]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str | None] = mapped_column(String(10))
    area_dm2: Mapped[int | None]
    paper_number: Mapped[int | None]
    receipt_hash: Mapped[str | None] = mapped_column(String(64))
    sealed: Mapped[str | None] = mapped_column(String(200))
    replaces: Mapped[int | None]
    row_hash: Mapped[str] = mapped_column(String(64))


class VoteTally(db.Model):
    """The running sums of one choice: how many voters chose it, and their area."""

    __tablename__ = "civic_vote_tallies"
    __table_args__ = (
        UniqueConstraint("consultation_id", "choice"),
        CheckConstraint(f"choice IN {CHOICES_SQL}", name="choice_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("civic_consultations.id"))
    choice: Mapped[str] = mapped_column(String(10))
    voters: Mapped[int] = mapped_column(default=0)
    area_dm2: Mapped[int] = mapped_column(default=0)
