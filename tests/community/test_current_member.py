"""The signed-in member is read with their unread count; the header reuses it while
the request only reads."""

from __future__ import annotations

from flask import g

from community.current_member import load_member, unread_messages
from community.notifications import notify
from storage import read_only
from tests.conftest import counted_statements


def test_the_member_comes_with_their_unread_count(app, elder, volunteer):
    notify(elder, "low_balance", left="30")
    notify(volunteer, "low_balance", left="30")
    with counted_statements() as statements:
        member = load_member(elder.get_id())
    assert member is elder and len(statements) == 1
    assert g.unread_at_sign_in == (elder.id, 1)


def test_a_read_only_request_reuses_the_count_a_writing_one_counts_again(app, elder):
    load_member(elder.get_id())
    notify(elder, "low_balance", left="30")  # as if this request had written
    with read_only(), counted_statements() as statements:
        assert unread_messages(elder) == 0
    assert statements == []
    assert unread_messages(elder) == 1


def test_the_count_read_for_one_member_is_never_shown_to_another(app, elder, volunteer):
    notify(elder, "low_balance", left="30")
    load_member(elder.get_id())
    with read_only():
        assert unread_messages(volunteer) == 0
        assert unread_messages(elder) == 1


def test_no_member_for_an_unknown_or_malformed_id(app, elder):
    assert load_member("999999") is None
    assert load_member("abc") is None
    assert load_member("") is None
