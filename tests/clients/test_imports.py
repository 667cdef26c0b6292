"""Imports of the ledger: upload, preview with line numbers, confirm, all or nothing."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clients.imports.files import ImportFileError, import_columns, import_rows_estimate, import_template_csv
from clients.imports.jobs import PROGRESS_EVERY, _ProgressWriter, import_job_preview
from clients.imports.rows import import_file
from clients.models import Client, Contact, Expense, ImportJob, Interaction, Invoice, Payment
from clients.roles import ACCOUNT_MANAGERS
from tests.factories import ClientFactory, ContactFactory, InvoiceFactory, PaymentFactory

INVOICE_HEADER = ["number", "client_ref", "issued_on", "due_on", "amount", "cost_of_sales", "written_off"]


def csv_bytes(header, rows, *, delimiter=",", encoding="utf-8"):
    lines = [delimiter.join(header)] + [delimiter.join(str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(http, kind, name, content):
    return http.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(name, content)})


def last_job():
    return ImportJob.objects.order_by("-created_at").first()


def error_messages(job):
    return [(error["line"], error["column"], error["message"]) for error in job.errors]


@pytest.fixture
def acme(manager):
    return ClientFactory(external_ref="ACME", name="Acme", account_manager=manager)


@pytest.fixture
def globex(manager):
    return ClientFactory(external_ref="GLOBEX", name="Globex", account_manager=manager)


def invoice_rows():
    return [
        ["INV-1", "ACME", "2025-01-10", "2025-02-09", "1000.00", "400.00", "0"],
        ["INV-2", "GLOBEX", "2025-02-10", "2025-03-12", "250.50", "", ""],
        ["CN-1", "ACME", "2025-03-01", "2025-03-01", "-100", "", ""],
    ]


# -- the page and who may use it ---------------------------------------------------------------


def test_it_shows_each_kinds_columns_and_a_template(as_finance):
    page = as_finance.get("/imports/").content.decode()
    for column in ("external_ref", "invoice_number", "duration_minutes", "category"):
        assert column in page
    template = as_finance.get("/imports/template/invoices.csv")
    assert template["Content-Type"].startswith("text/csv")
    header, example = template.content.decode().strip().split("\r\n")
    assert header == ",".join(INVOICE_HEADER)
    assert example == "F-2026-0101,C00042,2026-10-01,2026-10-31,1250.00,700.00,0.00"
    assert as_finance.get("/imports/template/nothing.csv").status_code == 404


@pytest.mark.parametrize("kind", ["clients", "contacts", "interactions", "invoices", "payments", "expenses"])
def test_each_template_has_one_example_row_that_imports(finance, manager, kind):
    from django.contrib.auth import get_user_model

    from tests.factories import UserFactory

    if not get_user_model().objects.filter(username="alice").exists():
        UserFactory(username="alice", role=ACCOUNT_MANAGERS)
    # What the examples refer to: the client C00042 and its invoice F-2026-0101.
    if kind != "clients":
        client = ClientFactory(external_ref="C00042")
        if kind == "payments":
            InvoiceFactory(
                client=client, number="F-2026-0101", issued_on=dt.date(2026, 10, 1), amount=Decimal("1250")
            )
    content = import_template_csv(kind=kind).encode()
    assert len(content.decode().strip().split("\r\n")) == 2
    outcome = import_file(kind=kind, filename="t.csv", content=content, user=finance)
    assert outcome.errors == []
    assert outcome.total == 1


def test_it_refuses_managers_and_sends_anonymous_to_log_in(client, as_manager, acme):
    assert as_manager.get("/imports/").status_code == 403
    response = upload(as_manager, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()[:1]))
    assert response.status_code == 403
    assert not Invoice.objects.exists()
    anonymous = client.get("/imports/")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")


def test_it_hides_another_users_job(as_finance, as_admin, acme, globex):
    upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()))
    job = last_job()
    assert as_admin.get(f"/imports/{job.pk}/").status_code == 404
    assert as_admin.get(f"/imports/{job.pk}/status/").status_code == 404
    assert as_admin.post(f"/imports/{job.pk}/confirm/").status_code == 404
    assert not Invoice.objects.exists()


def test_other_managers_clients_are_unknown_in_imports(manager, acme, foreign_client):
    manager.user_permissions.add(Permission.objects.get(codename="import_data"))
    outcome = import_file(
        kind="invoices",
        filename="invoices.csv",
        content=csv_bytes(
            INVOICE_HEADER,
            [
                ["INV-1", "ACME", "2025-01-10", "2025-02-09", "10", "", ""],
                ["INV-2", foreign_client.external_ref, "2025-01-10", "2025-02-09", "10", "", ""],
            ],
        ),
        user=manager,
    )
    assert outcome.errors == [
        {
            "line": 3,
            "column": "client_ref",
            "message": f"Unknown client reference “{foreign_client.external_ref}”.",
        }
    ]
    assert not Invoice.objects.exists()


# -- the flow: upload, preview, confirm ---------------------------------------------------------


def test_it_previews_then_imports_invoices_from_csv(as_finance, acme, globex):
    response = upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()))
    job = last_job()
    assert response.status_code == 302 and response.url == f"/imports/{job.pk}/"
    assert job.status == ImportJob.Status.PREVIEWED
    assert (job.rows_new, job.rows_updated, job.rows_unchanged, job.error_count) == (3, 0, 0, 0)
    assert not Invoice.objects.exists(), "a preview writes nothing"
    page = as_finance.get(job.get_absolute_url()).content.decode()
    assert "Ready to import" in page and "INV-2" in page and "Import: 3 new, 0 updated" in page

    response = as_finance.post(f"/imports/{job.pk}/confirm/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTED
    assert job.rows_new == 3
    first = Invoice.objects.get(number="INV-1")
    assert (first.client, first.amount, first.cost_of_sales, first.written_off) == (
        acme,
        Decimal("1000.00"),
        Decimal("400.00"),
        Decimal("0.00"),
    )
    second = Invoice.objects.get(number="INV-2")
    assert second.cost_of_sales is None and second.amount == Decimal("250.50")
    assert Invoice.objects.get(number="CN-1").is_credit_note
    # A second confirmation does nothing more.
    as_finance.post(f"/imports/{job.pk}/confirm/")
    assert Invoice.objects.count() == 3


def test_it_imports_an_xlsx_file_with_native_dates_and_numbers(as_finance, acme):
    content = xlsx_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"],
        [
            ["ACME", dt.datetime(2025, 4, 2), "Travel", 120.1, "Train"],
            ["ACME", dt.date(2025, 4, 3), "commission", 75, None],
        ],
    )
    upload(as_finance, "expenses", "expenses.xlsx", content)
    job = last_job()
    assert job.error_count == 0, job.errors
    # The preview shows a date cell as a date, not as midnight.
    assert job.preview["rows"][0][1][1] == "2025-04-02"
    as_finance.post(f"/imports/{job.pk}/confirm/")
    travel = Expense.objects.get(category="travel")
    assert (travel.spent_on, travel.amount, travel.note) == (dt.date(2025, 4, 2), Decimal("120.10"), "Train")
    assert Expense.objects.get(category="commission").amount == Decimal("75.00")


def test_reimporting_the_same_file_changes_nothing(finance, acme, globex):
    content = csv_bytes(INVOICE_HEADER, invoice_rows())
    first = import_file(kind="invoices", filename="i.csv", content=content, user=finance)
    assert (first.new, first.updated, first.unchanged) == (3, 0, 0)
    before = list(Invoice.objects.order_by("number").values())
    again = import_file(kind="invoices", filename="i.csv", content=content, user=finance)
    assert (again.new, again.updated, again.unchanged, again.errors) == (0, 0, 3, [])
    assert list(Invoice.objects.order_by("number").values()) == before


def test_a_corrected_file_updates_by_natural_key(finance, acme, globex):
    import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(INVOICE_HEADER, invoice_rows()), user=finance
    )
    ids = dict(Invoice.objects.values_list("number", "pk"))
    corrected = invoice_rows()
    corrected[1] = ["INV-2", "ACME", "2025-02-10", "2025-03-31", "260.00", "100", "10"]
    outcome = import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(INVOICE_HEADER, corrected), user=finance
    )
    assert (outcome.new, outcome.updated, outcome.unchanged) == (0, 1, 2)
    assert dict(Invoice.objects.values_list("number", "pk")) == ids
    invoice = Invoice.objects.get(number="INV-2")
    assert (invoice.client, invoice.due_on, invoice.amount, invoice.cost_of_sales, invoice.written_off) == (
        acme,
        dt.date(2025, 3, 31),
        Decimal("260.00"),
        Decimal("100.00"),
        Decimal("10.00"),
    )


def test_the_preview_says_what_each_update_changes(as_finance, finance, acme, globex):
    """An invoice moved to another client by a re-import is said before it is imported: the
    preview lists each updated row's columns, stored and in the file."""
    import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(INVOICE_HEADER, invoice_rows()), user=finance
    )
    corrected = invoice_rows()
    corrected[1] = ["INV-2", "ACME", "2025-02-10", "2025-03-31", "260.00", "", ""]
    upload(as_finance, "invoices", "i.csv", csv_bytes(INVOICE_HEADER, corrected))
    job = last_job()
    assert job.changes == [
        {
            "line": 3,
            "key": "Invoice number INV-2",
            "columns": [
                ["client_ref", "GLOBEX", "ACME"],
                ["due_on", "2025-03-12", "2025-03-31"],
                ["amount", "250.50", "260.00"],
            ],
        }
    ]
    page = as_finance.get(f"/imports/{job.pk}/").content.decode()
    assert "What the updates change" in page and "<strong>ACME</strong>" in page
    assert Invoice.objects.get(number="INV-2").client == globex  # a preview writes nothing


