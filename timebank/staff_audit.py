"""The time bank's entries in the audit log for a coordinator acting on a member's behalf.

Services call ``acted_for`` after their own writes (community.audit.record locks
the chain's head until the commit). A member acting for themself, or family
acting with the elder's consent, is not a staff action and writes nothing.
"""

from __future__ import annotations

from community import audit
from community.audit import Action
from community.models import User
from community.reach import coordinates


def acted_for(by: User, member: User, did: str, *, target: str = "", **facts) -> None:
    """Append ACTED_FOR when ``by`` coordinates ``member`` and acted for them (not themself).

    ``did`` names what was done ("visit_scheduled", "request_posted" …); ``facts``
    go into the entry's "after" with it.
    """
    if by.id == member.id or not coordinates(by, member):
        return
    audit.record(
        Action.ACTED_FOR, actor=by, subject=member, target=target, after={"did": did, **facts}
    )
