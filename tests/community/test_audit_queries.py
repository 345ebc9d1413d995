"""The audit log as a street admin reads it: only their street, the filters, keyset pages,
and the batches the CSV reads (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from community import audit
from community.audit import Action
from community.audit_queries import (
    MAX_ID,
    AuditFilter,
    InvalidAuditFilter,
    audit_page,
    audit_scope,
    iter_audit_rows,
    street_community_choices,
)
from community.errors import NotPermitted

TODAY = date(2026, 3, 10)


def scope(reader, /, **wanted):
    return audit_scope(reader, AuditFilter(**wanted), today=TODAY)


def ids(reader, /, **wanted) -> list[int]:
    return [row.id for row in iter_audit_rows(scope(reader, **wanted))]


@pytest.fixture
def entries(people, far_people, audit_clock) -> dict[str, int]:
    """Entries of this street (two communities) and of the far street, an hour apart."""
    coordinator, elder = people["coordinator"], people["elder"]
    other, admin = people["other_coordinator"], people["street_admin"]
    far = far_people["far_coordinator"]
    made = {}
    for name, action, actor, subject in (
        ("flags", Action.MEMBER_FLAGS_CHANGED, coordinator, elder),
        ("reset", Action.PASSWORD_RESET, coordinator, elder),
        ("other_reset", Action.PASSWORD_RESET, other, other),
        ("policy", Action.POLICY_CHANGED, admin, None),
        ("far_reset", Action.PASSWORD_RESET, far, far),
    ):
        made[name] = audit.record(action, actor=actor, subject=subject).id
        audit_clock.at += timedelta(hours=1)
    made["system"] = audit.record(Action.HOURS_GRANTED, actor=None, subject=elder).id
    made["nowhere"] = audit.record(Action.HOURS_GRANTED, actor=None).id  # no street
    return made


def test_a_street_admin_reads_only_their_streets_entries(people, far_people, entries):
    mine = ids(people["street_admin"])
    assert mine == [entries[name] for name in ("system", "policy", "other_reset", "reset", "flags")]
    assert ids(far_people["far_street_admin"]) == [entries["far_reset"]]


@pytest.mark.parametrize("who", ["coordinator", "other_coordinator", "elder", "volunteer"])
def test_nobody_else_reads_the_log(people, entries, who):
    with pytest.raises(NotPermitted):
        scope(people[who])
    with pytest.raises(NotPermitted):
        street_community_choices(people[who])


def test_rows_carry_the_names_they_refer_to(people, entries, community):
    page = audit_page(scope(people["street_admin"], action=Action.MEMBER_FLAGS_CHANGED))
    (row,) = page.rows
    assert (row.actor_name, row.actor_role) == ("张社工", "coordinator")
    assert (row.subject_id, row.subject_name) == (people["elder"].id, "王秀英")
    assert row.community_name == community.name and row.origin == "cli"


def test_dates_are_shanghai_days(people, audit_clock):
    admin = people["street_admin"]
    audit_clock.at = datetime(2026, 3, 1, 15, 59)  # 23:59 on 1 March in Shanghai
    late = audit.record(Action.ACTED_FOR, actor=admin).id
    audit_clock.at = datetime(2026, 3, 1, 16, 0)  # midnight: 2 March in Shanghai
    next_day = audit.record(Action.ACTED_FOR, actor=admin).id
    march_1, march_2 = date(2026, 3, 1), date(2026, 3, 2)
    assert ids(admin, start=march_1, end=march_1) == [late]
    assert ids(admin, start=march_2) == [next_day]
    assert ids(admin, end=march_1) == [late]


def test_filters_by_action_person_and_community(people, entries, other_community, community):
    admin, coordinator, elder = people["street_admin"], people["coordinator"], people["elder"]
    assert ids(admin, action="password_reset") == [entries["other_reset"], entries["reset"]]
    # who did it: by phone, username-less member number, or name
    for text in (coordinator.phone, f"#{coordinator.id}", str(coordinator.id), "张社工"):
        assert ids(admin, actor=text) == [entries["reset"], entries["flags"]], text
    assert ids(admin, subject="王秀英") == [entries["system"], entries["reset"], entries["flags"]]
    assert ids(admin, subject=elder.phone, action="password_reset") == [entries["reset"]]
    assert ids(admin, community_id=other_community.id) == [
        entries["policy"],
        entries["other_reset"],
    ]
    assert ids(admin, community_id=community.id, actor="张社工", start=date(2026, 3, 2)) == []


def test_a_name_shared_by_several_finds_them_all(people, make_member, audit_clock):
    admin = people["street_admin"]
    twins = [make_member("同名", role="coordinator") for _ in range(2)]
    made = [audit.record(Action.ACTED_FOR, actor=twin).id for twin in twins]
    assert sorted(ids(admin, actor="同名")) == made


def test_a_member_who_has_left_can_still_be_looked_up(people, entries):
    coordinator = people["coordinator"]
    coordinator.is_active_member = False
    assert ids(people["street_admin"], actor=coordinator.phone) == [
        entries["reset"],
        entries["flags"],
    ]


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ({"start": date(1899, 12, 31)}, "Enter a date from"),
        ({"end": date(1, 1, 1)}, "Enter a date from"),
        ({"start": date(9999, 12, 31)}, "Enter a date from"),
        ({"end": TODAY + timedelta(days=3700)}, "Enter a date from"),
        ({"start": date(2026, 3, 2), "end": date(2026, 3, 1)}, "must not be before"),
        ({"action": "became_king"}, "from the list"),
        ({"community_id": MAX_ID + 1}, "community of your street"),
        ({"community_id": 2**70}, "community of your street"),
        ({"actor": "nobody here"}, "Nobody of your street"),
        ({"subject": "王秀英\x00"}, "cannot be typed"),
        ({"actor": "\ud800"}, "cannot be typed"),
        ({"actor": "x" * 61}, "at most 60"),
    ],
)
def test_filters_that_cannot_be_read_are_refused_plainly(people, entries, english, wanted, message):
    with pytest.raises(InvalidAuditFilter) as refused:
        scope(people["street_admin"], **wanted)
    assert refused.value.http_status == 400
    assert message in str(refused.value.message)


def test_people_and_communities_of_another_street_are_not_found(people, far_people, entries):
    admin, far = people["street_admin"], far_people["far_coordinator"]
    for text in (far.phone, f"#{far.id}", far.display_name):
        with pytest.raises(InvalidAuditFilter):
            scope(admin, actor=text)
    with pytest.raises(InvalidAuditFilter):
        scope(admin, community_id=far.community_id)
    assert far.community_id not in dict(street_community_choices(admin))


# --- keyset pages and batches --------------------------------------------------------------


@pytest.fixture
def crowded(people, audit_clock) -> list[int]:
    """Nine entries whose times tie and run against their ids; newest first, as read."""
    admin = people["street_admin"]
    start = audit_clock.at
    made = []
    for offset in (5, 5, 5, 0, 9, 9, 1, 5, 3):  # minutes after ``start``
        audit_clock.at = start + timedelta(minutes=offset)
        made.append((audit_clock.at, audit.record(Action.ACTED_FOR, actor=admin).id))
    return [entry_id for _at, entry_id in sorted(made, reverse=True)]


def test_pages_follow_the_keyset_without_gaps_or_repeats(people, crowded):
    shown, older_than = [], None
    for _page in range(10):
        page = audit_page(scope(people["street_admin"]), older_than=older_than, size=2)
        shown += [row.id for row in page.rows]
        older_than = page.older_than
        if older_than is None:
            break
    assert shown == crowded


def test_the_last_page_says_there_is_no_more(people, crowded):
    page = audit_page(scope(people["street_admin"]), size=len(crowded))
    assert len(page.rows) == len(crowded) and page.older_than is None


def test_a_page_keeps_its_filter(people, crowded, entries):
    admin = people["street_admin"]
    first = audit_page(scope(admin, action="acted_for"), size=4)
    second = audit_page(scope(admin, action="acted_for"), older_than=first.older_than, size=4)
    assert {row.action for row in first.rows + second.rows} == {"acted_for"}


@pytest.mark.parametrize("older_than", [0, -1, MAX_ID + 1, 2**70, 999_999])
def test_a_page_after_an_unknown_entry_is_refused(people, crowded, older_than):
    with pytest.raises(InvalidAuditFilter):
        audit_page(scope(people["street_admin"]), older_than=older_than)


def test_a_page_after_another_streets_entry_is_refused(people, far_people, crowded):
    theirs = audit.record(Action.ACTED_FOR, actor=far_people["far_coordinator"]).id
    with pytest.raises(InvalidAuditFilter):
        audit_page(scope(people["street_admin"]), older_than=theirs)


@pytest.mark.parametrize("batch", [1, 2, 4, 9, 100])
def test_batches_read_every_entry_once(people, crowded, batch):
    rows = iter_audit_rows(scope(people["street_admin"]), batch=batch)
    assert [row.id for row in rows] == crowded
