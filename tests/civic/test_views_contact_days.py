"""Contact-day pages: bad input gets a clear message and a 4xx, and nothing is written."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from civic import contact_days
from civic.contact_day_models import ContactDay, ContactDayTopic
from extensions import db
from form_limits import local_today
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.views


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def day(coordinator, community):
    found = contact_days.schedule(
        by=coordinator,
        community=community,
        held_on=local_today(),
        starts_at=time(9),
        place="社区活动室",
    )
    db.session.commit()
    return found


@pytest.mark.parametrize(
    "form",
    [
        {"held_on": "2001-01-01", "starts_at": "09:00", "place": "活动室"},
        {"held_on": "9999-12-31", "starts_at": "09:00", "place": "活动室"},
        {"held_on": "", "starts_at": "09:00", "place": "活动室"},
        {"held_on": "2027-01-05", "starts_at": "25:99", "place": "活动室"},
        {"held_on": "2027-01-05", "starts_at": "09:00", "place": "活\x00动室"},
        {"held_on": "2027-01-05", "starts_at": "09:00", "place": "长" * 5000},
        {
            "held_on": "2027-01-05",
            "starts_at": "09:00",
            "place": "x",
            "organisations": "99999999999",
        },
    ],
)
def test_a_bad_schedule_is_refused_with_nothing_written(client, coordinator, form):
    login(client, coordinator)
    token = csrf_token(client, "/civic/contact-days/new")
    response = client.post("/civic/contact-days/new", data={**form, "csrf_token": token})
    assert 400 <= response.status_code < 500
    assert _count(ContactDay) == 0


def test_a_sign_up_sent_twice_stands_once_and_the_second_is_told(client, elder, day):
    login(client, elder)
    path = f"/civic/contact-days/{day.id}"
    token = csrf_token(client, path)
    form = {"resident": str(elder.id), "topic": "楼道灯坏了", "csrf_token": token}
    assert client.post(path + "/sign-up", data=form).status_code == 302
    again = client.post(path + "/sign-up", data=form)
    assert again.status_code == 409
    assert "已经报名" in again.get_data(as_text=True)
    assert _count(ContactDayTopic) == 1


def test_an_empty_topic_is_refused(client, elder, day):
    login(client, elder)
    path = f"/civic/contact-days/{day.id}"
    token = csrf_token(client, path)
    response = client.post(
        path + "/sign-up", data={"resident": str(elder.id), "topic": "  ", "csrf_token": token}
    )
    assert response.status_code == 400
    assert _count(ContactDayTopic) == 0


def test_handing_over_without_a_deadline_is_refused(client, coordinator, elder, day):
    topic = contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="路灯")
    db.session.commit()
    login(client, coordinator)
    path = f"/civic/contact-days/{day.id}/topics/{topic.id}"
    token = csrf_token(client, path)
    response = client.post(
        path, data={"outcome": "followed", "answer": "城管科查看", "csrf_token": token}
    )
    assert response.status_code == 400
    far = {"compound": str(2**31 + 5), "due_on": local_today().isoformat(), "holder": "office"}
    response = client.post(
        path, data={"outcome": "followed", "answer": "x", "csrf_token": token, **far}
    )
    assert response.status_code == 400
    db.session.refresh(topic)
    assert topic.outcome == "waiting"
    past = (local_today() - timedelta(days=1)).isoformat()
    response = client.post(
        path,
        data={"outcome": "followed", "answer": "x", "due_on": past, "csrf_token": token},
    )
    assert response.status_code == 400