def test_one_bad_row_imports_nothing_and_names_its_line(as_finance, finance, acme, globex):
    rows = invoice_rows()
    rows[2][2] = "2025-13-01"
    upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, rows))
    job = last_job()
    assert error_messages(job) == [(4, "issued_on", "“2025-13-01” is not a date: write it as YYYY-MM-DD.")]
    page = as_finance.get(job.get_absolute_url()).content.decode()
    assert "The file cannot be imported" in page and "2025-13-01" in page and "Import: " not in page
    as_finance.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    # Straight through the service as well: the valid rows are rolled back with the bad one.
    outcome = import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(INVOICE_HEADER, rows), user=finance
    )
    assert [error["line"] for error in outcome.errors] == [4]
    assert not Invoice.objects.exists()


def test_it_counts_lines_past_blank_lines_and_multi_line_cells(finance, acme):
    content = (
        b"client_ref,spent_on,category,amount,note\r\n"
        b'ACME,2025-01-01,travel,10,"two\r\nlines"\r\n'
        b"\r\n"
        b"ACME,2025-01-02,travel,abc,\r\n"
    )
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert [(e["line"], e["column"]) for e in outcome.errors] == [(5, "amount")]


def test_it_reads_semicolons_and_decimal_commas(finance, acme):
    content = csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"],
        [["ACME", "2025-01-01", "travel", "1 234,50", "Hôtel"]],
        delimiter=";",
    )
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert outcome.errors == []
    expense = Expense.objects.get()
    assert (expense.amount, expense.note) == (Decimal("1234.50"), "Hôtel")


