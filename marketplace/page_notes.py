"""What other packages add to the marketplace's pages without the marketplace importing
them: lines about a provider on its public page (a property company that is also a
service station says which compounds it looks after), and links from a booking's page
to what the booking is for (the repair a booking pays).

Each package registers its note or link when the app starts, as the landing rules do
(community.landing); with none registered the pages are the marketplace's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from community.models import User
from marketplace.booking_models import Booking
from marketplace.models import Provider

ProviderNote = Callable[[Provider], Iterable[str]]
BookingLink = Callable[[User, Booking], tuple[str, str] | None]
_NOTES: dict[str, ProviderNote] = {}
_BOOKING_LINKS: dict[str, BookingLink] = {}


def register_provider_note(name: str, note: ProviderNote) -> None:
    """Show ``note(provider)``'s lines (translated text, escaped when shown) on every
    provider's page (idempotent: one note per name)."""
    _NOTES[name] = note


def provider_notes(provider: Provider) -> list[str]:
    """Every registered note's lines about ``provider``, in the order of their names."""
    return [line for name in sorted(_NOTES) for line in _NOTES[name](provider)]


def register_booking_link(name: str, link: BookingLink) -> None:
    """Show ``link(reader, booking)`` — (words, address), or None — on a booking's page."""
    _BOOKING_LINKS[name] = link


def booking_links(reader: User, booking: Booking) -> list[tuple[str, str]]:
    """Every registered link of ``booking``'s page for ``reader``, in the order of their
    names."""
    found = (_BOOKING_LINKS[name](reader, booking) for name in sorted(_BOOKING_LINKS))
    return [link for link in found if link]
