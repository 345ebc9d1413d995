"""Repairs' and property organisations' rows of the permission table
(tests/test_permissions.py).

The scene: 桂花东村 in community A, the elder's home in it, and 桂花东村物业 serving it,
with its manager 周建国 and worker 吴师傅 (tests/civic/repair_support.py); the elder's
repairs in each state (sent, assigned, priced, visited); a compound of community B for
the street admin to give the company. Compounds and homes are kept by A's coordinator
and the street admin. None of the nine works for the company: its
staff's own steps are tested in tests/civic/test_repair_views.py.

The resident's side (the elder, family, A's coordinator, the street admin) sees a
repair; the organisation's steps are refused to them (403); everyone else is not told
the repair exists (404). Organisations are the street admin's to change; coordinators
read those serving their compounds; another street's staff find nothing of this one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import time, timedelta

from sqlalchemy import select

from civic import repair_steps
from civic.clock import to_utc
from civic.organisation_models import OrganisationStaff
from civic.place_models import Compound
from civic.repair_models import RepairPhoto
from extensions import db
from tests.civic.problem_scene import jpeg
from tests.permission_table import PEOPLE, get, only, post

from .repair_support import make_property, send_for, tomorrow

__all__ = ["BUILDERS", "ROWS"]

ALL = set(PEOPLE)
STAFF_OF_A = {"coordinator", "street_admin"}
RESIDENT_SIDE = {"elder", "family"} | STAFF_OF_A
EVERY_STAFF = {
    "coordinator",
    "other_coordinator",
    "street_admin",
    "far_coordinator",
    "far_street_admin",
}


def _place(scene):
    """The elder's compound, home and company (built once per scene)."""
    if "_property" not in scene.__dict__:
        # 桂花东村: the problems' and the votes' scenes have 桂花新村 and 桂花公寓 there
        elder = scene.people["elder"]
        scene.__dict__["_property"] = make_property(elder, scene.make_member, name="桂花东村")
    return scene.__dict__["_property"]


def _repair(scene, *, until: str = "sent", price_fen: int | None = None):
    place = _place(scene)
    repair = send_for(scene.people["elder"], place.home)
    if until == "sent":
        return repair
    repair_steps.assign(
        repair,
        by=place.manager,
        worker=place.worker,
        appointment_at=to_utc(tomorrow(), time(10)),
        price_fen=price_fen,
    )
    if until == "visited":
        repair_steps.record_visit(repair, by=place.worker, work_done="换了阀芯", paid_on_site=False)
    return repair


def _photo_of(repair_id: int):
    return db.session.scalars(select(RepairPhoto).where(RepairPhoto.repair_id == repair_id)).one()


def _b_compound(scene):
    compound = Compound(community_id=scene["other_community"], name="金狮新苑")
    db.session.add(compound)
    db.session.flush()
    return compound


def _worker_row(scene):
    place = _place(scene)
    return db.session.query(OrganisationStaff).filter_by(member_id=place.worker.id).one()


BUILDERS: dict[str, Callable] = {
    "home": lambda scene: _place(scene).home,
    "building": lambda scene: _place(scene).home.building,
    "company": lambda scene: _place(scene).company,
    "compound": lambda scene: _place(scene).compound,
    "worker": lambda scene: _place(scene).worker,
    "staff_row": _worker_row,
    "b_compound": _b_compound,
    "repair": _repair,
    "assigned_repair": lambda scene: _repair(scene, until="assigned"),
    "priced_repair": lambda scene: _repair(scene, until="assigned", price_fen=12000),
    "visited_repair": lambda scene: _repair(scene, until="visited"),
    "photo_repair": lambda scene: send_for(
        scene.people["elder"], _place(scene).home, photos=[jpeg(64, 48)]
    ),
    "repair_photo": lambda scene: _photo_of(scene["photo_repair"]),
}


# --- forms -----------------------------------------------------------------------------------


def repair_form(scene) -> dict:
    return {
        "where": f"home:{scene['home']}",
        "place_detail": "",
        "description": "厨房下水道堵了",
        "day": (tomorrow() + timedelta(days=1)).isoformat(),
        "start": "09:00",
        "end": "12:00",
        "idempotency_key": uuid.uuid4().hex,
    }


def assign_form(scene) -> dict:
    return {
        "worker": str(scene["worker"]),
        "day": tomorrow().isoformat(),
        "at": "10:00",
        "charge": "free",
    }


