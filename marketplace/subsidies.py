"""Community subsidies: which rule pays part of a booking, the monthly budget, the report.

A rule belongs to one community: so many fen off each unit of a category (or of
every category), for residents of at least an age, within a monthly budget.
A booking reserves its part when it is made (the month's row locked, so two
bookings can never spend the same last yuan), uses it when it completes and
gives it back when it ends without service. The database refuses a month whose
spending would pass its budget, whatever the code here does.

A community's rules and report are its coordinators' and its street admin's
(community.reach); every change of a rule or a budget is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community import audit
from community.audit import Action
from community.models import Community, User
from community.reach import community_condition, coordinates_community
from extensions import db
from marketplace.booking_models import (
    Booking,
    SubsidyGrant,
    SubsidyGrantStatus,
    SubsidyMonth,
    SubsidyRule,
)
from marketplace.clock import local_today, month_start, to_local
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.formatting import format_yuan
from marketplace.models import ServiceCategory, ServiceItem

CATEGORIES = tuple(c.value for c in ServiceCategory)
MAX_MONTHLY_BUDGET_FEN = 1_000_000_000  # ¥10 million: well inside the INTEGER column


# --- which rule, how much ---------------------------------------------------------


def matching_rule(resident: User, category: str, day: date) -> SubsidyRule | None:
    """The first active rule of the resident's community for ``category`` and their age on ``day``."""
    rules = db.session.scalars(
        select(SubsidyRule)
        .where(
            SubsidyRule.community_id == resident.community_id,
            SubsidyRule.is_active.is_(True),
            (SubsidyRule.category == category) | SubsidyRule.category.is_(None),
        )
        .order_by(SubsidyRule.id)
    )
    age = resident.age_on(day)
    for rule in rules:
        if rule.min_age is None or (age is not None and age >= rule.min_age):
            return rule
    return None


def _month_row(rule_id: int, month: date, *, lock: bool) -> SubsidyMonth | None:
    query = select(SubsidyMonth).where(SubsidyMonth.rule_id == rule_id, SubsidyMonth.month == month)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _left(rule: SubsidyRule, row: SubsidyMonth | None) -> int:
    if row is None:
        return rule.monthly_budget_fen
    return max(row.budget_fen - row.spent_fen, 0)


def _wanted(rule: SubsidyRule, quantity: int, total_fen: int) -> int:
    return min(rule.fen_per_unit * quantity, total_fen)


def estimate(resident: User, item: ServiceItem, quantity: int, day: date) -> int:
    """The fen the community would pay for ``quantity`` of ``item`` on ``day`` (0 if none).

    Reads the month without locking it: what ``reserve`` finally grants may be less.
    """
    rule = matching_rule(resident, item.category, day)
    if rule is None:
        return 0
    wanted = _wanted(rule, quantity, item.price_fen * quantity)
    return min(wanted, _left(rule, _month_row(rule.id, month_start(day), lock=False)))


def _locked_month(rule: SubsidyRule, month: date) -> SubsidyMonth:
    """The rule's month row, locked; created with the rule's budget if it is the first."""
    row = _month_row(rule.id, month, lock=True)
    if row is not None:
        return row
    # Two first bookings of a month may both try to create the row; the loser's
    # savepoint rolls back and it locks the winner's row instead.
    try:
        with db.session.begin_nested():
            row = SubsidyMonth(
                rule_id=rule.id, month=month, budget_fen=rule.monthly_budget_fen, spent_fen=0
            )
            db.session.add(row)
    except IntegrityError:
        row = _month_row(rule.id, month, lock=True)
        if row is None:  # pragma: no cover - the other insert must be visible now
            raise
    return row


def booking_day(booking: Booking) -> date:
    """The local (Shanghai) day a booking takes place: its subsidy month and the age check."""
    return to_local(booking.starts_at).date()


def reserve(booking: Booking, *, now: datetime | None = None) -> int:
    """Reserve the booking's subsidy from its rule's month budget; return the fen granted.

    Sets ``booking.subsidy_fen`` and writes a reserved SubsidyGrant (nothing when
    no rule matches or the budget is used up). ``now`` is accepted for symmetry
    with the other booking services; the month is the booking's own day.
    """
    del now
    resident = booking.resident or db.session.get(User, booking.resident_id)
    day = booking_day(booking)
    rule = matching_rule(resident, booking.category, day)
    if rule is None:
        booking.subsidy_fen = 0
        return 0
    month = month_start(day)
    row = _locked_month(rule, month)
    amount = min(_wanted(rule, booking.quantity, booking.total_fen), _left(rule, row))
    if amount <= 0:
        booking.subsidy_fen = 0
        return 0
    row.spent_fen += amount
    booking.subsidy_fen = amount
    if booking.id is None:
        db.session.add(booking)
        db.session.flush()
    db.session.add(
        SubsidyGrant(
            rule_id=rule.id,
            booking_id=booking.id,
            community_id=rule.community_id,
            month=month,
            amount_fen=amount,
            status=SubsidyGrantStatus.RESERVED,
        )
    )
    db.session.flush()
    return amount


