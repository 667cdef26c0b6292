"""Every URL pattern, walked as anonymous and as each role.

The table below must name every route of the app: a new route without an entry fails here,
so nobody adds a page without deciding who may reach it.
"""

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import InteractionFactory

# route name -> expected status for (manager, finance, admin). 200 = reachable, 403 = role refused.
EXPECTED = {
    "home": (302, 302, 302),
    "login": (302, 302, 302),  # already logged in: sent on
    "logout": (405, 405, 405),  # GET is refused; log-out is a POST
    "set_language": (302, 302, 302),
    "healthz": (503, 503, 503),  # public, for the load balancer; no successful run in this test
    "clients:list": (200, 200, 200),
    "clients:create": (403, 200, 200),
    "clients:search": (200, 200, 200),
    "clients:detail": (200, 200, 200),
    "clients:edit": (200, 200, 200),
    "interactions:list": (200, 200, 200),
    "interactions:create": (200, 200, 200),
    "interactions:edit": (200, 403, 403),  # own entries only: finance sees it but cannot edit it
    "interactions:delete": (200, 403, 403),
    "imports:index": (403, 200, 200),
    "imports:template": (403, 200, 200),
    "imports:detail": (403, 200, 404),  # a job is its uploader's alone
    "imports:status": (403, 200, 404),
    "imports:confirm": (403, 405, 405),  # POST only
    "profitability:seed_calculator": (200, 200, 200),
    "profitability:recompute": (403, 200, 200),
    "profitability:run_status": (403, 200, 200),
    "reports:dashboard": (200, 200, 200),
    "reports:ranking": (200, 200, 200),
    "reports:client": (200, 200, 200),
    "reports:payments": (200, 200, 200),
    "reports:prospects": (200, 200, 200),
    "profitability:cost_settings": (403, 200, 200),
    "transitions:list": (200, 200, 200),
    "transitions:create": (403, 200, 200),
    "transitions:cashflow": (200, 200, 200),
    "transitions:detail": (200, 200, 200),
    "transitions:stage": (403, 405, 405),  # POST only
    "transitions:schedule": (403, 200, 200),
    "transitions:alternatives": (403, 200, 200),
    "transitions:letter_draft": (403, 405, 405),
    "transitions:client": (200, 200, 200),
    "transitions:letter": (200, 200, 200),
    "transitions:letter_send": (403, 405, 405),
    "transitions:letter_pdf": (200, 200, 200),
    "transitions:template_list": (403, 403, 200),  # admins manage the templates
    "transitions:template_edit": (403, 403, 200),
    "transitions:letterhead": (403, 403, 200),
    "transitions:provider_list": (403, 200, 200),
    "transitions:provider_create": (403, 403, 200),
    "transitions:provider_edit": (403, 403, 200),
    # The client audit: finance and admins run it; account managers open it and comment on step 4.
    "review:list": (200, 200, 200),
    "review:start": (403, 200, 200),
    "review:detail": (200, 200, 200),
    "review:status": (200, 200, 200),
    "review:identify": (403, 200, 200),
    "review:costs": (403, 200, 200),
    "review:rank": (403, 200, 200),
    "review:flags": (200, 200, 200),
    "review:strategy": (403, 200, 200),
    "review:move": (403, 405, 405),  # POST only
    "review:refresh": (403, 405, 405),
    "review:check": (403, 405, 405),
    "review:check_rows": (403, 200, 200),  # every row of one of step 1's checks
    "review:expense": (403, 405, 405),
    "review:staff_cost": (403, 405, 405),
    "review:review": (403, 405, 405),
    "review:comment": (405, 405, 405),
    "review:decision": (403, 405, 405),
    "review:invest": (403, 405, 405),
    "review:risk": (403, 405, 405),
    "review:complete": (403, 405, 405),
    "review:report": (403, 200, 200),
    "review:report_pdf": (403, 200, 200),  # the PDF report: finance's and admins', as the XLSX
}
AUDIT_ROUTES = [
    name for name in EXPECTED if name.startswith("review:") and name not in ("review:list", "review:start")
]
AUDIT_CLIENT_ROUTES = ("review:review", "review:comment", "review:decision")
PUBLIC = {"login", "set_language", "healthz"}


def _names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def test_every_route_is_in_the_table():
    assert {name for name, _ in _names()} == set(EXPECTED)


