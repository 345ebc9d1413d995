"""Three months of the demo street's mutual aid, played through the time bank's services.

Visits are logged and confirmed (or left pending, rejected, disputed), hours
are gifted to parents, donated to the 爱心池 and granted to priority elders,
all in the order they happened, so every rule (daily cap, floors, who may
confirm) is checked by the same services the web pages call.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select, update

from community.models import ElderPayer, GiftPolicy, User
from extensions import db
from seed.demo import DemoCommunity, DemoStreet
from seed.visit_patterns import CATEGORY_WEIGHTS, GRANT_MEMOS, NOTES, TYPICAL_MINUTES
from timebank import ledger
from timebank.accounts import community_account
from timebank.models import Account, AccountKind, ServiceRecord, Transfer
from timebank.transfers import donate_hours, gift_hours, grant_hours, reverse_transfer
from timebank.visits import confirm_visit, dispute_visit, log_visit, reject_visit, settle_dispute

HISTORY_DAYS = 90
VISITS_PER_COMMUNITY = 110
UTC_OFFSET = timedelta(hours=8)  # the communities keep Asia/Shanghai time; the database UTC


def to_utc(local: datetime) -> datetime:
    return local - UTC_OFFSET


@contextmanager
def ledger_clock(now: list[datetime]) -> Iterator[None]:
    """Stamp transfers with the replayed moment ``now[0]`` instead of the wall clock.

    Transfers are append-only, so their time cannot be corrected after posting;
    the demo's history would otherwise all read as posted today.
    """
    wall_clock = ledger.utcnow
    ledger.utcnow = lambda: now[0]
    try:
        yield
    finally:
        ledger.utcnow = wall_clock


def available(user: User) -> int:
    return db.session.scalar(
        select(Account.balance_minutes - Account.held_minutes).where(Account.user_id == user.id)
    )


@dataclass
class Tally:
    confirmed: int = 0
    pending: int = 0
    rejected: int = 0
    disputed: int = 0
    gifts: int = 0
    donations: int = 0
    grants: int = 0
    reversals: int = 0


@dataclass
class Visit:
    volunteer: User
    recipient: User
    category: str
    day: date
    minutes: int
    outcome: str  # confirm, pending, reject, dispute, settle
    coordinator: User
    started_at: time | None = None
    record: ServiceRecord | None = field(default=None, repr=False)


class History:
    """Plans the events of the last HISTORY_DAYS days and replays them in order."""

    def __init__(self, street: DemoStreet, rng: random.Random, now: datetime) -> None:
        self.street = street
        self.rng = rng
        self.now = now  # local (Asia/Shanghai), naive
        self.today = now.date()
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.logged: dict[tuple[int, date], int] = defaultdict(int)
        self.tally = Tally()
        self.keys = 0
        self.clock = [to_utc(now)]  # the replayed moment, in UTC
        # When visits were really logged and answered, by record id: stamped at the end
        # in one statement each, rather than one UPDATE per record.
        self.logged_at: dict[int, datetime] = {}
        self.decided_at: dict[int, datetime] = {}

    def key(self, kind: str) -> str:
        self.keys += 1
        return f"demo:{kind}:{self.keys}"

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        self.events.append((when, len(self.events), action))

    def moment(self, days_ago: int, hour: int) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, self.rng.choice((0, 15, 30, 45))))

    # --- planning -------------------------------------------------------------------

    def plan_visit(self, visit: Visit) -> bool:
        """Schedule logging and answering a visit; False if it would break the daily cap."""
        cap = visit.volunteer.community.daily_earning_cap_minutes
        if self.logged[(visit.volunteer.id, visit.day)] + visit.minutes > cap:
            return False
        self.logged[(visit.volunteer.id, visit.day)] += visit.minutes
        start = visit.started_at or time(self.rng.randint(8, 15), self.rng.choice((0, 30)))
        visit.started_at = start if self.rng.random() < 0.6 else None
        end = datetime.combine(visit.day, start) + timedelta(minutes=visit.minutes)
        logged_at = min(end + timedelta(minutes=self.rng.randint(20, 150)), self.now)
        self.at(logged_at, lambda: self.log(visit, logged_at))
        answered_at = logged_at + timedelta(days=self.rng.choice((0, 0, 1, 2)), hours=2)
        if visit.outcome == "pending" or answered_at > self.now:
            self.tally.pending += 1
            return True
        self.at(answered_at, lambda: self.answer(visit, answered_at))
        if visit.outcome == "settle":
            self.at(answered_at + timedelta(days=2), lambda: self.settle(visit))
        return True

    def plan_community(self, demo: DemoCommunity, partners: dict[int, list[User]]) -> None:
        rng = self.rng
        weights = [4 if v is self.street.demo_volunteer else 2 for v in demo.volunteers]
        planned = 0
        while planned < VISITS_PER_COMMUNITY:
            volunteer = rng.choices(demo.volunteers, weights)[0]
            days_ago = rng.randint(1, HISTORY_DAYS)
            day = self.today - timedelta(days=days_ago)
            recipient = self.recipient_for(demo, volunteer, partners, day)
            if recipient is None:
                continue
            category = self.category_for(recipient, day)
            outcome = "pending" if days_ago <= 6 and rng.random() < 0.6 else "confirm"
            visit = Visit(
                volunteer,
                recipient,
                category,
                day,
                rng.choice(TYPICAL_MINUTES[category]),
                outcome,
                demo.coordinator,
            )
            planned += self.plan_visit(visit)

    def recipient_for(self, demo, volunteer, partners, day) -> User | None:
        """A volunteer's regular elder (结对) most of the time, else any elder; 65+ that day."""
        if volunteer.id not in partners:
            pool = [e for e in demo.elders if e.id != volunteer.id]
            partners[volunteer.id] = self.rng.sample(pool, self.rng.randint(1, 3))
        if self.rng.random() < 0.7:
            recipient = self.rng.choice(partners[volunteer.id])
        else:
            weights = [3 if e in demo.old_elders else 1 for e in demo.elders]
            recipient = self.rng.choices(demo.elders, weights)[0]
        if recipient.id == volunteer.id or (recipient.age_on(day) or 0) < 65:
            return None
        return recipient

    def category_for(self, recipient: User, day: date) -> str:
        while True:
            code = self.rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
            # After-school care is for grandparents still raising grandchildren.
            if code != "after_school" or (recipient.age_on(day) or 0) < 80:
                return code

    # --- replaying ------------------------------------------------------------------

    def log(self, visit: Visit, logged_at: datetime) -> None:
        self_logged = self.rng.random() < 0.85
        started, ended = visit.started_at, None
        if started is not None:
            end = datetime.combine(visit.day, started) + timedelta(minutes=visit.minutes)
            ended = end.time()
        category = visit.category
        visit.record = log_visit(
            volunteer=visit.volunteer,
            recipient=visit.recipient,
            category=category,
            service_date=visit.day,
            entered_by=visit.volunteer if self_logged else visit.coordinator,
            idempotency_key=self.key("visit"),
            minutes=None if started is not None else visit.minutes,
            started_at=started,
            ended_at=ended,
            note=self.rng.choice(NOTES[category]),
            today=logged_at.date(),
        )
        self.logged_at[visit.record.id] = to_utc(logged_at)

    def decider(self, visit: Visit) -> User:
        """The elder, a linked relative who may confirm, or the coordinator on their behalf."""
        elder = visit.recipient
        if elder.password_hash and self.rng.random() < 0.8:
            return elder
        for linked, relative, may_confirm in self.street.families:
            if linked is elder and may_confirm and relative is not visit.volunteer:
                return relative
        return visit.coordinator

    def answer(self, visit: Visit, answered_at: datetime) -> None:
        record, by = visit.record, self.decider(visit)
        if visit.outcome == "reject":
            reject_visit(record, by=by, reason="那天没有上门")
            self.tally.rejected += 1
        elif visit.outcome in ("dispute", "settle"):
            dispute_visit(record, by=by, reason="时长不对，实际只来了一个多小时")
            self.tally.disputed += visit.outcome == "dispute"
        elif not self.can_pay(visit):
            self.tally.pending += 1
            return
        else:
            confirm_visit(record, by=by)
            self.tally.confirmed += 1
        self.decided_at[record.id] = to_utc(answered_at)

    def can_pay(self, visit: Visit) -> bool:
        """Where elders pay from their own hours, leave unpayable visits waiting."""
        community = visit.recipient.community
        if community.elder_services_paid_by != ElderPayer.ELDER:
            return True
        return available(visit.recipient) - visit.minutes >= community.floor_minutes

    def settle(self, visit: Visit) -> None:
        settle_dispute(
            visit.record,
            by=visit.coordinator,
            accept=True,
            note="电话核实后按实际时长记录",
            minutes=max(visit.minutes // 2, 30),
        )
        self.decided_at[visit.record.id] = self.clock[0]
        self.tally.confirmed += 1

    def plan_gifts_and_donations(self) -> None:
        rng = self.rng
        for elder, relative, _ in self.street.families:
            if relative.is_volunteer:
                for days_ago in rng.sample(range(5, HISTORY_DAYS), 2):
                    self.at(
                        self.moment(days_ago, 20),
                        lambda e=elder, r=relative: self.gift(r, e, rng.choice((60, 90, 120))),
                    )
        for demo in self.street.communities:
            for volunteer in demo.volunteers:
                if rng.random() < 0.35:
                    self.at(
                        self.moment(rng.randint(3, 60), 19),
                        lambda v=volunteer: self.donate(v, rng.choice((60, 120, 180))),
                    )
            if demo.community.gift_recipients == GiftPolicy.ANYONE:
                for volunteer in rng.sample(demo.volunteers, 5):
                    elder = rng.choice(demo.old_elders)
                    self.at(
                        self.moment(rng.randint(3, 60), 20),
                        lambda v=volunteer, e=elder: self.gift(v, e, 60, memo="送给楼下的老人"),
                    )

    def gift(self, giver: User, recipient: User, minutes: int, memo: str = "给爸妈存的时间"):
        if available(giver) >= minutes:
            gift_hours(
                giver=giver,
                recipient=recipient,
                minutes=minutes,
                by=giver,
                idempotency_key=self.key("gift"),
                memo=memo,
            )
            self.tally.gifts += 1

    def donate(self, member: User, minutes: int) -> None:
        if available(member) >= minutes:
            donate_hours(
                member=member,
                minutes=minutes,
                by=member,
                idempotency_key=self.key("donation"),
                memo="捐给爱心池",
            )
            self.tally.donations += 1

    def plan_grants(self) -> None:
        for demo in self.street.communities:
            for elder in [e for e in demo.elders if e.is_priority]:
                for days_ago in (80, 50, 20):
                    when = self.moment(days_ago + self.rng.randint(0, 4), 10)
                    self.at(when, lambda e=elder, c=demo.coordinator: self.grant(e, c))

    def grant(self, elder: User, coordinator: User, minutes: int | None = None) -> int:
        minutes = minutes or self.rng.choice((120, 180, 240))
        fund = community_account(elder.community_id, AccountKind.FUND)
        source = AccountKind.FUND if fund.balance_minutes >= minutes else AccountKind.GUARANTEE
        self.tally.grants += 1
        return grant_hours(
            elder=elder,
            minutes=minutes,
            source=source,
            by=coordinator,
            memo=self.rng.choice(GRANT_MEMOS),
            idempotency_key=self.key("grant"),
        )

    def plan_demo_story(self) -> None:
        """A mistaken double grant and its reversal; a visit each for the demo logins."""
        first = self.street.communities[0]
        coordinator, volunteer = first.coordinator, self.street.demo_volunteer
        parent = next(e for e, r, _ in self.street.families if r is self.street.demo_relative)
        duplicate: list[int] = []
        when = self.moment(45, 10)
        self.at(when, lambda: self.grant(parent, coordinator, 180))
        self.at(
            when + timedelta(minutes=5),
            lambda: duplicate.append(self.grant(parent, coordinator, 180)),
        )
        self.at(when + timedelta(days=1), lambda: self.reverse(duplicate[0], coordinator))
        others = [v for v in first.volunteers if v is not volunteer]
        for visit in (
            Visit(
                volunteer, self.street.demo_elder, "meal", self.day(1), 60, "pending", coordinator
            ),
            Visit(volunteer, parent, "escort", self.day(2), 180, "pending", coordinator),
            Visit(others[0], parent, "companionship", self.day(3), 120, "dispute", coordinator),
            Visit(
                others[1],
                self.street.demo_elder,
                "cleaning",
                self.day(40),
                180,
                "settle",
                coordinator,
            ),
            Visit(others[2], parent, "errands", self.day(20), 90, "reject", coordinator),
        ):
            visit.started_at = time(9, 30)
            self.plan_visit(visit)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def reverse(self, transfer_id: int, coordinator: User) -> None:
        reverse_transfer(
            db.session.get(Transfer, transfer_id),
            by=coordinator,
            reason="重复录入，冲正",
            idempotency_key=self.key("reversal"),
        )
        self.tally.reversals += 1

    # --- running ----------------------------------------------------------------------

    def play(self) -> Tally:
        """Plan every event, then replay them in time order through the services."""
        partners: dict[int, list[User]] = {}
        self.plan_demo_story()
        for demo in self.street.communities:
            self.plan_community(demo, partners)
        self.plan_grants()
        self.plan_gifts_and_donations()
        with ledger_clock(self.clock):
            for when, _, action in sorted(self.events, key=lambda e: (e[0], e[1])):
                self.clock[0] = to_utc(when)
                action()
        db.session.flush()
        self.stamp_records()
        return self.tally

    def stamp_records(self) -> None:
        records = ServiceRecord.__table__
        for column, moments in (("created_at", self.logged_at), ("decided_at", self.decided_at)):
            db.session.execute(
                update(records)
                .where(records.c.id == bindparam("record"))
                .values({column: bindparam("moment")}),
                [{"record": r, "moment": m} for r, m in moments.items()],
            )
        db.session.expire_all()


def play_history(street: DemoStreet, rng: random.Random, now: datetime) -> Tally:
    """Replay three months of visits, gifts, donations and grants up to ``now`` (local time)."""
    return History(street, rng, now).play()
