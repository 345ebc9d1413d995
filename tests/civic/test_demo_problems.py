"""The demo street's problems: a board with history, every stage, some overdue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.problem_flow import work_list
from civic.problem_models import Problem, ProblemStatus
from civic.problems import board, followed_problems
from community.models import User
from extensions import db


@pytest.fixture
def database_url(demo_database_url):
    """Every test here reads the demo street (seeded once a run, copied for each test)."""
    return demo_database_url


@pytest.fixture
def demo(app):
    """The app on its copy of the demo street."""


def _member(login: str) -> User:
    return db.session.scalar(select(User).where((User.username == login) | (User.phone == login)))


def test_the_demo_has_problems_at_every_stage_and_some_overdue(demo):
    statuses = set(db.session.scalars(select(Problem.status)))
    assert statuses == set(ProblemStatus)
    admin = _member("canglang.admin")
    overdue = work_list(admin).overdue
    assert overdue and [p.due_on for p in overdue] == sorted(p.due_on for p in overdue)
    assert any(p.organisation is not None for p in overdue)
    db.session.expire_all()
    for problem in db.session.scalars(select(Problem)):  # history in order, read back whole
        times = [step.created_at for step in problem.steps]
        assert times == sorted(times) and times[0] >= problem.created_at


def test_the_demo_elder_follows_a_fixed_problem_and_one_to_confirm(demo):
    elder = _member("13900000002")
    mine = {p.status for p in followed_problems(elder)}
    assert {ProblemStatus.CONFIRMED, ProblemStatus.CLOSED} <= mine
    shown, _more = board(elder)
    assert len(shown) >= 5


def test_the_property_manager_holds_problems(demo):
    assert work_list(_member("canglang.property")).held
