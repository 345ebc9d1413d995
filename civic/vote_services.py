"""Casting, changing and recording ballots, and the result.

- Only a member on the roll votes, themself, while the vote is open; family do not
  vote for an elder. An owner who cannot vote online votes on paper: a coordinator
  records the paper ballot as on the voter's behalf, with the ballot's number (unique
  per proposal). The law asks the owner to vote, or someone holding their written
  proxy; a paper ballot the owner signs covers both, so the app has no proxy votes.
- One ballot per voter (co-owners are one voter): a second is refused (Conflict); a
  voter changes their ballot while the vote is open. After it closes nothing changes.
- Every cast and change locks the consultation's row, appends a ballot to its hash
  chain and moves the running tally, all in the request's one transaction. The unique
  (consultation, voter) constraint is the last guard: a second insert that slipped
  past the lock fails and is refused as "already voted".
- Secret votes: see civic.vote_models and civic.vote_secrecy. The voter gets a receipt;
  changing a secret ballot needs it. Someone watching the tally move between two
  ballots would learn that ballot's choice: the stored rows never tell it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from civic.consultation_models import Consultation, Stage
from civic.consultation_services import lock_consultation, moderates
from civic.errors import Conflict, InvalidInput, NotAllowed
from civic.vote_chain import append_ballot
from civic.vote_models import Ballot, Choice, VoteParticipation, VoteRollEntry, VoteTally
from civic.vote_roll import roll_entry
from civic.vote_rules import Outcome, outcome
from civic.vote_secrecy import new_receipt, normalise_receipt, receipt_hash, seal, unseal
from community.audit import Action, record
from community.models import User, utcnow
from extensions import db

MAX_PAPER_NUMBER = 999_999


@dataclass(frozen=True)
class Cast:
    """What the voter is told: their ballot was counted, and a secret vote's receipt."""

    participation: VoteParticipation
    receipt: str | None


def _choice(value: str) -> Choice:
    try:
        return Choice(value)
    except ValueError:
        raise InvalidInput(_l("Choose agree, disagree or abstain.")) from None


def _open_for_ballots(consultation: Consultation, now: datetime) -> None:
    stage = consultation.stage(now)
    if stage == Stage.DISCUSSION:
        raise Conflict(_l("The vote has not opened yet."))
    if stage == Stage.CLOSED:
        raise Conflict(_l("The vote has closed. Nothing can be changed now."))


def _entry(consultation: Consultation, voter: User) -> VoteRollEntry:
    entry = roll_entry(consultation, voter)
    if entry is None:
        raise NotAllowed(_l("%(name)s is not on this vote's roll.", name=voter.display_name))
    return entry


def participation_of(consultation: Consultation, member: User) -> VoteParticipation | None:
    """The ballot the member's voter (their home's owners, or themself) has cast, if any."""
    entry = roll_entry(consultation, member)
    if entry is None:
        return None
    return db.session.scalar(
        select(VoteParticipation).where(
            VoteParticipation.consultation_id == consultation.id,
            VoteParticipation.voter_key == entry.voter_key,
        )
    )


def _move_tally(consultation: Consultation, choice: str, voters: int, area: int) -> None:
    row = db.session.scalars(
        select(VoteTally).where(
            VoteTally.consultation_id == consultation.id, VoteTally.choice == choice
        )
    ).one()
    row.voters += voters
    row.area_dm2 += area


def _new_ballot(
    consultation: Consultation,
    entry: VoteRollEntry,
    voter: User,
    choice: Choice,
    paper_number: int | None,
    replaces: int | None,
    receipt: str | None,
) -> Ballot:
    if consultation.secret:
        ballot = Ballot(
            receipt_hash=receipt_hash(consultation.id, receipt or ""),
            sealed=seal(receipt or "", choice),
            replaces=replaces,
        )
    else:
        ballot = Ballot(
            voter_key=entry.voter_key,
            member_id=voter.id,
            choice=choice,
            area_dm2=entry.area_dm2,
            paper_number=paper_number,
            replaces=replaces,
        )
    return append_ballot(consultation, ballot)


