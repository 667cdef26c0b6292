"""The finance pages: payments (ageing, worst payers, DSO, trend), prospects and cost settings.

The figures come from the real recompute over a small ledger whose numbers are worked out by
hand below (as of 31 Dec 2025, ageing limits 30 / 60 / 90 days, default margin rate 50 %):

  client   manager  invoices (issued -> due, amount, paid)                    open by age
  Alder    Mona     10-01 -> 10-31, 1000, unpaid (61 days past due)           61-90: 1000
                    12-15 -> 01-14, 500, unpaid (not yet due)                 current: 500
  Birch    Mona     12-01 -> 12-10, 800, unpaid (21 days past due)            1-30: 800
                    06-01 -> 07-01, 1000, paid 07-21 (20 days late)
  Cedar    Otto     07-02 -> 08-01, 2000, unpaid (152 days past due)          over 90: 2000
                    02-01 -> 03-01, 1000, paid 04-10 (40 days late)

Whole portfolio: current 500, 1-30 800, 31-60 0, 61-90 1000, over 90 2000; open 4300, overdue
3800; revenue 6300, DSO = 4300 / 6300 x 365 = 249.13 days. Worst payers: Cedar (40 days late),
Birch (20), Alder (nothing paid yet, 1000 overdue). Days late by month: April 40, July 20, so 30
on average weighted by amount. Gross margins (half the revenue): Alder 750, Birch 900, Cedar 1500.
"""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.profitability import runs
from audits.reports import payments as payment_reads
from audits.reports import prospects as prospect_reads
from clients.models import Client, CostSettings
from tests.exports import csv_rows, xlsx_rows
from tests.factories import (
    ClientFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    StaffCostFactory,
)

AS_OF = dt.date(2025, 12, 31)

PAYMENTS, PROSPECTS, SETTINGS = "/payments/", "/prospects/", "/settings/costs/"


def _invoice(client, issued, due, amount, paid_on=None):
    invoice = InvoiceFactory(client=client, issued_on=issued, due_on=due, amount=D(amount))
    if paid_on:
        PaymentFactory(invoice=invoice, paid_on=paid_on, amount=invoice.amount)
    return invoice


def _recompute():
    runs.profitability_recompute(as_of=AS_OF)


@pytest.fixture
def ledger(manager, other_manager):
    alder = ClientFactory(name="Alder", account_manager=manager, acquisition_cost=D("2400"))
    birch = ClientFactory(name="Birch", account_manager=manager)
    cedar = ClientFactory(name="Cedar", account_manager=other_manager)
    _invoice(alder, dt.date(2025, 10, 1), dt.date(2025, 10, 31), "1000")
    _invoice(alder, dt.date(2025, 12, 15), dt.date(2026, 1, 14), "500")
    _invoice(birch, dt.date(2025, 12, 1), dt.date(2025, 12, 10), "800")
    _invoice(birch, dt.date(2025, 6, 1), dt.date(2025, 7, 1), "1000", paid_on=dt.date(2025, 7, 21))
    _invoice(cedar, dt.date(2025, 7, 2), dt.date(2025, 8, 1), "2000")
    _invoice(cedar, dt.date(2025, 2, 1), dt.date(2025, 3, 1), "1000", paid_on=dt.date(2025, 4, 10))
    return {"alder": alder, "birch": birch, "cedar": cedar}


@pytest.fixture
def prospects(ledger, manager, other_manager):
    """Mona's prospect Pine (estimated GM 1300: tier 1) and Otto's Quince (100: tier 3).

    Mean acquisition cost 2400 (Alder's; Birch's and Cedar's are unknown) gives budgets 2880 / 2400 /
    1920; staff at 300 an hour, 7 hours a day: a day costs 2100. Pine has 30 minutes logged
    (150 spent), Quince 8 hours (2400 spent, over its 1920)."""
    for user in (manager, other_manager):
        StaffCostFactory(user=user, hourly_cost=D("300"))
    pine = ClientFactory(
        name="Pine", account_manager=manager, status=Client.Status.PROSPECT, estimated_annual_margin=D("1300")
    )
    quince = ClientFactory(
        name="Quince",
        account_manager=other_manager,
        status=Client.Status.PROSPECT,
        estimated_annual_margin=D("100"),
    )
    when = dt.datetime(2025, 11, 3, 10, tzinfo=dt.UTC)
    InteractionFactory(client=pine, staff=manager, started_at=when, duration_minutes=30)
    for day in (3, 4):
        InteractionFactory(
            client=quince, staff=other_manager, started_at=when.replace(day=day), duration_minutes=240
        )
    return {"pine": pine, "quince": quince}


