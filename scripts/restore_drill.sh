#!/usr/bin/env bash
# Restore drill: prove that last night's kind of backup can be restored and is whole.
#
#   DATABASE_URL=postgresql+psycopg://linli@db.example/linli scripts/restore_drill.sh
#
# Dumps the database DATABASE_URL names (pg_dump, custom format: what the nightly backup
# takes), restores it into a scratch database of its own on the same server, and there
# runs `flask ledger verify` (every ledger invariant and the hash chains of transfers
# and the audit log) and `flask db check` (the schema is what the migrations make).
# The scratch database is dropped at the end, whatever happened. Exits non-zero on any
# failure, naming the step. The database user needs CREATEDB; the other settings
# (LINLI_ENV, SECRET_KEY, …) come from the environment as for the app itself.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'restore drill: %s\n' "$*" >&2; }
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to drill}"
PYTHON="${PYTHON:-.venv/bin/python}"
FLASK="${FLASK:-.venv/bin/flask}"
[ -x "$PYTHON" ] || PYTHON=python3
[ -x "$FLASK" ] || FLASK=flask

SCRATCH="linli_restore_drill_$(date +%Y%m%d%H%M%S)_$$"
# libpq's addresses (without SQLAlchemy's +driver) for the source, the server's
# maintenance database and the scratch one, and the scratch one for the app.
urls="$("$PYTHON" - "$DATABASE_URL" "$SCRATCH" <<'PY'
import sys
from sqlalchemy.engine import make_url

url, scratch = make_url(sys.argv[1]), sys.argv[2]
if url.get_backend_name() != "postgresql":
    sys.exit("restore drill: DATABASE_URL is not a PostgreSQL database")
def libpq(u):
    return u.set(drivername="postgresql").render_as_string(hide_password=False)
print(libpq(url))
print(libpq(url.set(database="postgres")))
print(libpq(url.set(database=scratch)))
print(url.set(database=scratch).render_as_string(hide_password=False))
PY
)"
{ read -r SOURCE; read -r SERVER; read -r SCRATCH_LIBPQ; read -r SCRATCH_APP; } <<<"$urls"

WORK="$(mktemp -d)"
DUMP="$WORK/linli.dump"
created=""
cleanup() {
  status=$?
  if [ -n "$created" ]; then
    if psql "$SERVER" -X -q -v ON_ERROR_STOP=1 \
      -c "DROP DATABASE IF EXISTS \"$SCRATCH\" WITH (FORCE)" >/dev/null; then
      say "dropped the scratch database $SCRATCH"
    else
      say "could not drop the scratch database $SCRATCH: drop it by hand"
      status=1
    fi
  fi
  rm -rf "$WORK"
  if [ "$status" -eq 0 ]; then say "passed"; else say "FAILED"; fi
  exit "$status"
}
trap cleanup EXIT
step() {
  local started=$SECONDS what="$1"
  say "$what"
  shift
  # the step's name only: its command line holds the database's password
  "$@" || { say "failed: $what"; return 1; }
  say "  done in $((SECONDS - started)) s"
}
# Rows of the tables that matter most, in one database (as "name=count ...").
row_counts() {
  psql "$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT
    'users=' || (SELECT count(*) FROM users) || ' transfers=' || (SELECT count(*) FROM transfers)
    || ' audit_entries=' || (SELECT count(*) FROM audit_entries)"
}

step "dumping the database (pg_dump, custom format)" \
  pg_dump --format=custom --no-owner --no-acl --file "$DUMP" "$SOURCE"
say "dump: $(du -h "$DUMP" | cut -f1)"
step "creating the scratch database $SCRATCH" \
  psql "$SERVER" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$SCRATCH\""
created=1
step "restoring into it (pg_restore)" \
  pg_restore --no-owner --no-acl --exit-on-error --dbname "$SCRATCH_LIBPQ" "$DUMP"
restored="$(row_counts "$SCRATCH_LIBPQ")"
source_now="$(row_counts "$SOURCE")"
say "restored: $restored (the database now: $source_now)"
if [ "$restored" = "users=0 transfers=0 audit_entries=0" ] && [ "$source_now" != "$restored" ]; then
  say "failed: the restored database is empty"
  exit 1
fi
step "checking the ledger and the hash chains there (flask ledger verify)" \
  env DATABASE_URL="$SCRATCH_APP" "$FLASK" --app app ledger verify
step "checking the schema is the migrations' (flask db check)" \
  env DATABASE_URL="$SCRATCH_APP" "$FLASK" --app app db check
