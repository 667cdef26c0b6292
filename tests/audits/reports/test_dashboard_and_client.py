"""Dashboard, ranking and client profitability page: figures from the latest snapshot, role-scoped."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import PortfolioSnapshot
from audits.profitability import runs
from clients.models import StaffCost
from tests.exports import csv_rows
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2025, 12, 31)


def _at(day):
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


@pytest.fixture
def figures(manager, other_manager):
    """A (manager): R 10,000, GM 6,000, 1 h -> NP 5,940. B (manager): R 1,000, GM 100, 10 h -> NP -500.
    C (other manager): R 5,000, cost of sales blank (50 %) -> GM 2,500, NP 2,500."""
    StaffCost.objects.create(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    a = ClientFactory(name="Alpha Fabrication", account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    b = ClientFactory(name="Beta Support Sink", account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    c = ClientFactory(name="Gamma Elsewhere", account_manager=other_manager, acquired_on=dt.date(2020, 1, 1))
    for client, amount, cost in ((a, "10000", "4000"), (b, "1000", "900"), (c, "5000", None)):
        invoice = InvoiceFactory(
            client=client,
            issued_on=dt.date(2025, 6, 1),
            due_on=dt.date(2025, 7, 1),
            amount=D(amount),
            cost_of_sales=None if cost is None else D(cost),
        )
        PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 7, 1), amount=D(amount))
    InteractionFactory(client=a, staff=manager, started_at=_at(dt.date(2025, 6, 2)), duration_minutes=60)
    InteractionFactory(client=b, staff=manager, started_at=_at(dt.date(2025, 6, 3)), duration_minutes=600)
    runs.profitability_recompute(as_of=AS_OF)
    return {"a": a, "b": b, "c": c}


def test_the_dashboard_says_there_are_no_figures_yet(as_finance, as_manager):
    for http in (as_finance, as_manager):
        page = http.get("/dashboard/").content.decode()
        assert "No figures yet" in page
    page = as_finance.get("/dashboard/").content.decode()
    # One button computes the first figures: the line of the last run offers none of its own.
    assert "Compute the figures now" in page and "Recompute now" not in page


def test_the_dashboard_shows_the_portfolio_to_finance(as_finance, figures):
    page = as_finance.get("/dashboard/").content.decode()
    assert "16,000\u00a0EUR" in page  # revenue
    assert "7,940\u00a0EUR" in page  # net profit: 5,940 - 500 + 2,500
    assert "Without the 1 unprofitable client" in page
    assert "8,440\u00a0EUR" in page  # without B
    latest = PortfolioSnapshot.objects.get()
    reinvested = D("8440") + 10 * latest.top_tier_profit_per_hour
    assert f"{reinvested:,.0f}\u00a0EUR" in page
    assert "<svg" in page
    assert "3 clients</span>" in page


def test_the_dashboard_says_how_many_of_its_clients_brought_revenue(as_finance, manager, figures):
    """The revenue card counts the portfolio's clients, the 80/20 card those with revenue: where
    they differ, the revenue card says both."""
    quiet = ClientFactory(name="Delta Quiet", account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    InteractionFactory(client=quiet, staff=manager, started_at=_at(dt.date(2025, 6, 4)), duration_minutes=30)
    runs.profitability_recompute(as_of=AS_OF)
    page = as_finance.get("/dashboard/").content.decode()
    assert "4 clients, 3 with revenue" in page
    assert "of 3 clients with revenue" in page


def test_the_dashboard_shows_a_manager_only_their_clients(as_manager, figures):
    page = as_manager.get("/dashboard/").content.decode()
    assert "My clients at a glance" in page
    assert "11,000\u00a0EUR" in page  # A + B
    assert "5,440\u00a0EUR" in page
    assert "16,000" not in page


def test_the_ranking_sorts_by_net_profit_and_filters(as_finance, figures):
    page = as_finance.get("/ranking/").content.decode()
    order = [
        page.index(f">{name}</a>") for name in ("Alpha Fabrication", "Gamma Elsewhere", "Beta Support Sink")
    ]
    assert order == sorted(order)
    unprofitable = as_finance.get("/ranking/?flag=unprofitable").content.decode()
    assert "Beta Support Sink" in unprofitable and "Alpha Fabrication</a>" not in unprofitable
    by_revenue_low_first = as_finance.get("/ranking/?sort=revenue").content.decode()
    assert by_revenue_low_first.index(">Beta Support Sink</a>") < by_revenue_low_first.index(
        ">Alpha Fabrication</a>"
    )


def test_the_ranking_export_is_what_is_filtered(as_finance, figures):
    rows = csv_rows(as_finance.get("/ranking/?flag=unprofitable&_export=csv"))
    assert len(rows) == 2
    assert rows[1][1] == "Beta Support Sink"
    assert rows[1][rows[0].index("Net profit")] == "-500.00"


def test_a_manager_never_sees_another_managers_client(as_manager, figures):
    page = as_manager.get("/ranking/").content.decode()
    assert "Gamma Elsewhere" not in page
    assert "Gamma Elsewhere" not in as_manager.get("/ranking/?_export=csv").content.decode()
    assert as_manager.get(f"/clients/{figures['c'].pk}/profitability/").status_code == 404


def test_the_client_page_shows_the_pnl_and_the_levers(as_manager, figures):
    page = as_manager.get(f"/clients/{figures['b'].pk}/profitability/").content.decode()
    assert "-500.00" in page
    assert "unprofitable" in page
    assert "A price increase of 50.0\u00a0%" in page  # 500 / 1,000
    assert "8.33 fewer service hours" in page  # 500 / (600 / 10 h)
    assert "600.00" in page  # the 10 h support at 60/h, in the interaction list


def test_the_client_page_never_asks_to_cut_more_hours_than_were_used(as_manager, manager, figures):
    """D sells at a loss of 500 and used 1 h (60 of cost to serve): no cut of hours alone breaks even."""
    d = ClientFactory(name="Delta Below Cost", account_manager=manager, acquired_on=dt.date(2020, 1, 1))
    InvoiceFactory(client=d, issued_on=dt.date(2025, 6, 1), amount=D("1000"), cost_of_sales=D("1500"))
    InteractionFactory(client=d, staff=manager, started_at=_at(dt.date(2025, 6, 4)), duration_minutes=60)
    runs.profitability_recompute(as_of=AS_OF)
    page = as_manager.get(f"/clients/{d.pk}/profitability/").content.decode()
    assert "fewer service hours" not in page
    assert "Not by cutting service hours alone" in page
    assert (
        "8.33 fewer service hours"
        in as_manager.get(f"/clients/{figures['b'].pk}/profitability/").content.decode()
    )


def test_the_client_page_says_an_unknown_acquisition_cost_gives_no_roi(as_manager, figures):
    """B's acquisition cost is unknown: nothing amortised, no lifetime ROI, no payback."""
    page = as_manager.get(f"/clients/{figures['b'].pk}/profitability/").content.decode()
    assert "<dt>Acquisition cost</dt><dd>unknown</dd>" in page
    assert "<dt>Lifetime ROI</dt><dd>—</dd>" in page
    assert "<dt>Payback</dt><dd>—</dd>" in page


