"""What people do to a booking once it exists (accept, cancel, dispute, …) and the dispute desk.

Routes live on the bookings blueprint (marketplace.booking_views).
"""

from __future__ import annotations

from marketplace.booking_views import bp  # noqa: F401
