"""The client audit's pages, as finance and as an account manager: each step renders its figures
and forms, the writes go through the forms, and the list filters and exports."""

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from audits.models import ActivityLog, Audit, AuditClient, Decision, FlagReview, RiskAcknowledgement
from clients.models import Client, Contact
from tests.audits.review.test_audit_steps import (  # noqa: F401 (fixtures)
    expense,
    move,
    portfolio,
    refresh,
    review,
    start,
    to_step,
    v,
)
from tests.exports import csv_rows, xlsx_rows
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(finance, portfolio, django_capture_on_commit_callbacks):  # noqa: F811
    return start(finance, django_capture_on_commit_callbacks)


def page(http, url):
    response = http.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_starting_an_audit_from_the_form(as_finance, portfolio, django_capture_on_commit_callbacks):  # noqa: F811
    form = page(as_finance, "/audits/new/")
    assert "The 12 months ending today" in form
    with django_capture_on_commit_callbacks(execute=True):
        response = as_finance.post(
            "/audits/new/",
            {"title": "Q3 review", "period": "quarter", "year": "2026", "quarter": "3", "scope": "all"},
        )
    audit = Audit.objects.get(title="Q3 review")
    assert response.status_code == 302 and response.url == f"/audits/{audit.pk}/"
    assert (audit.period_start, audit.period_end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert audit.computation == Audit.Computation.DONE


def test_bad_start_input_gets_a_clear_message_and_changes_nothing(as_finance, portfolio):  # noqa: F811
    response = as_finance.post(
        "/audits/new/",
        {"title": "x", "period": "dates", "start": "2026-05-01", "end": "2026-04-01", "scope": "segment"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The period ends before it starts." in body and "Give the segment." in body
    assert not Audit.objects.exists()


def test_a_segment_is_chosen_among_the_clients_segments(
    as_finance,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ClientFactory(name="In retail", segment="Retail")
    ClientFactory(name="Also retail", segment="retail")  # the same segment, in other capitals
    form = page(as_finance, "/audits/new/")
    assert form.count('<option value="Retail">Retail</option>') + form.count('<option value="retail">') == 1
    start = {"title": "Retail", "period": "rolling", "scope": "segment"}
    refused = as_finance.post("/audits/new/", {**start, "segment": "Retial"})
    assert refused.status_code == 200 and "Select a valid choice." in refused.content.decode()
    assert not Audit.objects.exists()
    chosen = re.search(r'<option value="([Rr]etail)"', form).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        as_finance.post("/audits/new/", {**start, "segment": chosen})
    audit = Audit.objects.get()
    assert set(AuditClient.objects.filter(audit=audit).values_list("client__name", flat=True)) == {
        "In retail",
        "Also retail",
    }


def test_an_audit_period_outside_the_years_1900_to_2100_is_refused(as_finance, portfolio):  # noqa: F811
    response = as_finance.post(
        "/audits/new/",
        {"title": "x", "period": "dates", "start": "0001-01-01", "end": "0001-12-31", "scope": "all"},
    )
    assert response.status_code == 200
    assert "Enter a date from the year 1900 to the year 2100." in response.content.decode()
    assert not Audit.objects.exists()


def test_a_refresh_asked_from_a_step_it_does_not_know_goes_back_to_the_audit(as_finance, audit):
    for step in ("abc", "9", "-1"):
        response = as_finance.post(f"/audits/{audit.pk}/refresh/", {"version": v(audit), "next_step": step})
        assert response.status_code == 302 and response.url == f"/audits/{audit.pk}/", step
    response = as_finance.post(f"/audits/{audit.pk}/refresh/", {"version": v(audit), "next_step": "1"})
    assert response.url == f"/audits/{audit.pk}/identify/"


def test_the_progress_is_shown_until_the_figures_are_computed(as_finance, finance):
    audit = Audit.objects.create(
        title="Pending",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 6, 30),
        owner=finance,
        progress=10,
    )
    body = page(as_finance, f"/audits/{audit.pk}/")
    assert f'data-url="/audits/{audit.pk}/status/"' in body
    status = as_finance.get(f"/audits/{audit.pk}/status/").json()
    assert status["active"] is True and status["progress"] == 10


def test_step_one_lists_the_checks_and_acknowledges_one(
    as_finance,
    audit,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    portfolio["Delta"].contacts.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        as_finance.post(f"/audits/{audit.pk}/refresh/", {"version": v(audit), "next_step": 1})
    body = page(as_finance, f"/audits/{audit.pk}/identify/")
    assert "Clients without a primary contact" in body and "Delta" in body
    assert f"/admin/clients/client/{portfolio['Delta'].pk}/change/" in body
    assert "Go on to step 2" in body and "disabled" in body
    response = as_finance.post(
        f"/audits/{audit.pk}/checks/",
        {"version": v(audit), "code": "no_primary_contact", "reason": "by phone"},
    )
    assert response.status_code == 302
    body = page(as_finance, response.url)
    assert "Acknowledged by" in body and "by phone" in body
    history = page(as_finance, f"/audits/{audit.pk}/")
    assert "acknowledged a data-quality check (Clients without a primary contact)" in history
    response = as_finance.post(f"/audits/{audit.pk}/move/", {"version": v(audit), "step": 2})
    audit.refresh_from_db()
    assert audit.step == 2


def test_every_row_of_a_check_is_a_click_away_from_step_one(
    as_finance,
    as_manager,
    finance,
    manager,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """Step 1 lists a check's first 20 rows and links "and N more" to all of them, paginated."""
    for n in range(72):
        ClientFactory(name=f"Nocontact {n:02d}", account_manager=manager)
    audit = start(finance, django_capture_on_commit_callbacks)
    body = page(as_finance, f"/audits/{audit.pk}/identify/")
    rows_url = f"/audits/{audit.pk}/checks/no_primary_contact/"
    assert "Clients without a primary contact" in body and "(72)" in body
    assert f'href="{rows_url}">and 52 more' in body
    first = page(as_finance, rows_url)
    assert "Nocontact 00" in first and "Nocontact 49" in first and "Nocontact 50" not in first
    assert "?page=2" in first
    second = page(as_finance, rows_url + "?page=2")
    assert "Nocontact 50" in second and "Nocontact 71" in second and "Nocontact 49" not in second
    client = Client.objects.get(name="Nocontact 71")
    assert f"/admin/clients/client/{client.pk}/change/" in second
    # Fixed in the ledger: the list says so at once, the count waits for a refresh.
    Contact.objects.bulk_create(
        Contact(client=c, name="Someone", is_primary=True)
        for c in Client.objects.filter(name__startswith="N")
    )
    assert "No row left" in page(as_finance, rows_url)
    assert as_finance.get(f"/audits/{audit.pk}/checks/no_such_check/").status_code == 404
    # A page that is not a number shows the first, as every table does; one past the end is not found.
    assert "No row left" in page(as_finance, rows_url + "?page=x")
    assert as_finance.get(rows_url + "?page=9").status_code == 404
    assert as_manager.get(rows_url).status_code == 403


def test_a_stale_page_is_refused_with_who_and_when(as_finance, audit, finance):
    drawn = v(audit)
    move(audit, finance, 2)
    response = as_finance.post(f"/audits/{audit.pk}/move/", {"version": drawn, "step": 1}, follow=True)
    body = response.content.decode()
    assert "Fiona" in body and "moved the audit to another step" in body and "nothing was saved" in body
    audit.refresh_from_db()
    assert audit.step == 2


def test_step_two_shows_the_breakdown_and_adds_a_missing_cost(as_finance, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 2)
    body = page(as_finance, f"/audits/{audit.pk}/costs/")
    assert "Add a missing expense" in body and "1,800.00" in body
    # A footer totals every client of the step, not the page: the revenue is the portfolio's.
    footer = re.search(r"<tfoot[^>]*>(.*?)</tfoot>", body, re.DOTALL).group(1)
    assert "Total" in footer and "14,300.00" in footer
    response = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/",
        {
            "version": audit.version,
            "client": portfolio["Bravo"].external_ref.lower(),
            "spent_on": "2026-11-01",
            "category": "travel",
            "amount": "75.50",
            "note": "Train to the client's site",
        },
    )
    assert response.status_code == 302
    expense = portfolio["Bravo"].expenses.get()
    assert (expense.amount, expense.note) == (D("75.50"), "Train to the client's site")
    bad = as_finance.post(
        f"/audits/{audit.pk}/costs/staff-cost/",
        {"version": v(audit), "staff": finance.pk, "effective_from": "2026-01-01", "hourly_cost": "-5"},
        follow=True,
    )
    assert "greater than or equal to 0" in bad.content.decode()


def test_step_three_shows_the_ranking_and_the_charts(as_finance, audit, finance):
    audit = to_step(audit, finance, 3)
    body = page(as_finance, f"/audits/{audit.pk}/rank/")
    assert body.count("<svg") == 8  # four charts, each for wide screens and for phones
    assert body.count('<div class="chart-narrow"><svg') == 4
    assert "Whale curve" in body and "Alpha" in body
    assert body.index("Alpha") < body.index("Delta")


def test_step_three_reads_each_cumulative_share_in_its_own_order(as_finance, audit, finance):
    """Ranked by NP: Alpha, Charlie, Delta, Bravo. Sorted by Cum. R, the revenue order: Bravo (800)
    before Delta (500), and the shares climb."""
    audit = to_step(audit, finance, 3)
    url = f"/audits/{audit.pk}/rank/"
    table = page(as_finance, url).split("<table", 1)[1]
    assert "in revenue order, which the ABC classes follow" in page(as_finance, url)
    assert table.index("Alpha") < table.index("Charlie") < table.index("Delta") < table.index("Bravo")
    table = page(as_finance, url + "?sort=cumulative_share_revenue").split("<table", 1)[1]
    assert table.index("Alpha") < table.index("Charlie") < table.index("Bravo") < table.index("Delta")
    # Each row: net margin, Cum. R, Cum. NP.
    shares = [float(x) for x in re.findall(r"(-?\d+\.\d)\s%", table)]
    cum_r = shares[1::3]
    assert len(cum_r) == 4
    assert cum_r == sorted(cum_r) and cum_r[-1] == 100.0


def test_step_four_as_finance_and_as_the_account_manager(as_finance, as_manager, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 4)
    body = page(as_manager, f"/audits/{audit.pk}/flags/")
    assert "Bravo" in body and "Delta" not in body
    assert "Save the review" not in body
    response = as_manager.post(
        f"/audits/{audit.pk}/flags/{portfolio['Bravo'].pk}/comment/", {"text": "New contract in May."}
    )
    assert response.status_code == 302
    assert (
        as_manager.post(
            f"/audits/{audit.pk}/flags/{portfolio['Delta'].pk}/comment/", {"text": "x"}
        ).status_code
        == 302
    )
    assert audit.comments.count() == 1
    assert (
        as_manager.post(
            f"/audits/{audit.pk}/flags/{portfolio['Bravo'].pk}/review/",
            {"version": v(audit), "verdict": "confirm", "reason": "x"},
        ).status_code
        == 403
    )
    assert as_manager.get(f"/audits/{audit.pk}/strategy/").status_code == 403
    body = page(as_finance, f"/audits/{audit.pk}/flags/")
    assert "New contract in May." in body and "Delta" in body and "Save the review" in body
    as_finance.post(
        f"/audits/{audit.pk}/flags/{portfolio['Bravo'].pk}/review/",
        {"version": v(audit), "verdict": "confirm", "reason": "loses money"},
    )
    assert FlagReview.objects.get(audit=audit, client=portfolio["Bravo"]).reason == "loses money"


def test_a_refusal_shown_above_many_clients_names_the_client_and_the_field(
    as_finance,
    as_manager,
    audit,
    finance,
    portfolio,  # noqa: F811
):
    """Step 4 and step 2 show a refusal at the top of a page of many clients and fields: it says
    which client (one the user sees) and, in Django's words, which field."""
    audit = to_step(audit, finance, 4)
    bravo, delta = portfolio["Bravo"], portfolio["Delta"]
    body = as_finance.post(
        f"/audits/{audit.pk}/flags/{bravo.pk}/review/",
        {"version": v(audit), "verdict": "confirm", "reason": "  "},
        follow=True,
    ).content.decode()
    assert "Bravo: Give the reason for this review." in body
    assert not FlagReview.objects.filter(audit=audit).exists()
    # An account manager is not told the name of another manager's client.
    body = as_manager.post(
        f"/audits/{audit.pk}/flags/{delta.pk}/comment/", {"text": "x"}, follow=True
    ).content.decode()
    assert "This client has no flag in the audit." in body and "Delta" not in body
    body = as_manager.post(
        f"/audits/{audit.pk}/flags/{bravo.pk}/comment/", {"text": ""}, follow=True
    ).content.decode()
    assert "Bravo: Write the comment first." in body
    audit = move(audit, finance, 2)
    body = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/",
        {
            "version": v(audit),
            "client": "NOPE-1",
            "spent_on": "2026-11-01",
            "category": "travel",
            "amount": "x",
        },
        follow=True,
    ).content.decode()
    assert "Unknown client reference “NOPE-1”." in body
    assert "Amount: Enter a number." in body
    assert not bravo.expenses.exists()


def test_a_refused_form_comes_back_with_what_was_typed_once(as_finance, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 2)
    typed = {"client": "NOPE-1", "spent_on": "2026-11-01", "category": "travel", "amount": "75.50"}
    body = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/", {"version": v(audit), **typed}, follow=True
    ).content.decode()
    assert "Unknown client reference “NOPE-1”." in body
    assert 'value="NOPE-1"' in body and 'value="75.50"' in body and 'value="2026-11-01"' in body
    assert 'value="travel" selected' in body
    # Once: the page drawn again shows the empty form; another form of the page is left as it was.
    assert 'value="NOPE-1"' not in page(as_finance, f"/audits/{audit.pk}/costs/")
    audit = to_step(audit, finance, 4)
    bravo, delta = portfolio["Bravo"], portfolio["Delta"]
    body = as_finance.post(
        f"/audits/{audit.pk}/flags/{bravo.pk}/review/",
        {"version": v(audit) - 1, "verdict": "override", "reason": "A long reason typed with care"},
        follow=True,
    ).content.decode()
    assert "nothing was saved" in body
    assert (
        f'value="A long reason typed with care" size="50" maxlength="2000" required id="rv{bravo.pk}_reason"'
        in body
    )
    assert '<option value="override" selected>' in body
    assert body.count("A long reason typed with care") == 1  # in Bravo's form alone
    assert f'id="rv{delta.pk}_reason"' in body
    assert not FlagReview.objects.filter(audit=audit).exists()


def test_step_five_offers_no_transition_out_for_a_client_that_cannot_be_phased_out(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
):
    from audits.transitions.services import transition_create

    audit = to_step(audit, finance, 5)
    bravo, delta = portfolio["Bravo"], portfolio["Delta"]
    transition_create(client=bravo, user=finance, reason="Already leaving", end_date=dt.date(2027, 6, 30))

    def card(body, client):
        return body.split(f'id="client-{client.pk}"', 1)[1].split("</article>", 1)[0]

    body = page(as_finance, f"/audits/{audit.pk}/strategy/")
    assert 'value="transition"' not in card(body, bravo)
    assert f"Transition out is not offered: {bravo.name} already has an open transition." in card(body, bravo)
    assert 'value="transition"' in card(body, delta) and "not offered" not in card(body, delta)
    # Decided before the client's transition was opened: still shown as decided, with its blocker.
    Decision.objects.create(audit=audit, client=bravo, kind="transition", months=3, user=finance)
    body = page(as_finance, f"/audits/{audit.pk}/strategy/")
    assert re.search(r'value="transition"[^>]*selected', card(body, bravo))
    assert "not offered" not in card(body, bravo)
    assert f"Transition out: {bravo.name} already has an open transition. Choose another decision." in body


def test_step_five_prefills_from_break_even_and_completes(as_finance, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 5)
    body = page(as_finance, f"/audits/{audit.pk}/strategy/")
    bravo = AuditClient.objects.get(audit=audit, client=portfolio["Bravo"])
    uplift = (bravo.breakeven_price_increase * 100).quantize(D("0.01"))
    assert re.search(rf'name="uplift"[^>]*value="{uplift}"', body)
    assert "Risk checklist" in body and "Complete and freeze" in body
    response = as_finance.post(
        f"/audits/{audit.pk}/strategy/{portfolio['Bravo'].pk}/decision/",
        {"version": v(audit), "kind": "transition", "months": "4", "page": "1"},
    )
    # Back at the client's card, on the page the form was on.
    assert response.url == f"/audits/{audit.pk}/strategy/?page=1#client-{portfolio['Bravo'].pk}"
    refused = as_finance.post(
        f"/audits/{audit.pk}/strategy/{portfolio['Delta'].pk}/decision/",
        {"version": v(audit), "kind": "keep", "reason": "", "page": "1"},
    )
    # The refusal too: the form there holds what was typed.
    assert refused.url == f"/audits/{audit.pk}/strategy/?page=1#client-{portfolio['Delta'].pk}"
    as_finance.post(
        f"/audits/{audit.pk}/strategy/{portfolio['Delta'].pk}/decision/",
        {"version": v(audit), "kind": "keep", "reason": "strategic partner"},
    )
    assert Decision.objects.filter(audit=audit).count() == 2
    body = page(as_finance, f"/audits/{audit.pk}/strategy/")
    assert "1 client transitioned out" in body
    for risk in RiskAcknowledgement.Risk.values:
        as_finance.post(
            f"/audits/{audit.pk}/strategy/risks/", {"version": v(audit), "risk": risk, "note": "covered"}
        )
    response = as_finance.post(
        f"/audits/{audit.pk}/complete/", {"version": v(audit), "outcome": "Bravo leaves."}
    )
    assert response.url == f"/audits/{audit.pk}/"
    body = page(as_finance, response.url)
    audit.refresh_from_db()
    assert audit.is_completed
    assert "Clients to transition out" in body and "Bravo" in body
    assert "completed the audit" in body and "recorded a decision" in body
    body = page(as_finance, f"/audits/{audit.pk}/strategy/")
    assert "Save the decision" not in body and "Complete and freeze" not in body


def test_the_list_filters_and_exports(as_finance, audit):
    body = page(as_finance, "/audits/?status=in_progress")
    assert "Audit 2026" in body and "1. Identify clients" in body
    assert "Audit 2026" not in page(as_finance, "/audits/?status=completed")
    # By the end of its period: the day it ends counts.
    assert "Audit 2026" in page(as_finance, f"/audits/?ends_after={audit.period_end.isoformat()}")
    later = audit.period_end + dt.timedelta(days=1)
    assert "Audit 2026" not in page(as_finance, f"/audits/?ends_after={later.isoformat()}")
    export = as_finance.get("/audits/?_export=csv")
    assert export.status_code == 200 and "Audit 2026" in export.content.decode("utf-8-sig")
    # Started as the page shows it, in Brussels time (the pinned clock's 10:00), not in UTC.
    started = timezone.localtime(audit.created_at).replace(tzinfo=None, second=0, microsecond=0)
    header, row = csv_rows(export)[:2]
    assert row[header.index("Started")] == started.isoformat(sep=" ", timespec="minutes")
    header, row = xlsx_rows(as_finance.get("/audits/?_export=xlsx"))[:2]
    assert row[header.index("Started")] == started  # a date-time cell, not text
    assert row[header.index("Completed")] is None


def test_step_pages_run_a_fixed_number_of_queries(as_finance, audit, finance, django_assert_max_num_queries):
    audit = to_step(audit, finance, 5)
    for url in ("identify", "costs", "rank", "flags", "strategy"):
        with django_assert_max_num_queries(40):
            page(as_finance, f"/audits/{audit.pk}/{url}/")


def test_the_xlsx_report_has_a_sheet_per_part_with_numbers_and_safe_text(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    import io

    from openpyxl import load_workbook

    portfolio["Bravo"].name = "=HYPERLINK(1)"
    portfolio["Bravo"].save()
    # A client with no activity in the period counts in no figure of the summary: the sheet of the
    # clients' costs leaves it out too, and its total is the summary's.
    ClientFactory(name="Dormant", acquisition_cost=D("6000"), acquired_on=audit.period_start)
    audit = refresh(audit, finance, django_capture_on_commit_callbacks)
    audit = to_step(audit, finance, 4)
    from audits.review import services

    services.flag_comment(
        audit=audit, user=portfolio["Bravo"].account_manager, client_id=portfolio["Bravo"].pk, text="+1 call"
    )
    review(audit, finance, portfolio["Delta"], "override", reason="ok")
    response = as_finance.get(f"/audits/{audit.pk}/report.xlsx")
    assert response.status_code == 200
    assert response.streaming  # written to a temporary file, then streamed
    assert response["Content-Disposition"] == f'attachment; filename="audit-{audit.pk}-draft.xlsx"'
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "Summary",
        "Clients and costs",
        "Ranking",
        "Flags and reviews",
        "Decisions",
        "What-if",
        "Risks",
    ]
    costs = list(book["Clients and costs"].iter_rows(min_row=4, values_only=True))
    by_name = {row[1]: row for row in costs}
    assert "'=HYPERLINK(1)" in by_name
    assert by_name["Alpha"][2] == 9000 and isinstance(by_name["Alpha"][2], int | float)
    money_cells = [
        row[2] for row in book["Clients and costs"].iter_rows(min_row=4) if row[1].value == "Alpha"
    ]
    assert money_cells[0].number_format == "#,##0.00"
    assert "Dormant" not in by_name
    assert costs[-1][0] == "Total"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True)}
    assert costs[-1][2] == summary["Revenue"] == sum(row[2] for row in costs[:-1])
    assert costs[-1][9] == summary["Net profit"]
    assert book["Clients and costs"].column_dimensions["B"].width >= 24  # the client's name
    assert book["Clients and costs"].column_dimensions["C"].width >= 12
    flags = list(book["Flags and reviews"].iter_rows(min_row=4, values_only=True))
    assert any("+1 call" in (row[12] or "") for row in flags)
    # The review says what was concluded, not the button that concluded it ("Override the flag").
    assert {row[0]: row[8] for row in flags}["Delta"] == "Flag overridden"
    assert {row[0]: row[1] for row in flags}["Delta"] == portfolio["Delta"].external_ref
    assert "draft" in book["Summary"]["A1"].value


