"""Community's rows of the permission table (tests/test_permissions.py): members' pages
and account decisions, family links and requests, the inbox, the street admin's
policies and audit log."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from community.account_admin import suspend_member
from community.family import request_family_link
from community.models import FamilyLink, User
from community.notifications import notify
from extensions import db
from tests.permission_table import COORDINATORS, FAR, PEOPLE, STAFF, get, only, post


def _b(scene):
    return scene.people["other_coordinator"].community


def _asked_link(scene) -> FamilyLink:
    """A neighbour's daughter asks to be linked to the elder (not one of the nine)."""
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


def _suspended(scene):
    """A resident of this community whose account the coordinator suspended."""
    member = scene.make_member("赵大爷", age=77)
    suspend_member(member, by=scene.people["coordinator"], reason="家属说手机丢了")
    return member


BUILDERS: dict[str, Callable] = {
    "asked": _asked_link,
    "b_asked": lambda scene: request_family_link(
        by=scene.make_member("金狮女儿", age=50, community=_b(scene)),
        elder=db.session.get(User, scene["b_resident"]),
        relation="女儿",
    ),
    "link": _active_link,
    "suspended": _suspended,
    "notification": lambda scene: notify(scene.people["elder"], "low_balance", left=60),
}

ALL = set(PEOPLE)
REQUESTER_SIDE = {"elder", "family"} | COORDINATORS
STREET_ADMINS = {"street_admin", "far_street_admin"}
B_STAFF = {"other_coordinator", "street_admin"}  # community B's coordinator, the street admin
OTHER_STREETS = {"far_street_admin": 400}


def flags_form(scene) -> dict:
    return {"is_volunteer": "y", "is_priority": "y"}


def relative_form(scene) -> dict:
    return {"relative": scene.people["volunteer"].phone, "relation": "邻居", "may_confirm": "y"}


def link_request_form(scene) -> dict:
    return {"elder": scene.people["elder"].phone, "relation": "邻居", "may_confirm": "y"}


def consent_form(scene) -> dict:
    return {"decision": "consent", "may_book": "y", "may_confirm": "y", "checked_in_person": "y"}


def policy_form(scene) -> dict:
    return {
        "floor_hours": "10",
        "storage_cap_hours": "1500",
        "daily_cap_hours": "8",
        "redeem_min_age": "65",
        "hardship_redeem_min_age": "60",
        "elder_services_paid_by": "guarantee",
        "gift_recipients": "anyone",
    }


ROWS = [
    # a member's page and account decisions (/members): their coordinators, their street's admin
    get("/members/{elder}", only(COORDINATORS, 200)),
    get("/members/{b_resident}", only(B_STAFF, 200)),
    get("/members/{b_resident}/edit", only(B_STAFF, 200)),
    get("/members/{b_resident}/suspend", only(B_STAFF, 200)),
    get("/members/{b_resident}/family", only(B_STAFF, 200)),
    get("/members/{far_elder}", only(FAR, 200)),
    get("/members/{elder}/edit", only(COORDINATORS, 200)),
    post("/members/{elder}/edit", only(COORDINATORS, 302), flags_form),
    get("/members/{elder}/family", only({"elder"} | COORDINATORS, 200)),
    post("/members/{elder}/family", only({"elder"} | COORDINATORS, 302), relative_form),
    # (the elder's sign-in is not locked: lifting nothing records nothing)
    post("/members/{elder}/unlock", only(COORDINATORS, 302), idle=True),
    post("/members/{elder}/password-reset", only(COORDINATORS, 200)),
    get("/members/{elder}/suspend", only(COORDINATORS, 200)),
    post("/members/{elder}/suspend", only(COORDINATORS, 302), lambda s: {"reason": "长期外出"}),
    post("/members/{suspended}/reinstate", only(COORDINATORS, 302)),
    post("/members/{elder}/large-text", only(COORDINATORS, 302), lambda s: {"large_text": "on"}),
    # roles are the street admin's to give
    post("/members/{elder}/role", only({"street_admin"}, 302), lambda s: {"role": "coordinator"}),
    # a coordinator's account is in the hands of their street admin, not a colleague's
    get("/members/{other_coordinator}/suspend", only({"street_admin"}, 200)),
    # family links (/family, and the member page's button): {asked} waits for an answer
    get("/family-links/{link}/revoke", only(REQUESTER_SIDE, 200)),
    post("/family-links/{link}/revoke", only(REQUESTER_SIDE, 302)),
    get("/family/", only(ALL, 200)),
    get("/family/request", only(ALL, 200)),
    # anyone of the street may ask; the elder cannot link to themself, the family is linked
    post(
        "/family/request",
        only(ALL - FAR, 302) | {"elder": 400, "family": 409, **dict.fromkeys(FAR, 404)},
        link_request_form,
    ),
    get("/family/requests/{asked}", only({"elder"} | COORDINATORS, 200)),
    post("/family/requests/{asked}", only({"elder"} | COORDINATORS, 302), consent_form),
    get("/family/requests/{link}", only(REQUESTER_SIDE, 200)),
    get("/family/requests/{b_asked}", only(B_STAFF, 200)),
    get("/family/links/{link}/end", only(REQUESTER_SIDE, 200)),
    post("/family/links/{link}/end", only(REQUESTER_SIDE, 302)),
    get("/family/pending", only(STAFF, 200)),
    # the inbox (/inbox): the notification is the elder's
    get("/inbox/", only(ALL, 200)),
    post("/inbox/read", only(ALL, 302), idle=True),
    post("/inbox/{notification}/open", only({"elder"}, 302)),
    # the street admin's pages (/admin): their own street's communities and log
    get("/admin/", only(STREET_ADMINS, 200)),
    get("/admin/communities/{community}/policy", only({"street_admin"}, 200)),
    post("/admin/communities/{community}/policy", only({"street_admin"}, 302), policy_form),
    get("/admin/communities/{far_community}/policy", only({"far_street_admin"}, 200)),
    get("/admin/audit", only(STREET_ADMINS, 200)),
    # another street's community is not one to choose from
    get("/admin/audit?community={community}", only({"street_admin"}, 200) | OTHER_STREETS),
    get("/admin/audit.csv?community={community}", only({"street_admin"}, 200) | OTHER_STREETS),
]
