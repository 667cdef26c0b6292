"""What keeps a large computation small in memory gives the same figures: the whale curve sampled
as it is computed, the ledger pass's rows held as integer columns of cents (``sql.rows.LedgerRows``)
and the per-client values held as their line of COPY text (``results.ClientResults``)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from audits.models import ClientSnapshot
from audits.profitability import engine, runs
from audits.profitability import portfolio as pm
from audits.profitability.cost_settings import Settings
from audits.profitability.results import POSITION, VALUE_NAMES, ClientResults, Values, values_of
from audits.profitability.sql import passes
from audits.profitability.sql.copy import line_of
from audits.profitability.sql.rows import EMPTY_ROW, client_rows, client_rows_sql
from clients.models import CostSettings
from tests.factories import (
    ClientFactory,
    ExpenseFactory,
    InteractionFactory,
    InvoiceFactory,
    PaymentFactory,
    StaffCostFactory,
)

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
    # Held as their line of text, values are of their snapshot columns' types.
    typed = tuple(
        bool(position % 2) if name.startswith(("is_", "over_", "breakeven_by")) else position
        for position, name in enumerate(VALUE_NAMES)
    )
    results = ClientResults()
    results.add(7, "active", True, pm.ClientFigures(client_id=7, revenue=D("1")), typed)
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


def test_the_rows_held_as_cents_read_back_as_the_decimals_the_pass_gives(db):
    """Each client's row from the integer columns is the row of decimals the SQL gives, to the
    place: credit notes (negative amounts), odd cents, partial and late payments, write-offs,
    interactions at an hourly cost with a third of a cent per minute, expenses."""
    first, second, third = (ClientFactory(acquired_on=dt.date(2024, 6, 1)) for _ in range(3))
    invoice = InvoiceFactory(client=first, issued_on=dt.date(2025, 2, 3), amount=D("1234.57"))
    PaymentFactory(invoice=invoice, paid_on=dt.date(2025, 5, 9), amount=D("234.01"))
    InvoiceFactory(client=first, issued_on=dt.date(2025, 3, 1), amount=D("-99.99"))
    written_off = InvoiceFactory(
        client=second, issued_on=dt.date(2025, 1, 10), amount=D("500.03"), written_off=D("100.01")
    )
    PaymentFactory(invoice=written_off, paid_on=dt.date(2025, 11, 30), amount=D("0.01"))
    InvoiceFactory(client=second, issued_on=dt.date(2025, 12, 1), amount=D("70.00"), cost_of_sales=D("33.33"))
    staff = StaffCostFactory(hourly_cost=D("47.35"), effective_from=dt.date(2020, 1, 1)).user
    InteractionFactory(client=third, staff=staff, duration_minutes=7)
    ExpenseFactory(client=third, spent_on=dt.date(2025, 8, 8), amount=D("12.30"))
    settings = Settings.from_model(CostSettings.load())
    window = engine.window_for(as_of=AS_OF, start=dt.date(2025, 1, 1), end=AS_OF, settings=settings)
    months = [dt.date(2025, month, 1) for month in (8, 9, 10, 11)]
    passes.build(window=window)
    try:
        sql, params = client_rows_sql(late_rate=settings.late_rate, months=months)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            decimals = {row[0]: row[1:] for row in cursor.fetchall()}
        held = client_rows(late_rate=settings.late_rate, months=months)
    finally:
        passes.drop()
    assert set(held) == set(decimals) == {first.pk, second.pk, third.pk}
    for client_id, row in decimals.items():
        read = held.get(client_id)
        assert (
            *(getattr(read, name) for name in FIELDS),
            *read.ageing,
            *after_ageing(read),
            *read.recent_np,
        ) == row
        # Money keeps its two places, as the SQL gives it (zeros included).
        for name in ("revenue", "cost_to_serve", "direct_expenses", "late_payment_cost", "paid_late_x"):
            assert getattr(read, name).as_tuple().exponent == -2, name
    assert held.get(first.pk).revenue == D("1134.58")
    assert held.get(10**9) is EMPTY_ROW


FIELDS = (
    *("revenue", "gross_margin", "cost_to_serve", "direct_expenses", "late_payment_cost", "bad_debt"),
    *("minutes", "life_operating", "life_cost_to_serve"),
)


def after_ageing(row):
    return row.paid, row.paid_late_x, row.paid_days_x, row.activity


values_text = st.text(alphabet=st.sampled_from("AB\\\t\n\r x"), max_size=6)


def _value_of(name):
    field = ClientSnapshot._meta.get_field(name)
    if field.get_internal_type() == "BooleanField":
        return st.booleans()
    if field.get_internal_type() == "DecimalField":
        places = field.decimal_places
        decimals = st.decimals(min_value=-(10**6), max_value=10**6, places=places, allow_nan=False)
        return st.none() | decimals if field.null else decimals
    if field.get_internal_type() == "CharField":
        return values_text
    return st.none() | st.integers(0, 10**6)


@given(st.tuples(*(_value_of(name) for name in VALUE_NAMES)))
def test_values_read_back_from_their_line_as_they_were(values):
    results = ClientResults()
    results.add(3, "active", True, pm.ClientFigures(client_id=3), values)
    (*_, line), *_ = results.lines()
    (*_, read), *_ = results.rows()
    assert read == values_of(line) == values
    # Decimals keep their places; booleans stay booleans; none stays none.
    assert line_of(read) == line_of(values) == line
    assert [type(v) for v in read] == [type(v) for v in values]
    assert results.value(3, "abc_class") == values[POSITION["abc_class"]]
