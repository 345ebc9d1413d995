"""The problem pages send the same statements however many problems there are: the
board, my problems and the staff's work list, with 3 problems and with 30."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.problem_flow import accept_problem, local_today
from civic.problems import me_too
from extensions import db
from tests.civic.problem_scene import a_problem, compound_in, property_company
from tests.conftest import counted_statements, login

pytestmark = pytest.mark.views

PAGES = {
    "board": ("neighbour", "/problems/board"),
    "my problems": ("elder", "/problems/"),
    "work (coordinator)": ("coordinator", "/problems/work"),
    "work (company)": ("manager", "/problems/work"),
}


def _grow(count, elder, neighbour, coordinator, company, place):
    for number in range(count):
        problem = a_problem(elder, place, category=("road", "drains", "lighting")[number % 3])
        me_too(by=neighbour, problem_id=problem.id)
        if number % 2:
            accept_problem(
                by=coordinator,
                problem_id=problem.id,
                holder=str(company.id),
                due_on=local_today() + timedelta(days=3),
            )


def _statements(app, clients) -> dict[str, int]:
    counted = {}
    for name, (who, path) in PAGES.items():
        assert clients[who].get(path).status_code == 200
        with counted_statements() as statements:
            assert clients[who].get(path).status_code == 200
        counted[name] = len(statements)
    return counted


def test_problem_pages_cost_the_same_with_ten_times_the_problems(
    app, community, elder, coordinator, make_member
):
    place = compound_in(community)
    manager = make_member("物业经理")
    company = property_company(place, manager)
    neighbour = make_member("邻居")
    people = {"elder": elder, "neighbour": neighbour, "coordinator": coordinator}
    people["manager"] = manager
    _grow(3, elder, neighbour, coordinator, company, place)
    clients = {}
    for who, person in people.items():
        clients[who] = app.test_client()
        login(clients[who], person)
    few = _statements(app, clients)
    _grow(27, elder, neighbour, coordinator, company, place)
    db.session.commit()
    many = _statements(app, clients)
    assert many == few, (few, many)
    assert all(count > 0 for count in few.values())
