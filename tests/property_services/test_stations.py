"""The street admin links a property organisation to a provider of the street
(物业+社区服务站); residents see the link both ways. Services called directly."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.organisation_models import Organisation, OrganisationKind
from community.audit_models import AuditEntry
from community.models import Role, Street
from community.services import found_community
from extensions import db
from marketplace.models import Provider, ServiceItem
from property_services import stations
from property_services.errors import Conflict, InvalidInput, NotAllowed
from property_services.models import ServiceStation
from tests.civic.repair_support import make_property
from timebank.accounts import open_provider_account

from .support import hourly_item, link, street_admin_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def place(elder, make_member):
    return make_property(elder, make_member)


@pytest.fixture
def admin(make_member, elder):
    return street_admin_of(make_member, elder)


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_the_street_admin_links_a_company_to_a_provider_and_it_gets_a_repair_item(
    place, provider, make_item, admin
):
    hourly_item(provider, make_item)
    station = link(place, provider, admin)

    assert (station.organisation_id, station.provider_id) == (place.company.id, provider.id)
    item = station.repair_item
    assert item.provider_id == provider.id and item.is_paused  # not on the menu
    assert (item.category, item.price_fen, item.price_minutes) == ("housekeeping", 6000, 60)
    assert stations.looked_after(provider) == (place.company.name, [place.compound.name])
    assert _audited("service_station_linked") == 1


def test_without_an_hourly_item_the_repair_item_takes_no_hours(place, provider, admin):
    station = link(place, provider, admin)
    assert station.repair_item.price_minutes is None


def test_only_the_street_admin_links(place, provider, coordinator, elder):
    for someone in (coordinator, elder, place.manager):
        with pytest.raises(NotAllowed):
            link(place, provider, someone)
    assert db.session.scalar(select(func.count(ServiceStation.id))) == 0


def test_a_provider_of_another_street_is_refused(place, admin, make_member, provider):
    far = Street(name="双塔街道")
    db.session.add(far)
    db.session.flush()
    far_community = found_community(street_id=far.id, name="双塔社区")
    far_owner = make_member("外街老板", community=far_community)
    far_provider = Provider(
        name="外街家政",
        kind="company",
        categories="housekeeping",
        contact_name="外街老板",
        contact_phone="051200000000",
        owner_id=far_owner.id,
        street_id=far.id,
        account_id=open_provider_account(far_community.id).id,
        status="verified",
    )
    db.session.add(far_provider)
    db.session.flush()
    items_before = db.session.scalar(select(func.count(ServiceItem.id)))
    with pytest.raises(InvalidInput, match="this street's service providers"):
        link(place, far_provider, admin)
    for missing in (0, 2**31, 2**63):
        with pytest.raises(InvalidInput):
            stations.link_provider(place.company, missing, by=admin)
    assert db.session.scalar(select(func.count(ServiceItem.id))) == items_before
    assert _audited("service_station_linked") == 0


def test_one_provider_per_organisation_and_one_organisation_per_provider(
    place, provider, make_provider, admin, make_member, elder
):
    link(place, provider, admin)
    with pytest.raises(Conflict, match="already"):
        link(place, make_provider("第二家"), admin)
    other = Organisation(
        street_id=elder.community.street_id, name="别的物业", kind=OrganisationKind.PROPERTY_COMPANY
    )
    db.session.add(other)
    db.session.flush()
    with pytest.raises(Conflict, match="another organisation"):
        stations.link_provider(other, provider.id, by=admin)


def test_a_street_department_is_not_linked(provider, admin, elder):
    department = Organisation(
        street_id=elder.community.street_id,
        name="城市管理科",
        kind=OrganisationKind.STREET_DEPARTMENT,
    )
    db.session.add(department)
    db.session.flush()
    with pytest.raises(InvalidInput):
        stations.link_provider(department, provider.id, by=admin)


def test_unlinking_ends_the_link_and_is_audited(place, provider, admin, make_member):
    link(place, provider, admin)
    with pytest.raises(NotAllowed):
        stations.unlink_provider(place.company, by=make_member("社工", role=Role.COORDINATOR))
    stations.unlink_provider(place.company, by=admin)
    assert stations.station_of(place.company) is None
    assert stations.looked_after(provider) is None
    assert _audited("service_station_unlinked") == 1
    with pytest.raises(Conflict):
        stations.unlink_provider(place.company, by=admin)


def test_the_providers_offered_are_the_streets_unlinked_ones(place, provider, make_provider, admin):
    second = make_provider("第二家")
    assert {p.id for p in stations.providers_to_link(admin, place.company)} == {
        provider.id,
        second.id,
    }
    link(place, provider, admin)
    assert [p.id for p in stations.providers_to_link(admin, place.company)] == [second.id]
