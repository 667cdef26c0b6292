"""Benchmark: an audit's background computation against a recompute, and each audit step page.

    .venv/bin/python bench/audit.py --clients 10000
    .venv/bin/python bench/audit.py --clients 100000 --keep
    .venv/bin/python bench/audit.py --reuse --pages-only --keep    # the pages again, the kept audit

It builds the synthetic portfolio of bench/engine.py in its own PostgreSQL database (default
clientprofit_bench_audit, dropped first and at the end unless --keep; the name must contain
"bench"), times the nightly recompute, then an audit's computation of the same period and scope
(every client: the engine's pass plus writing the audit's own copies), walks the audit to step 5,
and times each step page as finance (--repeat runs after a warm-up; the median and the number of
queries are printed: the wall time and this process's CPU time, which leaves out the database
server's work and, on a busy machine, the waiting), step 5 again once every flag has a decision,
and the XLSX and PDF audit reports.
"""

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench import engine as portfolio_build  # noqa: E402


def timed(callable_):
    began = time.perf_counter()
    result = callable_()
    return time.perf_counter() - began, result


def walk_to_strategy(audit, user):
    """Acknowledge the checks, review every flag, and go on to step 5 (untimed)."""
    from django.db.models import Exists, OuterRef

    from audits.models import Audit, AuditClient, FlagReview
    from audits.review import selectors, services

    def version():
        audit.refresh_from_db()
        return audit.version

    for check in selectors.audit_checks(audit, rows=False):
        if not check.is_clear:
            services.check_acknowledge(
                audit=audit, user=user, version=version(), code=check.code, reason="bench"
            )
    services.audit_move(audit=audit, user=user, version=version(), step=2)
    services.audit_move(audit=audit, user=user, version=version(), step=3)
    services.audit_move(audit=audit, user=user, version=version(), step=4)
    reviewed = FlagReview.objects.filter(audit=audit, client_id=OuterRef("client_id"))
    pending = AuditClient.objects.filter(audit=audit, is_flagged=True).exclude(Exists(reviewed))
    FlagReview.objects.bulk_create(
        [
            FlagReview(
                audit=audit, client_id=cid, verdict=FlagReview.Verdict.CONFIRM, reason="bench", user=user
            )
            for cid in pending.values_list("client_id", flat=True)
        ],
        batch_size=5000,
    )
    Audit.objects.filter(pk=audit.pk).update(**selectors.audit_counts(audit))  # written in bulk
    services.audit_move(audit=audit, user=user, version=version(), step=5)
    return Audit.objects.get(pk=audit.pk)


def decide_every_flag(audit, user):
    """One decision per flagged client, in turn transition out, reprice by the break-even price and
    keep (untimed): step 5 as it stands when finance has decided everything."""
    from audits.models import Audit, AuditClient, Decision
    from audits.review import decisions as what_if
    from audits.review import selectors

    rows = AuditClient.objects.filter(audit=audit, is_flagged=True).values_list(
        "client_id", "breakeven_price_increase"
    )
    decisions = []
    for n, (cid, uplift) in enumerate(rows):
        kind = ("transition", "reprice", "keep")[n % 3]
        if kind == "reprice" and not (uplift and uplift > 0):
            kind = "keep"
        decisions.append(
            Decision(
                audit=audit,
                client_id=cid,
                kind=kind,
                months=6 if kind == "transition" else None,
                uplift=min(uplift * 100, Decimal(999)).quantize(Decimal("0.01"))
                if kind == "reprice"
                else None,
                reason="bench" if kind == "keep" else "",
                user=user,
            )
        )
    Decision.objects.bulk_create(decisions, batch_size=5000)
    Audit.objects.filter(pk=audit.pk).update(**selectors.audit_counts(audit))  # written in bulk
    what_if.what_if_keep(audit)
    return len(decisions)


def prepare_again(audit):
    """A kept audit back at step 5 with no decision, and the sums an audit computed before they were
    kept (--pages-only)."""
    from audits.models import Audit, AuditPortfolio, Decision
    from audits.review import decisions, selectors

    Decision.objects.filter(audit=audit).delete()
    Audit.objects.filter(pk=audit.pk).update(**selectors.audit_counts(audit))
    if not audit.portfolio.sums:
        AuditPortfolio.objects.filter(audit=audit).update(
            sums=decisions.portfolio_sums(audit.clients.filter(in_portfolio=True))
        )
    decisions.what_if_keep(audit)
    if audit.step < Audit.Step.STRATEGY:
        raise SystemExit("The kept audit is not at step 5: run without --pages-only.")


