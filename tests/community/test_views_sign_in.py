"""Sign-in limits: per login name and per client address, only failed tries count, a
refusal is a 429 on the sign-in page saying when to try again, and a coordinator can
lift the lock on a member's sign-in (recorded)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from community.audit import Action
from community.audit_models import AuditEntry
from community.sign_in_limits import is_sign_in_locked
from extensions import db
from tests.conftest import PASSWORD, csrf_token

WRONG = "not-the-password-7"
ADDRESS = "198.51.100.7"
ELSEWHERE = "203.0.113.9"
REFUSED = "too many wrong tries"
TRY_AGAIN = re.compile(r"Please try again after \d\d:\d\d \(in about \d+ minutes?\)")


def sign_in(client, login: str, password: str, address: str = ADDRESS, **extra):
    """Post the sign-in form from ``address``."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token, **extra},
        environ_base={"REMOTE_ADDR": address},
    )


def refusal(response) -> str:
    page = response.get_data(as_text=True)
    match = re.search(r'data-testid="sign-in-refused">(.*?)</div>', page, re.S)
    assert match, "the sign-in page says nothing about the refusal"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_sixth_wrong_try_for_one_name_is_refused_with_when_to_try_again(
    app, client, english_pages, make_member
):
    member = make_member(phone="13912345678")
    other = make_member(phone="13912345679")
    db.session.commit()
    for written in (
        "13912345678",
        "139 1234 5678",
        "+86 139-1234-5678",
        "13912345678",
        "13912345678",
    ):
        assert sign_in(client, written, WRONG).status_code == 401
    refused = sign_in(client, "13912345678", WRONG)
    assert refused.status_code == 429
    assert REFUSED in refusal(refused).lower()
    assert TRY_AGAIN.search(refusal(refused))
    assert 1 <= int(refused.headers["Retry-After"]) <= 61  # a one-minute window
    # the lock holds even for the right password, from anywhere
    assert sign_in(client, member.phone, PASSWORD, address=ELSEWHERE).status_code == 429
    # other members are not locked out, from this address or another
    assert sign_in(app.test_client(), other.phone, PASSWORD, address=ELSEWHERE).status_code == 302
    assert sign_in(app.test_client(), other.phone, PASSWORD).status_code == 302


def test_right_passwords_use_up_no_tries(app, client, make_member):
    member = make_member(phone="13912345678")
    db.session.commit()
    for _ in range(8):
        assert sign_in(app.test_client(), member.phone, PASSWORD).status_code == 302
    assert sign_in(client, member.phone, WRONG).status_code == 401


def test_the_hourly_limit_per_name_holds_across_minutes(app, client, make_member):
    app.config["SIGN_IN_LIMITS_PER_NAME"] = "100 per minute;3 per hour"
    member = make_member(phone="13912345678")
    db.session.commit()
    for _ in range(3):
        assert sign_in(client, member.phone, WRONG).status_code == 401
    refused = sign_in(client, member.phone, WRONG)
    assert refused.status_code == 429
    assert 61 < int(refused.headers["Retry-After"]) <= 3601


def test_one_address_guessing_many_names_is_refused_and_others_still_sign_in(
    app, client, english_pages, make_member
):
    app.config["SIGN_IN_LIMITS_PER_ADDRESS"] = "4 per minute"
    member = make_member(phone="13912345678")
    db.session.commit()
    for n in range(4):
        assert sign_in(client, f"1380000000{n}", WRONG).status_code == 401
    refused = sign_in(client, "13800000009", WRONG)
    assert refused.status_code == 429 and TRY_AGAIN.search(refusal(refused))
    # the member's own name is not locked, and their address is not this one
    assert sign_in(app.test_client(), member.phone, PASSWORD, address=ELSEWHERE).status_code == 302
    assert sign_in(client, member.phone, PASSWORD).status_code == 429


def test_the_refusal_is_in_chinese_by_default(app, client, make_member):
    member = make_member(phone="13912345678")
    db.session.commit()
    for _ in range(5):
        sign_in(client, member.phone, WRONG)
    text = refusal(sign_in(client, member.phone, WRONG))
    assert "错误" in text and "再试" in text and "社区" in text


