"""Providers: applying, a coordinator's verification, suspension, and the owner's settings.

A member applies for a provider (a company or themself as an individual); it
stays hidden from residents until a coordinator of a community it serves (or a
street admin of its street) verifies it. Status moves are few and fixed:
applied → verified | rejected, verified → suspended, suspended → verified.
Each decision is written to the audit log, with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from community import audit
from community.audit import Action
from community.models import Community, Role, User, utcnow
from extensions import db
from marketplace import notices
from marketplace.access import check_oversees_provider, check_runs_provider
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.models import (
    Provider,
    ProviderCommunity,
    ProviderKind,
    ProviderStatus,
    ServiceCategory,
)
from marketplace.provider_checks import ProviderChecks, audit_facts, clean_checks, record_check
from timebank.accounts import open_provider_account

S = ProviderStatus
# status → the statuses a coordinator may move it to
STATUS_MOVES: dict[str, frozenset[str]] = {
    S.APPLIED: frozenset({S.VERIFIED, S.REJECTED}),
    S.VERIFIED: frozenset({S.SUSPENDED}),
    S.SUSPENDED: frozenset({S.VERIFIED}),
    S.REJECTED: frozenset(),
}
CATEGORY_ORDER = tuple(c.value for c in ServiceCategory)
MAX_NOTICE_HOURS = 168
MIN_RESPONSE_HOURS, MAX_RESPONSE_HOURS = 1, 72


# --- checking input ------------------------------------------------------------------


def _text(value: str | None, max_length: int, label, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_l("Please fill in: %(field)s.", field=label))
    if len(text) > max_length:
        raise InvalidInput(
            _l("%(field)s is too long (at most %(n)s characters).", field=label, n=max_length)
        )
    return text


def clean_phone(raw: str | None) -> str:
    """The phone number's digits (spaces and dashes dropped). Raises InvalidInput."""
    phone = (raw or "").replace(" ", "").replace("-", "")
    if not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 20):
        raise InvalidInput(_l("Enter the contact phone as 7 to 20 digits."))
    return phone


def clean_categories(codes: Iterable[str]) -> str:
    """The categories as stored ("housekeeping,meals"). Raises InvalidInput."""
    chosen = set(codes)
    if not chosen:
        raise InvalidInput(_l("Choose at least one kind of service."))
    if not chosen <= set(CATEGORY_ORDER):
        raise InvalidInput(_l("Choose kinds of service from the list."))
    return ",".join(code for code in CATEGORY_ORDER if code in chosen)


def street_communities(street_id: int, community_ids: Iterable[int]) -> list[Community]:
    """The communities with these ids, all of the street ``street_id``. Raises InvalidInput."""
    ids = set(community_ids)
    if not ids:
        raise InvalidInput(_l("Choose at least one community to serve."))
    found = list(
        db.session.scalars(
            select(Community)
            .where(Community.id.in_(ids), Community.street_id == street_id)
            .order_by(Community.id)
        )
    )
    if len(found) != len(ids):
        raise InvalidInput(_l("You can only serve communities of your own street."))
    return found


# --- applying ------------------------------------------------------------------------


def apply_provider(
    *,
    by: User,
    name: str,
    kind: str,
    categories: Iterable[str],
    community_ids: Iterable[int],
    contact_name: str,
    contact_phone: str,
    address: str = "",
    licence_number: str = "",
    licence_details: str = "",
    description: str = "",
) -> Provider:
    """Apply for a provider run by ``by``; it waits (status applied) for a coordinator.

    Opens the provider's hour account. Raises InvalidInput for bad fields or
    communities outside the applicant's street, Conflict if ``by`` already has a
    provider that was not rejected.
    """
    if kind not in (ProviderKind.COMPANY, ProviderKind.INDIVIDUAL):
        raise InvalidInput(_l("Choose whether this is a company or an individual."))
    fields = {
        "name": _text(name, 80, _l("Name"), required=True),
        "contact_name": _text(contact_name, 40, _l("Contact person"), required=True),
        "contact_phone": clean_phone(contact_phone),
        "address": _text(address, 200, _l("Address")),
        "licence_number": _text(licence_number, 60, _l("Licence number")),
        "licence_details": _text(licence_details, 300, _l("Licence or credentials")),
        "description": _text(description, 1000, _l("Description")),
        "categories": clean_categories(categories),
    }
    street_id = by.community.street_id
    communities = street_communities(street_id, community_ids)
    # one applicant at a time: a double submit waits here and then sees the first one
    db.session.execute(select(User.id).where(User.id == by.id).with_for_update())
    if current_provider(by) is not None:
        raise Conflict(_l("You already have a provider. You can change it in your provider area."))
    account = open_provider_account(by.community_id)
    provider = Provider(
        kind=kind,
        status=S.APPLIED,
        owner_id=by.id,
        street_id=street_id,
        account_id=account.id,
        **fields,
    )
    provider.communities = communities
    db.session.add(provider)
    db.session.flush()
    return provider


