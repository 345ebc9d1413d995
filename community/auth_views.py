"""Signing in and out, the member's account page, changing and resetting a password.

Routes on the community blueprint. Sign-in and the reset request are limited
per client address and per login name (Flask-Limiter, settings in config.Config):
a refused try gets the page again with a 429, a plain message saying when to try
again, and Retry-After. Sign-in counts only failed tries (answered 401).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from community.account_errors import ResetLinkInvalid
from community.account_forms import ChangePasswordForm, ForgotPasswordForm, NewPasswordForm
from community.forms import LoginForm
from community.landing import home_endpoint
from community.large_text import carry_into_sign_in, remember_on_device
from community.notifications import absolute_url
from community.password_changes import (
    change_own_password,
    member_for_token,
    reset_with_link,
    send_reset_link,
)
from community.sign_in import authenticate, end_sessions
from community.sign_in_limits import (
    RESET_BY_ADDRESS,
    RESET_BY_NAME,
    SIGN_IN_BY_ADDRESS,
    SIGN_IN_BY_NAME,
    login_name_key,
)
from community.views import bp, safe_next
from errors import DomainError
from extensions import limiter
from views_common import commit, refuse

MAX_TOKEN_LENGTH = 400
# What a member who must choose a new password may still reach.
OPEN_WHILE_CHANGING = frozenset(
    {
        "static",
        "community.change_password",
        "community.logout",
        "community.set_language",
        "community.toggle_elder_mode",
    }
)


# --- what the limits count -------------------------------------------------------------


def _typed_login() -> str:
    """The login name a sign-in or reset request names (normalised), for its count."""
    return login_name_key(request.form.get("login")) or "-"


def _client_address() -> str:
    """The client's address (through TRUSTED_PROXIES proxies; see app.py)."""
    return request.remote_addr or "-"


def _signed_in_member() -> str:
    return f"member:{current_user.id}"


def _failed(response) -> bool:
    """Only a wrong login or password (401) uses up a try."""
    return response.status_code == 401


def _setting(name: str):
    return lambda: current_app.config[name]


