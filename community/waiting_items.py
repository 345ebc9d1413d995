"""What waits for a member (the "等您办的事" list at the top of their home), as items any
package can add without the others knowing: a package registers a source
(``register_waiting_source``) and the place its kinds take in a person's list
(``register_waiting_kind``), as the landing rules do (community.landing).

The time bank gathers the list (timebank.waiting); the marketplace and civic add
their sources here, so neither the time bank nor community imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from community.models import FamilyLink, User

ITEMS_PER_SOURCE = 20

# The order of kinds within one person's list, what cannot wait first: each package
# places its own kinds (register_waiting_kind); a kind not placed comes last.
KIND_ORDER: dict[str, int] = {}


@dataclass(frozen=True)
class WaitingItem:
    """One thing waiting for a member: a line, one button and where it leads.

    ``member_id`` is whose it is (the viewer, or an elder they act for). ``text``,
    ``button`` and ``tag`` are lazy strings; the page builds the link from
    ``endpoint``, ``values`` and ``anchor``.
    """

    kind: str
    member_id: int
    text: object
    button: object
    endpoint: str
    values: Mapping[str, object] = field(default_factory=dict)
    anchor: str | None = None
    tag: object | None = None
    day: date | None = None

    @property
    def sort_key(self) -> tuple:
        # the lists are sorted stably: within a kind and a day, the order each source read
        return (KIND_ORDER.get(self.kind, 9), self.day or date.max)


@dataclass(frozen=True)
class WaitingScope:
    """Whose items a list gathers: the viewer, and the elders they act for (their links)."""

    viewer: User
    links: tuple[FamilyLink, ...]
    today: date

    def member_ids(self, permission: str) -> list[int]:
        """The viewer and the elders whose link grants ``permission`` (may_book, may_confirm)."""
        return [self.viewer.id] + [
            link.elder_id for link in self.links if getattr(link, permission)
        ]

    def is_viewer(self, member_id: int) -> bool:
        return member_id == self.viewer.id


WaitingSource = Callable[[WaitingScope], Iterable[WaitingItem]]
_SOURCES: dict[str, WaitingSource] = {}


def register_waiting_source(name: str, source: WaitingSource) -> None:
    """Add ``source``'s items to every member's waiting list (idempotent: one per name).

    A source reads its items for all of ``scope``'s members in a constant number of
    queries, scoped by ``scope.member_ids(permission)``.
    """
    _SOURCES[name] = source


def register_waiting_kind(kind: str, rank: int) -> None:
    """Place items of ``kind`` at ``rank`` in a person's list (0 first; unknown kinds last)."""
    KIND_ORDER[kind] = rank
