"""Lines other packages add to a provider's public page, about the provider itself (a
property company that is also a service station says which compounds it looks after).

The marketplace imports none of them: each registers a note (``register_provider_note``)
when the app starts, as the landing rules do (community.landing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from marketplace.models import Provider

ProviderNote = Callable[[Provider], Iterable[str]]
_NOTES: dict[str, ProviderNote] = {}


def register_provider_note(name: str, note: ProviderNote) -> None:
    """Show ``note(provider)``'s lines (translated text, escaped when shown) on every
    provider's page (idempotent: one note per name)."""
    _NOTES[name] = note


def provider_notes(provider: Provider) -> list[str]:
    """Every registered note's lines about ``provider``, in the order of their names."""
    return [line for name in sorted(_NOTES) for line in _NOTES[name](provider)]
