"""The steps of a repair after it is sent: assign, price, accept the price, visit,
confirm and rate, or say it is not fixed.

Each step checks who takes it (civic.repair_access) and that the repair is still
where the step expects it; the state moves by one conditional UPDATE, so two
managers assigning the same repair at once give one assignment and one Conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from civic import repair_notices as notices
from civic.errors import Conflict, InvalidInput
from civic.organisation_models import OrganisationStaff
from civic.repair_access import (
    on_resident_side,
    require_manager,
    require_resident_side,
    require_worker,
    role_for,
)
from civic.repair_hooks import paid_elsewhere
from civic.repair_models import Repair, RepairStatus
from civic.repair_photos import attach_photos
from community import audit
from community.audit import Action
from community.models import User, utcnow
from community.reach import coordinates
from extensions import db

MAX_PRICE_FEN = 10_000_00  # ¥10,000: beyond that is a works contract, not a repair


def _move(repair: Repair, expected: tuple[str, ...], *conditions, **values) -> None:
    """Set ``values`` if the repair's status is still one of ``expected`` (one UPDATE).

    Raises Conflict if someone moved it first; the session then holds nothing new.
    """
    result = db.session.execute(
        update(Repair)
        .where(Repair.id == repair.id, Repair.status.in_(expected), *conditions)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_l("Someone else changed this repair just now. Please look again."))
    db.session.refresh(repair)


def _check_price(price_fen: int | None) -> None:
    if price_fen is not None and not 0 < price_fen <= MAX_PRICE_FEN:
        raise InvalidInput(_l("A price must be from ¥0.01 to ¥10,000."))


def assign(
    repair: Repair,
    *,
    by: User,
    worker: User,
    appointment_at: datetime,
    note: str = "",
    price_fen: int | None = None,
) -> None:
    """Send ``worker`` (staff of the organisation) at ``appointment_at`` (naive UTC), with
    a price if the repair is outside the property fee. Tells the resident and the worker.

    Raises NotAllowed (not a manager of it), InvalidInput (a worker of another
    organisation, an appointment in the past, outside the resident's window without a
    note, a bad price), Conflict (already assigned, or a price already accepted).
    """
    require_manager(by, repair)
    if repair.status != RepairStatus.SENT:
        raise Conflict(_l("This repair already has a worker."))
    if _staff_key(repair, worker) is None:
        raise InvalidInput(_l("Choose one of your organisation's workers."))
    if appointment_at < utcnow():
        raise InvalidInput(_l("The appointment cannot be in the past."))
    note = note.strip()
    inside = repair.window_start <= appointment_at <= repair.window_end
    if not inside and not note:
        raise InvalidInput(
            _l("The resident is not home then. Add a note saying you agreed another time.")
        )
    if repair.price_accepted_at is not None:
        price_fen = repair.price_fen  # accepted before a reopening: it stays
    _check_price(price_fen)
    _move(
        repair,
        (RepairStatus.SENT,),
        status=RepairStatus.ASSIGNED,
        worker_id=worker.id,
        appointment_at=appointment_at,
        appointment_note=note[:200],
        assigned_by_id=by.id,
        price_fen=price_fen,
    )
    notices.assigned(repair)
    audit.record(
        Action.REPAIR_ASSIGNED,
        actor=by,
        subject=repair.resident,
        target=f"repair:{repair.id}",
        after={
            "worker": worker.id,
            "appointment": appointment_at.isoformat(),
            "price_fen": price_fen,
        },
    )


def _staff_key(repair: Repair, worker: User) -> int | None:
    return db.session.scalar(
        select(OrganisationStaff.id).where(
            OrganisationStaff.organisation_id == repair.organisation_id,
            OrganisationStaff.member_id == worker.id,
        )
    )


def set_price(repair: Repair, *, by: User, price_fen: int | None) -> None:
    """Change the price (None: inside the property fee) before the resident accepts it.

    Raises NotAllowed (not a manager), InvalidInput (a bad price), Conflict (accepted
    already, or the work is done).
    """
    require_manager(by, repair)
    if repair.price_accepted_at is not None:
        raise Conflict(_l("The resident has accepted the price. It cannot change now."))
    _check_price(price_fen)
    before = repair.price_fen
    _move(
        repair,
        (RepairStatus.SENT, RepairStatus.ASSIGNED),
        Repair.price_accepted_at.is_(None),  # not accepted in the moment between
        price_fen=price_fen,
    )
    if price_fen is not None:
        notices.priced(repair)
    audit.record(
        Action.REPAIR_PRICED,
        actor=by,
        subject=repair.resident,
        target=f"repair:{repair.id}",
        before={"price_fen": before},
        after={"price_fen": price_fen},
    )


def _acted_for(by: User, repair: Repair, did: str) -> None:
    """ACTED_FOR when a coordinator took the resident's step for them (family acting
    with the elder's consent, and the resident, are not staff steps)."""
    resident = repair.resident
    if by.id != resident.id and coordinates(by, resident):
        audit.record(
            Action.ACTED_FOR,
            actor=by,
            subject=resident,
            target=f"repair:{repair.id}",
            after={"did": did},
        )


