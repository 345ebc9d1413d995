"""One log line per request, and the logging setup the whole app writes through.

Every request gets an id: the proxy's ``X-Request-ID`` when it is a sane one (letters,
digits and ``._:-``, at most 128), else a new one. It is echoed in the response's
``X-Request-ID`` header and carried by every log line written while the request runs,
so a member's "it went wrong at 10:02" can be followed from nginx to the app to Sentry.

The line says who (the member id, when the request loaded one), what (method, route
rule, path), the status and the duration. In production (LOG_FORMAT "json") each line
is one JSON object; in development it is readable text. Logging is set up once per
process, on the app's own loggers ("linli" and Flask's app logger), to stderr, where
gunicorn, systemd and Docker collect it. Probes (/healthz, /metrics) are not logged:
a load balancer asks every few seconds.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The fields a request line carries, in the order the text form shows them.
REQUEST_FIELDS = ("request_id", "member_id", "route", "status", "duration_ms", "remote_addr")

log = logging.getLogger("linli.request")
# Made once: json.dumps with options builds a new encoder for every call.
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (as logging's own
    last-resort handler does), so a replaced stderr (pytest's capture) is followed."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class RequestIdFilter(logging.Filter):
    """Gives every record written during a request that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the request's
    fields when the record has them; an exception's traceback under "exception"."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("method", "path", *REQUEST_FIELDS):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        try:
            return _to_json(line)
        except TypeError:  # a value of another kind in some library's record
            return json.dumps(line, ensure_ascii=False, default=str)


_second: tuple[int, str] = (-1, "")


def _utc_time(created: float) -> str:
    """``created`` as ISO 8601 in UTC to the millisecond (the second's text is reused)."""
    global _second
    whole = int(created)
    if _second[0] != whole:
        _second = (whole, datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{_second[1]}.{int((created - whole) * 1000):03d}+00:00"


class TextFormatter(logging.Formatter):
    """``12:00:01 INFO linli.request: GET /login 200 12.3 ms`` and the request's fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [
            f"{field}={getattr(record, field)}"
            for field in REQUEST_FIELDS
            if getattr(record, field, None) is not None and field != "duration_ms"
        ]
        return f"{text} [{' '.join(fields)}]" if fields else text


_handler: _StderrHandler | None = None


def configure_logging(app: Flask) -> None:
    """Send the app's log records to stderr in the app's LOG_FORMAT, at LOG_LEVEL.

    The handler is made once per process; a later app (tests make many) only sets
    the format and level it wants.
    """
    global _handler
    if _handler is None:
        _handler = _StderrHandler()
        _handler.addFilter(RequestIdFilter())
    _handler.setFormatter(
        JsonLineFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter()
    )
    for logger in (logging.getLogger("linli"), app.logger):
        if _handler not in logger.handlers:
            logger.addHandler(_handler)
        logger.setLevel(app.config["LOG_LEVEL"])
        logger.propagate = False
        # logging.config.fileConfig (Alembic's env.py) disables loggers it does not name
        logger.disabled = False
    for flask_default in [h for h in app.logger.handlers if h is not _handler]:
        app.logger.removeHandler(flask_default)


def incoming_request_id() -> str:
    """The proxy's request id when it is a sane one, else a new one (32 hex digits)."""
    offered = request.headers.get(REQUEST_ID_HEADER)
    if offered and _SANE_REQUEST_ID.fullmatch(offered):
        return offered
    # Unique, not secret: Python's generator (reseeded in each forked worker) costs
    # a tenth of uuid4's read of the system's random source.
    return f"{random.getrandbits(128):032x}"


def _member_id() -> int | None:
    """The member this request loaded, if it loaded one (never loads one just to log)."""
    member = g.get("_login_user")
    return getattr(member, "id", None) if member is not None else None


def register_request_log(app: Flask) -> None:
    """Give each request an id (echoed in X-Request-ID) and, with LOG_REQUESTS, log
    one line for it when its response is ready. Register it first: its start hook then
    runs before any other, and its end hook after every other."""
    configure_logging(app)
    enabled = bool(app.config["LOG_REQUESTS"])

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = incoming_request_id()

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is None:  # failed before our start hook ran
            request_id = g.request_id = incoming_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        path = request.path
        if enabled and path not in QUIET_PATHS and log.isEnabledFor(logging.INFO):
            started = g.get("request_started")
            duration = (time.perf_counter() - started) * 1000 if started else 0.0
            _log_request(request._get_current_object(), response.status_code, duration, request_id)
        return response


def _log_request(current, status: int, duration: float, request_id: str) -> None:
    """Hand the request's line to the logger (a record made here: the logger's own
    makeRecord walks the stack to find its caller, a third of a line's cost)."""
    rule = current.url_rule
    record = logging.LogRecord(
        log.name,
        logging.INFO,
        __file__,
        0,
        f"{current.method} {current.path} {status} {duration:.1f} ms",
        None,
        None,
    )
    record.request_id = request_id
    record.method = current.method
    record.path = current.path
    record.route = rule.rule if rule is not None else None
    record.status = status
    record.duration_ms = round(duration, 2)
    record.member_id = _member_id()
    record.remote_addr = current.remote_addr
    log.handle(record)
