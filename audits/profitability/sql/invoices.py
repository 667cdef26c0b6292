"""The invoice and payment components of the ledger pass: revenue, gross margin, bad debt and the
open remainder of invoices (by ageing bucket), and the payments (settled on the month of their
invoice; paid, days late and days to pay on the month they were made)."""

from __future__ import annotations

from django.db import connection

from audits.profitability.sql.fragments import (
    Window,
    _bucket,
    _date,
    _days,
    _flags,
    _month_key,
    _restrict,
    _table,
)
from clients.models import Client, Invoice, Payment
from clients.receivables import days_late_sql, open_before_payments_sql


def _invoices_sql(window: Window, scope, client_range):
    invoice, client = Invoice._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("i.issued_on", window)
    bucket, bucket_params = _bucket("i.due_on", window)
    where, where_params = "", []
    if scope is not None:
        # Clients referred by a client in scope count for its indirect value (their gross margin).
        scope_sql, scope_params = scope.values("pk").query.sql_with_params()
        where += f" AND (i.client_id IN ({scope_sql}) OR c.referred_by_id IN ({scope_sql}))"
        where_params.extend([*scope_params, *scope_params])
    range_sql, range_params = _restrict("i.client_id", None, client_range)
    sql = f"""
        SELECT i.client_id, {month} AS month,
            {_flags("i.issued_on")},
            {bucket} AS b,
            SUM(i.amount) AS revenue,
            SUM(CASE WHEN i.cost_of_sales IS NULL THEN i.amount * %s ELSE i.amount - i.cost_of_sales END)
                AS gross_margin,
            SUM(i.written_off) AS bad_debt,
            SUM({open_before_payments_sql("i.amount", "i.written_off")}) AS open_amount
        FROM {invoice} i JOIN {client} c ON c.id = i.client_id
        WHERE i.issued_on <= %s{where}{range_sql}
        GROUP BY 1, 2, 3, 4, 5
    """
    params = [
        *month_params,
        _date(window.start),
        _date(window.end),
        *bucket_params,
        window.margin_rate,
        _date(window.as_of),
        *where_params,
        *range_params,
    ]
    return sql, params


def _payments_sql(window: Window, scope, client_range):
    """Each payment (on an invoice, not a credit note) with what the two payment components group
    it by: read and joined to its invoice once."""
    payment, invoice, client = Payment._meta.db_table, Invoice._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("i.issued_on", window)
    paid_month, paid_month_params = _month_key("p.paid_on", window)
    bucket, bucket_params = _bucket("i.due_on", window)
    where, where_params = _restrict("i.client_id", scope, client_range)
    sql = f"""
        SELECT i.client_id, {month} AS month,
            {_flags("i.issued_on")},
            {bucket} AS b,
            i.issued_on <= %s AS issued,
            {paid_month} AS paid_month,
            (p.paid_on >= %s AND p.paid_on <= %s) AS paid_p,
            p.amount,
            {days_late_sql("p.paid_on", "i.due_on", vendor=connection.vendor)} AS days_late,
            {_days("p.paid_on", "i.issued_on")} AS days_to_pay,
            i.due_on, p.paid_on, c.acquired_on
        FROM {payment} p
        JOIN {invoice} i ON i.id = p.invoice_id
        JOIN {client} c ON c.id = i.client_id
        WHERE p.paid_on <= %s AND i.amount > 0{where}
    """
    params = [
        *month_params,
        _date(window.start),
        _date(window.end),
        *bucket_params,
        _date(window.as_of),
        *paid_month_params,
        _date(window.start),
        _date(window.end),
        _date(window.as_of),
        *where_params,
    ]
    return sql, params


def _settled_sql(window: Window, scope, client_range):
    """Payments on the month their invoice was issued: the ageing."""
    sql = f"""
        SELECT client_id, month, p, l, b,
            SUM(amount) AS settled
        FROM {_table("payments")}
        WHERE issued
        GROUP BY 1, 2, 3, 4, 5
    """
    return sql, []


def _paid_sql(window: Window, scope, client_range):
    """Payments on the month they were made: days late and days to pay."""
    sql = f"""
        SELECT client_id, paid_month AS month, paid_p AS p,
            SUM(amount) AS paid,
            SUM(amount * days_late) AS paid_late_x,
            SUM(amount * days_to_pay) AS paid_days_x
        FROM {_table("payments")}
        GROUP BY 1, 2, 3
    """
    return sql, []
