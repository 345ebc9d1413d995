"""A property company that is also a service station, and a priced repair to pay.

桂花物业 (tests/civic/repair_support.py) serves the elder's compound; the street admin
links it to 桂花便民服务站, a verified provider of the street serving the elder's
community, whose hourly item (¥60 or 60 minutes an hour) gives the rate hours pay at.
"""

from __future__ import annotations

import uuid
from datetime import time

from civic import repair_steps
from civic.clock import to_utc
from civic.repair_models import Repair
from community.models import Role, User
from marketplace.models import Provider, ServiceItem
from property_services import stations
from property_services.models import ServiceStation
from property_services.repair_payments import pay_repair_online
from tests.civic.repair_support import Property, send_for, tomorrow

PRICE_FEN = 12000


def street_admin_of(make_member, elder: User) -> User:
    return make_member("街道管理员", age=45, role=Role.STREET_ADMIN, community=elder.community)


def hourly_item(provider: Provider, make_item) -> ServiceItem:
    return make_item(
        provider, "上门维修", unit="hour", price_fen=6000, price_minutes=60, duration_minutes=60
    )


def link(place: Property, provider: Provider, admin: User) -> ServiceStation:
    return stations.link_provider(place.company, provider.id, by=admin)


def priced_repair(place: Property, elder: User, *, accepted: bool = True) -> Repair:
    """The elder's repair, assigned tomorrow at 10:00 for ¥120, the price accepted."""
    repair = send_for(elder, place.home)
    repair_steps.assign(
        repair,
        by=place.manager,
        worker=place.worker,
        appointment_at=to_utc(tomorrow(), time(10)),
        price_fen=PRICE_FEN,
    )
    if accepted:
        repair_steps.accept_price(repair, by=elder, price_fen=PRICE_FEN)
    return repair


def pay(repair: Repair, by: User, method: str = "hours", **values):
    return pay_repair_online(
        repair.id,
        by=by,
        payment_method=method,
        expected_price_fen=values.pop("price", repair.price_fen or PRICE_FEN),
        idempotency_key=values.pop("key", uuid.uuid4().hex),
        **values,
    )
