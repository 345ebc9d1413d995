"""Random sequences of ledger operations never break invariants 1–5.

Each example builds a fresh small world (a volunteer, two elders, a
coordinator, the fund and the guarantee account) under randomly drawn
community policies, then runs random gifts, donations, grants, reversals,
replays, holds and visit confirmations through the services. A pure-Python
model predicts, for every step, whether it succeeds and what every balance
and hold must be afterwards. After each step (committed, or failed and rolled
back) the database must agree with the model and ``verify_ledger`` must be clean.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from community.models import ElderPayer, GiftPolicy, Role, Street
from community.services import create_member, found_community, link_family
from errors import DomainError
from extensions import db
from timebank.accounts import community_account, member_account
from timebank.clock import local_today
from timebank.ledger import (
    MAX_TRANSFER_MINUTES,
    place_hold,
    post_transfer,
    release_hold,
    settle_hold,
)
from timebank.models import Account, AccountKind, Transfer, TransferKind
from timebank.transfers import donate_hours, gift_hours, grant_hours, reverse_transfer
from timebank.verify import verify_ledger
from timebank.visits import MAX_VISIT_MINUTES, confirm_visit, dispute_visit, log_visit
from timebank.visits import settle_dispute as settle_visit_dispute

from .support import key

_worlds = itertools.count(1)

# Indexes into World.members: a volunteer of 60, a priority elder of 80, an elder of 70.
VOLUNTEER, PRIORITY_ELDER, ELDER = 0, 1, 2
AGES = (60, 80, 70)
FAMILY = frozenset({VOLUNTEER, PRIORITY_ELDER})  # the volunteer is the priority elder's son
START_BALANCES = (40, 20, 60)  # small, so floors, caps and holds bind often

# Mostly amounts that fit; sometimes nonsense or more than anyone has.
sane = st.integers(min_value=1, max_value=45)
minutes = st.one_of(
    sane, sane, sane, st.integers(min_value=-5, max_value=200), st.just(MAX_TRANSFER_MINUTES + 1)
)
member = st.integers(min_value=0, max_value=2)
pick = st.integers(min_value=0, max_value=1000)  # which earlier transfer or hold

operations = st.one_of(
    st.tuples(st.just("gift"), member, member, minutes),
    st.tuples(st.just("donate"), member, minutes),
    st.tuples(st.just("grant"), member, st.sampled_from(["fund", "guarantee"]), minutes),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("replay"), pick),
    st.tuples(st.just("hold"), member, minutes),
    st.tuples(st.just("release"), pick),
    st.tuples(st.just("settle"), pick, member),
    st.tuples(st.just("visit"), member, member, minutes, st.none() | minutes),
)
policies = st.fixed_dictionaries(
    {
        "floor_minutes": st.sampled_from([0, -30]),
        "storage_cap_minutes": st.sampled_from([90, 150]),
        "elder_services_paid_by": st.sampled_from(list(ElderPayer)),
        "gift_recipients": st.sampled_from(list(GiftPolicy)),
    }
)


@dataclass
class ModelTransfer:
    id: int
    source: int
    target: int
    minutes: int
    kind: str
    key: str
    reversed: bool = False


@dataclass
class ModelHold:
    id: int
    account: int
    minutes: int
    open: bool = True


@dataclass
class World:
    """The database side (ids, users) and the model side (expected balances) of one example."""

    policy: dict
    community_id: int
    members: list
    coordinator: object
    accounts: list[int]  # member account ids, by member index
    fund: int
    guarantee: int
    balance: dict[int, int] = field(default_factory=dict)
    held: dict[int, int] = field(default_factory=dict)
    transfers: list[ModelTransfer] = field(default_factory=list)
    holds: list[ModelHold] = field(default_factory=list)

    # --- the model's rules ---------------------------------------------------------

    def floor(self, account: int) -> int | None:
        if account == self.guarantee:
            return None
        return 0 if account == self.fund else self.policy["floor_minutes"]

    def cap(self, account: int) -> int | None:
        return self.policy["storage_cap_minutes"] if account in self.accounts else None

    def can_move(self, source: int, target: int, amount: int) -> bool:
        if not 0 < amount <= MAX_TRANSFER_MINUTES or source == target:
            return False
        floor, cap = self.floor(source), self.cap(target)
        if floor is not None and self.balance[source] - self.held[source] - amount < floor:
            return False
        return cap is None or self.balance[target] + amount <= cap

    def move(self, source: int, target: int, amount: int) -> None:
        self.balance[source] -= amount
        self.balance[target] += amount

    def payer(self, recipient: int) -> int | None:
        """The account paying for a visit to ``recipient``, or None if no one may."""
        old_enough = AGES[recipient] >= 65
        guarantee_pays = self.policy["elder_services_paid_by"] == ElderPayer.GUARANTEE
        if guarantee_pays and (old_enough or recipient == PRIORITY_ELDER):
            return self.guarantee
        return self.accounts[recipient] if old_enough else None


def build_world(policy: dict) -> World:
    """A fresh street, community and members with some hours, committed."""
    n = next(_worlds)
    street = Street(name=f"性质街道{n}")
    db.session.add(street)
    db.session.flush()
    community = found_community(
        street_id=street.id, name=f"性质社区{n}", daily_earning_cap_minutes=10**6, **policy
    )
    members = [
        create_member(
            by=None,
            community=community,
            display_name=f"成员{n}-{i}",
            birth_date=local_today().replace(year=local_today().year - age, month=1, day=1),
            is_volunteer=i == VOLUNTEER,
            is_priority=i == PRIORITY_ELDER,
        )
        for i, age in enumerate(AGES)
    ]
    coordinator = create_member(
        by=None, community=community, display_name=f"社工{n}", role=Role.COORDINATOR
    )
    link_family(by=members[PRIORITY_ELDER], elder=members[PRIORITY_ELDER], relative=members[0])
    world = World(
        policy=policy,
        community_id=community.id,
        members=members,
        coordinator=coordinator,
        accounts=[member_account(m).id for m in members],
        fund=community_account(community.id, AccountKind.FUND).id,
        guarantee=community_account(community.id, AccountKind.GUARANTEE).id,
    )
    everyone = [*world.accounts, member_account(coordinator).id, world.fund, world.guarantee]
    world.balance = dict.fromkeys(everyone, 0)
    world.held = dict.fromkeys(everyone, 0)
    for account, amount in zip(world.accounts, START_BALANCES, strict=True):
        idempotency_key = key()
        transfer_id = post_transfer(
            from_account_id=world.guarantee,
            to_account_id=account,
            minutes=amount,
            kind=TransferKind.ADJUSTMENT,
            idempotency_key=idempotency_key,
            entered_by=coordinator,
        )
        world.move(world.guarantee, account, amount)
        world.transfers.append(
            ModelTransfer(
                transfer_id, world.guarantee, account, amount, "adjustment", idempotency_key
            )
        )
    db.session.commit()
    return world


# --- one step: predict, act, and on success update the model ----------------------------


def _post(world: World, source: int, target: int, amount: int, kind: str, act) -> tuple:
    """Predict a plain movement; ``act(key)`` performs it. Returns (expected, commit)."""
    expected = world.can_move(source, target, amount)
    idempotency_key = key()

    def run():
        transfer_id = act(idempotency_key)
        world.move(source, target, amount)
        world.transfers.append(
            ModelTransfer(transfer_id, source, target, amount, kind, idempotency_key)
        )

    return expected, run


def plan(world: World, operation: tuple) -> tuple[bool, object]:
    """What the model expects of ``operation`` (True: it succeeds) and how to run it."""
    name, *args = operation
    k = world.coordinator
    if name == "gift":
        giver, recipient, amount = args
        allowed = (
            world.policy["gift_recipients"] == GiftPolicy.ANYONE or {giver, recipient} == FAMILY
        )
        expected, run = _post(
            world,
            world.accounts[giver],
            world.accounts[recipient],
            amount,
            "gift",
            lambda ik: gift_hours(
                giver=world.members[giver],
                recipient=world.members[recipient],
                minutes=amount,
                by=world.members[giver],
                idempotency_key=ik,
            ),
        )
        return expected and allowed, run
    if name == "donate":
        giver, amount = args
        return _post(
            world,
            world.accounts[giver],
            world.fund,
            amount,
            "donation",
            lambda ik: donate_hours(
                member=world.members[giver], minutes=amount, by=k, idempotency_key=ik
            ),
        )
    if name == "grant":
        elder, source, amount = args
        expected, run = _post(
            world,
            world.fund if source == "fund" else world.guarantee,
            world.accounts[elder],
            amount,
            "grant",
            lambda ik: grant_hours(
                elder=world.members[elder],
                minutes=amount,
                source=source,
                by=k,
                memo="重点关爱",
                idempotency_key=ik,
            ),
        )
        return expected and elder == PRIORITY_ELDER, run
    if name == "reverse":
        original = world.transfers[args[0] % len(world.transfers)]
        expected, run = _post(
            world,
            original.target,
            original.source,
            original.minutes,
            "reversal",
            lambda ik: reverse_transfer(
                db.session.get(Transfer, original.id), by=k, reason="录错", idempotency_key=ik
            ),
        )

        def run_and_mark():
            run()
            original.reversed = True

        allowed = original.kind != "reversal" and not original.reversed
        return expected and allowed, run_and_mark
    if name == "replay":
        original = world.transfers[args[0] % len(world.transfers)]

        def replay():
            post_transfer(
                from_account_id=original.source,
                to_account_id=original.target,
                minutes=original.minutes,
                kind=original.kind,
                idempotency_key=original.key,
                entered_by=k,
            )

        return False, replay
    if name == "hold":
        holder, amount = args
        account = world.accounts[holder]
        expected = 0 < amount <= MAX_TRANSFER_MINUTES and (
            world.balance[account] - world.held[account] - amount >= world.floor(account)
        )

        def place():
            hold_id = place_hold(
                account_id=account,
                minutes=amount,
                reason="预约",
                idempotency_key=key(),
                entered_by=k,
            )
            world.held[account] += amount
            world.holds.append(ModelHold(hold_id, account, amount))

        return expected, place
    if name in ("release", "settle"):
        if not world.holds:
            return False, lambda: release_hold(10**9, entered_by=k)
        hold = world.holds[args[0] % len(world.holds)]
        if name == "release":

            def release():
                release_hold(hold.id, entered_by=k)
                world.held[hold.account] -= hold.minutes
                hold.open = False

            return hold.open, release
        target = world.accounts[args[1]]
        cap = world.cap(target)
        expected = (
            hold.open and target != hold.account and world.balance[target] + hold.minutes <= cap
        )

        def settle():
            transfer_id = settle_hold(hold.id, to_account_id=target, entered_by=k)
            world.held[hold.account] -= hold.minutes
            world.move(hold.account, target, hold.minutes)
            world.transfers.append(
                ModelTransfer(
                    transfer_id,
                    hold.account,
                    target,
                    hold.minutes,
                    "hold_settlement",
                    f"hold:{hold.id}:settle",
                )
            )
            hold.open = False

        return expected, settle
    if name == "visit":
        volunteer, recipient, logged, settled = args
        payer = world.payer(recipient)
        posted = logged if settled is None else settled
        expected = (
            volunteer != recipient
            and 0 < logged <= MAX_VISIT_MINUTES
            and (settled is None or 0 < settled <= logged)
            and payer is not None
            and world.can_move(payer, world.accounts[volunteer], posted)
        )

        def visit():
            record = log_visit(
                volunteer=world.members[volunteer],
                recipient=world.members[recipient],
                category="companionship",
                service_date=local_today(),
                minutes=logged,
                entered_by=world.members[volunteer],
                idempotency_key=key(),
            )
            if settled is None:
                transfer_id = confirm_visit(record, by=world.members[recipient])
            else:
                dispute_visit(record, by=world.members[recipient], reason="时间不对")
                transfer_id = settle_visit_dispute(
                    record, by=k, accept=True, note="核实", minutes=settled
                )
            world.move(payer, world.accounts[volunteer], posted)
            world.transfers.append(
                ModelTransfer(
                    transfer_id,
                    payer,
                    world.accounts[volunteer],
                    posted,
                    "service",
                    f"visit:{record.id}",
                )
            )

        return expected, visit
    raise AssertionError(name)


def assert_database_matches(world: World, operation: tuple) -> None:
    problems = verify_ledger(db.session)
    assert problems == [], (operation, [str(p) for p in problems])
    rows = db.session.execute(
        select(Account.id, Account.balance_minutes, Account.held_minutes).where(
            Account.community_id == world.community_id
        )
    ).all()
    actual = {account: (balance, held) for account, balance, held in rows}
    expected = {account: (world.balance[account], world.held[account]) for account in actual}
    assert actual == expected, operation
    posted = db.session.scalar(
        select(db.func.count(Transfer.id)).where(
            Transfer.to_account_id.in_(list(actual)) | Transfer.from_account_id.in_(list(actual))
        )
    )
    assert posted == len(world.transfers), operation


@settings(
    max_examples=20,
    deadline=None,
    # No shrinking: every example builds a world, so shrinking a failure takes
    # minutes; the failing step is named in the assertion instead.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(policy=policies, steps=st.lists(operations, min_size=12, max_size=25))
def test_random_operations_keep_the_ledger_whole(app, policy, steps):
    world = build_world(policy)
    for operation in steps:
        expected, run = plan(world, operation)
        try:
            run()
        except DomainError as error:
            db.session.rollback()
            assert not expected, (operation, str(error))
            event(f"{operation[0]} refused: {type(error).__name__}")
        else:
            db.session.commit()
            assert expected, operation
        event(f"{operation[0]} {'posted' if expected else 'refused'}")
        assert_database_matches(world, operation)
