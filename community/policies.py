"""Community time-bank policies, set by the street admin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from community import audit
from community.errors import InvalidMember, NotPermitted
from community.models import Community, ElderPayer, GiftPolicy, Role, User
from community.signals import policy_changing
from extensions import db

POLICY_FIELDS = (
    "floor_minutes",
    "storage_cap_minutes",
    "daily_earning_cap_minutes",
    "redeem_min_age",
    "hardship_redeem_min_age",
    "elder_services_paid_by",
    "gift_recipients",
)


class InvalidPolicy(InvalidMember):
    """A policy value that cannot work."""


def may_set_policy(actor: User, community: Community) -> bool:
    """Street admins set the policies of their street's communities."""
    return actor.role == Role.STREET_ADMIN and actor.community.street_id == community.street_id


def update_policy(
    community: Community,
    *,
    by: User,
    floor_minutes: int,
    storage_cap_minutes: int,
    daily_earning_cap_minutes: int,
    redeem_min_age: int,
    hardship_redeem_min_age: int,
    elder_services_paid_by: str,
    gift_recipients: str,
) -> Community:
    """Change a community's time-bank policy.

    Accounts never break the new limits: a floor or cap that some member's
    balance already breaks is refused (the time bank answers policy_changing).
    The fields that change go into the audit log, before and after.
    Raises NotPermitted and InvalidPolicy (or the time bank's error).
    """
    if not may_set_policy(by, community):
        raise NotPermitted(_l("Only the street admin can change a community's rules."))
    if floor_minutes > 0 or floor_minutes < -100 * 60:
        raise InvalidPolicy(_l("The credit limit must be between 0 and 100 hours below zero."))
    if not 60 <= storage_cap_minutes <= 10_000 * 60:
        raise InvalidPolicy(_l("The storage cap must be between 1 and 10,000 hours."))
    if not 60 <= daily_earning_cap_minutes <= 24 * 60:
        raise InvalidPolicy(_l("The daily cap must be between 1 and 24 hours."))
    if not 18 <= hardship_redeem_min_age <= redeem_min_age <= 100:
        raise InvalidPolicy(
            _l(
                "Redeeming ages must be between 18 and 100, the hardship age no higher than the usual one."
            )
        )
    if elder_services_paid_by not in tuple(ElderPayer):
        raise InvalidPolicy(_l("Choose who pays for elders' services."))
    if gift_recipients not in tuple(GiftPolicy):
        raise InvalidPolicy(_l("Choose who may receive gifts."))
    policy_changing.send(
        community, floor_minutes=floor_minutes, storage_cap_minutes=storage_cap_minutes
    )
    wanted = {
        "floor_minutes": floor_minutes,
        "storage_cap_minutes": storage_cap_minutes,
        "daily_earning_cap_minutes": daily_earning_cap_minutes,
        "redeem_min_age": redeem_min_age,
        "hardship_redeem_min_age": hardship_redeem_min_age,
        "elder_services_paid_by": str(elder_services_paid_by),
        "gift_recipients": str(gift_recipients),
    }
    before = {name: getattr(community, name) for name in POLICY_FIELDS}
    changed = [name for name in POLICY_FIELDS if before[name] != wanted[name]]
    for name in changed:
        setattr(community, name, wanted[name])
    db.session.flush()
    if changed:  # saving the same rules again changes nothing, so records nothing
        audit.record(
            audit.Action.POLICY_CHANGED,
            actor=by,
            community=community,
            target=f"community:{community.id}",
            before={name: before[name] for name in changed},
            after={name: wanted[name] for name in changed},
        )
    return community
