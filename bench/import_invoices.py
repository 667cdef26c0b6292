"""Benchmark: import a file of invoices through the import service, then the same file again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clientprofit_bench \
        .venv/bin/python bench/import_invoices.py --rows 50000

It creates the database named in DATABASE_URL (dropping it first; the name must contain "bench"),
migrates it, adds the clients with bulk_create, builds a CSV or XLSX of invoices, and prints the
time of each run: the preview (dry run), the import, the same file again (nothing changes) and a
corrected file (one row in ten changed). The database is dropped at the end unless --keep.
"""

import argparse
import datetime as dt
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def recreate_database(url):
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to drop {name!r}: the benchmark database name must contain 'bench'.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def drop_database(admin, name):
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


HEADER = ["number", "client_ref", "issued_on", "due_on", "amount", "cost_of_sales", "written_off"]


def invoice_rows(rows, clients, *, corrected=False):
    start = dt.date(2024, 1, 1)
    for i in range(rows):
        issued = start + dt.timedelta(days=i % 700)
        amount = Decimal(100 + (i * 37) % 9900) + Decimal(i % 100) / 100
        if corrected and i % 10 == 0:
            amount += Decimal("1.00")
        cost = "" if i % 3 == 0 else str((amount * Decimal("0.6")).quantize(Decimal("0.01")))
        yield [
            f"INV-{i:07d}",
            f"C{i % clients:05d}",
            issued.isoformat(),
            (issued + dt.timedelta(days=30)).isoformat(),
            str(amount),
            cost,
            "0" if i % 50 else "10.00",
        ]


def build_file(rows, clients, fmt, *, corrected=False):
    if fmt == "csv":
        lines = [",".join(HEADER)]
        lines.extend(",".join(row) for row in invoice_rows(rows, clients, corrected=corrected))
        return "invoices.csv", ("\r\n".join(lines) + "\r\n").encode()
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in invoice_rows(rows, clients, corrected=corrected):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return "invoices.xlsx", out.getvalue()


def timed(label, rows, call):
    started = time.perf_counter()
    outcome = call()
    seconds = time.perf_counter() - started
    print(
        f"{label:<28} {rows:>7} rows {seconds:8.2f} s {rows / seconds:10.0f} rows/s   "
        f"new {outcome.new}, updated {outcome.updated}, unchanged {outcome.unchanged}, "
        f"errors {len(outcome.errors)}"
    )
    if outcome.errors:
        print("  first errors:", outcome.errors[:3])
    return outcome


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    admin, name = recreate_database(url)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connections

    from clients.imports.files import import_file_read
    from clients.imports.rows import import_file
    from clients.models import Client, Invoice
    from clients.roles import FINANCE

    try:
        call_command("migrate", verbosity=0)
        user = get_user_model().objects.create_user("bench-finance", password=None)
        user.groups.add(Group.objects.get(name=FINANCE))
        Client.objects.bulk_create(
            [Client(name=f"Client {i:05d}", external_ref=f"C{i:05d}") for i in range(args.clients)],
            batch_size=1000,
        )

        started = time.perf_counter()
        filename, content = build_file(args.rows, args.clients, args.format)
        print(
            f"{args.format.upper()} file of {args.rows} invoices for {args.clients} clients: "
            f"{len(content) / 2**20:.1f} MB, built in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        data = import_file_read(kind="invoices", filename=filename, content=content)
        print(f"{'read (tablib)':<28} {len(data):>7} rows {time.perf_counter() - started:8.2f} s")

        def run(dry_run=False, payload=content):
            return import_file(
                kind="invoices", filename=filename, content=payload, user=user, dry_run=dry_run
            )

        timed("preview (dry run)", args.rows, lambda: run(dry_run=True))
        timed("import", args.rows, run)
        assert Invoice.objects.count() == args.rows
        timed("same file again", args.rows, run)
        _, corrected = build_file(args.rows, args.clients, args.format, corrected=True)
        timed("corrected file (1 in 10)", args.rows, lambda: run(payload=corrected))
        assert Invoice.objects.count() == args.rows
    finally:
        connections.close_all()
        if args.keep:
            print(f"Database {name} kept.")
        else:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
