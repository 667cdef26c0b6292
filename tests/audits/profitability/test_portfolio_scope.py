"""Which clients the portfolio figures count (see docs/figures.md, Portfolio figures), pinned by hand.

As of 2025-12-31 (period 2025-01-01 .. 2025-12-31), default settings. Ten clients of the manager
and the other manager: six with revenue, one that only costs hours, three with no activity.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from audits.models import ClientSnapshot, PortfolioSnapshot
from audits.profitability import portfolio as pm
from audits.profitability import runs
from tests.factories import (
    ClientFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    StaffCostFactory,
)

AS_OF = dt.date(2025, 12, 31)


@pytest.mark.parametrize(
    ("clients", "share", "top"),
    [
        (0, "0.2", 0),
        (1, "0.2", 1),
        (2, "0.2", 1),  # 0.4 -> at least one
        (3, "0.2", 1),  # 0.6
        (6, "0.2", 1),  # 1.2
        (12, "0.2", 2),  # 2.4
        (13, "0.2", 3),  # 2.6
        (147, "0.2", 29),  # 29.4
        (15, "0.5", 8),  # 7.5: an exact half rounds up
        (10, "0.25", 3),  # 2.5
    ],
)
def test_the_top_share_is_rounded_to_the_nearest_client(clients, share, top):
    assert pm.top_count(clients, D(share)) == top


def test_a_net_margin_is_undefined_when_revenue_is_not_positive():
    credit = pm.ClientFigures(client_id=1, revenue=D("-500"), gross_margin=D("-250"))
    assert credit.net_profit == D("-250")
    assert credit.net_margin is None  # not +50 %
    assert pm.ClientFigures(client_id=2, revenue=D("0"), gross_margin=D("100")).net_margin is None
    # NP 100 on R -500 is no "-20 % margin" below the marginal setting.
    assert not pm.is_marginal(
        pm.ClientFigures(client_id=3, revenue=D("-500"), gross_margin=D("100")), D("0.05")
    )


def _paid_invoice(client, amount):
    InvoiceFactory(
        client=client,
        issued_on=dt.date(2025, 6, 1),
        due_on=dt.date(2025, 7, 1),
        amount=D(amount),
        cost_of_sales=D(amount) / 2,
    ).payments.create(paid_on=dt.date(2025, 7, 1), amount=D(amount))


@pytest.fixture
def ledger(manager, other_manager):
    """R1..R6 bring 5,000 + 1,800 + 1,200 + 1,000 + 500 + 500 = 10,000 at 50 % margin, paid on time
    (R6 is the other manager's). H only costs 2 h at 60. D1..D3 did nothing in the period (D1 was
    invoiced in 2024, D3 is the other manager's); F is a former client with nothing either."""
    StaffCostFactory(user=manager, effective_from=dt.date(2020, 1, 1), hourly_cost=D("60"))
    clients = {}
    for index, amount in enumerate(["5000", "1800", "1200", "1000", "500", "500"], start=1):
        owner = other_manager if index == 6 else manager
        clients[f"R{index}"] = client = ClientFactory(name=f"Revenue {index}", account_manager=owner)
        _paid_invoice(client, amount)
    clients["H"] = ClientFactory(name="Hours Only", account_manager=manager)
    InteractionFactory(
        client=clients["H"],
        staff=manager,
        started_at=dt.datetime(2025, 6, 2, 10, tzinfo=dt.UTC),
        duration_minutes=120,
    )
    for index in (1, 2, 3):
        owner = other_manager if index == 3 else manager
        clients[f"D{index}"] = ClientFactory(name=f"Dormant {index}", account_manager=owner)
    before = InvoiceFactory(client=clients["D1"], issued_on=dt.date(2024, 6, 1), due_on=dt.date(2024, 7, 1))
    before.payments.create(paid_on=dt.date(2024, 7, 1), amount=before.amount)
    clients["F"] = ClientFactory(name="Former Nothing", account_manager=manager, status="former")
    runs.profitability_recompute(as_of=AS_OF)
    return clients


@pytest.fixture
def snapshot(ledger):
    return {key: ClientSnapshot.objects.get(client=client, as_of=AS_OF) for key, client in ledger.items()}


def test_shares_and_tiers_count_the_clients_with_revenue(snapshot):
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    assert portfolio.clients == 7  # R1..R6 and H
    assert portfolio.clients_with_revenue == 6
    assert portfolio.dormant == 3  # D1..D3; the former client is neither ranked nor dormant
    assert portfolio.revenue == D("10000.00")
    assert portfolio.top_clients == 1  # 6 x 20 % = 1.2 -> 1
    assert portfolio.top20_share_revenue == D("0.500000")  # 5,000 of 10,000
    assert portfolio.top20_share_net_profit == D("0.500000")  # NP 2,500 of R1..R6's 5,000
    assert portfolio.clients_for_80_percent == 3  # 5,000 + 1,800 + 1,200 = 8,000
    # Share of revenue before each: 0, 50, 68 % -> A; 80, 90 % -> B; 95 % -> C.
    assert portfolio.class_counts == {"A": 3, "B": 2, "C": 1}
    # Mean GM 5,000 / 6 = 833.33: tier 1 from 1,000 (R1), tier 3 under 666.67 (R3..R6).
    assert portfolio.mean_gross_margin == D("833.33")
    assert portfolio.tier_counts == [1, 1, 4]
    assert portfolio.top1_share == D("0.500000")
    assert portfolio.top5_share == D("0.950000")
    assert portfolio.hhi == D("3118.00")  # 50² + 18² + 12² + 10² + 5² + 5²
    assert portfolio.pareto_curve[1] == ["0.166667", "0.500000"]  # the first of six clients


def test_a_client_who_only_costs_hours_is_ranked_and_flagged(snapshot):
    h = snapshot["H"]
    assert h.in_portfolio
    assert h.net_profit == D("-120.00")
    assert h.is_unprofitable
    assert h.rank_net_profit == 7  # last of the seven
    assert h.net_margin is None
    assert h.tier is None and h.abc_class == ""
    assert h.cumulative_share_revenue is None
    portfolio = PortfolioSnapshot.objects.get(as_of=AS_OF)
    assert portfolio.unprofitable == 1
    assert portfolio.net_profit == D("4880.00")  # 5,000 - 120, the whale curve's total
    assert portfolio.whale_peak_profit_share == D("1.024590")  # 5,000 / 4,880


def test_dormant_clients_are_counted_and_not_ranked(snapshot):
    for key in ("D1", "D2", "D3", "F"):
        assert not snapshot[key].in_portfolio
        assert snapshot[key].rank_net_profit is None
        assert not snapshot[key].is_unprofitable
    ranks = sorted(s.rank_net_profit for key, s in snapshot.items() if s.in_portfolio)
    assert ranks == list(range(1, 8))


def _text(page):
    return re.sub(r"[ \t\r\n]+", " ", page)


def test_the_dashboard_says_how_many_make_the_top_and_shows_the_counts(as_finance, snapshot):
    page = _text(as_finance.get("/dashboard/").content.decode())
    assert "The top 20 %, 1 of 6 clients with revenue, bring 50.0\u00a0% of revenue." in page
    assert "3 clients make 80 % of revenue." in page
    assert "Class A: 3" in page and "Class B: 2" in page and "Class C: 1" in page
    assert "3 active clients had no activity in the period." in page
    assert 'href="/ranking/?dormant=1"' in page


def test_the_managers_dashboard_counts_only_their_clients(as_manager, snapshot):
    page = _text(as_manager.get("/dashboard/").content.decode())
    # R1..R5: 5 x 20 % = 1 client, 5,000 of 9,500; 80 % of 9,500 = 7,600 takes three.
    assert "The top 20 %, 1 of 5 clients with revenue, bring 52.6\u00a0% of revenue." in page
    assert "3 clients make 80 % of revenue." in page
    assert "Class A: 3" in page and "Class B: 2" in page and "Class C: 0" in page
    assert "2 active clients had no activity in the period." in page


def test_the_ranking_lists_the_dormant_clients_apart(as_finance, as_manager, snapshot):
    ranking = as_finance.get("/ranking/").content.decode()
    assert ">Hours Only</a>" in ranking
    assert "Dormant 1" not in ranking and "Former Nothing" not in ranking
    assert "3 active clients had no activity in the period." in _text(ranking)
    dormant = as_finance.get("/ranking/?dormant=1").content.decode()
    assert all(f">Dormant {n}</a>" in dormant for n in (1, 2, 3))
    assert "Revenue 1" not in dormant and "Hours Only" not in dormant and "Former Nothing" not in dormant
    own = as_manager.get("/ranking/?dormant=1").content.decode()
    assert ">Dormant 1</a>" in own and ">Dormant 2</a>" in own and "Dormant 3" not in own
    assert "2 active clients had no activity in the period." in _text(
        as_manager.get("/ranking/").content.decode()
    )


@pytest.fixture
def credit_notes(manager):
    """Two clients with a margin, and two whose revenue is a credit note: N (R -500, GM and NP
    -250) and M (R -500, cost of sales -600: NP +100)."""
    for name, amount in (("Plain High", "4000"), ("Plain Low", "1000")):
        _paid_invoice(ClientFactory(name=name, account_manager=manager), amount)
    for name, cost in (("Credit Note N", "-250"), ("Credit Note M", "-600")):
        InvoiceFactory(
            client=ClientFactory(name=name, account_manager=manager),
            issued_on=dt.date(2025, 6, 1),
            amount=D("-500"),
            cost_of_sales=D(cost),
        )
    runs.profitability_recompute(as_of=AS_OF)


def _row(page, name):
    return next(row for row in page.split("<tr") if f">{name}</a>" in row)


def test_a_credit_note_client_has_no_margin_and_sorts_last_both_ways(as_finance, credit_notes):
    n = ClientSnapshot.objects.get(client__name="Credit Note N")
    m = ClientSnapshot.objects.get(client__name="Credit Note M")
    assert n.in_portfolio and n.net_profit == D("-250.00") and n.net_margin is None
    assert m.net_profit == D("100.00") and m.net_margin is None and not m.is_marginal
    assert n.abc_class == "" and n.tier is None  # no share of revenue, no tier
    for sort in ("net_margin", "-net_margin"):
        page = as_finance.get(f"/ranking/?sort={sort}").content.decode()
        positions = {
            name: page.index(f">{name}</a>")
            for name in ("Plain High", "Plain Low", "Credit Note N", "Credit Note M")
        }
        assert max(positions["Plain High"], positions["Plain Low"]) < min(
            positions["Credit Note N"], positions["Credit Note M"]
        ), sort
    page = as_finance.get("/ranking/").content.decode()
    assert "—" in _row(page, "Credit Note N")
    assert "%" not in _row(page, "Credit Note N")
    assert "50.0\u00a0%" in _row(page, "Plain High")


def _queries(http, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert http.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_counts_cost_no_query_per_client(as_finance, as_manager, ledger, manager):
    urls = ["/dashboard/", "/ranking/", "/ranking/?dormant=1"]
    before = [_queries(http, url) for http in (as_finance, as_manager) for url in urls]
    for _ in range(12):
        ClientFactory(account_manager=manager)  # dormant
        _paid_invoice(ClientFactory(account_manager=manager), "700")
    runs.profitability_recompute(as_of=AS_OF)
    assert PortfolioSnapshot.objects.get(as_of=AS_OF).dormant == 15
    after = [_queries(http, url) for http in (as_finance, as_manager) for url in urls]
    assert after == before


def test_a_client_whose_only_activity_is_paying_an_old_invoice_late_is_ranked(db):
    client = ClientFactory(acquired_on=dt.date(2020, 1, 1))
    invoice = InvoiceFactory(
        client=client, issued_on=dt.date(2024, 10, 1), due_on=dt.date(2024, 10, 31), amount=D("3650")
    )
    # Paid 10 days into the period (which starts on 2025-01-01): 10 days x 3,650 x 8 % / 365 = 8.00.
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 1, 10), amount=D("3650"))
    run = runs.profitability_recompute(as_of=dt.date(2025, 12, 31))
    snapshot = ClientSnapshot.objects.get(run=run, client=client)
    assert snapshot.late_payment_cost == D("8.00")
    assert snapshot.in_portfolio and snapshot.rank_net_profit == 1
    assert PortfolioSnapshot.objects.get(run=run).dormant == 0
