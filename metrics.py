"""Prometheus metrics at /metrics (prometheus-flask-exporter), for allowed addresses only.

Every request's duration is counted by method, route rule (never the path, whose ids
would make a series per member) and status, in the histogram
``flask_http_request_duration_seconds`` (its ``_count`` is the number of requests).
The exporter serves /metrics (and adds up the workers' counts, below); the one
histogram is observed by a hook of our own, because the exporter's default hooks cost
the sign-in page about a tenth of its speed (bench/observed.py), mostly in looking
the request up again and again. /metrics answers only clients whose address (as read
through TRUSTED_PROXIES by ProxyFix, so behind nginx the real client's) is in
METRICS_ALLOWED_ADDRESSES; anyone else gets the ordinary 404, as if it were not there.

Under gunicorn with several workers each worker counts only its own requests; set
PROMETHEUS_MULTIPROC_DIR to an empty directory writable by the workers and they share
their counts through files there (gunicorn.conf.py empties it at start and tells the
library when a worker exits), so one scrape sees the whole server.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from ipaddress import ip_address, ip_network
from time import perf_counter

from flask import Flask, Response, abort, g, request
from prometheus_client import CollectorRegistry, Histogram
from prometheus_flask_exporter import PrometheusMetrics

from request_log import QUIET_PATHS

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # the route label of a request no rule matched (404, 405)


def allowed_networks(addresses: tuple[str, ...]) -> tuple:
    """The networks of METRICS_ALLOWED_ADDRESSES (a lone address is a network of one).

    Raises ValueError naming an entry that is neither.
    """
    networks = []
    for entry in addresses:
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"METRICS_ALLOWED_ADDRESSES: {entry!r} is not an address") from None
    return tuple(networks)


def address_allowed(address: str | None, networks: tuple) -> bool:
    """Whether the client ``address`` lies in one of ``networks``."""
    try:
        client = ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in networks)


def register_metrics(app: Flask) -> PrometheusMetrics | None:
    """Count every request and serve /metrics to the allowed addresses (METRICS_ENABLED).

    Call after register_security: the addresses are read after ProxyFix, and /metrics
    is exempt from the HTTPS redirect (Prometheus scrapes over the local network).
    """
    if not app.config["METRICS_ENABLED"]:
        return None
    networks = allowed_networks(app.config["METRICS_ALLOWED_ADDRESSES"])
    plain_http = app.extensions["talisman"](force_https=False)

    def only_allowed(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not address_allowed(request.remote_addr, networks):
                abort(404)
            return view(*args, **kwargs)

        return plain_http(guarded)

    # one registry per app: the tests make many apps in one process
    registry = CollectorRegistry(auto_describe=True)
    exporter = PrometheusMetrics(
        app,
        path=METRICS_PATH,
        export_defaults=False,
        registry=registry,
        metrics_decorator=only_allowed,
    )
    durations = Histogram(
        "flask_http_request_duration_seconds",
        "HTTP request duration in seconds, by method, route rule and status",
        ("method", "url_rule", "status"),
        registry=registry,
    )

    @app.after_request
    def observe_request(response: Response) -> Response:
        # the start request_log's first hook recorded (it runs for every request)
        started = g.get("request_started")
        if started is not None and request.path not in QUIET_PATHS:
            rule = request.url_rule
            durations.labels(
                request.method, rule.rule if rule is not None else UNMATCHED, response.status_code
            ).observe(perf_counter() - started)
        return response

    return exporter
