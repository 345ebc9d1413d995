"""The audit log in plain words: what each action, target and changed value means.

The log stores codes (``policy_changed``, ``booking:12``, ``{"storage_cap_minutes": 90000}``);
the street admin's page and CSV show them through these labels, in the reader's
language. A code without a label (a new action, a key no label knows yet) is shown
as it is stored rather than hidden.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.audit import Action
from translated_labels import join_list

ACTION_LABELS = {
    Action.POLICY_CHANGED: _l("Changed a community's rules"),
    Action.MEMBER_CREATED: _l("Added a member"),
    Action.MEMBER_FLAGS_CHANGED: _l("Changed a member's care flags"),
    Action.ROLE_CHANGED: _l("Changed a member's role"),
    Action.MEMBER_SUSPENDED: _l("Suspended a member's account"),
    Action.MEMBER_REINSTATED: _l("Reinstated a member's account"),
    Action.ACTED_FOR: _l("Acted on a member's behalf"),
    Action.FAMILY_LINK_CONSENTED: _l("Recorded consent to a family link"),
    Action.FAMILY_LINK_ENDED: _l("Ended a family link"),
    Action.HOURS_GRANTED: _l("Granted hours"),
    Action.TRANSFER_REVERSED: _l("Reversed a transfer"),
    Action.VISIT_DISPUTE_SETTLED: _l("Settled a disputed visit"),
    Action.CARD_ISSUED: _l("Issued a confirmation card"),
    Action.CARD_REVOKED: _l("Cancelled a confirmation card"),
    Action.REVIEW_HIDDEN: _l("Hid a review"),
    Action.REVIEW_SHOWN: _l("Showed a hidden review again"),
    Action.REVIEW_KEPT: _l("Kept a reported review shown"),
    Action.BOOKING_DISPUTE_DECIDED: _l("Decided a booking dispute"),
    Action.PROVIDER_DECIDED: _l("Decided on a service provider"),
    Action.SUBSIDY_CHANGED: _l("Changed a subsidy"),
    Action.PASSWORD_RESET: _l("Reset a password"),
    Action.SIGN_IN_UNLOCKED: _l("Unlocked a member's sign-in"),
    Action.CONTACT_DAY_SCHEDULED: _l("Scheduled a contact day"),
    Action.CONTACT_DAY_TOPIC_RECORDED: _l("Recorded a contact day topic's answer"),
    Action.CONTACT_DAY_HELD: _l("Closed a contact day's record"),
    Action.CONTACT_DAY_CANCELLED: _l("Cancelled a contact day"),
    Action.CONSULTATION_OPENED: _l("Opened a proposal for consultation"),
    Action.CONSULTATION_COMMENT_HIDDEN: _l("Hid a comment on a proposal"),
    Action.CONSULTATION_COMMENT_SHOWN: _l("Showed a hidden comment on a proposal again"),
    Action.COUNCIL_MEMBER_NAMED: _l("Named a member to the council"),
    Action.COUNCIL_MEMBER_REMOVED: _l("Removed a member from the council"),
    Action.VOTING_STARTED: _l("Opened a vote"),
    Action.VOTING_CLOSED: _l("Closed a vote"),
    Action.PAPER_BALLOT_RECORDED: _l("Recorded a paper ballot for a voter"),
    Action.PROBLEM_ACCEPTED: _l("Accepted a reported problem"),
    Action.PROBLEM_DECLINED: _l("Declined a reported problem"),
    Action.PROBLEM_MERGED: _l("Merged a reported problem into another"),
    Action.PROBLEM_ANSWERED: _l("Answered a problem and started work"),
    Action.PROBLEM_CLOSED: _l("Closed a problem as dealt with"),
    Action.ORGANISATION_CREATED: _l("Added a property organisation"),
    Action.ORGANISATION_LINKED: _l("Gave a compound to an organisation"),
    Action.ORGANISATION_UNLINKED: _l("Took a compound from an organisation"),
    Action.STAFF_NAMED: _l("Named an organisation's staff member"),
    Action.STAFF_REMOVED: _l("Removed an organisation's staff member"),
    Action.REPAIR_SENT_FOR: _l("Sent a repair request for a resident"),
    Action.REPAIR_ASSIGNED: _l("Sent a worker to a repair"),
    Action.REPAIR_PRICED: _l("Set the price of a repair"),
    Action.REPAIR_VISITED: _l("Recorded a repair visit"),
    Action.SERVICE_STATION_LINKED: _l("Linked an organisation to its service provider"),
    Action.SERVICE_STATION_UNLINKED: _l("Unlinked an organisation from its service provider"),
    Action.COMPOUND_ADDED: _l("Added a compound"),
    Action.BUILDING_ADDED: _l("Added a building"),
    Action.HOME_ADDED: _l("Added a home"),
    Action.HOME_OWNER_RECORDED: _l("Recorded a home's owner"),
}

# "kind:id" targets: the kind in words
TARGET_LABELS = {
    "aid_request": _l("Request for help"),
    "booking": _l("Booking"),
    "card": _l("Confirmation card"),
    "care_plan": _l("Care plan"),
    "community": _l("Community"),
    "contact_day": _l("Contact day"),
    "contact_day_topic": _l("Contact day topic"),
    "consultation": _l("Proposal"),
    "dispute": _l("Dispute"),
    "family_link": _l("Family link"),
    "group_session": _l("Group activity"),
    "member": _l("Member"),
    "problem": _l("Reported problem"),
    "organisation": _l("Property organisation"),
    "provider": _l("Service provider"),
    "record": _l("Visit record"),
    "repair": _l("Repair request"),
    "review": _l("Review"),
    "service_record": _l("Visit record"),
    "subsidy": _l("Subsidy"),
    "subsidy_rule": _l("Subsidy rule"),
    "transfer": _l("Transfer"),
    "user": _l("Member"),
    "visit": _l("Visit"),
}

# keys of before/after: what the value is
FIELD_LABELS = {
    "provider": _l("Service provider"),
    "provider_name": _l("Name of the service provider"),
    "floor_minutes": _l("Lowest balance allowed"),
    "storage_cap_minutes": _l("Storage cap"),
    "daily_earning_cap_minutes": _l("Daily earning cap"),
    "redeem_min_age": _l("Age from which stored hours can be spent"),
    "hardship_redeem_min_age": _l("Age from which members in hardship can spend hours"),
    "elder_services_paid_by": _l("Who pays for services elders receive"),
    "gift_recipients": _l("Who members may give hours to"),
    "role": _l("Role"),
    "is_priority": _l("Priority elder"),
    "has_hardship": _l("In hardship"),
    "is_volunteer": _l("Volunteer"),
    "is_active_member": _l("Account active"),
    "status": _l("Status"),
    "reason": _l("Reason"),
    "minutes": _l("Length"),
    "amount_minutes": _l("Length"),
    # what a coordinator did for a member (ACTED_FOR entries)
    "did": _l("What was done"),
    "step": _l("What was done"),
    "method": _l("How it was confirmed"),
    "title": _l("Service"),
    "to": _l("To member"),
    "offer": _l("Offer"),
    "visit": _l("Visit"),
    "transfer": _l("Transfer"),
    "card": _l("Confirmation card"),
    "boxes": _l("Codes on the card"),
    "boxes_left": _l("Codes not yet used"),
    "large_text": _l("Large text (elder mode)"),
    # consultations and votes (civic)
    "hidden": _l("Hidden"),
    "proposal": _l("Proposal"),
    "electorate": _l("Who votes"),
    "matter": _l("What is decided"),
    "secret": _l("Secret vote"),
    "roll_voters": _l("Voters on the roll"),
    "ballot_number": _l("Paper ballot number"),
    "voting_opens_at": _l("Vote opens"),
    "voting_closes_at": _l("Vote closes"),
    # a provider decision (PROVIDER_DECIDED) and the checks in person made before it
    "decision": _l("Decision"),
    # a contact day (CONTACT_DAY_* entries)
    "held_on": _l("Date"),
    "place": _l("Place"),
    "outcome": _l("Outcome"),
    "topics": _l("Topics"),
    "holder": _l("Who deals with it"),
    "due_on": _l("Deadline"),
    "into": _l("Merged into"),
    "note": _l("Note"),
    "licence_number": _l("Licence number read on the licence"),
    "licence_seen": _l("Licence seen"),
    "health_certificates_seen": _l("Staff health certificates seen"),
    "premises_checked": _l("Premises checked"),
    # a member added although others of the same name and birth date exist (their numbers)
    "different_from": _l("A different person from members (same name and birth date)"),
    # civic: organisations and repairs
    "compound": _l("Compound"),
    "staff_role": _l("Staff role"),
    "worker": _l("Worker"),
    "appointment": _l("Appointment"),
    "price_fen": _l("Price (fen)"),
    "paid_on_site": _l("Paid on site"),
    "area_dm2": _l("Floor area (dm²)"),
    "name": _l("Name"),
    "kind": _l("Kind"),
}

# what a coordinator did on a member's behalf: the "did" (time bank) and "step"
# (marketplace) codes of ACTED_FOR entries
DONE_FOR_MEMBER_LABELS = {
    "visit_logged": _l("Logged a visit"),
    "contact_day_signed_up": _l("Signed up for a contact day"),
    "visit_confirmed": _l("Confirmed a visit"),
    "visit_rejected": _l("Said a visit did not happen"),
    "visit_scheduled": _l("Planned a visit"),
    "visit_checked_in": _l("Checked a visit in"),
    "visit_checked_out": _l("Checked a visit out"),
    "visit_recorded": _l("Recorded a visit afterwards"),
    "visit_cancelled": _l("Called off a visit"),
    "visit_skipped": _l("Skipped one visit"),
    "request_posted": _l("Asked for help"),
    "request_approved": _l("Approved a volunteer's offer to help"),
    "request_declined": _l("Declined a volunteer's offer to help"),
    "request_cancelled": _l("Withdrew a request for help"),
    "offer_asked": _l("Asked a volunteer for help"),
    "plan_created": _l("Set up a care plan"),
    "plan_paused": _l("Paused a care plan"),
    "plan_resumed": _l("Resumed a care plan"),
    "plan_ended": _l("Ended a care plan"),
    "hours_given": _l("Gave hours"),
    "hours_donated": _l("Donated hours"),
    "book": _l("Booked a service"),
    "confirm": _l("Confirmed a service was done"),
    "cancel": _l("Cancelled a booking"),
    "dispute": _l("Raised a dispute"),
    "rate": _l("Rated a service"),
    "large_text_set": _l("Changed the text size"),
    "problem_reported": _l("Reported a problem"),
    "problem_confirmed": _l("Confirmed a problem fixed"),
    "problem_reopened": _l("Said a problem is not fixed"),
    "repair_price_accepted": _l("Accepted a repair's price"),
    "repair_confirmed": _l("Confirmed a repair was done"),
    "repair_not_fixed": _l("Said a repair is not fixed"),
}

# a coordinator's decision on a provider's application ("decision")
DECISION_LABELS = {
    "verify": _l("Approved"),
    "reject": _l("Turned down"),
    "suspend": _l("Suspended"),
    "reinstate": _l("Reinstated"),
}

# "status" values by the kind of target; each package registers its own (see
# register_status_labels) so that this module depends on none of them
STATUS_LABELS: dict[str, Mapping[str, object]] = {
    "family_link": {
        "requested": _l("Waiting for the elder's answer"),
        "active": _l("Active"),
        "revoked": _l("Ended"),
    },
}


def register_status_labels(kind: str, labels: Mapping[str, object]) -> None:
    """Show ``labels`` for the "status" values of audit entries on "``kind``:id" targets."""
    STATUS_LABELS[kind] = labels


# how a visit was confirmed ("method"), as the reports say it
CONFIRMATION_METHOD_LABELS = {
    "online": _l("By the person served"),
    "family": _l("By a family member on their behalf"),
    "coordinator": _l("By a coordinator on their behalf"),
    "card": _l("With the elder's confirmation card"),
    "callback": _l("By a coordinator's call-back"),
}

# stored values that are codes, by the key they are stored under
VALUE_LABELS = {
    ("elder_services_paid_by", "guarantee"): _l("The community guarantee account"),
    ("elder_services_paid_by", "elder"): _l("The elder's own account"),
    ("gift_recipients", "family"): _l("Linked family only"),
    ("gift_recipients", "anyone"): _l("Any member"),
    ("role", "member"): _l("Member"),
    ("role", "coordinator"): _l("Coordinator"),
    ("role", "street_admin"): _l("Street admin"),
    ("electorate", "residents"): _l("Residents aged 18 or more, one vote each"),
    ("electorate", "owners"): _l("Owners, counted by floor area"),
    ("matter", "raise_fund"): _l("Raising the maintenance fund"),
    ("matter", "rebuild"): _l("Rebuilding or altering the building (such as adding a lift)"),
    ("matter", "common_parts_use"): _l("Changing the use of shared parts"),
    ("matter", "use_fund"): _l("Using the maintenance fund"),
    ("matter", "other"): _l("Another matter"),
}


def action_label(action: str) -> str:
    """The action in plain words ("Reset a password" / "重置了密码"); unknown: the code."""
    label = ACTION_LABELS.get(action)  # type: ignore[call-overload]
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    """Every action as (code, label), sorted by label in the reader's language."""
    return sorted(((str(a), action_label(a)) for a in Action), key=lambda choice: choice[1])


