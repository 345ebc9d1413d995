"""Sign-in, sign-out, language and the elder-mode switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from community.forms import LoginForm
from community.services import authenticate
from config import Config

bp = Blueprint("community", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("timebank.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is not None:
            login_user(user, remember=True)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("The phone number, username or password is not right."), "error")
        return render_template("community/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("community/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("community.login"))


@bp.post("/language")
def set_language():
    chosen = request.form.get("locale")
    if chosen in Config.LANGUAGES:
        session["locale"] = chosen
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/elder-mode")
def toggle_elder_mode():
    session["elder_mode"] = not session.get("elder_mode", False)
    return redirect(_safe_next(request.form.get("next")))