# -- readable messages -------------------------------------------------------------------------


def file_error(finance, kind, filename, content):
    with pytest.raises(ImportFileError) as caught:
        import_file(kind=kind, filename=filename, content=content, user=finance)
    return caught.value.message


def row_errors(finance, kind, header, rows):
    outcome = import_file(kind=kind, filename="f.csv", content=csv_bytes(header, rows), user=finance)
    return [(error["line"], error["column"], error["message"]) for error in outcome.errors]


def test_it_names_missing_and_extra_columns(as_finance, finance):
    header = ["number", "client", "issued_on", "due_on", "amount", "cost_of_sales", "written_off", "vat"]
    message = file_error(finance, "invoices", "i.csv", csv_bytes(header, [["1"] * 8]))
    assert "Missing columns: client_ref." in message
    assert "Unexpected columns: client, vat." in message
    response = upload(as_finance, "invoices", "i.csv", csv_bytes(header, [["1"] * 8]))
    assert response.status_code == 200
    assert "Missing columns: client_ref." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_it_accepts_headers_in_any_case_and_order(finance, acme):
    header = ["Amount", "Number", "Client ref", "Due_on", "issued_on", "written_off", "cost_of_sales"]
    outcome = import_file(
        kind="invoices",
        filename="i.csv",
        content=csv_bytes(header, [["10", "INV-9", "ACME", "2025-02-01", "2025-01-01", "", ""]]),
        user=finance,
    )
    assert outcome.errors == [] and Invoice.objects.get().number == "INV-9"


def test_it_explains_a_bad_date(finance, acme):
    rows = [["INV-1", "ACME", "10/01/2025", "2025-02-09", "10", "", ""]]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (2, "issued_on", "“10/01/2025” is not a date: write it as YYYY-MM-DD.")
    ]


def test_it_explains_a_bad_number(finance, acme):
    rows = [["INV-1", "ACME", "2025-01-10", "2025-02-09", "ten", "", ""]]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [(2, "amount", "“ten” is not a number.")]


def test_it_explains_a_due_date_before_the_issue_date(finance, acme):
    rows = [["INV-1", "ACME", "2025-01-10", "2025-01-09", "10", "", ""]]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (2, "due_on", "The due date cannot be before the issue date.")
    ]


def test_it_explains_a_negative_duration(finance, manager, acme):
    header = ["client_ref", "staff", "started_at", "kind", "duration_minutes", "note"]
    rows = [
        ["ACME", "manager", "2025-01-10 09:30", "call", "30", ""],
        ["ACME", "manager", "2025-01-11 09:30", "call", "-15", ""],
        ["ACME", "nobody", "2025-01-12 09:30", "call", "15", ""],
    ]
    assert row_errors(finance, "interactions", header, rows) == [
        (3, "duration_minutes", "The duration must be above zero minutes, not -15."),
        (4, "staff", "Unknown username “nobody”."),
    ]
    assert not Interaction.objects.exists()


def test_a_file_is_held_to_the_rules_the_forms_keep(finance, manager, acme):
    """An interaction of more than a day, a payment or an expense dated after today (18 Nov 2026):
    refused by the import as by the pages (the models' own rules)."""
    header = ["client_ref", "staff", "started_at", "kind", "duration_minutes", "note"]
    rows = [["ACME", "manager", "2025-01-10 09:30", "call", "100000", ""]]
    assert row_errors(finance, "interactions", header, rows) == [
        (2, "duration_minutes", "An interaction cannot last more than a day.")
    ]
    invoice = InvoiceFactory(client=acme, number="INV-1", amount=Decimal("1000.00"))
    rows = [["INV-1", "2026-11-18", "100"], ["INV-1", "2026-11-19", "100"]]
    assert row_errors(finance, "payments", ["invoice_number", "paid_on", "amount"], rows) == [
        (3, "paid_on", "A payment cannot be dated in the future.")
    ]
    rows = [["ACME", "2026-11-19", "travel", "75.50", ""]]
    assert row_errors(
        finance, "expenses", ["client_ref", "spent_on", "category", "amount", "note"], rows
    ) == [(2, "spent_on", "An expense cannot be dated in the future.")]
    assert not Interaction.objects.exists() and not invoice.payments.exists() and not acme.expenses.exists()


def test_it_explains_an_unknown_client_reference(finance, acme):
    rows = [["INV-1", "NOPE", "2025-01-10", "2025-02-09", "10", "", ""]]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (2, "client_ref", "Unknown client reference “NOPE”.")
    ]


def test_it_explains_a_duplicate_invoice_number_in_the_file(finance, acme):
    rows = [
        ["INV-1", "ACME", "2025-01-10", "2025-02-09", "10", "", ""],
        ["INV-2", "ACME", "2025-01-10", "2025-02-09", "10", "", ""],
        ["INV-1", "ACME", "2025-01-11", "2025-02-09", "12", "", ""],
    ]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (4, "", "Invoice number INV-1 appears twice in this file: on line 2 and on this line.")
    ]
    assert not Invoice.objects.exists()


