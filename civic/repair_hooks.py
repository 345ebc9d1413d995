"""What packages built on civic add to repairs and organisations, without civic
importing them (civic depends on community alone).

A package registers, when the app starts (as community.landing's rules are):
- a part of a repair's page (``register_repair_panel``): e.g. "pay online";
- a part of an organisation's page for the street office (``register_organisation_panel``);
- where an organisation's services are (``register_services_page``): its name on a
  repair then leads there;
- a way a repair may be paid other than on site (``register_payment_source``): the
  repair's page says it, and its worker may not take the money again.

Every function here asks each registered one in the order of their names; with none
registered (civic alone) the pages are civic's own.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from civic.organisation_models import Organisation
from civic.repair_models import Repair
from community.models import User

RepairPanel = Callable[[User, Repair], Markup | None]
OrganisationPanel = Callable[[User, Organisation], Markup | None]
ServicesPage = Callable[[Organisation], str | None]
PaymentSource = Callable[[Repair], str | None]

_REPAIR_PANELS: dict[str, RepairPanel] = {}
_ORGANISATION_PANELS: dict[str, OrganisationPanel] = {}
_SERVICES_PAGES: dict[str, ServicesPage] = {}
_PAYMENT_SOURCES: dict[str, PaymentSource] = {}


def register_repair_panel(name: str, panel: RepairPanel) -> None:
    """Show ``panel(reader, repair)`` (HTML, or None for nothing) on a repair's page."""
    _REPAIR_PANELS[name] = panel


def register_organisation_panel(name: str, panel: OrganisationPanel) -> None:
    """Show ``panel(reader, organisation)`` (HTML or None) on an organisation's page."""
    _ORGANISATION_PANELS[name] = panel


def register_services_page(name: str, page: ServicesPage) -> None:
    """``page(organisation)``: the address of the organisation's services, or None."""
    _SERVICES_PAGES[name] = page


def register_payment_source(name: str, source: PaymentSource) -> None:
    """``source(repair)``: how the repair is paid other than on site, in words (e.g.
    "paid online"), or None while it is not."""
    _PAYMENT_SOURCES[name] = source


def repair_panels(reader: User, repair: Repair) -> list[Markup]:
    """The registered parts of ``repair``'s page that ``reader`` sees."""
    shown = (_REPAIR_PANELS[name](reader, repair) for name in sorted(_REPAIR_PANELS))
    return [panel for panel in shown if panel]


def organisation_panels(reader: User, organisation: Organisation) -> list[Markup]:
    """The registered parts of ``organisation``'s page that ``reader`` sees."""
    shown = (
        _ORGANISATION_PANELS[name](reader, organisation) for name in sorted(_ORGANISATION_PANELS)
    )
    return [panel for panel in shown if panel]


def services_page(organisation: Organisation) -> str | None:
    """The address of ``organisation``'s services (the first registered that knows one)."""
    for name in sorted(_SERVICES_PAGES):
        found = _SERVICES_PAGES[name](organisation)
        if found:
            return found
    return None


def paid_elsewhere(repair: Repair) -> str | None:
    """How ``repair`` is paid other than on site, in words; None while it is not."""
    if repair.price_fen is None:
        return None
    for name in sorted(_PAYMENT_SOURCES):
        found = _PAYMENT_SOURCES[name](repair)
        if found:
            return found
    return None