def accept_price(repair: Repair, *, by: User, price_fen: int) -> None:
    """The resident's side accepts the price shown (``price_fen``, as they saw it).

    Raises NotAllowed (not their side), Conflict (no price waits, or it changed since).
    """
    require_resident_side(by, repair, "may_book")
    if not repair.waits_for_price or repair.price_fen != price_fen:
        raise Conflict(_l("The price changed or was already accepted. Please look again."))
    _move(
        repair,
        (RepairStatus.SENT, RepairStatus.ASSIGNED),
        Repair.price_fen == price_fen,
        Repair.price_accepted_at.is_(None),
        price_accepted_at=utcnow(),
        price_accepted_by_id=by.id,
    )
    notices.price_accepted(repair)
    _acted_for(by, repair, "repair_price_accepted")


def record_visit(
    repair: Repair, *, by: User, work_done: str, paid_on_site: bool, photos: Iterable[bytes] = ()
) -> None:
    """The worker sent (or a manager for them) records the visit and what was done;
    for a priced repair, whether it was paid on site. Tells the resident to confirm.

    Raises NotAllowed (not the worker), InvalidInput (no words, more than 4 photos),
    PhotoRefused, Conflict (not assigned, the price not yet accepted, or paid on site
    ticked for a repair paid another way, civic.repair_hooks).
    """
    require_worker(by, repair)
    work_done = work_done.strip()
    if not work_done:
        raise InvalidInput(_l("Say what was done."))
    if repair.waits_for_price:
        raise Conflict(_l("The resident has not accepted the price yet. Do not start the work."))
    paid_on_site = bool(paid_on_site and repair.price_fen is not None)
    _move(
        repair,
        (RepairStatus.ASSIGNED,),
        status=RepairStatus.VISITED,
        visited_at=utcnow(),
        work_done=work_done[:1000],
        paid_on_site=paid_on_site,
    )
    # asked after the UPDATE holds the repair's row: a payment made meanwhile is seen
    if paid_on_site and paid_elsewhere(repair):
        raise Conflict(_l("This repair is paid online already. Do not take money on site."))
    attach_photos(repair, photos, stage="visit", by=by)
    notices.visited(repair)
    audit.record(
        Action.REPAIR_VISITED,
        actor=by,
        subject=repair.resident,
        target=f"repair:{repair.id}",
        after={"status": RepairStatus.VISITED, "paid_on_site": repair.paid_on_site},
    )


def confirm(repair: Repair, *, by: User, rating: int, comment: str = "") -> None:
    """The resident's side confirms the repair is done and rates it 1 to 5.

    Raises NotAllowed (not their side), InvalidInput (rating), Conflict (not visited).
    """
    require_resident_side(by, repair, "may_confirm")
    if not 1 <= rating <= 5:
        raise InvalidInput(_l("Choose from 1 to 5 stars."))
    _move(
        repair,
        (RepairStatus.VISITED,),
        status=RepairStatus.DONE,
        rating=rating,
        resident_comment=comment.strip()[:500],
        confirmed_at=utcnow(),
        confirmed_by_id=by.id,
    )
    notices.confirmed(repair)
    _acted_for(by, repair, "repair_confirmed")


def report_not_fixed(repair: Repair, *, by: User, comment: str) -> None:
    """The resident's side says the repair is not fixed: it goes back to the
    organisation to be assigned again.

    Raises NotAllowed (not their side), InvalidInput (no words), Conflict (not visited).
    """
    require_resident_side(by, repair, "may_confirm")
    comment = comment.strip()
    if not comment:
        raise InvalidInput(_l("Say what is still wrong."))
    _move(
        repair,
        (RepairStatus.VISITED,),
        status=RepairStatus.SENT,
        resident_comment=comment[:500],
        reopened_count=repair.reopened_count + 1,
        appointment_at=None,
    )
    notices.not_fixed(repair)
    _acted_for(by, repair, "repair_not_fixed")


def open_steps(actor: User, repair: Repair) -> set[str]:
    """The steps ``actor`` may take on ``repair`` now (for showing their forms)."""
    steps: set[str] = set()
    role = role_for(actor, repair)
    status = repair.status
    if role == "manager":
        if status == RepairStatus.SENT:
            steps.add("assign")
        if (
            status in (RepairStatus.SENT, RepairStatus.ASSIGNED)
            and repair.price_accepted_at is None
        ):
            steps.add("price")
    doer = actor.id == repair.worker_id or role == "manager"
    if status == RepairStatus.ASSIGNED and not repair.waits_for_price and doer:
        steps.add("visit")
    waiting = status in (RepairStatus.SENT, RepairStatus.ASSIGNED) and repair.waits_for_price
    if waiting and on_resident_side(actor, repair, "may_book"):
        steps.add("accept_price")
    if status == RepairStatus.VISITED and on_resident_side(actor, repair, "may_confirm"):
        steps.add("confirm")
    return steps
