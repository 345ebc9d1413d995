"""Community subsidies: which rule pays, the month's budget, giving back, rules admin, the report."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from community.models import Role, utcnow
from extensions import db
from marketplace import subsidies
from marketplace.booking_models import Booking, SubsidyGrant, SubsidyMonth
from marketplace.clock import local_today, month_start
from marketplace.errors import Conflict, InvalidInput, NotAllowed


@pytest.fixture
def meal_rule(community, coordinator):
    """¥5 off each meal for residents of 80 and over, ¥20 a month."""
    return subsidies.create_rule(
        community,
        name="八十岁以上助餐",
        category="meals",
        min_age=80,
        fen_per_unit=500,
        monthly_budget_fen=2000,
        by=coordinator,
    )


def month_row(rule) -> SubsidyMonth | None:
    return db.session.scalar(select(SubsidyMonth).where(SubsidyMonth.rule_id == rule.id))


# --- estimate --------------------------------------------------------------------------


def test_estimate_follows_category_age_and_budget(meal_rule, lunch, cleaning, elder, make_member):
    today = local_today()
    assert subsidies.estimate(elder, lunch, 2, today) == 1000
    assert subsidies.estimate(elder, cleaning, 1, today) == 0  # not a meal
    assert subsidies.estimate(make_member("年轻人", age=79), lunch, 1, today) == 0
    assert subsidies.estimate(make_member("无生日", age=None), lunch, 1, today) == 0
    assert subsidies.estimate(elder, lunch, 10, today) == 2000  # the whole month's budget


def test_estimate_never_more_than_the_price(community, coordinator, lunch, elder):
    subsidies.create_rule(
        community,
        name="全免",
        category=None,
        min_age=None,
        fen_per_unit=9900,
        monthly_budget_fen=100000,
        by=coordinator,
    )
    assert subsidies.estimate(elder, lunch, 3, local_today()) == 4500


def test_an_inactive_rule_pays_nothing(meal_rule, lunch, elder, coordinator):
    subsidies.deactivate_rule(meal_rule, by=coordinator)
    assert subsidies.estimate(elder, lunch, 1, local_today()) == 0
    with pytest.raises(Conflict):
        subsidies.deactivate_rule(meal_rule, by=coordinator)


# --- reserve / give back / use ----------------------------------------------------------


def test_reserve_draws_on_the_month_and_stops_at_the_budget(meal_rule, lunch, elder, make_booking):
    first = make_booking(lunch, elder, quantity=3)
    assert first.subsidy_fen == 1500 and first.payable_fen == 3000
    second = make_booking(lunch, elder, quantity=3)
    assert second.subsidy_fen == 500  # only ¥5 was left
    third = make_booking(lunch, elder)
    assert third.subsidy_fen == 0
    row = month_row(meal_rule)
    assert (row.budget_fen, row.spent_fen) == (2000, 2000)
    assert db.session.scalar(select(func.count()).select_from(SubsidyGrant)) == 2


def test_give_back_returns_once(meal_rule, lunch, elder, make_booking):
    booking = make_booking(lunch, elder, quantity=2)
    assert subsidies.give_back(booking) == 1000
    assert subsidies.give_back(booking) == 0
    assert month_row(meal_rule).spent_fen == 0
    assert subsidies.grant_for(booking).status == "returned"


def test_mark_used_keeps_the_money_spent(meal_rule, lunch, elder, make_booking):
    booking = make_booking(lunch, elder)
    subsidies.mark_used(booking)
    assert subsidies.grant_for(booking).status == "used"
    assert month_row(meal_rule).spent_fen == 500


def test_each_month_has_its_own_budget(meal_rule, lunch, elder, make_booking):
    now = utcnow()
    make_booking(lunch, elder, quantity=4, starts_at=now + timedelta(hours=3))
    next_month = make_booking(lunch, elder, quantity=4, starts_at=now + timedelta(days=40))
    assert next_month.subsidy_fen == 2000
    months = db.session.scalars(select(SubsidyMonth.month).order_by(SubsidyMonth.month)).all()
    assert len(months) == 2 and months[0] < months[1]


def test_the_database_refuses_overspending(meal_rule, lunch, elder, make_booking):
    make_booking(lunch, elder)
    row = month_row(meal_rule)
    row.spent_fen = row.budget_fen + 1
    with pytest.raises(Exception, match="(?i)check|constraint"):
        db.session.flush()
    db.session.rollback()


# --- rules admin ----------------------------------------------------------------------


def test_only_coordinators_of_the_community_manage_rules(
    community, make_community, make_member, elder
):
    other = make_community("别的社区")
    their_coordinator = make_member("别社工", role=Role.COORDINATOR, community=other)
    street_admin = make_member("街道管理员", role=Role.STREET_ADMIN, community=other)
    values = dict(
        name="补贴", category=None, min_age=None, fen_per_unit=100, monthly_budget_fen=1000
    )
    for someone in (elder, their_coordinator):
        with pytest.raises(NotAllowed):
            subsidies.create_rule(community, by=someone, **values)
    rule = subsidies.create_rule(community, by=street_admin, **values)
    assert rule.community_id == community.id
    assert community in subsidies.manageable_communities(street_admin)
    assert subsidies.manageable_communities(their_coordinator) == [other]
    assert subsidies.manageable_communities(elder) == []


@pytest.mark.parametrize(
    "values",
    [
        dict(name=" ", category=None, min_age=None, fen_per_unit=100, monthly_budget_fen=0),
        dict(name="x", category="gardening", min_age=None, fen_per_unit=100, monthly_budget_fen=0),
        dict(name="x", category=None, min_age=-1, fen_per_unit=100, monthly_budget_fen=0),
        dict(name="x", category=None, min_age=None, fen_per_unit=0, monthly_budget_fen=0),
        dict(name="x", category=None, min_age=None, fen_per_unit=100, monthly_budget_fen=-1),
    ],
)
def test_rule_values_are_checked(community, coordinator, values):
    with pytest.raises(InvalidInput):
        subsidies.create_rule(community, by=coordinator, **values)


def test_budget_cannot_go_below_what_is_spent(meal_rule, lunch, elder, coordinator, make_booking):
    make_booking(lunch, elder, quantity=2, starts_at=utcnow() + timedelta(hours=1))
    with pytest.raises(InvalidInput):
        subsidies.change_budget(meal_rule, 999, by=coordinator)
    subsidies.change_budget(meal_rule, 1000, by=coordinator)
    assert month_row(meal_rule).budget_fen == 1000
    assert meal_rule.monthly_budget_fen == 1000


# --- report ---------------------------------------------------------------------------


def test_report_counts_spending_bookings_and_residents(
    meal_rule, lunch, elder, make_member, make_booking, community, coordinator
):
    other_elder = make_member("李奶奶", age=85)
    start = utcnow() + timedelta(hours=1)
    make_booking(lunch, elder, starts_at=start)
    used = make_booking(lunch, elder, starts_at=start)
    subsidies.mark_used(used)
    returned = make_booking(lunch, other_elder, starts_at=start)
    subsidies.give_back(returned)
    make_booking(lunch, other_elder, quantity=2, starts_at=start)
    (line,) = subsidies.report(community, local_today(start), by=coordinator)
    assert line.rule == meal_rule
    assert (line.budget_fen, line.spent_fen, line.left_fen) == (2000, 2000, 0)
    assert (line.bookings, line.residents) == (3, 2)
    (empty,) = subsidies.report(community, date(2020, 1, 1), by=coordinator)
    assert (empty.spent_fen, empty.bookings, empty.budget_fen) == (0, 0, 2000)


# --- the budget never goes below zero -------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("give_back"), st.integers(min_value=0, max_value=50)),
    ),
    min_size=1,
    max_size=15,
)


@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=steps, budget=st.integers(min_value=0, max_value=3000))
def test_random_reserves_and_give_backs_stay_within_budget(
    operations, budget, make_community, make_member, coordinator, lunch, make_booking
):
    # A fresh community per example, so examples never share a month.
    community = make_community()
    rule = subsidies.create_rule(
        community,
        name="r",
        category="meals",
        min_age=None,
        fen_per_unit=700,
        monthly_budget_fen=budget,
        by=make_member(role=Role.COORDINATOR, community=community),
    )
    resident = make_member(community=community)
    start = utcnow() + timedelta(hours=1)
    open_amounts: list[tuple[Booking, int]] = []
    spent = 0
    for op, value in operations:
        if op == "reserve":
            booking = make_booking(lunch, resident, quantity=value, starts_at=start)
            expected = min(700 * value, 1500 * value, budget - spent)
            assert booking.subsidy_fen == expected
            spent += expected
            if expected:
                open_amounts.append((booking, expected))
        elif open_amounts:
            booking, amount = open_amounts.pop(value % len(open_amounts))
            assert subsidies.give_back(booking) == amount
            spent -= amount
        row = month_row(rule)
        actual = row.spent_fen if row else 0
        assert actual == spent
        assert 0 <= actual <= budget


# --- two bookings race for the last of the budget ---------------------------------------


def test_racing_bookings_never_overspend(app, community, coordinator, lunch, elder, make_booking):
    """Six bookings, each wanting the whole ¥10 budget of a month not yet started, at once."""
    subsidies.create_rule(
        community,
        name="抢",
        category="meals",
        min_age=None,
        fen_per_unit=1000,
        monthly_budget_fen=1000,
        by=coordinator,
    )
    start = utcnow() + timedelta(hours=1)
    ids = [make_booking(lunch, elder, starts_at=start, subsidy=False).id for _ in range(6)]
    db.session.commit()
    barrier = threading.Barrier(len(ids))
    granted: dict[int, int] = {}
    crashed: list[BaseException] = []

    def run(booking_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                granted[booking_id] = subsidies.reserve(db.session.get(Booking, booking_id))
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                crashed.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert crashed == []
    assert sorted(granted.values()) == [0, 0, 0, 0, 0, 1000]
    rows = db.session.scalars(select(SubsidyMonth)).all()
    assert [(r.month, r.spent_fen) for r in rows] == [(month_start(local_today(start)), 1000)]
