"""Finding providers: filters, Chinese substring search and the Bayesian ranking.

Ranking. A provider with one 5★ review should not outrank one with forty
reviews averaging 4.8, so cards are ordered by a Bayesian average::

    score = (C · m + rating_sum) / (C + rating_count)

where ``m`` is the mean of every rating of every visible (verified) provider
and ``C`` = PRIOR_WEIGHT (5): each provider starts as if it had five ratings
of ``m``, and its own ratings pull it away from there as they accumulate.
The raw average and the count are always shown beside the score.

One page of cards costs a constant number of queries whatever its length: one
for the cards (the cheapest un-paused item comes from a grouped subquery) and
one for the names of the communities they serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from community.models import Community, Street, User
from extensions import db
from marketplace.access import may_see_provider_phone
from marketplace.errors import NotFound
from marketplace.models import (
    CalendarException,
    Provider,
    ProviderCommunity,
    ProviderKind,
    ProviderStatus,
    ServiceItem,
    WeeklySlot,
)
from marketplace.review_models import Review

PRIOR_WEIGHT = 5
MAX_LIMIT = 50
SORTS = ("rank", "price", "reviews")


@dataclass(frozen=True, slots=True)
class ProviderCard:
    """What a browse page shows of one provider."""

    id: int
    name: str
    kind: str
    description: str
    category_codes: list[str]
    community_names: list[str]
    from_fen: int | None
    from_minutes: int | None
    rating_count: int
    rating_sum: int
    score: float

    @property
    def average(self) -> float | None:
        """The raw average of the stars (None without ratings)."""
        return self.rating_sum / self.rating_count if self.rating_count else None


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """A provider's rating: Bayesian score, raw average, count and the 1–5 distribution."""

    score: float
    average: float | None
    count: int
    # stars → how many visible reviews gave that many (keys 5 … 1)
    distribution: dict[int, int]


def mean_rating_expression() -> ColumnElement:
    """``m``: the mean of all ratings of verified providers (0 while there are none)."""
    totals = select(
        func.coalesce(func.sum(Provider.rating_sum), 0).label("total"),
        func.coalesce(func.sum(Provider.rating_count), 0).label("count"),
    ).where(Provider.status == ProviderStatus.VERIFIED)
    totals = totals.subquery("rating_totals")
    return select(
        case(
            (totals.c.count > 0, cast(totals.c.total, Float) / totals.c.count),
            else_=literal(0.0),
        )
    ).scalar_subquery()


def bayesian_score(rating_sum: int, rating_count: int, mean: float) -> float:
    """(C·m + sum) / (C + count), the formula the ranking query uses."""
    return (PRIOR_WEIGHT * mean + rating_sum) / (PRIOR_WEIGHT + rating_count)


def mean_rating() -> float:
    """``m`` for one provider's page (the browse query computes it inline)."""
    return float(db.session.scalar(_MEAN_RATING) or 0.0)


# Built once: each provider's page asks both (a statement made anew costs more to
# build and look up in SQLAlchemy's cache than these take to run).
_MEAN_RATING = select(mean_rating_expression())
_STARS = (
    select(Review.stars, func.count())
    .where(Review.provider_id == bindparam("provider_id"), Review.is_hidden.is_(False))
    .group_by(Review.stars)
)


def _cheapest():
    """Per provider: the lowest yuan and hour prices among its un-paused items."""
    return (
        select(
            ServiceItem.provider_id.label("provider_id"),
            func.min(ServiceItem.price_fen).label("from_fen"),
            func.min(ServiceItem.price_minutes).label("from_minutes"),
        )
        .where(ServiceItem.is_paused.is_(False))
        .group_by(ServiceItem.provider_id)
        .subquery("cheapest")
    )


def _serves_street(street_id) -> ColumnElement:
    return exists().where(
        ProviderCommunity.provider_id == Provider.id,
        ProviderCommunity.community_id == Community.id,
        Community.street_id == street_id,
    )


def _serves_community(community_id: int) -> ColumnElement:
    return exists().where(
        ProviderCommunity.provider_id == Provider.id,
        ProviderCommunity.community_id == community_id,
    )


def _open_on(day: date) -> ColumnElement:
    """A weekly slot on that weekday and no closing exception that day."""
    has_slot = exists().where(
        WeeklySlot.provider_id == Provider.id, WeeklySlot.weekday == day.weekday()
    )
    closed = exists().where(
        CalendarException.provider_id == Provider.id,
        CalendarException.on_date == day,
        or_(CalendarException.is_closed.is_(True), CalendarException.capacity == 0),
    )
    return and_(has_slot, ~closed)


def _matches(q: str) -> ColumnElement:
    """Substring match (LIKE '%q%', % and _ escaped): works for Chinese without word spaces."""
    item_title = exists().where(
        ServiceItem.provider_id == Provider.id,
        ServiceItem.is_paused.is_(False),
        ServiceItem.title.icontains(q, autoescape=True),
    )
    return or_(
        Provider.name.icontains(q, autoescape=True),
        Provider.description.icontains(q, autoescape=True),
        item_title,
    )


