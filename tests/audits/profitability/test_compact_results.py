"""What keeps a large computation small in memory gives the same figures: the whale curve sampled
as it is computed, and the per-client values held as tuples (``results.ClientResults``)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audits.models import ClientSnapshot
from audits.profitability import engine, runs
from audits.profitability import portfolio as pm
from audits.profitability.results import VALUE_NAMES, ClientResults, Values
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory

AS_OF = dt.date(2025, 12, 31)
money = st.decimals(min_value=-5000, max_value=20000, places=2, allow_nan=False, allow_infinity=False)


@given(st.dictionaries(st.integers(1, 10**6), money, min_size=1, max_size=400), st.integers(1, 150))
def test_the_whale_curve_sampled_as_computed_keeps_the_points_sampling_would(net, count):
    whole = pm.whale_curve(net)
    sampled = pm.whale_curve(net, count=count)
    assert pm.sample_points(sampled.points, count) == pm.sample_points(whole.points, count)
    assert (sampled.peak_client_share, sampled.peak_profit_share) == (
        whole.peak_client_share,
        whole.peak_profit_share,
    )
    assert len(sampled.points) <= count + 1 or not whole.points


def test_values_are_read_by_name_from_their_tuple():
    row = tuple(range(len(VALUE_NAMES)))
    values = Values(row)
    assert dict(values) == dict(zip(VALUE_NAMES, row, strict=True))
    assert values["ageing_1"] == VALUE_NAMES.index("ageing_1")
    with pytest.raises(KeyError):
        values["nothing"]
    results = ClientResults()
    results.add(7, "active", True, pm.ClientFigures(client_id=7, revenue=D("1")), row)
    assert list(results) == [7] and len(results) == 1
    assert results[7].values["tier"] == VALUE_NAMES.index("tier")
    assert results.value(7, "tier") == VALUE_NAMES.index("tier")
    with pytest.raises(KeyError):
        results[8]


def test_the_snapshots_written_hold_the_values_computed(db):
    clients = [ClientFactory(acquired_on=dt.date(2025, 1, 1), acquisition_cost=D("1200")) for _ in range(3)]
    for n, client in enumerate(clients):
        invoice = InvoiceFactory(client=client, issued_on=dt.date(2025, 3, 1), amount=D("1000") * (n + 1))
        PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 4, 15), amount=D("400"))
    computed = engine.compute(as_of=AS_OF)
    runs.profitability_recompute(as_of=AS_OF)
    for client in clients:
        stored = ClientSnapshot.objects.get(client=client, as_of=AS_OF)
        values = computed.clients[client.pk].values
        for name in VALUE_NAMES:
            assert getattr(stored, name) == values[name], name
    assert computed.clients[clients[0].pk].values["open_receivables"] == D("600.00")
