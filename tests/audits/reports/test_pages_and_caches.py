"""Out-of-range pages answer 404, never 500; pages with figures are never cached."""

import pytest

from tests.factories import ClientFactory, InteractionFactory

HUGE = 9223372036854775807
LISTS = ["/ranking/", "/clients/", "/payments/", "/interactions/", "/prospects/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("who", ["as_manager", "as_finance", "as_admin"])
def test_a_page_number_no_table_can_reach_answers_404(request, who, url, own_client):
    http = request.getfixturevalue(who)
    InteractionFactory(client=own_client, staff=own_client.account_manager)
    for page in (HUGE, 10**7, 2, 999):
        assert http.get(url, {"page": page}).status_code == 404, (url, page)
    for page in (1, "x", 0, -3):  # not a number or below 1: the first page
        assert http.get(url, {"page": page}).status_code == 200, (url, page)


def test_the_last_page_is_served_and_the_next_answers_404(as_finance):
    ClientFactory.create_batch(51)
    assert as_finance.get("/clients/", {"page": 2}).status_code == 200
    assert as_finance.get("/clients/", {"page": 3}).status_code == 404


@pytest.mark.parametrize("url", ["/dashboard/", "/ranking/", "/payments/", "/ranking/?_export=csv"])
def test_pages_with_figures_are_neither_cached_nor_stored(as_finance, url):
    cache_control = as_finance.get(url)["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
