"""The one-statement look at every table (tests/table_rows.py) sees every write: the
permission table and the fuzz of every route trust it to say "nothing changed"."""

from __future__ import annotations

from sqlalchemy import select

from community.notification_models import Notification
from community.notifications import notify
from extensions import db
from tests.table_rows import changed_tables, table_names, table_rows


def _look() -> dict[str, list[str]]:
    db.session.commit()
    return table_rows(db.session.connection(), table_names())


def test_every_kind_of_write_is_seen_and_a_read_is_not(make_member):
    member = make_member("李秀兰", age=80)
    before = _look()
    assert before == _look()  # reading changes nothing
    assert any("李秀兰" in row for row in before["users"])

    member.email = ""  # an update of one column; NULL and the empty text differ
    assert changed_tables(before, after := _look()) == ["users"]
    member.email = None
    assert changed_tables(after, _look()) == ["users"]
    assert changed_tables(before, _look()) == []  # back as it was

    notify(member, "low_balance", left=30)  # an insert
    assert "notifications" in changed_tables(before, inserted := _look())
    assert len(inserted["notifications"]) == len(before["notifications"]) + 1
    db.session.delete(db.session.scalars(select(Notification)).one())  # a delete
    assert len(_look()["notifications"]) == len(before["notifications"])