@cache
def _base_query():
    """The cards' select without the optional filters, built once per process.

    (Building the subqueries and the score expression costs more than running
    them on a page of twenty; the street is a bound parameter.)
    """
    cheapest = _cheapest()
    score = (
        (PRIOR_WEIGHT * mean_rating_expression() + Provider.rating_sum)
        / (PRIOR_WEIGHT + Provider.rating_count)
    ).label("score")
    base = (
        select(
            Provider.id,
            Provider.name,
            Provider.kind,
            Provider.description,
            Provider.categories,
            Provider.rating_count,
            Provider.rating_sum,
            cheapest.c.from_fen,
            cheapest.c.from_minutes,
            score,
        )
        .outerjoin(cheapest, cheapest.c.provider_id == Provider.id)
        .where(
            Provider.status == ProviderStatus.VERIFIED,
            _serves_street(bindparam("street_id", type_=Integer)),
        )
    )
    ties = (Provider.name, Provider.id)
    orders = {
        "rank": (score.desc(), Provider.rating_count.desc(), *ties),
        "price": (cheapest.c.from_fen.is_(None), cheapest.c.from_fen.asc(), *ties),
        "reviews": (Provider.rating_count.desc(), score.desc(), *ties),
    }
    return base, cheapest, orders


def browse(
    viewer: User | None,
    *,
    category: str | None = None,
    community_id: int | None = None,
    day: date | None = None,
    max_price_fen: int | None = None,
    min_stars: int | None = None,
    q: str | None = None,
    sort: str = "rank",
    limit: int = 20,
    offset: int = 0,
    street_id: int | None = None,
) -> list[ProviderCard]:
    """Verified providers serving a street (``street_id``, else the viewer's), filtered, ordered.

    ``sort``: "rank" (Bayesian score), "price" (cheapest first) or "reviews"
    (most reviewed first). Two queries whatever ``limit`` is. A visitor who
    has not signed in (``viewer`` None) must name the street, or ValueError.
    """
    base, cheapest, orders = _base_query()
    if street_id is None:
        if viewer is None:
            raise ValueError("a visitor's browse needs a street_id")
        street_id = viewer.community.street_id
    conditions = []
    if category:
        conditions.append(
            (literal(",") + Provider.categories + literal(",")).contains(f",{category},")
        )
    if community_id is not None:
        conditions.append(_serves_community(community_id))
    if day is not None:
        conditions.append(_open_on(day))
    if max_price_fen is not None:
        conditions.append(cheapest.c.from_fen <= max_price_fen)
    if min_stars is not None:
        conditions.append(
            and_(
                Provider.rating_count > 0, Provider.rating_sum >= min_stars * Provider.rating_count
            )
        )
    if q and q.strip():
        conditions.append(_matches(q.strip()))
    rows = db.session.execute(
        base.where(*conditions)
        .order_by(*orders[sort if sort in SORTS else "rank"])
        .limit(max(1, min(limit, MAX_LIMIT)))
        .offset(max(0, offset)),
        {"street_id": street_id},
    ).all()
    names = _community_names([row.id for row in rows], street_id)
    return [
        ProviderCard(
            id=row.id,
            name=row.name,
            kind=row.kind,
            description=row.description,
            category_codes=[c for c in row.categories.split(",") if c],
            community_names=names.get(row.id, []),
            from_fen=row.from_fen,
            from_minutes=row.from_minutes,
            rating_count=row.rating_count,
            rating_sum=row.rating_sum,
            score=float(row.score),
        )
        for row in rows
    ]


@cache
def _names_query():
    return (
        select(ProviderCommunity.provider_id, Community.name)
        .join(Community, Community.id == ProviderCommunity.community_id)
        .where(
            ProviderCommunity.provider_id.in_(bindparam("ids", expanding=True)),
            Community.street_id == bindparam("street_id", type_=Integer),
        )
        .order_by(Community.name)
    )


def _community_names(provider_ids: list[int], street_id: int) -> dict[int, list[str]]:
    """provider id → the names of the communities it serves in the street (one query)."""
    if not provider_ids:
        return {}
    names: dict[int, list[str]] = {}
    for provider_id, name in db.session.execute(
        _names_query(), {"ids": provider_ids, "street_id": street_id}
    ):
        names.setdefault(provider_id, []).append(name)
    return names


def visitors_street(asked: str | None) -> int | None:
    """The street a visitor (not signed in) browses: the one in ``asked`` (its id as
    given in the query), else the only street there is; None when they must choose.

    Raises NotFound for a street that does not exist.
    """
    if asked:
        # (at most 9 digits: a larger number would not fit the database's integer)
        if not (asked.isdigit() and len(asked) <= 9) or db.session.get(Street, int(asked)) is None:
            raise NotFound(_l("There is no such street."))
        return int(asked)
    ids = db.session.scalars(select(Street.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def streets() -> list[tuple[int, str]]:
    """Every street, (id, name) by name, for a visitor to choose from."""
    return [
        tuple(row)
        for row in db.session.execute(select(Street.id, Street.name).order_by(Street.name))
    ]


def shown_address(provider: Provider, viewer: User | None) -> str | None:
    """The provider's address as its page shows it: an individual's (often their home)
    only to signed-in members, never to a visitor."""
    if viewer is None and provider.kind == ProviderKind.INDIVIDUAL:
        return None
    return provider.address


def shown_contact_phone(provider: Provider, viewer: User | None) -> str | None:
    """The provider's contact phone as its page shows it, or None where the viewer may not
    see it (marketplace.access.may_see_provider_phone)."""
    if provider.contact_phone and may_see_provider_phone(viewer, provider):
        return provider.contact_phone
    return None


def rating_summary(provider: Provider) -> RatingSummary:
    """The provider page's rating block (hidden reviews count nowhere)."""
    counts = dict(db.session.execute(_STARS, {"provider_id": provider.id}).all())
    count, total = provider.rating_count, provider.rating_sum
    return RatingSummary(
        score=bayesian_score(total, count, mean_rating()),
        average=total / count if count else None,
        count=count,
        distribution={stars: counts.get(stars, 0) for stars in range(5, 0, -1)},
    )
