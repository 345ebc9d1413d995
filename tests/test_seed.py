"""`flask seed-demo`: the demo street a new user sees, and `--scale N` for benchmarks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from community.account_errors import WrongCredentials
from community.models import Community, FamilyLink, LinkStatus, Role, Street, User
from community.services import create_member
from community.sign_in import authenticate
from extensions import db
from marketplace.booking_models import Booking, BookingStatus, SubsidyRule
from marketplace.models import MealMenu, Provider, ProviderCheck, ProviderStatus
from marketplace.provider_checks import needs_checks
from marketplace.review_models import Review, ReviewReport
from seed.demo import DEMO_PASSWORD
from timebank.accounts import community_account, member_account
from timebank.categories import CATEGORIES
from timebank.ledger import post_transfer
from timebank.models import AccountKind, RecordStatus, ServiceRecord, Transfer, TransferKind
from timebank.verify import verify_ledger


def _count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery()))


def _seed(app, *args: str):
    result = app.test_cli_runner().invoke(args=["seed-demo", *args])
    db.session.rollback()  # see what the command committed; hold no lock for the next one
    return result


def test_seed_demo_builds_a_believable_street_and_prints_working_logins(app):
    result = _seed(app)
    assert result.exit_code == 0, result.output

    street = db.session.scalar(select(Street))
    assert street.name == "沧浪街道"
    names = set(db.session.scalars(select(Community.name)))
    assert len(names) >= 3 and {"桂花新村社区", "金狮河沿社区"} <= names

    members = list(db.session.scalars(select(User)))
    assert 180 <= len(members) <= 220
    today = date.today()
    elders = [m for m in members if (m.age_on(today) or 0) >= 65]
    assert len(elders) / len(members) >= 0.30
    assert sum((m.age_on(today) or 0) >= 75 for m in members) >= 30
    assert sum(m.is_volunteer for m in members) >= 40
    assert any(m.is_volunteer and (m.age_on(today) or 99) < 35 for m in members)
    assert any(m.is_priority for m in elders)

    staff = {m.id: m for m in members if m.role != Role.MEMBER}
    coordinated = {m.community_id for m in staff.values() if m.role == Role.COORDINATOR}
    assert coordinated == set(db.session.scalars(select(Community.id)))
    assert [m.role for m in staff.values()].count(Role.STREET_ADMIN) == 1
    no_phone = [m for m in elders if m.phone is None and m.password_hash is None]
    assert len(no_phone) >= 10
    assert all(staff[m.created_by_id].role == Role.COORDINATOR for m in no_phone)

    links = list(db.session.scalars(select(FamilyLink)))
    assert len(links) >= 20
    for link in links:
        assert link.status == LinkStatus.ACTIVE and link.consented_by_id is not None
        assert link.elder.age_on(today) > link.relative.age_on(today)

    statuses = dict(
        db.session.execute(
            select(ServiceRecord.status, func.count()).group_by(ServiceRecord.status)
        ).all()
    )
    assert statuses[RecordStatus.CONFIRMED] >= 300
    assert statuses[RecordStatus.PENDING] >= 5
    assert statuses[RecordStatus.DISPUTED] >= 1
    categories = set(
        db.session.scalars(
            select(ServiceRecord.category).where(ServiceRecord.status == RecordStatus.CONFIRMED)
        )
    )
    assert categories == {c.code for c in CATEGORIES}
    oldest = db.session.scalar(select(func.min(ServiceRecord.service_date)))
    assert (today - oldest).days >= 75  # about three months of history

    kinds = set(db.session.scalars(select(Transfer.kind)))
    assert {TransferKind.SERVICE, TransferKind.GIFT, TransferKind.DONATION} <= kinds
    assert {TransferKind.GRANT, TransferKind.REVERSAL} <= kinds
    assert verify_ledger(db.session) == []

    # A living market: verified providers, two waiting (one of them childcare, whose
    # verification asks for the checks in person), one suspended, rated bookings, a subsidy.
    statuses = dict(
        db.session.execute(select(Provider.status, func.count()).group_by(Provider.status)).all()
    )
    assert statuses[ProviderStatus.VERIFIED] >= 8
    assert statuses[ProviderStatus.APPLIED] == 2
    assert statuses[ProviderStatus.SUSPENDED] == 1
    waiting = db.session.scalars(select(Provider).where(Provider.status == ProviderStatus.APPLIED))
    assert any(needs_checks(p) for p in waiting)
    for provider in db.session.scalars(select(Provider).where(Provider.status != "applied")):
        checked = db.session.scalar(
            select(ProviderCheck).where(ProviderCheck.provider_id == provider.id)
        )
        assert (checked is not None) == needs_checks(provider), provider.name
    assert _count(select(MealMenu.id)) >= 7 * 2
    for provider in db.session.scalars(select(Provider)):
        stars = db.session.scalars(select(Review.stars).where(Review.provider_id == provider.id))
        assert provider.rating_sum == sum(stars)
    assert _count(select(ReviewReport.id)) >= 1
    assert db.session.scalar(select(SubsidyRule.name)) == "80岁以上老人助餐每餐减5元"

    # The logins it prints work: a volunteer, an elder, a relative, a coordinator, the admin.
    assert DEMO_PASSWORD in result.output
    logins = re.findall(r"\b(1390000000\d|[a-z]+\.(?:coord|admin))\b", result.output)
    assert len(set(logins)) == 5, result.output
    roles = set()
    for login in set(logins):
        roles.add(authenticate(login, DEMO_PASSWORD).role)
    assert roles == {Role.MEMBER, Role.COORDINATOR, Role.STREET_ADMIN}
    with pytest.raises(WrongCredentials):
        authenticate("13900000001", "wrong-password")


def test_if_empty_leaves_a_seeded_street_alone(app):
    assert _seed(app, "--scale", "50").exit_code == 0
    members = _count(select(User.id))

    again = _seed(app, "--if-empty")
    assert again.exit_code == 0
    assert "not seeding" in again.output
    assert _count(select(User.id)) == members

    refused = _seed(app)
    assert refused.exit_code != 0
    assert "already has a street" in refused.output
    assert _count(select(User.id)) == members


def test_scale_seeds_members_and_a_ledger_that_verifies(app):
    result = _seed(app, "--scale", "200")
    assert result.exit_code == 0, result.output

    assert _count(select(User.id)) == 200
    assert _count(select(Community.id)) >= 3
    assert _count(select(Transfer.id)) == 200 * 20
    kinds = set(db.session.scalars(select(Transfer.kind)))
    assert {TransferKind.SERVICE, TransferKind.GIFT, TransferKind.GRANT} <= kinds
    assert verify_ledger(db.session) == []
    # the marketplace in proportion: bookings for two in five members, reviews on most
    # of those done, and each provider's rating totals equal to its reviews
    residents = _count(select(User.id).where(User.role == Role.MEMBER, User.phone.is_not(None)))
    assert _count(select(Booking.id)) == int(residents * 0.4) > 0
    done = _count(select(Booking.id).where(Booking.status == BookingStatus.COMPLETED))
    assert 0 < _count(select(Review.id)) <= done
    for provider in db.session.scalars(select(Provider)):
        stars = db.session.scalars(select(Review.stars).where(Review.provider_id == provider.id))
        stars = list(stars)
        assert (provider.rating_count, provider.rating_sum) == (len(stars), sum(stars))

    # The app carries on after the bulk rows: new members and transfers get fresh ids.
    admin = authenticate("canglang.admin", DEMO_PASSWORD)
    assert admin.role == Role.STREET_ADMIN
    newcomer = create_member(
        by=admin, community=admin.community, display_name="新居民", phone="13912345678"
    )
    guarantee = community_account(admin.community_id, AccountKind.GUARANTEE)
    post_transfer(
        from_account_id=guarantee.id,
        to_account_id=member_account(newcomer).id,
        minutes=60,
        kind=TransferKind.ADJUSTMENT,
        idempotency_key="after-scale",
        entered_by=admin,
    )
    db.session.commit()
    assert member_account(newcomer).balance_minutes == 60
    assert verify_ledger(db.session) == []
