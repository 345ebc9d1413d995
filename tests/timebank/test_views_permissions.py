"""Who may see and do what, over every route of mutual aid: requests and offers, rounds and
cards, care plans, group sessions, family links, the inbox, reports and the desk.

One table: each route, and for each of the seven people (elder, family, volunteer,
provider, coordinator of this community, coordinator of another community, street
admin) the exact status they get. Pages (GET) share one scene per person. A POST that
succeeds changes the scene, so each allowed row gets its own; refusals change nothing,
so a route's refusals share one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from community.family import request_family_link
from community.models import FamilyLink, utcnow
from community.notifications import notify
from extensions import db
from tests.conftest import csrf_token, login
from timebank.cards import issue_card
from timebank.care_plan_models import PlanStatus
from timebank.care_plans import PlanDetails, create_plan
from timebank.clock import local_today
from timebank.group_sessions import log_group_session
from timebank.offers import OfferDetails, publish_offer
from timebank.requests import Need, approve_take, post_request, take_request
from timebank.scheduling import check_in, check_out, schedule_visit
from timebank.transfers import donate_hours
from timebank.visit_models import Visit

from .support import disputed_visit, key, top_up

UNKNOWN = 999_999
TODAY = local_today()
TOMORROW = TODAY + timedelta(days=1)

# --- the scene: built lazily, only what a row's path names ---------------------------------


def _need(**fields) -> Need:
    return Need(
        category="meal", estimated_minutes=60, needed_on=TODAY + timedelta(days=2), **fields
    )


def _posted(scene, **fields):
    elder = scene.people["elder"]
    return post_request(_need(**fields), requester=elder, by=elder, idempotency_key=key())


def _taken(scene):
    request = _posted(scene)
    take_request(request, volunteer=scene.people["volunteer"])
    return request


def _visit_at(scene, at: time, day=TODAY) -> Visit:
    return schedule_visit(
        volunteer=scene.people["volunteer"],
        recipient=scene.people["elder"],
        category="meal",
        scheduled_date=day,
        scheduled_time=at,
        by=scene.people["coordinator"],
    )


def _finished(scene) -> Visit:
    """Checked out just now (the card confirms within the hour after check-out), its record
    waiting for the elder's card code (the card is issued)."""
    scene["card"]
    visit = _visit_at(scene, time(12, 0), day=local_today())
    check_in(visit, by=scene.people["volunteer"], at=utcnow())
    return check_out(visit, by=scene.people["volunteer"], at=utcnow() + timedelta(minutes=40))


def _under_way(scene) -> Visit:
    """Checked in just now, so checking out from the page comes after it whatever the hour."""
    scene["finished"]  # checked in and out first: a volunteer is in one visit at a time
    visit = _visit_at(scene, time(15, 0), day=local_today())
    return check_in(visit, by=scene.people["volunteer"], at=utcnow())


def _plan(scene, at: time):
    plan, _generated = create_plan(
        elder=scene.people["elder"],
        volunteer=scene.people["volunteer"],
        details=PlanDetails(
            category="meal", weekdays=tuple(range(7)), time_of_day=at, start_date=TOMORROW
        ),
        by=scene.people["coordinator"],
    )
    return plan


def _paused_plan(scene):
    plan = _plan(scene, time(16, 0))
    plan.status = PlanStatus.PAUSED
    return plan


def _plan_visit(scene) -> Visit:
    plan_id = scene["plan"]
    return db.session.scalars(select(Visit).where(Visit.care_plan_id == plan_id)).first()


def _donation(scene) -> int:
    volunteer = scene.people["volunteer"]
    top_up(volunteer, 300)
    return donate_hours(member=volunteer, minutes=60, by=volunteer, idempotency_key=key())


def _group_session(scene):
    return log_group_session(
        community=scene.people["coordinator"].community,
        title="中秋游园会",
        category="companionship",
        held_on=TODAY,
        minutes=60,
        participant_lines=[scene.people["volunteer"].phone],
        by=scene.people["coordinator"],
        idempotency_key=key(),
    )


