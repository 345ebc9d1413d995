"""A family link's relation is stored as the relative's to the elder ("儿子": the relative
is the elder's son), so each reader reads it from their own side: never "沈阿根 (儿子)" on
the son's own page, as if the father were the son."""

from __future__ import annotations

import pytest

from community.services import link_family
from extensions import db
from tests.conftest import login


@pytest.fixture
def son(make_member, elder):
    son = make_member("沈建国", age=50)
    link_family(by=elder, elder=elder, relative=son, relation="儿子")
    db.session.commit()
    return son


def page(app, user, path: str) -> str:
    client = app.test_client()
    login(client, user)
    return client.get(path).get_data(as_text=True)


def test_the_son_reads_that_he_is_the_son(app, elder, son):
    mine = page(app, son, "/family/")
    assert f"{elder.display_name} (儿子)" not in mine
    assert f"您是{elder.display_name}的儿子" in mine


def test_the_elder_reads_the_relatives_relation_after_his_name(app, elder, son):
    theirs = page(app, elder, "/family/")
    assert f"{son.display_name} (儿子)" in theirs


def test_a_coordinator_reads_who_is_whose_relation(app, elder, son, coordinator):
    for path in (f"/members/{son.id}", f"/members/{son.id}/family"):
        shown = page(app, coordinator, path)
        assert f"{elder.display_name} (儿子)" not in shown
        assert f"{son.display_name}是{elder.display_name}的儿子" in shown
