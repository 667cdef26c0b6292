"""The report pages: dashboard, ranking, client profitability, payments and prospects.

They read the snapshots of the latest run and never recompute from the ledger on a request; each
read runs a fixed number of queries whatever the number of clients, scoped to the clients the user
may see with ``clients.access``. They may import ``clients`` (access, periods, display, tables,
exports), the snapshot models and the profitability package (``audits.profitability``: the
portfolio rules, the latest run, the client P&L); nothing outside this package imports them but
the URLs.
"""