def test_without_limits_nothing_is_refused(app, client, make_member):
    """RATELIMIT_ENABLED off (the benchmark's other side) turns every limit off."""
    from app import create_app

    config = {**app.config, "RATELIMIT_ENABLED": False}
    unlimited = create_app(config)
    phone = make_member(phone="13912345678").phone
    db.session.commit()
    with unlimited.app_context():
        test_client = unlimited.test_client()
        statuses = {sign_in(test_client, phone, WRONG).status_code for _ in range(8)}
        db.session.remove()
    assert statuses == {401}


# --- the lock on a member's page, and lifting it -----------------------------------------


def lock_out(app, member) -> None:
    attacker = app.test_client()
    for _ in range(5):
        sign_in(attacker, member.phone, WRONG)
    assert sign_in(attacker, member.phone, WRONG).status_code == 429


def unlock(client, member):
    token = csrf_token(client, f"/members/{member.id}")
    return client.post(f"/members/{member.id}/unlock", data={"csrf_token": token})


def audit_entries(action: Action) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_coordinator_sees_the_lock_and_lifts_it(app, client, people, english_pages):
    from tests.conftest import login

    elder, coordinator = people["elder"], people["coordinator"]
    db.session.commit()
    lock_out(app, elder)
    login(client, coordinator)
    page = client.get(f"/members/{elder.id}").get_data(as_text=True)
    assert 'data-testid="sign-in-locked"' in page
    response = unlock(client, elder)
    assert response.status_code == 302
    assert sign_in(app.test_client(), elder.phone, PASSWORD).status_code == 302
    [entry] = audit_entries(Action.SIGN_IN_UNLOCKED)
    assert (entry.actor_id, entry.subject_id) == (coordinator.id, elder.id)
    assert entry.origin == "127.0.0.1"
    page = client.get(f"/members/{elder.id}").get_data(as_text=True)
    assert 'data-testid="sign-in-locked"' not in page


def test_a_street_admin_of_the_street_may_lift_it_too(app, client, people):
    from tests.conftest import login

    elder = people["elder"]
    db.session.commit()
    lock_out(app, elder)
    login(client, people["street_admin"])
    assert unlock(client, elder).status_code == 302
    assert not is_sign_in_locked(elder)


@pytest.mark.parametrize(
    "who, status",
    [("volunteer", 403), ("family", 403), ("other_coordinator", 403), ("far_coordinator", 403)],
)
def test_nobody_else_may_lift_it(app, client, people, far_people, who, status):
    from tests.conftest import login

    elder = people["elder"]
    actor = {**people, **far_people}[who]
    db.session.commit()
    lock_out(app, elder)
    login(client, actor)
    token = csrf_token(client, "/login")
    response = client.post(f"/members/{elder.id}/unlock", data={"csrf_token": token})
    assert response.status_code == status
    assert is_sign_in_locked(elder)
    assert audit_entries(Action.SIGN_IN_UNLOCKED) == []


# --- the client address ------------------------------------------------------------------


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(app, client):
    """A client cannot dodge the limit per address by claiming another one."""
    app.config["SIGN_IN_LIMITS_PER_ADDRESS"] = "3 per minute"
    db.session.commit()
    statuses = [
        client.post(
            "/login",
            data={"login": f"1380000000{n}", "password": WRONG, "csrf_token": csrf_token(client)},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        ).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_behind_a_trusted_proxy_its_forwarded_address_counts(app):
    """With TRUSTED_PROXIES=1 the proxy's X-Forwarded-For names the client."""
    from app import create_app

    proxied = create_app(
        {**app.config, "TRUSTED_PROXIES": 1, "SIGN_IN_LIMITS_PER_ADDRESS": "3 per minute"}
    )
    with proxied.app_context():
        client = proxied.test_client()

        def try_from(address: str) -> int:
            token = csrf_token(client)
            return client.post(
                "/login",
                data={"login": "13800000001", "password": WRONG, "csrf_token": token},
                headers={"X-Forwarded-For": address},
            ).status_code

        assert [try_from("203.0.113.1") for _ in range(4)] == [401, 401, 401, 429]
        assert try_from("203.0.113.2") == 401  # another client behind the same proxy
        db.session.remove()