def test_it_reads_a_windows_1252_file_and_says_so(as_finance, finance, acme):
    content = csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"],
        [["ACME", "2025-01-01", "travel", "10", "Hôtel à Liège - façade côté gare"]],
        encoding="cp1252",
    )
    upload(as_finance, "expenses", "e.csv", content)
    page = as_finance.get(f"/imports/{last_job().pk}/").content.decode()
    assert "read as Windows-1252" in page
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert outcome.errors == []
    assert Expense.objects.get().note == "Hôtel à Liège - façade côté gare"


def test_it_reads_a_romanian_windows_1250_file_for_a_romanian_user(finance):
    from django.utils import translation

    ClientFactory(external_ref="RO1")
    content = csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"],
        [["RO1", "2025-01-01", "travel", "10", "Cazare în Brăila - Ştefan şi Ţăranu"]],
        encoding="cp1250",
    )
    with translation.override("ro"):
        import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert Expense.objects.get().note == "Cazare în Brăila - Ştefan şi Ţăranu"


@pytest.mark.parametrize(
    "language, encoding, note, read_as",
    [
        ("ro", "cp1252", "Brûlerie Hélène à Liège", "Windows-1252"),
        ("fr", "cp1250", "Fabrica Ştefănescu - Producţie Braşov", "Windows-1250"),
    ],
)
def test_a_legacy_file_is_read_as_its_letters_say_whatever_the_users_language(
    finance, acme, language, encoding, note, read_as
):
    """A French file uploaded by a user working in Romanian, and the other way round: the code page
    that reads as the firm's languages wins ("Hélčne" and "ªtefãnescu" were read before)."""
    from django.utils import translation

    from clients.imports.files import csv_decode

    content = csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"],
        [["ACME", "2025-01-01", "travel", "10", note]],
        encoding=encoding,
    )
    with translation.override(language):
        assert csv_decode(content)[1] == read_as
        assert import_file(kind="expenses", filename="e.csv", content=content, user=finance).errors == []
    assert Expense.objects.get().note == note


def test_it_refuses_a_file_no_encoding_reads_with_confidence(finance, acme):
    content = b"client_ref,spent_on,category,amount,note\r\n" + bytes(range(0x80, 0x100)) * 4
    message = file_error(finance, "expenses", "e.csv", content)
    assert message.startswith("The file's characters cannot be read with confidence (from line 2)")
    assert "CSV UTF-8" in message
    assert not Expense.objects.exists()


def test_it_refuses_an_empty_file(as_finance, finance):
    assert file_error(finance, "invoices", "i.csv", b"") == "The file is empty."
    assert file_error(finance, "invoices", "i.csv", b"\r\n") == "The file is empty."
    assert (
        file_error(finance, "invoices", "i.csv", csv_bytes(INVOICE_HEADER, []))
        == "The file has a header but no rows to import."
    )
    response = upload(as_finance, "invoices", "i.csv", b"")
    assert "The file is empty." in response.content.decode()


def test_it_refuses_a_file_that_is_not_csv_or_xlsx(finance):
    assert (
        file_error(finance, "invoices", "invoices.pdf", b"%PDF-1.4")
        == "“invoices.pdf” is not a CSV or XLSX file. Upload a .csv or an .xlsx file."
    )
    assert file_error(finance, "invoices", "invoices.xlsx", b"number,amount\r\n") == (
        "This file is not an XLSX workbook. Upload a .csv or an .xlsx file."
    )
    assert file_error(finance, "invoices", "invoices.xlsx", b"PK\x03\x04 broken") == (
        "This file is not an XLSX workbook that can be read."
    )
    xlsx = xlsx_bytes(INVOICE_HEADER, [])
    assert file_error(finance, "invoices", "invoices.csv", xlsx).startswith("This file is not a CSV file.")


# -- rules of each kind ------------------------------------------------------------------------


def test_payments_may_not_exceed_the_invoice(finance, acme):
    invoice = InvoiceFactory(client=acme, number="INV-1", amount=Decimal("1000.00"))
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 2, 1), amount=Decimal("600.00"))
    header = ["invoice_number", "paid_on", "amount"]
    rows = [
        ["INV-1", "2025-02-15", "300"],
        ["INV-1", "2025-03-01", "150"],
    ]
    assert row_errors(finance, "payments", header, rows) == [
        (
            3,
            "amount",
            "This payment of 150.00 is above what remains open on invoice INV-1 (100.00).",
        )
    ]
    assert Payment.objects.count() == 1
    # Correcting the existing payment (same invoice and day) replaces its amount rather than adding it.
    rows = [["INV-1", "2025-02-01", "500"], ["INV-1", "2025-03-01", "500"]]
    assert row_errors(finance, "payments", header, rows) == []
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("500.00"), Decimal("500.00")]
    assert row_errors(finance, "payments", header, [["INV-404", "2025-03-01", "0"]]) == [
        (2, "invoice_number", "Unknown invoice number “INV-404”."),
        (2, "amount", "The amount must be above zero, not 0.00."),
    ]


