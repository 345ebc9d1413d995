"""物业+社区服务站: a property organisation that is also a marketplace provider.

The glue between civic (organisations, repairs) and the marketplace (providers,
bookings), which may not know each other: the street admin links an organisation to
a provider of the street, residents see the link both ways, and a priced repair of a
linked organisation can be paid online through a marketplace booking of its provider.

It imports civic, marketplace and community; nothing imports it but the app, which
calls ``connect_property_services`` to register its parts in civic's hooks
(civic.repair_hooks), the marketplace's provider notes (marketplace.provider_notes)
and the marketplace's booking signal (marketplace.signals).
"""

from property_services.models import RepairBooking, ServiceStation  # noqa: F401  (Alembic)
