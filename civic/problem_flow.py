"""Following a problem to the end (督办): triage, the holder's answer and closure, the
reporter's confirmation and rating, the 7-day silence, and the overdue list.

Each staff step is written to the audit log. Steps that change a problem lock it
first (merging locks both problems, in id order, so two coordinators merging the same
reports at once wait for each other and the second sees what the first did).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from civic import problem_access as access
from civic.clock import local_today
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import Organisation
from civic.place_models import Compound
from civic.places import organisations_of, organisations_serving
from civic.problem_models import (
    HELD_STATUSES,
    Problem,
    ProblemStatus,
    ProblemStep,
    ProblemSupport,
    StepKind,
    Urgency,
)
from civic.problem_notices import tell_holder, tell_reporter
from civic.problem_photos import attach_photos
from community import audit
from community.audit import Action
from community.models import User, utcnow
from community.reach import community_condition, coordinates
from extensions import db
from input_guard import MAX_ID

# How long the holder has, by urgency (the deadline the coordinator is offered).
DAYS_BY_URGENCY = {Urgency.URGENT: 2, Urgency.SOON: 7, Urgency.NORMAL: 30}
LATEST_DEADLINE_DAYS = 366
AUTO_CONFIRM_DAYS = 7
MAX_NOTE = 1000
COMMUNITY_OFFICE = "office"  # the holder's choice meaning the community office itself


def default_deadline(problem: Problem, today: date | None = None) -> date:
    """The deadline offered for ``problem``: today plus the days its urgency allows."""
    return (today or local_today()) + timedelta(days=DAYS_BY_URGENCY[Urgency(problem.urgency)])


def holder_name(problem: Problem) -> str:
    """Who holds the problem, in words: the organisation, or the community office."""
    if problem.organisation is not None:
        return problem.organisation.name
    return str(_l("%(community)s community office", community=problem.community.name))


def _locked(problem_id: int) -> Problem:
    """The problem, locked for this transaction and read afresh. Raises NotFound."""
    problem = db.session.scalar(
        select(Problem)
        .where(Problem.id == problem_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if problem is None:
        raise NotFound()
    return problem


def _note(text: str, *, required: bool, message) -> str:
    text = (text or "").strip()
    if (required and not text) or len(text) > MAX_NOTE:
        raise InvalidInput(message)
    return text


def _step(problem: Problem, kind: StepKind, by: User | None, note: str = "") -> None:
    db.session.add(
        ProblemStep(problem_id=problem.id, kind=kind, actor_id=by.id if by else None, note=note)
    )


# --- triage ------------------------------------------------------------------------------


def triage_target(actor: User, problem_id: int) -> Problem:
    """A problem ``actor`` may triage (a coordinator of its community). Raises NotFound
    for whoever may not see it, NotAllowed for who sees it but does not triage."""
    problem = access.visible_problem(actor, problem_id)
    if not access.triages(actor, problem):
        raise NotAllowed()
    return problem


def holder_choices(problem: Problem) -> list[Organisation]:
    """The organisations that may be named to hold ``problem`` (those serving its compound)."""
    return organisations_serving(problem.compound)


def chosen_holder(compound: Compound, holder: str, due_on: date) -> Organisation | None:
    """The organisation ``holder`` names for a problem at ``compound`` (None for the
    community office, "office"), checked with the deadline ``due_on``.

    Raises InvalidInput for a deadline in the past or beyond a year, or a holder that
    does not serve the compound."""
    today = local_today()
    if due_on < today:
        raise InvalidInput(_l("The deadline cannot be in the past."))
    if due_on > today + timedelta(days=LATEST_DEADLINE_DAYS):
        raise InvalidInput(_l("The deadline must be within a year."))
    if holder == COMMUNITY_OFFICE:
        return None
    chosen = int(holder) if holder.isdigit() and len(holder) < 11 else 0
    organisation = next((o for o in organisations_serving(compound) if o.id == chosen), None)
    if organisation is None:
        raise InvalidInput(_l("Choose who will deal with it from the list."))
    return organisation


def accept_problem(*, by: User, problem_id: int, holder: str, due_on: date) -> Problem:
    """Accept a reported (or reopened) problem: name who holds it, the community office
    (``holder`` "office") or an organisation serving its compound (its id), and the
    deadline (today at the earliest, at most a year ahead).

    Raises NotFound, NotAllowed, InvalidInput (a deadline in the past or too far, a
    holder not serving the compound), Conflict (already triaged).
    """
    problem = triage_target(by, problem_id)
    problem = _locked(problem.id)
    if problem.status != ProblemStatus.REPORTED:
        raise Conflict(_l("This problem was already dealt with by someone else."))
    organisation = chosen_holder(problem.compound, holder, due_on)
    problem.status = ProblemStatus.ACCEPTED
    problem.organisation = organisation
    problem.due_on = due_on
    problem.triaged_at = utcnow()
    db.session.flush()
    _step(problem, StepKind.ACCEPTED, by, holder_name(problem))
    audit.record(
        Action.PROBLEM_ACCEPTED,
        actor=by,
        subject=problem.reporter,
        community=problem.community,
        target=f"problem:{problem.id}",
        after={"holder": holder_name(problem), "due_on": due_on.isoformat()},
    )
    tell_reporter(problem, "problem_accepted", holder=holder_name(problem), day=due_on.isoformat())
    tell_holder(problem, "problem_assigned", holder=holder_name(problem), day=due_on.isoformat())
    db.session.flush()
    return problem


def decline_problem(*, by: User, problem_id: int, reason: str) -> Problem:
    """Decline a reported problem with a reason the reporter reads.

    Raises NotFound, NotAllowed, InvalidInput (no reason), Conflict (already triaged).
    """
    problem = triage_target(by, problem_id)
    reason = _note(reason, required=True, message=_l("Give the reason, for the reporter."))
    problem = _locked(problem.id)
    if problem.status != ProblemStatus.REPORTED:
        raise Conflict(_l("This problem was already dealt with by someone else."))
    problem.status = ProblemStatus.DECLINED
    problem.triaged_at = problem.finished_at = utcnow()
    _step(problem, StepKind.DECLINED, by, reason)
    audit.record(
        Action.PROBLEM_DECLINED,
        actor=by,
        subject=problem.reporter,
        community=problem.community,
        target=f"problem:{problem.id}",
        after={"reason": reason},
    )
    tell_reporter(problem, "problem_declined", reason=reason)
    db.session.flush()
    return problem


def merge_problem(*, by: User, problem_id: int, into_id: int) -> Problem:
    """Merge a reported problem into another open problem of the same community: it is
    followed there, and its reporter and "me too"s count there.

    Both are locked in id order, so two coordinators merging the same two reports
    (either way round) at once lose nothing: the second finds the first's merge done.
    Raises NotFound, NotAllowed, InvalidInput (into itself), Conflict (either no longer
    open for this).
    """
    problem = triage_target(by, problem_id)
    if not 0 < into_id <= MAX_ID or into_id == problem.id:
        raise InvalidInput(_l("Choose another open problem of this community."))
    first, second = sorted((problem.id, into_id))
    locked = {first: _locked(first), second: _locked(second)}
    problem, target = locked[problem.id], locked[into_id]
    if target.community_id != problem.community_id:
        raise InvalidInput(_l("Choose another open problem of this community."))
    if problem.status != ProblemStatus.REPORTED:
        raise Conflict(_l("This problem was already dealt with by someone else."))
    if not target.is_open:
        raise Conflict(_l("The problem to merge into is no longer open."))
    moved = _move_supports(problem, target)
    problem.status = ProblemStatus.MERGED
    problem.merged_into_id = target.id
    problem.triaged_at = problem.finished_at = utcnow()
    _step(problem, StepKind.MERGED, by, f"#{target.id}")
    _step(target, StepKind.MERGED_IN, by, f"#{problem.id}")
    db.session.flush()
    db.session.execute(
        update(Problem)
        .where(Problem.id == target.id)
        .values(me_too_count=Problem.me_too_count + moved)
    )
    audit.record(
        Action.PROBLEM_MERGED,
        actor=by,
        subject=problem.reporter,
        community=problem.community,
        target=f"problem:{problem.id}",
        after={"into": f"problem:{target.id}", "status": problem.status},
    )
    tell_reporter(problem, "problem_merged")
    db.session.flush()
    return problem


def _move_supports(problem: Problem, target: Problem) -> int:
    """Count the merged problem's reporter and its "me too"s on the target (each person
    once); return how many were added."""
    people = {problem.reporter_id} | set(
        db.session.scalars(
            select(ProblemSupport.member_id).where(ProblemSupport.problem_id == problem.id)
        )
    )
    people.discard(target.reporter_id)
    already = set(
        db.session.scalars(
            select(ProblemSupport.member_id).where(
                ProblemSupport.problem_id == target.id, ProblemSupport.member_id.in_(people)
            )
        )
    )
    new = sorted(people - already)
    db.session.add_all(ProblemSupport(problem_id=target.id, member_id=m) for m in new)
    db.session.flush()
    return len(new)


# --- the holder ---------------------------------------------------------------------------


def held_target(actor: User, problem_id: int) -> Problem:
    """A problem whose holder ``actor`` works for. Raises NotFound (out of sight),
    NotAllowed (seen, but not held by their party)."""
    problem = access.visible_problem(actor, problem_id)
    if not access.is_holder_staff(actor, problem):
        raise NotAllowed(_l("Only the party dealing with this problem may do this."))
    return problem


def answer_problem(*, by: User, problem_id: int, note: str) -> Problem:
    """The holder answers the reporter and starts work (the reporter reads the note).

    Raises NotFound, NotAllowed (not the holder), InvalidInput (no answer), Conflict
    (not waiting for an answer).
    """
    problem = held_target(by, problem_id)
    note = _note(note, required=True, message=_l("Write your answer for the reporter."))
    problem = _locked(problem.id)
    if problem.status != ProblemStatus.ACCEPTED:
        raise Conflict(_l("This problem is not waiting for an answer."))
    problem.status = ProblemStatus.IN_PROGRESS
    _step(problem, StepKind.ANSWERED, by, note)
    audit.record(
        Action.PROBLEM_ANSWERED,
        actor=by,
        subject=problem.reporter,
        community=problem.community,
        target=f"problem:{problem.id}",
        after={"note": note, "status": problem.status},
    )
    tell_reporter(problem, "problem_answered", holder=holder_name(problem), note=note)
    db.session.flush()
    return problem


def close_problem(*, by: User, problem_id: int, note: str, photos: list[bytes] = ()) -> Problem:
    """The holder says the problem is dealt with, with a note and up to 4 photos; the
    reporter then confirms or reopens it.

    Raises NotFound, NotAllowed (a party that does not hold it), InvalidInput (no
    note), Conflict (not being dealt with), photo_cleaning.PhotoRefused.
    """
    problem = held_target(by, problem_id)
    note = _note(note, required=True, message=_l("Say what was done."))
    problem = _locked(problem.id)
    if problem.status not in HELD_STATUSES:
        raise Conflict(_l("This problem is not being dealt with now."))
    attach_photos(problem, photos, stage="closure", by=by)
    problem.status = ProblemStatus.CLOSED
    problem.closed_at = utcnow()
    _step(problem, StepKind.CLOSED, by, note)
    audit.record(
        Action.PROBLEM_CLOSED,
        actor=by,
        subject=problem.reporter,
        community=problem.community,
        target=f"problem:{problem.id}",
        after={"note": note, "status": problem.status},
    )
    tell_reporter(problem, "problem_closed", holder=holder_name(problem))
    db.session.flush()
    return problem


# --- the reporter -------------------------------------------------------------------------


def reporter_target(actor: User, problem_id: int) -> Problem:
    """A problem ``actor`` answers for as its reporter's side. Raises NotFound, NotAllowed."""
    problem = access.visible_problem(actor, problem_id)
    if not access.reporter_side(actor, problem):
        raise NotAllowed(_l("Only the reporter, or who acts for them, may answer this."))
    return problem


