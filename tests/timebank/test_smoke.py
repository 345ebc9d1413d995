from datetime import date

from extensions import db
from timebank.accounts import member_account
from timebank.verify import verify_ledger
from timebank.visits import confirm_visit, log_visit


def test_visit_posts_after_confirmation(app, volunteer, elder):
    record = log_visit(
        volunteer=volunteer,
        recipient=elder,
        category="meal",
        service_date=date.today(),
        minutes=90,
        entered_by=volunteer,
        idempotency_key="k1",
    )
    assert member_account(volunteer).balance_minutes == 0
    confirm_visit(record, by=elder)
    db.session.commit()
    assert member_account(volunteer).balance_minutes == 90
    assert verify_ledger(db.session) == []
