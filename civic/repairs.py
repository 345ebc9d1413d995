"""Sending a repair request and reading repairs: the resident's list, the
organisation's work, a worker's jobs of the day.

The request goes to the organisation serving the compound: a property company or
self-management group linked to it before the street's department.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from civic import repair_notices as notices
from civic.clock import local_today, to_utc
from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.organisation_models import Organisation, OrganisationKind, OrganisationStaff, StaffRole
from civic.places import community_compounds, homes_owned, organisations_of, organisations_serving
from civic.repair_access import organisation_condition, resident_side_condition
from civic.repair_models import Repair, RepairStatus
from civic.repair_photos import attach_photos
from community import audit
from community.audit import Action
from community.models import User, utcnow
from community.reach import coordinates, find_in_street, linked_elders, reaches
from extensions import db
from idempotency import add_once
from input_guard import MAX_ID

DAYS_AHEAD = 60  # a window further away is not a repair to book now
OPEN = (RepairStatus.SENT, RepairStatus.ASSIGNED, RepairStatus.VISITED)


@dataclass(frozen=True)
class PlaceChoice:
    value: str  # "home:12" (a home they own), "shared:3" or "other:3" (compound 3)
    label: str


def place_choices(resident: User) -> list[PlaceChoice]:
    """Where ``resident`` may ask for a repair: each home they own, a shared part of
    each compound of their community, or another home there they name."""
    choices = [
        PlaceChoice(
            f"home:{home.id}",
            str(
                _l(
                    "My home: %(compound)s %(building)s %(unit)s",
                    compound=home.building.compound.name,
                    building=home.building.name,
                    unit=home.unit,
                )
            ),
        )
        for home in homes_owned(resident)
    ]
    for compound in community_compounds(resident.community_id):
        choices.append(
            PlaceChoice(
                f"shared:{compound.id}",
                str(
                    _l(
                        "A shared part of %(compound)s (stairs, roof, pipes…)",
                        compound=compound.name,
                    )
                ),
            )
        )
        choices.append(
            PlaceChoice(
                f"other:{compound.id}", str(_l("My home in %(compound)s", compound=compound.name))
            )
        )
    return choices


def _place(resident: User, where: str):
    """(compound, home, shared) for a choice of ``place_choices``. Raises InvalidInput."""
    kind, _, raw = (where or "").partition(":")
    if kind == "home":
        home = next((h for h in homes_owned(resident) if str(h.id) == raw), None)
        if home is not None:
            return home.building.compound, home, False
    elif kind in ("shared", "other"):
        compound = next(
            (c for c in community_compounds(resident.community_id) if str(c.id) == raw), None
        )
        if compound is not None:
            return compound, None, kind == "shared"
    raise InvalidInput(_l("Choose where the repair is from the list."))


def organisation_for(compound) -> Organisation:
    """Who receives a compound's repairs: a property company or self-management group
    serving it before the street's department. Raises InvalidInput if none serves it."""
    serving = organisations_serving(compound)
    if not serving:
        raise InvalidInput(
            _l("No organisation looks after this compound yet. Please ask your community office.")
        )
    linked = [o for o in serving if o.kind != OrganisationKind.STREET_DEPARTMENT]
    return (linked or serving)[0]


