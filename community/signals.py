"""Signals other packages listen to, so community never imports them.

Receivers run inside the sender's transaction and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

# sent with the new User after it is flushed (it has an id)
member_joined = _signals.signal("member-joined")
# sent with the new Community after it is flushed
community_founded = _signals.signal("community-founded")
# sent with the Community and the new limits (floor_minutes, storage_cap_minutes)
# before a policy change is applied; a receiver raises a DomainError to refuse it
policy_changing = _signals.signal("policy-changing")
