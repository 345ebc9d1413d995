"""`seed-demo --scale N`: a large street and a proportional ledger, fast, for benchmarks.

Members, accounts, transfers and the confirmed visit behind each service go in
with Core executemany in batches; the balances (and each transfer's balances
after it) are computed in Python as the transfers are generated (each one
checked against the payer's floor and the receiver's cap, as the ledger
would), and the figures' summaries are recounted at the end, so `flask ledger
verify` passes afterwards.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import click
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from werkzeug.security import generate_password_hash

from community.hash_chain import GENESIS
from community.models import Community, GiftPolicy, Role, Street, User, utcnow
from community.services import create_member, found_community
from extensions import db
from seed.demo import DEMO_PASSWORD, STREET_NAME
from seed.people import birth_date, full_name
from seed.scale_market import seed_scale_market
from timebank import summaries
from timebank.accounts import community_account
from timebank.chain import transfer_digest
from timebank.clock import LOCAL_ZONE
from timebank.models import (
    Account,
    AccountKind,
    RecordStatus,
    ServiceRecord,
    Transfer,
    TransferKind,
)

TRANSFERS_PER_MEMBER = 20
MEMBERS_PER_COMMUNITY = 2500
BATCH = 20_000
HISTORY_DAYS = 730
COMMUNITY_NAMES = [
    "桂花新村",
    "金狮河沿",
    "南门",
    "双塔",
    "葑门",
    "沧浪新村",
    "三元",
    "新郭",
    "南环",
    "吴门桥",
    "友新",
    "胥江",
    "盘溪",
    "梅亭",
    "杨枝塘",
    "竹辉",
    "东大街",
    "蔡汇河头",
    "府前",
    "书院巷",
    "百花洲",
]
SERVICE_MEMOS = ("meal", "companionship", "errands", "cleaning", "escort", "phone_help")
AMOUNTS = (30, 45, 60, 90, 120, 180)
TRANSFER_COLUMNS = (
    "id",
    "from_account_id",
    "to_account_id",
    "amount_minutes",
    "kind",
    "memo",
    "entered_by_id",
    "idempotency_key",
    "reverses_id",
    "created_at",
    "row_hash",
    "from_balance_after",
    "to_balance_after",
)
VISIT_COLUMNS = (
    "volunteer_id",
    "recipient_id",
    "category",
    "service_date",
    "minutes",
    "note",
    "status",
    "entered_by_id",
    "decided_by_id",
    "decided_at",
    "decision_note",
    "transfer_id",
    "confirmation_method",
    "idempotency_key",
    "created_at",
)

_users = User.__table__
_accounts = Account.__table__
_transfers = Transfer.__table__
_visits = ServiceRecord.__table__


class ScaleLedger:
    """Balances of the accounts being filled, and the floor and cap a transfer must keep."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.balances: dict[int, int] = {}
        self.floors: dict[int, int] = {}  # member and fund accounts; the guarantee has none
        self.capped: set[int] = set()  # member accounts

    def open(self, account_id: int, floor: int | None, capped: bool) -> None:
        self.balances[account_id] = 0
        if floor is not None:
            self.floors[account_id] = floor
        if capped:
            self.capped.add(account_id)

    def move(self, source: int, target: int, minutes: int) -> bool:
        """Apply the transfer if the ledger would accept it; False if it would not."""
        balances = self.balances
        floor = self.floors.get(source)
        if floor is not None and balances[source] - minutes < floor:
            return False
        if target in self.capped and balances[target] + minutes > self.cap:
            return False
        balances[source] -= minutes
        balances[target] += minutes
        return True


def _years_ago(years: int):
    today = utcnow().date()
    return today.replace(year=today.year - years, day=28 if today.day == 29 else today.day)


def _next_id(connection: Connection, table) -> int:
    return (connection.scalar(select(func.max(table.c.id))) or 0) + 1


