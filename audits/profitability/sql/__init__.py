"""The ledger pass of the profitability engine: the raw SQL of the nightly recompute, in one place.

Each ledger table is read by a ``GROUP BY`` into a narrow temporary table (a *component*), once,
but for invoices, which the late-payment cost reads a second time:

==========  ==========================================  =============================================
component   read from                                   sums
==========  ==========================================  =============================================
invoices    invoices                                    revenue, gross margin, bad debt, open
                                                        remainder
settled     payments, on the month of their invoice     paid
paid        payments, on the month they were made       paid, paid x days late, paid x days to pay
late        invoices and payments, by the months of     open amount x days past due (the late-payment
            the days past due                           cost, ``_late_sql``)
expenses    expenses                                    amount
service     interactions                                minutes, minutes x hourly cost (in cents)
==========  ==========================================  =============================================

(The payment components group one table, ``payments``, of each payment joined once to its
invoice.) Every component is grouped by client and calendar month, and also by the few flags the
per-client figures need: inside the period (``p``), since acquisition (``l``), and for invoices
the ageing bucket of the due date (``b``). A flag changes at most once per client, so the key is
nearly as coarse as (client, month): the per-client figures are sums over these small tables with
``FILTER`` (``client_rows_sql``), and the months of the trend are the components summed by
(client, month) (``month_figures_sql``), then by account manager (``month_totals``). Rows older than the trend
window are grouped under a month of NULL: they count for the lifetime and the ageing only.

Two quantities are linear in the payments, which keeps them set-based without a per-invoice
sub-aggregate: the unpaid remainder of an invoice is (amount - written off) - its payments, so
the ageing buckets are invoice sums minus payment sums (payments never exceed their invoice; a
write-off covers what is left unpaid), and so is the late-payment cost, which accrues day by day
on what is open: ``late`` is keyed by the months where its spans of days begin and end instead of
one month, and is spread over the months they cover when the months are summed.

Why raw SQL: the ORM cannot say CREATE TABLE AS or COPY, and the interaction
component takes the staff member's hourly cost in force on the interaction's local date. As a join
that costs a sort of every interaction; on PostgreSQL the cost is instead looked up in arrays:
``width_bucket`` finds the interaction's slot among the month starts and the dates the hourly costs
changed (a binary search), and the slot and the staff member index an integer array of hourly
costs in cents. Local dates come from comparisons with local midnights computed in Python, never
from a time-zone conversion per row. SQLite (the demo database) has no arrays: there the same
figures come from a join against the staff-cost history.

Every statement also runs on a range of clients, so that the work can be shared (``Pass``): on a
large portfolio a second connection does the upper half of the clients inside the snapshot
exported by the main transaction, and once the per-client rows are in, this half's months are
summed by a thread that borrows the main connection while Python computes the portfolio.
"""
