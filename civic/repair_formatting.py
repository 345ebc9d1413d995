"""How repairs read on a page: their status, place, times and prices, in the reader's
language (template filters, registered by the app)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from civic.repair_models import Repair
from civic.repair_notices import fen_words, place_words

STATUS_LABELS = {
    "sent": _l("Waiting for a worker"),
    "assigned": _l("A worker is coming"),
    "visited": _l("Done: please confirm"),
    "done": _l("Finished"),
}


def repair_status(repair: Repair) -> str:
    """The repair's status in words; a price still to accept says so first."""
    if repair.waits_for_price and repair.status in ("sent", "assigned"):
        return str(_l("Price waiting to be accepted: %(price)s", price=fen_words(repair.price_fen)))
    return str(STATUS_LABELS.get(repair.status, repair.status))


NEXT = {
    "sent": _l("The organisation will send a worker and you will get a message."),
    "assigned": _l("The worker comes at the time shown. Please be home."),
    "visited": _l("The resident's side confirms that it is fixed."),
}


def repair_next(repair: Repair) -> str:
    """What happens next, for someone with no step to take now."""
    return str(NEXT.get(repair.status, ""))


def repair_price(repair: Repair) -> str:
    """ "Free (property fee)" or the price."""
    if repair.price_fen is None:
        return str(_l("Free: inside the property fee"))
    return fen_words(repair.price_fen)


def register_repair_filters(app: Flask) -> None:
    app.add_template_filter(repair_status, "repair_status")
    app.add_template_filter(place_words, "repair_place")
    app.add_template_filter(repair_price, "repair_price")
    app.add_template_filter(repair_next, "repair_next")
