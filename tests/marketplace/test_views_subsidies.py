"""The subsidy pages: rules for coordinators, budgets, the monthly report and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.models import Role, utcnow
from extensions import db
from marketplace import subsidies
from marketplace.booking_models import SubsidyRule
from marketplace.clock import local_today
from tests.conftest import csrf_token, login

pytestmark = pytest.mark.usefixtures("english_pages")


def new_rule(client, community, **fields):
    data = {
        "csrf_token": csrf_token(client, "/subsidies/new"),
        "community": str(community.id),
        "name": "80+ meals",
        "category": "meals",
        "min_age": "80",
        "yuan_per_unit": "5",
        "monthly_budget_yuan": "2000",
        "idempotency_key": "k1",
    }
    data.update(fields)
    return client.post("/subsidies/new", data=data)


def test_a_coordinator_starts_a_subsidy(client, coordinator, community):
    login(client, coordinator)
    response = new_rule(client, community)
    assert response.status_code == 302
    rule = db.session.scalar(select(SubsidyRule))
    assert (rule.category, rule.min_age, rule.fen_per_unit, rule.monthly_budget_fen) == (
        "meals",
        80,
        500,
        200000,
    )
    page = client.get("/subsidies/").get_data(as_text=True)
    assert "80+ meals" in page and "¥5" in page


def test_a_replayed_form_starts_one_subsidy(client, coordinator, community):
    login(client, coordinator)
    assert new_rule(client, community).status_code == 302
    again = new_rule(client, community)
    assert again.status_code == 409
    assert len(db.session.scalars(select(SubsidyRule)).all()) == 1


def test_bad_amounts_are_refused(client, coordinator, community):
    login(client, coordinator)
    response = new_rule(client, community, yuan_per_unit="0", monthly_budget_yuan="abc")
    assert response.status_code == 400
    assert "Enter an amount from ¥0.01 to ¥10,000." in response.get_data(as_text=True)
    response = new_rule(client, community, yuan_per_unit="1.234")
    assert response.status_code == 400
    assert db.session.scalar(select(SubsidyRule)) is None


def test_members_are_refused(client, elder):
    login(client, elder)
    assert client.get("/subsidies/").status_code == 403
    assert client.get("/subsidies/report").status_code == 403


def test_another_communitys_coordinator_cannot_post_for_it(
    client, make_community, make_member, community
):
    other = make_community("别的社区")
    login(client, make_member("别社工", role=Role.COORDINATOR, community=other))
    assert new_rule(client, community).status_code == 400  # not among the choices
    assert db.session.scalar(select(SubsidyRule)) is None


@pytest.fixture
def rule(community, coordinator):
    return subsidies.create_rule(
        community,
        name="=HYPERLINK(1)",
        category="meals",
        min_age=80,
        fen_per_unit=500,
        monthly_budget_fen=2000,
        by=coordinator,
    )


def test_budget_below_spending_is_refused(client, coordinator, rule, lunch, elder, make_booking):
    make_booking(lunch, elder, quantity=2, starts_at=utcnow() + timedelta(hours=1))
    login(client, coordinator)
    token = csrf_token(client, f"/subsidies/{rule.id}/budget")
    low = client.post(
        f"/subsidies/{rule.id}/budget", data={"csrf_token": token, "monthly_budget_yuan": "9"}
    )
    assert low.status_code == 400
    assert "cannot be lower" in low.get_data(as_text=True)
    ok = client.post(
        f"/subsidies/{rule.id}/budget", data={"csrf_token": token, "monthly_budget_yuan": "10"}
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(SubsidyRule, rule.id).monthly_budget_fen == 1000


@pytest.mark.parametrize(
    "amount", ["10000000.01", "1e20", "99999999999999999999999", "NaN", "sNaN", "-Infinity"]
)
def test_a_budget_beyond_ten_million_yuan_is_refused_and_nothing_changes(
    client, coordinator, rule, amount
):
    login(client, coordinator)
    token = csrf_token(client, f"/subsidies/{rule.id}/budget")

    response = client.post(
        f"/subsidies/{rule.id}/budget", data={"csrf_token": token, "monthly_budget_yuan": amount}
    )

    assert response.status_code == 400
    assert "Budget each month" in response.get_data(as_text=True)  # the form, shown again
    db.session.expire_all()
    assert db.session.get(SubsidyRule, rule.id).monthly_budget_fen == 2000


def test_the_service_refuses_a_budget_past_its_limit_too(coordinator, rule):
    with pytest.raises(subsidies.InvalidInput):
        subsidies.change_budget(rule, subsidies.MAX_MONTHLY_BUDGET_FEN + 1, by=coordinator)


def test_stopping_a_subsidy(client, coordinator, rule):
    login(client, coordinator)
    token = csrf_token(client, "/subsidies/")
    assert client.post(f"/subsidies/{rule.id}/stop", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SubsidyRule, rule.id).is_active is False


def test_report_and_csv(client, coordinator, rule, lunch, elder, make_booking):
    make_booking(lunch, elder, quantity=2, starts_at=utcnow() + timedelta(hours=1))
    login(client, coordinator)
    month = f"{local_today(utcnow() + timedelta(hours=1)):%Y-%m}"
    page = client.get(f"/subsidies/report?month={month}").get_data(as_text=True)
    assert "¥10" in page and "¥20" in page
    response = client.get(f"/subsidies/report.csv?month={month}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Community"
    (row,) = rows[1:]
    assert row[1] == "'=HYPERLINK(1)"  # never run as a formula
    assert row[6:] == ["20.00", "10.00", "10.00", "1", "1"]


def test_a_street_admin_sees_every_community(client, make_community, make_member, community, rule):
    other = make_community("枫桥社区")
    admin = make_member("街道", role=Role.STREET_ADMIN, community=other)
    login(client, admin)
    page = client.get("/subsidies/report").get_data(as_text=True)
    assert community.name in page and other.name in page
