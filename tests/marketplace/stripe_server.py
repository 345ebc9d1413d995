"""A localstripe server for the tests: started once on 127.0.0.1, emptied before each test.

Also signs webhook bodies the way Stripe does (``t=…,v1=HMAC-SHA256``), so the
tests can post events to our endpoint as Stripe would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_linli_tests"
PUBLISHABLE_KEY = "pk_test_linli_tests"
WEBHOOK_SECRET = "whsec_linli_tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    """One localstripe process bound to 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> None:
        """Start it and wait until it answers (raises RuntimeError if it never does)."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "localstripe_server.py"),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("localstripe exited: " + self.process.stderr.read().decode())
            try:
                with urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)  # polling for the port to open, not waiting for a result
        self.stop()
        raise RuntimeError("localstripe did not answer")

    def reset(self) -> None:
        """Forget every customer, intent and payment."""
        request = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")
        with urllib.request.urlopen(request, timeout=5):
            pass

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process.stderr.close()
        self.process = None

    def enter_card(self, client_secret: str, number: str = "4242424242424242") -> dict:
        """Confirm a SetupIntent with a card, as localstripe's fake Stripe.js does in the page.

        Returns the SetupIntent, or ``{"error": …}`` when the card is declined.
        """
        setup_id = client_secret.split("_secret_")[0]
        body = {
            "key": PUBLISHABLE_KEY,
            "use_stripe_sdk": True,
            "client_secret": client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"},
            },
        }
        return self._call("POST", f"/v1/setup_intents/{setup_id}/confirm", body)

    def get(self, path: str) -> dict:
        """A Stripe object as the server has it now (e.g. ``/v1/payment_intents/pi_…``)."""
        return self._call("GET", path)

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            with error:
                return json.load(error)

    def config(self) -> dict:
        """The app settings that point card payments at this server."""
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": f"{self.url}/js.stripe.com/v3/",
            "STRIPE_TEST_MODE": True,
        }


def signed(event: dict, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, str]:
    """The raw body and Stripe-Signature header Stripe would send for ``event``."""
    body = json.dumps(event).encode()
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return body, f"t={timestamp},v1={digest.hexdigest()}"


def event(event_id: str, kind: str, obj: dict) -> dict:
    """A Stripe event of ``kind`` about ``obj``."""
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2017-08-15",
        "data": {"object": obj},
    }


def book_by_card(resident, item, days_ahead: int = 3):
    """A pending_payment card booking of ``item`` at its 9:00 slot, ``days_ahead`` days on."""
    from datetime import time as clock_time
    from datetime import timedelta

    from sqlalchemy import select

    from extensions import db
    from marketplace.bookings import create_booking
    from marketplace.clock import local_today
    from marketplace.models import WeeklySlot
    from tests.marketplace.booking_support import key

    day = local_today() + timedelta(days=days_ahead)
    slot_id = db.session.scalar(
        select(WeeklySlot.id).where(
            WeeklySlot.provider_id == item.provider_id,
            WeeklySlot.weekday == day.weekday(),
            WeeklySlot.starts_at == clock_time(9),
        )
    )
    return create_booking(
        by=resident,
        item_id=item.id,
        day=day,
        slot_id=slot_id,
        quantity=1,
        payment_method="card",
        expected_price_fen=item.price_fen,
        expected_price_minutes=item.price_minutes,
        idempotency_key=key(),
    )


def paid(booking, localstripe: LocalStripe, payer, number: str = "4242424242424242") -> str:
    """Open the pay page's card entry, type the card in, come back: card_authorised's answer."""
    from marketplace import card

    entry = card.start_card_payment(booking, by=payer)
    assert "seti_" in entry.client_secret
    localstripe.enter_card(entry.client_secret, number)
    return card.card_authorised(booking)