def test_it_imports_clients_with_managers_and_referrals_in_the_same_file(finance, manager):
    header = [column for column, _help in import_columns(kind="clients")]
    row = dict.fromkeys(header, "")
    rows = [
        {
            **row,
            "external_ref": "NEW-1",
            "name": "First",
            "account_manager": "manager",
            "referred_by": "NEW-2",
        },
        {**row, "external_ref": "NEW-2", "name": "Second", "status": "Prospect", "acquisition_cost": "1500"},
        {**row, "external_ref": "NEW-3", "name": "Third", "is_strategic": "yes"},
    ]
    errors = row_errors(finance, "clients", header, [[r[c] for c in header] for r in rows])
    assert errors == [(4, "strategic_reason", "Say why this client is strategic.")]
    rows[2]["strategic_reason"] = "Reference customer"
    assert row_errors(finance, "clients", header, [[r[c] for c in header] for r in rows]) == []
    first, second = Client.objects.get(external_ref="NEW-1"), Client.objects.get(external_ref="NEW-2")
    assert first.account_manager == manager and first.referred_by == second
    assert (second.status, second.acquisition_cost) == ("prospect", Decimal("1500.00"))
    assert Client.objects.get(external_ref="NEW-3").is_strategic
    again = import_file(
        kind="clients",
        filename="c.csv",
        content=csv_bytes(header, [[r[c] for c in header] for r in rows]),
        user=finance,
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    # A file may neither start nor end a client's phase-out: a transition does.
    Client.objects.filter(external_ref="NEW-1").update(status=Client.Status.TRANSITIONING)
    rows[0]["status"], rows[1]["status"] = "active", "transitioning"
    errors = row_errors(finance, "clients", header, [[r[c] for c in header] for r in rows])
    assert [(line, column) for line, column, _message in errors] == [(2, "status"), (3, "status")]
    assert "its status follows its transition" in errors[0][2]
    assert Client.objects.get(external_ref="NEW-1").status == Client.Status.TRANSITIONING


def test_contacts_keep_one_primary_per_client(finance, acme):
    ContactFactory(client=acme, email="boss@acme.test", is_primary=True)
    header = ["client_ref", "email", "name", "role", "postal_address", "is_primary"]
    rows = [
        ["ACME", "ann@acme.test", "Ann", "Buyer", "1 Main St", "no"],
        ["ACME", "bob@acme.test", "Bob", "CFO", "", "yes"],
    ]
    assert row_errors(finance, "contacts", header, rows) == [
        (
            3,
            "is_primary",
            "Client ACME already has a primary contact (boss@acme.test); make it an ordinary contact first.",
        )
    ]
    rows[1][5] = "no"
    rows.append(["ACME", "boss@acme.test", "The Boss", "CEO", "", "yes"])
    assert row_errors(finance, "contacts", header, rows) == []
    assert Contact.objects.count() == 3
    assert Contact.objects.get(email="boss@acme.test").name == "The Boss"


CONTACT_HEADER = ["client_ref", "email", "name", "role", "postal_address", "is_primary", "language"]


def test_contacts_take_a_language_by_code_or_name_in_any_language(finance, acme):
    spellings = ["fr", "NL", "Romanian", "français", "Frans", "engleză", "NEERLANDAIS", "romana", "fr-BE", ""]
    rows = [["ACME", f"c{n}@acme.test", f"C{n}", "", "", "no", text] for n, text in enumerate(spellings)]
    assert row_errors(finance, "contacts", CONTACT_HEADER, rows) == []
    languages = dict(Contact.objects.values_list("email", "language"))
    assert [languages[f"c{n}@acme.test"] for n in range(len(spellings))] == [
        "fr", "nl", "ro", "fr", "fr", "en", "nl", "ro", "fr", "",
    ]  # fmt: skip


def test_a_bad_language_is_a_row_error_and_the_file_imports_nothing(finance, acme):
    rows = [
        ["ACME", "ann@acme.test", "Ann", "", "", "no", "nl"],
        ["ACME", "bob@acme.test", "Bob", "", "", "no", "German"],
        ["ACME", "eve@acme.test", "Eve", "", "", "no", "frx"],
    ]
    allowed = "en (English), fr (French), nl (Dutch), ro (Romanian)"
    assert row_errors(finance, "contacts", CONTACT_HEADER, rows) == [
        (
            3,
            "language",
            f"“German” is not one of the languages: {allowed} (the code or the language's name).",
        ),
        (4, "language", f"“frx” is not one of the languages: {allowed} (the code or the language's name)."),
    ]
    assert not Contact.objects.exists()


def test_a_file_without_the_language_column_keeps_the_stored_language(finance, acme):
    ContactFactory(client=acme, email="ann@acme.test", name="Ann", language="ro")
    header = CONTACT_HEADER[:-1]
    assert row_errors(finance, "contacts", header, [["ACME", "ann@acme.test", "Ann B", "", "", "no"]]) == []
    assert Contact.objects.get().language == "ro"
    assert (
        row_errors(
            finance, "contacts", CONTACT_HEADER, [["ACME", "ann@acme.test", "Ann B", "", "", "no", ""]]
        )
        == []
    )
    assert Contact.objects.get().language == ""


def test_the_contacts_template_has_the_language_column():
    header, example = import_template_csv(kind="contacts").strip().split("\r\n")
    assert header.split(",") == CONTACT_HEADER
    assert example.endswith(",yes,fr")
    assert "language" in dict(import_columns(kind="contacts"))


def test_interactions_update_by_client_staff_and_start(finance, manager, acme):
    header = ["client_ref", "staff", "started_at", "kind", "duration_minutes", "note"]
    rows = [["ACME", "manager", "2025-01-10 09:30", "Call", "30", "Kick-off"]]
    assert row_errors(finance, "interactions", header, rows) == []
    interaction = Interaction.objects.get()
    assert timezone.localtime(interaction.started_at).replace(tzinfo=None) == dt.datetime(2025, 1, 10, 9, 30)
    rows[0][4] = "45"
    outcome = import_file(
        kind="interactions", filename="i.csv", content=csv_bytes(header, rows), user=finance
    )
    assert (outcome.new, outcome.updated) == (0, 1)
    assert Interaction.objects.get().duration_minutes == 45


# -- large files: a Celery task with progress ---------------------------------------------------


def test_large_files_go_through_a_celery_task(
    settings, as_finance, acme, globex, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()))
    assert len(callbacks) == 1, "the preview is sent to Celery once the job is saved"
    job = last_job()
    assert job.status == ImportJob.Status.PREVIEWED and job.rows_new == 3
    assert not Invoice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        as_finance.post(f"/imports/{job.pk}/confirm/")
    assert len(callbacks) == 1
    status = as_finance.get(f"/imports/{job.pk}/status/").json()
    assert status == {
        "status": "imported",
        "label": "Imported",
        "running": False,
        "processed": 3,
        "total": 3,
        "percent": 100,
    }
    assert Invoice.objects.count() == 3


