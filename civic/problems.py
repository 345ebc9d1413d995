"""Reporting a problem (民意), the community's board and "我也遇到了", and the lists
each person follows. Triage and what follows are in ``civic.problem_flow``.

Services take the acting member, check reach (``civic.problem_access``), raise
civic.errors and flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from civic import problem_access as access
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.photos import MAX_PHOTOS
from civic.place_models import Building, Compound
from civic.problem_models import (
    OPEN_STATUSES,
    Problem,
    ProblemCategory,
    ProblemStatus,
    ProblemStep,
    ProblemSupport,
    StepKind,
    Urgency,
)
from civic.problem_notices import tell_reporter
from civic.problem_photos import attach_photos
from community import audit
from community.audit import Action
from community.errors import MemberNotFound
from community.models import User
from community.reach import coordinates, find_in_street, linked_elders
from extensions import db
from idempotency import add_once
from input_guard import MAX_ID

MAX_DESCRIPTION = 1000
MAX_SPOT = 80
BOARD_PAGE = 30
DUPLICATES_SHOWN = 5


@dataclass(frozen=True)
class NewProblem:
    """What a report says (the form's shape is already checked)."""

    category: str
    compound_id: int
    description: str
    urgency: str = Urgency.NORMAL
    building_id: int | None = None
    spot: str = ""


def compound_of_community(member: User, compound_id: int) -> Compound:
    """A compound of ``member``'s own community. Raises NotFound otherwise."""
    compound = db.session.get(Compound, compound_id) if 0 < compound_id <= MAX_ID else None
    if compound is None or compound.community_id != member.community_id:
        raise NotFound(_l("Choose a compound of your community."))
    return compound


def report_problem(
    *,
    by: User,
    reporter: User,
    report: NewProblem,
    photos: list[bytes] = (),
    idempotency_key: str | None = None,
) -> Problem:
    """Record a problem ``reporter`` raises, entered by ``by`` (themself, family whose link
    lets them book, or a coordinator or grid worker of the reporter's community: then
    "on their behalf"), with up to 4 photos (checked and cleaned).

    Raises NotFound (a reporter out of reach, a compound or building not theirs),
    InvalidInput (a category or urgency not known, empty words, too many photos),
    Conflict (this form was sent already) and photo_cleaning.PhotoRefused.
    """
    if not access.acts_for(by, reporter):
        raise NotFound()
    if report.category not in set(ProblemCategory):
        raise InvalidInput(_l("Choose what kind of problem it is."))
    if report.urgency not in set(Urgency):
        raise InvalidInput(_l("Choose how urgent it is."))
    description = report.description.strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(_l("Say in a few words what is wrong (at most 1000 characters)."))
    spot = report.spot.strip()
    if len(spot) > MAX_SPOT:
        raise InvalidInput(_l("Say the spot in at most 80 characters."))
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_l("At most 4 photos."))
    compound = compound_of_community(reporter, report.compound_id)
    building = None
    if report.building_id is not None:
        building_id = report.building_id
        building = db.session.get(Building, building_id) if 0 < building_id <= MAX_ID else None
        if building is None or building.compound_id != compound.id:
            raise NotFound(_l("Choose a building of that compound."))
    problem = Problem(
        community_id=compound.community_id,
        compound=compound,
        building=building,
        spot=spot,
        category=report.category,
        description=description,
        urgency=report.urgency,
        status=ProblemStatus.REPORTED,
        reporter=reporter,
        entered_by=by,
        idempotency_key=idempotency_key,
    )
    if idempotency_key and db.session.scalar(
        select(Problem.id).where(Problem.idempotency_key == idempotency_key)
    ):
        raise _sent_already()
    add_once(problem, _sent_already)
    attach_photos(problem, photos, stage="report", by=by)
    db.session.add(ProblemStep(problem=problem, kind=StepKind.REPORTED, actor_id=by.id))
    if by.id != reporter.id and coordinates(by, reporter):
        audit.record(
            Action.ACTED_FOR,
            actor=by,
            subject=reporter,
            target=f"problem:{problem.id}",
            after={"step": "problem_reported", "status": problem.status},
        )
    tell_reporter(problem, "problem_received")
    db.session.flush()
    return problem


def _sent_already() -> Conflict:
    return Conflict(
        _l("This report was sent already. You can follow it under My reported problems.")
    )


# --- the board and "我也遇到了" ----------------------------------------------------------


def likely_duplicates(member: User, compound_id: int, category: str) -> list[Problem]:
    """Open problems of the same category and compound in ``member``'s community (offered
    with "我也遇到了" before a new report is sent). Raises NotFound for another
    community's compound."""
    compound = compound_of_community(member, compound_id)
    return list(
        db.session.scalars(
            select(Problem)
            .where(
                Problem.compound_id == compound.id,
                Problem.category == category,
                Problem.status.in_(OPEN_STATUSES),
            )
            .order_by(Problem.me_too_count.desc(), Problem.id.desc())
            .limit(DUPLICATES_SHOWN)
            .options(joinedload(Problem.compound), joinedload(Problem.building))
        )
    )


