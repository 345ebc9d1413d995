"""Chinese lists use the enumeration comma "、", English ones ", ": one helper, used by
every page that lists things in a line."""

from __future__ import annotations

import pathlib
import re

import pytest
from flask_babel import force_locale

from community.services import link_family
from extensions import db
from tests.conftest import login
from translated_labels import join_list


@pytest.fixture
def page(app):
    with app.test_request_context():
        yield


def test_lists_join_as_the_language_writes_them(page):
    with force_locale("zh_CN"):
        assert join_list(["家政", "托育", "助餐"]) == "家政、托育、助餐"
    with force_locale("en"):
        assert join_list(["Housekeeping", "Childcare"]) == "Housekeeping, Childcare"
    assert join_list([]) == ""


def test_a_family_link_lists_its_rights_with_the_enumeration_comma(app, elder, make_member):
    son = make_member("沈建国", age=50)
    link_family(by=elder, elder=elder, relative=son, relation="儿子")
    db.session.commit()
    client = app.test_client()
    login(client, son)
    shown = client.get("/family/").get_data(as_text=True)
    assert "可预约、可确认服务、可接受赠送" in shown
    assert not re.search(r"[\u4e00-\u9fff], [\u4e00-\u9fff]", shown)


def test_no_template_joins_a_list_with_a_latin_comma():
    own_way = re.compile(r"""join\((['"]), \1\)|not loop\.last %\}, \{""")
    pages = pathlib.Path(__file__).resolve().parent.parent / "templates"
    for template in pages.rglob("*.html"):
        assert not own_way.search(template.read_text()), template
