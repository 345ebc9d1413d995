"""Civic's rows of the permission table (tests/test_permissions.py): problems reported,
the board and 我也遇到了, a problem's page and photos, and each step of its follow-through.

The scene: a compound of the elder's community (A) served by a property company whose
manager is the table's "provider" (a member of community A who, here, works for the
company: the way the issue's property staff are members with a role for an
organisation). The elder reported problems at each stage: one waiting for triage, one
held by the company, one the company closed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from civic.problem_flow import accept_problem, close_problem, local_today
from tests.civic.problem_scene import a_problem, compound_in, jpeg, property_company
from tests.permission_table import COORDINATORS, PEOPLE, get, only, post

__all__ = ["BUILDERS", "ROWS"]

ALL = set(PEOPLE)
REPORTER_SIDE = {"elder", "family"} | COORDINATORS  # the elder, their family, their staff
COMMUNITY_A = {"elder", "family", "volunteer", "provider", "coordinator"}
HOLDER = {"provider"}  # the property company's manager


def not_found(ok, status: int, sees=REPORTER_SIDE) -> dict[str, int]:
    """``status`` for ``ok``; 403 for who sees the problem whole but may not take this
    step; 404 for everyone else (its existence is not theirs to learn)."""
    return {who: status if who in ok else 403 if who in sees else 404 for who in PEOPLE}


# --- the scene ---------------------------------------------------------------------------------


def _compound(scene):
    return compound_in(scene.people["elder"].community, "桂花新村")


def _company(scene):
    from civic.place_models import Compound
    from extensions import db

    compound = db.session.get(Compound, scene["problem_compound"])
    return property_company(compound, scene.people["provider"])


def _reported(scene, words: str = "3幢楼道灯坏了"):
    from civic.place_models import Compound
    from extensions import db

    compound = db.session.get(Compound, scene["problem_compound"])
    return a_problem(scene.people["elder"], compound, words=words, photos=[jpeg(64, 48)])


def _held(scene):
    scene["problem_company"]
    problem = _reported(scene, "东门口路灯不亮")
    accept_problem(
        by=scene.people["coordinator"],
        problem_id=problem.id,
        holder=str(scene["problem_company"]),
        due_on=local_today() + timedelta(days=7),
    )
    return problem


def _closed(scene):
    problem = _held(scene)
    close_problem(by=scene.people["provider"], problem_id=problem.id, note="换了新灯")
    return problem


def _held_photo(scene):
    from civic.problem_models import Problem
    from extensions import db

    return db.session.get(Problem, scene["held_problem"]).photos[0]


BUILDERS = {
    "problem_compound": _compound,
    "problem_company": _company,
    "reported_problem": _reported,
    "merge_target": lambda scene: _reported(scene, "3幢楼道灯又坏了"),
    "held_problem": _held,
    "held_photo": _held_photo,
    "closed_problem": _closed,
}


# --- forms ---------------------------------------------------------------------------------------


def report_form(scene) -> dict:
    return {
        "description": "楼下水沟堵了，一下雨就积水",
        "urgency": "soon",
        "spot": "北门",
        "idempotency_key": uuid.uuid4().hex,
    }


def accept_form(scene) -> dict:
    return {"holder": "office", "due_on": (local_today() + timedelta(days=7)).isoformat()}


def reason(scene) -> dict:
    return {"reason": "这是住户家里的问题，请联系物业报修"}


def merge_form(scene) -> dict:
    return {"into": str(scene["merge_target"])}


def note(scene) -> dict:
    return {"note": "明天上午派人来修"}


def rating(scene) -> dict:
    return {"rating": "4"}


def not_fixed(scene) -> dict:
    return {"reason": "晚上还是不亮"}


# --- the rows --------------------------------------------------------------------------------------

NEW = "/problems/new?category=lighting&compound={problem_compound}"

ROWS = [
    # everyone has their own list, board and report form (others' boards show their own)
    get("/problems/", only(ALL, 200)),
    get("/problems/board", only(ALL, 200)),
    get("/problems/work", only(ALL, 200)),
    get("/problems/new", only(ALL, 200)),
    # reporting for someone: themself, family who may book for them, their coordinators
    get("/problems/new?for={elder}", only(REPORTER_SIDE, 200, refused=404)),
    # a compound of community A is for its members to report on (B's staff: not theirs)
    get(NEW, only(COMMUNITY_A, 200, refused=404)),
    get(NEW + "&for={elder}", only(REPORTER_SIDE, 200, refused=404)),
    post(NEW + "&for={elder}", only(REPORTER_SIDE, 302, refused=404), report_form),
    # a problem whole (who reported it, photos, history): the reporter's side and the holder
    get("/problems/{reported_problem}", only(REPORTER_SIDE, 200, refused=404)),
    get("/problems/{held_problem}", only(REPORTER_SIDE | HOLDER, 200, refused=404)),
    get(
        "/problems/{held_problem}/photos/{held_photo}",
        only(REPORTER_SIDE | HOLDER, 200, refused=404),
    ),
    # 我也遇到了: a member of its community, once, not its own reporter
    post(
        "/problems/{reported_problem}/me-too",
        {
            who: 302 if who in COMMUNITY_A - {"elder"} else 403 if who == "elder" else 404
            for who in PEOPLE
        },
    ),
    # triage: a coordinator of its community (or the street admin)
    get("/problems/{reported_problem}/triage", not_found(COORDINATORS, 200)),
    post("/problems/{reported_problem}/accept", not_found(COORDINATORS, 302), accept_form),
    post("/problems/{reported_problem}/decline", not_found(COORDINATORS, 302), reason),
    post("/problems/{reported_problem}/merge", not_found(COORDINATORS, 302), merge_form),
    # the holder answers and closes; whoever sees it but does not hold it is refused
    get("/problems/{held_problem}/answer", not_found(HOLDER, 200, REPORTER_SIDE | HOLDER)),
    post("/problems/{held_problem}/answer", not_found(HOLDER, 302, REPORTER_SIDE | HOLDER), note),
    get("/problems/{held_problem}/close", not_found(HOLDER, 200, REPORTER_SIDE | HOLDER)),
    post("/problems/{held_problem}/close", not_found(HOLDER, 302, REPORTER_SIDE | HOLDER), note),
    # the reporter's side confirms and rates, or reopens; the holder may not
    get(
        "/problems/{closed_problem}/confirm", not_found(REPORTER_SIDE, 200, REPORTER_SIDE | HOLDER)
    ),
    post(
        "/problems/{closed_problem}/confirm",
        not_found(REPORTER_SIDE, 302, REPORTER_SIDE | HOLDER),
        rating,
    ),
    post(
        "/problems/{closed_problem}/reopen",
        not_found(REPORTER_SIDE, 302, REPORTER_SIDE | HOLDER),
        not_fixed,
    ),
]
