"""The marketplace part of `seed-demo --scale N`: providers in every community, their menus,
and bookings and reviews in proportion to the members, as the demo street has them (about
two bookings for every five members, most of them done and rated).

Providers (run by residents) and their items go in through the ORM (a few dozen);
bookings and reviews, the bulk, with Core executemany. Each provider's rating totals are counted from its reviews
at the end, as the review service keeps them, and so are its earnings
(marketplace.earnings.rebuild).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from community.models import Community, Role, User, utcnow
from extensions import db
from marketplace import earnings
from marketplace.booking_models import Booking, BookingStatus
from marketplace.models import Provider, ProviderStatus, ServiceItem
from marketplace.review_models import Review
from timebank.accounts import open_provider_account

PROVIDERS_PER_COMMUNITY = 2
BOOKINGS_PER_MEMBER = 0.4
SHARE_DONE = 0.85  # of past bookings; the rest were cancelled or declined
SHARE_RATED = 0.75  # of those done
HISTORY_DAYS = 730
BATCH = 10_000
ITEMS = (("日常保洁（两小时）", 8000, 120), ("擦窗（半天）", 15000, 240))
STARS = (5, 5, 5, 4, 4, 3, 2)
REVIEW_TEXTS = ("阿姨很细心，准时。", "打扫得很干净。", "还可以。", "来晚了半小时。", "")

_bookings = Booking.__table__
_reviews = Review.__table__


def _providers(communities: list[Community], owners: dict[int, int]) -> list[Provider]:
    """Two verified housekeeping providers in each community, run by one of its residents
    (``owners``: community id → member id), each with two items."""
    providers = []
    for n, community in enumerate(communities, start=1):
        for k in range(PROVIDERS_PER_COMMUNITY):
            number = (n - 1) * PROVIDERS_PER_COMMUNITY + k + 1
            provider = Provider(
                name=f"{community.name[:4]}家政{k + 1}",
                kind="company",
                categories="housekeeping",
                contact_name=f"家政{number}",
                contact_phone=f"0512-6{number:07d}",
                owner_id=owners[community.id],
                street_id=community.street_id,
                account_id=open_provider_account(community.id).id,
                status=ProviderStatus.VERIFIED,
            )
            provider.communities = [community]
            db.session.add(provider)
            for title, fen, minutes in ITEMS:
                provider.items.append(
                    ServiceItem(
                        category="housekeeping",
                        title=title,
                        unit="visit",
                        price_fen=fen,
                        duration_minutes=minutes,
                    )
                )
            providers.append(provider)
    db.session.flush()
    return providers


def _booking_rows(rng: random.Random, providers, residents, count: int, first_id: int, now):
    """``count`` bookings of the community's providers by its residents, over the history
    and the coming month: (booking row, review row or None)."""
    by_community: dict[int, list[Provider]] = {}
    for provider in providers:
        by_community.setdefault(provider.communities[0].id, []).append(provider)
    for n in range(count):
        resident_id, community_id = rng.choice(residents)
        provider = rng.choice(by_community[community_id])
        item = rng.choice(provider.items)
        starts = now + timedelta(days=rng.uniform(-HISTORY_DAYS, 30))
        starts = starts.replace(minute=0, second=0, microsecond=0)
        ends = starts + timedelta(minutes=item.duration_minutes)
        if starts > now:
            status, done = rng.choice((BookingStatus.REQUESTED, BookingStatus.ACCEPTED)), None
        elif rng.random() < SHARE_DONE:
            status, done = BookingStatus.COMPLETED, ends
        else:
            status = rng.choice((BookingStatus.CANCELLED, BookingStatus.DECLINED))
            done = None
        booking_id = first_id + n
        row = {
            "id": booking_id,
            "provider_id": provider.id,
            "item_id": item.id,
            "resident_id": resident_id,
            "booked_by_id": resident_id,
            "community_id": community_id,
            "starts_at": starts,
            "ends_at": ends,
            "title": item.title,
            "category": item.category,
            "unit": item.unit,
            "unit_price_fen": item.price_fen,
            "total_fen": item.price_fen,
            "payment_method": "on_site",
            "status": status,
            "completed_at": done,
            "idempotency_key": f"scale-booking-{booking_id}",
            "created_at": starts - timedelta(days=2),
        }
        review = None
        if done is not None and rng.random() < SHARE_RATED:
            review = {
                "booking_id": booking_id,
                "provider_id": provider.id,
                "author_id": resident_id,
                "stars": rng.choice(STARS),
                "text": rng.choice(REVIEW_TEXTS),
                "created_at": done + timedelta(hours=rng.randint(1, 72)),
            }
        yield row, review


def _count_ratings(connection: Connection) -> None:
    """Each provider's rating totals from its visible reviews (as the review service keeps them)."""
    totals = connection.execute(
        select(Review.provider_id, func.count(), func.sum(Review.stars))
        .where(Review.is_hidden.is_(False))
        .group_by(Review.provider_id)
    ).all()
    if totals:
        connection.execute(
            update(Provider.__table__)
            .where(Provider.__table__.c.id == bindparam("provider"))
            .values(rating_count=bindparam("count"), rating_sum=bindparam("total")),
            [{"provider": p, "count": c, "total": int(t)} for p, c, t in totals],
        )


def seed_scale_market(rng: random.Random, communities: list[Community]) -> dict[str, int]:
    """Providers, bookings and reviews for the scaled street's members (flushes only).

    The first resident of each community (by id) runs its providers."""
    connection = db.session.connection()
    residents = connection.execute(
        select(User.id, User.community_id)
        .where(User.role == Role.MEMBER, User.phone.is_not(None))
        .order_by(User.id)
    ).all()
    owners: dict[int, int] = {}
    for member_id, community_id in residents:
        owners.setdefault(community_id, member_id)
    providers = _providers(communities, owners)
    count = int(len(residents) * BOOKINGS_PER_MEMBER)
    first_id = (connection.scalar(select(func.max(_bookings.c.id))) or 0) + 1
    now = utcnow().replace(second=0, microsecond=0)
    bookings, reviews, rated = [], [], 0
    for row, review in _booking_rows(rng, providers, residents, count, first_id, now):
        bookings.append(row)
        if review is not None:
            reviews.append(review)
        if len(bookings) >= BATCH:
            rated += _flush(connection, bookings, reviews)
    rated += _flush(connection, bookings, reviews)
    _count_ratings(connection)
    earnings.rebuild(connection)  # the bulk insert bypassed the flush that counts them
    return {"providers": len(providers), "bookings": count, "reviews": rated}


def _flush(connection: Connection, bookings: list, reviews: list) -> int:
    if bookings:
        connection.execute(insert(_bookings), bookings)
    if reviews:
        connection.execute(insert(_reviews), reviews)
    rated = len(reviews)
    bookings.clear()
    reviews.clear()
    return rated
