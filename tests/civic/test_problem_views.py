"""The problem pages over HTTP: the whole path through the forms, with photos, and the
refusals a page must answer with a clear 4xx and nothing written."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civic.problem_flow import local_today
from civic.problem_models import Problem, ProblemPhoto, ProblemStatus
from extensions import db
from tests.civic.problem_scene import a_problem, compound_in, jpeg, property_company
from tests.permission_table import SignedIn

pytestmark = pytest.mark.views


class Person(SignedIn):
    def get(self, url):
        return self.client.get(url)

    def post(self, url, data=None, **kwargs):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token}, **kwargs)


@pytest.fixture
def place(community):
    return compound_in(community)


@pytest.fixture
def manager(make_member):
    return make_member("物业经理", age=45)


@pytest.fixture
def company(place, manager):
    return property_company(place, manager)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_report_triage_close_confirm_through_the_pages(
    app, elder, coordinator, manager, company, place
):
    me = Person(app, elder)
    step_one = me.get("/problems/new")
    assert step_one.status_code == 200 and "桂花新村" in step_one.get_data(as_text=True)
    url = f"/problems/new?category=lighting&compound={place.id}"
    assert me.get(url).status_code == 200
    sent = me.post(
        url,
        {
            "description": "楼道灯坏了",
            "urgency": "soon",
            "spot": "2单元",
            "building": "",
            "photos": (io.BytesIO(jpeg()), "light.jpg"),
            "idempotency_key": "first-report",
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    problem = db.session.scalar(select(Problem))
    assert len(problem.photos) == 1
    photo_url = f"/problems/{problem.id}/photos/{problem.photos[0].id}"
    shown = me.get(photo_url)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"

    staff = Person(app, coordinator)
    assert staff.get(f"/problems/{problem.id}/triage").status_code == 200
    due = (local_today() + timedelta(days=7)).isoformat()
    accepted = staff.post(
        f"/problems/{problem.id}/accept", {"holder": str(company.id), "due_on": due}
    )
    assert accepted.status_code == 302
    boss = Person(app, manager)
    assert "楼道灯坏了" in boss.get("/problems/work").get_data(as_text=True)
    closed = boss.post(
        f"/problems/{problem.id}/close",
        {"note": "换了灯", "photos": (io.BytesIO(jpeg()), "done.jpg")},
        content_type="multipart/form-data",
    )
    assert closed.status_code == 302
    assert me.post(f"/problems/{problem.id}/confirm", {"rating": "5"}).status_code == 302
    db.session.expire_all()
    assert problem.status == ProblemStatus.CONFIRMED and problem.rating == 5
    assert _count(ProblemPhoto) == 2


def test_a_deadline_in_the_past_is_refused_with_400_and_nothing_changes(
    app, elder, coordinator, place
):
    problem = a_problem(elder, place)
    staff = Person(app, coordinator)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    answer = staff.post(f"/problems/{problem.id}/accept", {"holder": "office", "due_on": yesterday})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "cannot be in the past" in page or "不能早于今天" in page
    db.session.expire_all()
    assert problem.status == ProblemStatus.REPORTED


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_written(app, elder, place):
    me = Person(app, elder)
    answer = me.post(
        f"/problems/new?category=road&compound={place.id}",
        {
            "description": "路面塌了",
            "urgency": "urgent",
            "photos": (io.BytesIO(b"%PDF"), "x.jpg"),
            "idempotency_key": "not-a-photo",
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "This file is not a photo" in page or "这个文件不是照片" in page
    assert _count(Problem) == 0 and _count(ProblemPhoto) == 0


def test_the_board_offers_me_too_and_never_names_the_reporter(app, elder, make_member, place):
    a_problem(elder, place)
    neighbour = Person(app, make_member("邻居李"))
    page = neighbour.get("/problems/board").get_data(as_text=True)
    assert elder.display_name not in page
    offered = neighbour.get(f"/problems/new?category=lighting&compound={place.id}")
    assert 'data-testid="duplicates"' in offered.get_data(as_text=True)
    problem_id = db.session.scalar(select(Problem.id))
    assert neighbour.post(f"/problems/{problem_id}/me-too").status_code == 302
    assert neighbour.post(f"/problems/{problem_id}/me-too").status_code == 409
    page = neighbour.get("/problems/board").get_data(as_text=True)
    assert re.search(r"1 (neighbour has it too|位邻居)", page), page


def test_photos_and_pages_are_not_found_for_a_neighbour(app, elder, make_member, place):
    problem = a_problem(elder, place, photos=[jpeg()])
    neighbour = Person(app, make_member("邻居李"))
    assert neighbour.get(f"/problems/{problem.id}").status_code == 404
    assert neighbour.get(f"/problems/{problem.id}/photos/{problem.photos[0].id}").status_code == 404


def test_the_same_report_sent_twice_is_reported_once(app, elder, place):
    me = Person(app, elder)
    url = f"/problems/new?category=hygiene&compound={place.id}"
    form = {"description": "垃圾没人清", "urgency": "soon", "idempotency_key": "k" * 32}
    assert me.post(url, form).status_code == 302
    again = me.post(url, form)
    assert again.status_code == 409
    assert _count(Problem) == 1


def test_a_merged_report_shows_where_the_same_problem_stands_but_not_who_reported_it(
    app, elder, make_member, coordinator, place
):
    from civic.problem_flow import merge_problem

    first = a_problem(elder, place)
    neighbour = make_member("邻居李")
    second = a_problem(neighbour, place)
    merge_problem(by=coordinator, problem_id=second.id, into_id=first.id)
    page = Person(app, neighbour).get(f"/problems/{second.id}").get_data(as_text=True)
    assert 'data-testid="merged-status"' in page
    assert elder.display_name not in page
    assert f'href="/problems/{first.id}"' not in page


@pytest.mark.parametrize(
    ("step", "form"),
    [
        ("accept", {}),
        ("accept", {"holder": "office", "due_on": "9999-12-31"}),
        ("accept", {"holder": "office", "due_on": "not a day"}),
        ("accept", {"holder": "99999999999999", "due_on": "2099-01-01"}),
        ("accept", {"holder": "abc", "due_on": (local_today()).isoformat()}),
        ("decline", {"reason": ""}),
        ("decline", {"reason": "长" * 5000}),
        ("merge", {"into": "99999999999999999999"}),
        ("merge", {"into": "-1"}),
        ("merge", {}),
    ],
)
def test_bad_triage_forms_get_a_clear_4xx_and_change_nothing(
    app, elder, coordinator, place, step, form
):
    problem = a_problem(elder, place)
    answer = Person(app, coordinator).post(f"/problems/{problem.id}/{step}", form)
    assert 400 <= answer.status_code < 500
    assert 'class="message message--error"' in answer.get_data(as_text=True) or (
        "field__error" in answer.get_data(as_text=True)
    )
    db.session.expire_all()
    assert problem.status == ProblemStatus.REPORTED


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"description": "", "urgency": "soon", "idempotency_key": "a"},
        {"description": "长" * 5000, "urgency": "soon", "idempotency_key": "b"},
        {"description": "灯坏了", "urgency": "tomorrow", "idempotency_key": "c"},
        {
            "description": "灯坏了",
            "urgency": "soon",
            "building": "99999999999",
            "idempotency_key": "d",
        },
        {"description": "灯坏了", "urgency": "soon", "spot": "长" * 500, "idempotency_key": "e"},
    ],
)
def test_bad_reports_get_a_clear_4xx_and_write_nothing(app, elder, place, form):
    answer = Person(app, elder).post(f"/problems/new?category=lighting&compound={place.id}", form)
    assert 400 <= answer.status_code < 500
    assert _count(Problem) == 0


@pytest.mark.parametrize(
    "query",
    [
        "category=lighting&compound=99999999999999999",
        "category=lighting&compound=abc",
        "category=weather&compound=1",
        "for=99999999999999",
    ],
)
def test_odd_report_links_are_not_errors(app, elder, place, query):
    answer = Person(app, elder).get(f"/problems/new?{query}")
    assert answer.status_code in (200, 404)


def test_a_coordinator_names_the_resident_they_report_for(app, elder, coordinator, place):
    staff = Person(app, coordinator)
    step = staff.get(f"/problems/new?who={elder.phone}&category=road&compound={place.id}")
    assert step.status_code == 302
    assert f"for={elder.id}" in step.headers["Location"]
    page = staff.get(step.headers["Location"]).get_data(as_text=True)
    assert elder.display_name in page
    assert staff.get("/problems/new?who=13000000000").status_code == 404


def test_the_companys_staff_land_on_their_work_list(app, manager, company, elder):
    assert Person(app, manager).get("/").headers["Location"].endswith("/problems/work")
    assert "/problems/work" not in (Person(app, elder).get("/").headers.get("Location") or "")
