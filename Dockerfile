# Linli's image: the same image runs the web server (gunicorn), the job worker and the
# migrations (compose.yaml). Runtime requirements only (the lock, requirements.txt):
# no test tools, no localstripe.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump / pg_restore for backups and the restore drill (scripts/restore_drill.sh)
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# The Chinese catalogue is compiled here (.mo files are never committed).
# /var/lib/linli/exports: big exports, written by the worker and sent by the app (a
# volume both mount in compose.yaml; a new named volume takes this owner).
RUN pybabel compile -q -d translations \
    && useradd --system --uid 10001 --home-dir /app linli \
    && install -d -o linli -g linli /var/lib/linli/exports /var/lib/linli/photos

USER linli
# Production by default: the app refuses to start without its settings (README).
# The workers' shared Prometheus counts go to /run/prometheus (a tmpfs in compose.yaml).
ENV LINLI_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/run/prometheus \
    EXPORT_DIR=/var/lib/linli/exports \
    PHOTO_DIR=/var/lib/linli/photos
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