def _table(response, css):
    """The HTML of the page's table of that class (the quick-log form also lists client names)."""
    page = response.content.decode()
    start = page.index(f'class="table {css}"')
    return page[start : page.index("</table>", start)]


# Payments ----------------------------------------------------------------------------------------


def test_it_totals_the_ageing_buckets_by_hand(ledger, finance, as_finance):
    _recompute()
    payments = payment_reads.payments_for(user=finance)
    assert payments.ageing_totals == {
        "ageing_current": D("500.00"),
        "ageing_1": D("800.00"),
        "ageing_2": D("0.00"),
        "ageing_3": D("1000.00"),
        "ageing_4": D("2000.00"),
    }
    assert (payments.open_receivables, payments.open_overdue) == (D("4300.00"), D("3800.00"))
    assert payments.revenue == D("6300.00")
    assert payments.dso.quantize(D("0.01")) == D("249.13")
    page = as_finance.get(PAYMENTS).content.decode()
    # Bucket headings follow the settings; the footer carries the totals.
    for heading in ("Current", "1-30 d", "31-60 d", "61-90 d", "over 90 d"):
        assert heading in page
    tfoot = page[page.index("<tfoot") : page.index("</tfoot>")]
    for total in ("500.00", "800.00", "1,000.00", "2,000.00", "4,300.00", "3,800.00"):
        assert total in tfoot
    assert "249 days" in page


def test_ageing_headings_follow_the_limits_of_the_settings(ledger, as_finance):
    settings = CostSettings.load()
    settings.ageing_limits = "15, 45, 120"
    settings.save()
    _recompute()
    page = as_finance.get(PAYMENTS).content.decode()
    for heading in ("1-15 d", "16-45 d", "46-120 d", "over 120 d"):
        assert heading in page
    # Cedar's 152 days stay beyond the last limit; Alder's 61 days now fall in 46-120.
    totals = payment_reads.payments_for(user=Client.objects.get(name="Alder").account_manager)
    assert totals.ageing_totals["ageing_3"] == D("1000.00")


def test_it_orders_worst_payers_by_days_late_then_overdue(ledger, manager, finance):
    _recompute()
    worst = payment_reads.payments_for(user=finance).worst_payers
    assert [row.client.name for row in worst] == ["Cedar", "Birch", "Alder"]
    assert [row.average_days_late for row in worst] == [D("40"), D("20"), None]
    assert [row.client.name for row in payment_reads.payments_for(user=manager).worst_payers] == [
        "Birch",
        "Alder",
    ]


def test_it_weights_days_late_by_amount_month_by_month(ledger, manager, finance):
    _recompute()
    trend = payment_reads.payments_for(user=finance).trend
    assert (
        len(trend) == 24 and trend[0].month == dt.date(2024, 1, 1) and trend[-1].month == dt.date(2025, 12, 1)
    )
    late = {m.month: m.average_days_late for m in trend if m.paid}
    assert late == {dt.date(2025, 4, 1): D("40"), dt.date(2025, 7, 1): D("20")}
    # Days from issue to payment: Feb 1 -> Apr 10 is 68 days, Jun 1 -> Jul 21 is 50.
    to_pay = {m.month: m.average_days_to_pay for m in trend if m.paid}
    assert to_pay == {dt.date(2025, 4, 1): D("68"), dt.date(2025, 7, 1): D("50")}
    assert payment_reads.payments_for(user=finance).average_days_late == D("30")
    assert payment_reads.payments_for(user=manager).average_days_late == D("20")


