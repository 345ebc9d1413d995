"""The glue's two tables: which organisation is which provider, and which booking pays
which repair.

Times are naive UTC, like every timestamp of the app.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.organisation_models import Organisation
from civic.repair_models import Repair
from community.models import utcnow
from extensions import db
from marketplace.booking_models import Booking
from marketplace.models import Provider, ServiceItem


class ServiceStation(db.Model):
    """The street admin's link: this organisation is also this marketplace provider
    (物业+社区服务站). One provider per organisation, one organisation per provider.

    ``repair_item`` is the provider's paused menu item that bookings paying a repair
    name (marketplace.quoted_bookings): its category decides the subsidy rules, its
    price and minutes the rate at which hours pay.
    """

    __tablename__ = "property_service_stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("civic_organisations.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), unique=True)
    repair_item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    provider: Mapped[Provider] = relationship()
    repair_item: Mapped[ServiceItem] = relationship()


class RepairBooking(db.Model):
    """A marketplace booking that pays a repair's price online.

    Live (``ended_at`` NULL) from the booking's making until it is declined, expires,
    is cancelled or refunded; a repair has at most one live booking (the partial
    unique index). ``paid_at``: when its payment was arranged (the card held, the
    hours held, or the subsidy paying all): from then the repair shows as paid online.
    """

    __tablename__ = "property_repair_bookings"
    __table_args__ = (
        Index(
            "uq_property_repair_bookings_live",
            "repair_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("civic_repairs.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    paid_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    repair: Mapped[Repair] = relationship()
    booking: Mapped[Booking] = relationship()