def test_invest_in_a_top_tier_client_from_step_five(as_finance, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 5)
    url = f"/audits/{audit.pk}/strategy/invest/"
    refused = as_finance.post(
        url, {"version": v(audit), "client": portfolio["Delta"].external_ref, "reason": "x"}, follow=True
    )
    assert "Invest is for top-tier clients." in refused.content.decode()
    as_finance.post(
        url, {"version": v(audit), "client": portfolio["Alpha"].external_ref, "reason": "grow them"}
    )
    assert Decision.objects.get(audit=audit, client=portfolio["Alpha"]).kind == "invest"
    assert "grow them" in page(as_finance, f"/audits/{audit.pk}/strategy/")


def test_an_account_manager_sees_no_portfolio_totals_on_the_audit_page(as_manager, audit):
    body = page(as_manager, f"/audits/{audit.pk}/")
    assert "14,300" not in body and "Net profit" not in body


def test_the_navigation_leads_finance_and_managers_to_the_audits(as_finance, as_manager, as_admin):
    for http in (as_finance, as_manager, as_admin):
        assert 'href="/audits/"' in page(http, "/dashboard/")


def test_step_pages_do_not_run_more_queries_with_more_clients(
    as_finance,
    audit,
    finance,
    manager,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """The same number of queries for each step page with 4 clients as with 30 (the flags and
    decisions included); step 1 adds at most one per check that found rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audits.review import services
    from tests.factories import ClientFactory, InteractionFactory

    def counts(audit):
        audit = to_step(audit, finance, 5)
        for row in AuditClient.objects.filter(audit=audit, is_flagged=True):
            if not Decision.objects.filter(audit=audit, client_id=row.client_id).exists():
                services.decision_record(
                    audit=audit,
                    user=finance,
                    version=v(audit),
                    client_id=row.client_id,
                    kind="keep",
                    reason="k",
                )
        result = {}
        for name in ("identify", "costs", "rank", "flags", "strategy"):
            page(as_finance, f"/audits/{audit.pk}/{name}/")  # the charts' cache, the session
            with CaptureQueriesContext(connection) as queries:
                page(as_finance, f"/audits/{audit.pk}/{name}/")
            result[name] = len(queries)
        return result

    few = counts(audit)
    for n in range(26):
        client = ClientFactory(name=f"Extra {n:02d}", account_manager=manager)
        InteractionFactory(client=client, staff=manager, started_at=timezone.now() - dt.timedelta(days=5))
    second = Audit.objects.get(pk=start(finance, django_capture_on_commit_callbacks).pk)
    assert AuditClient.objects.filter(audit=second, is_flagged=True).count() >= 20
    many = counts(second)
    # Step 1 reads the rows shown of each check that has any (one query per check, five at most).
    from audits.review.selectors import CHECKS

    assert few["identify"] <= many.pop("identify") <= few.pop("identify") + len(CHECKS)
    assert many == few


def test_account_managers_see_no_outcome_in_the_list(as_manager, as_finance, finance):
    Audit.objects.create(
        title="Done",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 6, 30),
        owner=finance,
        outcome="Net profit 123,456.00 EUR",
    )
    assert "123,456.00" in page(as_finance, "/audits/")
    assert "123,456.00" not in page(as_manager, "/audits/")
    assert "123,456.00" not in as_manager.get("/audits/?_export=csv").content.decode("utf-8-sig")


def test_an_account_manager_reads_the_history_of_their_own_clients_only(
    as_manager,
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
):
    """The audit's history names the clients it is about: an account manager reads the entries about
    the audit and about their own clients, not those about another manager's."""
    from audits.review import services

    audit = to_step(audit, finance, 2)
    expense(audit, finance, portfolio["Delta"], D("12.00"), audit.period_end)
    audit = to_step(audit, finance, 4)
    for name, note in (("Bravo", "own client note"), ("Delta", "other manager note")):
        client = portfolio[name]
        services.flag_comment(audit=audit, user=client.account_manager, client_id=client.pk, text=note)
    audit = to_step(audit, finance, 5)
    services.risk_acknowledge(
        audit=audit,
        user=finance,
        version=v(audit),
        risk="concentration",
        note="Bravo's manager is overloaded",
    )
    finance_view = page(as_finance, f"/audits/{audit.pk}/")
    manager_view = page(as_manager, f"/audits/{audit.pk}/")
    assert "own client note" in finance_view and "other manager note" in finance_view
    assert "added a missing cost" in finance_view
    assert "own client note" in manager_view
    assert "other manager note" not in manager_view and "Delta" not in manager_view
    assert "added a missing cost" not in manager_view
    assert "moved the audit to another step" in manager_view  # the audit's milestones
    # Finance's notes on the scope's risks speak of every client: not an account manager's to read.
    assert "overloaded" in finance_view
    assert "overloaded" not in manager_view and "acknowledged a risk" not in manager_view


def test_an_account_manager_opens_only_the_audits_holding_their_clients(
    as_manager,
    as_finance,
    finance,
    other_manager,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    theirs = start(finance, django_capture_on_commit_callbacks, scope=Audit.Scope.ALL)
    other = start(
        finance, django_capture_on_commit_callbacks, scope=Audit.Scope.MANAGER, scope_manager=other_manager
    )
    Audit.objects.filter(pk=other.pk).update(title="Only the other manager's clients")
    assert "Only the other manager" in page(as_finance, "/audits/")
    listed = page(as_manager, "/audits/")
    assert f"/audits/{theirs.pk}/" in listed and "Only the other manager" not in listed
    for url in ("", "flags/", "status/"):
        assert as_manager.get(f"/audits/{other.pk}/{url}").status_code == 404, url
        assert as_finance.get(f"/audits/{other.pk}/{url}").status_code == 200, url
    assert as_manager.get(f"/audits/{theirs.pk}/flags/").status_code == 200


def test_an_expense_outside_the_period_or_of_nothing_is_refused_with_a_clear_message(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
):
    audit = to_step(audit, finance, 2)
    url = f"/audits/{audit.pk}/costs/expense/"
    for spent_on, amount, message in [
        ("2030-01-01", "75.50", "dated outside the audit&#x27;s period"),
        ("2020-01-01", "75.50", "it would never count"),
        ("2026-11-01", "0.00", "An expense has an amount above zero."),
    ]:
        response = as_finance.post(
            url,
            {
                "version": v(audit),
                "client": portfolio["Bravo"].external_ref,
                "spent_on": spent_on,
                "category": "travel",
                "amount": amount,
            },
            follow=True,
        )
        assert message in response.content.decode(), spent_on
    assert not portfolio["Bravo"].expenses.exists()


def test_the_history_reads_in_the_readers_language_whoever_wrote_it(as_finance, audit, finance, portfolio):  # noqa: F811
    from django.conf import settings

    audit = to_step(audit, finance, 2)
    expense(audit, finance, portfolio["Bravo"], D("75.50"), dt.date(2026, 11, 2))
    audit = to_step(audit, finance, 4)
    with translation.override("en"):  # written in English
        review(audit, finance, portfolio["Bravo"], "confirm")
    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    body = page(as_finance, f"/audits/{audit.pk}/")
    assert "(Bravo : Signalement confirmé) : « seen »" in body  # French spacing and quotes
    assert "Flag confirmed" not in body
    assert re.search(r"\(Bravo : [^()]*75,50[^()]* le 2 nov\. 2026 \(Déplacements\)\)", body)


def test_a_missing_expense_names_its_client_by_reference_or_by_name(as_finance, audit, finance, portfolio):  # noqa: F811
    audit = to_step(audit, finance, 2)
    body = page(as_finance, f"/audits/{audit.pk}/costs/")
    # Matches offered as one types, former clients among them (their costs in the period count).
    assert 'data-client-search="/clients/search/?former=1"' in body
    values = {"spent_on": "2026-11-01", "category": "travel", "amount": "12.00"}
    as_finance.post(f"/audits/{audit.pk}/costs/expense/", {"version": v(audit), "client": "bravo", **values})
    assert portfolio["Bravo"].expenses.get().amount == D("12.00")
    ClientFactory(name="Bravo")  # a second client of that name: the reference is asked for
    body = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/", {"version": v(audit), "client": "Bravo", **values}, follow=True
    ).content.decode()
    assert "Several clients are named “Bravo”" in body
    assert portfolio["Bravo"].expenses.count() == 1
    # Part of a name: the clients whose name holds it are named, with their references.
    body = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/", {"version": v(audit), "client": "rav", **values}, follow=True
    ).content.decode()
    refs = sorted(client.external_ref for client in Client.objects.filter(name="Bravo"))
    # Only spaces: nothing typed, not every client offered.
    blank = as_finance.post(
        f"/audits/{audit.pk}/costs/expense/", {"version": v(audit), "client": "   ", **values}, follow=True
    ).content.decode()
    assert "its name is part of" not in blank and "This field is required" in blank
    assert f"No client is named “rav”; its name is part of: Bravo ({refs[0]}); Bravo ({refs[1]})" in body
    assert portfolio["Bravo"].expenses.count() == 1