def test_a_manager_sees_only_their_clients_payments_and_exports(ledger, manager, as_manager):
    _recompute()
    payments = payment_reads.payments_for(user=manager)
    assert payments.open_receivables == D("2300.00")
    assert payments.ageing_totals["ageing_4"] == D("0.00")
    page = as_manager.get(PAYMENTS).content.decode()
    assert "Alder" in page and "Birch" in page and "Cedar" not in page
    assert "2,000.00" not in page
    rows = csv_rows(as_manager.get(PAYMENTS + "?_export=csv"))
    assert sorted(row[0] for row in rows[1:]) == ["Alder", "Birch"]
    names = [row[0] for row in xlsx_rows(as_manager.get(PAYMENTS + "?_export=xlsx"))[1:]]
    assert sorted(names) == ["Alder", "Birch"]


def test_the_ageing_export_keeps_numbers_and_neutralises_formulas(ledger, as_finance):
    Client.objects.filter(name="Cedar").update(name='=HYPERLINK("http://x")')
    _recompute()
    rows = csv_rows(as_finance.get(PAYMENTS + "?_export=csv"))
    header = rows[0]
    assert header[:3] == ["Client", "Reference", "Account manager"]
    assert "over 90 d" in header
    cedar = next(row for row in rows if "HYPERLINK" in row[0])
    assert cedar[0].startswith("'=")
    sheet_rows = xlsx_rows(as_finance.get(PAYMENTS + "?_export=xlsx"))
    cedar = next(row for row in sheet_rows if "HYPERLINK" in str(row[0]))
    assert cedar[0].startswith("'=")
    assert D(str(cedar[header.index("over 90 d")])) == D("2000")


def test_the_ageing_table_sorts_by_any_column(ledger, as_finance):
    _recompute()
    body = _table(as_finance.get(PAYMENTS + "?sort=open_receivables"), "ageing")
    assert body.index("Birch") < body.index("Alder") < body.index("Cedar")  # 800, 1500, 2000


# Prospects ---------------------------------------------------------------------------------------


def test_it_shows_each_prospects_tier_budget_days_and_spend(prospects, finance, as_finance):
    _recompute()
    rows = {row.client.name: row for row in prospect_reads.prospect_rows(user=finance, latest=_latest())}
    pine, quince = rows["Pine"], rows["Quince"]
    assert (pine.tier, pine.effort_budget, pine.effort_spent, pine.over_budget) == (
        1,
        D("2880.00"),
        D("150.00"),
        False,
    )
    assert (quince.tier, quince.effort_budget, quince.effort_spent, quince.over_budget) == (
        3,
        D("1920.00"),
        D("2400.00"),
        True,
    )
    page = _table(as_finance.get(PROSPECTS), "prospects")
    assert "1.37" in page  # 2880 / 2100 days
    assert "0.91" in page  # 1920 / 2100 days
    assert "over budget" in page and "within budget" in page
    assert "Alder" not in page  # clients are not prospects
    page = as_finance.get(PROSPECTS).content.decode()
    assert (
        "Each budget is the tier's multiplier times the mean acquisition cost, 2,400.00\xa0EUR, "
        "taken over 1 client whose cost is known."
    ) in page
    assert "The acquisition cost of 2 clients is unknown: they are left out of the mean." in page


def test_the_prospects_table_sorts(prospects, as_finance):
    _recompute()
    ascending = _table(as_finance.get(PROSPECTS + "?sort=effort_budget"), "prospects")
    descending = _table(as_finance.get(PROSPECTS + "?sort=-effort_budget"), "prospects")
    assert ascending.index("Quince") < ascending.index("Pine")
    assert descending.index("Pine") < descending.index("Quince")


