"""Sessions end for good: a session or remember-me cookie copied before signing out, a
password change or reset, a suspension or a role change signs nobody in afterwards.
Remember-me is opt-in and lasts 30 days at most; cookies and headers are strict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from app import create_app
from community.account_admin import change_role, suspend_member
from community.models import Role
from community.password_changes import reset_in_person
from extensions import db
from tests.conftest import CSRF_RE, PASSWORD, csrf_token

SESSION = "session"
REMEMBER = "remember_token"
NEW_PASSWORD = "autumn-osmanthus-7"


def sign_in(client, member, *, remember: bool = False, password: str = PASSWORD):
    db.session.commit()
    data = {"login": member.login_name, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.status_code
    return response


def copied(client, *names: str) -> dict[str, str]:
    """The values of the client's cookies ``names`` (as an attacker would copy them)."""
    values = {}
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        values[name] = cookie.value
    return values


def replayed(app, cookies: dict[str, str]):
    """A fresh browser holding only ``cookies``, asking for the member's home page."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser.get("/", headers={"Accept": "text/html"})


def signed_in(response) -> bool:
    return response.status_code == 200


def set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


# --- replay ------------------------------------------------------------------------------


def test_copied_cookies_work_while_the_session_lasts(app, client, elder):
    sign_in(client, elder, remember=True)
    cookies = copied(client, SESSION, REMEMBER)
    assert signed_in(replayed(app, cookies))
    assert signed_in(replayed(app, {REMEMBER: cookies[REMEMBER]}))  # the remember cookie alone


def test_signing_out_ends_every_copy(app, client, elder):
    sign_in(client, elder, remember=True)
    cookies = copied(client, SESSION, REMEMBER)
    other_device = app.test_client()
    sign_in(other_device, elder)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert not signed_in(replayed(app, {SESSION: cookies[SESSION]}))
    assert not signed_in(replayed(app, {REMEMBER: cookies[REMEMBER]}))
    assert not signed_in(other_device.get("/"))


def test_a_password_change_ends_other_sessions_and_keeps_this_device(app, client, elder):
    sign_in(client, elder, remember=True)
    cookies = copied(client, SESSION, REMEMBER)
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert signed_in(client.get("/"))  # this device stays signed in…
    assert signed_in(
        replayed(app, {REMEMBER: client.get_cookie(REMEMBER).value})
    )  # …and remembered
    assert not signed_in(replayed(app, {SESSION: cookies[SESSION]}))
    assert not signed_in(replayed(app, {REMEMBER: cookies[REMEMBER]}))


@pytest.mark.parametrize("decision", ["reset", "suspension", "role change"])
def test_staff_decisions_end_every_session(app, client, people, decision):
    elder = people["elder"]
    sign_in(client, elder, remember=True)
    cookies = copied(client, SESSION, REMEMBER)
    if decision == "reset":
        reset_in_person(elder, by=people["coordinator"])
    elif decision == "suspension":
        suspend_member(elder, by=people["coordinator"], reason="phone stolen")
    else:
        change_role(elder, by=people["street_admin"], role=Role.COORDINATOR)
    db.session.commit()
    assert not signed_in(replayed(app, {SESSION: cookies[SESSION]}))
    assert not signed_in(replayed(app, {REMEMBER: cookies[REMEMBER]}))
    assert not signed_in(client.get("/"))


def test_a_session_id_without_its_version_is_refused(app, client, elder):
    """Cookies made before session versions ("<id>" alone) sign nobody in."""
    sign_in(client, elder)
    with client.session_transaction() as session:
        session["_user_id"] = str(elder.id)
    assert not signed_in(client.get("/"))


# --- remember-me -------------------------------------------------------------------------


def test_remember_me_is_opt_in(app, client, elder):
    response = sign_in(client, elder)
    assert REMEMBER not in set_cookie_headers(response)
    assert client.get_cookie(REMEMBER) is None
    html = app.test_client().get("/login").get_data(as_text=True)
    assert 'name="remember"' in html and "checked" not in html  # the tick box, unticked


def test_remember_me_lasts_thirty_days_at_most(app, client, elder):
    response = sign_in(client, elder, remember=True)
    header = set_cookie_headers(response)[REMEMBER]
    expires = next(
        parsedate_to_datetime(part.split("=", 1)[1])
        for part in header.split("; ")
        if part.lower().startswith("expires=")
    )
    days = (expires - datetime.now(UTC)) / timedelta(days=1)
    assert 29.9 < days <= 30.0


def test_cookies_are_http_only_and_same_site(app, client, elder):
    headers = set_cookie_headers(sign_in(client, elder, remember=True))
    for name in (SESSION, REMEMBER):
        attributes = {a.split("=")[0].lower(): a for a in headers[name].split("; ")}
        assert "httponly" in attributes, name
        assert attributes.get("samesite", "").lower() == "samesite=lax", name
        assert "secure" not in attributes, name  # plain HTTP in development


# --- production --------------------------------------------------------------------------

PRODUCTION = {
    "LINLI_ENV": "production",
    "SECRET_KEY": "a-real-secret",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://linli@db.example/linli",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "PUBLIC_BASE_URL": "https://linli.example",
    "EXPORT_DIR": "/var/lib/linli/exports",
    "PHOTO_DIR": "/var/lib/linli/photos",
}


@pytest.fixture
def production():
    """The production app (its database is never reached: the sign-in page reads none)."""
    return create_app(PRODUCTION).test_client()


def test_production_sends_hsts_csp_and_secure_cookies(production):
    response = production.get("/login", base_url="https://linli.example")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session_cookie = set_cookie_headers(response)[SESSION]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].split() == [
        "'self'",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    styles = policy["style-src"].split()
    # the site's own style sheet, the templates' fixed print styles by their hash, a nonce
    assert styles[0] == "'self'" and styles[-1].startswith("'nonce-")
    assert all(source.startswith("'sha256-") for source in styles[1:-1]) and len(styles) > 2
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_production_sends_plain_http_to_https(production):
    response = production.get("/login", base_url="http://linli.example")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://linli.example/login")


def test_production_cookie_settings_are_secure():
    app = create_app(PRODUCTION)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_the_remember_cookie_is_secure_under_production_cookie_settings(app, elder):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    db.session.commit()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post(
        "/login",
        data={
            "login": elder.login_name,
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over HTTPS
    )
    assert response.status_code == 302
    remember = set_cookie_headers(response)[REMEMBER]
    assert "Secure" in remember and "HttpOnly" in remember and "SameSite=Lax" in remember


def test_a_local_stripe_stand_in_is_allowed_by_its_origin(app):
    local = create_app(
        {
            **app.config,
            "STRIPE_JS_URL": "http://127.0.0.1:8420/js.stripe.com/v3/",
            "STRIPE_API_BASE": "http://127.0.0.1:8420",
        }
    )
    policy = local.test_client().get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:8420;" in policy
    assert "connect-src 'self' http://127.0.0.1:8420;" in policy
    assert "frame-src 'none'" in policy