def _asked_link(scene) -> FamilyLink:
    """A neighbour's daughter asks to be linked to the elder (not one of the seven)."""
    relative = scene.make_member("王小红", age=45)
    return request_family_link(by=relative, elder=scene.people["elder"], relation="女儿")


def _active_link(scene) -> FamilyLink:
    people = scene.people
    return db.session.scalar(
        select(FamilyLink).where(
            FamilyLink.elder_id == people["elder"].id,
            FamilyLink.relative_id == people["family"].id,
        )
    )


def _carded_elder(scene):
    """The elder, with a card in use to revoke."""
    scene["card"]
    return scene.people["elder"]


BUILDERS: dict[str, Callable] = {
    "elder": lambda scene: scene.people["elder"],
    "volunteer": lambda scene: scene.people["volunteer"],
    "community": lambda scene: scene.people["coordinator"].community,
    "open": lambda scene: _posted(scene, private_notes="钥匙在邻居家"),
    "taken": _taken,
    "scheduled": lambda scene: approve_take(_taken(scene), by=scene.people["elder"]),
    "offer": lambda scene: publish_offer(
        OfferDetails(category="haircut"), by=scene.people["volunteer"]
    ),
    "plain": lambda scene: _visit_at(scene, time(8, 0)),
    "under_way": _under_way,
    "finished": _finished,
    "record": lambda scene: db.session.get(Visit, scene["finished"]).service_record,
    "card": lambda scene: issue_card(scene.people["elder"], by=scene.people["coordinator"]).card,
    "carded_elder": _carded_elder,
    "plan": lambda scene: _plan(scene, time(11, 0)),
    "paused": _paused_plan,
    "plan_visit": _plan_visit,
    "session": _group_session,
    "asked": _asked_link,
    "link": _active_link,
    "notification": lambda scene: notify(scene.people["elder"], "low_balance", left=60),
    "transfer": _donation,
    "disputed": lambda scene: disputed_visit(scene.people["volunteer"], scene.people["elder"]),
    "priority_elder": lambda scene: scene.make_member("孙奶奶", age=88, is_priority=True),
}


class Scene(dict):
    """Ids by name, each built (and committed) the first time a path asks for it."""

    def __init__(self, people: dict, make_member) -> None:
        super().__init__()
        self.people = people
        self.make_member = make_member

    def __missing__(self, name: str) -> int:
        built = BUILDERS[name](self)
        db.session.commit()
        self[name] = built if isinstance(built, int) else built.id
        return self[name]


@pytest.fixture
def scene(people, make_member) -> Scene:
    return Scene(people, make_member)


# --- the table ---------------------------------------------------------------------------

ALL = (
    "elder",
    "family",
    "volunteer",
    "provider",
    "coordinator",
    "other_coordinator",
    "street_admin",
)
COORDINATORS = {"coordinator", "street_admin"}  # of this community (the admin: of its street)
STAFF = COORDINATORS | {"other_coordinator"}
REQUESTER_SIDE = {"elder", "family"} | COORDINATORS
VISIT_PEOPLE = REQUESTER_SIDE | {"volunteer"}
DOERS = {"volunteer"} | COORDINATORS


def only(ok: set[str] | tuple[str, ...], status: int, refused: int = 403) -> dict[str, int]:
    return {who: status if who in ok else refused for who in ALL}


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


def link_request_form(scene) -> dict:
    return {"elder": scene.people["elder"].phone, "relation": "邻居", "may_confirm": "y"}


def consent_form(scene) -> dict:
    return {"decision": "consent", "may_book": "y", "may_confirm": "y", "checked_in_person": "y"}


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


def nothing(scene) -> dict:
    return {}


