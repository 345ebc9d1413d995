"""Random histories keep the figures' summaries and the stored balances after each
transfer equal to a full recount, and the figures read from the summaries equal
the figures counted from history, on any day.

Each example builds a small street of two communities, then runs random
postings, reversals, holds (placed, released, settled), grants, visits
(confirmed, or disputed and settled, on days up to two months back), birth
dates that change (across band edges, on 29 February), suspensions and role
changes, through the services. After each step ``verify_ledger`` (which
recounts the summaries and every balance after) must be clean; at the end the
liability, elder share, hours per month and active volunteers from the
summaries must equal the same figures counted the old way from the people,
accounts and visits, for today and for days in the past and future.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.orm import aliased

from community.account_admin import change_role, reinstate_member, suspend_member
from community.models import ELDER_AGE, Role, Street, User
from community.services import create_member, found_community, update_member_flags
from errors import DomainError
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.clock import local_today
from timebank.figures import (
    active_volunteers,
    age_at_least,
    age_band,
    elder_share,
    elders_served,
    first_of_month,
    hours_by_month,
    liability,
    years_before,
)
from timebank.ledger import place_hold, post_transfer, release_hold, settle_hold
from timebank.models import Account, AccountKind, RecordStatus, ServiceRecord, Transfer
from timebank.statements import PageCursor, StatementFilter, statement_page
from timebank.transfers import grant_hours, reverse_transfer
from timebank.verify import verify_ledger
from timebank.visits import LATE_LOG_DAYS, confirm_visit, dispute_visit, log_visit
from timebank.visits import settle_dispute as settle_visit_dispute

from .support import key

_streets = itertools.count(1)
PEOPLE = 6  # per community
TODAY = local_today()

person = st.integers(min_value=0, max_value=2 * PEOPLE - 1)
amount = st.integers(min_value=1, max_value=90)
pick = st.integers(min_value=0, max_value=1000)
birth_dates = st.one_of(
    st.dates(min_value=date(1920, 1, 1), max_value=date(2005, 12, 31)),
    # the edges of the bands and of 65 on the days figures are read for
    st.sampled_from([40, 55, 64, 65, 66, 75]).flatmap(
        lambda age: st.sampled_from(
            [
                TODAY.replace(year=TODAY.year - age, month=1, day=1),
                TODAY.replace(year=TODAY.year - age, month=12, day=31),
                date(TODAY.year - age - (TODAY.year - age) % 4, 2, 29),
                # either side of the edge itself, read today
                years_before(TODAY, age),
                years_before(TODAY, age) + timedelta(days=1),
            ]
        )
    ),
)
operations = st.one_of(
    st.tuples(st.just("move"), person, person, amount),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("hold"), person, amount),
    st.tuples(st.just("release"), pick),
    st.tuples(st.just("settle"), pick, person),
    st.tuples(st.just("grant"), person, st.sampled_from(["fund", "guarantee"]), amount),
    st.tuples(
        st.just("visit"),
        person,
        person,
        amount,
        st.integers(min_value=0, max_value=LATE_LOG_DAYS),
        st.booleans(),
    ),
    st.tuples(st.just("born"), person, birth_dates | st.none()),
    st.tuples(st.just("suspend"), person),
    st.tuples(st.just("role"), person),
)
read_days = st.lists(
    st.one_of(
        st.just(TODAY),
        st.integers(min_value=-800, max_value=400).map(lambda d: TODAY + timedelta(days=d)),
        st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2025, 3, 1)]),
    ),
    min_size=2,
    max_size=4,
)


def build_street():
    """Two communities of six members (one a priority elder), a coordinator each and an admin."""
    n = next(_streets)
    street = Street(name=f"汇总街道{n}")
    db.session.add(street)
    db.session.flush()
    people, coordinators, communities = [], [], []
    for c in range(2):
        community = found_community(
            street_id=street.id, name=f"汇总社区{n}-{c}", daily_earning_cap_minutes=10**6
        )
        communities.append(community)
        coordinators.append(
            create_member(
                by=None, community=community, display_name=f"社工{n}-{c}", role=Role.COORDINATOR
            )
        )
        for i in range(PEOPLE):
            people.append(
                create_member(
                    by=None,
                    community=community,
                    display_name=f"居民{n}-{c}-{i}",
                    birth_date=None if i == 5 else TODAY.replace(year=TODAY.year - 30 - 10 * i),
                    is_volunteer=i < 3,
                    is_priority=i == 4,
                )
            )
    admin = create_member(
        by=None, community=communities[0], display_name=f"街道{n}", role=Role.STREET_ADMIN
    )
    for member in people:  # everyone starts with some hours from their guarantee account
        post_transfer(
            from_account_id=community_account(member.community_id, AccountKind.GUARANTEE).id,
            to_account_id=member_account(member).id,
            minutes=120,
            kind="adjustment",
            idempotency_key=key(),
            entered_by=None,
        )
    db.session.commit()
    return people, coordinators, admin, communities


def step(operation, people, coordinators, admin, transfers, holds) -> None:
    name, *args = operation
    someone = people[args[0] % len(people)] if args and isinstance(args[0], int) else None
    coordinator = coordinators[0 if someone is None else people.index(someone) // PEOPLE]
    if name == "move":
        target = people[args[1]]
        transfers.append(
            post_transfer(
                from_account_id=member_account(someone).id,
                to_account_id=member_account(target).id,
                minutes=args[2],
                kind="gift",
                idempotency_key=key(),
                entered_by=someone,
            )
        )
    elif name == "reverse" and transfers:
        original = db.session.get(Transfer, transfers[args[0] % len(transfers)])
        transfers.append(reverse_transfer(original, by=admin, reason="录错", idempotency_key=key()))
    elif name == "hold":
        holds.append(
            place_hold(
                account_id=member_account(someone).id,
                minutes=args[1],
                reason="预约",
                idempotency_key=key(),
                entered_by=coordinator,
            )
        )
    elif name == "release" and holds:
        release_hold(holds[args[0] % len(holds)], entered_by=coordinator)
    elif name == "settle" and holds:
        target = member_account(people[args[1]]).id
        transfers.append(
            settle_hold(holds[args[0] % len(holds)], to_account_id=target, entered_by=coordinator)
        )
    elif name == "grant":
        transfers.append(
            grant_hours(
                elder=someone,
                minutes=args[2],
                source=args[1],
                by=coordinator,
                memo="重点关爱",
                idempotency_key=key(),
            )
        )
    elif name == "visit":
        recipient, minutes, days_back, disputed = people[args[1]], args[2], args[3], args[4]
        record = log_visit(
            volunteer=someone,
            recipient=recipient,
            category=("companionship", "meal", "errands")[minutes % 3],
            service_date=TODAY - timedelta(days=days_back),
            minutes=minutes,
            entered_by=someone,
            idempotency_key=key(),
        )
        if disputed:
            dispute_visit(record, by=recipient, reason="时间不对")
            decider = coordinators[people.index(recipient) // PEOPLE]
            transfers.append(
                settle_visit_dispute(
                    record, by=decider, accept=True, note="核实", minutes=max(minutes // 2, 1)
                )
            )
        else:
            transfers.append(confirm_visit(record, by=recipient))
    elif name == "born":
        if args[1] is None:  # a birth date cannot be removed: keep it, change a flag
            update_member_flags(
                someone, by=coordinator, is_volunteer=not someone.is_volunteer,
                is_priority=someone.is_priority, has_hardship=someone.has_hardship,
            )  # fmt: skip
        else:
            update_member_flags(
                someone, by=coordinator, is_volunteer=someone.is_volunteer,
                is_priority=someone.is_priority, has_hardship=someone.has_hardship,
                birth_date=args[1],
            )  # fmt: skip
    elif name == "suspend":
        if someone.is_active_member:
            suspend_member(someone, by=coordinator, reason="外出")
        else:
            reinstate_member(someone, by=coordinator)
    elif name == "role":
        role = Role.MEMBER if someone.role == Role.COORDINATOR else Role.COORDINATOR
        change_role(someone, by=admin, role=role)


# --- the figures counted from history, as figures.py counted them before the summaries ---


def liability_from_history(ids: list[int], as_of: date) -> dict:
    holder = aliased(User)
    band = age_band(holder.birth_date, as_of)
    rows = db.session.execute(
        select(Account.community_id, band, func.sum(Account.balance_minutes), func.count())
        .join(holder, holder.id == Account.user_id)
        .where(Account.kind == AccountKind.MEMBER, Account.community_id.in_(ids))
        .group_by(Account.community_id, band)
    )
    return {(cid, code): (int(minutes), int(n)) for cid, code, minutes, n in rows}


def share_from_history(ids: list[int], as_of: date) -> dict:
    is_elder = case((age_at_least(User.birth_date, ELDER_AGE, as_of), 1), else_=0)
    unknown = case((User.birth_date.is_(None), 1), else_=0)
    rows = db.session.execute(
        select(User.community_id, func.count(), func.sum(is_elder), func.sum(unknown))
        .where(
            User.community_id.in_(ids),
            User.role == Role.MEMBER,
            User.is_active_member.is_(True),
        )
        .group_by(User.community_id)
    )
    return {cid: (int(n), int(e or 0), int(u or 0)) for cid, n, e, u in rows}


def visits_from_history(ids: list[int], today: date) -> tuple[dict, dict]:
    first = date(today.year - 1 + (today.month == 12), today.month % 12 + 1, 1)
    recipient = aliased(User)
    confirmed = and_(
        ServiceRecord.status == RecordStatus.CONFIRMED,
        recipient.community_id.in_(ids),
        ServiceRecord.service_date <= today,
    )
    year = extract("year", ServiceRecord.service_date)
    month = extract("month", ServiceRecord.service_date)
    monthly = {
        (date(int(y), int(m), 1), category): int(total)
        for y, m, category, total in db.session.execute(
            select(year, month, ServiceRecord.category, func.sum(ServiceRecord.minutes))
            .join(recipient, recipient.id == ServiceRecord.recipient_id)
            .where(confirmed, ServiceRecord.service_date >= first)
            .group_by(year, month, ServiceRecord.category)
        )
    }
    active = defaultdict(set)
    for cid, volunteer in db.session.execute(
        select(recipient.community_id, ServiceRecord.volunteer_id)
        .join(recipient, recipient.id == ServiceRecord.recipient_id)
        .where(confirmed, ServiceRecord.service_date >= today - timedelta(days=89))
    ):
        active[cid].add(volunteer)
    return monthly, dict(active)


def elders_from_history(ids: list[int], start: date, end: date, as_of: date) -> dict:
    recipient = aliased(User)
    rows = db.session.execute(
        select(recipient.community_id, func.count(func.distinct(ServiceRecord.recipient_id)))
        .join(recipient, recipient.id == ServiceRecord.recipient_id)
        .where(
            ServiceRecord.status == RecordStatus.CONFIRMED,
            recipient.community_id.in_(ids),
            ServiceRecord.service_date.between(start, end),
            age_at_least(recipient.birth_date, ELDER_AGE, as_of),
        )
        .group_by(recipient.community_id)
    )
    return dict(rows.all())


def assert_figures_match_history(communities, day: date) -> None:
    ids = [c.id for c in communities]
    from_summaries = {
        (cid, band): (minutes, owed.holders_by_band[band])
        for cid, owed in liability(ids, as_of=day).items()
        for band, minutes in owed.stored_by_band.items()
    }
    assert from_summaries == liability_from_history(ids, day), day
    shares = {
        cid: (s.members, s.elders, s.unknown_age) for cid, s in elder_share(ids, as_of=day).items()
    }
    assert shares == share_from_history(ids, day), day
    monthly, active = visits_from_history(ids, day)
    assert hours_by_month(ids, today=day).minutes == monthly, day
    count = active_volunteers(ids, today=day)
    assert count.by_community == {cid: len(v) for cid, v in active.items()}, day
    assert count.total == len(set().union(*active.values())), day
    # the street's two communities: the total from the street's rows
    street = active_volunteers(ids, today=day, street_id=communities[0].street_id)
    assert (street.by_community, street.total) == (count.by_community, count.total), day
    for start, end in (
        (first_of_month(day, 11), day),  # the page's default period
        (day - timedelta(days=40), day - timedelta(days=3)),  # parts of months
        (first_of_month(day, 1), first_of_month(day) - timedelta(days=1)),  # a whole month
    ):
        served = elders_served(ids, start=start, end=end, as_of=day)
        expected = elders_from_history(ids, start, end, day)
        assert served.by_community == expected, (start, end)
        assert served.total == sum(expected.values()), (start, end)  # one community each


def assert_last_page_balances(people) -> None:
    """The oldest page of each statement carries the balances a running sum gives."""
    for member in people:
        account = member_account(member).id
        rows = db.session.execute(
            select(Transfer.from_account_id, Transfer.amount_minutes)
            .where((Transfer.from_account_id == account) | (Transfer.to_account_id == account))
            .order_by(Transfer.id)
        ).all()
        running, total = [], 0
        for source, minutes in rows:
            total += -minutes if source == account else minutes
            running.append(total)
        oldest = statement_page(
            account, StatementFilter(), size=3, cursor=PageCursor(newer_than=0)
        ).lines
        assert [line.balance_after for line in oldest] == list(reversed(running[:3]))


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=8, max_size=20), days=read_days)
def test_random_histories_keep_summaries_equal_to_a_recount(app, steps, days):
    people, coordinators, admin, communities = build_street()
    transfers: list[int] = []
    holds: list[int] = []
    for operation in steps:
        try:
            step(operation, people, coordinators, admin, transfers, holds)
        except DomainError:
            db.session.rollback()
        else:
            db.session.commit()
        problems = [str(p) for p in verify_ledger(db.session)]
        assert problems == [], (operation, problems)
    for day in days:
        assert_figures_match_history(communities, day)
    assert_last_page_balances(people)
