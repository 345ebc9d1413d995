"""The inbox notices of a problem's life: to the reporter (and who entered it for
them, if not staff) at each step, and to the holder's staff when it is given to them."""

from __future__ import annotations

from civic.organisation_models import OrganisationStaff
from civic.problem_models import Problem
from community.models import User
from community.notifications import notify
from community.reach import coordinates
from extensions import db


def place_words(problem: Problem) -> str:
    """Where the problem is, as residents say it: "桂花新村 3幢 楼道"."""
    parts = [problem.compound.name]
    if problem.building is not None:
        parts.append(problem.building.name)
    if problem.spot:
        parts.append(problem.spot)
    return " ".join(parts)


def _link(problem: Problem) -> str:
    return f"/problems/{problem.id}"


def tell_reporter(problem: Problem, kind: str, **params) -> None:
    """Notify the reporter (and family who entered it for them) of a step, and the
    reporters of the same problem merged into this one (they follow it here)."""
    people: list[User] = [problem.reporter]
    entered_by = problem.entered_by
    if entered_by.id != problem.reporter_id and not coordinates(entered_by, problem.reporter):
        people.append(entered_by)
    if kind != "problem_merged":
        merged_reporters = db.session.scalars(
            db.select(User)
            .join(Problem, Problem.reporter_id == User.id)
            .where(Problem.merged_into_id == problem.id)
            .order_by(User.id)
        )
        people += [m for m in merged_reporters if m.id not in {p.id for p in people}]
    for person in people:
        notify(
            person,
            kind,
            link=_link(problem),
            problem_category=problem.category,
            place=place_words(problem),
            **params,
        )


def tell_holder(problem: Problem, kind: str, **params) -> None:
    """Notify the organisation's staff holding the problem (the community office's
    coordinators see it on their work list instead)."""
    if problem.organisation_id is None:
        return
    staff = db.session.scalars(
        db.select(User)
        .join(OrganisationStaff, OrganisationStaff.member_id == User.id)
        .where(OrganisationStaff.organisation_id == problem.organisation_id)
        .order_by(User.id)
    )
    for person in staff:
        notify(
            person,
            kind,
            link=_link(problem),
            problem_category=problem.category,
            place=place_words(problem),
            **params,
        )