def price_form(scene) -> dict:
    return {"charge": "priced", "price_yuan": "90"}


def rating_form(scene) -> dict:
    return {"rating": "5", "comment": "很好"}


def organisation_form(scene) -> dict:
    return {"name": "新的物业公司", "kind": "property_company", "phone": ""}


def staff_form(scene) -> dict:
    return {"who": scene.people["volunteer"].phone, "role": "worker"}


def side(ok, status: int, seen_by=RESIDENT_SIDE) -> dict[str, int]:
    """``status`` for ``ok``; 403 for the rest of ``seen_by``; 404 for anyone else."""
    return only(ok, status) | {who: 404 for who in ALL - set(seen_by)}


def compound_form(scene) -> dict:
    return {"community": str(scene["community"]), "name": "桂花三村", "address": ""}


def home_form(scene) -> dict:
    return {"building": str(scene["building"]), "unit": "3单元502", "area_m2": "72.5"}


def owner_form(scene) -> dict:
    return {"home": str(scene["home"]), "who": scene.people["volunteer"].phone}


REPAIR = "/civic/repairs/{repair}"
COMPOUND = "/civic/compounds/{compound}"
ORG = "/civic/organisations/{company}"
# The company's page: the street admin, and A's coordinator (it serves A's compound).
SEES_COMPANY = STAFF_OF_A

ROWS = [
    get("/civic/repairs/", only(ALL, 200)),
    get("/civic/repairs/new", only(ALL, 200)),
    get("/civic/repairs/new?for={elder}", side(RESIDENT_SIDE, 200)),
    post("/civic/repairs/new?for={elder}", side(RESIDENT_SIDE, 302), repair_form),
    get(REPAIR, side(RESIDENT_SIDE, 200)),
    get("/civic/repairs/{photo_repair}/photos/{repair_photo}", side(RESIDENT_SIDE, 200)),
    post(REPAIR + "/assign", side(set(), 302), assign_form),
    post(REPAIR + "/price", side(set(), 302), price_form),
    post(
        "/civic/repairs/{assigned_repair}/visit",
        side(set(), 302),
        lambda s: {"work_done": "修好了"},
    ),
    post(
        "/civic/repairs/{priced_repair}/accept-price",
        side(RESIDENT_SIDE, 302),
        lambda s: {"price_fen": "12000"},
    ),
    post("/civic/repairs/{visited_repair}/confirm", side(RESIDENT_SIDE, 302), rating_form),
    post(
        "/civic/repairs/{visited_repair}/not-fixed",
        side(RESIDENT_SIDE, 302),
        lambda s: {"comment": "还在漏"},
    ),
    get("/civic/organisations/", only(EVERY_STAFF, 200)),
    post(
        "/civic/organisations/new",
        only({"street_admin", "far_street_admin"}, 302),
        organisation_form,
    ),
    get(ORG, side(SEES_COMPANY, 200, SEES_COMPANY)),
    post(
        ORG + "/compounds",
        side({"street_admin"}, 302, SEES_COMPANY),
        lambda s: {"compound": str(s["b_compound"])},
    ),
    post(ORG + "/compounds/{compound}/unlink", side({"street_admin"}, 302, SEES_COMPANY)),
    post(ORG + "/staff", side({"street_admin"}, 302, SEES_COMPANY), staff_form),
    post(ORG + "/staff/{staff_row}/remove", side({"street_admin"}, 302, SEES_COMPANY)),
    # compounds and homes: A's coordinator and the street admin keep A's places
    get("/civic/compounds/", only(EVERY_STAFF, 200)),
    post(
        "/civic/compounds/new",
        only(STAFF_OF_A, 302) | dict.fromkeys(EVERY_STAFF - STAFF_OF_A, 400),
        compound_form,
    ),
    get(COMPOUND, side(STAFF_OF_A, 200, STAFF_OF_A)),
    post(COMPOUND + "/buildings", side(STAFF_OF_A, 302, STAFF_OF_A), lambda s: {"name": "9幢"}),
    post(COMPOUND + "/homes", side(STAFF_OF_A, 302, STAFF_OF_A), home_form),
    post(COMPOUND + "/owners", side(STAFF_OF_A, 302, STAFF_OF_A), owner_form),
]
