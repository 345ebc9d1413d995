"""Civic's part of a member's home: "等您办的事" gets a problem its holder says is dealt
with, waiting for the reporter's side to confirm it (the reporter, or family whose link
lets them confirm), registered with community.waiting_items so that the time bank's home
shows it without importing civic; and the staff of an organisation (a property company,
a self-management group) land on their work list (community.landing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from civic.organisation_models import Organisation, OrganisationStaff
from civic.problem_labels import category_label
from civic.problem_models import Problem, ProblemStatus
from civic.problem_notices import place_words
from community.landing import register_home
from community.models import User
from community.waiting_items import (
    ITEMS_PER_SOURCE,
    WaitingItem,
    WaitingScope,
    register_waiting_kind,
    register_waiting_source,
)
from extensions import db

KIND = "problem_to_confirm"


# Built once, as every statement a member's home runs: a statement made anew on each
# request costs more to build and look up in SQLAlchemy's cache than it takes to run.
_TO_CONFIRM = (
    select(Problem)
    .where(
        Problem.reporter_id.in_(bindparam("member_ids", expanding=True)),
        Problem.status == ProblemStatus.CLOSED,
    )
    .order_by(Problem.closed_at, Problem.id)
    .limit(ITEMS_PER_SOURCE)
    .options(joinedload(Problem.compound), joinedload(Problem.building))
)
_WORKS_FOR_AN_ORGANISATION = (
    select(OrganisationStaff.id)
    .join(Organisation, Organisation.id == OrganisationStaff.organisation_id)
    .where(OrganisationStaff.member_id == bindparam("member_id"), Organisation.is_active)
    .limit(1)
)


def problems_to_confirm(scope: WaitingScope) -> list[WaitingItem]:
    """Problems of the viewer (or an elder whose link lets them confirm) said to be
    fixed and waiting for an answer (one query)."""
    problems = db.session.scalars(_TO_CONFIRM, {"member_ids": scope.member_ids("may_confirm")})
    return [
        WaitingItem(
            kind=KIND,
            member_id=problem.reporter_id,
            text=_l(
                "The problem you reported is said to be fixed: %(category)s, %(place)s. Is it?",
                category=LazyString(category_label, problem.category),
                place=place_words(problem),
            ),
            button=_l("Answer: is it fixed?"),
            endpoint="problems.confirm",
            values={"problem_id": problem.id},
        )
        for problem in problems
    ]


# After the coordinator desk and a provider's dashboard, before the time bank's home.
STAFF_HOME_RANK = 30


def works_for_an_organisation(member: User) -> bool:
    """True if ``member`` is staff of an active organisation (one small query)."""
    return db.session.scalar(_WORKS_FOR_AN_ORGANISATION, {"member_id": member.id}) is not None


def connect_problem_waiting() -> None:
    """Add problems to confirm to every member's waiting list (after visits to confirm),
    and land organisations' staff on their work list."""
    register_waiting_kind(KIND, 3)
    register_waiting_source("civic.problems_to_confirm", problems_to_confirm)
    register_home("problems.work", works_for_an_organisation, rank=STAFF_HOME_RANK)