def target_label(target: str) -> str:
    """ "booking:12" → "Booking 12" (“预约 12”); a target of another shape, as it is."""
    kind, _colon, number = target.partition(":")
    label = TARGET_LABELS.get(kind)
    if label is None or not number:
        return target
    return f"{label} {number}"


def _duration(minutes: int) -> str:
    """Minutes in hours and minutes ("−10 h", "1 h 30 min"), as the time bank shows them."""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = _("%(h)s h %(m)s min", h=hours, m=rest)
    elif hours:
        text = _("%(h)s h", h=hours)
    else:
        text = _("%(m)s min", m=rest)
    return sign + text


def value_text(key: str, value: object, kind: str = "") -> str:
    """One stored value as a reader understands it (durations, yes/no, known codes);
    ``kind`` is the entry's target kind ("booking"), which says what a status means."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int) and key.endswith("minutes"):
        return _duration(value)
    if isinstance(value, str) and (key, value) in VALUE_LABELS:
        return str(VALUE_LABELS[key, value])
    if isinstance(value, str) and key in ("did", "step") and value in DONE_FOR_MEMBER_LABELS:
        return str(DONE_FOR_MEMBER_LABELS[value])
    if isinstance(value, str) and key == "method" and value in CONFIRMATION_METHOD_LABELS:
        return str(CONFIRMATION_METHOD_LABELS[value])
    if isinstance(value, str) and key == "decision" and value in DECISION_LABELS:
        return str(DECISION_LABELS[value])
    if isinstance(value, str) and key == "status" and value in STATUS_LABELS.get(kind, {}):
        return str(STATUS_LABELS[kind][value])
    if isinstance(value, list):
        return join_list(value_text(key, item, kind) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(k, v, kind)}" for k, v in value.items())
    return str(value)


def origin_label(origin: str) -> str:
    """Where the action came from: the client's address, or the server's command line."""
    if origin == "cli":
        return _("The server's command line")
    return origin or "—"


def role_label(role: str) -> str:
    """A member's role in words ("coordinator" → "Coordinator" / "社工")."""
    return value_text("role", role)


