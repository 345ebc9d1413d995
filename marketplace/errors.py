"""Errors the marketplace's services raise; each carries a translated message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from errors import DomainError


class MarketplaceError(DomainError):
    """Base of every marketplace rule violation (400 unless a subclass says otherwise)."""


class NotAllowed(MarketplaceError):
    http_status = 403

    def __init__(self, message=None) -> None:
        # "is None", not "or": the truth of a lazy message translates it (see DomainError)
        super().__init__(message if message is not None else _l("You may not do this."))


class NotFound(MarketplaceError):
    http_status = 404

    def __init__(self, message=None) -> None:
        super().__init__(message if message is not None else _l("Not found."))


class InvalidInput(MarketplaceError):
    """A value the form let through but the rules refuse."""


class Conflict(MarketplaceError):
    """The thing changed under the user (full slot, new price, already done)."""

    http_status = 409


class NotAvailable(Conflict):
    """The slot is full, closed, in the past or too soon."""


class PriceChanged(Conflict):
    def __init__(self, message=None) -> None:
        super().__init__(
            message
            or _l(
                "The price changed since the page was shown. Nothing was booked; please look again."
            )
        )


class TransitionNotAllowed(Conflict):
    """The booking's state does not allow this step (it may have moved already)."""


class PaymentFailed(MarketplaceError):
    """The card was declined or the payment service refused; nothing was charged."""

    http_status = 402