def test_step_1_lists_every_client_in_scope_or_only_those_active_in_the_period(
    as_finance,
    finance,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    ClientFactory(name="Echo dormant")  # in scope, no activity in the period
    audit = start(finance, django_capture_on_commit_callbacks)
    # The table follows the checks (one of which names the dormant clients).
    every = page(as_finance, f"/audits/{audit.pk}/identify/").split("Clients in scope")[1]
    active = page(as_finance, f"/audits/{audit.pk}/identify/?active=1").split("Clients in scope")[1]
    assert "Echo dormant" in every and "Alpha" in every
    assert "Echo dormant" not in active and "Alpha" in active
    # The list shown is marked as such.
    assert '<a href="?" aria-current="page">All</a>' in every and 'href="?active=1" aria-current' not in every
    assert 'href="?active=1" aria-current="page">' in active and '<a href="?" aria-current' not in active


def test_an_account_manager_is_led_from_the_audit_to_their_flagged_clients(as_manager, as_finance, audit):
    body = page(as_manager, f"/audits/{audit.pk}/")
    assert "Your clients in this audit" in body
    assert "1 of your clients is flagged" in body  # Bravo; Delta is another manager's
    assert f'href="/audits/{audit.pk}/flags/">See your flagged clients' in body
    assert "Your clients in this audit" not in page(as_finance, f"/audits/{audit.pk}/")


def test_a_second_expense_of_a_day_and_category_is_added_to_the_first(as_finance, audit, finance, portfolio):  # noqa: F811
    """The ledger keeps one expense per client, day and category (an import's key): a second taxi
    the same day adds to it rather than being refused."""
    audit = to_step(audit, finance, 2)
    url = f"/audits/{audit.pk}/costs/expense/"
    values = {"client": "bravo", "spent_on": "2026-11-01", "category": "travel"}
    as_finance.post(url, {"version": v(audit), **values, "amount": "12.00", "note": "taxi to the site"})
    body = as_finance.post(
        url, {"version": v(audit), **values, "amount": "8.50", "note": "taxi back"}, follow=True
    ).content.decode()
    expense = portfolio["Bravo"].expenses.get()
    assert expense.amount == D("20.50") and expense.note == "taxi to the site\ntaxi back"
    assert "Added to the expense of Bravo on 1 Nov 2026 (Travel), now 20.50" in body
    assert ActivityLog.objects.filter(action="audit.cost_added").count() == 2
    # A double submission (the same form sent twice) is refused by the audit's version: not added twice.
    stale = as_finance.post(url, {"version": v(audit) - 1, **values, "amount": "8.50"}, follow=True)
    assert "changed" in stale.content.decode()
    assert portfolio["Bravo"].expenses.get().amount == D("20.50")


def test_a_second_hourly_cost_of_the_same_day_is_refused_with_the_one_in_force(as_finance, audit, finance):
    audit = to_step(audit, finance, 2)
    url = f"/audits/{audit.pk}/costs/staff-cost/"
    values = {"staff": finance.pk, "effective_from": "2026-01-01"}
    as_finance.post(url, {"version": v(audit), **values, "hourly_cost": "70"})
    body = as_finance.post(
        url, {"version": v(audit), **values, "hourly_cost": "75"}, follow=True
    ).content.decode()
    finance.refresh_from_db()
    assert re.search(
        rf"{finance.get_full_name()} already has an hourly cost in force from 1 Jan 2026 \(70\.00\sEUR an hour\)",
        body,
    )
    assert finance.staff_costs.get(effective_from=dt.date(2026, 1, 1)).hourly_cost == D("70")
