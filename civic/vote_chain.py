"""The ballots' hash chain: each consultation's ballots, one after another.

Each ballot's digest covers its content and the digest of the ballot before it
(community.hash_chain); the consultation keeps the count and the last digest, so a
ballot changed, removed or slipped in behind the app's back is found by
``flask civic verify``. The tally is recounted too: exactly, from the ballots, for
an open vote; for a secret vote (whose ballots only their voters' receipts open) its
sums must match who has voted: as many voters, and as much area.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civic.consultation_models import Consultation
from civic.vote_models import Ballot, Choice, VoteParticipation, VoteTally
from community.hash_chain import GENESIS, chain_digest
from extensions import db


def _fields(ballot: Ballot) -> tuple:
    return (
        ballot.consultation_id,
        ballot.seq,
        ballot.voter_key,
        ballot.member_id,
        ballot.choice,
        ballot.area_dm2,
        ballot.paper_number,
        ballot.receipt_hash,
        ballot.sealed,
        ballot.replaces,
    )


def append_ballot(consultation: Consultation, ballot: Ballot) -> Ballot:
    """Chain ``ballot`` after the consultation's last one (the caller holds its lock)."""
    ballot.consultation_id = consultation.id
    ballot.seq = consultation.ballot_count + 1
    ballot.row_hash = chain_digest((consultation.ballot_head,), _fields(ballot))
    db.session.add(ballot)
    consultation.ballot_count = ballot.seq
    consultation.ballot_head = ballot.row_hash
    db.session.flush()
    return ballot


@dataclass(frozen=True)
class VoteBreak:
    """Something in a consultation's record that does not add up."""

    consultation_id: int
    message: str


def _chain_break(session: Session, consultation: Consultation) -> str | None:
    previous, seq = GENESIS, 0
    ballots = session.scalars(
        select(Ballot).where(Ballot.consultation_id == consultation.id).order_by(Ballot.seq)
    )
    for ballot in ballots:
        seq += 1
        if ballot.seq != seq:
            return f"ballot {seq} is missing (the next is {ballot.seq})"
        if ballot.row_hash != chain_digest((previous,), _fields(ballot)):
            return f"ballot {ballot.seq} was changed (or one before it was removed)"
        previous = ballot.row_hash
    if seq != consultation.ballot_count or previous != consultation.ballot_head:
        return f"ballots after {seq} were removed (the chain ended at {consultation.ballot_count})"
    return None


def _tally_break(session: Session, consultation: Consultation) -> str | None:
    tally = {
        row.choice: (row.voters, row.area_dm2)
        for row in session.scalars(
            select(VoteTally).where(VoteTally.consultation_id == consultation.id)
        )
    }
    voted, voted_area = session.execute(
        select(func.count(), func.coalesce(func.sum(VoteParticipation.area_dm2), 0)).where(
            VoteParticipation.consultation_id == consultation.id
        )
    ).one()
    if consultation.secret:
        current = session.scalar(
            select(func.count(func.distinct(Ballot.receipt_hash))).where(
                Ballot.consultation_id == consultation.id
            )
        )
        sums = (sum(v for v, _a in tally.values()), sum(a for _v, a in tally.values()))
        if current != voted or sums != (voted, voted_area):
            return "the secret tally does not match who has voted"
        return None
    latest: dict[int, Ballot] = {}
    for ballot in session.scalars(
        select(Ballot).where(Ballot.consultation_id == consultation.id).order_by(Ballot.seq)
    ):
        latest[ballot.voter_key] = ballot
    recount = {choice.value: (0, 0) for choice in Choice}
    for ballot in latest.values():
        voters, area = recount[ballot.choice]
        recount[ballot.choice] = (voters + 1, area + (ballot.area_dm2 or 0))
    if len(latest) != voted or recount != {c: tally.get(c, (0, 0)) for c in recount}:
        return "the tally does not match the ballots"
    shown = dict(
        session.execute(
            select(VoteParticipation.voter_key, VoteParticipation.choice).where(
                VoteParticipation.consultation_id == consultation.id
            )
        ).all()
    )
    if shown != {key: ballot.choice for key, ballot in latest.items()}:
        return "who voted what does not match the ballots"
    return None


def verify_votes(session: Session) -> list[VoteBreak]:
    """Every consultation whose ballots or tally were changed behind the app's back."""
    breaks = []
    for consultation in session.scalars(select(Consultation).order_by(Consultation.id)):
        for check in (_chain_break, _tally_break):
            message = check(session, consultation)
            if message:
                breaks.append(VoteBreak(consultation.id, message))
                break
    return breaks
