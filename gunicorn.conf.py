"""gunicorn's settings for production: `gunicorn -c gunicorn.conf.py` (deploy/, Dockerfile).

Behind nginx on the same host (deploy/nginx.conf): nginx holds the slow clients and
TLS, gunicorn's sync workers each serve one request at a time.
"""

import os
import shutil

from prometheus_client import multiprocess

# 127.0.0.1: only nginx reaches the app (in a container: 0.0.0.0, set by the Dockerfile).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: 2 per core is a good start; each holds its own database connections
# (DB_POOL_SIZE + DB_MAX_OVERFLOW at most), which PostgreSQL's max_connections must allow.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
worker_class = "sync"
wsgi_app = "app:create_app()"

# On purpose: a sync worker that has not finished its request in 60 s is killed and
# replaced. Every page answers in well under a second; the longest answers are the CSV
# exports streamed inline (up to a page's worth of rows, a few seconds), and anything
# bigger runs in the job worker, not here. gunicorn's default (30 s) cut a long
# streamed export off mid-file; far longer would let a stuck request hold a worker
# (and its database locks) for minutes. nginx waits a little longer (proxy_read_timeout
# 75s), so a slow answer reaches the client as gunicorn's, not as nginx's 504.
timeout = 60
# A restart or deploy lets requests in progress finish for up to this long.
graceful_timeout = 30
# nginx keeps connections to the app open between requests.
keepalive = 5

# The app writes its own request log (request id, member, route, status, duration) to
# stderr; gunicorn's access log would repeat it without those.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Several workers share their Prometheus counts through files (metrics.py): start
# each server with an empty directory, and tell the library when a worker is gone.
_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server) -> None:
    if _multiproc_dir:
        shutil.rmtree(_multiproc_dir, ignore_errors=True)
        os.makedirs(_multiproc_dir, exist_ok=True)


def child_exit(server, worker) -> None:
    if _multiproc_dir:
        multiprocess.mark_process_dead(worker.pid)
