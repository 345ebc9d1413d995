"""The QR code printed on an elder's confirmation card (口令卡).

It holds the address of the card's scan page (visits.scanned_card), whole, so that a
volunteer's phone camera opens it with no app: PUBLIC_BASE_URL and the card's public
id (timebank.cards.card_public_id). Drawn as inline SVG by segno, so it prints sharp.
"""

from __future__ import annotations

import segno
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from community.notifications import absolute_url
from timebank.cards import card_public_id
from timebank.visit_models import ConfirmationCard


def card_scan_url(card: ConfirmationCard) -> str:
    """The whole address the card's QR code opens."""
    # built without the request: the address is PUBLIC_BASE_URL's, never the Host header's
    adapter = current_app.url_map.bind("localhost")
    return absolute_url(adapter.build("visits.scanned_card", {"public_id": card_public_id(card)}))


def card_qr_svg(card: ConfirmationCard) -> Markup:
    """The card's QR code as an inline SVG, sized by its CSS class (code-card__qr)."""
    code = segno.make(card_scan_url(card), error="m")
    svg = code.svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="code-card__qr",
        title=_("Volunteers: scan with your phone's camera after the visit"),
    )
    return Markup(svg)  # segno's own SVG: no text of ours in it but the escaped title
