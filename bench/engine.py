"""Benchmark: the nightly profitability recompute against one plain SQL statement.

    .venv/bin/python bench/engine.py --clients 10000
    .venv/bin/python bench/engine.py --clients 100000

It creates its own PostgreSQL database (default clientprofit_bench_engine, dropped first and at the
end unless --keep; the name must contain "bench"), migrates it, and builds a synthetic portfolio
with set-based SQL (generate_series, INSERT ... SELECT): Pareto-shaped revenue, 24 invoices a
year per client with payments (some late, some partial, a few written off, a few credit notes),
60 interactions and 4 expenses per client, referrals, and staff costs that change mid-period.
Then it times the recompute service (snapshots for every client, the portfolio and its month
totals for the 24-month trend) for a new day (the nightly case: the day's rows are cleared and the
snapshot tables vacuumed first, untimed) and for the same day again (which replaces that day's
rows), each in a process of its own as the worker runs it, and a plain SQL statement computing R,
GM, CTS, LPC and NP per client, under the server's settings and under two sets of session settings
(the fastest is the reference); prints them with the ratios, the peak memory (RSS) of the
recompute's process and the phases of the best runs (audits.profitability.phases: start, length
and thread of each, the second connection's and the month-totals thread's overlapping the main
thread's), and checks that both give the same numbers for every client.
"""

import argparse
import datetime as dt
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

AS_OF = dt.date(2025, 12, 31)
START = dt.date(2025, 1, 1)
STAFF = 20


def recreate_database(admin_url, name):
    import psycopg

    if "bench" not in name:
        sys.exit(f"Refusing to use {name!r}: the benchmark database name must contain 'bench'.")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