GET, POST = "GET", "POST"
# (method, path, form data, {who: status}); a path names the scene's ids in braces.
ROUTES = [
    # requests and offers (/aid)
    (GET, "/aid/requests/new", nothing, only(ALL, 200)),
    (POST, "/aid/requests/new", need_form, only(ALL, 302)),
    (GET, "/aid/requests/new?for={elder}", nothing, only(REQUESTER_SIDE, 200)),
    (POST, "/aid/requests/new?for={elder}", need_form, only(REQUESTER_SIDE, 302)),
    (GET, "/aid/requests", nothing, only(STAFF | {"volunteer"}, 200)),
    (GET, "/aid/requests/{open}", nothing, only(VISIT_PEOPLE, 200)),
    (GET, "/aid/requests/{taken}", nothing, only(VISIT_PEOPLE, 200)),
    (GET, "/aid/requests/{scheduled}", nothing, only(VISIT_PEOPLE, 200)),
    (POST, "/aid/requests/{open}/take", nothing, only({"volunteer"}, 302)),
    (POST, "/aid/requests/{taken}/approve", nothing, only(REQUESTER_SIDE, 302)),
    (POST, "/aid/requests/{taken}/decline", nothing, only(VISIT_PEOPLE, 302)),
    (POST, "/aid/requests/{open}/cancel", nothing, only(REQUESTER_SIDE, 302)),
    (POST, "/aid/requests/{scheduled}/cancel", nothing, only(REQUESTER_SIDE, 302)),
    (GET, "/aid/my", nothing, only(ALL, 200)),
    (GET, "/aid/unclaimed", nothing, only(STAFF, 200)),
    (GET, "/aid/offers", nothing, only(ALL, 200)),
    (GET, "/aid/offers/new", nothing, only({"volunteer"}, 200)),
    (POST, "/aid/offers/new", offer_form, only({"volunteer"}, 302)),
    (GET, "/aid/offers/{offer}/edit", nothing, only({"volunteer"}, 200)),
    (POST, "/aid/offers/{offer}/edit", offer_form, only({"volunteer"}, 302)),
    (POST, "/aid/offers/{offer}/pause", nothing, only({"volunteer"}, 302)),
    (GET, "/aid/offers/{offer}/ask", nothing, only(set(ALL) - {"volunteer"}, 200)),
    (POST, "/aid/offers/{offer}/ask", asked_for_offer, only(set(ALL) - {"volunteer"}, 302)),
    (GET, "/aid/offers/{offer}/ask?for={elder}", nothing, only(REQUESTER_SIDE, 200)),
    (POST, "/aid/offers/{offer}/ask?for={elder}", asked_for_offer, only(REQUESTER_SIDE, 302)),
    # rounds, cards and call-backs (/rounds)
    (GET, "/rounds/", nothing, only(ALL, 200)),
    (GET, "/rounds/schedule", nothing, only(ALL, 200)),
    # the elder's side agrees to a visit: a volunteer alone may no longer plan one (issue 9)
    (POST, "/rounds/schedule", schedule_form, only(REQUESTER_SIDE, 302)),
    (GET, "/rounds/visits/{plain}", nothing, only(VISIT_PEOPLE, 200)),
    (POST, "/rounds/visits/{plain}/check-in", nothing, only(DOERS, 302)),
    (POST, "/rounds/visits/{under_way}/check-out", nothing, only(DOERS, 302)),
    (POST, "/rounds/visits/{plain}/skip", nothing, only(VISIT_PEOPLE, 302)),
    (POST, "/rounds/visits/{plain}/cancel", nothing, only(VISIT_PEOPLE, 302)),
    (GET, "/rounds/visits/{finished}/card", nothing, only({"volunteer"}, 200)),
    # a wrong code from the visit's volunteer counts as a try and answers 400
    (
        POST,
        "/rounds/visits/{finished}/card",
        lambda scene: {"code": "000000"},
        only({"volunteer"}, 400),
    ),
    (GET, "/rounds/visits/{plain}/record", nothing, only(COORDINATORS, 200)),
    (
        POST,
        "/rounds/visits/{plain}/record",
        lambda scene: {"started_at": "08:00", "ended_at": "08:45"},
        only(COORDINATORS, 302),
    ),
    (GET, "/rounds/cards/{elder}", nothing, only(COORDINATORS, 200)),
    (POST, "/rounds/cards/{elder}/issue", nothing, only(COORDINATORS, 200)),
    (POST, "/rounds/cards/{carded_elder}/revoke", nothing, only(COORDINATORS, 302)),
    (GET, "/rounds/callback/{record}", nothing, only(COORDINATORS, 200)),
    (
        POST,
        "/rounds/callback/{record}",
        lambda scene: {"note": "Phoned at 3 pm."},
        only(COORDINATORS, 302),
    ),
    # care plans (/plans)
    (GET, "/plans/", nothing, only(ALL, 200)),
    (GET, "/plans/new", nothing, only(ALL, 200)),
    (POST, "/plans/new", plan_form, only(REQUESTER_SIDE, 302)),
    (GET, "/plans/elder/{elder}", nothing, only(REQUESTER_SIDE, 200)),
    (GET, "/plans/volunteer/{volunteer}", nothing, only(DOERS, 200)),
    (GET, "/plans/community", nothing, only(STAFF, 200)),
    (GET, "/plans/{plan}", nothing, only(VISIT_PEOPLE, 200)),
    (POST, "/plans/{plan}/pause", nothing, only(REQUESTER_SIDE, 302)),
    (POST, "/plans/{paused}/resume", nothing, only(REQUESTER_SIDE, 302)),
    (POST, "/plans/{plan}/end", nothing, only(REQUESTER_SIDE, 302)),
    # the volunteer may skip one visit (as on the rounds page), not change the plan
    (POST, "/plans/{plan}/visits/{plan_visit}/skip", nothing, only(VISIT_PEOPLE, 302)),
    # group sessions (/groups): the volunteer took part in the session
    (GET, "/groups/", nothing, only(STAFF, 200)),
    (GET, "/groups/new", nothing, only(STAFF, 200)),
    (GET, "/groups/new?community={community}", nothing, only(COORDINATORS, 200)),
    (POST, "/groups/new?community={community}", group_form, only(COORDINATORS, 302)),
    (GET, "/groups/{session}", nothing, only(DOERS, 200)),
    # family links (/family): {asked} waits for an answer, {link} is the family's own
    (GET, "/family/", nothing, only(ALL, 200)),
    (GET, "/family/request", nothing, only(ALL, 200)),
    # anyone may ask; the elder cannot link to themself, the family is linked already
    (POST, "/family/request", link_request_form, only(ALL, 302) | {"elder": 400, "family": 409}),
    (GET, "/family/requests/{asked}", nothing, only({"elder"} | COORDINATORS, 200)),
    (POST, "/family/requests/{asked}", consent_form, only({"elder"} | COORDINATORS, 302)),
    (GET, "/family/requests/{link}", nothing, only(REQUESTER_SIDE, 200)),
    (POST, "/family/links/{link}/end", nothing, only(REQUESTER_SIDE, 302)),
    (GET, "/family/pending", nothing, only(STAFF, 200)),
    # the inbox (/inbox): the notification is the elder's
    (GET, "/inbox/", nothing, only(ALL, 200)),
    (POST, "/inbox/read", nothing, only(ALL, 302)),
    (POST, "/inbox/{notification}/open", nothing, only({"elder"}, 302)),
    # reports (/reports)
    (GET, "/reports/", nothing, only(ALL, 200)),
    (GET, "/reports/figures", nothing, only(STAFF, 200)),
    (GET, "/reports/export.csv?report=visits", nothing, only(STAFF, 200)),
    (GET, "/reports/export.csv?report=transfers", nothing, only(STAFF, 200)),
    (GET, "/reports/export.csv?report=members", nothing, only(STAFF, 200)),
    (GET, "/reports/certificate?volunteer={volunteer}", nothing, only(COORDINATORS, 302)),
    (GET, "/reports/certificates/{volunteer}", nothing, only(DOERS, 200)),
    # the coordinator's desk (/desk)
    (GET, "/desk/", nothing, only(STAFF, 200)),
    (GET, "/desk/members/{elder}", nothing, only(COORDINATORS, 200)),
    (GET, "/desk/members/{elder}/grant", nothing, only(COORDINATORS, 200)),
    (POST, "/desk/members/{priority_elder}/grant", grant_form, only(COORDINATORS, 302)),
    (GET, "/desk/transfers/{transfer}", nothing, only(COORDINATORS, 200)),
    (POST, "/desk/transfers/{transfer}/reverse", reverse_form, only(COORDINATORS, 302)),
    (GET, "/desk/disputes", nothing, only(STAFF, 200)),
    (GET, "/desk/disputes/{disputed}", nothing, only(COORDINATORS, 200)),
    (POST, "/desk/disputes/{disputed}", settle_form, only(COORDINATORS, 302)),
]
REFUSED = {403, 404}


