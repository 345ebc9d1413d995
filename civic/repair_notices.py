"""Inbox notices for each step of a repair, to whoever must act next."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from civic.organisation_models import OrganisationStaff, StaffRole
from civic.repair_models import Repair
from community.models import User
from community.notifications import notify
from extensions import db


def place_words(repair: Repair) -> str:
    """Where the repair is, as residents say it: "桂花新村 1幢 1单元101" or the spot given."""
    parts = [repair.compound.name]
    if repair.home is not None:
        parts += [repair.home.building.name, repair.home.unit]
    if repair.place_detail:
        parts.append(repair.place_detail)
    return " ".join(parts)


def fen_words(fen: int) -> str:
    """An amount of fen as "¥12.50" (the same in both languages)."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _link(repair: Repair) -> str:
    return f"/civic/repairs/{repair.id}"


def _when(repair: Repair) -> str:
    """The appointment as an instant in no language; the inbox writes it in the reader's."""
    at = repair.appointment_at
    return at.replace(tzinfo=UTC).isoformat() if at else ""


def managers_of(repair: Repair) -> list[User]:
    """The managers of the organisation holding the repair."""
    return list(
        db.session.scalars(
            select(User)
            .join(OrganisationStaff, OrganisationStaff.member_id == User.id)
            .where(
                OrganisationStaff.organisation_id == repair.organisation_id,
                OrganisationStaff.role == StaffRole.MANAGER,
            )
            .order_by(User.id)
        )
    )


def _to_managers(repair: Repair, kind: str, **params) -> None:
    for manager in managers_of(repair):
        notify(manager, kind, link=_link(repair), place=place_words(repair), **params)


def _to_resident(repair: Repair, kind: str, **params) -> None:
    notify(repair.resident, kind, link=_link(repair), place=place_words(repair), **params)


def received(repair: Repair) -> None:
    _to_managers(repair, "repair_received", what=repair.description[:60])


def assigned(repair: Repair) -> None:
    worker = repair.worker
    _to_resident(repair, "repair_assigned", worker=worker.display_name, when=_when(repair))
    notify(worker, "repair_job", link=_link(repair), place=place_words(repair), when=_when(repair))
    if repair.waits_for_price:
        priced(repair)


def priced(repair: Repair) -> None:
    _to_resident(repair, "repair_priced", price=fen_words(repair.price_fen))


def price_accepted(repair: Repair) -> None:
    _to_managers(repair, "repair_price_accepted")


def visited(repair: Repair) -> None:
    _to_resident(repair, "repair_visited", worker=repair.worker.display_name)


def confirmed(repair: Repair) -> None:
    _to_managers(repair, "repair_confirmed", rating=repair.rating)
    if repair.worker is not None and repair.worker not in managers_of(repair):
        notify(
            repair.worker,
            "repair_confirmed",
            link=_link(repair),
            place=place_words(repair),
            rating=repair.rating,
        )


def not_fixed(repair: Repair) -> None:
    _to_managers(repair, "repair_not_fixed")
