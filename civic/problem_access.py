"""Who may see a problem and take each step of its life (the rule of reach,
``community.reach``, applied to problems).

- The reporter's side: the reporter, whoever entered it for them, family acting for
  them (their link lets them book or confirm), their coordinators.
- The community's coordinators (and the street admin) triage it.
- Its holder: the community office's coordinators, or the staff of the organisation
  named (a manager or a worker).
- Members of its community see it on the board, without who reported it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select

from civic.errors import NotFound
from civic.organisation_models import OrganisationStaff
from civic.problem_models import ACCEPTED_STATUSES, Problem
from community.models import User
from community.reach import (
    community_condition,
    coordinates_community,
    family_elder_ids,
    reaches,
    reaches_any,
)
from extensions import db
from input_guard import MAX_ID

REPORTER_SIDE_PERMISSIONS = ("may_book", "may_confirm")


def acts_for(actor: User, member: User) -> bool:
    """Whether ``actor`` may report or confirm for ``member``: themself, family whose
    link lets them book for the elder, or a coordinator of the member's community."""
    return reaches(actor, member, "may_book")


def reporter_side(actor: User, problem: Problem) -> bool:
    """The reporter, who entered it, family acting for the reporter, their coordinators."""
    return actor.id == problem.entered_by_id or reaches_any(
        actor, problem.reporter, REPORTER_SIDE_PERMISSIONS
    )


def triages(actor: User, problem: Problem) -> bool:
    """A coordinator of the problem's community (or its street's admin)."""
    return coordinates_community(actor, problem.community)


def is_holder_staff(actor: User, problem: Problem) -> bool:
    """Whether ``actor`` works for the party holding the problem: the organisation named,
    or (the community office) the community's coordinators."""
    if problem.organisation_id is None:
        return problem.was_accepted and triages(actor, problem)
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OrganisationStaff.organisation_id == problem.organisation_id,
                    OrganisationStaff.member_id == actor.id,
                )
            )
        )
    )


def may_see(actor: User, problem: Problem) -> bool:
    """Whether ``actor`` sees the whole problem: who reported it, its photos, its history."""
    return (
        triages(actor, problem) or reporter_side(actor, problem) or is_holder_staff(actor, problem)
    )


def visible_problem(actor: User, problem_id: int) -> Problem:
    """The problem if ``actor`` may see it whole. Raises NotFound otherwise (its
    existence is not theirs to learn)."""
    problem = db.session.get(Problem, problem_id) if 0 < problem_id <= MAX_ID else None
    if problem is None or not may_see(actor, problem):
        raise NotFound()
    return problem


def problem_on_board(actor: User, problem_id: int) -> Problem:
    """A problem of ``actor``'s own community (the board they see). Raises NotFound."""
    problem = db.session.get(Problem, problem_id) if 0 < problem_id <= MAX_ID else None
    if problem is None or problem.community_id != actor.community_id:
        raise NotFound()
    return problem


def followed_condition(actor: User) -> ColumnElement[bool]:
    """SQL: the problems ``actor`` follows (their "my problems"): their own, those they
    entered for someone, and those of elders whose family link lets them book or confirm.
    A coordinator's community's problems are their work list, not theirs to follow."""
    elders = set()
    for permission in REPORTER_SIDE_PERMISSIONS:
        elders |= family_elder_ids(actor, permission)
    return or_(
        Problem.reporter_id == actor.id,
        Problem.entered_by_id == actor.id,
        Problem.reporter_id.in_(sorted(elders)),
    )


def held_condition(actor: User) -> ColumnElement[bool]:
    """SQL: problems held by a party ``actor`` works for (an organisation's staff, or
    the community office of a community they coordinate)."""
    organisations = select(OrganisationStaff.organisation_id).where(
        OrganisationStaff.member_id == actor.id
    )
    office = Problem.organisation_id.is_(None) & Problem.status.in_(ACCEPTED_STATUSES)
    return or_(
        Problem.organisation_id.in_(organisations),
        office & community_condition(actor, Problem.community_id),
    )
