"""The screens fit, in every language: a one-line menu and no sideways scroll at 1366 px (the
payments tables in full), the client page's ageing inside its card, the imports page on a 768 px
tablet. Long names and six-figure amounts, as in a real portfolio."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from audits.profitability import runs
from clients.models import ImportJob
from tests.factories import ClientFactory, InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["en", "fr", "nl", "ro"]
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def ledger(manager):
    today = timezone.localdate()
    for n in range(3):
        client = ClientFactory(
            name=f"Transporturi Internaționale Dunărea Nord-Vest {n} S.R.L.", account_manager=manager
        )
        for days_overdue in (-10, 20, 45, 75, 120):
            InvoiceFactory(
                client=client,
                issued_on=today - dt.timedelta(days=30 + days_overdue),
                due_on=today - dt.timedelta(days=days_overdue),
                amount=D("123456.78"),
            )
    runs.profitability_recompute()
    return client


def _open(page, live_server, language, path):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_menu_holds_on_one_line_at_1366_px(log_in, live_server, admin_user, language):
    page = log_in(admin_user)
    _open(page, live_server, language, "/dashboard/")
    menu = page.locator(".mainnav").bounding_box()
    link = page.locator(".mainnav > a").first.bounding_box()
    assert menu["height"] < 1.5 * link["height"]
    assert page.evaluate(SIDEWAYS) == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_payments_tables_show_every_column_at_1366_px(
    log_in, live_server, finance, ledger, language, shot
):
    page = log_in(finance)
    _open(page, live_server, language, "/payments/")
    shot(f"payments-{language}")
    assert page.evaluate(SIDEWAYS) == 0
    hidden = page.evaluate(
        "() => [...document.querySelectorAll('.table-container')].map(box => box.scrollWidth - box.clientWidth)"
    )
    assert hidden and max(hidden) <= 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_client_pages_ageing_stays_in_its_card(log_in, live_server, finance, ledger, language):
    page = log_in(finance)
    _open(page, live_server, language, f"/clients/{ledger.pk}/profitability/")
    spill = page.evaluate(
        """() => { const card = document.querySelector('table.buckets').closest('.card');
          const edge = card.getBoundingClientRect().right;
          return [...card.querySelectorAll('table, dd')].map(el => el.getBoundingClientRect().right - edge); }"""
    )
    assert spill and max(spill) <= 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_imports_page_fits_a_tablet(log_in, live_server, admin_user, language, shot):
    ImportJob.objects.create(
        created_by=admin_user,
        kind=ImportJob.Kind.INVOICES,
        filename="factures_2026_T4_cabinet_bruxelles_version_definitive.xlsx",
        content=b"",
        status=ImportJob.Status.IMPORTED,
        total_rows=12345,
    )
    page = log_in(admin_user)
    page.set_viewport_size({"width": 768, "height": 1024})
    _open(page, live_server, language, "/imports/")
    shot(f"imports-768-{language}")
    assert page.evaluate(SIDEWAYS) == 0


def test_every_chart_is_drawn_whole_inside_its_card_on_a_phone(log_in, live_server, finance, ledger):
    page = log_in(finance)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/dashboard/", f"/clients/{ledger.pk}/profitability/", "/payments/"):
        _open(page, live_server, "en", path)
        shown = (
            "[...document.querySelectorAll('.card svg')].filter(svg => svg.getBoundingClientRect().width > 0)"
        )
        spill = page.evaluate(
            f"""() => {shown}.map(svg => {{
                 const card = svg.closest('.card').getBoundingClientRect();
                 const box = svg.getBoundingClientRect();
                 return Math.max(box.right - card.right, card.left - box.left); }})"""
        )
        assert spill and max(spill) <= 0, (path, spill)
        # The phone's drawing is shown: its smallest label as large as the page's small print.
        smallest = page.evaluate(
            f"""() => Math.min(...{shown}.map(svg => {{
                 const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                 const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')));
                 return Math.min(...sizes) * scale; }}))"""
        )
        assert smallest >= 8, (path, smallest)


def test_a_message_stands_at_the_right_and_is_dismissed(log_in, live_server, finance):
    from playwright.sync_api import expect

    page = log_in(finance)
    page.goto(f"{live_server.url}/settings/costs/")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    message = page.locator(".messages .message.success")
    expect(message).to_be_visible()
    box, content = message.bounding_box(), page.locator("main").bounding_box()
    assert box["x"] + box["width"] >= content["x"] + content["width"] - 40  # at the right
    heading = page.locator("main h1").bounding_box()["y"]
    message.locator("[data-dismiss]").click()
    expect(page.locator(".messages")).to_have_count(0)
    assert page.locator("main h1").bounding_box()["y"] == heading  # the page does not move


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_ranking_and_the_audits_cost_table_show_every_column_at_1366_px(
    log_in, live_server, finance, ledger, language, shot
):
    from audits.models import Audit
    from audits.review import computation

    today = timezone.localdate()
    audit = computation.audit_start(
        user=finance,
        title="Audit",
        period_start=today - dt.timedelta(days=364),
        period_end=today,
        scope=Audit.Scope.ALL,
    )
    page = log_in(finance)
    for path in ("/ranking/", f"/audits/{audit.pk}/costs/"):
        _open(page, live_server, language, path)
        shot(f"wide-table-{language}-{path.strip('/').replace('/', '-')}")
        assert page.locator(".table-container td").count() > 0, path
        hidden = page.evaluate(
            "() => [...document.querySelectorAll('.table-container')].map(box => box.scrollWidth - box.clientWidth)"
        )
        assert max(hidden) <= 0, path
        # Only the client's name keeps a minimum width: the figures take what they need.
        widths = page.evaluate(
            "() => [...document.querySelector('.table-container tbody tr').cells]"
            ".map(cell => [cell.className, getComputedStyle(cell).minWidth])"
        )
        assert [name for name, width in widths if width not in ("0px", "auto")] == ["client"], path
