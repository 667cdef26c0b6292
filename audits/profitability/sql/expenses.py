"""The expenses component of the ledger pass: direct expenses per client and month."""

from __future__ import annotations

from audits.profitability.sql.fragments import Window, _date, _flags, _month_key, _restrict
from clients.models import Client, Expense


def _expenses_sql(window: Window, scope, client_range):
    expense, client = Expense._meta.db_table, Client._meta.db_table
    month, month_params = _month_key("e.spent_on", window)
    where, where_params = _restrict("e.client_id", scope, client_range)
    sql = f"""
        SELECT e.client_id, {month} AS month,
            {_flags("e.spent_on")},
            SUM(e.amount) AS expenses
        FROM {expense} e JOIN {client} c ON c.id = e.client_id
        WHERE e.spent_on <= %s{where}
        GROUP BY 1, 2, 3, 4
    """
    params = [*month_params, _date(window.start), _date(window.end), _date(window.as_of), *where_params]
    return sql, params