def test_a_waiting_job_shows_its_progress(
    settings, as_finance, acme, globex, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    with django_capture_on_commit_callbacks(execute=False):
        upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()))
    job = last_job()
    assert job.status == ImportJob.Status.PREVIEW_PENDING
    page = as_finance.get(job.get_absolute_url()).content.decode()
    assert '<progress class="progress"' in page and f"/imports/{job.pk}/status/" in page
    assert as_finance.get(f"/imports/{job.pk}/status/").json()["running"] is True
    # The task is safe to run twice: the second run finds the job claimed and does nothing.
    import_job_preview(job_id=job.pk)
    import_job_preview(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED


def test_a_user_without_the_permission_gets_403_even_on_their_old_job(as_finance, finance, acme, globex):
    upload(as_finance, "invoices", "invoices.csv", csv_bytes(INVOICE_HEADER, invoice_rows()))
    job = last_job()
    finance.groups.clear()
    assert as_finance.get(f"/imports/{job.pk}/").status_code == 403
    assert as_finance.post(f"/imports/{job.pk}/confirm/").status_code == 403


def test_xlsx_lines_follow_the_sheet_past_blank_rows_and_unnamed_empty_columns(finance, acme):
    header = ["client_ref", "spent_on", "category", "amount", "note", None]
    content = xlsx_bytes(
        header,
        [
            ["ACME", dt.date(2025, 1, 1), "travel", 10, "", None],
            [None, None, None, None, None, None],
            ["ACME", dt.date(2025, 1, 2), "lunch", 10, "", None],
        ],
    )
    outcome = import_file(kind="expenses", filename="e.xlsx", content=content, user=finance)
    assert [(e["line"], e["column"]) for e in outcome.errors] == [(4, "category")]
    assert outcome.errors[0]["message"].startswith("“lunch” is not one of: commission, travel")


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(finance):
    from django.db import transaction

    job = ImportJob.objects.create(created_by=finance, kind="invoices", filename="i.csv", content=b"x")
    writer = _ProgressWriter(job_id=job.pk)
    try:
        with transaction.atomic():
            writer(PROGRESS_EVERY - 1)  # between two updates: nothing written
            assert ImportJob.objects.get(pk=job.pk).processed_rows == 0
            writer(PROGRESS_EVERY)
            assert ImportJob.objects.get(pk=job.pk).processed_rows == PROGRESS_EVERY
            transaction.set_rollback(True)  # the import found an invalid row
        assert ImportJob.objects.get(pk=job.pk).processed_rows == PROGRESS_EVERY
    finally:
        writer.close()


def test_blank_lines_above_the_header_keep_the_numbering(finance, acme):
    content = b"\r\n\r\nclient_ref,spent_on,category,amount,note\r\nACME,2025-01-01,travel,oops,\r\n"
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert [(e["line"], e["column"]) for e in outcome.errors] == [(4, "amount")]


def test_it_refuses_a_line_longer_than_the_header(finance, acme):
    content = b"client_ref,spent_on,category,amount,note\r\nACME,2025-01-01,travel,10,,extra\r\n"
    assert file_error(finance, "expenses", "e.csv", content) == (
        "Line 2 has more cells (6) than the header has columns (5)."
    )


def test_rows_are_estimated_without_reading_the_file():
    assert import_rows_estimate(filename="i.csv", content=csv_bytes(INVOICE_HEADER, invoice_rows())) == 3
    xlsx = xlsx_bytes(INVOICE_HEADER, invoice_rows())
    assert import_rows_estimate(filename="i.xlsx", content=xlsx) == 3
    assert import_rows_estimate(filename="i.xlsx", content=b"PK\x03\x04 broken") == 0


def test_a_large_file_with_wrong_columns_reports_them_on_its_page(
    settings, as_finance, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    header = ["number", "client", "issued_on", "due_on", "amount", "cost_of_sales", "written_off"]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(as_finance, "invoices", "invoices.xlsx", xlsx_bytes(header, invoice_rows()))
    job = last_job()
    assert response.url == job.get_absolute_url()
    assert job.status == ImportJob.Status.PREVIEWED and not job.can_confirm
    assert error_messages(job)[0][:2] == (None, "")
    assert error_messages(job)[0][2].startswith("Missing columns: client_ref. Unexpected columns: client.")
    page = as_finance.get(job.get_absolute_url()).content.decode()
    assert "Missing columns: client_ref." in page


def test_a_client_file_cannot_overwrite_a_client_the_importer_cannot_see(manager, foreign_client):
    manager.user_permissions.add(Permission.objects.get(codename="import_data"))
    header = [column for column, _help in import_columns(kind="clients")]
    row = dict.fromkeys(header, "") | {"external_ref": foreign_client.external_ref, "name": "Taken over"}
    outcome = import_file(
        kind="clients", filename="c.csv", content=csv_bytes(header, [[row[c] for c in header]]), user=manager
    )
    assert [e["message"] for e in outcome.errors] == [
        f"The client reference “{foreign_client.external_ref}” is already in use."
    ]
    foreign_client.refresh_from_db()
    assert foreign_client.name == "Foreign Client"


def test_a_write_off_may_not_exceed_what_remains_unpaid(finance, acme):
    invoice = InvoiceFactory(
        client=acme, number="INV-1", issued_on=dt.date(2025, 1, 10), amount=Decimal("1000.00")
    )
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 2, 1), amount=Decimal("600.00"))
    rows = [["INV-1", "ACME", "2025-01-10", "2025-02-09", "1000", "", "500"]]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == [
        (
            2,
            "written_off",
            "The written-off amount (500.00) cannot exceed what remains unpaid on invoice INV-1 (400.00).",
        )
    ]
    invoice.refresh_from_db()
    assert invoice.written_off == Decimal("0.00")
    rows[0][-1] = "400"
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == []
    invoice.refresh_from_db()
    assert invoice.written_off == Decimal("400.00")


