"""The demo's 物业+社区服务站: 沧浪物业 also runs 沧浪物业社区服务站, a provider of the
market that the street admin linked to it, and the demo elder has a priced repair
waiting for her yes, so that `make run` shows a repair paid online."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from civic.clock import to_utc
from civic.organisation_models import OrganisationKind
from civic.repair_models import Repair, RepairStatus
from community.models import User
from community.services import create_member
from extensions import db
from marketplace.models import Provider, ProviderStatus, ServiceItem, WeeklySlot
from property_services.stations import link_provider
from seed.civic import DemoPlaces
from seed.demo import DemoLogin, DemoStreet
from timebank.accounts import open_provider_account

STATION_NAME = "沧浪物业社区服务站"
# (title, unit, fen, minutes or None, minutes long)
ITEMS = (
    ("上门小修（按小时）", "hour", 6000, 60, 60),
    ("老人居家安全检查", "visit", 3000, 30, 60),
)


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def seed_service_station(street: DemoStreet, places: DemoPlaces, today: date) -> DemoLogin:
    """Add 沧浪物业社区服务站 (verified, serving 桂花新村's community), link 沧浪物业 to it as
    the street admin, and give the demo elder a priced repair (flushes). Returns the
    station's login."""
    company = next(o for o in places.organisations if o.kind == OrganisationKind.PROPERTY_COMPANY)
    first = street.communities[0]
    owner = create_member(
        by=None,
        community=first.community,
        display_name="沧浪物业服务站",
        birth_date=date(today.year - 45, 5, 1),
        phone=None,
        username="canglang.station",
    )
    owner.password_hash = street.demo_elder.password_hash
    provider = Provider(
        name=STATION_NAME,
        kind="company",
        categories="housekeeping",
        description="沧浪物业在桂花新村开的社区服务站：小修小补、居家安全检查，物业报修可在线付款。",
        contact_name="沧浪物业服务站",
        contact_phone="0512-65101235",
        address="桂花新村物业服务中心一楼",
        licence_number="91320508MA1P0020",
        status=ProviderStatus.VERIFIED,
        owner_id=owner.id,
        street_id=street.street.id,
        account_id=open_provider_account(owner.community_id).id,
        min_notice_hours=12,
        decided_by_id=first.coordinator.id,
        decided_at=to_utc(today - timedelta(days=30), time(10)),
    )
    provider.communities = [first.community]
    db.session.add(provider)
    db.session.flush()
    for title, unit, fen, minutes, long in ITEMS:
        db.session.add(
            ServiceItem(
                provider_id=provider.id,
                category="housekeeping",
                title=title,
                unit=unit,
                price_fen=fen,
                price_minutes=minutes,
                duration_minutes=long,
            )
        )
    for weekday in range(6):
        for starts, ends in ((time(9), time(11)), (time(14), time(16))):
            db.session.add(
                WeeklySlot(
                    provider_id=provider.id,
                    weekday=weekday,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=2,
                )
            )
    db.session.flush()
    link_provider(company, provider.id, by=_user("canglang.admin"))
    _elders_priced_repair(street, places, company, today)
    return DemoLogin(
        "service station", owner.display_name, "canglang.station", first.community.name
    )


def _elders_priced_repair(street: DemoStreet, places: DemoPlaces, company, today: date) -> None:
    """The demo elder's wardrobe door, outside the property fee: ¥80, 吴师傅 comes the day
    after tomorrow at 10:00; her yes (and then paying online) is what waits."""
    elder = street.demo_elder
    home = places.homes[0]
    visit: datetime = to_utc(today + timedelta(days=2), time(10))
    db.session.add(
        Repair(
            community_id=elder.community_id,
            compound_id=home.building.compound_id,
            home_id=home.id,
            resident_id=elder.id,
            entered_by_id=elder.id,
            organisation_id=company.id,
            description="衣柜门的合页断了，门关不上（要换新合页，不在物业费内）。",
            window_start=visit - timedelta(hours=1),
            window_end=visit + timedelta(hours=2),
            status=RepairStatus.ASSIGNED,
            worker_id=_user("canglang.repair").id,
            assigned_by_id=_user("canglang.property").id,
            appointment_at=visit,
            price_fen=8000,
            idempotency_key="seed-repair-priced-for-the-demo-elder",
        )
    )
    db.session.flush()