def _window(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The stored window; raises InvalidInput if it is over, reversed or too far ahead."""
    if end <= start:
        raise InvalidInput(_l("The time you are home must end after it starts."))
    today = local_today()
    if day < today or day > today + timedelta(days=DAYS_AHEAD):
        raise InvalidInput(_l("Choose a day from today to two months ahead."))
    window = to_utc(day, start), to_utc(day, end)
    if window[1] <= utcnow():
        raise InvalidInput(_l("That time is already over today. Choose a later time."))
    return window


def send_repair(
    resident: User,
    *,
    by: User,
    where: str,
    place_detail: str,
    description: str,
    day: date,
    start: time,
    end: time,
    idempotency_key: str,
    photos: Iterable[bytes] = (),
) -> Repair:
    """Send a repair request for ``resident`` (``by``: themself, family who may book for
    them, or their coordinator, recorded as entered on their behalf) to the
    organisation serving the compound, and tell its managers.

    Raises NotAllowed (not theirs to send), InvalidInput (place, words, window, more
    than 4 photos), PhotoRefused (not an image, too large), Conflict (sent already).
    """
    if not reaches(by, resident, "may_book"):
        raise NotAllowed()
    if db.session.scalar(select(Repair.id).where(Repair.idempotency_key == idempotency_key)):
        raise _already_sent()
    compound, home, shared = _place(resident, where)
    description, place_detail = description.strip(), place_detail.strip()
    if not description:
        raise InvalidInput(_l("Say what needs repairing."))
    if home is None and not place_detail:
        raise InvalidInput(_l("Say where exactly: the building and door, or the spot."))
    window_start, window_end = _window(day, start, end)
    repair = Repair(
        community_id=resident.community_id,
        compound_id=compound.id,
        home_id=home.id if home else None,
        shared_part=shared,
        place_detail=place_detail[:80],
        resident_id=resident.id,
        entered_by_id=by.id,
        organisation_id=organisation_for(compound).id,
        description=description[:1000],
        window_start=window_start,
        window_end=window_end,
        idempotency_key=idempotency_key,
    )
    add_once(repair, _already_sent)
    attach_photos(repair, photos, stage="request", by=by)
    notices.received(repair)
    if by.id != resident.id and coordinates(by, resident):
        audit.record(
            Action.REPAIR_SENT_FOR, actor=by, subject=resident, target=f"repair:{repair.id}"
        )
    return repair


def _already_sent() -> Conflict:
    return Conflict(_l("This repair request was sent already."))


def _loaded(query):
    return query.options(
        selectinload(Repair.compound),
        selectinload(Repair.home),
        selectinload(Repair.resident),
        selectinload(Repair.worker),
        selectinload(Repair.organisation),
    )


def repairs_for_residents(actor: User, limit: int = 50) -> list[Repair]:
    """Repairs of the residents ``actor`` acts for (their own first of all), open ones
    first, newest first."""
    query = (
        select(Repair)
        .where(resident_side_condition(actor))
        .order_by(Repair.status == RepairStatus.DONE, Repair.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(_loaded(query)))


def todays_jobs(worker: User) -> tuple[list[Repair], list[Repair]]:
    """The worker's open jobs: today's (by appointment) and the ones after, each in time
    order. Jobs from earlier days still open count as today's."""
    query = (
        select(Repair)
        .where(Repair.worker_id == worker.id, Repair.status == RepairStatus.ASSIGNED)
        .order_by(Repair.appointment_at, Repair.id)
        .limit(100)
    )
    jobs = list(db.session.scalars(_loaded(query)))
    tomorrow = to_utc(local_today() + timedelta(days=1), time(0))
    return (
        [j for j in jobs if j.appointment_at < tomorrow],
        [j for j in jobs if j.appointment_at >= tomorrow],
    )


def organisation_work(manager: User, limit: int = 100) -> list[Repair]:
    """The open repairs of the organisations ``manager`` manages: waiting to be sent
    first (oldest first), then assigned, then visited."""
    order = {RepairStatus.SENT: 0, RepairStatus.ASSIGNED: 1, RepairStatus.VISITED: 2}
    query = (
        select(Repair)
        .where(organisation_condition(manager, StaffRole.MANAGER), Repair.status.in_(OPEN))
        .order_by(Repair.id)
        .limit(limit)
    )
    return sorted(db.session.scalars(_loaded(query)), key=lambda r: order[RepairStatus(r.status)])


def managed_organisations(member: User) -> list[Organisation]:
    """The organisations ``member`` manages."""
    return [o for o, role in organisations_of(member) if role is StaffRole.MANAGER]


def is_worker(member: User) -> bool:
    """True if ``member`` works for any organisation (as a worker or manager)."""
    return bool(organisations_of(member))


def resident_for(actor: User, member_id: int | None) -> User:
    """Whom a repair is sent for: ``actor`` (no id), or a member they may book for
    (family, their coordinator). Raises NotFound for anyone else."""
    if member_id is None or member_id == actor.id:
        return actor
    member = db.session.get(User, member_id) if 0 < member_id <= MAX_ID else None
    if member is None or not member.is_active_member or not reaches(actor, member, "may_book"):
        raise NotFound()
    return member


def staff_of(organisation: Organisation) -> list[User]:
    """The organisation's staff (managers and workers), by name: whom a manager may send."""
    return list(
        db.session.scalars(
            select(User)
            .join(OrganisationStaff, OrganisationStaff.member_id == User.id)
            .where(OrganisationStaff.organisation_id == organisation.id, User.is_active_member)
            .order_by(OrganisationStaff.role.desc(), User.display_name)
        )
    )


def resident_named(actor: User, text: str) -> User:
    """The member named by phone, username or member number whom ``actor`` may send a
    repair for (a coordinator: a resident of their community). Raises MemberNotFound
    for nobody of the street, NotFound for someone out of their reach."""
    member = find_in_street(actor, text)
    if not reaches(actor, member, "may_book"):
        raise NotFound()
    return member


def elders_acted_for(actor: User) -> list[User]:
    """The elders whose family link lets ``actor`` book for them (to send repairs for)."""
    return linked_elders(actor, "may_book")
