"""Ranking sort by NP through the rank, the ranking export's direct rows, and the cached dashboard charts."""

import datetime as dt
import re
from decimal import Decimal as D
from urllib.parse import quote

import pytest

from audits.models import ClientSnapshot
from audits.profitability import runs
from audits.reports import charts
from audits.reports.ranking import RankingTable
from clients.models import StaffCost
from clients.tables import SafeExportTable
from tests.exports import csv_rows
from tests.factories import ClientFactory, InteractionFactory, InvoiceFactory

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def portfolio(manager, other_manager):
    """Five clients with distinct NP, one whose name a spreadsheet would run as a formula, and one
    without service hours (NP per hour undefined)."""
    StaffCost.objects.create(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    shapes = [
        ("=HYPERLINK(1)", manager, "3000", 60),
        ("Mid Client", manager, "2000", 120),
        ("Loss Client", other_manager, "200", 600),
        ("Top Client", other_manager, "9000", 30),
        ("Quiet Client", manager, "500", 0),
    ]
    for name, owner, amount, minutes in shapes:
        client = ClientFactory(name=name, account_manager=owner, acquired_on=dt.date(2020, 1, 1))
        InvoiceFactory(
            client=client,
            issued_on=dt.date(2025, 6, 1),
            due_on=dt.date(2025, 7, 1),
            amount=D(amount),
            cost_of_sales=D(amount) / 2,
        )
        if minutes:
            InteractionFactory(
                client=client,
                staff=manager,
                started_at=dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC),
                duration_minutes=minutes,
            )
    runs.profitability_recompute(as_of=AS_OF)


def _export(http, query):
    return csv_rows(http.get(f"/ranking/?{query}&_export=csv"))


def _np_column(rows):
    return [D(row[rows[0].index("Net profit")]) for row in rows[1:]]


def test_it_sorts_by_np_both_ways_through_the_rank(as_finance, portfolio):
    highest_first = _np_column(_export(as_finance, "sort=-net_profit"))
    lowest_first = _np_column(_export(as_finance, "sort=net_profit"))
    assert len(highest_first) == 5
    assert highest_first == sorted(highest_first, reverse=True)
    assert lowest_first == list(reversed(highest_first))
    page = as_finance.get("/ranking/?sort=-net_profit").content.decode()
    assert page.index(">Top Client</a>") < page.index(">Mid Client</a>") < page.index(">Loss Client</a>")


def test_it_exports_the_same_cells_as_the_generic_table_export(portfolio):
    rows = ClientSnapshot.objects.filter(in_portfolio=True).select_related("client")
    generic = list(SafeExportTable.as_values(RankingTable(rows, order_by="-net_profit")))
    direct = list(RankingTable(rows, order_by="-net_profit").as_values())
    assert direct == generic
    names = [row[1] for row in direct[1:]]
    assert "'=HYPERLINK(1)" in names  # neutralised, never a live formula
    quiet = next(row for row in direct if row[1] == "Quiet Client")
    assert quiet[direct[0].index("NP / hour")] is None  # no service hours: undefined, a blank cell


def test_it_keeps_only_the_filtered_rows_in_the_export(as_manager, portfolio):
    rows = _export(as_manager, "sort=-net_profit")
    assert {row[1] for row in rows[1:]} == {"'=HYPERLINK(1)", "Mid Client", "Quiet Client"}


def test_it_draws_the_dashboard_charts_once_for_the_same_figures(as_finance, portfolio, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    drawn = []
    original = charts.cumulative_curve

    def counting(**kwargs):
        drawn.append(kwargs["y_label"])
        return original(**kwargs)

    monkeypatch.setattr(charts, "cumulative_curve", counting)
    first = as_finance.get("/dashboard/").content.decode()
    assert len(drawn) == 4  # Pareto and whale curves, for wide screens and phones
    second = as_finance.get("/dashboard/").content.decode()
    assert len(drawn) == 4
    assert first.count("<svg") == second.count("<svg") >= 6
    as_finance.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="fr")
    assert len(drawn) == 8  # labels in another language: drawn again
    cache.clear()


@pytest.mark.parametrize("ids_limit", [2000, 1])
def test_it_searches_names_and_references_within_the_users_clients(
    as_manager, portfolio, monkeypatch, ids_limit
):
    from audits.reports import ranking as filters

    monkeypatch.setattr(filters, "SEARCH_IDS_LIMIT", ids_limit)  # 1: a broad text, joined filter
    names = {row[1] for row in _export(as_manager, "q=client")[1:]}
    assert names == {"Mid Client", "Quiet Client"}  # "Loss Client" and "Top Client" are not theirs
    quiet = ClientSnapshot.objects.get(client__name="Quiet Client").client
    by_reference = {row[1] for row in _export(as_manager, f"q={quiet.external_ref.lower()}")[1:]}
    assert by_reference == {"Quiet Client"}
    punctuated = {row[1] for row in _export(as_manager, "q=" + quote("=hyperlink(1)"))[1:]}
    assert punctuated == {"'=HYPERLINK(1)"}  # taken literally, never as a pattern


def test_each_row_adds_up_to_its_net_profit_acquisition_share_included(as_finance, manager):
    """The ranking shows every part of NP = GM - CTS - DE - AQ - LPC - BD, on the page and in the
    export: a client acquired in the period bears its acquisition share."""
    client = ClientFactory(
        name="New Client",
        account_manager=manager,
        acquired_on=dt.date(2025, 3, 1),
        acquisition_cost=D("2400"),
    )
    InvoiceFactory(client=client, issued_on=dt.date(2025, 6, 1), amount=D("5000"), cost_of_sales=D("1000"))
    runs.profitability_recompute(as_of=AS_OF)
    rows = _export(as_finance, "sort=-net_profit")
    header = rows[0]
    parts = [
        "Gross margin",
        "Cost to serve",
        "Direct expenses",
        "Acquisition share",
        "Late-payment cost",
        "Bad debt",
    ]
    for row in rows[1:]:
        gm, *costs = (D(row[header.index(name)]) for name in parts)
        assert gm - sum(costs) == D(row[header.index("Net profit")])
    new = next(row for row in rows if row[header.index("Client")] == "New Client")
    assert D(new[header.index("Acquisition share")]) == D("1000.00")  # 10 of 24 months of 2,400
    assert ">AQ</" in as_finance.get("/ranking/").content.decode()


def test_the_tier_filter_offers_the_tiers_the_figures_have(as_finance, portfolio):
    body = as_finance.get("/ranking/").content.decode()
    tiers = re.search(r'<select name="tier"[^>]*>(.*?)</select>', body, re.DOTALL).group(1)
    assert re.findall(r'<option value="(\d)"', tiers) == ["1", "2", "3"]  # two boundaries: three tiers
    assert tiers.count('<option value=""') == 1  # one "Any"
