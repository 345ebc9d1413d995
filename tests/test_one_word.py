"""One word for one thing: a request for help is "求助" everywhere, never "求助" beside
"求助信息" in the same menu."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import login

CATALOGUE = Path(__file__).resolve().parent.parent / "translations/zh/LC_MESSAGES/messages.po"


def test_no_second_word_for_a_request_for_help():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="zh")
    assert not [m.id for m in catalogue if m.string and "求助信息" in str(m.string)]


def test_the_volunteers_menu_names_each_thing_once(app, volunteer):
    client = app.test_client()
    login(client, volunteer)
    page = client.get("/hours").get_data(as_text=True)
    links = re.findall(r"<a [^>]*>([^<]*求助[^<]*)</a>", page)
    assert "我要求助" in links and "待接的求助" in links
    assert len(set(links)) == len(links)  # no two links read alike