def current_provider(owner: User) -> Provider | None:
    """The provider ``owner`` runs that was not rejected, if any."""
    return db.session.scalar(_CURRENT_PROVIDER, {"owner_id": owner.id})


# Built once: the provider's pages each ask it on every request.
_CURRENT_PROVIDER = (
    select(Provider)
    .where(Provider.owner_id == bindparam("owner_id"), Provider.status != S.REJECTED)
    .order_by(Provider.id.desc())
    .limit(1)
)


def latest_provider(owner: User) -> Provider | None:
    """The provider ``owner`` runs, else their latest (rejected) application, if any."""
    return current_provider(owner) or db.session.scalar(
        select(Provider).where(Provider.owner_id == owner.id).order_by(Provider.id.desc()).limit(1)
    )


def owned_provider(by: User) -> Provider:
    """The provider ``by`` runs (not rejected). Raises NotFound if they run none."""
    provider = current_provider(by)
    if provider is None:
        raise NotFound(_l("You do not run a provider yet."))
    return provider


def get_provider(provider_id: int, *, lock: bool = False) -> Provider:
    """The provider with this id. Raises NotFound."""
    query = select(Provider).where(Provider.id == provider_id)
    if lock:
        query = query.with_for_update()
    provider = db.session.scalar(query)
    if provider is None:
        raise NotFound(_l("No such provider."))
    return provider


def provider_for_review(provider_id: int, *, by: User) -> Provider:
    """The provider, for a coordinator who oversees it. Raises NotFound or NotAllowed."""
    provider = get_provider(provider_id)
    check_oversees_provider(by, provider)
    return provider


# --- a coordinator's decisions -------------------------------------------------------


def _decide(
    provider_id: int,
    *,
    by: User,
    decision: str,
    start: str,
    to: str,
    reason: str | None = None,
    checks: ProviderChecks | None = None,
) -> Provider:
    provider = get_provider(provider_id, lock=True)
    check_oversees_provider(by, provider)
    if runs_own(by, provider):
        raise NotAllowed(_l("You cannot decide about your own provider."))
    # verifying and reinstating both end verified; each starts from its own status
    if provider.status != start or to not in STATUS_MOVES[provider.status]:
        raise Conflict(
            _l("This provider's status has changed. Please reload the page and look again.")
        )
    # a reason is checked after who may decide, so outsiders learn nothing from it
    status_reason = "" if reason is None else _reason(reason)
    # making it bookable again needs the checks in person for childcare and meals
    checked = clean_checks(provider, checks) if to == S.VERIFIED else None
    before = {"status": provider.status, "reason": provider.status_reason}
    provider.status = to
    provider.status_reason = status_reason
    provider.decided_by_id = by.id
    provider.decided_at = utcnow()
    db.session.flush()
    if checked is not None:
        record_check(provider, checked, by=by, decision=decision)
    notices.provider_decided(provider)
    audit.record(
        Action.PROVIDER_DECIDED,
        actor=by,
        subject=provider.owner,
        target=f"provider:{provider.id}",
        before=before,
        after={"decision": decision, "status": to, "reason": status_reason} | audit_facts(checked),
    )
    return provider


def runs_own(actor: User, provider: Provider) -> bool:
    return actor.id == provider.owner_id


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(_l("Please give a reason; the provider will see it."))
    if len(text) > 300:
        raise InvalidInput(_l("The reason is too long (at most 300 characters)."))
    return text


def verify_provider(
    provider_id: int, *, by: User, checks: ProviderChecks | None = None
) -> Provider:
    """Verify an applied provider: residents can see and book it from now on.

    A childcare or meal provider needs ``checks`` (the licence number and the whole
    checklist, see marketplace.provider_checks), recorded with the decision.
    Raises NotFound, NotAllowed (not overseeing it, or one's own), Conflict (not applied),
    InvalidInput (checks missing, incomplete or unreadable).
    """
    return _decide(
        provider_id, by=by, decision="verify", start=S.APPLIED, to=S.VERIFIED, checks=checks
    )


