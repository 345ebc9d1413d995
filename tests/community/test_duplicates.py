"""A coordinator adding a member is warned of a likely duplicate in their reach: the same
name and birth date (which they may override after checking), or the same phone number
(which they may not: one number is one member's)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from community.audit import Action
from community.audit_labels import changes
from community.audit_models import AuditEntry
from community.errors import InvalidMember, NotPermitted, PossibleDuplicate
from community.models import Role, User
from community.services import create_member, likely_duplicates
from extensions import db
from tests.conftest import birth_date_for, csrf_token, login

BORN = birth_date_for(82)  # the elder fixture, 王秀英, is 82


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


@pytest.fixture
def street_admin(make_member, other_community) -> User:
    return make_member("街道管理员", age=45, role=Role.STREET_ADMIN, community=other_community)


# --- the rule (services) ------------------------------------------------------------------


def test_same_name_and_birth_date_is_a_likely_duplicate(coordinator, elder):
    (match,) = likely_duplicates(coordinator, display_name="王秀英", birth_date=BORN, phone=None)
    assert match.member == elder
    assert match.same_name_and_birth_date and not match.same_phone


def test_spaces_in_a_name_do_not_hide_a_duplicate(coordinator, elder):
    found = likely_duplicates(coordinator, display_name=" 王 秀英 ", birth_date=BORN, phone=None)
    assert [m.member for m in found] == [elder]


def test_the_same_name_born_on_another_day_is_not_a_duplicate(coordinator, elder):
    other_day = date(BORN.year, 6, 1)
    assert (
        likely_duplicates(coordinator, display_name="王秀英", birth_date=other_day, phone=None)
        == []
    )
    # and a name alone says nothing: many share one
    assert likely_duplicates(coordinator, display_name="王秀英", birth_date=None, phone=None) == []


def test_the_same_phone_is_a_likely_duplicate(coordinator, elder):
    spaced = f"{elder.phone[:3]} {elder.phone[3:7]} {elder.phone[7:]}"
    (match,) = likely_duplicates(coordinator, display_name="别人", birth_date=None, phone=spaced)
    assert match.member == elder
    assert match.same_phone and not match.same_name_and_birth_date


def test_a_member_out_of_reach_is_never_named(coordinator, make_member, other_community):
    twin = make_member("王秀英", age=82, community=other_community)
    assert likely_duplicates(coordinator, display_name="王秀英", birth_date=BORN, phone=None) == []
    assert likely_duplicates(coordinator, display_name="x", birth_date=None, phone=twin.phone) == []


def test_a_street_admin_reaches_every_community_of_the_street(
    street_admin, elder, make_member, other_community
):
    twin = make_member("王秀英", age=82, community=other_community)
    found = likely_duplicates(street_admin, display_name="王秀英", birth_date=BORN, phone=None)
    assert {m.member for m in found} == {elder, twin}


def test_only_staff_may_ask(volunteer):
    with pytest.raises(NotPermitted):
        likely_duplicates(volunteer, display_name="王秀英", birth_date=BORN, phone=None)


def test_creating_a_likely_duplicate_is_refused_until_the_coordinator_says_it_is_another_person(
    coordinator, elder, community
):
    before = user_count()
    with pytest.raises(PossibleDuplicate) as refused:
        create_member(by=coordinator, community=community, display_name="王秀英", birth_date=BORN)
    assert [m.member for m in refused.value.matches] == [elder]
    assert not refused.value.phone_taken
    assert user_count() == before

    twin = create_member(
        by=coordinator,
        community=community,
        display_name="王秀英",
        birth_date=BORN,
        different_person=True,
    )
    assert twin.id != elder.id
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == Action.MEMBER_CREATED)
        .order_by(AuditEntry.id.desc())
    )
    assert json.loads(entry.after)["different_from"] == [elder.id]


def test_the_same_phone_is_refused_even_for_a_different_person(coordinator, elder, community):
    before = user_count()
    with pytest.raises(PossibleDuplicate) as refused:
        create_member(
            by=coordinator,
            community=community,
            display_name="别人",
            phone=elder.phone,
            different_person=True,
        )
    assert refused.value.phone_taken
    assert user_count() == before


def test_a_phone_out_of_reach_is_refused_without_saying_whose(
    coordinator, make_member, other_community, community
):
    stranger = make_member("外社区的人", community=other_community)
    with pytest.raises(InvalidMember) as refused:
        create_member(
            by=coordinator, community=community, display_name="新人", phone=stranger.phone
        )
    assert not isinstance(refused.value, PossibleDuplicate)
    assert "外社区的人" not in str(refused.value.message)


def test_the_cli_and_self_registration_are_not_asked(elder, community):
    """Without a coordinator there is no reach to look in: the CLI and seeds add as before."""
    twin = create_member(by=None, community=community, display_name="王秀英", birth_date=BORN)
    assert twin.id != elder.id


# --- the form (views) ---------------------------------------------------------------------


def _new_member(client, **fields):
    data = {"display_name": "王秀英", "birth_date": BORN.isoformat(), **fields}
    data["csrf_token"] = csrf_token(client, "/members/new")
    return client.post("/members/new", data=data)


def test_the_form_warns_names_and_links_the_existing_member(
    client, coordinator, elder, english_pages
):
    login(client, coordinator)
    before = user_count()
    response = _new_member(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert user_count() == before
    assert 'data-testid="duplicate-warning"' in page
    assert f'href="/desk/members/{elder.id}"' in page
    assert "Open 王秀英&#39;s page" in page or "Open 王秀英's page" in page
    assert "Same name and birth date" in page
    assert 'name="different_person"' in page
    assert "<script" not in page.split('data-testid="duplicate-warning"')[1].split("</section>")[0]


def test_the_warning_reads_in_chinese(client, coordinator, elder):
    login(client, coordinator)
    page = _new_member(client).get_data(as_text=True)
    assert "这个人可能已经有账户了" in page
    assert "姓名和出生日期都相同" in page
    assert "我核对过了：这是另一个人" in page


def test_ticking_the_box_opens_the_account(client, coordinator, elder):
    login(client, coordinator)
    before = user_count()
    response = _new_member(client, different_person="y")
    assert response.status_code == 302
    assert user_count() == before + 1
    twin = db.session.scalar(select(User).where(User.display_name == "王秀英", User.id != elder.id))
    assert response.headers["Location"].endswith(f"/members/{twin.id}")


def test_a_used_phone_is_said_in_words_and_cannot_be_ticked_away(
    client, coordinator, elder, english_pages
):
    login(client, coordinator)
    before = user_count()
    response = _new_member(
        client, display_name="别人", birth_date="", phone=elder.phone, different_person="y"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert user_count() == before
    assert "This phone number is already a member&#39;s" in page or "already a member's" in page
    assert f'href="/desk/members/{elder.id}"' in page
    assert 'name="different_person"' not in page  # no box can make one number two members'


def test_a_phone_of_another_community_is_refused_in_words_naming_no_one(
    client, coordinator, make_member, other_community, english_pages
):
    stranger = make_member("外社区的人", community=other_community)
    login(client, coordinator)
    before = user_count()
    response = _new_member(client, display_name="新人", birth_date="", phone=stranger.phone)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone already uses this phone number." in page
    assert "外社区的人" not in page and f"/desk/members/{stranger.id}" not in page
    assert user_count() == before


def test_the_password_must_be_typed_again_after_a_warning(
    client, coordinator, elder, english_pages
):
    login(client, coordinator)
    page = _new_member(client, phone="13812345678", password="garden88").get_data(as_text=True)
    assert "type it again below" in page
    assert "garden88" not in page


def test_the_audit_page_reads_the_override_in_words(coordinator, elder, community, english):
    create_member(
        by=coordinator,
        community=community,
        display_name="王秀英",
        birth_date=BORN,
        different_person=True,
    )
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == Action.MEMBER_CREATED)
        .order_by(AuditEntry.id.desc())
    )
    labels = {c.label: c.after for c in changes(entry.before, entry.after, entry.target)}
    assert labels["A different person from members (same name and birth date)"] == str(elder.id)
