"""The admin pages of computed records."""

import datetime as dt
import re
from decimal import Decimal as D

from audits.models import ClientSnapshot
from audits.profitability import runs
from tests.factories import ClientFactory, InvoiceFactory


def test_a_client_snapshot_page_shows_whose_and_which_day_first_then_every_figure(as_admin, db):
    client = ClientFactory(acquired_on=dt.date(2024, 1, 1))
    InvoiceFactory(client=client, issued_on=dt.date(2025, 6, 1), amount=D("1200"), cost_of_sales=D("200"))
    runs.profitability_recompute(as_of=dt.date(2025, 12, 31))
    snapshot = ClientSnapshot.objects.get(client=client)

    response = as_admin.get(f"/admin/audits/clientsnapshot/{snapshot.pk}/change/")

    assert response.status_code == 200
    shown = re.findall(r'class="form-row field-(\w+)', response.content.decode())
    assert shown[:6] == ["id", "run", "as_of", "client", "status", "in_portfolio"]
    assert sorted(shown) == sorted(f.name for f in ClientSnapshot._meta.fields)
