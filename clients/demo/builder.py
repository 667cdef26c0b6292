"""The demo portfolio's builder: one seeded generator, the planners run in a fixed order, then the write.

The order of the steps is the order of the draws: changing it changes every row of a given seed.
"""

import datetime as dt
import random

from django.utils import timezone

from clients.demo.billing import BillingPlanner
from clients.demo.expenses import ExpensesPlanner
from clients.demo.parties import PartiesPlanner
from clients.demo.summary import portfolio_summary
from clients.demo.work import WorkPlanner
from clients.demo.write import portfolio_write
from clients.periods import add_months, rolling_period


class PortfolioBuilder(PartiesPlanner, BillingPlanner, WorkPlanner, ExpensesPlanner):
    """Plans the whole portfolio in memory from one seeded generator, then writes it with bulk inserts."""

    def __init__(self, *, seed, clients, months, as_of=None):
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_clients = clients
        self.months = months
        self.today = as_of or timezone.localdate()
        self.start = add_months(self.today, -months) + dt.timedelta(days=1)
        self.period_start, self.period_end = rolling_period(self.today)
        self.tz = timezone.get_current_timezone()
        self.plans = []
        self.interactions = []  # (client index, username, kind, started at, minutes, note)
        self.expenses = []  # (client index, date, category, amount, note)
        self.staff_costs = {}  # username -> [(in force from, hourly cost)], oldest first
        self._used_slots = set()
        self._used_names = set()
        self._working_days = self._working_days_by_month()

    # ----------------------------------------------------------------- plan

    def plan(self):
        self._plan_staff_costs()
        self._plan_clients()
        self._plan_prospects()
        self._plan_roles()
        self._plan_dates()
        self._plan_invoice_schedule()
        self._calibrate_revenue()
        self._plan_invoice_amounts()
        self._plan_credit_notes()
        self._number_invoices()
        self._plan_payments()
        self._plan_interactions()
        self._plan_expenses()
        return self

    def write(self):
        return portfolio_write(self)

    def summary(self):
        return portfolio_summary(self)


def portfolio_build(*, seed, clients, months, as_of=None):
    """Plan and write the demo portfolio; the caller holds the transaction. Returns a Summary."""
    return PortfolioBuilder(seed=seed, clients=clients, months=months, as_of=as_of).plan().write()
