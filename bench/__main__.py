"""`python -m bench` (`make bench`): the ledger's throughput against the raw drivers.

Prints, in one run:
  (a) SQLite at the durability the app ships with: transfers/s through
      timebank.ledger.post_transfer vs raw sqlite3 with the same SQL, and the ratio;
  (b) when TEST_DATABASE_URL is set: the same on PostgreSQL with 8 worker processes
      (in its own database, linli_bench, so it never touches the tests' database);
  (c) how long `ledger verify` takes at a million transfers on SQLite;
  (d) the market's browse page under gunicorn against a minimal Flask page;
  (e) the sign-in page and a sign-in try with the sign-in limits against without them;
  (f) every main page, signed in, against a minimal signed-in page (bench/signed_pages.py);
  (g) p50/p95 of the statement, the figures and the desk at 10k and 1M transfers
      (bench/page_scale.py);
  (h) the sign-in page with the request log and the metrics against without them;
  (i) the street's 1M-transfer export written by the worker: its time and the worker's
      peak memory (bench/export_job.py).

`--only sign-in` (or market, ledger, pages, history, observed, export) runs just that part.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sqlite3
import sys
import time

import click

from bench import (
    databases,
    export_job,
    ledger_verify,
    market_browse,
    observed,
    page_scale,
    sign_in,
    signed_pages,
    transfers_postgres,
    transfers_sqlite,
)

GOAL = 0.5


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        cell.ljust(width) if n == 0 else cell.rjust(width)
        for n, (cell, width) in enumerate(zip(cells, widths, strict=True))
    )


def print_table(rows: list[list[str]]) -> None:
    header = ["backend", "workers", "service tx/s", "raw tx/s", "ratio", f"goal ≥ {GOAL}"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    click.echo(_row(header, widths))
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(_row(row, widths))


def ratio_row(backend: str, workers: int, service: float, raw: float) -> list[str]:
    ratio = service / raw if raw else 0.0
    return [
        backend,
        str(workers),
        f"{service:,.0f}",
        f"{raw:,.0f}",
        f"{ratio:.2f}",
        "met" if ratio >= GOAL else "MISSED",
    ]


def _since(started: float) -> str:
    return f" [{time.perf_counter() - started:.0f} s]"


def _ledger_still_balances(url: str) -> str:
    accounts, transfers, problems, _ = databases.verify(url)
    if problems:
        return f"ledger verify FAILED after the run: {problems[:3]}"
    return f"ledger verify after the run: ok ({transfers:,} transfers, {accounts:,} accounts)"


def bench_sqlite(seconds: float) -> list[list[str]]:
    click.echo("(a) SQLite, WAL + synchronous=FULL, BEGIN IMMEDIATE, one transfer per commit …")
    started = time.perf_counter()
    ledger = databases.prepare_sqlite()
    service, raw = transfers_sqlite.compare(ledger, seconds)
    per_request, raw_again = transfers_sqlite.compare(ledger, seconds / 2, per_request=True)
    click.echo("    " + _ledger_still_balances(ledger.url) + _since(started))
    return [
        ratio_row("SQLite", 1, service.per_second, raw.per_second),
        ratio_row("SQLite, app context per tx", 1, per_request.per_second, raw_again.per_second),
    ]


def bench_postgres(seconds: float, test_url: str) -> list[list[str]]:
    workers = transfers_postgres.WORKERS
    click.echo(f"(b) PostgreSQL, {workers} worker processes each side, database linli_bench …")
    started = time.perf_counter()
    ledger = databases.prepare_postgres(test_url)
    service, raw = transfers_postgres.compare(ledger, seconds)
    click.echo("    " + _ledger_still_balances(ledger.url) + _since(started))
    return [ratio_row("PostgreSQL", workers, service.per_second, raw.per_second)]


def bench_verify() -> str:
    click.echo(f"(c) ledger verify at {ledger_verify.TRANSFERS:,} transfers (SQLite) …")
    timing = ledger_verify.time_verify()
    seeded = (
        f"; seeded in {timing.seeded_seconds:.0f} s" if timing.seeded_seconds else "; cached seed"
    )
    verdict = "every invariant holds" if not timing.problems else f"{len(timing.problems)} problems"
    return (
        f"ledger verify: {timing.seconds:.2f} s for {timing.transfers:,} transfers and "
        f"{timing.accounts:,} accounts — {verdict}{seeded}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="timed seconds per side")
    parser.add_argument("--skip-verify", action="store_true", help="skip the 1M verify timing")
    parser.add_argument(
        "--market-seconds", type=float, default=5.0, help="seconds per page and turn (d)"
    )
    parser.add_argument("--skip-market", action="store_true", help="skip the browse page bench")
    parser.add_argument(
        "--sign-in-seconds", type=float, default=5.0, help="seconds per side and turn (e)"
    )
    parser.add_argument("--skip-sign-in", action="store_true", help="skip the sign-in bench")
    parser.add_argument(
        "--observed-seconds", type=float, default=5.0, help="seconds per side and turn (h)"
    )
    parser.add_argument(
        "--skip-observed", action="store_true", help="skip the request log and metrics bench"
    )
    parser.add_argument(
        "--skip-history", action="store_true", help="skip the pages-against-history bench (g)"
    )
    parser.add_argument(
        "--pages-seconds", type=float, default=3.0, help="seconds per page and turn (f)"
    )
    parser.add_argument("--skip-pages", action="store_true", help="skip the signed-in pages")
    parser.add_argument(
        "--skip-export", action="store_true", help="skip the 1M export job bench (i)"
    )
    parser.add_argument(
        "--against", metavar="REF", help="(f) also run commit REF's pages, e.g. main"
    )
    parser.add_argument(
        "--only",
        choices=("ledger", "market", "sign-in", "pages", "history", "observed", "export"),
        help="run only this part",
    )
    args = parser.parse_args(argv)
    if args.only:
        args.skip_market = args.only != "market"
        args.skip_sign_in = args.only != "sign-in"
        args.skip_history = args.only != "history"
        args.skip_pages = args.only != "pages"
        args.skip_observed = args.only != "observed"
        args.skip_export = args.only != "export"
        args.skip_verify = args.skip_verify or args.only != "ledger"
    run_ledger = args.only in (None, "ledger")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    started = time.perf_counter()
    test_url = os.environ.get("TEST_DATABASE_URL")
    click.echo(
        f"Linli ledger benchmark — Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {args.seconds:g} s per side\n"
    )
    market_lines = None
    if not args.skip_market:
        # First, on a quiet machine: after the ledger runs, PostgreSQL's autovacuum and
        # the kernel writing out the 1M-transfer file would slow some turns.
        click.echo("(d) the market's browse page and a minimal Flask page under gunicorn …")
        market_lines = market_browse.report(args.market_seconds)
    sign_in_lines = None
    if not args.skip_sign_in:
        click.echo("(e) the sign-in page with and without its limits under gunicorn …")
        sign_in_lines = sign_in.report(args.sign_in_seconds)
    pages_lines = None
    if not args.skip_pages:
        click.echo("(f) every main page, signed in, against the yardstick under gunicorn …")
        pages_lines = signed_pages.report(args.pages_seconds, args.against)
    observed_lines = None
    if not args.skip_observed:
        click.echo("(h) the sign-in page with and without the request log and metrics …")
        observed_lines = observed.report(args.observed_seconds)
    rows = []
    if run_ledger:
        rows = bench_sqlite(args.seconds)
        if test_url:
            rows += bench_postgres(args.seconds, test_url)
        else:
            click.echo("(b) PostgreSQL skipped: TEST_DATABASE_URL is not set")
    verify_line = None if args.skip_verify else bench_verify()
    page_lines = None if args.skip_history else page_scale.report(["10k", "1M"])
    export_lines = None if args.skip_export else export_job.report()
    click.echo("")
    if rows:
        print_table(rows)
    if verify_line:
        click.echo("\n" + verify_line)
    if market_lines:
        click.echo("\n" + "\n".join(market_lines))
    if sign_in_lines:
        click.echo("\n" + "\n".join(sign_in_lines))
    if pages_lines:
        click.echo("\n" + "\n".join(pages_lines))
    if page_lines:
        click.echo("\n" + "\n".join(page_lines))
    if observed_lines:
        click.echo("\n" + "\n".join(observed_lines))
    if export_lines:
        click.echo("\n" + "\n".join(export_lines))
    if rows:
        click.echo(
            "\nservice = timebank.ledger.post_transfer + db.session.commit() in the app "
            "(its engine settings and hooks);\nraw = the same statements through the bare "
            "driver on the same database."
        )
    click.echo(f"Finished in {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
