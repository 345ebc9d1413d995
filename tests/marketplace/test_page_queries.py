"""Every main page sends as many SQL statements on a street ten times larger.

Here rather than beside each package's views because it needs the whole street:
visits, bookings and reviews around one elder, a volunteer, a coordinator and a
provider (tests/page_scene.py). The street is grown by the real services, each
page is requested by the person it is for, once at demo size and once at ten
times that, and the statements each request sends are counted (after a first
request, which may fill a worker's caches). A page that loads rows one by one
sends more on the larger street; each page also keeps within its budget.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from community.models import Role
from tests.conftest import counted_statements, login
from tests.page_scene import Scene, grow
from timebank.clock import local_today

DEMO_UNITS = 12
LARGER = 10
EARLY = "20000101000000000000-1"  # keyset cursors (marketplace.keyset)
LATE = "29991231000000000000-2147483647"

# The most statements each page may send (the member's own row included). The browse
# list's cache is off in tests: /market/ is counted as it is built.
# The home ("/") also asks where the member lands (community.landing: do they run a
# provider?) and what waits for them and their linked elders (timebank.waiting: one
# statement per kind of thing, the family links one more); a volunteer's adds today's
# visits and the open requests nearby. Civic adds two: where an organisation's staff land
# (are they staff?), and problems said to be fixed, to confirm.
BUDGET = {
    "dashboard (elder)": 11,
    "dashboard (volunteer)": 13,
    "dashboard (family)": 11,
    "coordinator desk": 9,
    "member page (desk)": 6,
    "member page": 6,
    "/market/ (member)": 5,
    "/market/ (visitor)": 5,
    "provider page": 8,  # one more: is it a property company's service station (物业+服务站)
    "provider dashboard": 9,
    "my bookings": 7,  # one more: which completed ones wait for a rating (待评价)
    "earlier bookings (a later page)": 7,
    "provider's coming days (a later page)": 8,
    "booking page": 6,
    "sign-in page": 0,
}


def _pages(scene: Scene) -> dict[str, tuple[str | None, str]]:
    """Each page: who asks for it (a key of the clients) and its path."""
    return {
        "dashboard (elder)": ("elder", "/"),
        "dashboard (volunteer)": ("volunteer", "/"),
        "dashboard (family)": ("family", "/"),
        "coordinator desk": ("coordinator", "/desk/"),
        "member page (desk)": ("coordinator", f"/desk/members/{scene.elder.id}"),
        "member page": ("coordinator", f"/members/{scene.elder.id}"),
        "/market/ (member)": ("elder", "/market/"),
        "/market/ (visitor)": (None, "/market/"),
        "provider page": ("elder", f"/market/providers/{scene.provider.id}"),
        "provider dashboard": ("owner", "/provider/dashboard/"),
        "my bookings": ("elder", "/bookings/"),
        # keyset pages: the cursor is a place in time, after (before) every booking here
        "earlier bookings (a later page)": ("elder", f"/bookings/earlier?before={LATE}"),
        "provider's coming days (a later page)": (
            "owner",
            f"/provider/dashboard/upcoming?after={EARLY}",
        ),
        "booking page": ("elder", f"/bookings/{scene.booking_ids[0]}"),
        "sign-in page": (None, "/login"),
    }


def _get(client, path: str):
    """GET ``path`` as a server would serve it: in a thread of its own, so that the
    request pushes its own app context and gets a fresh database session (the test's
    session would lend it every row the test still holds)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(client.get, path).result()


def _statements(clients, pages) -> dict[str, list[str]]:
    counted = {}
    for name, (who, path) in pages.items():
        client = clients[who]
        assert _get(client, path).status_code == 200, name  # fills the worker's caches
        with counted_statements() as statements:
            response = _get(client, path)
        assert response.status_code == 200, name
        counted[name] = statements
    return counted


def test_main_pages_send_the_same_statements_on_a_street_ten_times_larger(
    app,
    family,
    make_member,
    make_provider,
    make_item,
    make_booking,
    elder,
    volunteer,
    coordinator,
    provider_owner,
):
    provider = make_provider(categories="housekeeping,meals")
    scene = Scene(
        elder=elder,
        volunteer=volunteer,
        coordinator=coordinator,
        owner=provider_owner,
        provider=provider,
        item=make_item(provider, "日常保洁", price_fen=8000),
    )
    assert coordinator.role == Role.COORDINATOR
    today = local_today()
    grow(scene, DEMO_UNITS, make_member=make_member, make_booking=make_booking, today=today)
    people = {"elder": elder, "volunteer": volunteer, "coordinator": coordinator}
    people["owner"] = provider_owner
    people["family"] = family  # the elder's waiting visits grow on the family's home too
    clients = {None: app.test_client()}
    for who, person in people.items():
        clients[who] = app.test_client()
        login(clients[who], person)
    pages = _pages(scene)

    demo = _statements(clients, pages)
    grow(
        scene,
        DEMO_UNITS * (LARGER - 1),
        make_member=make_member,
        make_booking=make_booking,
        today=today,
    )
    larger = _statements(clients, pages)

    grew = [name for name in pages if len(larger[name]) != len(demo[name])]
    assert not grew, "pages whose statements grew with the street:\n" + "\n".join(
        f"{name}: {len(demo[name])} → {len(larger[name])}\n  " + "\n  ".join(_short(larger[name]))
        for name in grew
    )
    over = {name: len(demo[name]) for name in pages if len(demo[name]) > BUDGET[name]}
    assert not over, f"pages over their budget {BUDGET}: {over}"


def _short(statements: list[str]) -> list[str]:
    """Each statement on one line, its FROM and WHERE kept (what tells them apart)."""
    lines = []
    for sql in statements:
        flat = " ".join(sql.split())
        start = flat.find(" FROM ")
        lines.append(flat[:40] + " …" + flat[start : start + 160] if start > 40 else flat[:200])
    return lines
