"""Benchmark: server time of the ranking, client and dashboard pages on a large portfolio.

    .venv/bin/python bench/pages.py                      # 100,000 clients, database dropped at the end
    .venv/bin/python bench/pages.py --keep               # keep the database for later runs
    .venv/bin/python bench/pages.py --reuse --explain    # reuse it, print the slowest query plans

It builds the synthetic portfolio of bench/engine.py (set-based SQL) in its own PostgreSQL
database (default clientprofit_bench_pages; the name must contain "bench"), runs the recompute
service once, then adds a finance user and makes one of the staff users an account manager (it
owns one client in twenty). Each page is requested through django.test.Client, in process: the
time is the whole Django request and response (URL resolution, middleware, queries, template
rendering), without a network or a web server. Every page is requested once with the queries
captured (their number and the slowest one are printed), then timed --repeat times; the median
and the 90th percentile are printed in milliseconds. The finance dashboard caches its 24-month
trend per run: "cold" clears the cache before every request, "warm" reads it.
"""

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench import engine as portfolio_build  # noqa: E402

TARGET_MS = 300


@dataclass
class Result:
    label: str
    url: str
    times: list[float]
    queries: int
    slowest_sql: str
    slowest_ms: float
    rows: str
    size: int
    notes: list[str] = field(default_factory=list)

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def p90(self):
        ordered = sorted(self.times)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


def measure(http, label, url, *, repeat, rows="", before=None):
    """One request with the queries captured, then ``repeat`` timed requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{label}: {url} answered {response.status_code}")
    # The test client resets the query log at the start of every request: keep this one's now.
    queries = list(captured.captured_queries)
    slowest = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": 0})
    times = []
    for _ in range(repeat):
        if before:
            before()
        began = time.perf_counter()
        response = http.get(url)
        _ = response.content
        times.append((time.perf_counter() - began) * 1000)
    return Result(
        label=label,
        url=url,
        times=times,
        queries=len(queries),
        slowest_sql=slowest["sql"],
        slowest_ms=float(slowest["time"]) * 1000,
        rows=rows,
        size=len(response.content),
    )


def ranking_count(user, query):
    """The number of rows the ranking's filters select for the user (not timed)."""
    from django.http import QueryDict
    from django.test import RequestFactory

    from audits.profitability.runs import portfolio_latest
    from audits.reports.ranking import RankingFilter, ranking_rows

    request = RequestFactory().get("/ranking/")
    request.user = user
    rows = ranking_rows(user=user, latest=portfolio_latest())
    return RankingFilter(QueryDict(query), queryset=rows, request=request).qs.count()


def users():
    """A finance user, and the staff member owning the most clients as account manager."""
    from django.contrib.auth.models import Group, User
    from django.db.models import Count

    from clients.roles import ACCOUNT_MANAGERS, FINANCE

    finance, _created = User.objects.get_or_create(
        username="bench_finance", defaults={"first_name": "Bench", "last_name": "Finance", "is_staff": True}
    )
    finance.groups.add(Group.objects.get(name=FINANCE))
    manager = (
        User.objects.filter(username__startswith="staff")
        .annotate(owned=Count("managed_clients"))
        .order_by("-owned", "pk")
        .first()
    )
    manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return finance, manager


