"""The summary the provider's dashboard reads its earnings from (marketplace.earnings).

ProviderEarningsMonth: per provider, Shanghai month of completion and payment method,
the completed bookings, their total (fen, the subsidy part included), the subsidy
part, and the minutes of those paid in hours. A booking is counted while it is
completed: added when it enters COMPLETED, taken out when it leaves (a dispute),
added again when a dispute upholds it. Written in the transaction of the change.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class ProviderEarningsMonth(db.Model):
    """A provider's completed bookings of one month (Shanghai), paid one way."""

    __tablename__ = "provider_earnings_months"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    payment_method: Mapped[str] = mapped_column(String(10), primary_key=True)
    bookings: Mapped[int] = mapped_column(default=0)
    total_fen: Mapped[int] = mapped_column(default=0)
    subsidy_fen: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
