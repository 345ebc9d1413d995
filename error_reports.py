"""Errors to Sentry when SENTRY_DSN is set (sentry-sdk with its Flask integration).

Without a DSN nothing is set up and nothing leaves the machine. With one, every
unhandled error of a request (and of a CLI command or the worker, which make the app
too) is sent with its traceback and the request's id as a tag, so the Sentry issue
and the log line of the same request find each other. Members' personal data is not
sent: sentry-sdk's defaults keep cookies and addresses back, and request bodies are
never attached.
"""

from __future__ import annotations

import sentry_sdk
from flask import Flask, g
from sentry_sdk.integrations.flask import FlaskIntegration


def init_error_reports(app: Flask) -> bool:
    """Start sending errors to SENTRY_DSN, if set. Returns whether Sentry is on."""
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        # transactions named by the route rule ("/visits/<int:visit_id>"), not the path
        integrations=[FlaskIntegration(transaction_style="url")],
        environment=app.config["LINLI_ENV"],
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"],
        max_request_body_size="never",  # forms carry names, phone numbers, passwords
    )

    @app.before_request
    def tag_request_id() -> None:
        sentry_sdk.set_tag("request_id", g.get("request_id"))

    return True