def _signed_in(app, who: str, people):
    client = app.test_client()
    login(client, people[who])
    return client


def _post(client, url: str, data: dict, token_page: str = "/inbox/"):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_page)})


# --- pages: one scene per person, every page ---------------------------------------------


@pytest.mark.parametrize("who", ALL)
def test_who_may_open_each_page(app, people, scene, who, subtests):
    client = _signed_in(app, who, people)
    for method, path, _data, expected in ROUTES:
        if method != GET:
            continue
        with subtests.test(path=path):
            with client.get(path.format_map(scene)) as response:  # CSV pages stream
                page = response.get_data(as_text=True)
            assert response.status_code == expected[who], page[:500]


# --- actions: refusals share a scene, each allowed action gets its own ----------------------


REFUSALS = [
    pytest.param(path, data, expected, id=path)
    for method, path, data, expected in ROUTES
    if method == POST and any(status in REFUSED for status in expected.values())
]
ALLOWED = [
    pytest.param(path, data, who, status, id=f"{path} as {who}")
    for method, path, data, expected in ROUTES
    if method == POST
    for who, status in expected.items()
    if status not in REFUSED
]


@pytest.mark.parametrize(("path", "data", "expected"), REFUSALS)
def test_who_may_not_act(app, people, scene, path, data, expected, subtests):
    for who, status in expected.items():
        if status not in REFUSED:
            continue
        with subtests.test(who=who):
            client = _signed_in(app, who, people)
            response = _post(client, path.format_map(scene), data(scene))
            assert response.status_code == status, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize(("path", "data", "who", "status"), ALLOWED)
