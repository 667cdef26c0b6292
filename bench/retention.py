"""Benchmark: the snapshot tables over many nights, with the nightly prune.

    .venv/bin/python bench/retention.py --clients 2000 --nights 40
    .venv/bin/python bench/retention.py                  # 100,000 clients, 30 nights

It builds the synthetic portfolio of bench/engine.py (set-based SQL) in its own PostgreSQL
database (default clientprofit_bench_retention, dropped first and at the end unless --keep; the
name must contain "bench"), then runs the recompute service (the nightly task's service, prune
included) for --nights successive as-of dates ending on 2025-12-31. After every night (or every
--every nights) it prints the night's time and the prune's share of it, and the rows and sizes
(pg_total_relation_size: table, indexes and TOAST) of the snapshot tables and the runs.

After the prune the service vacuums the snapshot tables (audits.retention._vacuum_snapshots), timed
with the night; --no-vacuum leaves that out to show what happens where autovacuum is off or behind
(nights a few seconds apart: autovacuum waits a minute between looks). Past SNAPSHOT_DAILY_DAYS
nights (35), rows and sizes stay flat: each night adds one day of rows and removes one.
"""

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench import engine as portfolio_build  # noqa: E402

LAST = portfolio_build.AS_OF
TABLES = (
    ("client snapshots", "audits_clientsnapshot"),
    ("month totals", "audits_portfoliomonth"),
    ("portfolio", "audits_portfoliosnapshot"),
    ("runs", "audits_profitabilityrun"),
)


def table_figures():
    """(rows, bytes) of each table."""
    from django.db import connection

    figures = []
    with connection.cursor() as cursor:
        for _label, table in TABLES:
            cursor.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            figures.append(cursor.fetchone())
    return figures


def mb(size):
    return f"{size / 1024 / 1024:8.1f}"


def summarise(history, times, keep):
    """The sizes once each table is at its steady state, and the nights' times.

    The daily client and portfolio snapshots (and each portfolio snapshot's month totals) are kept
    for ``keep`` days: they grow by one day a night up to night ``keep``, then stay flat; with fewer
    nights than that, the summary gives the night's growth and the size it leads to.
    """
    nights = len(history)
    print(f"\nSummary of {nights} nights (SNAPSHOT_DAILY_DAYS={keep}):")
    ordered = sorted(times)
    print(
        f"  night's time: last {times[-1]:.1f} s, median {ordered[nights // 2]:.1f} s, "
        f"fastest {ordered[0]:.1f} s, slowest {ordered[-1]:.1f} s"
    )

    def span(index, first):
        rows = [figures[index][0] for figures in history[first - 1 :]]
        sizes = [figures[index][1] for figures in history[first - 1 :]]
        return f"rows {min(rows):>12,} .. {max(rows):>12,}   MB {mb(min(sizes)).strip()} .. {mb(max(sizes)).strip()}"

    for index in (0, 1, 2):
        label = TABLES[index][0]
        if nights > keep:
            print(f"  {label:<17} from night {keep + 1}: {span(index, keep + 1)}  ({keep} days kept)")
        elif nights >= 2:
            first = max(1, nights - 9)  # the growth of the last ten nights
            grown_rows = (history[-1][index][0] - history[first - 1][index][0]) / (nights - first)
            grown = (history[-1][index][1] - history[first - 1][index][1]) / (nights - first)
            print(
                f"  {label:<17} {nights} of {keep} days kept, still growing: {grown_rows:,.0f} rows and "
                f"{mb(grown).strip()} MB a night; flat from night {keep + 1} at about "
                f"{history[-1][index][0] + grown_rows * (keep - nights):,.0f} rows and "
                f"{mb(history[-1][index][1] + grown * (keep - nights)).strip()} MB"
            )
    rows = sum(figures[0] for figures in history[-1])
    size = sum(figures[1] for figures in history[-1])
    print(f"  all four tables after night {nights}: {rows:,} rows, {mb(size).strip()} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    portfolio_build.database_arguments(parser, clients=100_000, database="clientprofit_bench_retention")
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--every", type=int, default=1, help="print every this many nights (and the last)")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="leave out the service's VACUUM after the prune (autovacuum only)",
    )
    args = parser.parse_args()

    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        portfolio_build.recreate_database(args.admin_url, args.database)
    elif "bench" not in args.database:
        sys.exit(f"Refusing to use {args.database!r}: the benchmark database name must contain 'bench'.")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from audits.profitability import retention, runs

    timings = {"_prune": [], "_vacuum_snapshots": []}

    def timed(name):
        function = getattr(retention, name)

        def wrapper(**kwargs):
            began = time.perf_counter()
            try:
                return function(**kwargs)
            finally:
                timings[name].append(time.perf_counter() - began)

        return wrapper

    for name in timings:
        setattr(retention, name, timed(name))
    if args.no_vacuum:
        retention._vacuum_snapshots = lambda: timings["_vacuum_snapshots"].append(0.0)

    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            began = time.perf_counter()
            print(f"Building {args.clients:,} clients in {args.database}:", flush=True)
            portfolio_build.build(args.clients)
            portfolio_build.vacuum(url)
            print(f"  built in {time.perf_counter() - began:.1f} s", flush=True)
        days = [LAST - dt.timedelta(days=n) for n in range(args.nights - 1, -1, -1)]
        print(
            f"{args.nights} nights, {days[0]} to {days[-1]}, {args.clients:,} clients, "
            f"SNAPSHOT_DAILY_DAYS={settings.SNAPSHOT_DAILY_DAYS}, "
            f"{'no VACUUM after the prune' if args.no_vacuum else 'VACUUM after the prune'}"
        )
        header = f"{'night':>5} {'as of':>10} {'night s':>7} {'prune s':>7} {'vacuum s':>8}"
        for label, _table in TABLES:
            header += f" | {label + ' rows':>21} {'MB':>8}"
        print(header)
        history, times = [], []
        for night, day in enumerate(days, start=1):
            began = time.perf_counter()
            run = runs.profitability_recompute(as_of=day)
            seconds = time.perf_counter() - began
            times.append(seconds)
            if run.status != run.Status.SUCCEEDED:
                sys.exit(f"night {night}: the run {run.status}")
            figures = table_figures()
            history.append(figures)
            if night % args.every == 0 or night == len(days):
                prune_s, vacuum_s = timings["_prune"][-1], timings["_vacuum_snapshots"][-1]
                line = f"{night:>5} {day.isoformat():>10} {seconds:7.2f} {prune_s:7.2f} {vacuum_s:8.2f}"
                for rows, size in figures:
                    line += f" | {rows:>21,} {mb(size)}"
                print(line, flush=True)
        summarise(history, times, settings.SNAPSHOT_DAILY_DAYS)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            portfolio_build.drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    sys.exit(main())