def board(member: User, *, page: int = 1) -> tuple[list[Problem], bool]:
    """The open problems of ``member``'s community, newest first, one page (and whether
    there is another). Reporters are not named on the board."""
    page = max(1, min(page, 10_000))
    rows = list(
        db.session.scalars(
            select(Problem)
            .where(
                Problem.community_id == member.community_id,
                Problem.status.in_(OPEN_STATUSES),
            )
            .order_by(Problem.id.desc())
            .offset((page - 1) * BOARD_PAGE)
            .limit(BOARD_PAGE + 1)
            .options(
                joinedload(Problem.compound),
                joinedload(Problem.building),
                joinedload(Problem.organisation),
            )
        )
    )
    return rows[:BOARD_PAGE], len(rows) > BOARD_PAGE


def supported_ids(member: User, problems: list[Problem]) -> set[int]:
    """Which of ``problems`` ``member`` already said "me too" to (one query)."""
    ids = [problem.id for problem in problems]
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ProblemSupport.problem_id).where(
                ProblemSupport.member_id == member.id, ProblemSupport.problem_id.in_(ids)
            )
        )
    )


def problem_on_board(member: User, problem_id: int) -> Problem:
    """A problem of ``member``'s community (its board). Raises NotFound."""
    return access.problem_on_board(member, problem_id)


def me_too(*, by: User, problem_id: int) -> Problem:
    """Count ``by``'s "我也遇到了" for an open problem of their community, once.

    Raises NotFound (another community's), Conflict (no longer open, or already said),
    NotAllowed (their own report).
    """
    problem = access.problem_on_board(by, problem_id)
    if not problem.is_open:
        raise Conflict(_l("This problem is no longer open."))
    if problem.reporter_id == by.id:
        raise NotAllowed(_l("You reported this problem yourself."))
    try:
        with db.session.begin_nested():
            db.session.add(ProblemSupport(problem_id=problem.id, member_id=by.id))
    except IntegrityError:
        raise Conflict(_l("You already said you have this problem too.")) from None
    db.session.execute(
        update(Problem)
        .where(Problem.id == problem.id)
        .values(me_too_count=Problem.me_too_count + 1)
    )
    db.session.refresh(problem)
    return problem


# --- lists -------------------------------------------------------------------------------


def followed_problems(member: User, limit: int = 100) -> list[Problem]:
    """The problems ``member`` follows ("my problems"): theirs, those they entered, and
    those of elders they act for; newest first."""
    return list(
        db.session.scalars(
            select(Problem)
            .where(access.followed_condition(member))
            .order_by(Problem.id.desc())
            .limit(limit)
            .options(
                joinedload(Problem.compound),
                joinedload(Problem.building),
                joinedload(Problem.reporter),
                joinedload(Problem.organisation),
            )
        )
    )


def problem_page(actor: User, problem_id: int) -> Problem:
    """The whole problem for its page (reporter, photos, history). Raises NotFound."""
    problem = access.visible_problem(actor, problem_id)
    db.session.scalars(
        select(ProblemStep)
        .where(ProblemStep.problem_id == problem.id)
        .options(selectinload(ProblemStep.actor))
    ).all()
    return problem


def open_count(community_id: int) -> int:
    """How many problems of a community are open (one COUNT)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Problem)
        .where(Problem.community_id == community_id, Problem.status.in_(OPEN_STATUSES))
    )


def reporter_for(actor: User, member_id: int | None) -> User:
    """Whom ``actor`` reports for: themself (no id), or a member they act for (family
    whose link lets them book, a coordinator of the member's community).

    Raises NotFound for anyone else (whose existence is not theirs to learn).
    """
    if member_id is None or member_id == actor.id:
        return actor
    member = db.session.get(User, member_id) if 0 < member_id <= MAX_ID else None
    if member is None or not member.is_active_member or not access.acts_for(actor, member):
        raise NotFound()
    return member


def reporter_named(actor: User, text: str) -> User:
    """The resident a coordinator (or grid worker) names by phone number, username or
    member number, to report for them. Raises NotFound for nobody of the street, or
    someone ``actor`` does not act for."""
    try:
        member = find_in_street(actor, text)
    except MemberNotFound as missing:
        raise NotFound(missing.message) from None
    if not access.acts_for(actor, member):
        raise NotFound(_l("You cannot report for this member."))
    return member


def reporting_for_choices(actor: User) -> list[User]:
    """Whom ``actor`` may choose to report for on the first step: themself and the elders
    whose family link lets them book."""
    return [actor, *linked_elders(actor, "may_book")]


def community_places(member: User) -> list[Compound]:
    """The compounds of ``member``'s community with their buildings (for the report form)."""
    return list(
        db.session.scalars(
            select(Compound)
            .where(Compound.community_id == member.community_id)
            .order_by(Compound.name)
            .options(selectinload(Compound.buildings))
        )
    )