def _wait_message(reset_at: int) -> tuple[str, int]:
    """ "Try again after 14:35 (in about 3 minutes)", and the seconds to wait."""
    seconds = max(1, reset_at - int(time.time()))
    minutes = max(1, -(-seconds // 60))
    when = format_time(datetime.fromtimestamp(reset_at, UTC), "HH:mm")
    message = ngettext(
        "Please try again after %(time)s (in about %(num)s minute).",
        "Please try again after %(time)s (in about %(num)s minutes).",
        minutes,
        time=when,
    )
    return message, seconds


def _refused(template: str, form, limit: RequestLimit, reason: str):
    """The page again with a 429, saying why and when to try again (Retry-After too).

    Several limits may be full: the latest time any of them opens is the one shown.
    """
    g.limit_opens_at = max(limit.reset_at, g.get("limit_opens_at", 0))
    wait, seconds = _wait_message(g.limit_opens_at)
    page = render_template(template, form=form, refusal=reason, try_again=wait)
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_sign_in(limit: RequestLimit):
    reason = _(
        "There were too many wrong tries, so signing in is paused for a while to keep the "
        "account safe. Your community office can also open it again for you."
    )
    return _refused("community/login.html", LoginForm(), limit, reason)


def _refuse_reset_request(limit: RequestLimit):
    reason = _("There were too many requests for a new password.")
    return _refused("community/account/forgot.html", ForgotPasswordForm(), limit, reason)


def _refuse_password_change(limit: RequestLimit):
    reason = _("The current password was wrong too many times.")
    form = NewPasswordForm() if current_user.must_change_password else ChangePasswordForm()
    return _refused("community/account/change_password.html", form, limit, reason)


def _limit(setting: str, scope: str, key_func, on_breach, *, failures_only: bool = True):
    """A limit shared under ``scope`` on POSTs, its rate from the config entry ``setting``."""
    return limiter.shared_limit(
        _setting(setting),
        scope=scope,
        key_func=key_func,
        methods=["POST"],
        deduct_when=_failed if failures_only else None,
        on_breach=on_breach,
    )


# --- signing in and out ---------------------------------------------------------------


@bp.get("/login")
def login():
    """The sign-in page. Only trying to sign in is limited (sign_in below): checking the
    limits on every view of the page would cost it a tenth of its speed."""
    return render_template("community/login.html", form=LoginForm())


@bp.post("/login")
@_limit("SIGN_IN_LIMITS_PER_NAME", SIGN_IN_BY_NAME, _typed_login, _refuse_sign_in)
@_limit("SIGN_IN_LIMITS_PER_ADDRESS", SIGN_IN_BY_ADDRESS, _client_address, _refuse_sign_in)
def sign_in():
    """Sign in with a phone number or username and password; a wrong try counts."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("community/login.html", form=form), 400
    try:
        member = authenticate(form.login.data, form.password.data)
    except DomainError as error:
        status = refuse(error)
        return render_template("community/login.html", form=form), status
    login_user(
        member,
        remember=bool(form.remember.data),
        duration=current_app.config["REMEMBER_COOKIE_DURATION"],
    )
    if carry_into_sign_in(member, request):  # they pressed 长辈版 to read this page
        commit()
    if member.must_change_password:
        response = redirect(url_for("community.change_password"))
    else:
        # a next= page wins; else the member lands on their work (community.landing)
        wanted = request.args.get("next")
        response = redirect(safe_next(wanted) if wanted else url_for(home_endpoint(member)))
    remember_on_device(response, member.large_text)
    return response


@bp.post("/logout")
@login_required
def logout():
    """Sign out, here and on every other device (the session version moves on)."""
    end_sessions(current_user)
    commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("community.login"))


@bp.before_app_request
def new_password_first():
    """A member signed in with a one-time code must choose a password before anything else."""
    if request.endpoint in OPEN_WHILE_CHANGING or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("community.change_password"))
    return None


# --- the member's own account --------------------------------------------------------


@bp.get("/account")
@login_required
def account():
    """The member's account: how they sign in, changing the password, signing out."""
    return render_template("community/account/index.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_limit(
    "SIGN_IN_LIMITS_PER_NAME", "password-change:member", _signed_in_member, _refuse_password_change
)
def change_password():
    """Change the password (current one, new one twice); after a one-time code, the new
    one only. This device stays signed in; every other session ends."""
    forced = bool(current_user.must_change_password)
    form = NewPasswordForm() if forced else ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        member = current_user._get_current_object()
        try:
            change_own_password(
                member,
                current_password=None if forced else form.current_password.data,
                new_password=form.new_password.data,
            )
        except DomainError as error:
            status = refuse(error)
        else:
            # the session version moved on: sign this device in again with the new one
            remembered = current_app.config["REMEMBER_COOKIE_NAME"]
            keep = remembered in request.cookies
            commit()
            login_user(
                member, remember=keep, duration=current_app.config["REMEMBER_COOKIE_DURATION"]
            )
            flash(
                _(
                    "Your new password is saved. You are still signed in here; on other "
                    "phones or computers, sign in again with the new password."
                ),
                "info",
            )
            return redirect(url_for("timebank.home") if forced else url_for("community.account"))
    elif form.errors:
        status = 400
    return render_template("community/account/change_password.html", form=form), status


# --- a forgotten password ------------------------------------------------------------


def _reset_link_for(token: str) -> str:
    """The reset link's address, whole when the site knows its public address.

    Never built from the request's Host header, which the requester controls.
    """
    return absolute_url(url_for("community.reset_password", token=token))


@bp.route("/password/forgot", methods=["GET", "POST"])
@_limit(
    "PASSWORD_RESET_LIMITS_PER_NAME",
    RESET_BY_NAME,
    _typed_login,
    _refuse_reset_request,
    failures_only=False,
)
@_limit(
    "PASSWORD_RESET_LIMITS_PER_ADDRESS",
    RESET_BY_ADDRESS,
    _client_address,
    _refuse_reset_request,
    failures_only=False,
)
def forgot_password():
    """Ask for a reset link by mail. The answer is the same whatever was typed."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        send_reset_link(form.login.data, link_for=_reset_link_for)
        commit()
        return render_template("community/account/forgot_sent.html")
    status = 400 if form.errors else 200
    return render_template("community/account/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through a mailed link (valid once, for an hour)."""
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise ResetLinkInvalid()
        member_for_token(token)
    except ResetLinkInvalid as error:
        page = render_template("community/account/reset_invalid.html", message=error.message)
        return page, error.http_status
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            reset_with_link(token, form.new_password.data)
        except DomainError as error:
            status = refuse(error)
        else:
            commit()
            flash(_("Your new password is saved. Please sign in with it."), "info")
            return redirect(url_for("community.login"))
    elif form.errors:
        status = 400
    response = make_response(render_template("community/account/reset.html", form=form), status)
    response.headers["Cache-Control"] = "no-store"
    return response
