"""Run localstripe (a stateful fake Stripe server) on 127.0.0.1 only.

localstripe's own command binds every interface and reloads its store from
/tmp; this serves its aiohttp app on the loopback address, starts empty and
keeps its state in memory only (nothing shared with another instance).

    python scripts/localstripe_server.py --port 8420 \
        --webhook-url http://127.0.0.1:5000/pay/stripe/webhook --webhook-secret whsec_demo
"""

from __future__ import annotations

import argparse

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app
from localstripe.webhooks import register_webhook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--webhook-url", help="send signed events here (like Stripe would)")
    parser.add_argument("--webhook-secret", help="the secret the events are signed with")
    args = parser.parse_args()
    if args.webhook_url and args.webhook_secret:
        register_webhook("linli", args.webhook_url, args.webhook_secret, None)
    # localstripe pickles its whole store to /tmp/localstripe.pickle on every
    # change; two instances (tests and the demo) would overwrite each other.
    store.dump_to_disk = lambda: None
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
