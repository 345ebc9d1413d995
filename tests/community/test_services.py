"""Community services: signing in, opening accounts, finding members, family links."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from community.account_errors import AccountSuspended, WrongCredentials
from community.errors import InvalidMember, MemberNotFound, NotPermitted
from community.models import FamilyLink, LinkStatus, Role, Street
from community.reach import find_in_street
from community.services import (
    create_member,
    family_links_of,
    found_community,
    link_family,
    member_for,
    revoke_family_link,
    search_members,
    update_member_flags,
)
from community.sign_in import authenticate
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.models import Account, AccountKind

pytestmark = pytest.mark.usefixtures("english")


PASSWORD = "plum-blossom-9"


def new_member(community, by=None, **fields):
    fields.setdefault("display_name", "新居民")
    return create_member(by=by, community=community, **fields)


# --- signing in ----------------------------------------------------------------------


def test_sign_in_by_phone_however_typed_or_by_username(community, subtests):
    member = new_member(community, phone="13912345678", username="wang.li", password=PASSWORD)
    for typed in (
        "13912345678",
        "139 1234 5678",
        "+86 139-1234-5678",
        " +8613912345678 ",
        "wang.li",
    ):
        with subtests.test(typed=typed):
            assert authenticate(typed, PASSWORD) == member


def test_wrong_password_or_unknown_login_signs_no_one_in(community, subtests):
    new_member(community, phone="13912345678", password=PASSWORD)
    for login, password in (
        ("13912345678", "wrong-one"),
        ("13900000000", PASSWORD),
        ("", PASSWORD),
        ("13912345678", ""),
    ):
        with subtests.test(login=login, password=password), pytest.raises(WrongCredentials):
            authenticate(login, password)


def test_closed_account_cannot_sign_in(community):
    member = new_member(community, phone="13912345678", password=PASSWORD)
    member.is_active_member = False
    with pytest.raises(AccountSuspended):
        authenticate("13912345678", PASSWORD)


def test_elder_without_password_cannot_sign_in(community):
    elder = new_member(community, display_name="没手机的老人")
    assert elder.password_hash is None
    for password in ("", "anything"):
        with pytest.raises(WrongCredentials):
            authenticate(elder.login_name, password)


# --- opening accounts -----------------------------------------------------------------


def test_new_member_gets_an_hour_account(community, coordinator):
    elder = new_member(
        community, by=coordinator, display_name="  王奶奶  ", birth_date=date(1940, 3, 8)
    )
    assert elder.display_name == "王奶奶"
    assert elder.created_by_id == coordinator.id
    assert (elder.phone, elder.username, elder.password_hash) == (None, None, None)
    account = member_account(elder)
    assert (account.kind, account.community_id, account.balance_minutes) == (
        AccountKind.MEMBER,
        community.id,
        0,
    )


def test_phone_is_stored_normalised(community):
    member = new_member(community, phone="+86 139 1234 5678", password=PASSWORD)
    assert member.phone == "13912345678"


def test_founding_a_community_opens_fund_and_guarantee(street):
    community = found_community(street_id=street.id, name="新社区", storage_cap_minutes=600)
    assert community.storage_cap_minutes == 600
    kinds = {
        community_account(community.id, kind).kind
        for kind in (AccountKind.FUND, AccountKind.GUARANTEE)
    }
    assert kinds == {AccountKind.FUND, AccountKind.GUARANTEE}
    assert db.session.query(Account).filter_by(community_id=community.id).count() == 2


IMPOSSIBLE_MEMBERS = [
    ({"display_name": "  "}, "name"),
    ({"phone": "12345"}, "11 digits"),
    ({"phone": "23912345678"}, "11 digits"),
    ({"phone": "1391234567a"}, "11 digits"),
    ({"username": "9lives"}, "username"),
    ({"username": "ab"}, "username"),
    ({"birth_date": date.today() + timedelta(days=1)}, "birth date"),
    ({"birth_date": date(1899, 12, 31)}, "birth date"),
    ({"phone": "13912345678", "password": "1234567"}, "8 characters"),
    ({"password": "long-enough"}, "phone number or a username"),
]


def test_impossible_members_refused(community, subtests):
    for fields, message in IMPOSSIBLE_MEMBERS:
        with subtests.test(fields=fields):
            with pytest.raises(InvalidMember, match=message):
                new_member(community, **fields)
            assert db.session.query(Account).count() == 2  # the fund and the guarantee


def test_phone_and_username_are_unique(community):
    new_member(community, phone="13912345678", username="laowang", password=PASSWORD)
    with pytest.raises(InvalidMember, match="phone"):
        new_member(community, phone="139 1234 5678")
    with pytest.raises(InvalidMember, match="username"):
        new_member(community, username="laowang")


def test_only_own_coordinators_add_members(community, make_community, make_member, volunteer):
    elsewhere = make_community()
    outsider = make_member(age=40, role=Role.COORDINATOR, community=elsewhere)
    with pytest.raises(NotPermitted):
        new_member(community, by=outsider)
    with pytest.raises(NotPermitted):
        new_member(community, by=volunteer)


def test_only_a_street_admin_appoints_coordinators(community, coordinator, make_member):
    with pytest.raises(NotPermitted, match="street admin"):
        new_member(community, by=coordinator, role=Role.COORDINATOR)
    admin = make_member(age=45, role=Role.STREET_ADMIN)
    appointed = new_member(community, by=admin, role=Role.COORDINATOR, username="xiaozhang")
    assert appointed.is_coordinator


# --- finding members -----------------------------------------------------------------


def test_find_member_by_phone_username_or_number(community, make_community):
    member = new_member(community, phone="13912345678", username="laoli", password=PASSWORD)
    neighbour = new_member(make_community(), phone="13912340000")  # same street
    for text in ("139 1234 5678", "laoli", f"#{member.id}", str(member.id)):
        assert find_in_street(neighbour, text) == member


def test_find_member_unknown(community, subtests):
    searcher = new_member(community, phone="13912345678")
    for text in ("", "   ", "13900000000", "nobody", "#99999"):
        with subtests.test(text=text):
            with pytest.raises(MemberNotFound) as missing:
                find_in_street(searcher, text)
            assert missing.value.http_status == 404


def test_find_member_skips_closed_accounts(community):
    member = new_member(community, phone="13912345678")
    member.is_active_member = False
    with pytest.raises(MemberNotFound):
        find_in_street(new_member(community), "13912345678")


def test_coordinator_searches_own_community_only(community, coordinator, make_community):
    mine = new_member(community, display_name="王秀英", phone="13911112222")
    new_member(make_community(), display_name="王建国")
    assert search_members(coordinator, "王") == [mine]
    assert search_members(coordinator, "1111") == [mine]
    assert mine in search_members(coordinator, "")


def test_street_admin_searches_the_whole_street(community, make_member, make_community):
    admin = make_member(age=45, role=Role.STREET_ADMIN)
    ours = new_member(make_community(), display_name="王建国")
    other_street = Street(name="别的街道")
    db.session.add(other_street)
    db.session.flush()
    far = found_community(street_id=other_street.id, name="远方社区")
    new_member(far, display_name="王远方")
    assert search_members(admin, "王") == [ours]


def test_members_cannot_search(volunteer):
    with pytest.raises(NotPermitted):
        search_members(volunteer, "王")


def test_member_for_checks_who_asks(coordinator, elder, volunteer, make_member, make_community):
    assert member_for(coordinator, elder.id) == elder
    assert member_for(elder, elder.id, allow_self=True) == elder
    with pytest.raises(NotPermitted):
        member_for(volunteer, elder.id)
    with pytest.raises(NotPermitted):
        member_for(elder, elder.id)
    with pytest.raises(MemberNotFound):
        member_for(coordinator, 999_999)


def test_only_coordinators_change_member_flags(coordinator, elder, volunteer):
    update_member_flags(
        elder, by=coordinator, is_volunteer=False, is_priority=True, has_hardship=True
    )
    assert (elder.is_priority, elder.has_hardship) == (True, True)
    with pytest.raises(NotPermitted):
        update_member_flags(
            elder, by=volunteer, is_volunteer=True, is_priority=False, has_hardship=False
        )
    assert elder.is_priority


# --- family links ------------------------------------------------------------------------


def test_elder_consents_to_a_family_link(elder, make_member):
    son = make_member(age=50)
    link = link_family(by=elder, elder=elder, relative=son, relation="儿子", may_book=False)
    assert (link.status, link.consented_by_id, link.relation) == (
        LinkStatus.ACTIVE,
        elder.id,
        "儿子",
    )
    assert (link.may_book, link.may_confirm, link.may_receive_gifts) == (False, True, True)
    assert family_links_of(elder) == ([link], [])
    assert family_links_of(son) == ([], [link])


def test_coordinator_records_consent_for_an_elder(elder, coordinator, make_member):
    son = make_member(age=50)
    assert link_family(by=coordinator, elder=elder, relative=son).consented_by_id == coordinator.id


def test_relative_cannot_link_themself(elder, make_member, make_community):
    son = make_member(age=50)
    with pytest.raises(NotPermitted):
        link_family(by=son, elder=elder, relative=son)
    outsider = make_member(age=40, role=Role.COORDINATOR, community=make_community())
    with pytest.raises(NotPermitted):
        link_family(by=outsider, elder=elder, relative=son)
    with pytest.raises(InvalidMember):
        link_family(by=elder, elder=elder, relative=elder)
    assert db.session.query(FamilyLink).count() == 0


def test_revoked_link_can_be_renewed_with_new_consent(elder, make_member):
    son = make_member(age=50)
    link = link_family(by=elder, elder=elder, relative=son)
    revoke_family_link(link, by=son)
    assert link.status == LinkStatus.REVOKED and link.revoked_at is not None
    assert family_links_of(elder) == ([], [])
    again = link_family(by=elder, elder=elder, relative=son, may_confirm=False)
    assert again.id == link.id
    assert (again.status, again.revoked_at, again.may_confirm) == (LinkStatus.ACTIVE, None, False)
    assert db.session.query(FamilyLink).count() == 1


def test_who_may_revoke_a_link(elder, coordinator, make_member):
    son, neighbour = make_member(age=50), make_member(age=70)
    link = link_family(by=elder, elder=elder, relative=son)
    with pytest.raises(NotPermitted):
        revoke_family_link(link, by=neighbour)
    assert link.status == LinkStatus.ACTIVE
    revoke_family_link(link, by=coordinator)
    assert link.status == LinkStatus.REVOKED