# -- files as accounting software exports them -------------------------------------------------

REQUIRED_INVOICE_HEADER = ["number", "client_ref", "issued_on", "due_on", "amount"]


def test_a_file_may_leave_out_the_optional_columns(finance, acme, globex):
    InvoiceFactory(
        client=acme,
        number="INV-1",
        issued_on=dt.date(2025, 1, 10),
        due_on=dt.date(2025, 2, 9),
        amount=Decimal("1000.00"),
        cost_of_sales=Decimal("400.00"),
        written_off=Decimal("10.00"),
    )
    rows = [
        ["INV-1", "ACME", "2025-01-10", "2025-02-28", "1000.00"],  # the due date moves
        ["INV-2", "GLOBEX", "2025-02-10", "2025-03-12", "250.50"],
    ]
    outcome = import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(REQUIRED_INVOICE_HEADER, rows), user=finance
    )
    assert (outcome.new, outcome.updated, outcome.errors) == (1, 1, [])
    updated, new = Invoice.objects.get(number="INV-1"), Invoice.objects.get(number="INV-2")
    # The columns left out keep the stored values of the updated invoice ...
    assert (updated.due_on, updated.cost_of_sales, updated.written_off) == (
        dt.date(2025, 2, 28),
        Decimal("400.00"),
        Decimal("10.00"),
    )
    # ... and give their defaults to the new one: no cost of sales (the default margin rate), nothing written off.
    assert (new.amount, new.cost_of_sales, new.written_off) == (Decimal("250.50"), None, Decimal("0.00"))
    again = import_file(
        kind="invoices", filename="i.csv", content=csv_bytes(REQUIRED_INVOICE_HEADER, rows), user=finance
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_a_client_file_with_only_references_and_names_keeps_the_rest(finance, manager, acme, globex):
    Client.objects.filter(pk=acme.pk).update(
        segment="Retail", acquisition_cost=Decimal("1500.00"), notes="Met at the fair", referred_by=globex
    )
    content = csv_bytes(["external_ref", "name"], [["ACME", "Acme Corporation"], ["NEW-1", "Initech"]])
    outcome = import_file(kind="clients", filename="c.csv", content=content, user=finance)
    assert (outcome.new, outcome.updated, outcome.errors) == (1, 1, [])
    acme.refresh_from_db()
    assert (acme.name, acme.account_manager, acme.segment, acme.acquisition_cost, acme.notes) == (
        "Acme Corporation",
        manager,
        "Retail",
        Decimal("1500.00"),
        "Met at the fair",
    )
    assert acme.referred_by == globex
    new = Client.objects.get(external_ref="NEW-1")
    assert (new.status, new.account_manager, new.acquisition_cost, new.referred_by) == (
        "active",
        None,
        None,
        None,
    )


def test_a_missing_required_column_is_named_with_the_required_ones(finance):
    header = ["number", "issued_on", "due_on", "amount"]
    message = file_error(
        finance, "invoices", "i.csv", csv_bytes(header, [["1", "2025-01-01", "2025-01-01", "1"]])
    )
    assert message == (
        "Missing columns: client_ref. "
        "A file of invoices has the columns: number, client_ref, issued_on, due_on, amount, cost_of_sales, "
        "written_off. Only these are required: number, client_ref, issued_on, due_on, amount."
    )


@pytest.mark.parametrize(("first_line", "delimiter"), [("sep=;", ";"), ("SEP=,", ","), ('"sep=;";;;', ";")])
def test_an_excel_separator_line_sets_the_delimiter(finance, acme, first_line, delimiter):
    rows = [["ACME", "2025-01-01", "travel", "12,50", "a, b"], ["ACME", "2025-01-02", "travel", "abc", ""]]
    if delimiter == ",":
        rows = [
            ["ACME", "2025-01-01", "travel", "12.50", "a; b"],
            ["ACME", "2025-01-02", "travel", "abc", ""],
        ]
    content = (first_line + "\r\n").encode() + csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"], rows, delimiter=delimiter
    )
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    # The separator line is line 1, the header line 2: the bad amount is on line 4.
    assert [(e["line"], e["column"], e["message"]) for e in outcome.errors] == [
        (4, "amount", "“abc” is not a number.")
    ]
    del rows[1]
    content = (first_line + "\r\n").encode() + csv_bytes(
        ["client_ref", "spent_on", "category", "amount", "note"], rows, delimiter=delimiter
    )
    outcome = import_file(kind="expenses", filename="e.csv", content=content, user=finance)
    assert outcome.errors == []
    assert Expense.objects.get().amount == Decimal("12.50")


