"""Staff see mail that keeps failing: a line on the street admin's page and a list, of
their own street's members only."""

from __future__ import annotations

from community.notification_models import OutboxEmail
from extensions import db
from tests.conftest import login


def _mail(member, attempts: int, subject: str) -> None:
    db.session.add(
        OutboxEmail(
            user_id=member.id,
            to_address=f"m{member.id}@example.com",
            subject=subject,
            body="…",
            attempts=attempts,
            last_error="SMTPAuthenticationError: 535",
        )
    )
    db.session.commit()


def test_the_street_admin_sees_mail_that_failed_several_times(
    app, client, people, far_people, english_pages
):
    app.config["MAIL_FAILURES_SHOWN"] = 3
    _mail(people["elder"], 3, "about the visit tomorrow")
    _mail(people["family"], 1, "failed once: not yet shown")
    _mail(far_people["far_coordinator"], 5, "another street's mail")
    login(client, people["street_admin"])

    page = client.get("/admin/").get_data(as_text=True)
    assert "1 email to members could not be sent after several tries." in page
    listing = client.get("/admin/outbox")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "about the visit tomorrow" in text and "SMTPAuthenticationError" in text
    assert "failed once" not in text and "another street" not in text


def test_nothing_is_shown_when_mail_goes_out(client, people, english_pages):
    login(client, people["street_admin"])
    assert 'data-testid="failing-mail"' not in client.get("/admin/").get_data(as_text=True)
    assert "Every email was sent." in client.get("/admin/outbox").get_data(as_text=True)


def test_only_street_admins_see_the_list(client, people):
    login(client, people["coordinator"])
    assert client.get("/admin/outbox").status_code == 403