def reject_provider(provider_id: int, *, by: User, reason: str) -> Provider:
    """Turn down an application, with a reason shown to the applicant.

    Raises InvalidInput (no reason), NotFound, NotAllowed, Conflict (not applied).
    """
    return _decide(
        provider_id, by=by, decision="reject", start=S.APPLIED, to=S.REJECTED, reason=reason or ""
    )


def suspend_provider(provider_id: int, *, by: User, reason: str) -> Provider:
    """Hide a verified provider from residents (its existing bookings stand), with a reason.

    Raises InvalidInput (no reason), NotFound, NotAllowed, Conflict (not verified).
    """
    return _decide(
        provider_id,
        by=by,
        decision="suspend",
        start=S.VERIFIED,
        to=S.SUSPENDED,
        reason=reason or "",
    )


def reinstate_provider(
    provider_id: int, *, by: User, checks: ProviderChecks | None = None
) -> Provider:
    """Make a suspended provider visible again.

    As when verifying, a childcare or meal provider needs ``checks`` again (whatever it
    was suspended for may have changed the premises or the staff).
    Raises NotFound, NotAllowed, Conflict (not suspended), InvalidInput (checks).
    """
    return _decide(
        provider_id,
        by=by,
        decision="reinstate",
        start=S.SUSPENDED,
        to=S.VERIFIED,
        checks=checks,
    )


@dataclass(frozen=True)
class ProviderQueues:
    """What a coordinator oversees: applications waiting, suspended and verified providers."""

    applied: list[Provider]
    suspended: list[Provider]
    verified: list[Provider]


def overseen_providers(by: User) -> ProviderQueues:
    """Providers serving a community ``by`` coordinates (a street admin: of their street).

    Raises NotAllowed for members who coordinate nothing.
    """
    if by.role == Role.STREET_ADMIN:
        query = select(Provider).where(Provider.street_id == by.community.street_id)
    elif by.role == Role.COORDINATOR:
        served = select(ProviderCommunity.provider_id).where(
            ProviderCommunity.community_id == by.community_id
        )
        query = select(Provider).where(Provider.id.in_(served))
    else:
        raise NotAllowed(_l("Only coordinators may see provider applications."))
    found = db.session.scalars(
        query.where(Provider.status != S.REJECTED)
        .options(selectinload(Provider.communities), selectinload(Provider.owner))
        .order_by(Provider.created_at, Provider.id)
    ).all()
    return ProviderQueues(
        applied=[p for p in found if p.status == S.APPLIED],
        suspended=[p for p in found if p.status == S.SUSPENDED],
        verified=[p for p in found if p.status == S.VERIFIED],
    )


# --- the owner's settings ------------------------------------------------------------


def check_may_edit(provider: Provider, by: User) -> None:
    """Raise NotAllowed unless ``by`` runs ``provider`` and it was not rejected."""
    check_runs_provider(by, provider)
    if provider.status == S.REJECTED:
        raise NotAllowed(_l("This application was turned down; it can no longer be changed."))


def update_provider_settings(
    provider_id: int,
    *,
    by: User,
    description: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    min_notice_hours: int,
    response_hours: int,
    community_ids: Iterable[int],
) -> Provider:
    """Change what the owner may change: description, contact, notice, answer time, communities.

    Raises NotFound, NotAllowed (not the owner, or rejected), InvalidInput.
    """
    provider = get_provider(provider_id, lock=True)
    check_may_edit(provider, by)
    if not (isinstance(min_notice_hours, int) and 0 <= min_notice_hours <= MAX_NOTICE_HOURS):
        raise InvalidInput(
            _l("The notice must be between 0 and %(max)s hours.", max=MAX_NOTICE_HOURS)
        )
    if not (
        isinstance(response_hours, int)
        and MIN_RESPONSE_HOURS <= response_hours <= MAX_RESPONSE_HOURS
    ):
        raise InvalidInput(
            _l(
                "The time to answer must be between %(min)s and %(max)s hours.",
                min=MIN_RESPONSE_HOURS,
                max=MAX_RESPONSE_HOURS,
            )
        )
    values = {
        "description": _text(description, 1000, _l("Description")),
        "contact_name": _text(contact_name, 40, _l("Contact person"), required=True),
        "contact_phone": clean_phone(contact_phone),
        "address": _text(address, 200, _l("Address")),
    }
    communities = street_communities(provider.street_id, community_ids)
    for name, value in values.items():
        setattr(provider, name, value)
    provider.min_notice_hours = min_notice_hours
    provider.response_hours = response_hours
    provider.communities = communities
    db.session.flush()
    return provider