# Set-based construction of the ledger. {n} is the number of clients.
BUILD = [
    (
        "staff",
        f"""INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
            is_active, date_joined)
        SELECT '!', false, 'staff' || g, 'Staff', g::text, '', false, true, now()
        FROM generate_series(1, {STAFF}) g""",
    ),
    (
        "staff costs",
        """INSERT INTO clients_staffcost (user_id, effective_from, hourly_cost)
        SELECT u.id, d.from_date, CASE WHEN d.later THEN (45 + (u.id % 6) * 5) * 1.1 ELSE 45 + (u.id % 6) * 5 END
        FROM auth_user u
        CROSS JOIN (VALUES (DATE '2020-01-01', false), (DATE '2025-07-01', true)) d(from_date, later)
        WHERE u.username LIKE 'staff%'""",
    ),
    (
        "clients",
        """INSERT INTO clients_client (name, external_ref, status, account_manager_id, segment, acquired_on,
            acquisition_cost, is_strategic, strategic_reason, estimated_annual_margin, notes, created_at, updated_at)
        SELECT 'Client ' || g, 'B' || lpad(g::text, 7, '0'),
            CASE WHEN g % 50 = 0 THEN 'prospect' WHEN g % 97 = 0 THEN 'former' ELSE 'active' END,
            (SELECT min(id) FROM auth_user) + g % {staff},
            (ARRAY['retail', 'industry', 'services', 'public'])[1 + g % 4],
            CASE WHEN g % 50 = 0 THEN NULL ELSE DATE '2021-01-01' + (g * 7919 % 1800) END,
            CASE WHEN g % 2 = 0 THEN 0 ELSE 500 + (g * 31 % 4500) END,
            false, '', CASE WHEN g % 50 = 0 THEN 1000 + g % 20000 END, '', now(), now()
        FROM generate_series(1, {n}) g""",
    ),
    (
        "referrals",
        """UPDATE clients_client c SET referred_by_id = r.id
        FROM clients_client r
        WHERE c.id % 10 = 3 AND r.id = c.id - 1 - (c.id % 7) AND r.status <> 'prospect'""",
    ),
    (
        "revenue scale",
        # A heavy tail: u^8 for a pseudo-random u puts most revenue with few clients.
        """CREATE TABLE bench_scale AS
        SELECT id, 600 + 400000 * power(((id::bigint * 2654435761) % 1000003) / 1000003.0, 8) AS yearly
        FROM clients_client""",
    ),
    (
        "invoices",
        """INSERT INTO clients_invoice (client_id, number, issued_on, due_on, amount, cost_of_sales, written_off)
        SELECT c.id, 'B' || c.id || '-' || k, x.issued, x.issued + 30,
            CASE WHEN (c.id + k) % 50 = 0 THEN -round(x.amount * 0.2, 2) ELSE x.amount END,
            CASE WHEN (c.id + k) % 3 = 0 THEN NULL
                 WHEN (c.id + k) % 50 = 0 THEN -round(x.amount * 0.1, 2)
                 ELSE round(x.amount * (0.35 + (c.id % 30) / 100.0), 2) END,
            CASE WHEN (c.id * 7 + k) % 200 = 0 AND (c.id + k) % 50 <> 0 THEN x.amount ELSE 0 END
        FROM clients_client c
        JOIN bench_scale s ON s.id = c.id
        CROSS JOIN generate_series(0, 23) k
        CROSS JOIN LATERAL (
            SELECT DATE '2025-01-01' + (k * 15 + c.id % 7)::int AS issued,
                   round(s.yearly / 24 * (0.5 + ((c.id * 31 + k * 17) % 100) / 100.0), 2) AS amount
        ) x
        WHERE c.status <> 'prospect'""",
    ),
    (
        "payments",
        """INSERT INTO clients_payment (invoice_id, paid_on, amount)
        SELECT i.id, x.paid_on, CASE WHEN i.id % 10 = 0 THEN round(i.amount * 0.6, 2) ELSE i.amount END
        FROM clients_invoice i
        CROSS JOIN LATERAL (SELECT GREATEST(i.issued_on, i.due_on + ((i.id * 13) % 61 - 10)::int) AS paid_on) x
        WHERE i.amount > 0 AND i.written_off = 0 AND x.paid_on <= DATE '2025-12-31'""",
    ),
    (
        "partial payments",
        """INSERT INTO clients_payment (invoice_id, paid_on, amount)
        SELECT p.invoice_id, p.paid_on + 10, i.amount - p.amount
        FROM clients_payment p JOIN clients_invoice i ON i.id = p.invoice_id
        WHERE i.id % 10 = 0 AND p.paid_on + 10 <= DATE '2025-12-31'""",
    ),
    (
        "interactions",
        """INSERT INTO clients_interaction (client_id, staff_id, kind, started_at, duration_minutes, note, created_at)
        SELECT c.id, (SELECT min(id) FROM auth_user) + (c.id + k % 3) % {staff},
            (ARRAY['call', 'email', 'meeting', 'support', 'demo', 'visit', 'proposal'])[1 + (c.id + k) % 7],
            TIMESTAMPTZ '2025-01-01 08:00:00+01' + (k * 6 + c.id % 5) * INTERVAL '1 day'
                + ((c.id * 7 + k) % 480) * INTERVAL '1 minute',
            5 + (c.id * 11 + k * 7) % 116, '', now()
        FROM clients_client c CROSS JOIN generate_series(0, 59) k""",
    ),
    (
        "expenses",
        """INSERT INTO clients_expense (client_id, spent_on, category, amount, note)
        SELECT c.id, DATE '2025-01-15' + k * 90,
            (ARRAY['commission', 'travel', 'equipment', 'discount'])[1 + k],
            round(s.yearly * (0.005 + (c.id % 10) / 1000.0), 2), ''
        FROM clients_client c JOIN bench_scale s ON s.id = c.id CROSS JOIN generate_series(0, 3) k
        WHERE c.status <> 'prospect'""",
    ),
]

