"""Where each member lands: the page of their work, after signing in and on "/".

A coordinator or street admin lands on the coordinator desk, a provider's owner on
their provider dashboard, everyone else on the time bank's home. Those pages live in
packages that build on this one (timebank, marketplace), so each registers its own
rule here (``register_home``), as the audit labels do (community.audit_labels): this
module depends on none of them, and the rule is asked in one place, ``home_endpoint``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from community.models import User

# Without any rule registered (a community-only app): the member's own account page.
FALLBACK_ENDPOINT = "community.account"


@dataclass(frozen=True)
class HomeRule:
    """Members for whom ``applies`` is true land on ``endpoint``; lower ranks are asked first."""

    rank: int
    endpoint: str
    applies: Callable[[User], bool]


_RULES: dict[str, HomeRule] = {}


def register_home(endpoint: str, applies: Callable[[User], bool], *, rank: int) -> None:
    """Land members for whom ``applies(member)`` is true on ``endpoint`` (idempotent: one
    rule per endpoint). Rules are asked in ``rank`` order; put rules that cost a query
    after those that do not."""
    _RULES[endpoint] = HomeRule(rank=rank, endpoint=endpoint, applies=applies)


def home_endpoint(member: User) -> str:
    """The endpoint of the page ``member`` should land on (the first rule that applies)."""
    for rule in sorted(_RULES.values(), key=lambda r: (r.rank, r.endpoint)):
        if rule.applies(member):
            return rule.endpoint
    return FALLBACK_ENDPOINT
