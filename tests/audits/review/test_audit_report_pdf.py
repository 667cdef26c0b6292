"""The audit report as PDF: what it holds (read back with pdftotext), the draft marking before
completion, the escaping of text, the language and who may download it."""

import re
import shutil
import subprocess

import pytest

from audits.models import Audit, Decision
from audits.review import decisions, pdf, selectors
from clients import display
from tests.audits.review.test_audit_steps import (  # noqa: F401 (fixtures)
    complete,
    decide,
    portfolio,
    review,
    start,
    to_step,
    v,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext"),
]

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def audit(finance, portfolio, django_capture_on_commit_callbacks):  # noqa: F811
    return start(finance, django_capture_on_commit_callbacks)


def pdf_text(content: bytes, tmp_path) -> str:
    """The PDF's text, its spaces (no-break ones included) and line breaks made single spaces."""
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def same_spaces(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("\u00a0", " "))


def download(http, audit):
    response = http.get(f"/audits/{audit.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response


def test_a_completed_audits_pdf_holds_the_audit_its_flags_decisions_and_what_if(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
    tmp_path,
):
    audit = complete(audit, finance, portfolio)
    assert audit.is_completed
    response = download(as_finance, audit)
    assert response["Content-Disposition"] == f'attachment; filename="audit-{audit.pk}.pdf"'
    text = pdf_text(response.content, tmp_path)
    assert "Audit 2026" in text
    assert "Final report" in text and "Draft" not in text
    # The flagged clients, with their reviews and decisions; the profitable ones are not listed.
    assert "Bravo" in text and "Delta" in text and "Charlie" not in text
    assert "Transition out: over 6 months" in text and "Reprice: +300.00 % on prices" in text
    assert "Flag confirmed" in text
    result = decisions.what_if(audit)
    assert same_spaces(display.money(result.net_profit_after)) in text
    assert same_spaces(display.money(audit.portfolio.figures["revenue"], 0)) in text
    # The summary's figures, the risk notes and the history.
    assert "2 clients make 80 % of revenue." in text
    for words in ("Cost to serve", "Net profit after overhead", "Whale curve", "HHI", "planned for"):
        assert words in text, words
    assert "completed the audit" in text and "recorded a decision" in text


def test_the_charts_are_drawn_in_the_pdf(as_finance, audit, finance, tmp_path):
    audit = to_step(audit, finance, 3)
    html = pdf.audit_report_html(audit)
    assert html.count("<svg") == 4
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    # The charts' axis labels are text in the PDF (matplotlib's SVG text, not paths).
    assert "cumulative share of revenue" in text and "Tier 1" in text


def test_the_pdf_is_a_draft_until_the_audit_is_completed(as_finance, audit, finance, tmp_path):
    audit = to_step(audit, finance, 5)
    response = download(as_finance, audit)
    assert response["Content-Disposition"] == f'attachment; filename="audit-{audit.pk}-draft.pdf"'
    text = pdf_text(response.content, tmp_path)
    assert "Draft: the audit is in progress" in text and "Final report" not in text
    assert "Not reviewed yet." not in text  # to_step reviewed every flag
    assert "No decision yet." in text


def test_text_is_escaped_in_the_pdf(as_finance, audit, finance, portfolio, tmp_path):  # noqa: F811
    portfolio["Bravo"].name = SCRIPT
    portfolio["Bravo"].save()
    audit = to_step(audit, finance, 4)
    html = pdf.audit_report_html(audit)
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    assert SCRIPT in re.sub(r"\s", "", text)  # shown as the text it is (maybe wrapped), not as markup


def test_the_pdf_is_in_the_users_language(as_finance, audit, finance, tmp_path):
    from django.conf import settings

    audit = to_step(audit, finance, 3)
    as_finance.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    assert "Chiffre d’affaires" in text or "Chiffre d'affaires" in text
    assert "9 000 EUR" in text or "14 300 EUR" in text  # French grouping


def test_a_pdf_before_the_figures_are_computed(as_finance, finance, tmp_path):
    import datetime as dt

    audit = Audit.objects.create(
        title="Pending", period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 6, 30), owner=finance
    )
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    assert "Pending" in text and "Draft" in text


def test_only_finance_and_admins_download_the_pdf(as_manager, as_admin, as_finance, audit):
    assert as_manager.get(f"/audits/{audit.pk}/report.pdf").status_code == 403
    assert as_admin.get(f"/audits/{audit.pk}/report.pdf").status_code == 200
    page = as_finance.get(f"/audits/{audit.pk}/").content.decode()
    assert f'href="/audits/{audit.pk}/report.pdf"' in page and "Draft report (PDF)" in page
    assert "report.pdf" not in as_manager.get(f"/audits/{audit.pk}/").content.decode()


def test_a_large_audit_lists_its_largest_losses_and_counts_the_others(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    monkeypatch.setattr(pdf, "FLAGGED_SHOWN", 1)
    audit = to_step(audit, finance, 5)
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    # Bravo loses 1,400.00, Delta 950.00: Bravo alone is listed.
    flagged = text.split("Flagged clients", 1)[1].split("What the decisions do", 1)[0]
    assert "The 1 largest losses are listed; 1 other flagged client is in the XLSX report." in flagged
    assert "Bravo" in flagged and "Delta" not in flagged


def test_the_pdf_counts_the_decisions_on_flagged_clients_only(
    as_finance,
    audit,
    finance,
    portfolio,  # noqa: F811
    tmp_path,
):
    """An "invest" decision on a top-tier client that no flag brought to step 5 is listed apart, not
    counted among the flags' decisions."""
    audit = to_step(audit, finance, 5)
    decide(audit, finance, portfolio["Bravo"], "transition", months=6)
    decide(audit, finance, portfolio["Alpha"], "invest", reason="grow")
    assert Decision.objects.filter(audit=audit).count() == 2
    assert audit.flags_undecided == 0 and selectors.flags_decided(audit) == 1
    text = pdf_text(download(as_finance, audit).content, tmp_path)
    assert "2 flagged clients; 2 reviewed, 1 decided." in text


def test_an_overridden_flag_reads_as_kept_not_as_awaiting_a_decision(audit, finance, portfolio):  # noqa: F811
    from audits.review.pdf import audit_report_html

    audit = to_step(audit, finance, 4)
    for name, verdict in (("Delta", "override"), ("Bravo", "confirm")):
        review(audit, finance, portfolio[name], verdict)
        audit.refresh_from_db()
    html = audit_report_html(audit)
    assert html.count("Kept as it is: the flag is overridden.") == 1
    assert html.count("No decision yet.") == 1  # Bravo's, confirmed and not decided yet
