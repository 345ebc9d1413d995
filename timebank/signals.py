"""What happened in mutual aid, for anyone who wants to react (notifications, reports).

Senders pass the object as the sender and facts as keyword arguments;
receivers run inside the sender's transaction and must only flush.
"""

from blinker import Namespace

_signals = Namespace()

# sender: AidRequest — a need was posted (notify volunteers nearby)
request_posted = _signals.signal("request-posted")
# sender: AidRequest — a volunteer took it (notify the requester and whoever posted it)
request_taken = _signals.signal("request-taken")
# sender: Visit — a visit was scheduled (reminders the day before)
visit_scheduled = _signals.signal("visit-scheduled")
# sender: ServiceRecord — a visit was logged and waits for confirmation
visit_logged = _signals.signal("visit-logged")
# sender: ServiceRecord — its hours posted; kwargs: transfer_id
visit_confirmed = _signals.signal("visit-confirmed")
# sender: the receiving User; kwargs: giver (User), minutes (int), transfer_id
gift_received = _signals.signal("gift-received")
# sender: the receiving User; kwargs: giver (User), minutes (int) — the giver took it back
gift_taken_back = _signals.signal("gift-taken-back")