def grant_for(booking: Booking) -> SubsidyGrant | None:
    """The booking's subsidy grant, if it drew one."""
    if booking.id is None:
        return None
    return db.session.scalar(select(SubsidyGrant).where(SubsidyGrant.booking_id == booking.id))


def give_back(booking: Booking) -> int:
    """Return the booking's subsidy to its month's budget; return the fen given back (0 if none).

    A grant already returned is left alone, so calling this twice gives back once.
    """
    grant = grant_for(booking)
    if grant is None or grant.status == SubsidyGrantStatus.RETURNED:
        return 0
    row = _month_row(grant.rule_id, grant.month, lock=True)
    if row is not None:
        row.spent_fen = max(row.spent_fen - grant.amount_fen, 0)
    grant.status = SubsidyGrantStatus.RETURNED
    db.session.flush()
    return grant.amount_fen


def mark_used(booking: Booking) -> None:
    """Record that the booking's reserved subsidy was spent on a completed service."""
    grant = grant_for(booking)
    if grant is not None and grant.status == SubsidyGrantStatus.RESERVED:
        grant.status = SubsidyGrantStatus.USED
        db.session.flush()


# --- rules -------------------------------------------------------------------------


def check_may_manage(actor: User, community: Community) -> None:
    """Raise NotAllowed unless ``actor`` coordinates ``community`` (or is its street's admin)."""
    if not coordinates_community(actor, community):
        raise NotAllowed(_l("Only a coordinator of this community may change its subsidies."))


def manageable_communities(actor: User) -> list[Community]:
    """The communities whose subsidies ``actor`` may see and change (none for members)."""
    return list(
        db.session.scalars(
            select(Community)
            .where(community_condition(actor, Community.id))
            .order_by(Community.name)
        )
    )


def _rule_values(rule: SubsidyRule) -> dict:
    """What the audit log keeps of a rule, before and after a change."""
    return {
        "name": rule.name,
        "category": rule.category,
        "min_age": rule.min_age,
        "fen_per_unit": rule.fen_per_unit,
        "monthly_budget_fen": rule.monthly_budget_fen,
        "is_active": rule.is_active,
    }


def _audit(rule: SubsidyRule, by: User, before: dict | None) -> None:
    audit.record(
        Action.SUBSIDY_CHANGED,
        actor=by,
        community=rule.community,
        target=f"subsidy_rule:{rule.id}",
        before=before,
        after=_rule_values(rule),
    )


def _check_budget(monthly_budget_fen: int) -> None:
    """Raise InvalidInput unless the budget is from ¥0 to MAX_MONTHLY_BUDGET_FEN."""
    if monthly_budget_fen < 0:
        raise InvalidInput(_l("The monthly budget cannot be below ¥0."))
    if monthly_budget_fen > MAX_MONTHLY_BUDGET_FEN:
        raise InvalidInput(
            _l(
                "The monthly budget can be at most %(max)s.",
                max=format_yuan(MAX_MONTHLY_BUDGET_FEN),
            )
        )


def _check_rule_values(name: str, category: str | None, min_age: int | None, fen_per_unit: int):
    if not name.strip():
        raise InvalidInput(_l("Give the subsidy a name."))
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(_l("Choose a kind of service, or all kinds."))
    if min_age is not None and not 0 <= min_age <= 150:
        raise InvalidInput(_l("Enter an age between 0 and 150, or leave it empty."))
    if fen_per_unit <= 0:
        raise InvalidInput(_l("The amount off each unit must be more than ¥0."))


def create_rule(
    community: Community,
    *,
    name: str,
    category: str | None,
    min_age: int | None,
    fen_per_unit: int,
    monthly_budget_fen: int,
    by: User,
) -> SubsidyRule:
    """Start a subsidy for ``community``.

    Raises NotAllowed, InvalidInput, and Conflict (an active subsidy of that name exists).
    """
    check_may_manage(by, community)
    _check_rule_values(name, category, min_age, fen_per_unit)
    _check_budget(monthly_budget_fen)
    # Also what makes a replayed form harmless: the same name twice is refused.
    same_name = db.session.scalar(
        select(SubsidyRule.id).where(
            SubsidyRule.community_id == community.id,
            SubsidyRule.name == name.strip(),
            SubsidyRule.is_active.is_(True),
        )
    )
    if same_name is not None:
        raise Conflict(_l("This community already has a subsidy with that name."))
    rule = SubsidyRule(
        community_id=community.id,
        name=name.strip(),
        category=category,
        min_age=min_age,
        fen_per_unit=fen_per_unit,
        monthly_budget_fen=monthly_budget_fen,
        is_active=True,
        created_by_id=by.id,
    )
    db.session.add(rule)
    db.session.flush()
    _audit(rule, by, None)
    return rule


