"""The main menu: what each member sees, in their language, with their unread count."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from community.notifications import notify
from tests.conftest import login


def _menu(client) -> str:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return page[
        page.index('class="main-nav"') : page.index("</nav>", page.index('class="main-nav"'))
    ]


def test_a_member_sees_the_market_but_not_the_coordinators_links(client, elder, english_pages):
    login(client, elder)
    menu = _menu(client)
    assert "Services near you" in menu and "My bookings" in menu
    assert "Desk" not in menu and "Booking disputes" not in menu


def test_a_coordinator_sees_the_desk_and_the_market_checks(client, coordinator, english_pages):
    login(client, coordinator)
    menu = _menu(client)
    assert "Desk" in menu and "Providers to check" in menu and "Booking disputes" in menu


def test_the_menu_follows_the_unread_count(client, elder, volunteer, english_pages):
    login(client, elder)
    assert "Messages (1)" not in _menu(client)
    notify(elder, "low_balance", left="30")
    assert "Messages (1)" in _menu(client)
    notify(elder, "low_balance", left="20")
    assert "Messages (2)" in _menu(client)


def test_the_menu_speaks_the_members_language(client, elder):
    login(client, elder)
    with force_locale("zh_CN"):
        my_hours = gettext("My hours")
    assert my_hours != "My hours"
    assert my_hours in _menu(client)
    assert "My hours" not in _menu(client)
