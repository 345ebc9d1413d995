"""The 物业+服务站 rows of the permission table (tests/test_permissions.py).

The scene: the elder's 桂花东村物业 (tests/civic/permission_rows_repairs.py) and the
provider owner's 好帮手家政 ({shop}, serving both communities of this street). The
street admin links the company to the shop and ends the link; A's coordinator sees the
company but may not (403); everyone else is not told it exists (404). The elder's side
(the elder, family, A's coordinator, the street admin) pays the elder's priced repair
online, by hours; everyone else is not told the repair exists (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import time

from civic import repair_steps
from civic.clock import to_utc
from civic.repair_models import Repair
from community.models import User
from extensions import db
from property_services.stations import link_provider
from tests.civic.permission_rows_repairs import _place
from tests.civic.repair_support import send_for, tomorrow
from tests.permission_table import PEOPLE, only, post
from tests.timebank.support import top_up

__all__ = ["BUILDERS", "ROWS"]

ALL = set(PEOPLE)
STAFF_OF_A = {"coordinator", "street_admin"}
RESIDENT_SIDE = {"elder", "family"} | STAFF_OF_A
PRICE_FEN = 9000


def _linked_company(scene):
    """桂花东村物业, linked to the shop by the street admin (its repair item paid in hours)."""
    place = _place(scene)
    station = link_provider(place.company, scene["shop"], by=scene.people["street_admin"])
    station.repair_item.price_minutes = 60  # ¥80 an hour of time-bank time
    db.session.flush()
    return place.company


def _payable_repair(scene) -> Repair:
    """The elder's repair, 吴师傅 tomorrow at 10:00 for ¥90, the price accepted; the elder
    has hours to pay it."""
    scene["linked_company"]  # noqa: B018  (built first: the company takes payments online)
    place = _place(scene)
    elder: User = scene.people["elder"]
    repair = send_for(elder, place.home)
    repair_steps.assign(
        repair,
        by=place.manager,
        worker=place.worker,
        appointment_at=to_utc(tomorrow(), time(10)),
        price_fen=PRICE_FEN,
    )
    repair_steps.accept_price(repair, by=elder, price_fen=PRICE_FEN)
    top_up(elder, 300)
    return repair


BUILDERS: dict[str, Callable] = {
    "linked_company": _linked_company,
    "payable_repair": _payable_repair,
}


def side(ok, status: int, seen_by) -> dict[str, int]:
    """``status`` for ``ok``; 403 for the rest of ``seen_by``; 404 for anyone else."""
    return only(ok, status) | {who: 404 for who in ALL - set(seen_by)}


def pay_form(scene) -> dict:
    return {
        "payment_method": "hours",
        "price_fen": str(PRICE_FEN),
        "idempotency_key": uuid.uuid4().hex,
    }


ROWS = [
    post(
        "/civic/organisations/{company}/service-station",
        side({"street_admin"}, 302, STAFF_OF_A),
        lambda s: {"provider": str(s["shop"])},
    ),
    post(
        "/civic/organisations/{linked_company}/service-station/unlink",
        side({"street_admin"}, 302, STAFF_OF_A),
    ),
    post(
        "/civic/repairs/{payable_repair}/pay-online",
        side(RESIDENT_SIDE, 302, RESIDENT_SIDE),
        pay_form,
    ),
]
