"""The demo clients' expenses: travel for visits, commissions, tooling, equipment, discounts, events."""

import datetime as dt

from django.utils import timezone

from clients.demo.plan import money
from clients.models import Expense

# (chance for each client, category, (lowest, highest) amount, note), drawn in this order
OCCASIONAL_EXPENSES = (
    (0.04, Expense.Category.EQUIPMENT, (600, 1_800), "Loan laptop for the client's on-site team"),
    (0.03, Expense.Category.DISCOUNT, (500, 3_000), "Loyalty discount granted at renewal"),
    (0.05, Expense.Category.OTHER, (100, 400), "Invitation to the client event"),
)


class ExpensesPlanner:
    """Plans ``expenses``, once the interactions are planned (a visit may bring its travel costs)."""

    def _any_day(self):
        """A day of the window, drawn evenly."""
        return self.start + dt.timedelta(days=self.rng.randint(0, (self.today - self.start).days))

    def _plan_expenses(self):
        rng = self.rng
        used = set()

        def add(plan_index, day, category, amount, note):
            left_on = self.plans[plan_index].left_on
            if day > self.today or (left_on and day > left_on) or (plan_index, day, category) in used:
                return
            used.add((plan_index, day, category))
            self.expenses.append((plan_index, day, category, money(amount), note))

        for client_index, _user, kind, started, _minutes, _note in self.interactions:
            if kind == "visit" and rng.random() < 0.6:
                add(
                    client_index,
                    timezone.localtime(started, self.tz).date(),
                    Expense.Category.TRAVEL,
                    rng.uniform(45, 480),
                    "Train, taxi and meals for the on-site visit",
                )
        for plan in self.customers:
            if self.start <= plan.acquired_on:
                add(
                    plan.index,
                    plan.acquired_on + dt.timedelta(days=30),
                    Expense.Category.COMMISSION,
                    plan.annual * rng.uniform(0.04, 0.08),
                    "Sales commission on the first-year contract",
                )
            elif rng.random() < 0.1:
                add(
                    plan.index,
                    self._any_day(),
                    Expense.Category.COMMISSION,
                    plan.annual * rng.uniform(0.01, 0.03),
                    "Renewal commission",
                )
            if plan.profile == "loss":
                for month in self._months_in_window()[::12]:
                    add(
                        plan.index,
                        max(month, plan.acquired_on),
                        Expense.Category.TOOLING,
                        plan.annual * rng.uniform(0.05, 0.1),
                        "Custom connector maintenance",
                    )
            elif plan.annual > 60_000 and rng.random() < 0.5:
                for month in self._months_in_window()[1::12]:
                    add(
                        plan.index,
                        max(month, plan.acquired_on),
                        Expense.Category.TOOLING,
                        rng.uniform(1_200, 4_800),
                        "Dedicated reporting environment",
                    )
            for chance, category, (low, high), note in OCCASIONAL_EXPENSES:
                if rng.random() < chance:
                    add(plan.index, self._any_day(), category, rng.uniform(low, high), note)
        self.expenses.sort(key=lambda row: (row[0], row[1], row[2]))
