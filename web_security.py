"""What every response promises the browser, and whose address a request comes from.

- Behind TRUSTED_PROXIES proxies, the client address and scheme are read from
  their X-Forwarded-For/-Proto headers (werkzeug's ProxyFix), and only from
  those: with no proxy configured, a client cannot forge its address.
- flask-talisman sends a Content-Security-Policy (everywhere, so every test and
  the demo run under it) allowing only this site's own scripts and styles, plus
  Stripe.js from STRIPE_JS_URL's origin with the frames and API calls it needs.
  The few fixed <style> blocks in templates (print layouts) are allowed by their
  SHA-256 (read from the templates when the app starts); anything else inline
  needs the request's nonce (``csp_nonce()`` in a template) or a static file.
- In production (FORCE_HTTPS): plain HTTP is redirected to HTTPS, HSTS is sent,
  and the session and remember-me cookies are Secure (config.follow_environment).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

REAL_STRIPE_JS = "js.stripe.com"
# What Stripe.js itself loads, frames and calls (Stripe's published CSP guidance).
STRIPE_SCRIPTS = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = ("https://api.stripe.com",)
TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if not (parts.scheme and parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=1)
def fixed_style_hashes(folder: Path = TEMPLATES) -> tuple[str, ...]:
    """The CSP hash sources of the templates' <style> blocks that hold no template code
    (the browser hashes the text between the tags, which Jinja leaves as written)."""
    found = set()
    for template in sorted(folder.rglob("*.html")):
        for block in STYLE_BLOCK.findall(template.read_text(encoding="utf-8")):
            if "{{" in block or "{%" in block:
                continue  # rendered differently each time: needs the nonce
            digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
            found.add(f"'sha256-{digest}'")
    return tuple(sorted(found))


def content_security_policy(config) -> Mapping[str, str]:
    """The policy for this app's pages, with Stripe's sources from the config
    (one shared mapping per pair of settings: read it, never change it)."""
    return _policy(config.get("STRIPE_JS_URL"), config.get("STRIPE_API_BASE"))


@lru_cache(maxsize=8)
def _policy(stripe_js_url: str | None, stripe_api_base: str | None) -> Mapping[str, str]:
    scripts, frames, calls = ["'self'"], [], ["'self'"]
    js_origin = _origin(stripe_js_url)
    if js_origin and urlsplit(js_origin).hostname == REAL_STRIPE_JS:
        scripts += STRIPE_SCRIPTS
        frames += STRIPE_FRAMES
        calls += STRIPE_API
    elif js_origin:
        # a stand-in such as localstripe: one server for the script and the API
        scripts.append(js_origin)
        calls.append(js_origin)
    api_origin = _origin(stripe_api_base)
    if api_origin and api_origin not in calls:
        calls.append(api_origin)
    return MappingProxyType(
        {
            "default-src": "'self'",
            "script-src": " ".join(scripts),
            # and the request's nonce (content_security_policy_nonce_in)
            "style-src": " ".join(("'self'", *fixed_style_hashes())),
            "img-src": "'self'",
            "font-src": "'self'",
            "connect-src": " ".join(calls),
            "frame-src": " ".join(frames) or "'none'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
    )


class _CurrentPolicy(Mapping):
    """The policy for the app serving the request, from its config at that moment
    (Stripe's settings may be set after the app is made, as the tests do)."""

    def _current(self) -> Mapping[str, str]:
        return content_security_policy(current_app.config)

    def items(self):  # what flask-talisman reads: one look at the config, not one per directive
        return self._current().items()

    def __getitem__(self, directive: str) -> str:
        return self._current()[directive]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


def register_security(app: Flask) -> None:
    """Read client addresses through the trusted proxies; send the security headers."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    production = bool(app.config["FORCE_HTTPS"])
    policy = _CurrentPolicy() if app.config["CONTENT_SECURITY_POLICY"] else None
    app.extensions["talisman"] = Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        strict_transport_security_max_age=app.config["HSTS_SECONDS"],
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        content_security_policy=policy,
        content_security_policy_nonce_in=["style-src"],
        frame_options="DENY",
        referrer_policy="same-origin",
        x_xss_protection=False,
    )
