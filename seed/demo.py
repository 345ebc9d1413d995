"""The demo street's people: 沧浪街道, its communities, residents and family links.

Everyone is created through community.services, so every member has an hour
account and every family link carries consent, as in real use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from werkzeug.security import generate_password_hash

from community.models import Community, ElderPayer, GiftPolicy, Role, Street, User
from community.services import create_member, found_community, link_family
from extensions import db
from seed.people import YOUNG_WOMEN, PhoneBook, birth_date, full_name, surname

STREET_NAME = "沧浪街道"
DEMO_PASSWORD = "linli2026"


@dataclass(frozen=True)
class CommunityPlan:
    """One community of the demo street and how many of each kind of resident it has."""

    name: str
    coordinator_login: str
    coordinator_name: str
    policy: dict = field(default_factory=dict)
    old_elders: int = 14  # 75 and over
    young_elders: int = 10  # 65 to 74
    retirees: int = 10  # volunteers, 55 to 70
    young_volunteers: int = 7
    relatives: int = 12  # sons, daughters and in-laws of the elders
    others: int = 11


PLANS = (
    CommunityPlan("桂花新村社区", "guihua.coord", "张丽"),
    CommunityPlan(
        "金狮河沿社区",
        "jinshi.coord",
        "顾晓燕",
        policy={"gift_recipients": GiftPolicy.ANYONE, "daily_earning_cap_minutes": 6 * 60},
    ),
    CommunityPlan(
        "南门社区",
        "nanmen.coord",
        "陆卫东",
        # Here elders pay from their own hours, with a credit line of 30 hours.
        policy={"elder_services_paid_by": ElderPayer.ELDER, "floor_minutes": -30 * 60},
    ),
)

RELATIONS_TO_PARENT = {True: ("女儿", "儿媳"), False: ("儿子", "女婿")}


@dataclass
class DemoCommunity:
    community: Community
    coordinator: User
    old_elders: list[User] = field(default_factory=list)
    young_elders: list[User] = field(default_factory=list)
    volunteers: list[User] = field(default_factory=list)
    relatives: list[User] = field(default_factory=list)
    others: list[User] = field(default_factory=list)

    @property
    def elders(self) -> list[User]:
        return self.old_elders + self.young_elders


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    login: str
    community: str


@dataclass
class DemoStreet:
    street: Street
    admin: User
    communities: list[DemoCommunity]
    logins: list[DemoLogin]
    # (elder, relative, may the relative confirm visits) for each link made with consent
    families: list[tuple[User, User, bool]] = field(default_factory=list)
    # the three demo members the logins name
    demo_volunteer: User | None = None
    demo_elder: User | None = None
    demo_relative: User | None = None


class StreetBuilder:
    """Creates the demo street's members; deterministic for a given ``rng``."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        # werkzeug's scrypt takes ~0.2 s a hash: hash the shared demo password once.
        self.password_hash = generate_password_hash(DEMO_PASSWORD)
        self.phones = PhoneBook(rng, taken={f"139000000{n:02d}" for n in range(100)})

    def member(
        self,
        community: Community,
        name: str,
        age: int,
        *,
        by: User | None = None,
        phone: str | None = "new",
        username: str | None = None,
        role: str = Role.MEMBER,
        **flags,
    ) -> User:
        """Create one member; those with a phone or username sign in with the demo password."""
        if phone == "new":
            phone = self.phones.new()
        user = create_member(
            by=by,
            community=community,
            display_name=name,
            birth_date=birth_date(self.rng, age, self.today),
            phone=phone,
            username=username,
            role=role,
            **flags,
        )
        if phone or username:
            user.password_hash = self.password_hash
        joined = self.today - timedelta(days=self.rng.randrange(120, 540))
        user.created_at = datetime.combine(joined, datetime.min.time()) + timedelta(hours=2)
        return user

    def resident(self, demo: DemoCommunity, low: int, high: int, woman: bool | None = None, **kw):
        age = self.rng.randint(low, high)
        woman = self.rng.random() < 0.55 if woman is None else woman
        name = full_name(self.rng, self.today.year - age, woman, kw.pop("family", None))
        return self.member(demo.community, name, age, **kw)


def _found(builder: StreetBuilder, street: Street, plan: CommunityPlan, admin: User | None):
    community = found_community(street_id=street.id, name=plan.name, **plan.policy)
    if admin is None:
        admin = builder.member(
            community, "周国平", 52, phone=None, username="canglang.admin", role=Role.STREET_ADMIN
        )
    coordinator = builder.member(
        community,
        plan.coordinator_name,
        builder.rng.randint(30, 48),
        by=admin,
        phone=None,
        username=plan.coordinator_login,
        role=Role.COORDINATOR,
    )
    return DemoCommunity(community, coordinator), admin