def test_an_xlsx_amount_beyond_the_cent_is_refused_as_in_csv(finance, acme):
    header = ["client_ref", "spent_on", "category", "amount", "note"]
    rows = [
        ["ACME", dt.date(2025, 4, 1), "travel", 12.1, "kept as 12.10"],
        ["ACME", dt.date(2025, 4, 1), "tooling", 0.1 + 0.2, "a sum that reads 0.30"],
        ["ACME", dt.date(2025, 4, 1), "equipment", 12.345, "three decimals"],
    ]
    content = xlsx_bytes(header, rows)
    outcome = import_file(kind="expenses", filename="e.xlsx", content=content, user=finance)
    expected = [(4, "amount", "“12.345” has more than two decimals.")]
    assert [(e["line"], e["column"], e["message"]) for e in outcome.errors] == expected
    as_csv = [[*row[:3], str(row[3]), row[4]] for row in rows]
    as_csv[1][3] = "0.30"
    assert row_errors(finance, "expenses", header, as_csv) == expected
    del rows[2]
    outcome = import_file(kind="expenses", filename="e.xlsx", content=xlsx_bytes(header, rows), user=finance)
    assert outcome.errors == []
    assert dict(Expense.objects.values_list("category", "amount")) == {
        "travel": Decimal("12.10"),
        "tooling": Decimal("0.30"),
    }


def test_a_blank_cost_is_unknown_not_zero(finance, acme):
    header = ["external_ref", "name", "acquisition_cost"]
    content = csv_bytes(header, [["C-1", "Unknown cost", ""], ["C-2", "Free", "0"], ["C-3", "Paid", "1200"]])
    assert import_file(kind="clients", filename="c.csv", content=content, user=finance).errors == []
    assert dict(
        Client.objects.filter(external_ref__startswith="C-").values_list("name", "acquisition_cost")
    ) == {
        "Unknown cost": None,
        "Free": Decimal("0.00"),
        "Paid": Decimal("1200.00"),
    }
    rows = [
        ["INV-1", "ACME", "2025-01-10", "2025-02-09", "100", "", ""],
        ["INV-2", "ACME", "2025-01-10", "2025-02-09", "100", "0", ""],
    ]
    assert row_errors(finance, "invoices", INVOICE_HEADER, rows) == []
    assert dict(Invoice.objects.values_list("number", "cost_of_sales")) == {
        "INV-1": None,
        "INV-2": Decimal("0.00"),
    }


def test_it_refuses_interactions_dated_in_the_future_or_more_than_ten_years_back(finance, manager, acme):
    header = ["client_ref", "staff", "started_at", "kind", "duration_minutes", "note"]
    rows = [
        ["ACME", "manager", "2016-11-18 09:00", "call", "30", ""],  # ten years back to the day: kept
        ["ACME", "manager", "0026-05-01 09:00", "call", "30", ""],
        ["ACME", "manager", "0001-01-01 00:00", "call", "30", ""],
        ["ACME", "manager", "2026-11-19 09:00", "call", "30", ""],
    ]
    errors = row_errors(finance, "interactions", header, rows)
    assert [(line, column) for line, column, _message in errors] == [
        (3, "started_at"),
        (4, "started_at"),
        (5, "started_at"),
    ]
    assert "more than ten years back" in errors[0][2]
    assert "in the future" in errors[2][2]
    assert not Interaction.objects.exists()


def test_a_file_that_changes_nothing_offers_no_import(as_finance, finance, acme, globex):
    content = csv_bytes(INVOICE_HEADER, invoice_rows())
    import_file(kind="invoices", filename="i.csv", content=content, user=finance)
    upload(as_finance, "invoices", "i.csv", content)
    page = as_finance.get(last_job().get_absolute_url()).content.decode()
    assert "there is nothing to import" in page
    assert "Import: " not in page
    assert "3 rows" in page


def test_a_one_row_file_says_row(as_finance, acme):
    upload(as_finance, "invoices", "i.csv", csv_bytes(INVOICE_HEADER, invoice_rows()[:1]))
    page = as_finance.get(last_job().get_absolute_url()).content.decode()
    assert "· 1 row" in page and "1 rows" not in page


def test_a_row_lists_every_error_at_once(finance, acme):
    rows = [
        ["INV-1", "ACME", "2025-03-01", "2025-02-01", "abc", "", ""],  # a bad amount and a due date too early
    ]
    errors = row_errors(finance, "invoices", INVOICE_HEADER, rows)
    assert [(line, column) for line, column, _message in errors] == [(2, "amount"), (2, "due_on")], errors
    assert not Invoice.objects.exists()