def test_a_manager_sees_only_their_prospects(prospects, manager, finance, as_manager):
    _recompute()
    page = as_manager.get(PROSPECTS).content.decode()
    assert "Pine" in page and "Quince" not in page
    mine = prospect_reads.prospect_summary(user=manager, latest=_latest())
    everyone = prospect_reads.prospect_summary(user=finance, latest=_latest())
    assert (mine["prospects"], mine["over_budget"], mine["spent"]) == (1, 0, D("150.00"))
    assert (everyone["prospects"], everyone["over_budget"], everyone["spent"]) == (2, 1, D("2550.00"))


# Cost settings -----------------------------------------------------------------------------------


def test_account_managers_cannot_open_the_cost_settings(as_manager):
    assert as_manager.get(SETTINGS).status_code == 403
    assert as_manager.post(SETTINGS, {"preview": "1"}).status_code == 403


def _form_data(**changes):
    from audits.profitability.forms import CostSettingsForm

    form = CostSettingsForm(instance=CostSettings.load())
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    return {k: "" if v is None else v for k, v in data.items()}


def test_the_tier_preview_counts_clients_with_the_proposed_boundaries(ledger, as_finance):
    _recompute()
    before = CostSettings.load()
    history = before.history.count()

    def counts(**changes):
        response = as_finance.post(SETTINGS, {**_form_data(**changes), "preview": "1"})
        assert response.status_code == 200
        return response.context["preview"].counts

    # Mean GM 1050: thresholds 840 / 1260 put Alder (750), Birch (900), Cedar (1500) one per tier.
    assert counts() == [1, 1, 1]
    # 0.5 and 1.0 x 1050: 525 / 1050, Alder and Birch both in tier 2.
    assert counts(tier_boundaries="0.5, 1.0") == [1, 2, 0]
    # Trimming a third at each end keeps Birch alone: mean 900, thresholds 720 / 1080.
    assert counts(trimmed_share="34") == [1, 2, 0]
    # Four tiers.
    assert counts(tier_boundaries="0.5, 0.8, 1.2") == [1, 1, 1, 0]
    # Nothing was saved.
    after = CostSettings.load()
    assert after.tier_boundaries == before.tier_boundaries and after.trimmed_share == before.trimmed_share
    assert after.history.count() == history


def test_the_preview_explains_an_invalid_boundary(ledger, as_finance):
    _recompute()
    response = as_finance.post(SETTINGS, {**_form_data(tier_boundaries="1.2, 0.8"), "preview": "1"})
    assert response.context["preview"] is None
    assert "strictly increasing" in response.content.decode()


def test_saving_writes_history_with_who_and_what_changed(finance, as_finance):
    CostSettings.load()
    response = as_finance.post(
        SETTINGS,
        _form_data(late_payment_rate="9.50", overhead_allocation="revenue", overheads_per_month="40000.00"),
    )
    assert response.status_code == 302
    settings = CostSettings.load()
    assert settings.late_payment_rate == D("9.50")
    latest = settings.history.order_by("-history_date").first()
    assert latest.history_user == finance
    page = as_finance.get(SETTINGS).content.decode()
    history = page[page.index("Change history") :]
    assert "Fiona" in history
    assert "8.00 → 9.50" in history
    assert "By service hours → By revenue" in history
    # Amounts read as every figure does, with their thousands separator.
    assert "0.00 → 40,000.00" in history