def rule_for(actor: User, rule_id: int) -> SubsidyRule:
    """The rule ``rule_id`` if ``actor`` may manage it. Raises NotFound and NotAllowed."""
    rule = db.session.get(SubsidyRule, rule_id)
    if rule is None:
        raise NotFound(_l("This subsidy does not exist."))
    check_may_manage(actor, rule.community)
    return rule


def deactivate_rule(rule: SubsidyRule, *, by: User) -> None:
    """Stop a subsidy for new bookings (open bookings keep what they reserved).

    Raises NotAllowed and Conflict (already stopped).
    """
    check_may_manage(by, rule.community)
    if not rule.is_active:
        raise Conflict(_l("This subsidy was already stopped."))
    before = _rule_values(rule)
    rule.is_active = False
    db.session.flush()
    _audit(rule, by, before)


def change_budget(
    rule: SubsidyRule, monthly_budget_fen: int, *, by: User, now: datetime | None = None
) -> None:
    """Set a rule's monthly budget, from this month on.

    Raises NotAllowed, and InvalidInput when the new budget is below what this
    month has already spent or reserved.
    """
    check_may_manage(by, rule.community)
    _check_budget(monthly_budget_fen)
    before = _rule_values(rule)
    row = _month_row(rule.id, month_start(local_today(now)), lock=True)
    if row is not None:
        if monthly_budget_fen < row.spent_fen:
            raise InvalidInput(
                _l(
                    "This month %(spent)s is already spent or promised; "
                    "the budget cannot be lower than that.",
                    spent=format_yuan(row.spent_fen),
                )
            )
        row.budget_fen = monthly_budget_fen
    rule.monthly_budget_fen = monthly_budget_fen
    db.session.flush()
    _audit(rule, by, before)


def rules_of(community: Community, *, by: User) -> list[SubsidyRule]:
    """The community's rules, active first, oldest first. Raises NotAllowed unless ``by``
    coordinates the community."""
    check_may_manage(by, community)
    return list(
        db.session.scalars(
            select(SubsidyRule)
            .where(SubsidyRule.community_id == community.id)
            .order_by(SubsidyRule.is_active.desc(), SubsidyRule.id)
        )
    )


# --- report ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleMonth:
    """One rule's month: its budget, what was spent or reserved, by how many bookings and people."""

    rule: SubsidyRule
    month: date
    budget_fen: int
    spent_fen: int
    bookings: int
    residents: int

    @property
    def left_fen(self) -> int:
        return max(self.budget_fen - self.spent_fen, 0)


def report(community: Community, month: date, *, by: User) -> list[RuleMonth]:
    """Per rule of ``community`` (oldest first): the month's budget, spending and reach.

    Spending counts used and reserved grants; returned ones are back in the budget.
    Raises NotAllowed unless ``by`` coordinates the community.
    """
    check_may_manage(by, community)
    month = month_start(month)
    rules = list(
        db.session.scalars(
            select(SubsidyRule)
            .where(SubsidyRule.community_id == community.id)
            .order_by(SubsidyRule.id)
        )
    )
    if not rules:
        return []
    ids = [r.id for r in rules]
    months = {
        row.rule_id: row
        for row in db.session.scalars(
            select(SubsidyMonth).where(SubsidyMonth.rule_id.in_(ids), SubsidyMonth.month == month)
        )
    }
    counts = {
        rule_id: (bookings, residents)
        for rule_id, bookings, residents in db.session.execute(
            select(
                SubsidyGrant.rule_id,
                func.count(SubsidyGrant.id),
                func.count(func.distinct(Booking.resident_id)),
            )
            .join(Booking, Booking.id == SubsidyGrant.booking_id)
            .where(
                SubsidyGrant.rule_id.in_(ids),
                SubsidyGrant.month == month,
                SubsidyGrant.status != SubsidyGrantStatus.RETURNED,
            )
            .group_by(SubsidyGrant.rule_id)
        )
    }
    lines = []
    for rule in rules:
        row = months.get(rule.id)
        bookings, residents = counts.get(rule.id, (0, 0))
        lines.append(
            RuleMonth(
                rule=rule,
                month=month,
                budget_fen=row.budget_fen if row else rule.monthly_budget_fen,
                spent_fen=row.spent_fen if row else 0,
                bookings=bookings,
                residents=residents,
            )
        )
    return lines
