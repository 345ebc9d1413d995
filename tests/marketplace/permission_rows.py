"""The marketplace's rows of the permission table (tests/test_permissions.py): bookings and
their steps, disputes, card pages, reviews and their moderation, provider pages, the
catalogue and the provider's decisions, subsidies.

The scene: the provider owner's verified 好帮手家政 ({shop}) serves both communities of
this street. The elder (community A) books it; so does a resident of community B
({b_resident}). A's coordinator and the street admin reach the elder's bookings; B's
coordinator reaches only B's residents' side of the same provider (the scene:
tests/marketplace/permission_scene.py).
"""

from __future__ import annotations

from tests.marketplace.booking_support import key
from tests.permission_table import COORDINATORS, FAR, PEOPLE, STAFF, get, only, post

from .permission_scene import BUILDERS, HIDDEN_REVIEW

__all__ = ["BUILDERS", "READERS", "ROWS"]

# --- who is who ------------------------------------------------------------------------------

ALL = set(PEOPLE)
RESIDENT_SIDE = {"elder", "family"} | COORDINATORS  # the elder's side of their bookings
SEES_BOOKING = RESIDENT_SIDE | {"provider"}
B_STAFF = {"other_coordinator", "street_admin"}  # community B's coordinator, the street admin
B_SIDE = B_STAFF | {"provider"}  # a B resident's booking
STREET = ALL - FAR
# Providers serving this community are overseen by its coordinators and the street admin;
# the shop serves community B too, so B's coordinator oversees it as well.
OVERSEE_SHOP = COORDINATORS | {"other_coordinator"}


# A review hidden as abusive is its reviewer's coordinators' to read, on any page: not the
# provider reviewed's, nor anyone's browsing or reporting.
READERS = {HIDDEN_REVIEW: COORDINATORS}


def not_found(ok, status: int) -> dict[str, int]:
    """``status`` for ``ok``; 404 for whoever does not reach the booking (its existence is
    private); 403 for the rest, who reach it but may not take this step."""
    return only(ok, status) | {who: 404 for who in ALL - SEES_BOOKING}


# --- forms -----------------------------------------------------------------------------------


def booking_form(scene) -> dict:
    return {
        "slot": str(scene["slot"]),
        "quantity": "1",
        "for_member": str(scene["elder"]),
        "payment_method": "on_site",
        "expected_price_fen": "8000",
        "expected_price_minutes": "120",
        "idempotency_key": key(),
    }


def resolve_form(scene) -> dict:
    return {"outcome": "uphold", "note": "和双方核实过，做完了"}


def reason(scene) -> dict:
    return {"reason": "核实过情况"}


def item_form(scene) -> dict:
    return {
        "category": "housekeeping",
        "title": "日常保洁（两小时）",
        "unit": "visit",
        "price_yuan": "90",
        "duration_minutes": "120",
        "cancel_fee_percent": "20",
    }


def rule_form(scene) -> dict:
    return {
        "community": str(scene["community"]),
        "name": "助餐补贴",
        "category": "meals",
        "yuan_per_unit": "3",
        "monthly_budget_yuan": "500",
        "idempotency_key": key(),
    }


# --- the rows --------------------------------------------------------------------------------