def _populate(builder: StreetBuilder, demo: DemoCommunity, plan: CommunityPlan) -> None:
    rng = builder.rng
    for n in range(plan.old_elders):
        # Nearly half of the oldest have no phone: their coordinator opened the account.
        no_phone = n % 9 in (1, 3, 5, 7)
        demo.old_elders.append(
            builder.resident(
                demo,
                75,
                96,
                woman=rng.random() < 0.6,
                by=demo.coordinator if no_phone else None,
                phone=None if no_phone else "new",
                is_priority=n % 4 == 0,
                has_hardship=n % 7 == 0,
            )
        )
    for n in range(plan.young_elders):
        user = builder.resident(demo, 65, 74, is_volunteer=n % 5 == 0)
        demo.young_elders.append(user)
        if user.is_volunteer:
            demo.volunteers.append(user)
    for _ in range(plan.retirees):
        demo.volunteers.append(builder.resident(demo, 55, 70, is_volunteer=True))
    for _ in range(plan.young_volunteers):
        demo.volunteers.append(builder.resident(demo, 19, 34, is_volunteer=True))
    for _ in range(plan.others):
        demo.others.append(builder.resident(demo, 22, 64))


def _link_relatives(builder: StreetBuilder, demo: DemoCommunity, plan: CommunityPlan, families):
    """Give elders sons, daughters and in-laws, linked with consent (some also volunteer)."""
    rng = builder.rng
    parents = demo.old_elders + demo.young_elders[:4]
    for n in range(plan.relatives):
        elder = parents[n % len(parents)]
        woman = rng.random() < 0.55
        relation = rng.choice(RELATIONS_TO_PARENT[woman])
        same_name = relation == "儿子" or (relation == "女儿" and rng.random() < 0.5)
        family = elder.display_name[0] if same_name else surname(rng)
        elder_age = elder.age_on(builder.today) or 80
        low = max(elder_age - 38, 30)
        relative = builder.resident(
            demo, low, max(low, elder_age - 22), woman, family=family, is_volunteer=n % 3 == 0
        )
        demo.relatives.append(relative)
        if relative.is_volunteer:
            demo.volunteers.append(relative)
        _link(builder, demo, elder, relative, relation, families, may_confirm=n % 6 != 5)
    # Grandchildren who volunteer help their grandparents too.
    for volunteer in [v for v in demo.volunteers if (v.age_on(builder.today) or 0) < 35][:2]:
        elder = rng.choice(demo.old_elders)
        relation = "孙女" if volunteer.display_name[1:] in YOUNG_WOMEN else "孙子"
        _link(builder, demo, elder, volunteer, relation, families)


def _link(builder, demo, elder, relative, relation, families, may_confirm=True) -> None:
    # An elder who signs in agrees themself; for the others the coordinator checked in person.
    by = elder if elder.password_hash else demo.coordinator
    link_family(by=by, elder=elder, relative=relative, relation=relation, may_confirm=may_confirm)
    families.append((elder, relative, may_confirm))


def _demo_people(builder: StreetBuilder, demo: DemoCommunity, street: DemoStreet) -> None:
    """The three members the demo logins name, in the first community."""
    community = demo.community
    volunteer = builder.member(community, "陈美华", 62, phone="13900000001", is_volunteer=True)
    elder = builder.member(community, "王秀英", 78, phone="13900000002")
    parent = builder.member(
        community, "沈阿根", 86, by=demo.coordinator, phone=None, is_priority=True
    )
    relative = builder.member(community, "沈建华", 54, phone="13900000003")
    demo.volunteers.insert(0, volunteer)
    demo.old_elders[:0] = [elder, parent]
    demo.relatives.insert(0, relative)
    _link(builder, demo, parent, relative, "儿子", street.families)
    street.demo_volunteer, street.demo_elder, street.demo_relative = volunteer, elder, relative


def build_street(rng: random.Random, today: date) -> DemoStreet:
    """Create 沧浪街道 with its communities, staff, residents and family links (flushes)."""
    builder = StreetBuilder(rng, today)
    street = Street(name=STREET_NAME)
    db.session.add(street)
    db.session.flush()
    admin = None
    communities = []
    for plan in PLANS:
        demo, admin = _found(builder, street, plan, admin)
        communities.append(demo)
    result = DemoStreet(street, admin, communities, [])
    _demo_people(builder, communities[0], result)
    for demo, plan in zip(communities, PLANS, strict=True):
        _populate(builder, demo, plan)
        _link_relatives(builder, demo, plan, result.families)
    first = communities[0].community.name
    result.logins = [
        DemoLogin("volunteer", "陈美华", "13900000001", first),
        DemoLogin("elder", "王秀英", "13900000002", first),
        DemoLogin("family member (of 沈阿根)", "沈建华", "13900000003", first),
        DemoLogin("coordinator", PLANS[0].coordinator_name, PLANS[0].coordinator_login, first),
        DemoLogin("street admin", admin.display_name, "canglang.admin", STREET_NAME),
    ]
    return result
