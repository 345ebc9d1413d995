"""What happened to a booking, for any package built on the marketplace that wants to
react (the marketplace imports none of them).

Receivers run inside the sender's transaction and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

# sender: Booking — it was made (from_status None) or its status changed; kwargs:
# from_status (str | None), by (User | None: the system, e.g. a sweep or a webhook)
booking_moved = _signals.signal("booking-moved")