def _acted_for(by: User, problem: Problem, step: str) -> None:
    if by.id != problem.reporter_id and coordinates(by, problem.reporter):
        audit.record(
            Action.ACTED_FOR,
            actor=by,
            subject=problem.reporter,
            target=f"problem:{problem.id}",
            after={"step": step, "status": problem.status},
        )


def confirm_fixed(*, by: User, problem_id: int, rating: int, note: str = "") -> Problem:
    """The reporter's side confirms the problem is fixed and rates the handling (1-5).

    Raises NotFound, NotAllowed, InvalidInput (a rating outside 1-5), Conflict (not
    said to be fixed).
    """
    problem = reporter_target(by, problem_id)
    if rating not in range(1, 6):
        raise InvalidInput(_l("Choose from 1 to 5 stars."))
    note = _note(note, required=False, message=_l("Say it in at most 1000 characters."))
    problem = _locked(problem.id)
    if problem.status != ProblemStatus.CLOSED:
        raise Conflict(_l("This problem is not waiting for your answer."))
    problem.status = ProblemStatus.CONFIRMED
    problem.rating = rating
    problem.finished_at = utcnow()
    _step(problem, StepKind.CONFIRMED, by, note)
    _acted_for(by, problem, "problem_confirmed")
    db.session.flush()
    return problem


