"""Contact days' rows of the permission table (tests/test_permissions.py).

The scene: community A's coordinator schedules a contact day a week ahead ({cd_day}),
where the elder has signed up ({cd_topic}); and one today ({cd_today}) with the elder's
topic ({cd_today_topic}) to record, and one today with no topics ({cd_empty}) to close.
Community A's members see A's days; A's coordinator and the street admin run them; B's
coordinator and the far street reach none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

from civic import contact_days
from form_limits import local_today
from tests.permission_table import PEOPLE, get, only, post

ALL = set(PEOPLE)
A_STAFF = {"coordinator", "street_admin"}
A_SIDE = {"elder", "family", "volunteer", "provider"} | A_STAFF  # who reaches A's days
RUNS_OWN = A_STAFF | {"other_coordinator", "far_coordinator", "far_street_admin"}
ELDER_SIDE = {"elder", "family"} | A_STAFF


def _day(scene, days_ahead: int):
    people = scene.people
    return contact_days.schedule(
        by=people["coordinator"],
        community=people["coordinator"].community,
        held_on=local_today() + timedelta(days=days_ahead),
        starts_at=time(9, 30),
        place="社区活动室",
    )


def _topic(scene, day_name: str):
    elder = scene.people["elder"]
    day = contact_days.contact_day_for(elder, scene[day_name])
    return contact_days.sign_up(by=elder, contact_day=day, resident=elder, topic="楼道灯坏了")


BUILDERS: dict[str, Callable] = {
    "cd_day": lambda scene: _day(scene, 7),
    "cd_topic": lambda scene: _topic(scene, "cd_day"),
    "cd_today": lambda scene: _day(scene, 0),
    "cd_today_topic": lambda scene: _topic(scene, "cd_today"),
    "cd_empty": lambda scene: _day(scene, 0),
}


def schedule_form(scene) -> dict:
    return {
        "held_on": (local_today() + timedelta(days=3)).isoformat(),
        "starts_at": "09:30",
        "place": "社区活动室",
    }


def sign_up_form(scene) -> dict:
    elder = scene.people["elder"]
    return {"resident": str(elder.id), "who": elder.phone, "topic": "路灯不亮"}


def outcome_form(scene) -> dict:
    return {"outcome": "answered", "answer": "物业明天来修"}


def not_there(ok, status: int) -> dict[str, int]:
    """``status`` for ``ok``, 403 for the rest of A's side, 404 for whoever is outside it."""
    return only(ok, status) | {who: 404 for who in ALL - A_SIDE}


DAY = "/civic/contact-days/{cd_day}"
TODAY = "/civic/contact-days/{cd_today}"

ROWS = [
    get("/civic/contact-days/", only(ALL, 200)),
    get("/civic/contact-days/new", only(RUNS_OWN, 200)),
    post("/civic/contact-days/new", only(RUNS_OWN, 302), schedule_form),
    get(DAY, not_there(A_SIDE, 200)),
    get(DAY + "/record", not_there(A_SIDE, 200)),
    post(DAY + "/sign-up", not_there(ELDER_SIDE, 302), sign_up_form),
    post(
        DAY + "/topics/{cd_topic}/withdraw",
        not_there(ELDER_SIDE, 302) | {"volunteer": 404, "provider": 404},
    ),
    post(DAY + "/cancel", not_there(A_STAFF, 302), lambda scene: {"reason": "台风"}),
    get(
        TODAY + "/topics/{cd_today_topic}",
        not_there(A_STAFF, 200) | {"volunteer": 404, "provider": 404},
    ),
    post(
        TODAY + "/topics/{cd_today_topic}",
        not_there(A_STAFF, 302) | {"volunteer": 404, "provider": 404},
        outcome_form,
    ),
    post("/civic/contact-days/{cd_empty}/held", not_there(A_STAFF, 302)),
]