def time_page(http, path, repeat):
    """The page's median time, wall and CPU of this process (the request and its rendering, without
    the database server's own time), and its number of queries, after one warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http.get(path)
    walls, cpus = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = http.get(path)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(walls), statistics.median(cpus), len(queries)


def print_page(label, wall, cpu, queries):
    print(f"{label:<30} {wall * 1000:>6.0f} ms {cpu * 1000:>6.0f} ms {queries:>8}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    portfolio_build.database_arguments(parser, clients=10_000, database="clientprofit_bench_audit")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each page")
    parser.add_argument("--no-reports", action="store_true", help="leave out the XLSX and PDF reports")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="with --reuse: time the pages and reports of the kept audit, without computing again",
    )
    args = parser.parse_args()

    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        portfolio_build.recreate_database(args.admin_url, args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient

    from audits.models import Audit, AuditClient
    from audits.profitability import runs as profitability
    from audits.review import computation
    from clients.roles import FINANCE

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            print(f"Building {args.clients:,} clients in {args.database}:", flush=True)
            seconds, _ = timed(lambda: portfolio_build.build(args.clients))
            portfolio_build.vacuum(url)
            print(f"  built in {seconds:.1f} s", flush=True)
        finance, _created = User.objects.get_or_create(
            username="bench_finance",
            defaults={"first_name": "Bench", "last_name": "Finance", "is_staff": True},
        )
        finance.groups.add(Group.objects.get(name=FINANCE))
        if args.pages_only:
            audit = Audit.objects.filter(title="Bench audit").latest("pk")
            prepare_again(audit)
        else:
            as_of = portfolio_build.AS_OF
            portfolio_build.clear_day(url)
            recompute_seconds, run = timed(lambda: profitability.profitability_recompute(as_of=as_of))
            audit = Audit.objects.create(
                title="Bench audit", period_start=run.period_start, period_end=run.period_end, owner=finance
            )
            compute_seconds, _ = timed(lambda: computation.audit_compute(audit_id=audit.pk))
            rows = AuditClient.objects.filter(audit=audit).count()
            flagged = AuditClient.objects.filter(audit=audit, is_flagged=True).count()
            print()
            print(f"clients                     {run.client_count:>10,}")
            print(f"recompute (nightly)         {recompute_seconds:>10.2f} s")
            print(
                f"audit computation           {compute_seconds:>10.2f} s   ({compute_seconds / recompute_seconds:.2f} x "
                f"the recompute; {rows:,} audited clients, {flagged:,} flagged)"
            )
            audit = walk_to_strategy(Audit.objects.get(pk=audit.pk), finance)
        http = HttpClient()
        http.force_login(finance)
        pages = [
            ("audit page (history)", f"/audits/{audit.pk}/"),
            ("step 1, identify (checks)", f"/audits/{audit.pk}/identify/"),
            ("step 2, costs", f"/audits/{audit.pk}/costs/"),
            ("step 3, rank (charts)", f"/audits/{audit.pk}/rank/"),
            ("step 4, flags", f"/audits/{audit.pk}/flags/"),
            ("step 4, flags, page 100", f"/audits/{audit.pk}/flags/?page=100"),
            ("step 5, no decision yet", f"/audits/{audit.pk}/strategy/"),
            ("audits list", "/audits/"),
        ]
        print()
        print(f"{'page':<30} {'median':>9} {'CPU':>9} {'queries':>8}")
        for label, path in pages:
            print_page(label, *time_page(http, path, args.repeat))
        decided = decide_every_flag(audit, finance)
        path = f"/audits/{audit.pk}/strategy/"
        print_page(f"step 5, {decided:,} decided", *time_page(http, path, args.repeat))
        if not args.no_reports:
            seconds, size = timed(
                lambda: len(b"".join(http.get(f"/audits/{audit.pk}/report.xlsx").streaming_content))
            )
            print(f"{'XLSX audit report':<30} {seconds * 1000:>7.0f} ms   ({size / 1e6:.1f} MB)")
            seconds, response = timed(lambda: http.get(f"/audits/{audit.pk}/report.pdf"))
            assert response.status_code == 200
            print(
                f"{'PDF audit report':<30} {seconds * 1000:>7.0f} ms   ({len(response.content) / 1e6:.1f} MB)"
            )
    finally:
        connection.close()
        if not args.keep:
            portfolio_build.drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    main()