def field_label(key: str) -> str:
    """What a before/after key names ("storage_cap_minutes" → "Storage cap")."""
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Change:
    """One key of an entry's before and after, in words ("" where the side is absent)."""

    label: str
    before: str
    after: str


def _loaded(text: str) -> dict:
    """A stored before/after (JSON, "" for nothing) as a dict; a non-object under "value"."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"value": text}
    return value if isinstance(value, dict) else {"value": value}


def changes(before: str, after: str, target: str = "") -> list[Change]:
    """An entry's before and after as readable pairs, one per key, in the order stored;
    ``target`` ("booking:12") says what kind of thing a status belongs to."""
    old, new = _loaded(before), _loaded(after)
    keys = list(old) + [key for key in new if key not in old]
    kind = target.partition(":")[0]
    return [
        Change(
            field_label(key),
            value_text(key, old[key], kind) if key in old else "",
            value_text(key, new[key], kind) if key in new else "",
        )
        for key in keys
    ]


def changes_text(before: str, after: str, target: str = "") -> tuple[str, str]:
    """Before and after as one line each ("Storage cap: 1500 h; …"), for the CSV."""
    pairs = changes(before, after, target)
    return (
        "; ".join(f"{c.label}: {c.before}" for c in pairs if c.before),
        "; ".join(f"{c.label}: {c.after}" for c in pairs if c.after),
    )
