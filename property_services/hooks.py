"""Connecting the glue to the packages it joins, when the app starts (idempotent)."""

from __future__ import annotations

from civic.repair_hooks import (
    register_organisation_panel,
    register_payment_source,
    register_repair_panel,
    register_services_page,
)
from marketplace import signals
from marketplace.page_notes import register_booking_link, register_provider_note
from property_services import panels, repair_payments


def connect_property_services() -> None:
    """Register the glue's page parts in civic's and the marketplace's hooks, and follow
    the marketplace's bookings (blinker keeps one receiver of each)."""
    register_repair_panel("property_services", panels.repair_panel)
    register_organisation_panel("property_services", panels.organisation_panel)
    register_services_page("property_services", panels.services_page)
    register_payment_source("property_services", repair_payments.paid_words)
    register_provider_note("property_services", panels.property_note)
    register_booking_link("property_services", panels.repair_link)
    signals.booking_moved.connect(repair_payments.booking_moved)
