"""Summary rows the ledger and the visits keep, so figures never re-read history.

- MemberYear / MemberDay: per community and holder's birth year (0 when
  unknown) or birth date, the member accounts' balances, how many member
  accounts, and how many active residents (role member). An age band on any
  day is read from the birth-year rows, except in the few birth years that
  straddle a band's edge on that day, which are read from the birth-date rows:
  exact whatever the day, and never more than 366 rows per edge and community.
- VisitMonth: confirmed minutes and visits per community (of the person
  served), month of service and category.
- RecipientMonth: who was served on a confirmed visit in a month, per community
  (elders served over a period counts distinct people from these).
- VolunteerActivity: per community served and volunteer, the last day served
  on a confirmed visit (confirmations are never undone, so it only grows).
- StreetVolunteerActivity: the same per street, so a street's active volunteers
  are counted once each (one serving two of its communities too) without a
  DISTINCT over every volunteer.
- VolunteerDay / StreetVolunteerDay: how many volunteers of a community (of a
  street) last served on one day. "Active volunteers" (last served in the past
  days) is a sum over a few dozen of these rows per community, however many
  volunteers there are.
- RecipientActivity: per community and person served, the last day served on a
  confirmed visit, and the birth date they are counted under in:
- ServedYear / ServedDay: how many people of a community, born in one year (or
  on one day), were last served in one month. "Elders served since a month" is
  a sum over these, by birth year as the member rows are read, so it costs the
  same whatever the number of people served.

Written by timebank.summaries in the transaction that changes what they count.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db

UNKNOWN_YEAR = 0  # MemberYear.birth_year of the holders whose birth date is unknown


class MemberYear(db.Model):
    """Member balances, accounts and residents of a community born in one year."""

    __tablename__ = "member_years"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    birth_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    balance_minutes: Mapped[int] = mapped_column(default=0)
    accounts: Mapped[int] = mapped_column(default=0)
    residents: Mapped[int] = mapped_column(default=0)


class MemberDay(db.Model):
    """Member balances, accounts and residents of a community born on one day."""

    __tablename__ = "member_days"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    birth_date: Mapped[date] = mapped_column(primary_key=True)
    balance_minutes: Mapped[int] = mapped_column(default=0)
    accounts: Mapped[int] = mapped_column(default=0)
    residents: Mapped[int] = mapped_column(default=0)


class VisitMonth(db.Model):
    """Confirmed visit minutes of a community's people served in one month and category."""

    __tablename__ = "visit_months"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)
    visits: Mapped[int] = mapped_column(default=0)


class RecipientMonth(db.Model):
    """Someone of a community served on a confirmed visit in a month (how many visits)."""

    __tablename__ = "recipient_months"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    visits: Mapped[int] = mapped_column(default=0)


class VolunteerActivity(db.Model):
    """The last day a volunteer served someone of a community on a confirmed visit."""

    __tablename__ = "volunteer_activity"
    __table_args__ = (Index("ix_volunteer_activity_last", "community_id", "last_served"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_served: Mapped[date]
    visits: Mapped[int] = mapped_column(default=0)


class StreetVolunteerActivity(db.Model):
    """The last day a volunteer served someone of a street's communities on a confirmed visit."""

    __tablename__ = "street_volunteer_activity"
    __table_args__ = (Index("ix_street_volunteer_activity_last", "street_id", "last_served"),)

    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_served: Mapped[date]


class VolunteerDay(db.Model):
    """How many volunteers last served someone of a community on one day."""

    __tablename__ = "volunteer_days"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    volunteers: Mapped[int] = mapped_column(default=0)


class StreetVolunteerDay(db.Model):
    """How many volunteers last served someone of a street's communities on one day."""

    __tablename__ = "street_volunteer_days"

    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    volunteers: Mapped[int] = mapped_column(default=0)


class RecipientActivity(db.Model):
    """The last day someone of a community was served on a confirmed visit, and the birth
    date their ServedYear/ServedDay count stands under (moved when it changes)."""

    __tablename__ = "recipient_activity"
    __table_args__ = (Index("ix_recipient_activity_recipient", "recipient_id"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_served: Mapped[date]
    birth_date: Mapped[date | None]


class ServedYear(db.Model):
    """How many people of a community born in one year (0: unknown) were last served in a month."""

    __tablename__ = "served_years"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    birth_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    people: Mapped[int] = mapped_column(default=0)


class ServedDay(db.Model):
    """How many people of a community born on one day were last served in a month."""

    __tablename__ = "served_days"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    birth_date: Mapped[date] = mapped_column(primary_key=True)
    last_month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    people: Mapped[int] = mapped_column(default=0)
