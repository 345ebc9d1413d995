"""Civic figures: what each month counts, the medians and shares, who may read them, the
page and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest

from civic.contact_day_models import ContactDay, ContactDayStatus
from civic.errors import NotAllowed
from civic.figures import _utc, civic_figures
from civic.organisation_models import Organisation, OrganisationKind
from civic.place_models import Compound
from civic.problem_models import Problem, ProblemStatus
from civic.repair_models import Repair, RepairStatus
from extensions import db
from tests.conftest import login

MARCH = date(2026, 3, 1)


def at(day: date, hour: int = 10) -> datetime:
    """A local time of day as the database keeps it (naive UTC)."""
    return _utc(day) + timedelta(hours=hour)


@pytest.fixture
def compound(community) -> Compound:
    found = Compound(community_id=community.id, name="桂花新村")
    db.session.add(found)
    db.session.flush()
    return found


def problem(
    compound,
    reporter,
    *,
    created,
    category="lighting",
    closed=None,
    due=None,
    rating=None,
    status=ProblemStatus.REPORTED,
    merged_into=None,
) -> Problem:
    found = Problem(
        community_id=compound.community_id,
        compound_id=compound.id,
        category=category,
        description="灯坏了",
        reporter_id=reporter.id,
        entered_by_id=reporter.id,
        status=status,
        created_at=created,
        closed_at=closed,
        finished_at=closed + timedelta(days=1) if rating else None,
        due_on=due,
        rating=rating,
        merged_into_id=merged_into,
    )
    db.session.add(found)
    db.session.flush()
    return found


def test_each_month_counts_reports_closings_ratings_repairs_and_contact_days(
    compound, elder, coordinator
):
    closed = ProblemStatus.CONFIRMED
    first = problem(
        compound,
        elder,
        created=at(date(2026, 3, 2)),
        closed=at(date(2026, 3, 5)),
        due=date(2026, 3, 6),
        rating=5,
        status=closed,
    )
    problem(
        compound,
        elder,
        created=at(date(2026, 3, 3)),
        category="drains",
        closed=at(date(2026, 3, 13)),
        due=date(2026, 3, 10),
        rating=2,
        status=closed,
    )
    problem(compound, elder, created=at(date(2026, 3, 20)), category="drains")
    # merged into the first: the same problem, counted once
    problem(
        compound,
        elder,
        created=at(date(2026, 3, 4)),
        status=ProblemStatus.MERGED,
        merged_into=first.id,
    )
    # reported in February, closed in March (late: due in February)
    problem(
        compound,
        elder,
        created=at(date(2026, 2, 10)),
        closed=at(date(2026, 3, 1), 1),
        due=date(2026, 2, 28),
        status=ProblemStatus.CLOSED,
    )
    company = Organisation(
        street_id=compound.community.street_id, name="物业", kind=OrganisationKind.PROPERTY_COMPANY
    )
    db.session.add(company)
    db.session.flush()
    for n, status in enumerate((RepairStatus.DONE, RepairStatus.VISITED)):
        db.session.add(
            Repair(
                community_id=compound.community_id,
                compound_id=compound.id,
                resident_id=elder.id,
                entered_by_id=elder.id,
                organisation_id=company.id,
                description="水龙头漏水",
                window_start=at(date(2026, 3, 7)),
                window_end=at(date(2026, 3, 7), 12),
                status=status,
                confirmed_at=at(date(2026, 3, 8)) if status == RepairStatus.DONE else None,
                rating=4,
                idempotency_key=f"repair-{n}",
            )
        )
    db.session.add(
        ContactDay(
            community_id=compound.community_id,
            held_on=date(2026, 3, 15),
            starts_at=time(9),
            place="活动室",
            status=ContactDayStatus.HELD,
            created_by_id=coordinator.id,
        )
    )
    db.session.flush()

    figures = civic_figures(coordinator, start=date(2026, 2, 1), end=date(2026, 3, 31))
    assert figures.months == [date(2026, 2, 1), MARCH]
    march = figures.month_total(MARCH)
    assert march.reported == {"lighting": 1, "drains": 2}
    assert march.closed == 3
    assert sorted(march.days_to_close) == [3, 10, 19]
    assert march.median_days == 10
    assert (march.closed_in_time, march.closed_with_deadline) == (1, 3)
    assert march.in_time_percent == 33
    assert march.satisfaction == 3.5
    assert (march.repairs_done, march.repair_ratings) == (1, [4])
    assert march.contact_days == 1
    assert figures.month_total(date(2026, 2, 1)).reported == {"lighting": 1}
    assert figures.categories() == ["drains", "lighting"]
    assert figures.total().reported_total == 4


def test_a_day_is_a_local_day(compound, elder, coordinator):
    # 23:30 on 31 March in Shanghai is still March, though it is 15:30 UTC
    problem(compound, elder, created=at(date(2026, 3, 31), 23) + timedelta(minutes=30))
    figures = civic_figures(coordinator, start=MARCH, end=date(2026, 4, 30))
    assert figures.month_total(MARCH).reported_total == 1
    assert figures.month_total(date(2026, 4, 1)).reported_total == 0


def test_members_are_refused_and_each_coordinator_reads_their_own(
    people, compound, elder, far_people
):
    problem(compound, elder, created=at(date(2026, 3, 2)))
    for who in ("elder", "family", "volunteer"):
        with pytest.raises(NotAllowed):
            civic_figures(people[who], start=MARCH, end=date(2026, 3, 31))
    period = {"start": MARCH, "end": date(2026, 3, 31)}
    assert civic_figures(people["coordinator"], **period).total().reported_total == 1
    assert civic_figures(people["street_admin"], **period).total().reported_total == 1
    assert civic_figures(people["other_coordinator"], **period).total().reported_total == 0
    assert civic_figures(far_people["far_street_admin"], **period).total().reported_total == 0


def test_the_page_and_the_csv(client, compound, elder, coordinator):
    problem(compound, elder, created=at(date(2026, 3, 2)), category="road")
    db.session.commit()
    login(client, coordinator)
    page = client.get("/civic/figures/?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200
    assert 'data-testid="months-table"' in page.get_data(as_text=True)
    bad = client.get("/civic/figures/?start=2026-04-01&end=2026-03-01")
    assert bad.status_code == 400
    assert client.get("/civic/figures/?start=not-a-day").status_code == 400
    download = client.get("/civic/figures/figures.csv?start=2026-03-01&end=2026-03-31")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][:3] == [compound.community.name, "2026-03", "1"]
    assert client.get("/civic/figures/figures.csv?end=1800-01-01").status_code == 400


def test_a_member_gets_403(client, elder):
    login(client, elder)
    assert client.get("/civic/figures/").status_code == 403
    assert client.get("/civic/figures/figures.csv").status_code == 403