def reopen_problem(*, by: User, problem_id: int, reason: str) -> Problem:
    """The reporter's side says it is not fixed: back to the holder, same deadline if
    still ahead, else the deadline its urgency allows from today.

    Raises NotFound, NotAllowed, InvalidInput (no reason), Conflict (not said to be fixed).
    """
    problem = reporter_target(by, problem_id)
    reason = _note(reason, required=True, message=_l("Say what is still wrong."))
    problem = _locked(problem.id)
    if problem.status != ProblemStatus.CLOSED:
        raise Conflict(_l("This problem is not waiting for your answer."))
    problem.status = ProblemStatus.ACCEPTED
    problem.closed_at = None
    today = local_today()
    if problem.due_on is None or problem.due_on < today:
        problem.due_on = default_deadline(problem, today)
    _step(problem, StepKind.REOPENED, by, reason)
    _acted_for(by, problem, "problem_reopened")
    tell_holder(problem, "problem_reopened", reason=reason)
    db.session.flush()
    return problem


def confirm_unanswered_closures(now: datetime | None = None) -> int:
    """Count as confirmed every closure its reporter left unanswered for 7 days (the
    periodic job ``civic_auto_confirm``). Returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=AUTO_CONFIRM_DAYS)
    due = list(
        db.session.scalars(
            select(Problem)
            .where(Problem.status == ProblemStatus.CLOSED, Problem.closed_at <= cutoff)
            .order_by(Problem.id)
            .with_for_update(skip_locked=True)
        )
    )
    for problem in due:
        problem.status = ProblemStatus.CONFIRMED
        problem.finished_at = utcnow()
        _step(problem, StepKind.AUTO_CONFIRMED, None)
    db.session.flush()
    return len(due)


# --- work lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkList:
    to_triage: list[Problem]
    held: list[Problem]
    overdue: list[Problem]


def _listed(query):
    return list(
        db.session.scalars(
            query.options(
                joinedload(Problem.compound),
                joinedload(Problem.building),
                joinedload(Problem.organisation),
                joinedload(Problem.community),
            ).limit(200)
        )
    )


def overdue_condition(today: date):
    return Problem.status.in_(HELD_STATUSES) & (Problem.due_on < today)


def work_list(actor: User) -> WorkList:
    """What waits for ``actor`` as staff: reports of their communities to triage (a
    coordinator or street admin), problems their party holds, and the overdue ones of
    their communities, oldest deadline first, each with who holds it."""
    today = local_today()
    coordinated = community_condition(actor, Problem.community_id)
    to_triage = _listed(
        select(Problem)
        .where(coordinated, Problem.status == ProblemStatus.REPORTED)
        .order_by(Problem.id)
    )
    held = _listed(
        select(Problem)
        .where(access.held_condition(actor), Problem.status.in_(HELD_STATUSES))
        .order_by(Problem.due_on, Problem.id)
    )
    overdue = _listed(
        select(Problem)
        .where(coordinated, overdue_condition(today))
        .order_by(Problem.due_on, Problem.id)
    )
    return WorkList(to_triage, held, overdue)


def merge_choices(problem: Problem) -> list[Problem]:
    """The open problems ``problem`` may be merged into: same community, same category
    and compound first."""
    return list(
        db.session.scalars(
            select(Problem)
            .where(
                Problem.community_id == problem.community_id,
                Problem.id != problem.id,
                Problem.status.in_(
                    (ProblemStatus.ACCEPTED, ProblemStatus.IN_PROGRESS, ProblemStatus.REPORTED)
                ),
            )
            .order_by(
                (
                    (Problem.category == problem.category)
                    & (Problem.compound_id == problem.compound_id)
                ).desc(),
                Problem.id.desc(),
            )
            .limit(20)
            .options(joinedload(Problem.compound))
        )
    )


def steps_open_to(actor: User, problem: Problem) -> set[str]:
    """The steps ``actor`` may take on ``problem`` now (the buttons its page shows):
    "triage", "answer", "close", "confirm" (confirm or reopen)."""
    steps = set()
    if problem.status == ProblemStatus.REPORTED and access.triages(actor, problem):
        steps.add("triage")
    if problem.status in HELD_STATUSES and access.is_holder_staff(actor, problem):
        if problem.status == ProblemStatus.ACCEPTED:
            steps.add("answer")
        steps.add("close")
    if problem.status == ProblemStatus.CLOSED and access.reporter_side(actor, problem):
        steps.add("confirm")
    return steps


def is_overdue(problem: Problem, today: date | None = None) -> bool:
    """Whether a held problem is past its deadline."""
    return (
        problem.status in HELD_STATUSES
        and problem.due_on is not None
        and problem.due_on < (today or local_today())
    )


def works_on_problems(actor: User) -> bool:
    """Whether ``actor`` has a work list: a coordinator, a street admin, or staff of an
    organisation."""
    return actor.is_coordinator or bool(organisations_of(actor))


@dataclass(frozen=True)
class MergedInto:
    """What a merged problem's page shows of the one it is followed with (who reported
    that one is not shown; its page is linked only for who may see it whole)."""

    id: int
    status: str
    holder: str | None
    due_on: date | None
    visible: bool


def merged_into(actor: User, problem: Problem) -> MergedInto | None:
    """Where the problem ``problem`` was merged into stands, for ``actor`` (None if not
    merged)."""
    if problem.merged_into_id is None:
        return None
    target = db.session.get(Problem, problem.merged_into_id)
    return MergedInto(
        id=target.id,
        status=target.status,
        holder=holder_name(target) if target.triaged_at else None,
        due_on=target.due_on,
        visible=access.may_see(actor, target),
    )
