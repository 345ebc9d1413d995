"""The providers' earnings summary (marketplace.earnings) equals a recount of their bookings,
whatever steps the bookings go through (both databases).

A booking counts while it is completed: in the Shanghai month of its completion and
under its payment method. The steps are the real ones (marketplace.transitions and
marketplace.disputes): confirmed, disputed, upheld (completed again), refunded.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from community.models import utcnow
from extensions import db
from marketplace import dashboard, disputes, earnings, transitions
from marketplace.booking_models import Booking
from marketplace.clock import local_today, to_utc
from marketplace.earnings_models import ProviderEarningsMonth
from marketplace.errors import MarketplaceError
from tests.conftest import MIGRATIONS
from tests.timebank.support import top_up
from timebank.verify import verify_ledger


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def resident(elder):
    top_up(elder, 6000)
    return elder


def _delivered(make_booking, item, resident, now, method="on_site", days_ago=1):
    """An accepted booking the provider marked done ``days_ago`` days ago."""
    starts = now - timedelta(days=days_ago)
    return make_booking(
        item,
        resident,
        status="accepted",
        payment_method=method,
        starts_at=starts,
        delivered_at=starts + timedelta(hours=2),
        subsidy=False,
    )


def _rows() -> dict[tuple, tuple[int, int, int, int]]:
    return earnings.stored(db.session)


def test_a_booking_counts_while_completed(
    make_booking, cleaning, resident, coordinator, provider, now
):
    booking = _delivered(make_booking, cleaning, resident, now, method="hours")
    assert _rows() == {}
    transitions.confirm(booking, by=resident, now=now)
    month = earnings.month_of(now, booking.starts_at)
    assert _rows() == {(provider.id, month, "hours"): (1, 8000, 0, 120)}

    transitions.dispute(booking, by=resident, reason="没打扫干净", now=now)
    assert _rows() == {}  # the row stays, counting nothing
    disputes.resolve_dispute(booking, by=coordinator, outcome="uphold", note="做完了", now=now)
    assert _rows() == {(provider.id, month, "hours"): (1, 8000, 0, 120)}

    transitions.dispute(booking, by=resident, reason="还是不行", now=now)
    disputes.resolve_dispute(
        booking, by=coordinator, outcome="refund", refund_fen=8000, note="退", now=now
    )
    assert booking.status == "refunded"
    assert _rows() == {}
    assert earnings.differences(db.session) == []
    assert verify_ledger(db.session) == []


def test_the_month_is_the_shanghai_month_of_completion():
    # 16:30 UTC on 31 October is 00:30 on 1 November in Shanghai
    assert earnings.month_of(datetime(2026, 10, 31, 16, 30), datetime(2026, 10, 1)).month == 11
    assert earnings.month_of(datetime(2026, 10, 31, 15, 59), datetime(2026, 10, 1)).month == 10
    # without a completion time: the start's month
    assert earnings.month_of(None, datetime(2026, 9, 30, 17, 0)).month == 10


def test_a_completed_booking_added_directly_and_changed_is_counted(
    make_booking, cleaning, elder, provider, now
):
    """Seeds and tests add completed bookings as rows; the flush counts them, and counts
    again when what they count changes (the stored row says what to take out)."""
    booking = make_booking(cleaning, elder, status="completed", completed_at=now, subsidy=False)
    month = earnings.month_of(now, booking.starts_at)
    assert _rows() == {(provider.id, month, "on_site"): (1, 8000, 0, 0)}
    booking.subsidy_fen = 500
    booking.payment_method = "card"
    db.session.flush()
    assert _rows() == {(provider.id, month, "card"): (1, 8000, 500, 0)}
    db.session.delete(booking)
    db.session.flush()
    assert _rows() == {}


def test_a_booking_changed_without_its_other_columns_loaded_is_counted_right(
    make_booking, cleaning, elder, provider, now
):
    """After a commit a booking's columns are unloaded: changing only its status takes out
    what the stored row counted, not nothing."""
    booking = make_booking(cleaning, elder, status="completed", completed_at=now, subsidy=False)
    month = earnings.month_of(now, booking.starts_at)
    db.session.commit()
    booking.status = "disputed"  # nothing else of the booking is loaded
    db.session.flush()
    assert _rows() == {}
    db.session.commit()
    booking.status = "completed"
    db.session.flush()
    assert _rows() == {(provider.id, month, "on_site"): (1, 8000, 0, 0)}


def test_the_dashboard_reads_the_summary_not_the_bookings(
    make_booking, cleaning, elder, provider, now
):
    make_booking(cleaning, elder, status="completed", completed_at=now, subsidy=False)
    db.session.execute(update(ProviderEarningsMonth).values(total_fen=12345))
    month, all_time = dashboard.earnings_to_date(provider, local_today(now))
    assert month.total_fen == all_time.total_fen == 12345
    assert earnings.differences(db.session) == [
        f"provider_earnings_months ({provider.id}, {earnings.month_of(now, now)!r}, 'on_site'): "
        "stored (1, 12345, 0, 0), recounted (1, 8000, 0, 0)"
    ]


def test_verify_earnings_says_ok_or_names_the_row(app, make_booking, cleaning, elder, now):
    make_booking(cleaning, elder, status="completed", completed_at=now, subsidy=False)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["marketplace", "verify-earnings"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")
    db.session.execute(update(ProviderEarningsMonth).values(bookings=2))
    db.session.commit()
    result = runner.invoke(args=["marketplace", "verify-earnings"])
    assert result.exit_code == 1
    assert "stored (2, 8000, 0, 0), recounted (1, 8000, 0, 0)" in result.output


def test_the_migration_fills_the_summary_from_completed_bookings(
    app, make_booking, cleaning, resident, make_item, make_provider, now
):
    """Bookings completed before the summary existed are counted by migration 0023's SQL
    (each month is Shanghai's: a completion at 16:30 UTC on a month's last day counts in
    the next)."""
    other = make_item(make_provider("别家"), "别家的保洁", price_fen=5000)
    last_day = to_utc(local_today(now).replace(day=1), time(0)) - timedelta(minutes=30)
    make_booking(cleaning, resident, status="completed", completed_at=now, subsidy=False)
    make_booking(cleaning, resident, status="completed", completed_at=last_day, subsidy=False)
    make_booking(other, resident, status="completed", payment_method="hours", subsidy=False)
    make_booking(other, resident, status="cancelled", subsidy=False)
    db.session.commit()
    expected = _rows()
    assert len(expected) == 3
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0021")
    upgrade(directory=MIGRATIONS)
    assert _rows() == expected
    assert earnings.differences(db.session) == []


# --- random steps keep the summary equal to a recount -----------------------------------

STEPS = ("confirm", "dispute", "uphold", "refund", "refund_part", "sweep")
steps = st.lists(
    st.tuples(st.sampled_from(STEPS), st.integers(min_value=0, max_value=3)),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=steps, methods=st.lists(st.sampled_from(["on_site", "hours"]), min_size=4))
@example(
    operations=[
        ("confirm", 0),
        ("dispute", 0),
        ("uphold", 0),
        ("sweep", 0),
        ("dispute", 1),
        ("refund_part", 1),
        ("dispute", 2),
        ("refund", 2),
    ],
    methods=["hours", "on_site", "hours", "on_site"],
)
def test_random_steps_keep_the_summary_equal_to_a_recount(
    operations, methods, make_booking, cleaning, resident, coordinator, now
):
    """Four delivered bookings (on site or in hours, one delivered three days ago so the
    sweep completes it) go through random steps; refused steps change nothing."""
    bookings = [
        _delivered(make_booking, cleaning, resident, now, method=methods[n], days_ago=1 + 2 * n)
        for n in range(4)
    ]
    for step, n in operations:
        booking = bookings[n]
        try:
            with db.session.begin_nested():
                if step == "confirm":
                    transitions.confirm(booking, by=resident, now=now)
                elif step == "dispute":
                    transitions.dispute(booking, by=resident, reason="不满意", now=now)
                elif step == "uphold":
                    disputes.resolve_dispute(
                        booking, by=coordinator, outcome="uphold", note="维持", now=now
                    )
                elif step in ("refund", "refund_part"):
                    fen = 8000 if step == "refund" else 3000
                    disputes.resolve_dispute(
                        booking, by=coordinator, outcome="refund", refund_fen=fen, note="退"
                    )
                else:
                    transitions.complete_due(now + timedelta(hours=1))
        except MarketplaceError:
            pass
        assert earnings.differences(db.session) == [], (step, n)
    assert verify_ledger(db.session) == []


# --- many completions of one provider's month at once ----------------------------------


def test_completions_at_once_add_up(app, make_booking, cleaning, make_member, backend, now):
    """Eight residents confirm at once: all eight land in the one summary row, no deadlock."""
    people = [make_member(f"居民{n}", age=70) for n in range(8)]
    ids = [_delivered(make_booking, cleaning, person, now).id for person in people]
    by_id = {booking_id: person.id for booking_id, person in zip(ids, people, strict=True)}
    db.session.commit()
    barrier = threading.Barrier(len(ids))
    crashed: list[BaseException] = []

    def run(booking_id: int) -> None:
        with app.app_context():
            try:
                from community.models import User

                barrier.wait()
                person = db.session.get(User, by_id[booking_id])
                transitions.confirm(db.session.get(Booking, booking_id), by=person, now=now)
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
    if backend == "sqlite":  # one writer at a time: a busy database may refuse some
        crashed = [e for e in crashed if "locked" not in str(e)]
    assert crashed == []
    db.session.expire_all()
    assert earnings.differences(db.session) == []
    if backend == "postgresql":
        (row,) = db.session.scalars(select(ProviderEarningsMonth))
        assert (row.bookings, row.total_fen) == (8, 64000)
