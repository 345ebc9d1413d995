"""The time bank's rows of the permission table (tests/test_permissions.py): requests and
offers, logged visits, gifts and statements, rounds and cards, care plans, group sessions,
reports and the desk.

The scene (tests/timebank/permission_scene.py): the elder, their family and the
volunteer live in community A; B has its own volunteer and residents; a second street
has its own elder ({far_elder}).
"""

from __future__ import annotations

from community.models import User
from extensions import db
from tests.permission_table import (
    COORDINATORS,
    FAR,
    PEOPLE,
    STAFF,
    get,
    only,
    post,
)

from .permission_scene import (
    BUILDERS,
    OPEN_NOTE,
    SCHEDULED_NOTE,
    TAKEN_NOTE,
    TODAY,
    TOMORROW,
)
from .support import key

__all__ = ["BUILDERS", "READERS", "ROWS"]

# --- who is who ------------------------------------------------------------------------------

ALL = set(PEOPLE)
REQUESTER_SIDE = {"elder", "family"} | COORDINATORS
VISIT_PEOPLE = REQUESTER_SIDE | {"volunteer"}
DOERS = {"volunteer"} | COORDINATORS
# Another street's staff: the members these forms name are not found in their street.
FAR_NOT_FOUND = dict.fromkeys(FAR, 404)
FAR_NOT_A_CHOICE = dict.fromkeys(FAR, 400)
# Community B's coordinator and the street admin (of both communities).
B_STAFF = {"other_coordinator", "street_admin"}
B_SIDE = {"other_coordinator"}  # B's coordinator, when a record has a B side
# Pages of one's own street's people (each member and staff see their own).
BROWSERS = STAFF | {"volunteer"}

# Words of the scene's records that no page shows to anyone but their readers.
READERS = {
    OPEN_NOTE: REQUESTER_SIDE,
    TAKEN_NOTE: REQUESTER_SIDE,
    SCHEDULED_NOTE: REQUESTER_SIDE | {"volunteer"},
}

# --- forms -------------------------------------------------------------------------------


def need_form(scene) -> dict:
    return {
        "idempotency_key": key(),
        "category": "meal",
        "needed_on": TOMORROW.isoformat(),
        "window_start": "10:00",
        "window_end": "11:00",
        "building": "3",
        "unit": "201",
        "estimated_minutes": "60",
    }


def asked_for_offer(scene) -> dict:
    return need_form(scene) | {"category": ""}


def export_form(scene) -> dict:
    return {"report": "transfers", "start": TODAY.isoformat(), "end": TODAY.isoformat()}


def offer_form(scene) -> dict:
    return {"category": "repairs", "weekdays": ["1", "4"]}


def schedule_form(scene) -> dict:
    people = scene.people
    return {
        "volunteer": people["volunteer"].login_name,
        "recipient": people["elder"].login_name,
        "category": "meal",
        "scheduled_date": TOMORROW.isoformat(),
        "scheduled_time": "09:00",
    }


def plan_form(scene) -> dict:
    people = scene.people
    return {
        "elder": people["elder"].login_name,
        "volunteer": people["volunteer"].login_name,
        "category": "meal",
        "weekdays": ["1", "4"],
        "time_of_day": "09:00",
        "start_date": TOMORROW.isoformat(),
    }


def group_form(scene) -> dict:
    return {
        "idempotency_key": key(),
        "title": "读书会",
        "category": "companionship",
        "held_on": TODAY.isoformat(),
        "minutes": "30",
        "participants": scene.people["volunteer"].phone,
    }


def b_group_form(scene) -> dict:
    """A session of community B, with one of B's residents taking part."""
    phone = db.session.get(User, scene["b_resident"]).phone
    return group_form(scene) | {"participants": phone}


def visit_form(scene) -> dict:
    return {
        "recipient": scene.people["elder"].phone,
        "category": "meal",
        "service_date": TODAY.isoformat(),
        "minutes": "45",
        "idempotency_key": key(),
    }


def gift_form(scene) -> dict:
    return {"recipient": scene.people["family"].phone, "hours": "1", "idempotency_key": key()}


def donate_form(scene) -> dict:
    return {"hours": "1", "idempotency_key": key()}


