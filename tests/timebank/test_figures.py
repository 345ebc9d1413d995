"""The coordinator's figures against a small hand-built world with known answers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from community.models import Role
from community.services import update_member_flags
from extensions import db
from tests.conftest import MIGRATIONS, counted_statements
from tests.timebank.support import key, top_up
from timebank import volunteer_days
from timebank.clock import local_today
from timebank.errors import NotAllowed
from timebank.figures import (
    active_volunteers,
    elder_share,
    elders_served,
    figures_for,
    figures_scope,
    first_of_month,
    hours_by_month,
    liability,
    total_liability,
    years_before,
)
from timebank.summary_models import ServedYear, StreetVolunteerDay, VolunteerDay
from timebank.transfers import donate_hours
from timebank.verify import verify_ledger
from timebank.visits import confirm_visit, log_visit, reject_visit

TODAY = local_today()


def visit(volunteer, recipient, category: str, minutes: int, day: date, *, confirm=True):
    """A visit logged on ``day`` (as if that day) and, unless told otherwise, confirmed."""
    record = log_visit(
        volunteer=volunteer,
        recipient=recipient,
        category=category,
        service_date=day,
        minutes=minutes,
        entered_by=volunteer,
        idempotency_key=key(),
        today=day,
    )
    if confirm:
        confirm_visit(record, by=recipient)
    return record


@pytest.fixture
def other(make_community):
    return make_community("金狮河沿社区")


@pytest.fixture
def world(make_member, community, other, coordinator):
    """Community A: three volunteers, two elders, a 50-year-old, someone with no birth date.
    Community B (same street): one volunteer and one elder."""
    p = {
        "vol1": make_member("李志愿", age=62, is_volunteer=True),
        "vol2": make_member("小陈", age=30, is_volunteer=True),
        "vol3": make_member("老赵", age=58, is_volunteer=True),
        "elder1": make_member("王秀英", age=82),
        "elder2": make_member("刘大爷", age=70),
        "young": make_member("周女士", age=50),
        "nobirth": make_member("无生日", age=None),
        "coordinator": coordinator,
        "volB": make_member("外志愿", age=45, is_volunteer=True, community=other),
        "elderB": make_member("外老人", age=90, community=other),
    }
    last_month = first_of_month(TODAY, 1)
    visit(p["vol1"], p["elder1"], "meal", 60, TODAY)
    visit(p["vol1"], p["elder2"], "cleaning", 90, last_month)
    visit(p["vol2"], p["elder1"], "meal", 30, last_month)
    visit(p["vol3"], p["elder2"], "escort", 120, TODAY - timedelta(days=120))
    visit(p["vol1"], p["elder1"], "meal", 40, first_of_month(TODAY, 12))  # before the 12 months
    visit(p["vol1"], p["elder2"], "meal", 50, TODAY, confirm=False)  # still pending
    reject_visit(visit(p["vol2"], p["elder2"], "errands", 70, TODAY, confirm=False), by=p["elder2"])
    visit(p["volB"], p["elderB"], "haircut", 60, TODAY)
    top_up(p["young"], 100)
    donate_hours(member=p["vol1"], minutes=20, by=p["vol1"], idempotency_key=key())
    db.session.flush()
    return p


def test_hours_per_month_count_confirmed_visits_in_the_last_twelve_months(world, community):
    monthly = hours_by_month([community.id], today=TODAY)
    assert len(monthly.months) == 12
    assert monthly.months[-1] == first_of_month(TODAY) and monthly.months[0] == first_of_month(
        TODAY, 11
    )
    escort_month = first_of_month(TODAY - timedelta(days=120))
    assert monthly.minutes == {
        (first_of_month(TODAY), "meal"): 60,
        (first_of_month(TODAY, 1), "cleaning"): 90,
        (first_of_month(TODAY, 1), "meal"): 30,
        (escort_month, "escort"): 120,
    }
    assert monthly.total == 300
    assert monthly.month_total(first_of_month(TODAY, 1)) == 120
    assert monthly.categories == ["escort", "cleaning", "meal"]  # most first; a tie by code


def test_active_volunteers_served_in_the_last_ninety_days(world, community, other):
    count = active_volunteers([community.id, other.id], today=TODAY)
    assert count.of(community.id) == 2  # vol1 and vol2; vol3 served 120 days ago
    assert count.of(other.id) == 1
    assert count.total == 3


def test_a_volunteer_serving_two_communities_counts_once_in_the_total(world, community, other):
    visit(world["vol1"], world["elderB"], "haircut", 30, TODAY)
    count = active_volunteers([community.id, other.id], today=TODAY)
    assert (count.of(community.id), count.of(other.id), count.total) == (2, 2, 3)
    street = active_volunteers([community.id, other.id], today=TODAY, street_id=other.street_id)
    assert (street.of(community.id), street.of(other.id), street.total) == (2, 2, 3)


def test_active_volunteers_are_summed_from_the_day_of_each_ones_last_visit(world, community):
    """Each volunteer stands in the row of their last day served; a later visit moves them
    there (an earlier one moves nothing), and the count reads those rows, not the
    volunteers; ledger verify notices a day row that is off by one."""

    def days(table, scope):
        return db.session.execute(
            select(table.day, table.volunteers)
            .where(scope, table.volunteers != 0)
            .order_by(table.day)
        ).all()

    in_community = VolunteerDay.community_id == community.id
    assert days(VolunteerDay, in_community) == [
        (TODAY - timedelta(days=120), 1),  # vol3
        (first_of_month(TODAY, 1), 1),  # vol2
        (TODAY, 1),  # vol1 (who served last month and a year ago too)
    ]
    visit(world["vol3"], world["elder1"], "meal", 30, TODAY - timedelta(days=10))  # 120 → 10
    visit(world["vol2"], world["elder1"], "meal", 30, first_of_month(TODAY, 2))  # earlier
    db.session.flush()
    assert days(VolunteerDay, in_community) == sorted(
        [(first_of_month(TODAY, 1), 1), (TODAY - timedelta(days=10), 1), (TODAY, 1)]
    )
    street_days = days(StreetVolunteerDay, StreetVolunteerDay.street_id == community.street_id)
    assert sum(n for _day, n in street_days) == 4  # three here and volB
    with counted_statements() as statements:
        count = active_volunteers([community.id], today=TODAY)
    assert count.of(community.id) == 3
    assert not any("volunteer_activity" in s or "service_records" in s for s in statements)
    assert verify_ledger(db.session) == []
    db.session.execute(
        VolunteerDay.__table__.update()
        .where(in_community, VolunteerDay.day == TODAY)
        .values(volunteers=VolunteerDay.volunteers + 1)
    )
    assert any("volunteer_days" in str(problem) for problem in verify_ledger(db.session))


def test_the_migration_fills_the_volunteer_days_from_the_last_days(world):
    """Volunteers counted before the day rows existed are put in them by migration 0025."""
    db.session.commit()
    expected = volunteer_days.stored(db.session)
    assert expected["volunteer_days"] and expected["street_volunteer_days"]
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0024")
    upgrade(directory=MIGRATIONS)
    assert volunteer_days.stored(db.session) == expected
    assert verify_ledger(db.session) == []


def test_elders_served_are_distinct_people_aged_65_with_confirmed_visits(world, community, other):
    ids = [community.id, other.id]
    year = elders_served(ids, start=first_of_month(TODAY, 11), end=TODAY, as_of=TODAY)
    assert (year.of(community.id), year.total) == (2, 3)
    today_only = elders_served([community.id], start=TODAY, end=TODAY, as_of=TODAY)
    assert today_only.total == 1  # elder1; elder2's visit today is only pending


def test_elders_served_over_the_months_shown_sum_people_by_their_last_month(world, community):
    """Each person served stands in the month of their last visit; a later visit moves them,
    a new birth date moves them to its year, and the figure reads those rows, not the
    people served month by month."""
    months = [first_of_month(TODAY, 11), TODAY]
    served = db.session.execute(
        select(ServedYear.birth_year, ServedYear.last_month, ServedYear.people)
        .where(ServedYear.community_id == community.id, ServedYear.people != 0)
        .order_by(ServedYear.birth_year)
    ).all()
    elder1, elder2 = world["elder1"], world["elder2"]
    assert served == [
        (elder1.birth_date.year, first_of_month(TODAY), 1),  # served last month, then today
        (elder2.birth_date.year, first_of_month(TODAY, 1), 1),  # four months ago, last month
    ]
    update_member_flags(
        elder2,
        by=world["coordinator"],
        is_volunteer=False,
        is_priority=False,
        has_hardship=False,
        birth_date=date(1990, 5, 1),
    )
    db.session.flush()
    with counted_statements() as statements:
        after = elders_served([community.id], start=months[0], end=months[1], as_of=TODAY)
    assert after.total == 1  # elder2 is now 30+ years too young
    assert not any("recipient_months" in s or "JOIN users" in s for s in statements)
    assert (
        db.session.scalar(
            select(ServedYear.people).where(
                ServedYear.community_id == community.id, ServedYear.birth_year == 1990
            )
        )
        == 1
    )
    assert verify_ledger(db.session) == []


def test_share_of_members_aged_65_counts_residents_not_staff(world, community, other):
    shares = elder_share([community.id, other.id], as_of=TODAY)
    a = shares[community.id]
    assert (a.members, a.elders, a.unknown_age, a.percent) == (7, 2, 1, 29)
    assert shares[other.id].percent == 50


def test_liability_by_age_band_balances_against_the_guarantee_account(world, community):
    owed = liability([community.id], as_of=TODAY)[community.id]
    assert owed.stored_by_band == {
        "under_40": 30,
        "40_54": 100,  # the 50-year-old's top-up; the coordinator (40) holds nothing
        "55_64": 170 + 120,
        "65_74": 0,
        "75_plus": 0,
        "unknown": 0,
    }
    assert owed.holders_by_band["40_54"] == 2
    assert owed.stored == 420
    assert owed.guarantee == -440
    assert owed.fund == 20
    assert owed.stored + owed.guarantee + owed.fund == 0
    assert owed.bands[-1] == "unknown"


def test_street_liability_adds_up_its_communities(world, community, other):
    per = liability([community.id, other.id], as_of=TODAY)
    total = total_liability(per)
    assert total.stored == 420 + 60
    assert total.guarantee == -440 - 60


def test_age_bands_change_on_the_birthday(app, make_member, community):
    as_of = date(2024, 2, 29)
    turning = make_member("今天满65", age=None)
    turning.birth_date = years_before(as_of, 65)  # 1959-02-28
    not_yet = make_member("明天满65", age=None)
    not_yet.birth_date = date(1959, 3, 1)
    leap = make_member("闰日生", age=None)
    leap.birth_date = date(1949, 2, 28)  # 75 on 28 Feb 2024
    for member in (turning, not_yet, leap):
        top_up(member, 10)
    owed = liability([community.id], as_of=as_of)[community.id]
    assert owed.holders_by_band == {"65_74": 1, "55_64": 1, "75_plus": 1}
    assert turning.age_on(as_of) == 65 and not_yet.age_on(as_of) == 64
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)


def test_figures_scope_is_the_community_or_the_street(world, community, other, make_member):
    assert figures_scope(world["coordinator"]).ids == [community.id]
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN)
    street = figures_scope(admin)
    assert sorted(street.ids) == sorted([community.id, other.id]) and street.street_wide
    with pytest.raises(NotAllowed):
        figures_scope(world["vol1"])


def test_figures_for_a_street_admin_add_up_every_community(world, community, make_member):
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN)
    figures = figures_for(admin, today=TODAY)
    assert figures.monthly.total == 360
    assert figures.confirmed_by_community[community.id] == 300
    assert (figures.share.members, figures.share.elders, figures.share.percent) == (9, 3, 33)
    assert figures.elders.total == 3