def test_who_may_act(app, people, scene, path, data, who, status):
    client = _signed_in(app, who, people)
    response = _post(client, path.format_map(scene), data(scene))
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert "/login" not in response.headers.get("Location", "")


# --- signed out, and ids that do not exist -------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, scene, subtests):
    for method, path, data, _expected in ROUTES:
        with subtests.test(method=method, path=path):
            url = path.format_map(scene)
            if method == GET:
                response = client.get(url)
            else:
                response = _post(client, url, data(scene), token_page="/login")
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]


UNKNOWN_IDS = [
    f"/aid/requests/{UNKNOWN}",
    f"/aid/requests/new?for={UNKNOWN}",
    f"/aid/offers/{UNKNOWN}/ask",
    f"/aid/offers/{UNKNOWN}/edit",
    f"/rounds/visits/{UNKNOWN}",
    f"/rounds/visits/{UNKNOWN}/record",
    f"/rounds/cards/{UNKNOWN}",
    f"/rounds/callback/{UNKNOWN}",
    f"/plans/{UNKNOWN}",
    f"/plans/elder/{UNKNOWN}",
    f"/plans/volunteer/{UNKNOWN}",
    f"/groups/{UNKNOWN}",
    f"/groups/new?community={UNKNOWN}",
    f"/family/requests/{UNKNOWN}",
    f"/reports/certificates/{UNKNOWN}",
    f"/reports/certificate?volunteer={UNKNOWN}",
    f"/desk/members/{UNKNOWN}",
    f"/desk/members/{UNKNOWN}/grant",
    f"/desk/transfers/{UNKNOWN}",
    f"/desk/disputes/{UNKNOWN}",
]


def test_unknown_ids_are_404(app, people, subtests):
    client = _signed_in(app, "coordinator", people)
    for path in UNKNOWN_IDS:
        with subtests.test(path=path):
            assert client.get(path).status_code == 404
