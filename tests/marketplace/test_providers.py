"""Providers: applying, verification by those who oversee them, settings (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from community.models import Role, Street
from community.services import found_community
from extensions import db
from marketplace import providers
from marketplace.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marketplace.models import Provider, ProviderStatus
from marketplace.provider_checks import ProviderChecks
from timebank.models import Account, AccountKind

# Messages are read in English (the msgids), whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")

# the checks in person a meal provider (the application below) needs to be made bookable
CHECKS = ProviderChecks("JY13205080001", True, True, True)


@pytest.fixture
def application(community):
    return {
        "name": "好帮手家政",
        "kind": "company",
        "categories": ["meals", "housekeeping"],
        "community_ids": [community.id],
        "contact_name": "陈经理",
        "contact_phone": "0512-6000 0000",
        "address": "十全街1号",
        "licence_number": "91320508MA1XXXXX",
        "licence_details": "营业执照，2020年",
        "description": "保洁与助餐",
    }


@pytest.fixture
def applied(provider_owner, application):
    return providers.apply_provider(by=provider_owner, **application)


def test_applying_makes_a_hidden_provider_with_its_own_hour_account(applied, provider_owner):
    assert applied.status == ProviderStatus.APPLIED
    assert not applied.is_visible
    assert applied.owner_id == provider_owner.id
    assert applied.categories == "housekeeping,meals"  # stored in a fixed order
    assert applied.contact_phone == "051260000000"
    assert applied.street_id == provider_owner.community.street_id
    account = db.session.get(Account, applied.account_id)
    assert account.kind == AccountKind.PROVIDER


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "Please fill in"),
        ({"kind": "charity"}, "company or an individual"),
        ({"categories": []}, "at least one kind"),
        ({"categories": ["gardening"]}, "from the list"),
        ({"community_ids": []}, "at least one community"),
        ({"contact_phone": "12345"}, "7 to 20 digits"),
        ({"contact_phone": "1" * 21}, "7 to 20 digits"),
        ({"contact_phone": "phone123456"}, "7 to 20 digits"),
        ({"contact_name": ""}, "Please fill in"),
        ({"licence_details": "x" * 301}, "too long"),
    ],
)
def test_bad_applications_are_refused(provider_owner, application, change, message):
    with pytest.raises(InvalidInput, match=message):
        providers.apply_provider(by=provider_owner, **{**application, **change})
    assert db.session.scalar(select(Provider)) is None


def test_only_communities_of_the_applicants_street(provider_owner, application):
    street = Street(name="平江街道")
    db.session.add(street)
    db.session.flush()
    elsewhere = found_community(street_id=street.id, name="平江社区")
    with pytest.raises(InvalidInput, match="your own street"):
        providers.apply_provider(
            by=provider_owner, **{**application, "community_ids": [elsewhere.id]}
        )
    with pytest.raises(InvalidInput, match="your own street"):
        providers.apply_provider(by=provider_owner, **{**application, "community_ids": [99999]})


def test_one_provider_per_member_unless_rejected(applied, provider_owner, application, coordinator):
    with pytest.raises(Conflict):
        providers.apply_provider(by=provider_owner, **application)
    providers.reject_provider(applied.id, by=coordinator, reason="执照过期")
    again = providers.apply_provider(by=provider_owner, **application)
    assert again.id != applied.id
    assert providers.current_provider(provider_owner).id == again.id


def test_coordinator_verifies_and_the_decision_is_recorded(applied, coordinator):
    providers.verify_provider(applied.id, by=coordinator, checks=CHECKS)
    assert applied.status == ProviderStatus.VERIFIED
    assert applied.is_visible
    assert applied.decided_by_id == coordinator.id
    assert applied.decided_at is not None


def test_reasons_are_required_and_kept(applied, coordinator):
    with pytest.raises(InvalidInput, match="reason"):
        providers.reject_provider(applied.id, by=coordinator, reason="  ")
    assert applied.status == ProviderStatus.APPLIED
    providers.verify_provider(applied.id, by=coordinator, checks=CHECKS)
    with pytest.raises(InvalidInput, match="reason"):
        providers.suspend_provider(applied.id, by=coordinator, reason="")
    providers.suspend_provider(applied.id, by=coordinator, reason="投诉待查")
    assert applied.status == ProviderStatus.SUSPENDED
    assert applied.status_reason == "投诉待查"
    assert not applied.is_visible
    providers.reinstate_provider(applied.id, by=coordinator, checks=CHECKS)
    assert applied.status == ProviderStatus.VERIFIED
    assert applied.status_reason == ""


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("applied", "suspend"),
        ("applied", "reinstate"),
        ("verified", "verify"),
        ("verified", "reject"),
        ("verified", "reinstate"),
        ("suspended", "suspend"),
        ("suspended", "reject"),
        ("suspended", "verify"),
        ("rejected", "verify"),
        ("rejected", "reinstate"),
        ("rejected", "suspend"),
    ],
)
def test_forbidden_status_moves(make_provider, coordinator, start, action):
    provider = make_provider(status=start)
    kwargs = {"reason": "原因"} if action in ("reject", "suspend") else {}
    with pytest.raises(Conflict):
        getattr(providers, f"{action}_provider")(provider.id, by=coordinator, **kwargs)
    assert provider.status == start


def test_who_may_decide(applied, make_member, make_community, provider_owner):
    elsewhere = make_community("别的社区")
    other_coordinator = make_member("外社工", age=40, role=Role.COORDINATOR, community=elsewhere)
    street_admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN, community=elsewhere)
    resident = make_member("居民甲")
    for nobody in (other_coordinator, resident, provider_owner):
        with pytest.raises(NotAllowed):
            providers.verify_provider(applied.id, by=nobody, checks=CHECKS)
    assert applied.status == ProviderStatus.APPLIED
    providers.verify_provider(applied.id, by=street_admin, checks=CHECKS)
    assert applied.status == ProviderStatus.VERIFIED
    with pytest.raises(NotFound):
        providers.verify_provider(99999, by=street_admin)


def test_a_coordinator_cannot_decide_on_their_own_provider(coordinator, application):
    own = providers.apply_provider(by=coordinator, **application)
    with pytest.raises(NotAllowed):
        providers.verify_provider(own.id, by=coordinator, checks=CHECKS)


def test_queues_show_what_one_oversees(
    make_provider, make_member, make_community, coordinator, make_member_owner
):
    elsewhere = make_community("别的社区")
    ours = make_provider("我们的", status="applied")
    theirs = make_provider(
        "他们的", status="applied", communities=[elsewhere], owner=make_member_owner()
    )
    suspended = make_provider("停了的", status="suspended", owner=make_member_owner())
    make_provider("拒了的", status="rejected", owner=make_member_owner())
    queues = providers.overseen_providers(coordinator)
    assert [p.id for p in queues.applied] == [ours.id]
    assert [p.id for p in queues.suspended] == [suspended.id]
    admin = make_member("街道管理员", age=45, role=Role.STREET_ADMIN)
    assert {p.id for p in providers.overseen_providers(admin).applied} == {ours.id, theirs.id}
    with pytest.raises(NotAllowed):
        providers.overseen_providers(make_member("居民乙"))


@pytest.fixture
def make_member_owner(make_member):
    return lambda: make_member(age=40)


def test_owner_changes_settings(provider, provider_owner, make_community):
    second = make_community("第二社区")
    providers.update_provider_settings(
        provider.id,
        by=provider_owner,
        description="新的介绍",
        contact_name="陈二",
        contact_phone="13900000000",
        address="新地址",
        min_notice_hours=0,
        response_hours=72,
        community_ids=[second.id],
    )
    assert provider.description == "新的介绍"
    assert provider.min_notice_hours == 0
    assert provider.response_hours == 72
    assert [c.id for c in provider.communities] == [second.id]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"min_notice_hours": -1}, InvalidInput),
        ({"min_notice_hours": 169}, InvalidInput),
        ({"response_hours": 0}, InvalidInput),
        ({"response_hours": 73}, InvalidInput),
        ({"contact_phone": "abc"}, InvalidInput),
        ({"community_ids": []}, InvalidInput),
    ],
)
def test_bad_settings_are_refused(provider, provider_owner, community, change, error):
    values = {
        "description": "x",
        "contact_name": "陈",
        "contact_phone": "13900000000",
        "address": "",
        "min_notice_hours": 2,
        "response_hours": 24,
        "community_ids": [community.id],
    }
    with pytest.raises(error):
        providers.update_provider_settings(provider.id, by=provider_owner, **{**values, **change})


def test_only_the_owner_changes_settings(provider, coordinator, community):
    with pytest.raises(NotAllowed):
        providers.update_provider_settings(
            provider.id,
            by=coordinator,
            description="x",
            contact_name="陈",
            contact_phone="13900000000",
            address="",
            min_notice_hours=2,
            response_hours=24,
            community_ids=[community.id],
        )


def test_an_outsider_is_refused_before_the_reason_is_read(applied, make_member):
    with pytest.raises(NotAllowed):
        providers.reject_provider(applied.id, by=make_member("居民丙"), reason="")
