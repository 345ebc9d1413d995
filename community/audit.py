"""The audit log: every staff action, appended to one hash chain.

Services call ``record`` after their own writes (the chain's head is locked
until the commit, and taking it last keeps two staff actions from waiting on
each other's accounts). Where the action came from is not the service's to
know: the request boundary sets ``origin`` (the client's address), and the
CLI leaves it at "cli".
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.audit_models import AuditChainHead, AuditEntry
from community.hash_chain import GENESIS, chain_digest
from community.models import Community, User, utcnow
from extensions import db

# The client address of the request being served; "cli" outside a request.
origin: ContextVar[str] = ContextVar("audit_origin", default="cli")

HEAD_ID = 1


class Action(StrEnum):
    """What a staff member did. The page and the CSV show these translated."""

    POLICY_CHANGED = "policy_changed"
    MEMBER_CREATED = "member_created"
    MEMBER_FLAGS_CHANGED = "member_flags_changed"
    ROLE_CHANGED = "role_changed"
    MEMBER_SUSPENDED = "member_suspended"
    MEMBER_REINSTATED = "member_reinstated"
    ACTED_FOR = "acted_for"
    FAMILY_LINK_CONSENTED = "family_link_consented"
    FAMILY_LINK_ENDED = "family_link_ended"
    HOURS_GRANTED = "hours_granted"
    TRANSFER_REVERSED = "transfer_reversed"
    VISIT_DISPUTE_SETTLED = "visit_dispute_settled"
    CARD_ISSUED = "card_issued"
    CARD_REVOKED = "card_revoked"
    REVIEW_HIDDEN = "review_hidden"
    REVIEW_SHOWN = "review_shown"
    REVIEW_KEPT = "review_kept"
    BOOKING_DISPUTE_DECIDED = "booking_dispute_decided"
    PROVIDER_DECIDED = "provider_decided"
    SUBSIDY_CHANGED = "subsidy_changed"
    PASSWORD_RESET = "password_reset"
    SIGN_IN_UNLOCKED = "sign_in_unlocked"
    CONTACT_DAY_SCHEDULED = "contact_day_scheduled"
    CONTACT_DAY_TOPIC_RECORDED = "contact_day_topic_recorded"
    CONTACT_DAY_HELD = "contact_day_held"
    CONTACT_DAY_CANCELLED = "contact_day_called_off"
    CONSULTATION_OPENED = "consultation_opened"
    CONSULTATION_COMMENT_HIDDEN = "consultation_comment_hidden"
    CONSULTATION_COMMENT_SHOWN = "consultation_comment_shown"
    COUNCIL_MEMBER_NAMED = "council_member_named"
    COUNCIL_MEMBER_REMOVED = "council_member_removed"
    VOTING_STARTED = "voting_started"
    VOTING_CLOSED = "voting_closed"
    PAPER_BALLOT_RECORDED = "paper_ballot_recorded"
    PROBLEM_ACCEPTED = "problem_accepted"
    PROBLEM_DECLINED = "problem_declined"
    PROBLEM_MERGED = "problem_merged"
    PROBLEM_ANSWERED = "problem_answered"
    PROBLEM_CLOSED = "problem_closed"
    # civic: organisations and repairs
    ORGANISATION_CREATED = "organisation_created"
    ORGANISATION_LINKED = "organisation_linked"
    ORGANISATION_UNLINKED = "organisation_unlinked"
    STAFF_NAMED = "staff_named"
    STAFF_REMOVED = "staff_removed"
    REPAIR_SENT_FOR = "repair_sent_for"
    REPAIR_ASSIGNED = "repair_assigned"
    REPAIR_PRICED = "repair_priced"
    REPAIR_VISITED = "repair_visited"
    # property_services: an organisation that is also a marketplace provider
    SERVICE_STATION_LINKED = "service_station_linked"
    SERVICE_STATION_UNLINKED = "service_station_unlinked"
    COMPOUND_ADDED = "compound_added"
    BUILDING_ADDED = "building_added"
    HOME_ADDED = "home_added"
    HOME_OWNER_RECORDED = "home_owner_recorded"


def _json(value: dict | None) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _fields(entry: AuditEntry) -> tuple:
    """What an entry's digest covers: everything but its id and its own digest."""
    return (
        entry.created_at,
        entry.actor_id,
        entry.subject_id,
        entry.street_id,
        entry.community_id,
        entry.action,
        entry.target,
        entry.before,
        entry.after,
        entry.origin,
    )


def record(
    action: Action,
    *,
    actor: User | None,
    subject: User | None = None,
    community: Community | None = None,
    target: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Append a staff action to the audit log (flushes; the caller's commit keeps it).

    The entry belongs to ``community`` if given, else to the subject's, else to
    the actor's; street admins of that community's street read it.
    """
    place = (
        community
        or (subject.community if subject else None)
        or (actor.community if actor else None)
    )
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        street_id=place.street_id if place else None,
        community_id=place.id if place else None,
        action=str(action),
        target=target[:80],
        before=_json(before),
        after=_json(after),
        origin=origin.get()[:64],
    )
    head = db.session.scalars(
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    entry.row_hash = chain_digest((head.last_hash,), _fields(entry))
    db.session.add(entry)
    db.session.flush()
    head.last_hash = entry.row_hash
    head.last_entry_id = entry.id
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """The first audit entry whose digest does not follow from the chain before it."""

    entry_id: int | None
    message: str


def _first_break(session: Session) -> tuple[ChainBreak | None, str, int | None]:
    """Walk the chain in id order: the first break, else where the chain ends (digest, id)."""
    previous, last_id = GENESIS, None
    # a server-side cursor on PostgreSQL: closed before returning, even mid-way
    with session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=2000)
    ) as result:
        for entry in result.scalars():
            if entry.row_hash != chain_digest((previous,), _fields(entry)):
                message = f"audit entry {entry.id} was changed (or one before it was removed)"
                return ChainBreak(entry.id, message), previous, last_id
            previous, last_id = entry.row_hash, entry.id
    return None, previous, last_id


def verify_audit_chain(session: Session) -> ChainBreak | None:
    """Recount the audit chain; the first entry that was changed, removed or inserted, if any."""
    broken, previous, last_id = _first_break(session)
    if broken is not None:
        return broken
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None:
        return ChainBreak(None, "the audit chain's head row is missing")
    if head.last_hash != previous or head.last_entry_id != last_id:
        return ChainBreak(
            head.last_entry_id,
            f"audit entries after {last_id} were removed (the chain ended at {head.last_entry_id})",
        )
    return None