# The reference: the five figures in one plain statement, per-invoice payment totals and all.
PLAIN = """
WITH rate AS (
    SELECT user_id, effective_from AS valid_from,
           LEAD(effective_from) OVER (PARTITION BY user_id ORDER BY effective_from) AS valid_to, hourly_cost
    FROM clients_staffcost
), inv AS (
    SELECT client_id, SUM(amount) AS r,
           SUM(CASE WHEN cost_of_sales IS NULL THEN amount * %(margin)s ELSE amount - cost_of_sales END) AS gm,
           SUM(written_off) AS bd
    FROM clients_invoice WHERE issued_on BETWEEN %(start)s AND %(end)s GROUP BY client_id
), paid AS (
    SELECT p.invoice_id, SUM(p.amount) AS paid,
           SUM(p.amount * GREATEST(LEAST(p.paid_on, %(end)s::date) - GREATEST(i.due_on, %(start)s::date - 1), 0))
               AS late_x
    FROM clients_payment p JOIN clients_invoice i ON i.id = p.invoice_id
    WHERE p.paid_on <= %(end)s AND i.issued_on <= %(end)s AND i.amount > 0
    GROUP BY p.invoice_id
), lpc AS (
    -- Each payment costs its days of (due, paid on] inside the period, the open remainder its days
    -- of (due, end], whatever period the invoice was issued in.
    SELECT i.client_id,
           SUM(COALESCE(p.late_x, 0) + (i.amount - i.written_off - COALESCE(p.paid, 0))
               * GREATEST(%(end)s::date - GREATEST(i.due_on, %(start)s::date - 1), 0)) * %(rate)s / 365 AS lpc
    FROM clients_invoice i LEFT JOIN paid p ON p.invoice_id = i.id
    WHERE i.issued_on <= %(end)s AND i.amount > 0
    GROUP BY i.client_id
), cts AS (
    SELECT i.client_id, SUM(i.duration_minutes * COALESCE(r.hourly_cost, 0)) / 60 AS cts
    FROM clients_interaction i
    LEFT JOIN rate r ON r.user_id = i.staff_id
         AND r.valid_from <= (i.started_at AT TIME ZONE %(tz)s)::date
         AND (r.valid_to IS NULL OR (i.started_at AT TIME ZONE %(tz)s)::date < r.valid_to)
    WHERE i.started_at >= %(start_ts)s AND i.started_at < %(end_ts)s
    GROUP BY i.client_id
), de AS (
    SELECT client_id, SUM(amount) AS de FROM clients_expense
    WHERE spent_on BETWEEN %(start)s AND %(end)s GROUP BY client_id
), f AS (
    SELECT c.id,
           ROUND(COALESCE(inv.r, 0), 2) AS r,
           ROUND(COALESCE(inv.gm, 0), 2) AS gm,
           ROUND(COALESCE(cts.cts, 0), 2) AS cts,
           ROUND(COALESCE(de.de, 0), 2) AS de,
           CASE WHEN c.acquired_on IS NULL THEN 0 ELSE ROUND(COALESCE(c.acquisition_cost, 0) * GREATEST(0,
               LEAST(%(last_month)s, EXTRACT(YEAR FROM c.acquired_on) * 12 + EXTRACT(MONTH FROM c.acquired_on) - 1
                     + %(amortisation)s - 1)
               - GREATEST(%(first_month)s, EXTRACT(YEAR FROM c.acquired_on) * 12 + EXTRACT(MONTH FROM c.acquired_on) - 1)
               + 1) / %(amortisation)s, 2) END AS aq,
           ROUND(COALESCE(lpc.lpc, 0), 2) AS lpc,
           ROUND(COALESCE(inv.bd, 0), 2) AS bd
    FROM clients_client c
    LEFT JOIN inv ON inv.client_id = c.id
    LEFT JOIN lpc ON lpc.client_id = c.id
    LEFT JOIN cts ON cts.client_id = c.id
    LEFT JOIN de ON de.client_id = c.id
)
SELECT id, r, gm, cts, lpc, gm - cts - de - aq - lpc - bd AS np FROM f
"""


def build(n):
    from django.db import connection

    with connection.cursor() as cursor:
        for label, sql in BUILD:
            began = time.perf_counter()
            cursor.execute(sql.replace("{n}", str(n)).replace("{staff}", str(STAFF)))
            print(
                f"  built {label:<17} {cursor.rowcount:>10,} rows  {time.perf_counter() - began:6.1f} s",
                flush=True,
            )
        cursor.execute("DROP TABLE bench_scale")
    connection.close()


def vacuum(url):
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    print(f"  vacuum analyze {time.perf_counter() - began:.1f} s", flush=True)