ROWS = [
    # browsing: a verified provider's page is public; a member browses their own street
    get("/market/", only(ALL, 200)),
    get("/market/providers/{shop}", only(ALL, 200)),
    get("/market/providers/{applied}", only(COORDINATORS, 200, refused=404)),
    get("/market/?community={community}", only(STREET, 200) | dict.fromkeys(FAR, 400)),
    get("/market/?community={far_community}", only(FAR, 200, refused=400)),
    # a member browses their own street whatever the query names (a visitor: the one named)
    get("/market/?street={far_street}", only(ALL, 200)),
    # booking: for oneself, or for a member one may book for (family, their coordinators)
    get("/bookings/", only(ALL, 200)),
    get("/bookings/earlier", only(ALL, 200)),
    get("/bookings/earlier?before=20261207083000000000-2147483647", only(ALL, 200)),
    get("/bookings/new?item={item}", only(ALL, 200)),
    # an item of a provider not (yet) verified is not there to book, for anyone
    get("/bookings/new?item={applied_item}", only((), 404, refused=404)),
    get(
        "/bookings/new?item={item}&for={elder}",
        only(RESIDENT_SIDE, 200) | dict.fromkeys(FAR, 404),
    ),
    get(
        "/bookings/new?item={item}&for={b_resident}",
        only(B_STAFF, 200) | dict.fromkeys(FAR, 404),
    ),
    get("/bookings/new?item={item}&for={far_elder}", only(FAR, 200, refused=404)),
    post(
        "/bookings/new?item={item}&day={day}&for={elder}",
        only(RESIDENT_SIDE, 302) | dict.fromkeys(FAR, 404),
        booking_form,
    ),
    # book again (再订一次), filled in from one's own booking: nobody else's
    get("/bookings/new?item={item}&again={completed}", only({"elder"}, 200, refused=404)),
    # a booking: its resident's side and the provider see it; nobody else learns it exists
    get("/bookings/{requested}", not_found(SEES_BOOKING, 200)),
    # (the booking of a review hidden as abusive: its page shows the review to nobody else)
    get("/bookings/{hidden_booking}", not_found(SEES_BOOKING, 200)),
    get("/bookings/{b_booking}", only(B_SIDE, 200, refused=404)),
    get("/bookings/{b_booking}/cancel", only(B_SIDE, 200, refused=404)),
    # taking back (撤回) a booking just made: whoever made it, within the undo window
    post("/bookings/{requested}/take-back", not_found({"elder"}, 302)),
    get("/bookings/{requested}/accept", not_found({"provider"}, 200)),
    post("/bookings/{requested}/accept", not_found({"provider"}, 302)),
    get("/bookings/{requested}/decline", not_found({"provider"}, 200)),
    post("/bookings/{requested}/decline", not_found({"provider"}, 302), reason),
    get("/bookings/{started}/deliver", not_found({"provider"}, 200)),
    post("/bookings/{started}/deliver", not_found({"provider"}, 302)),
    get("/bookings/{delivered}/confirm", not_found(RESIDENT_SIDE, 200)),
    post("/bookings/{delivered}/confirm", not_found(RESIDENT_SIDE, 302)),
    get("/bookings/{accepted}/cancel", not_found(SEES_BOOKING, 200)),
    post("/bookings/{accepted}/cancel", not_found(SEES_BOOKING, 302), reason),
    get("/bookings/{started}/no_show", not_found({"provider"}, 200)),
    post("/bookings/{started}/no_show", not_found({"provider"}, 302), reason),
    get("/bookings/{accepted}/mark_paid", not_found({"provider"}, 200)),
    post("/bookings/{accepted}/mark_paid", not_found({"provider"}, 302)),
    get("/bookings/{delivered}/dispute", not_found(RESIDENT_SIDE, 200)),
    post("/bookings/{delivered}/dispute", not_found(RESIDENT_SIDE, 302), reason),
    get("/bookings/{requested}/teleport", only((), 404, refused=404)),
    post("/bookings/{requested}/teleport", only((), 404, refused=404)),
    # disputes: the resident's coordinators decide, never B's through the shared provider
    get("/bookings/disputes", only(STAFF, 200)),
    get("/bookings/disputes/{disputed_booking}", not_found(COORDINATORS, 200)),
    post("/bookings/disputes/{disputed_booking}", not_found(COORDINATORS, 302), resolve_form),
    get(
        "/bookings/disputes/{b_disputed}",
        only(B_STAFF, 200, refused=404) | {"provider": 403},
    ),
    # card pages: the resident's side pays
    get("/pay/{card_booking}", only(RESIDENT_SIDE, 302, refused=404)),
    get("/pay/{card_booking}/done", only(RESIDENT_SIDE, 302, refused=404)),
    # reviews: the resident rates, the provider replies, anyone reports, staff moderate
    # the resident rates, or family or their coordinator writing for them (audited)
    get("/reviews/new/{completed}", not_found(RESIDENT_SIDE, 200)),
    post(
        "/reviews/new/{completed}",
        not_found(RESIDENT_SIDE, 302),
        lambda s: {"stars": "4", "text": "准时，干净"},
    ),
    get("/reviews/{review}/reply", only({"provider"}, 200)),
    post("/reviews/{review}/reply", only({"provider"}, 302), lambda s: {"text": "谢谢"}),
    # a hidden review is for the reviewer's coordinators: the provider neither reads nor
    # answers it until it is shown again, and nobody reports it
    get("/reviews/{hidden}/reply", only((), 200) | {"provider": 404}),
    post("/reviews/{hidden}/reply", only((), 302) | {"provider": 404}, lambda s: {"text": "谢谢"}),
    get("/reviews/{hidden}/report", only((), 404, refused=404)),
    get("/reviews/{review}/report", only(ALL, 200)),
    post("/reviews/{review}/report", only(ALL, 302), lambda s: {"reason": "不实"}),
    get("/reviews/moderation", only(STAFF, 200)),
    get("/reviews/{reported}/hide", only(COORDINATORS, 200)),
    post("/reviews/{reported}/hide", only(COORDINATORS, 302), lambda s: {"reason": "人身攻击"}),
    post("/reviews/{reported}/keep", only(COORDINATORS, 302)),
    post("/reviews/{hidden}/unhide", only(COORDINATORS, 302)),
    # a B resident's review of the same provider is B's coordinator's to moderate, not A's
    get("/reviews/{b_reported}/hide", only(B_STAFF, 200)),
    post("/reviews/{b_reported}/hide", only(B_STAFF, 302), lambda s: {"reason": "人身攻击"}),
    # the provider's own pages (/provider): only its owner (its menu and calendar answer
    # 403 to others, as the catalogue always has: they are on its public page anyway)
    get("/provider/", only(ALL, 200)),
    get("/provider/dashboard/", only({"provider"}, 200, refused=404)),
    get("/provider/dashboard/bookings.csv", only({"provider"}, 200, refused=404)),
    get("/provider/dashboard/today", only({"provider"}, 200, refused=404)),
    get("/provider/dashboard/upcoming?after=x", only({"provider"}, 200, refused=404)),
    get("/provider/menu/items/{item}/edit", only({"provider"}, 200)),
    post("/provider/menu/items/{item}/edit", only({"provider"}, 302), item_form),
    post("/provider/menu/items/{item}/pause", only({"provider"}, 302)),
    post("/provider/menu/items/{paused_item}/resume", only({"provider"}, 302)),
    get("/provider/calendar/slots/{slot}/remove", only({"provider"}, 200)),
    post("/provider/calendar/slots/{slot}/remove", only({"provider"}, 302)),
    post("/provider/calendar/days/{closed_day}/clear", only({"provider"}, 302)),
    # decisions about a provider: the coordinators of the communities it serves, the street admin
    get("/provider/applications", only(STAFF, 200)),
    get("/provider/review/{shop}", only(OVERSEE_SHOP, 200)),
    post("/provider/review/{shop}/suspend", only(OVERSEE_SHOP, 302), reason),
    get("/provider/review/{applied}", only(COORDINATORS, 200)),
    post("/provider/review/{applied}/verify", only(COORDINATORS, 302)),
    post("/provider/review/{applied}/reject", only(COORDINATORS, 302), reason),
    post("/provider/review/{suspended_shop}/reinstate", only(COORDINATORS, 302)),
    post("/provider/review/{shop}/promote", only((), 404, refused=404)),
    # subsidies: the coordinators of the rule's community, the street admin
    get("/subsidies/", only(STAFF, 200)),
    get("/subsidies/new", only(STAFF, 200)),
    post(
        "/subsidies/new",
        only(COORDINATORS, 302) | dict.fromkeys(STAFF - COORDINATORS, 400),
        rule_form,
    ),
    get("/subsidies/{rule}/budget", only(COORDINATORS, 200)),
    post(
        "/subsidies/{rule}/budget",
        only(COORDINATORS, 302),
        lambda s: {"monthly_budget_yuan": "800"},
    ),
    post("/subsidies/{rule}/stop", only(COORDINATORS, 302)),
    get("/subsidies/{b_rule}/budget", only(B_STAFF, 200)),
    get(
        "/subsidies/report?community={community}",
        only(COORDINATORS, 200) | dict.fromkeys(STAFF - COORDINATORS, 400),
    ),
    get(
        "/subsidies/report.csv?community={community}",
        only(COORDINATORS, 200) | dict.fromkeys(STAFF - COORDINATORS, 400),
    ),
]
