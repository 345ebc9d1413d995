"""Coordinators keep their community's places: compounds, their buildings, the homes in
them and who owns each home. Every step is audited. A street admin does the same for
every community of the street; nobody reaches another street's places.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civic.errors import Conflict, InvalidInput, NotAllowed, NotFound
from civic.place_models import Building, Compound, Home, HomeOwner
from community import audit
from community.audit import Action
from community.models import Community, User
from community.reach import (
    community_condition,
    coordinated_community_ids,
    coordinates_community,
    find_in_street,
)
from extensions import db
from input_guard import MAX_ID

MAX_AREA_DM2 = 100_000  # 1,000 m²: no home in an old compound is larger


def communities_kept(actor: User) -> list[Community]:
    """The communities whose places ``actor`` keeps. Raises NotAllowed for a member."""
    ids = coordinated_community_ids(actor)
    if ids is None:
        raise NotAllowed(_l("Only coordinators keep the list of compounds and homes."))
    return list(
        db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.name))
    )


def compounds_kept(actor: User) -> list[tuple[Compound, int]]:
    """Each compound ``actor`` keeps, with how many homes it has (one query)."""
    communities_kept(actor)
    homes = (
        select(func.count(Home.id))
        .join(Building, Building.id == Home.building_id)
        .where(Building.compound_id == Compound.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Compound, homes)
        .where(community_condition(actor, Compound.community_id))
        .order_by(Compound.community_id, Compound.name)
    )
    return [(compound, count) for compound, count in rows]


def compound_kept(actor: User, compound_id: int) -> Compound:
    """The compound if ``actor`` keeps its community's places. Raises NotFound otherwise."""
    compound = db.session.get(Compound, compound_id) if 0 < compound_id <= MAX_ID else None
    if compound is None or not coordinates_community(actor, compound.community):
        raise NotFound()
    return compound


def add_compound(community: Community, *, by: User, name: str, address: str = "") -> Compound:
    """Add a compound to a community ``by`` coordinates.

    Raises NotAllowed, InvalidInput (no name), Conflict (the name is taken there).
    """
    if not coordinates_community(by, community):
        raise NotAllowed()
    name = name.strip()
    if not name:
        raise InvalidInput(_l("Give the compound a name."))
    taken = db.session.scalar(
        select(Compound.id).where(Compound.community_id == community.id, Compound.name == name)
    )
    if taken:
        raise Conflict(_l("This community already has a compound of that name."))
    compound = Compound(community_id=community.id, name=name[:80], address=address.strip()[:160])
    db.session.add(compound)
    db.session.flush()
    audit.record(
        Action.COMPOUND_ADDED,
        actor=by,
        community=community,
        target=f"compound:{compound.id}",
        after={"name": compound.name},
    )
    return compound


def add_building(compound: Compound, *, by: User, name: str) -> Building:
    """Add a building to the compound. Raises NotAllowed, InvalidInput, Conflict."""
    if not coordinates_community(by, compound.community):
        raise NotAllowed()
    name = name.strip()
    if not name:
        raise InvalidInput(_l("Give the building a name, e.g. 3幢."))
    taken = db.session.scalar(
        select(Building.id).where(Building.compound_id == compound.id, Building.name == name)
    )
    if taken:
        raise Conflict(_l("The compound already has a building of that name."))
    building = Building(compound_id=compound.id, name=name[:40])
    db.session.add(building)
    db.session.flush()
    audit.record(
        Action.BUILDING_ADDED,
        actor=by,
        community=compound.community,
        target=f"compound:{compound.id}",
        after={"name": building.name},
    )
    return building


def _building_of(compound: Compound, building_id: int) -> Building:
    building = db.session.get(Building, building_id) if 0 < building_id <= MAX_ID else None
    if building is None or building.compound_id != compound.id:
        raise InvalidInput(_l("Choose a building of this compound."))
    return building


def add_home(compound: Compound, *, by: User, building_id: int, unit: str, area_dm2: int) -> Home:
    """Add a home to a building of the compound.

    Raises NotAllowed, InvalidInput (no unit, a building elsewhere, an area out of
    range), Conflict (the unit is taken).
    """
    if not coordinates_community(by, compound.community):
        raise NotAllowed()
    building = _building_of(compound, building_id)
    unit = unit.strip()
    if not unit:
        raise InvalidInput(_l("Give the unit and door, e.g. 2单元301."))
    if not 0 < area_dm2 <= MAX_AREA_DM2:
        raise InvalidInput(_l("Enter a floor area from 0.01 to 1,000 m²."))
    taken = db.session.scalar(
        select(Home.id).where(Home.building_id == building.id, Home.unit == unit)
    )
    if taken:
        raise Conflict(_l("The building already has a home of that unit."))
    home = Home(building_id=building.id, unit=unit[:40], area_dm2=area_dm2)
    db.session.add(home)
    db.session.flush()
    audit.record(
        Action.HOME_ADDED,
        actor=by,
        community=compound.community,
        target=f"compound:{compound.id}",
        after={"name": f"{building.name} {home.unit}", "area_dm2": area_dm2},
    )
    return home


def record_owner(compound: Compound, *, by: User, home_id: int, who: str) -> HomeOwner:
    """Record a member of the street (by phone, username or number) as an owner of a
    home of the compound.

    Raises NotAllowed, InvalidInput (a home elsewhere), MemberNotFound, Conflict.
    """
    if not coordinates_community(by, compound.community):
        raise NotAllowed()
    home = db.session.get(Home, home_id) if 0 < home_id <= MAX_ID else None
    if home is None or home.building.compound_id != compound.id:
        raise InvalidInput(_l("Choose a home of this compound."))
    member = find_in_street(by, who)
    owned = db.session.scalar(
        select(HomeOwner.id).where(HomeOwner.home_id == home.id, HomeOwner.member_id == member.id)
    )
    if owned:
        raise Conflict(_l("This member is already recorded as an owner of this home."))
    owner = HomeOwner(home_id=home.id, member_id=member.id, recorded_by_id=by.id)
    db.session.add(owner)
    db.session.flush()
    audit.record(
        Action.HOME_OWNER_RECORDED,
        actor=by,
        subject=member,
        community=compound.community,
        target=f"compound:{compound.id}",
        after={"name": f"{home.building.name} {home.unit}"},
    )
    return owner
