"""Passwords: a member changes their own; a coordinator resets one in person with a
one-time code (and the member must choose a new password before anything else); a
member with an email gets a signed, expiring, single-use link."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from community.audit import Action
from community.audit_models import AuditEntry
from community.models import User
from community.notification_models import OutboxEmail
from community.password_changes import reset_token
from community.passwords import CODE_ALPHABET
from extensions import db
from tests.conftest import PASSWORD, csrf_token, login

NEW = "autumn-osmanthus-7"
CODE_RE = re.compile(
    r'data-testid="one-time-code">.*?<span>(\d{4})</span><span>(\d{4})</span>', re.S
)


def post(client, path: str, data: dict, *, form_page: str | None = None):
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token})


def try_sign_in(app, login_name: str, password: str):
    client = app.test_client()
    response = post(client, "/login", {"login": login_name, "password": password})
    return client, response


def fresh(member: User) -> User:
    db.session.expire_all()
    return db.session.get(User, member.id)


def audit_entries(action: Action) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- a member changes their own -----------------------------------------------------------


def change(client, current: str, new: str, again: str | None = None):
    data = {"current_password": current, "new_password": new, "new_password_again": again or new}
    return post(client, "/account/password", data)


def test_the_account_page_is_reached_from_the_header(client, elder):
    login(client, elder)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/account"' in home
    assert 'href="/account/password"' in client.get("/account").get_data(as_text=True)


def test_a_member_changes_their_password(app, client, elder, english_pages):
    login(client, elder)
    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302
    assert try_sign_in(app, elder.login_name, PASSWORD)[1].status_code == 401
    assert try_sign_in(app, elder.login_name, NEW)[1].status_code == 302


@pytest.mark.parametrize(
    "current, new, again, status, message",
    [
        ("wrong-current-1", NEW, NEW, 401, "current password is not right"),
        (PASSWORD, NEW, NEW + "x", 400, "not the same"),
        (PASSWORD, "short", "short", 400, "at least 8 characters"),
        (PASSWORD, "woaini1314", "woaini1314", 400, "too common"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    app, client, elder, english_pages, current, new, again, status, message
):
    login(client, elder)
    before = fresh(elder).password_hash
    response = change(client, current, new, again)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert fresh(elder).password_hash == before
    assert client.get("/").status_code == 200  # still signed in


def test_guessing_the_current_password_is_limited(app, client, elder, english_pages):
    login(client, elder)
    for _ in range(5):
        assert change(client, "wrong-current-1", NEW).status_code == 401
    refused = change(client, PASSWORD, NEW)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "too many times" in refused.get_data(as_text=True)


# --- a coordinator resets it in person -----------------------------------------------------


def reset(client, member):
    return post(
        client, f"/members/{member.id}/password-reset", {}, form_page=f"/members/{member.id}"
    )


def code_on(response) -> str:
    match = CODE_RE.search(response.get_data(as_text=True))
    assert match, "no one-time code on the page"
    return "".join(match.groups())


def test_a_reset_in_person_gives_a_code_once_and_forces_a_new_password(
    app, client, people, english_pages
):
    elder, coordinator = people["elder"], people["coordinator"]
    login(client, coordinator)
    response = reset(client, elder)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    code = code_on(response)
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert fresh(elder).must_change_password
    [entry] = audit_entries(Action.PASSWORD_RESET)
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert code not in entry.after and code not in entry.before  # never written down

    assert try_sign_in(app, elder.login_name, PASSWORD)[1].status_code == 401  # old one gone
    member, signed = try_sign_in(app, elder.login_name, code)
    assert signed.headers["Location"].endswith("/account/password")
    # every page sends them to choose a password first; signing out still works
    for path in ("/", "/statement", "/market/", f"/members/{elder.id}", "/account"):
        page = member.get(path)
        assert page.status_code == 302 and page.headers["Location"].endswith("/account/password")
    form = member.get("/account/password").get_data(as_text=True)
    assert 'name="current_password"' not in form
    weak = post(
        member, "/account/password", {"new_password": "12345678", "new_password_again": "12345678"}
    )
    assert weak.status_code == 400
    done = post(member, "/account/password", {"new_password": NEW, "new_password_again": NEW})
    assert done.status_code == 302
    assert member.get("/").status_code == 200
    assert not fresh(elder).must_change_password
    assert try_sign_in(app, elder.login_name, code)[1].status_code == 401  # the code is spent
    assert try_sign_in(app, elder.login_name, NEW)[1].status_code == 302


def test_a_reset_opens_a_locked_sign_in(app, client, people):
    elder = people["elder"]
    login(client, people["coordinator"])
    for _ in range(6):
        last = try_sign_in(app, elder.login_name, "wrong-password-1")[1]
    assert last.status_code == 429
    code = code_on(reset(client, elder))
    assert try_sign_in(app, elder.login_name, code)[1].status_code == 302


@pytest.mark.parametrize(
    "who, whom, status",
    [
        ("coordinator", "elder", 200),
        ("street_admin", "elder", 200),
        ("street_admin", "coordinator", 200),
        ("other_coordinator", "elder", 403),
        ("far_coordinator", "elder", 403),
        ("far_street_admin", "elder", 403),
        ("volunteer", "elder", 403),
        ("family", "elder", 403),
        ("coordinator", "coordinator", 403),  # their own account: through /account instead
        ("coordinator", "street_admin", 403),
    ],
)
def test_who_may_reset_a_password(app, client, people, far_people, who, whom, status):
    everyone = {**people, **far_people}
    actor, member = everyone[who], everyone[whom]
    before = fresh(member).password_hash
    login(client, actor)
    token = csrf_token(client, "/")
    response = client.post(f"/members/{member.id}/password-reset", data={"csrf_token": token})
    assert response.status_code == status
    if status != 200:
        assert fresh(member).password_hash == before
        assert audit_entries(Action.PASSWORD_RESET) == []


# --- a link by mail ----------------------------------------------------------------------


@pytest.fixture
def with_email(people):
    elder = people["elder"]
    elder.email = "wang.xiuying@example.cn"
    db.session.commit()
    return elder


def mails() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def forgot(app, typed: str, address: str = "198.51.100.7"):
    client = app.test_client()
    token = csrf_token(client, "/password/forgot")
    return client.post(
        "/password/forgot",
        data={"login": typed, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_answer_is_the_same_whatever_was_typed(app, with_email, people, english_pages):
    app.config["PUBLIC_BASE_URL"] = "https://linli.example.cn"
    pages = {
        typed: forgot(app, typed, address=f"198.51.100.{n}")
        for n, typed in enumerate(
            [with_email.phone, "WANG.XIUYING@example.cn", "13900000000", people["volunteer"].phone]
        )
    }
    assert {p.status_code for p in pages.values()} == {200}
    bodies = {re.sub(r'value="[^"]+"', "", p.get_data(as_text=True)) for p in pages.values()}
    assert len(bodies) == 1  # one page for a member with email, without, and for nobody
    sent = mails()
    assert [m.to_address for m in sent] == [with_email.email] * 2
    link = re.search(r"https://linli\.example\.cn/password/reset/\S+", sent[0].body)
    assert link, sent[0].body


def link_path(member: User) -> str:
    return f"/password/reset/{reset_token(member)}"


def test_the_link_sets_a_new_password_once(app, client, with_email, english_pages):
    path = link_path(with_email)
    assert client.get(path).status_code == 200
    response = post(client, path, {"new_password": NEW, "new_password_again": NEW})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert try_sign_in(app, with_email.login_name, NEW)[1].status_code == 302
    again = client.get(path)  # the same browser, in English
    assert again.status_code == 400
    assert "no longer works" in again.get_data(as_text=True)


def test_an_expired_link_does_not_work(app, client, with_email, english_pages, monkeypatch):
    an_hour_ago = int(time.time()) - 3601
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: an_hour_ago)
    path = link_path(with_email)
    monkeypatch.undo()
    assert client.get(path).status_code == 400
    token = csrf_token(client, "/login")
    response = client.post(
        path, data={"new_password": NEW, "new_password_again": NEW, "csrf_token": token}
    )
    assert response.status_code == 400
    assert try_sign_in(app, with_email.login_name, PASSWORD)[1].status_code == 302


def test_a_tampered_link_does_not_work(app, client, people, with_email):
    path = link_path(with_email)
    other = link_path(people["volunteer"])
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 400
    signature = path.rsplit(".", 1)[1]
    assert client.get(other.rsplit(".", 1)[0] + "." + signature).status_code == 400
    assert client.get("/password/reset/" + "x" * 500).status_code == 400


def test_a_link_stops_working_once_the_password_changed_otherwise(app, client, people, with_email):
    path = link_path(with_email)
    login(client, people["coordinator"])
    reset(client, with_email)
    assert app.test_client().get(path).status_code == 400


def test_a_suspended_member_cannot_use_a_link(app, client, people, with_email):
    path = link_path(with_email)
    with_email.is_active_member = False
    db.session.commit()
    assert client.get(path).status_code == 400


def test_asking_for_links_is_limited(app, with_email, english_pages):
    for n in range(3):
        assert forgot(app, with_email.phone, address=f"198.51.100.{n}").status_code == 200
    refused = forgot(app, with_email.phone, address="198.51.100.9")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert 'data-testid="reset-refused"' in refused.get_data(as_text=True)
    assert len(mails()) == 3


def test_no_link_for_a_member_without_a_login_name(app, make_member):
    """A password set through a link would be one they could not sign in with."""
    elder = make_member("没有手机", phone="", password=None)
    elder.email = "family.of.elder@example.cn"
    db.session.commit()
    assert forgot(app, elder.email).status_code == 200
    assert mails() == []