def grant_form(scene) -> dict:
    return {
        "hours": "2",
        "minutes": "0",
        "source": "guarantee",
        "reason": "独居老人, 春节慰问",
        "idempotency_key": key(),
    }


def reverse_form(scene) -> dict:
    return {"reason": "记错了人", "idempotency_key": key()}


def settle_form(scene) -> dict:
    return {"decision": "post_all", "note": "和双方核实过"}


# --- the rows ------------------------------------------------------------------------------

ROWS = [
    # requests and offers (/aid)
    get("/aid/requests/new", only(ALL, 200)),
    post("/aid/requests/new", only(ALL, 302), need_form),
    get("/aid/requests/new?for={elder}", only(REQUESTER_SIDE, 200)),
    post("/aid/requests/new?for={elder}", only(REQUESTER_SIDE, 302), need_form),
    get("/aid/requests/new?for={b_resident}", only(B_STAFF, 200)),
    get("/aid/requests/new?for={far_elder}", only(FAR, 200)),
    # the street's board of open requests names who asks, for any volunteer of the street
    get("/aid/requests", only(BROWSERS, 200), names_elder=B_SIDE),
    # a list's community filter offers the communities of one's own street
    get("/aid/requests?community={other_community}", only(BROWSERS, 200) | FAR_NOT_A_CHOICE),
    get("/aid/requests/{open}", only(VISIT_PEOPLE, 200)),
    get("/aid/requests/{taken}", only(VISIT_PEOPLE, 200)),
    get("/aid/requests/{scheduled}", only(VISIT_PEOPLE, 200)),
    post("/aid/requests/{open}/take", only({"volunteer"}, 302)),
    post("/aid/requests/{taken}/approve", only(REQUESTER_SIDE, 302)),
    # declining a take or cancelling a request asks first (a plain page, no pop-up)
    get("/aid/requests/{taken}/decline", only(VISIT_PEOPLE, 200)),
    post("/aid/requests/{taken}/decline", only(VISIT_PEOPLE, 302)),
    get("/aid/requests/{open}/cancel", only(REQUESTER_SIDE, 200)),
    post("/aid/requests/{open}/cancel", only(REQUESTER_SIDE, 302)),
    post("/aid/requests/{scheduled}/cancel", only(REQUESTER_SIDE, 302)),
    get("/aid/my", only(ALL, 200)),
    get("/aid/unclaimed", only(STAFF, 200)),
    get("/aid/offers", only(ALL, 200)),
    get("/aid/offers?community={other_community}", only(ALL, 200) | FAR_NOT_A_CHOICE),
    get("/aid/offers/new", only({"volunteer"}, 200)),
    post("/aid/offers/new", only({"volunteer"}, 302), offer_form),
    get("/aid/offers/{offer}/edit", only({"volunteer"}, 200)),
    post("/aid/offers/{offer}/edit", only({"volunteer"}, 302), offer_form),
    post("/aid/offers/{offer}/pause", only({"volunteer"}, 302)),
    get("/aid/offers/{offer}/ask", only(ALL - {"volunteer"} - FAR, 200)),
    post("/aid/offers/{offer}/ask", only(ALL - {"volunteer"} - FAR, 302), asked_for_offer),
    get("/aid/offers/{offer}/ask?for={elder}", only(REQUESTER_SIDE, 200)),
    post("/aid/offers/{offer}/ask?for={elder}", only(REQUESTER_SIDE, 302), asked_for_offer),
    # visits a volunteer logged (/visits): the elder's side answers, both sides see
    get("/visits/new", only(ALL, 200)),
    get("/visits/new?for={volunteer}", only(DOERS, 200)),
    post("/visits/new?for={volunteer}", only(DOERS, 302), visit_form),
    get("/visits/{logged}", only(VISIT_PEOPLE, 200)),
    post("/visits/{logged}/confirm", only(REQUESTER_SIDE, 302)),
    post("/visits/{logged}/reject", only(REQUESTER_SIDE, 302)),
    post(
        "/visits/{logged}/dispute", only(REQUESTER_SIDE, 302), lambda s: {"dispute-reason": "没来"}
    ),
    # B's volunteer visited A's elder: B's coordinator sees their volunteer's visit; only
    # the elder's side answers it
    get("/visits/{cross_logged}", only(REQUESTER_SIDE | B_STAFF, 200), names_elder=B_SIDE),
    post("/visits/{cross_logged}/confirm", only(REQUESTER_SIDE, 302), names_elder=B_SIDE),
    get("/confirmations", only(ALL, 200)),
    # hours: gifts, donations and statements, for oneself or (coordinators) for a member
    get("/gift?for={giving_elder}", only({"elder"} | COORDINATORS, 200)),
    post("/gift?for={giving_elder}", only({"elder"} | COORDINATORS, 302), gift_form),
    get("/donate?for={giving_elder}", only({"elder"} | COORDINATORS, 200)),
    post("/donate?for={giving_elder}", only({"elder"} | COORDINATORS, 302), donate_form),
    # the page after one's own gift or donation, and taking it back (撤回): the giver's only
    get("/hours/sent/{transfer}", only({"volunteer"}, 200, refused=404)),
    post("/hours/sent/{transfer}/take-back", only({"volunteer"}, 302, refused=404)),
    get("/statement?member={elder}", only({"elder"} | COORDINATORS, 200)),
    get("/statement.csv?member={elder}", only({"elder"} | COORDINATORS, 200)),
    get("/statement?member={b_resident}", only(B_STAFF, 200)),
    get("/statement?member={far_elder}", only(FAR, 200)),
    # rounds, cards and call-backs (/rounds)
    get("/rounds/", only(ALL, 200)),
    get("/rounds/schedule", only(ALL, 200)),
    # the elder's side agrees to a visit: a volunteer alone may no longer plan one (issue 9)
    post("/rounds/schedule", only(REQUESTER_SIDE, 302) | FAR_NOT_FOUND, schedule_form),
    get("/rounds/visits/{plain}", only(VISIT_PEOPLE, 200)),
    post("/rounds/visits/{plain}/check-in", only(DOERS, 302)),
    post("/rounds/visits/{under_way}/check-out", only(DOERS, 302)),
    get("/rounds/visits/{plain}/skip", only(VISIT_PEOPLE, 200)),
    post("/rounds/visits/{plain}/skip", only(VISIT_PEOPLE, 302)),
    get("/rounds/visits/{plain}/cancel", only(VISIT_PEOPLE, 200)),
    post("/rounds/visits/{plain}/cancel", only(VISIT_PEOPLE, 302)),
    # the first look chooses the box of the card this visit asks for
    # B's volunteer's visit to A's elder: B's coordinator sees it, but neither checks it in
    # and out nor calls it off (the issue: they did both)
    get("/rounds/visits/{cross_plain}", only(REQUESTER_SIDE | B_STAFF, 200), names_elder=B_SIDE),
    post("/rounds/visits/{cross_plain}/check-in", only(COORDINATORS, 302), names_elder=B_SIDE),
    post("/rounds/visits/{cross_plain}/cancel", only(REQUESTER_SIDE, 302), names_elder=B_SIDE),
    get("/rounds/visits/{cross_plain}/record", only(COORDINATORS, 200)),
    get("/rounds/visits/{finished}/card", only({"volunteer"}, 200), writes={"volunteer"}),
    # a wrong code from the visit's volunteer counts as a try and answers 400
    post(
        "/rounds/visits/{finished}/card",
        only({"volunteer"}, 400),
        lambda scene: {"code": "000000"},
        writes={"volunteer"},
    ),
    get("/rounds/visits/{plain}/record", only(COORDINATORS, 200)),
    post(
        "/rounds/visits/{plain}/record",
        only(COORDINATORS, 302),
        lambda scene: {"started_at": "08:00", "ended_at": "08:45"},
    ),
    get("/rounds/cards/{elder}", only(COORDINATORS, 200)),
    post("/rounds/cards/{elder}/issue", only(COORDINATORS, 200)),
    post("/rounds/cards/{carded_elder}/revoke", only(COORDINATORS, 302)),
    get("/rounds/callback/{record}", only(COORDINATORS, 200)),
    post(
        "/rounds/callback/{record}",
        only(COORDINATORS, 302),
        lambda scene: {"note": "Phoned at 3 pm."},
    ),
    # care plans (/plans)
    get("/plans/", only(ALL, 200)),
    get("/plans/new", only(ALL, 200)),
    post("/plans/new", only(REQUESTER_SIDE, 302) | FAR_NOT_FOUND, plan_form),
    get("/plans/elder/{elder}", only(REQUESTER_SIDE, 200)),
    get("/plans/volunteer/{volunteer}", only(DOERS, 200)),
    get("/plans/community", only(STAFF, 200)),
    get("/plans/{plan}", only(VISIT_PEOPLE, 200)),
    post("/plans/{plan}/pause", only(REQUESTER_SIDE, 302)),
    post("/plans/{paused}/resume", only(REQUESTER_SIDE, 302)),
    get("/plans/{plan}/end", only(REQUESTER_SIDE, 200)),
    post("/plans/{plan}/end", only(REQUESTER_SIDE, 302)),
    get("/plans/{plan}/visits/{plan_visit}/skip", only(VISIT_PEOPLE, 200)),
    # the volunteer may skip one visit (as on the rounds page), not change the plan
    post("/plans/{plan}/visits/{plan_visit}/skip", only(VISIT_PEOPLE, 302)),
    # group sessions (/groups): the volunteer took part in the session
    get("/groups/", only(STAFF, 200)),
    get("/groups/new", only(STAFF, 200)),
    get("/groups/new?community={community}", only(COORDINATORS, 200)),
    post("/groups/new?community={community}", only(COORDINATORS, 302), group_form),
    get("/groups/new?community={other_community}", only(B_STAFF, 200)),
    post("/groups/new?community={other_community}", only(B_STAFF, 302), b_group_form),
    get("/groups/new?community={far_community}", only(FAR, 200)),
    get("/groups/{session}", only(DOERS, 200)),
    # reports (/reports)
    get("/reports/", only(ALL, 200)),
    get("/reports/figures", only(STAFF, 200)),
    get("/reports/export.csv?report=visits", only(STAFF, 200)),
    get("/reports/export.csv?report=transfers", only(STAFF, 200)),
    get("/reports/export.csv?report=members", only(STAFF, 200)),
    post("/reports/exports/", only(STAFF, 303), export_form),
    # the coordinator's own big export: nobody else's to see, not even the street admin's
    get("/reports/exports/{coordinator_export}", only({"coordinator"}, 200, 404)),
    get("/reports/exports/{coordinator_export}/file", only({"coordinator"}, 200, 404)),
    get("/reports/certificate?volunteer={volunteer}", only(COORDINATORS, 302) | FAR_NOT_FOUND),
    get("/reports/certificates/{volunteer}", only(DOERS, 200)),
    # the coordinator's desk (/desk)
    get("/desk/", only(STAFF, 200)),
    get("/desk/members/{elder}", only(COORDINATORS, 200)),
    get("/desk/members/{b_resident}", only(B_STAFF, 200)),
    get("/desk/members/{far_elder}", only(FAR, 200)),
    get("/desk/members/{elder}/grant", only(COORDINATORS, 200)),
    post("/desk/members/{priority_elder}/grant", only(COORDINATORS, 302), grant_form),
    get("/desk/transfers/{transfer}", only(COORDINATORS, 200)),
    post("/desk/transfers/{transfer}/reverse", only(COORDINATORS, 302), reverse_form),
    get("/desk/disputes", only(STAFF, 200)),
    get("/desk/disputes/{disputed}", only(COORDINATORS, 200)),
    # community B's people and records are B's coordinator's (and the street admin's)
    get("/desk/members/{b_resident}/grant", only(B_STAFF, 200)),
    get("/desk/transfers/{b_transfer}", only(B_STAFF, 200)),
    get("/desk/disputes/{b_disputed_visit}", only(B_STAFF, 200)),
    get("/rounds/cards/{b_resident}", only(B_STAFF, 200)),
    get("/plans/elder/{b_resident}", only(B_STAFF, 200)),
    get("/plans/volunteer/{b_volunteer}", only(B_STAFF, 200)),
    get("/reports/certificates/{b_volunteer}", only(B_STAFF, 200)),
    get("/groups/{b_session}", only(B_STAFF, 200)),
    post("/desk/disputes/{disputed}", only(COORDINATORS, 302), settle_form),
]
