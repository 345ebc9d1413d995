"""Linking a property organisation to a marketplace provider of its street
(物业+社区服务站), and reading the link both ways.

The street admin links and unlinks (each step audited). The provider stays a normal
provider: its menu, calendar, bookings and the community subsidies are the
marketplace's rules, unchanged. Linking gives it one paused menu item, kept for the
bookings that pay repairs (marketplace.quoted_bookings).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from civic.organisation_models import Organisation, OrganisationCompound, OrganisationKind
from civic.place_models import Compound
from community import audit
from community.audit import Action
from community.models import Role, User
from community.reach import street_id_of
from extensions import db
from input_guard import MAX_ID
from marketplace.models import Provider, ProviderStatus, ServiceCategory, ServiceItem, Unit
from property_services.errors import Conflict, InvalidInput, NotAllowed
from property_services.models import ServiceStation

# Without an hourly item priced in minutes to copy, a repair is paid by card only.
DEFAULT_RATE_FEN = 6000


def _require_street_admin(actor: User, organisation: Organisation) -> None:
    if actor.role != Role.STREET_ADMIN or street_id_of(actor) != organisation.street_id:
        raise NotAllowed(_l("Only the street office links organisations to service providers."))


def station_of(organisation: Organisation) -> ServiceStation | None:
    """The organisation's link to a provider, if it has one."""
    return db.session.scalar(
        select(ServiceStation).where(ServiceStation.organisation_id == organisation.id)
    )


def station_of_provider(provider: Provider) -> ServiceStation | None:
    """The provider's link to an organisation, if it has one."""
    return db.session.scalar(
        select(ServiceStation).where(ServiceStation.provider_id == provider.id)
    )


def providers_to_link(actor: User, organisation: Organisation) -> list[Provider]:
    """The street's providers the street admin may link ``organisation`` to: not
    rejected, not linked to another organisation, by name. Raises NotAllowed."""
    _require_street_admin(actor, organisation)
    linked = select(ServiceStation.provider_id)
    return list(
        db.session.scalars(
            select(Provider)
            .where(
                Provider.street_id == organisation.street_id,
                Provider.status != ProviderStatus.REJECTED,
                Provider.id.not_in(linked),
            )
            .order_by(Provider.name, Provider.id)
        )
    )


def _repair_item(provider: Provider) -> ServiceItem:
    """A paused item of ``provider`` for repairs priced per job, at the rate of its first
    hourly item priced in minutes (so hours can pay), else card only."""
    hourly = db.session.scalar(
        select(ServiceItem)
        .where(
            ServiceItem.provider_id == provider.id,
            ServiceItem.unit == Unit.HOUR,
            ServiceItem.price_minutes.is_not(None),
        )
        .order_by(ServiceItem.id)
        .limit(1)
    )
    item = ServiceItem(
        provider_id=provider.id,
        category=ServiceCategory.HOUSEKEEPING,
        title=str(_l("Repairs priced by the property office")),
        description=str(_l("Paid from a repair's page at the price the resident accepted.")),
        unit=Unit.VISIT,
        price_fen=hourly.price_fen if hourly else DEFAULT_RATE_FEN,
        price_minutes=hourly.price_minutes if hourly else None,
        duration_minutes=60,
        is_paused=True,  # not on the menu: only a repair's page books it
    )
    db.session.add(item)
    db.session.flush()
    return item


def link_provider(organisation: Organisation, provider_id: int, *, by: User) -> ServiceStation:
    """The street admin links ``organisation`` (a property company or self-management
    group) to the provider ``provider_id`` of the same street.

    Raises NotAllowed (not this street's admin), InvalidInput (a street department, a
    provider not of this street or rejected), Conflict (either is linked already).
    """
    _require_street_admin(by, organisation)
    if organisation.kind == OrganisationKind.STREET_DEPARTMENT:
        raise InvalidInput(_l("A street department does not sell services."))
    provider = db.session.get(Provider, provider_id) if 0 < provider_id <= MAX_ID else None
    if (
        provider is None
        or provider.street_id != organisation.street_id
        or provider.status == ProviderStatus.REJECTED
    ):
        raise InvalidInput(_l("Choose one of this street's service providers from the list."))
    if station_of(organisation) is not None:
        raise Conflict(_l("This organisation is linked to a service provider already."))
    if station_of_provider(provider) is not None:
        raise Conflict(_l("This service provider is linked to another organisation already."))
    station = ServiceStation(
        organisation_id=organisation.id,
        provider_id=provider.id,
        repair_item_id=_repair_item(provider).id,
        linked_by_id=by.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(station)
    except IntegrityError as error:  # the same link made by a request that committed meanwhile
        raise Conflict(_l("This organisation is linked to a service provider already.")) from error
    audit.record(
        Action.SERVICE_STATION_LINKED,
        actor=by,
        target=f"organisation:{organisation.id}",
        after={"provider": provider.id, "provider_name": provider.name},
    )
    return station


def unlink_provider(organisation: Organisation, *, by: User) -> None:
    """The street admin ends the organisation's link to its provider. Bookings already
    made stand (they are the marketplace's); new repairs are paid on site only.

    Raises NotAllowed (not this street's admin), Conflict (not linked).
    """
    _require_street_admin(by, organisation)
    station = station_of(organisation)
    if station is None:
        raise Conflict(_l("This organisation is not linked to a service provider."))
    provider_id = station.provider_id
    db.session.delete(station)
    db.session.flush()
    audit.record(
        Action.SERVICE_STATION_UNLINKED,
        actor=by,
        target=f"organisation:{organisation.id}",
        before={"provider": provider_id},
    )


def looked_after(provider: Provider) -> tuple[str, list[str]] | None:
    """The organisation ``provider`` is the service station of, and the names of the
    compounds it serves (by name), in one statement; None when it is not linked."""
    rows = db.session.execute(
        select(Organisation.name, Compound.name)
        .join(ServiceStation, ServiceStation.organisation_id == Organisation.id)
        .outerjoin(OrganisationCompound, OrganisationCompound.organisation_id == Organisation.id)
        .outerjoin(Compound, Compound.id == OrganisationCompound.compound_id)
        .where(ServiceStation.provider_id == provider.id)
        .order_by(Compound.name)
    ).all()
    if not rows:
        return None
    return rows[0][0], [compound for _, compound in rows if compound is not None]