def _found_street(members: int, password_hash: str) -> tuple[list[Community], list[User]]:
    """The street, its communities and their coordinators, through the services."""
    count = max(3, min(len(COMMUNITY_NAMES), members // MEMBERS_PER_COMMUNITY))
    street = Street(name=STREET_NAME)
    db.session.add(street)
    db.session.flush()
    communities = [
        found_community(street_id=street.id, name=f"{name}社区", gift_recipients=GiftPolicy.ANYONE)
        for name in COMMUNITY_NAMES[:count]
    ]
    admin = create_member(
        by=None,
        community=communities[0],
        display_name="周国平",
        username="canglang.admin",
        role=Role.STREET_ADMIN,
    )
    staff = [admin]
    for n, community in enumerate(communities, start=1):
        coordinator = create_member(
            by=admin,
            community=community,
            display_name=f"社工{n}",
            username=f"coord{n}",
            role=Role.COORDINATOR,
        )
        staff.append(coordinator)
    for member in staff:
        member.password_hash = password_hash
    db.session.flush()
    return communities, staff


def _member_rows(rng: random.Random, first_id: int, count: int, communities, password_hash):
    """Residents: about 35 % aged 65+, 30 % volunteers, priority elders among the oldest."""
    today = utcnow().date()
    midnight = datetime.combine(today, datetime.min.time())
    for n in range(count):
        user_id = first_id + n
        age = rng.randint(65, 96) if rng.random() < 0.35 else rng.randint(18, 64)
        no_phone = age >= 80 and rng.random() < 0.4
        yield {
            "id": user_id,
            "username": None,
            "phone": None if no_phone else f"17{user_id:09d}",
            "password_hash": None if no_phone else password_hash,
            "display_name": full_name(rng, today.year - age, rng.random() < 0.55),
            "birth_date": birth_date(rng, age, today),
            "community_id": communities[n % len(communities)].id,
            "role": Role.MEMBER,
            "is_volunteer": 50 <= age <= 72 or (age < 35 and rng.random() < 0.5),
            "is_priority": age >= 80 and rng.random() < 0.25,
            "has_hardship": age >= 60 and rng.random() < 0.05,
            "is_active_member": True,
            "created_by_id": None,
            "created_at": midnight - timedelta(days=rng.randrange(HISTORY_DAYS)),
        }


def _batches(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class TransferPlan:
    """Generates a believable, valid stream of transfers over the last two years.

    Mostly services paid by the guarantee account, then grants to priority
    elders (from the fund while it lasts), gifts, donations and reversals.
    """

    def __init__(self, rng: random.Random, ledger: ScaleLedger, coordinators: dict[int, int]):
        self.rng = rng
        self.ledger = ledger
        self.coordinator = coordinators  # community id → coordinator's user id
        self.fund: dict[int, int] = {}
        self.guarantee: dict[int, int] = {}
        self.volunteers: list[tuple[int, int, int]] = []  # (account, user, community)
        self.priority: list[tuple[int, int, int]] = []
        self.recent_services: deque[tuple[int, int, int, int]] = deque(maxlen=2000)
        self.chain_heads: dict[int, str] = {}  # account id → its last transfer's digest
        self.elders: dict[int, list[int]] = {}  # community id → its residents aged 65+
        self.visits: list[tuple] = []  # the confirmed visit of each service, VISIT_COLUMNS

    def _visit(self, transfer_id: int, volunteer: tuple[int, int], minutes: int, memo, at, stamp):
        """The confirmed visit a service transfer paid for, to an elder of the community."""
        user, community = volunteer
        elders = self.elders.get(community) or [user]
        recipient = elders[int(self.rng.random() * len(elders))]
        if recipient == user:
            recipient = elders[0] if elders[0] != user else self.coordinator[community]
        day = at.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).date()
        self.visits.append(
            (
                user,
                recipient,
                memo,
                day,
                minutes,
                "",
                RecordStatus.CONFIRMED.value,
                user,
                recipient,
                stamp(at),
                "",
                transfer_id,
                "online",
                f"scale-visit:{transfer_id:010d}",
                stamp(at),
            )
        )

    def tuples(self, first_id: int, count: int, stamp) -> Iterator[tuple]:
        """``count`` transfers as tuples in TRANSFER_COLUMNS order, ids from ``first_id``."""
        start = utcnow() - timedelta(days=HISTORY_DAYS)
        step = timedelta(days=HISTORY_DAYS) / max(count, 1)
        gift_targets = self.volunteers + self.priority
        holders = {account: (user, community) for account, user, community in self.volunteers}
        transfer_id = first_id
        end = first_id + count
        while transfer_id < end:
            row = self.next_transfer(gift_targets)
            if row is None:
                continue
            source, target, minutes, kind, entered_by, memo, reverses = row
            at = start + step * (transfer_id - first_id)
            if kind == TransferKind.SERVICE:
                self.recent_services.append((transfer_id, source, target, minutes))
                self._visit(transfer_id, holders[target], minutes, memo, at, stamp)
            values = {
                "from_account_id": source,
                "to_account_id": target,
                "amount_minutes": minutes,
                "kind": str(kind),
                "memo": memo,
                "entered_by_id": entered_by,
                "on_behalf_of_id": None,
                # zero-padded so the unique index grows at its end, not all over the tree
                "idempotency_key": f"scale:{transfer_id:010d}",
                "reverses_id": reverses,
                "created_at": at,
            }
            heads = self.chain_heads
            digest = transfer_digest(heads.get(source, GENESIS), heads.get(target, GENESIS), values)
            heads[source] = heads[target] = digest
            yield (
                transfer_id,
                source,
                target,
                minutes,
                values["kind"],
                memo,
                entered_by,
                values["idempotency_key"],
                reverses,
                stamp(values["created_at"]),
                digest,
                self.ledger.balances[source],  # the move is applied: balances after it
                self.ledger.balances[target],
            )
            transfer_id += 1

    def next_transfer(self, gift_targets) -> tuple | None:
        rng = self.rng
        roll = rng.random()
        account, user, community = self.volunteers[int(rng.random() * len(self.volunteers))]
        minutes = AMOUNTS[int(rng.random() * len(AMOUNTS))]
        if roll < 0.08:
            source, target = account, rng.choice(gift_targets)[0]
            kind, by, memo = TransferKind.GIFT, user, ""
            if source == target:
                return None
        elif roll < 0.16:
            source, target = account, self.fund[community]
            kind, by, memo = TransferKind.DONATION, user, "爱心池"
        elif roll < 0.26 and self.priority:
            target, _, community = rng.choice(self.priority)
            fund = self.fund[community]
            source = fund if self.ledger.balances[fund] >= minutes else self.guarantee[community]
            kind, by, memo = TransferKind.GRANT, self.coordinator[community], "重点关爱"
        elif roll < 0.28 and self.recent_services:
            original, paid_by, paid_to, amount = self.recent_services.popleft()
            if not self.ledger.move(paid_to, paid_by, amount):
                return None
            return paid_to, paid_by, amount, TransferKind.REVERSAL, None, "冲正", original
        else:
            source, target = self.guarantee[community], account
            kind, by = TransferKind.SERVICE, self.coordinator[community]
            memo = SERVICE_MEMOS[int(rng.random() * len(SERVICE_MEMOS))]
        if not self.ledger.move(source, target, minutes):
            return None
        return source, target, minutes, kind, by, memo, None


def _stamper(connection: Connection):
    """How this driver takes a datetime: SQLite gets SQLAlchemy's own text format."""
    if connection.dialect.name != "sqlite":
        return lambda moment: moment
    return lambda m: f"{m:%Y-%m-%d %H:%M:%S}.{m.microsecond:06d}"


def _insert_tuples(connection: Connection, table, columns: tuple[str, ...], rows: list) -> None:
    """executemany of plain tuples: Core's per-row parameter processing costs more than the insert."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def _bump_sequences(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in ("users", "accounts", "transfers", "bookings", "reviews"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def seed_scale(members: int, *, seed: int = 2026, progress: bool = False) -> dict[str, int]:
    """Seed ``members`` users (staff included) and ~20 transfers per member (flushes only).

    Returns counts of what was created. Raises ValueError for fewer than 10 members.
    """
    if members < 10:
        raise ValueError("a scaled street needs at least 10 members")
    rng = random.Random(seed)
    password_hash = generate_password_hash(DEMO_PASSWORD)  # once: scrypt is slow by design
    communities, staff = _found_street(members, password_hash)
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A large page cache keeps the transfer indexes in memory while they grow.
        connection.exec_driver_sql("PRAGMA cache_size = -512000")
    residents = members - len(staff)
    transfers = members * TRANSFERS_PER_MEMBER
    bar = click.progressbar(length=residents + transfers, label="Seeding") if progress else None
    with bar or nullcontext():
        ledger = ScaleLedger(cap=communities[0].storage_cap_minutes)
        coordinators = {m.community_id: m.id for m in staff if m.role == Role.COORDINATOR}
        plan = TransferPlan(rng, ledger, coordinators)
        for community in communities:
            fund = community_account(community.id, AccountKind.FUND).id
            guarantee = community_account(community.id, AccountKind.GUARANTEE).id
            plan.fund[community.id], plan.guarantee[community.id] = fund, guarantee
            ledger.open(fund, floor=0, capped=False)
            ledger.open(guarantee, floor=None, capped=False)
        first_user = _next_id(connection, _users)
        account_id = _next_id(connection, _accounts)
        rows = _member_rows(rng, first_user, residents, communities, password_hash)
        for batch in _batches(rows):
            connection.execute(insert(_users), batch)
            accounts = []
            for member in batch:
                accounts.append(
                    {
                        "id": account_id,
                        "kind": AccountKind.MEMBER,
                        "user_id": member["id"],
                        "community_id": member["community_id"],
                        "balance_minutes": 0,
                        "held_minutes": 0,
                        "holder_birth_date": member["birth_date"],
                    }
                )
                if member["birth_date"] <= _years_ago(65):
                    plan.elders.setdefault(member["community_id"], []).append(member["id"])
                ledger.open(account_id, floor=communities[0].floor_minutes, capped=True)
                who = (account_id, member["id"], member["community_id"])
                if member["is_volunteer"]:
                    plan.volunteers.append(who)
                if member["is_priority"]:
                    plan.priority.append(who)
                account_id += 1
            connection.execute(insert(_accounts), accounts)
            if bar:
                bar.update(len(batch))
        # Building the lookup indexes once at the end is several times faster than
        # growing them row by row; the unique ones stay, so every key is still checked.
        lookups = [index for index in _transfers.indexes if not index.unique]
        for index in lookups:
            index.drop(connection)
        rows = plan.tuples(_next_id(connection, _transfers), transfers, _stamper(connection))
        for batch in _batches(rows):
            _insert_tuples(connection, _transfers, TRANSFER_COLUMNS, batch)
            if plan.visits:
                _insert_tuples(connection, _visits, VISIT_COLUMNS, plan.visits)
                plan.visits.clear()
            if bar:
                bar.update(len(batch))
        for index in lookups:
            index.create(connection)
    connection.execute(
        update(_accounts)
        .where(_accounts.c.id == bindparam("account"))
        .values(balance_minutes=bindparam("balance"), chain_hash=bindparam("head")),
        [
            {"account": a, "balance": b, "head": plan.chain_heads[a]}
            for a, b in ledger.balances.items()
            if a in plan.chain_heads
        ],
    )
    summaries.rebuild(connection)
    _bump_sequences(connection)  # the providers' accounts are opened through the ORM
    market = seed_scale_market(rng, communities)
    _bump_sequences(connection)
    if sqlite:
        connection.exec_driver_sql("PRAGMA cache_size = -2000")
    db.session.expire_all()
    return {
        "communities": len(communities),
        "members": members,
        "accounts": connection.scalar(select(func.count(_accounts.c.id))),
        "transfers": transfers,
        "visits": connection.scalar(select(func.count(_visits.c.id))),
        **market,
    }
