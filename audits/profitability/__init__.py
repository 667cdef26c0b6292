"""The profitability engine and its pages: from the ledger (clients app) to the snapshots.

- ``sql/``: the ledger pass, the only raw SQL of audits (one module per component: invoices and
  payments, late-payment cost, expenses, service cost; the per-client rows, the months of
  the trend, COPY, the session statements).
- ``figures``: per-client rules in Python beside their SQL twins (acquisition share, referral
  credit, hourly cost in force); ``sql/late_payment``: the late-payment cost, SQL and Python.
- ``portfolio/``: the portfolio maths, pure functions (ranks, Pareto, ABC, whale curve, tiers,
  concentration, flags, break-even, overheads, what-if).
- ``engine``: ``compute()``, the pass then the portfolio maths.
- ``runs``: recompute runs and their status; ``retention``: snapshot pruning; ``lock``: the
  recompute's lock; ``cost_settings``: the settings as the engine reads them, the tier preview
  and the settings' history; ``client``: the client P&L page's reads and the client's
  24-month trend (computed for that client when its page asks).
- ``views``, ``urls``, ``forms``: recompute, run status, seed calculator, cost settings
  (namespace ``profitability:``).

What it may import: Django, ``clients`` (models, periods, receivables, locks, display,
services), ``audits.models`` and ``audits.log``, ``config``. The report pages import from here,
not the other way round.
Definitions of every figure: docs/figures.md.
"""