@pytest.mark.parametrize(
    "months, said",
    [("0.40", "within its first month"), ("1.20", "after 1 month"), ("7.50", "after 8 months")],
)
def test_the_payback_reads_in_whole_months(as_manager, figures, months, said):
    from audits.models import ClientSnapshot

    ClientSnapshot.objects.filter(client=figures["a"]).update(payback_months=D(months))
    page = as_manager.get(f"/clients/{figures['a'].pk}/profitability/").content.decode()
    assert f"<dt>Payback</dt><dd>{said}</dd>" in page


def _queries(http, url):
    with CaptureQueriesContext(connection) as context:
        assert http.get(url).status_code == 200
    return len(context.captured_queries)


def test_pages_run_a_fixed_number_of_queries(as_finance, figures, manager):
    urls = ["/dashboard/", "/ranking/", f"/clients/{figures['a'].pk}/profitability/"]
    before = [_queries(as_finance, url) for url in urls]
    for n in range(28):
        client = ClientFactory(account_manager=manager, acquired_on=dt.date(2020, 1, 1))
        InvoiceFactory(client=client, issued_on=dt.date(2025, 5, 1), due_on=dt.date(2025, 5, 31))
        InteractionFactory(client=figures["a"], staff=manager, started_at=_at(dt.date(2025, 3, 1 + n)))
        InvoiceFactory(client=figures["a"], issued_on=dt.date(2025, 4, 1 + n % 28))
    runs.profitability_recompute(as_of=AS_OF)
    after = [_queries(as_finance, url) for url in urls]
    assert after == before


def test_the_client_page_draws_its_charts_once_for_the_same_figures(as_manager, figures, monkeypatch):
    from django.core.cache import cache

    from audits.reports import charts

    cache.clear()
    drawn = []
    for name in ("waterfall", "trend"):
        original = getattr(charts, name)
        monkeypatch.setattr(
            charts,
            name,
            lambda *, _original=original, _name=name, **kw: drawn.append(_name) or _original(**kw),
        )
    url = f"/clients/{figures['b'].pk}/profitability/"
    first = as_manager.get(url).content.decode()
    assert sorted(drawn) == ["trend", "trend", "waterfall", "waterfall"]  # for wide screens and phones
    second = as_manager.get(url).content.decode()
    assert len(drawn) == 4, "the same figures: read from the cache"
    assert first.count("<svg") == second.count("<svg") == 4
    as_manager.get(f"/clients/{figures['a'].pk}/profitability/")  # another client's figures
    assert len(drawn) == 8
    cache.clear()
