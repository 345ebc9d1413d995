"""The provider's dashboard pages: only the owner, their own bookings only (SQLite only)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.models import Role, utcnow
from extensions import db
from marketplace.clock import local_today, to_utc
from marketplace.review_models import Review
from tests.conftest import counted_statements, login


@pytest.fixture
def scene(make_member, make_community, make_provider, make_item, make_booking, cleaning, elder):
    """Our provider with a waiting booking today, a completed one with a review, and another
    provider with a booking of its own."""
    today = local_today()
    waiting = make_booking(
        cleaning, elder, starts_at=to_utc(today, time(20)), status="requested", subsidy=False
    )
    done = make_booking(
        cleaning,
        elder,
        starts_at=to_utc(today - timedelta(days=2), time(9)),
        status="completed",
        payment_method="card",
        completed_at=utcnow(),
        subsidy=False,
    )
    db.session.add(
        Review(
            booking_id=done.id,
            provider_id=done.provider_id,
            author_id=elder.id,
            stars=4,
            text="很干净",
        )
    )
    other_owner = make_member("别家老板", age=40)
    other = make_provider("别家", owner=other_owner)
    secret = make_booking(
        make_item(other, "别家的秘密项目"), elder, starts_at=to_utc(today, time(21)), subsidy=False
    )
    elsewhere = make_community("别的社区")
    db.session.flush()
    return {
        "waiting": waiting,
        "done": done,
        "secret": secret,
        "other_owner": other_owner,
        "coordinator_elsewhere": make_member(
            "外社工", age=40, role=Role.COORDINATOR, community=elsewhere
        ),
        "street_admin": make_member("街道管理员", age=45, role=Role.STREET_ADMIN),
    }


def test_the_owner_sees_bookings_earnings_and_reviews(client, provider_owner, scene, english_pages):
    login(client, provider_owner)
    response = client.get("/provider/dashboard/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/bookings/{scene['waiting'].id}" in page
    assert "Waiting for the provider" in page
    assert f"/bookings/{scene['waiting'].id}/accept" in page  # its buttons
    assert "很干净" in page
    assert "4 out of 5 stars" in page
    review = db.session.scalar(select(Review))
    assert f"/reviews/{review.id}/reply" in page
    assert "¥80" in page  # this month's card earnings
    assert "别家的秘密项目" not in page
    assert f"/bookings/{scene['secret'].id}" not in page


def test_the_other_owner_sees_only_their_own(client, scene):
    login(client, scene["other_owner"])
    page = client.get("/provider/dashboard/").get_data(as_text=True)
    assert "别家的秘密项目" in page
    assert f'/bookings/{scene["waiting"].id}"' not in page
    csv_text = client.get("/provider/dashboard/bookings.csv").get_data(as_text=True)
    assert "别家的秘密项目" in csv_text and "日常保洁" not in csv_text


@pytest.mark.parametrize("who", ["elder", "coordinator", "coordinator_elsewhere", "street_admin"])
def test_nobody_else_has_a_dashboard(client, scene, request, who):
    person = scene.get(who) or request.getfixturevalue(who)
    login(client, person)
    assert client.get("/provider/dashboard/").status_code == 404
    assert client.get("/provider/dashboard/bookings.csv").status_code == 404


def test_sign_in_required(client, scene):
    assert client.get("/provider/dashboard/").status_code == 302
    assert client.get("/provider/dashboard/bookings.csv").status_code == 302


def test_csv_download(client, provider_owner, scene):
    login(client, provider_owner)
    response = client.get("/provider/dashboard/bookings.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8")
    assert text.count("日常保洁") == 2
    assert "别家的秘密项目" not in text


def test_a_suspended_provider_still_sees_its_dashboard(client, provider_owner, provider, scene):
    provider.status = "suspended"
    login(client, provider_owner)
    page = client.get("/provider/dashboard/").get_data(as_text=True)
    assert f"/bookings/{scene['waiting'].id}" in page


def test_the_page_does_not_grow_queries_with_bookings(
    client, provider_owner, scene, make_member, make_booking, cleaning
):
    # Its buttons too: whose side the owner is on is read once for every booking.
    login(client, provider_owner)

    def buttons_and_queries() -> tuple[int, int]:
        db.session.commit()  # each measurement starts from a freshly committed session
        with counted_statements() as statements:
            page = client.get("/provider/dashboard/").get_data(as_text=True)
        return page.count('data-testid="booking-actions"'), len(statements)

    buttons, few = buttons_and_queries()
    today = local_today()
    for n in range(3):
        resident = make_member(age=75)
        make_booking(cleaning, resident, starts_at=to_utc(today, time(10 + n)), subsidy=False)
        make_booking(
            cleaning,
            resident,
            starts_at=to_utc(today + timedelta(days=3), time(10 + n)),
            status="accepted",
            subsidy=False,
        )
    assert buttons_and_queries() == (buttons + 6, few)