def test_in_french_a_label_and_its_colon_are_kept_apart_by_a_non_breaking_space(ledger, as_finance):
    _recompute()
    as_finance.post(SETTINGS, _form_data(late_payment_rate="9.50"))
    page = as_finance.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Taux de financement annuel des retards de paiement (%)\u00a0:</strong> 8,00 → 9,50" in page
    assert "Clients par niveau actuellement\u00a0:" in page
    preview = as_finance.post(SETTINGS, {**_form_data(), "preview": "1"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Seuils en marge brute\u00a0:" in preview.content.decode()
    dashboard = as_finance.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Top 1\u00a0:" in dashboard and "IHH\u00a0:" in dashboard


def test_a_bad_value_changes_nothing(as_finance):
    settings = CostSettings.load()
    history = settings.history.count()
    response = as_finance.post(SETTINGS, _form_data(class_a_limit="96", late_payment_rate="7"))
    assert response.status_code == 200
    assert (
        "Class B limit must be above the class A limit." in response.context["form"].errors["class_b_limit"]
    )
    assert "Nothing was saved" in response.content.decode()
    response = as_finance.post(SETTINGS, _form_data(ageing_limits="90, 60, 30"))
    assert "ageing_limits" in response.context["form"].errors
    settings.refresh_from_db()
    assert (settings.class_a_limit, settings.late_payment_rate, settings.ageing_limits) == (
        D("80.00"),
        D("8.00"),
        "30, 60, 90",
    )
    assert settings.history.count() == history


def test_the_form_holds_every_cost_setting():
    from audits.profitability.forms import CostSettingsForm

    model_fields = {f.name for f in CostSettings._meta.concrete_fields} - {"id"}
    assert set(CostSettingsForm.base_fields) == model_fields


# Every page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAYMENTS, PROSPECTS])
def test_before_any_run_the_pages_say_so(url, as_finance, as_manager, ledger):
    finance_page = as_finance.get(url).content.decode()
    assert "Figures have not been computed yet" in finance_page
    assert "Compute the figures now" in finance_page
    manager_page = as_manager.get(url).content.decode()
    assert "Ask finance to run the first computation." in manager_page


def test_before_any_run_the_settings_page_still_works(as_finance):
    response = as_finance.post(SETTINGS, {**_form_data(), "preview": "1"})
    assert response.status_code == 200
    assert "Figures have not been computed yet, so there are no clients" in response.content.decode()


def _latest():
    from audits.profitability.runs import portfolio_latest

    return portfolio_latest()


def _more_clients(count, manager, other_manager):
    for n in range(count):
        owner = manager if n % 2 else other_manager
        client = ClientFactory(account_manager=owner)
        _invoice(client, dt.date(2025, 9, 1), dt.date(2025, 10, 1), "100", paid_on=dt.date(2025, 10, 20))
        _invoice(client, dt.date(2025, 11, 1), dt.date(2025, 12, 1), "100")
        ClientFactory(account_manager=owner, status=Client.Status.PROSPECT, estimated_annual_margin=D("50"))


def _queries(http, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = http.post(url, data) if data else http.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("fixture", ["as_manager", "as_finance"])
def test_the_number_of_queries_does_not_grow_with_clients(request, fixture, manager, other_manager):
    http = request.getfixturevalue(fixture)
    request.getfixturevalue("finance")
    _more_clients(5, manager, other_manager)
    _recompute()
    urls = [PAYMENTS, PROSPECTS, PAYMENTS + "?_export=csv"]
    small = [_queries(http, url) for url in urls]
    _more_clients(45, manager, other_manager)
    _recompute()
    large = [_queries(http, url) for url in urls]
    assert small == large, (small, large)
    # Includes the quick-log form's one count of the user's clients, and the session's save after every
    # request (idle expiry; a savepoint, the update and its release in a test).
    assert max(large) <= 20


def test_the_settings_page_runs_a_fixed_number_of_queries(as_finance, manager, other_manager):
    _more_clients(5, manager, other_manager)
    _recompute()
    preview = {**_form_data(tier_boundaries="0.5, 1.0"), "preview": "1"}
    small = (_queries(as_finance, SETTINGS), _queries(as_finance, SETTINGS, preview))
    _more_clients(45, manager, other_manager)
    _recompute()
    for rate in range(5):  # more history rows too
        as_finance.post(SETTINGS, _form_data(late_payment_rate=str(8 + rate)))
    large = (_queries(as_finance, SETTINGS), _queries(as_finance, SETTINGS, preview))
    assert small == large, (small, large)


def test_negative_overheads_are_refused_in_a_sentence_on_the_field(as_finance):
    response = as_finance.post(SETTINGS, _form_data(overheads_per_month="-100"))
    page = response.content.decode()
    assert "Overheads cannot be negative." in page
    assert "costsettings_overheads_not_negative" not in page
    assert CostSettings.load().overheads_per_month == D("0.00")


def test_the_browser_refuses_what_the_server_refuses(as_finance):
    page = as_finance.get(SETTINGS).content.decode()
    assert re.search(r'<input[^>]*name="working_days"[^>]*min="1"', page)
    assert re.search(r'<input[^>]*name="late_payment_rate"[^>]*max="100"', page)
    assert re.search(r'<input[^>]*name="overheads_per_month"[^>]*min="0"', page)


def test_the_payments_charts_are_drawn_once_for_the_same_figures(ledger, as_finance, as_manager, monkeypatch):
    from django.core.cache import cache

    from audits.reports import charts

    _recompute()
    cache.clear()
    drawn = []
    for name in ("bars", "trend"):
        original = getattr(charts, name)
        monkeypatch.setattr(
            charts,
            name,
            lambda *, _original=original, _name=name, **kw: drawn.append(_name) or _original(**kw),
        )
    first = as_finance.get(PAYMENTS).content.decode()
    assert sorted(drawn) == ["bars", "bars", "trend", "trend"]  # for wide screens and phones
    second = as_finance.get(PAYMENTS).content.decode()
    assert sorted(drawn) == ["bars", "bars", "trend", "trend"], "the same figures: read from the cache"
    assert first.count("<svg") == second.count("<svg") == 4
    as_manager.get(PAYMENTS)  # a manager's own clients: other figures, other charts
    assert len(drawn) == 8
    as_finance.get(PAYMENTS, HTTP_ACCEPT_LANGUAGE="fr")
    assert len(drawn) == 12  # labels in another language: drawn again
    cache.clear()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("working_days", "400", "A year has at most 366 days."),
        ("working_days", "9223372036854775807", "A year has at most 366 days."),
        ("trimmed_share", "60", "Must be under 50: trimmed at both ends"),
        ("amortisation_months", "601", "less than or equal to 600"),
        ("hhi_red", "10001", "less than or equal to 10000"),
        # Numbers the arithmetic of the tiers and the ageing could not take: refused, not a 500.
        ("tier_boundaries", "0.8, NaN", "Enter numbers separated by commas"),
        ("tier_boundaries", "0.8, Infinity", "Enter numbers separated by commas"),
        ("tier_boundaries", "0.8, 1e999999", "from 0.01 to 100"),
        ("tier_boundaries", "1e-30, 1e-29", "from 0.01 to 100"),
        ("ageing_limits", "30, 60, 99999999999999999999", "at most 3650 days"),
    ],
)
def test_impossible_settings_are_refused_on_their_field(as_finance, field, value, message):
    before = CostSettings.load()
    response = as_finance.post(SETTINGS, _form_data(**{field: value}))
    assert response.status_code == 200 and message in response.content.decode()
    after = CostSettings.load()
    assert getattr(after, field) == getattr(before, field)


def test_a_list_of_numbers_with_decimal_commas_is_read_and_an_ambiguous_one_is_asked_about(as_finance):
    from django.conf import settings

    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = as_finance.post(SETTINGS, _form_data(tier_boundaries="0,8; 1,3", ageing_limits="30; 60; 90"))
    assert response.status_code == 302
    saved = CostSettings.load()
    assert saved.tier_boundaries == "0.8, 1.3" and saved.boundaries == [D("0.8"), D("1.3")]
    # "1,5" in French: one number with a decimal comma, or the boundaries 1 and 5? Asked, not guessed.
    response = as_finance.post(SETTINGS, _form_data(tier_boundaries="1,5"))
    assert response.status_code == 200 and "virgule décimale" in response.content.decode()
    assert CostSettings.load().tier_boundaries == "0.8, 1.3"
    # In English a comma separates: the boundaries 1 and 5.
    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert as_finance.post(SETTINGS, _form_data(tier_boundaries="1,5")).status_code == 302
    assert CostSettings.load().boundaries == [D("1"), D("5")]