def clear_day(url):
    """Delete the benchmark day's snapshots and vacuum the snapshot tables."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        for table in ("portfoliomonth", "clientsnapshot", "portfoliosnapshot"):
            connection.execute(f"DELETE FROM audits_{table} WHERE as_of = %s", [AS_OF])
        for table in ("portfoliomonth", "clientsnapshot", "portfoliosnapshot", "profitabilityrun"):
            connection.execute(f"VACUUM ANALYZE audits_{table}")


def counts():
    from django.db import connection

    with connection.cursor() as cursor:
        result = {}
        for table in ("client", "invoice", "payment", "interaction", "expense"):
            cursor.execute(f"SELECT count(*) FROM clients_{table}")
            result[table] = cursor.fetchone()[0]
    return result


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recompute_in_a_new_process(url):
    """One recompute in a process of its own, as a worker runs it (this process holds the plain
    statement's figures, which are not the recompute's memory): its time, its peak RSS from the
    start of the recompute (the kernel's high-water mark, reset just before it; the process's
    Django and its imports included) and its phases."""
    import json
    import subprocess

    from audits.profitability.phases import Phase

    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, __file__, "--recompute-once"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"The recompute failed:\n{done.stderr}")
    measured = json.loads(done.stdout.splitlines()[-1])
    return measured["seconds"], measured["peak_mb"], [Phase(*item) for item in measured["phases"]]


def recompute_once():
    """--recompute-once: the child of ``recompute_in_a_new_process``."""
    import json

    import django

    django.setup()
    from audits.profitability import phases, runs

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak RSS (VmHWM) starts again from here
    began = time.perf_counter()
    runs.profitability_recompute(as_of=AS_OF)
    seconds = time.perf_counter() - began
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    recorded = [(item.name, item.start, item.seconds, item.thread) for item in phases.recorded()]
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "phases": recorded}))


# The plain statement is timed under the server's settings and under each of these (SET LOCAL),
# and the fastest is the reference: without JIT compilation of its large aggregates and with room
# to sort and hash in memory, and under the settings the engine's ledger pass runs with.
PLAIN_SETTINGS = {
    "server settings": (),
    "jit off, work_mem 256MB": ("jit = off", "work_mem = '256MB'"),
    "the ledger pass's settings": None,  # audits.profitability.sql.session.TUNING
}


def run_plain(settings_=()):
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from audits.profitability import engine
    from clients.models import CostSettings

    cs = CostSettings.load()
    first, last = engine.period_months(START, AS_OF)
    params = {
        "start": START,
        "end": AS_OF,
        "start_ts": timezone.make_aware(dt.datetime.combine(START, dt.time.min)),
        "end_ts": timezone.make_aware(dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time.min)),
        "tz": settings.TIME_ZONE,
        "margin": cs.default_margin_rate / 100,
        "rate": cs.late_payment_rate / 100,
        "amortisation": cs.amortisation_months,
        "first_month": first,
        "last_month": last,
    }
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in settings_:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(PLAIN, params)
        rows = cursor.fetchall()
    return time.perf_counter() - began, {row[0]: tuple(Decimal(v) for v in row[1:]) for row in rows}


def database_arguments(parser, *, clients, database):
    """The options of a benchmark that builds (or reuses) a synthetic portfolio database."""
    parser.add_argument("--clients", type=int, default=clients)
    parser.add_argument("--database", default=database)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database instead of building one")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    database_arguments(parser, clients=10_000, database="clientprofit_bench_engine")
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed runs of each side (the best is reported)"
    )
    args = parser.parse_args()

    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        recreate_database(args.admin_url, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from audits.models import ClientSnapshot, PortfolioMonth, ProfitabilityRun

    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            began = time.perf_counter()
            print(f"Building {args.clients:,} clients in {args.database}:", flush=True)
            build(args.clients)
            vacuum(url)
            print(f"  built in {time.perf_counter() - began:.1f} s", flush=True)
        rows = counts()
        print("Ledger rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))

        # The plain statement first, on a quiet database (no autovacuum after the recompute's writes).
        clear_day(url)
        from audits.profitability.sql.session import TUNING

        plain_times = {label: [] for label in PLAIN_SETTINGS}
        plain = None
        for _ in range(args.repeat):
            for label, setting in PLAIN_SETTINGS.items():
                seconds, figures = run_plain(TUNING if setting is None else setting)
                plain_times[label].append(seconds)
                if plain is not None and figures != plain:
                    sys.exit(f"The plain statement gave other figures with {label}.")
                plain = figures
        plain_seconds = min(min(times) for times in plain_times.values())

        memory_before = peak_mb()
        connections.close_all()
        nightly_times, rerun_times, peaks = [], [], []
        nightly_phases, rerun_phases = None, None
        for _ in range(args.repeat):
            # A night's run writes a new day: clear the day and vacuum (as autovacuum would have
            # done by then), untimed. Then the same day again, which replaces its rows. Each in a
            # process of its own, as the worker runs it.
            clear_day(url)
            seconds, peak, recorded = recompute_in_a_new_process(url)
            nightly_times.append(seconds)
            peaks.append(peak)
            if nightly_times[-1] == min(nightly_times):
                nightly_phases = recorded
            seconds, peak, recorded = recompute_in_a_new_process(url)
            rerun_times.append(seconds)
            peaks.append(peak)
            if rerun_times[-1] == min(rerun_times):
                rerun_phases = recorded
        engine_seconds, rerun_seconds = min(nightly_times), min(rerun_times)
        run = ProfitabilityRun.objects.filter(as_of=AS_OF, status=ProfitabilityRun.Status.SUCCEEDED).latest(
            "pk"
        )
        snapshot_rows = ClientSnapshot.objects.filter(as_of=AS_OF).count()
        month_rows = PortfolioMonth.objects.filter(as_of=AS_OF).count()

        mismatches = []
        fields = ("revenue", "gross_margin", "cost_to_serve", "late_payment_cost", "net_profit")
        engine_rows = {
            row[0]: tuple(row[1:])
            for row in ClientSnapshot.objects.filter(as_of=AS_OF).values_list("client_id", *fields)
        }
        for client_id, figures in plain.items():
            if engine_rows.get(client_id) != figures:
                mismatches.append((client_id, engine_rows.get(client_id), figures))
        missing = set(engine_rows) ^ set(plain)

        print()
        print(f"clients                  {run.client_count:>12,}")
        print(f"ledger rows              {sum(rows.values()) - rows['client']:>12,}")
        print(
            f"snapshot rows written    {snapshot_rows:>12,} clients + {month_rows:,} month totals + 1 portfolio"
        )
        print(
            f"recompute, a new day     {engine_seconds:>12.2f} s   runs: {', '.join(f'{t:.2f}' for t in nightly_times)}"
        )
        print(
            f"recompute, same day again{rerun_seconds:>12.2f} s   runs: {', '.join(f'{t:.2f}' for t in rerun_times)}"
        )
        print(f"plain SQL (5 figures)    {plain_seconds:>12.2f} s   the fastest of:")
        for label, times in plain_times.items():
            print(f"  {label:<27}{min(times):>9.2f} s   runs: {', '.join(f'{t:.2f}' for t in times)}")
        print(
            f"ratio recompute / plain  {engine_seconds / plain_seconds:>12.2f}   "
            f"(same day again: {rerun_seconds / plain_seconds:.2f}; against the faster plain run)"
        )
        print(
            f"peak memory (RSS)        {max(peaks):>12.0f} MB  of the recompute's process, the most of its runs "
            f"({', '.join(f'{peak:.0f}' for peak in peaks)}); this one's, with the plain figures: {memory_before:.0f} MB"
        )
        print(
            f"same R, GM, CTS, LPC, NP {'yes, for every client' if not mismatches and not missing else 'NO'}"
        )
        for label, recorded in (("a new day", nightly_phases), ("same day again", rerun_phases)):
            print(f"phases of the best run, {label} (start, length, thread):")
            for item in recorded or []:
                print(f"  {item.start:7.2f} s {item.seconds:7.2f} s  {item.name:<44} {item.thread}")
        for client_id, mine, theirs in mismatches[:10]:
            print(f"  client {client_id}: recompute {mine} plain {theirs}")
        if missing:
            print(f"  clients in one result only: {sorted(missing)[:10]}")
        return 1 if mismatches or missing else 0
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    if sys.argv[1:] == ["--recompute-once"]:
        recompute_once()
    else:
        sys.exit(main())
