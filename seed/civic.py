"""The demo street's places and the organisations that serve them.

Each community gets its compounds, buildings and homes, and residents own homes in
them. 桂花新村 is served by a property company (物业+社区服务站), 金狮河沿5号 by its
residents' self-management group (自管小组), and the street has a department that
answers for roads and lights.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from werkzeug.security import generate_password_hash

from civic.organisation_models import (
    Organisation,
    OrganisationCompound,
    OrganisationKind,
    OrganisationStaff,
    StaffRole,
)
from civic.place_models import Building, Compound, Home, HomeOwner
from community.models import User
from community.services import create_member
from extensions import db
from seed.demo import DEMO_PASSWORD, DemoLogin, DemoStreet

# Compound name, buildings, units per building, for each demo community in order.
COMPOUNDS = (
    (("桂花新村", 6, 8), ("桂花公寓", 2, 6)),
    (("金狮河沿5号", 1, 6), ("金狮新苑", 4, 8)),
    (("南门新村", 5, 8),),
)
# Homes in old compounds run from about 45 to 95 m².
AREAS_DM2 = (4550, 5230, 6080, 6875, 7420, 8160, 8890, 9350)


@dataclass
class DemoPlaces:
    compounds: list[Compound]
    homes: list[Home]
    organisations: list[Organisation]
    logins: list[DemoLogin]


def _homes(rng: random.Random, compound: Compound, buildings: int, units: int) -> list[Home]:
    homes = []
    for number in range(1, buildings + 1):
        building = Building(compound=compound, name=f"{number}幢")
        db.session.add(building)
        for door in range(units):
            floor, side = divmod(door, 2)
            unit = f"{1 + side}单元{floor + 1}0{1 + side}"
            homes.append(Home(building=building, unit=unit, area_dm2=rng.choice(AREAS_DM2)))
    db.session.add_all(homes)
    return homes


def _owners(rng: random.Random, homes: list[Home], residents: list[User]) -> None:
    """Each resident owns at most one home; about one home in eight is let, with no
    owner among the members."""
    free = list(residents)
    rng.shuffle(free)
    for home in homes:
        if not free:
            break
        if rng.random() < 0.125:
            continue
        db.session.add(HomeOwner(home=home, member_id=free.pop().id))


def _staff(community, name: str, login: str, organisation: Organisation, role: str) -> User:
    member = create_member(
        by=None, community=community, display_name=name, username=login, phone=None
    )
    member.password_hash = _password_hash()
    db.session.add(OrganisationStaff(organisation=organisation, member=member, role=role))
    return member


@cache
def _password_hash() -> str:
    # werkzeug's scrypt takes ~0.2 s a hash: hash the shared demo password once.
    return generate_password_hash(DEMO_PASSWORD)


def seed_places(street: DemoStreet, rng: random.Random) -> DemoPlaces:
    """Create the demo street's compounds, homes, owners and organisations (flushes)."""
    compounds, homes = [], []
    for demo, plan in zip(street.communities, COMPOUNDS, strict=True):
        community_homes = []
        for name, buildings, units in plan:
            compound = Compound(community=demo.community, name=name)
            db.session.add(compound)
            compounds.append(compound)
            community_homes += _homes(rng, compound, buildings, units)
        residents = demo.elders + demo.volunteers + demo.relatives + demo.others
        db.session.flush()
        if not homes:
            # The demo elder owns the first home of 桂花新村: her votes and repairs are there.
            elder = street.demo_elder
            db.session.add(HomeOwner(home=community_homes[0], member_id=elder.id))
            community_homes_left = community_homes[1:]
            residents = [r for r in residents if r.id != elder.id]
        else:
            community_homes_left = community_homes
        _owners(rng, community_homes_left, residents)
        homes += community_homes
    property_company = Organisation(
        street=street.street,
        name="沧浪物业服务有限公司",
        kind=OrganisationKind.PROPERTY_COMPANY,
        phone="0512-65101234",
    )
    self_managed = Organisation(
        street=street.street, name="金狮河沿5号自管小组", kind=OrganisationKind.SELF_MANAGEMENT
    )
    department = Organisation(
        street=street.street,
        name="沧浪街道城市管理科",
        kind=OrganisationKind.STREET_DEPARTMENT,
        phone="0512-65105678",
    )
    db.session.add_all([property_company, self_managed, department])
    db.session.flush()
    by_name = {c.name: c for c in compounds}
    for organisation, name in (
        (property_company, "桂花新村"),
        (property_company, "桂花公寓"),
        (self_managed, "金狮河沿5号"),
    ):
        db.session.add(
            OrganisationCompound(organisation_id=organisation.id, compound_id=by_name[name].id)
        )
    first = street.communities[0].community
    second = street.communities[1].community
    _staff(first, "周建国", "canglang.property", property_company, StaffRole.MANAGER)
    _staff(first, "吴师傅", "canglang.repair", property_company, StaffRole.WORKER)
    _staff(second, "钱玉兰", "jinshi5.group", self_managed, StaffRole.MANAGER)
    db.session.flush()
    logins = [
        DemoLogin("property manager", "周建国", "canglang.property", first.name),
        DemoLogin("repair worker", "吴师傅", "canglang.repair", first.name),
        DemoLogin("self-management group", "钱玉兰", "jinshi5.group", second.name),
    ]
    return DemoPlaces(compounds, homes, [property_company, self_managed, department], logins)