def sample_clients(latest, manager):
    """Clients of different shapes: the top earner, the median, the worst, a referrer, a prospect,
    and one of the manager's."""
    from django.db.models import Count

    from audits.models import ClientSnapshot

    ranked = ClientSnapshot.objects.filter(as_of=latest.as_of, in_portfolio=True)
    count = ranked.count()
    picks = [
        ("top NP", ranked.order_by("rank_net_profit").values_list("client_id", flat=True).first()),
        (
            "median NP",
            ranked.filter(rank_net_profit=count // 2 or 1).values_list("client_id", flat=True).first(),
        ),
        ("worst NP", ranked.order_by("-rank_net_profit").values_list("client_id", flat=True).first()),
        (
            "referrer",
            ranked.annotate(referred=Count("client__referrals"))
            .filter(referred__gt=0)
            .order_by("-referred", "client_id")
            .values_list("client_id", flat=True)
            .first(),
        ),
        (
            "prospect",
            ClientSnapshot.objects.filter(as_of=latest.as_of, status="prospect")
            .values_list("client_id", flat=True)
            .first(),
        ),
    ]
    own = (
        ranked.filter(client__account_manager=manager)
        .order_by("rank_net_profit")
        .values_list("client_id", flat=True)
    )
    return [(label, pk) for label, pk in picks if pk], own[len(own) // 2]


def ledger_rows(client_id):
    from clients.models import Interaction, Invoice

    return (
        f"{Invoice.objects.filter(client_id=client_id).count()} invoices, "
        f"{Interaction.objects.filter(client_id=client_id).count()} interactions"
    )


def navigation_without_quick_log(request):
    """The project's navigation context without the quick-log form (--without-quick-log)."""
    from config.navigation import navigation

    context = navigation(request)
    context.pop("quick_log_form", None)
    return context


def quick_log_result(user, label, repeat):
    """The time to build and render the quick-log form that base.html puts on every page."""
    from clients.forms import InteractionForm

    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        html = str(InteractionForm(user=user, auto_id="ql_%s", initial={"kind": "call"}))
        times.append((time.perf_counter() - began) * 1000)
    options = html.count("<option")
    return Result(label, "", times, 1, "", 0, f"{options:,} <option>s", len(html))


def short_sql(sql):
    """The statement without its column list."""
    head, _sep, rest = sql.partition(" FROM ")
    return (head[:60] + " ... FROM " + rest) if rest else sql


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def export_filter(finance):
    """A filter of the ranking selecting close to 10,000 rows, for the export."""
    candidates = [
        "abc_class=B",
        "abc_class=A&segment=retail",
        "tier=3&segment=retail&flag=unprofitable",
        "tier=2",
        "tier=3&segment=retail",
        "flag=unprofitable",
    ]
    best = min((abs(ranking_count(finance, q) - 10_000), q) for q in candidates)
    return best[1]


def run(args):
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client as HttpClient

    from audits.models import ClientSnapshot
    from audits.profitability.runs import portfolio_latest

    latest = portfolio_latest()
    finance, manager = users()
    in_portfolio = ClientSnapshot.objects.filter(as_of=latest.as_of, in_portfolio=True).count()
    own = ClientSnapshot.objects.filter(
        as_of=latest.as_of, in_portfolio=True, client__account_manager=manager
    ).count()
    print(
        f"Snapshot of {latest.as_of}: {latest.clients:,} clients in the portfolio "
        f"({in_portfolio:,} ranked rows); manager {manager.username} owns {own:,} of them."
    )

    as_finance = HttpClient()
    as_finance.force_login(finance)
    as_manager = HttpClient()
    as_manager.force_login(manager)
    repeat = args.repeat
    term = "1234"  # matches "Client 1234", "Client 12345", ...
    filtered = "sort=-net_profit&flag=unprofitable&tier=3"
    export_query = export_filter(finance)
    results = []

    def ranking(http, user, label, query, repeat=repeat):
        count = ranking_count(user, query)
        url = "/ranking/" + (f"?{query}" if query else "")
        results.append(measure(http, label, url, repeat=repeat, rows=f"{count:,} matched"))

    ranking(as_finance, finance, "ranking, default (rank by NP)", "")
    ranking(as_finance, finance, "ranking, NP descending", "sort=-net_profit")
    ranking(as_finance, finance, "ranking, NP desc, unprofitable, tier 3", filtered)
    ranking(as_finance, finance, f"ranking, NP desc, search {term!r}", f"sort=-net_profit&q={term}")
    ranking(as_finance, finance, "ranking, NP desc, search '12'", "sort=-net_profit&q=12")
    ranking(as_finance, finance, "ranking, NP desc, search 'Client' (all)", "sort=-net_profit&q=Client")
    ranking(as_finance, finance, "ranking, NP desc, page 200", "sort=-net_profit&page=200")
    ranking(as_manager, manager, "ranking as manager, default", "")
    ranking(
        as_manager, manager, "ranking as manager, NP desc, unprofitable", "sort=-net_profit&flag=unprofitable"
    )

    picks, own_client = sample_clients(latest, manager)
    for label, pk in picks:
        results.append(
            measure(
                as_finance,
                f"client page, {label}",
                f"/clients/{pk}/profitability/",
                repeat=repeat,
                rows=ledger_rows(pk),
            )
        )
    results.append(
        measure(
            as_manager,
            "client page as manager, own client",
            f"/clients/{own_client}/profitability/",
            repeat=repeat,
            rows=ledger_rows(own_client),
        )
    )

    results.append(
        measure(
            as_finance,
            "dashboard, finance, cold trend cache",
            "/dashboard/",
            repeat=max(3, repeat // 3),
            rows=f"{latest.clients:,} clients",
            before=cache.clear,
        )
    )
    cache.clear()
    results.append(
        measure(
            as_finance,
            "dashboard, finance, warm",
            "/dashboard/",
            repeat=repeat,
            rows=f"{latest.clients:,} clients",
        )
    )
    results.append(
        measure(
            as_manager, "dashboard, account manager", "/dashboard/", repeat=repeat, rows=f"{own:,} clients"
        )
    )
    results.append(quick_log_result(finance, "quick-log form alone, finance (base.html)", repeat))
    results.append(quick_log_result(manager, "quick-log form alone, manager (base.html)", repeat))
    ranking(
        as_finance,
        finance,
        "export CSV, " + export_query.replace("&", ", "),
        f"{export_query}&_export=csv",
        repeat=args.export_repeat,
    )
    ranking(
        as_finance,
        finance,
        "export XLSX, " + export_query.replace("&", ", "),
        f"{export_query}&_export=xlsx",
        repeat=args.export_repeat,
    )

    print()
    width = max(len(r.label) for r in results)
    print(
        f"{'page':<{width}}  {'median':>8}  {'p90':>8}  {'runs':>4}  {'queries':>7}  {'slowest q':>9}  "
        f"{'KB':>7}  rows"
    )
    for r in results:
        flag = "" if r.median < TARGET_MS or not r.url or "export" in r.url else "  over target"
        print(
            f"{r.label:<{width}}  {r.median:>6.1f}ms  {r.p90:>6.1f}ms  {len(r.times):>4}  {r.queries:>7}  "
            f"{r.slowest_ms:>7.1f}ms  {r.size / 1024:>7.0f}  {r.rows}{flag}"
        )
    pages = [r for r in results if r.label.startswith("client page")]
    pooled = [t for r in pages for t in r.times]
    print(f"\nclient pages pooled: median {statistics.median(pooled):.1f} ms over {len(pooled)} requests")
    print(f"Target: median under {TARGET_MS} ms per page (exports excepted). DEBUG={settings.DEBUG}")
    if args.without_quick_log:
        print("Pages rendered without the quick-log form of base.html (--without-quick-log).")
    if args.explain:
        for r in results:
            if r.slowest_sql and (r.slowest_ms >= args.explain_over or r.median >= TARGET_MS):
                print(f"\n--- {r.label}: slowest query ({r.slowest_ms:.1f} ms)\n{short_sql(r.slowest_sql)}\n")
                print(explain(r.slowest_sql))
    return 1 if any(r.median >= TARGET_MS for r in results if r.url and "export" not in r.url) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    portfolio_build.database_arguments(parser, clients=100_000, database="clientprofit_bench_pages")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--export-repeat", type=int, default=3, help="timed requests per export")
    parser.add_argument(
        "--without-quick-log",
        action="store_true",
        help="render the pages without the quick-log form of base.html, to see the pages' own time",
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of slow queries")
    parser.add_argument(
        "--explain-over", type=float, default=50, help="explain slowest queries above this many ms"
    )
    args = parser.parse_args()

    if "bench" not in args.database:
        sys.exit(f"Refusing to use {args.database!r}: the benchmark database name must contain 'bench'.")
    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        portfolio_build.recreate_database(args.admin_url, args.database)
    os.environ["DATABASE_URL"] = url
    # The local-memory cache, as in a single process; a shared Redis cache is not wanted here.
    os.environ.pop("REDIS_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from audits.models import PortfolioSnapshot
    from audits.profitability import runs

    # Timed requests should not pay for the debug query log or debug templates; the counted
    # request captures its queries explicitly.
    settings.DEBUG = False
    if args.without_quick_log:
        processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
        processors[processors.index("config.navigation.navigation")] = (
            "bench.pages.navigation_without_quick_log"
        )
    try:
        if not args.reuse:
            call_command("migrate", verbosity=0)
            began = time.perf_counter()
            print(f"Building {args.clients:,} clients in {args.database}:", flush=True)
            portfolio_build.build(args.clients)
            portfolio_build.vacuum(url)
            print(f"  built in {time.perf_counter() - began:.1f} s", flush=True)
        if not PortfolioSnapshot.objects.filter(as_of=portfolio_build.AS_OF).exists():
            began = time.perf_counter()
            runs.profitability_recompute(as_of=portfolio_build.AS_OF)
            print(f"  recompute {time.perf_counter() - began:.1f} s", flush=True)
            portfolio_build.vacuum(url)
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            portfolio_build.drop_database(args.admin_url, args.database)


if __name__ == "__main__":
    sys.exit(main())