def cast_ballot(
    actor: User,
    consultation: Consultation,
    choice: str,
    *,
    voter: User | None = None,
    paper_number: int | None = None,
    now: datetime | None = None,
) -> Cast:
    """Cast the voter's ballot: ``actor`` themself, or a coordinator recording ``voter``'s
    paper ballot numbered ``paper_number``.

    Raises NotAllowed (not on the roll, or someone else voting for them), Conflict (not
    open, already voted, the paper number used), InvalidInput (an unknown choice or a
    paper ballot without a number).
    """
    now = now or utcnow()
    voter = voter or actor
    chosen = _choice(choice)
    on_paper = voter.id != actor.id
    if on_paper:
        if not moderates(actor, consultation):
            raise NotAllowed(_l("Only the voter votes; a coordinator records paper ballots."))
        if paper_number is None or not 0 < paper_number <= MAX_PAPER_NUMBER:
            raise InvalidInput(_l("Enter the number printed on the paper ballot."))
    else:
        paper_number = None
    lock_consultation(consultation)
    _open_for_ballots(consultation, now)
    entry = _entry(consultation, voter)
    if participation_of(consultation, voter) is not None:
        raise Conflict(_l("This vote has already been cast. It can be changed, not cast again."))
    if paper_number is not None and _paper_number_used(consultation, paper_number):
        raise Conflict(_l("Paper ballot %(n)s is already recorded.", n=paper_number))
    receipt = new_receipt() if consultation.secret else None
    participation = VoteParticipation(
        consultation_id=consultation.id,
        voter_key=entry.voter_key,
        member_id=voter.id,
        area_dm2=entry.area_dm2,
        paper_number=paper_number,
        entered_by_id=actor.id if on_paper else None,
        choice=None if consultation.secret else chosen,
        voted_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(participation)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("This vote has already been cast.")) from None
    _new_ballot(consultation, entry, voter, chosen, paper_number, None, receipt)
    _move_tally(consultation, chosen, 1, entry.area_dm2)
    if on_paper:
        _audit_paper(actor, voter, consultation, paper_number)
    return Cast(participation, receipt)


def _paper_number_used(consultation: Consultation, number: int) -> bool:
    return (
        db.session.scalar(
            select(VoteParticipation.id).where(
                VoteParticipation.consultation_id == consultation.id,
                VoteParticipation.paper_number == number,
            )
        )
        is not None
    )


def _audit_paper(actor: User, voter: User, consultation: Consultation, number: int) -> None:
    # the choice is never audited: a secret vote's would be out
    record(
        Action.PAPER_BALLOT_RECORDED,
        actor=actor,
        subject=voter,
        community=consultation.community,
        target=f"consultation:{consultation.id}",
        after={"ballot_number": number},
    )


def change_ballot(
    actor: User,
    consultation: Consultation,
    choice: str,
    *,
    receipt: str = "",
    voter: User | None = None,
    paper_number: int | None = None,
    now: datetime | None = None,
) -> Cast:
    """Change the voter's ballot while the vote is open (a secret one with its receipt;
    a coordinator with a new paper ballot). Raises as ``cast_ballot`` does, Conflict
    when nothing was cast yet, NotAllowed for a receipt that does not open the ballot.
    """
    now = now or utcnow()
    voter = voter or actor
    chosen = _choice(choice)
    on_paper = voter.id != actor.id
    if on_paper:
        if not moderates(actor, consultation):
            raise NotAllowed(_l("Only the voter votes; a coordinator records paper ballots."))
        if paper_number is None or not 0 < paper_number <= MAX_PAPER_NUMBER:
            raise InvalidInput(_l("Enter the number printed on the paper ballot."))
    else:
        paper_number = None
    lock_consultation(consultation)
    _open_for_ballots(consultation, now)
    entry = _entry(consultation, voter)
    participation = participation_of(consultation, voter)
    if participation is None:
        raise Conflict(_l("Nothing has been cast yet: vote first."))
    if paper_number is not None and _paper_number_used(consultation, paper_number):
        raise Conflict(_l("Paper ballot %(n)s is already recorded.", n=paper_number))
    if consultation.secret:
        previous = _secret_ballot(consultation, receipt)
        old_choice = unseal(receipt, previous.sealed or "")
        replaces = previous.seq
    else:
        old_choice = participation.choice
        replaces = db.session.scalar(
            select(Ballot.seq)
            .where(Ballot.consultation_id == consultation.id, Ballot.voter_key == entry.voter_key)
            .order_by(Ballot.seq.desc())
            .limit(1)
        )
    _move_tally(consultation, old_choice, -1, -participation.area_dm2)
    _move_tally(consultation, chosen, 1, participation.area_dm2)
    _new_ballot(consultation, entry, voter, chosen, paper_number, replaces, receipt or None)
    participation.changed_at = now
    participation.member_id = voter.id
    if not consultation.secret:
        participation.choice = chosen
    if on_paper:
        participation.paper_number = paper_number
        participation.entered_by_id = actor.id
        _audit_paper(actor, voter, consultation, paper_number)
    db.session.flush()
    return Cast(participation, receipt or None)