@pytest.fixture
def urls(own_client, manager, finance):
    from django.urls import reverse

    from clients.models import ImportJob

    interaction = InteractionFactory(client=own_client, staff=manager)
    job = ImportJob.objects.create(created_by=finance, kind="invoices", filename="invoices.csv", content=b"")
    from audits.profitability.runs import run_create

    run = run_create()
    from audits.models import AlternativeProvider, LetterTemplate
    from audits.transitions import services as transition_services

    transition_services.letter_templates_install_defaults()  # after a transactional test's flush
    transition = transition_services.transition_create(
        client=own_client, user=finance, reason="Test", end_date=dt.date(2027, 3, 31)
    )
    letter = transition_services.letter_draft(transition=transition, kind="announcement", user=finance)
    provider = AlternativeProvider.objects.create(name="Other firm", services="Bookkeeping")
    from audits.models import Audit, AuditClient

    audit = Audit.objects.create(
        title="Audit", period_start=run.period_start, period_end=run.period_end, owner=finance
    )
    # The audit holds the manager's client: an account manager opens only such audits.
    AuditClient.objects.create(audit=audit, client=own_client)
    args = {
        **{name: [audit.pk] for name in AUDIT_ROUTES},
        **{name: [audit.pk, own_client.pk] for name in AUDIT_CLIENT_ROUTES},
        "review:check_rows": [audit.pk, "no_invoices"],
        "transitions:detail": [transition.pk],
        "transitions:stage": [transition.pk],
        "transitions:schedule": [transition.pk],
        "transitions:alternatives": [transition.pk],
        "transitions:letter_draft": [transition.pk, "alternatives"],
        "transitions:client": [own_client.pk],
        "transitions:letter": [letter.pk],
        "transitions:letter_send": [letter.pk],
        "transitions:letter_pdf": [letter.pk],
        "transitions:template_edit": [LetterTemplate.objects.first().pk],
        "transitions:provider_edit": [provider.pk],
        "imports:template": ["invoices"],
        "imports:detail": [job.pk],
        "imports:status": [job.pk],
        "imports:confirm": [job.pk],
        "profitability:run_status": [run.pk],
        "clients:detail": [own_client.pk],
        "reports:client": [own_client.pk],
        "clients:edit": [own_client.pk],
        "interactions:edit": [interaction.pk],
        "interactions:delete": [interaction.pk],
    }
    return {name: reverse(name, args=args.get(name, [])) for name in EXPECTED}


def test_anonymous_is_sent_to_log_in(client, urls):
    for name, url in urls.items():
        response = client.get(url)
        if name in PUBLIC:
            continue
        assert response.status_code == 302, name
        assert response.url.startswith("/accounts/login/"), name


@pytest.mark.parametrize("role_index, fixture", [(0, "as_manager"), (1, "as_finance"), (2, "as_admin")])
def test_each_role_reaches_what_it_may(request, urls, role_index, fixture):
    http = request.getfixturevalue(fixture)
    for name, url in urls.items():
        response = http.get(url)
        assert response.status_code == EXPECTED[name][role_index], (name, response.status_code)


def test_it_refuses_other_managers_clients(as_manager, foreign_client):
    assert as_manager.get(f"/clients/{foreign_client.pk}/").status_code == 404
    assert as_manager.get(f"/clients/{foreign_client.pk}/edit/").status_code == 404
    assert as_manager.get(f"/interactions/new/?client={foreign_client.pk}").status_code == 404
    listing = as_manager.get("/clients/")
    assert foreign_client.name not in listing.content.decode()
    export = as_manager.get("/clients/?_export=csv")
    assert export.status_code == 200
    assert foreign_client.name not in export.content.decode()


def test_bad_urls_get_a_clear_404(as_manager):
    for url in ("/clients/abc/", "/clients/999999/", "/interactions/xyz/edit/"):
        response = as_manager.get(url)
        assert response.status_code == 404
        assert "Not found" in response.content.decode()


def test_post_without_csrf_token_changes_nothing(manager, own_client):
    from django.test import Client as HttpClient

    from clients.models import Interaction

    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(manager)
    response = http.post(
        "/interactions/new/",
        {"client": own_client.pk, "kind": "call", "date": "2026-01-05", "duration_minutes": 10},
    )
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert not Interaction.objects.exists()


def test_navigation_shows_what_the_role_may_use(as_manager, as_finance):
    manager_page = as_manager.get("/clients/").content.decode()
    finance_page = as_finance.get("/clients/").content.decode()
    assert "/admin/" not in manager_page
    assert "/admin/" in finance_page
    assert "New client" in finance_page and "New client" not in manager_page


@pytest.mark.parametrize("url", ["/ranking/", "/payments/", "/clients/"])
def test_a_page_with_a_table_builds_the_menu_and_the_quick_log_form_once(as_manager, url, monkeypatch):
    from config import navigation

    built = []
    form = navigation.InteractionForm

    def counting(*args, **kwargs):
        built.append(url)
        return form(*args, **kwargs)

    monkeypatch.setattr(navigation, "InteractionForm", counting)
    page = as_manager.get(url).content.decode()
    assert built == [url]
    assert page.count('id="ql_kind"') == 1


def test_the_menu_lights_the_section_a_page_belongs_to(as_manager, own_client):
    """A client's pages (its record, its profitability, its transitions) light "Clients"; the
    ranking lights "Ranking"."""
    lit = re.compile(r'<a href="([^"]+)" aria-current="page">')

    def menu(response):
        return lit.findall(response.content.decode().split('class="mainnav"')[1].split("</nav>")[0])

    for url in (
        f"/clients/{own_client.pk}/",
        f"/clients/{own_client.pk}/profitability/",
        f"/clients/{own_client.pk}/transitions/",
    ):
        response = as_manager.get(url)
        assert response.status_code == 200, url
        assert menu(response) == ["/clients/"], url
    assert menu(as_manager.get("/ranking/")) == ["/ranking/"]