def _secret_ballot(consultation: Consultation, receipt: str) -> Ballot:
    if normalise_receipt(receipt) is None:
        raise InvalidInput(_l("Type the receipt you were given when you voted (16 letters)."))
    ballot = db.session.scalar(
        select(Ballot)
        .where(
            Ballot.consultation_id == consultation.id,
            Ballot.receipt_hash == receipt_hash(consultation.id, receipt),
        )
        .order_by(Ballot.seq.desc())
        .limit(1)
    )
    if ballot is None or unseal(receipt, ballot.sealed or "") is None:
        raise NotAllowed(_l("This receipt does not match a ballot of this vote."))
    return ballot


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """The counts of a vote and what they mean."""

    voted: int
    voted_area_dm2: int
    by_choice: dict[str, tuple[int, int]]  # choice → (voters, area)
    paper: int
    outcome: Outcome


def result_of(consultation: Consultation) -> Result:
    """The tally so far (published once the vote has closed)."""
    by_choice = {c.value: (0, 0) for c in Choice}
    for row in db.session.scalars(
        select(VoteTally).where(VoteTally.consultation_id == consultation.id)
    ):
        by_choice[row.choice] = (row.voters, row.area_dm2)
    voted = sum(v for v, _a in by_choice.values())
    voted_area = sum(a for _v, a in by_choice.values())
    paper = db.session.scalar(
        select(func.count(VoteParticipation.id)).where(
            VoteParticipation.consultation_id == consultation.id,
            VoteParticipation.paper_number.is_not(None),
        )
    )
    agreed, agreed_area = by_choice[Choice.AGREE]
    return Result(
        voted=voted,
        voted_area_dm2=voted_area,
        by_choice=by_choice,
        paper=paper,
        outcome=outcome(
            electorate=consultation.electorate,
            matter=consultation.matter,
            roll_voters=consultation.roll_voters,
            roll_area_dm2=consultation.roll_area_dm2,
            voted=voted,
            voted_area_dm2=voted_area,
            agreed=agreed,
            agreed_area_dm2=agreed_area,
        ),
    )


def open_ballots(consultation: Consultation) -> list[VoteParticipation]:
    """Who voted what, for an open vote (empty for a secret one)."""
    if consultation.secret:
        return []
    return list(
        db.session.scalars(
            select(VoteParticipation)
            .where(VoteParticipation.consultation_id == consultation.id)
            .order_by(VoteParticipation.id)
        )
    )


def roll_for_paper(actor: User, consultation: Consultation) -> list[VoteRollEntry]:
    """The roll, for a coordinator choosing whose paper ballot they record. Raises NotAllowed."""
    if not moderates(actor, consultation):
        raise NotAllowed()
    return list(
        db.session.scalars(
            select(VoteRollEntry)
            .where(VoteRollEntry.consultation_id == consultation.id)
            .order_by(VoteRollEntry.voter_key, VoteRollEntry.member_id)
        )
    )
