"""The work done for the demo clients: staff hourly costs (some changing during the period) and the
interactions they log, sized to each client's profile, on free slots of working days."""

import datetime as dt

from django.utils import timezone

from clients.demo.data import (
    ACQUISITION_NOTES,
    DURATIONS,
    FINANCE_NOTES,
    HOURLY_GUESS,
    KIND_MIX,
    MANAGERS,
    NOTES,
    SALARIES,
    STAFF,
)
from clients.models import CostSettings, StaffCost
from clients.periods import add_months


class WorkPlanner:
    """Plans ``staff_costs`` and ``interactions``, once the clients and their invoices are planned."""

    def _plan_staff_costs(self):
        cost_settings = CostSettings.load()
        for username in STAFF:
            rows = []
            for fraction, salary in SALARIES[username]:
                if fraction == 0:
                    since = dt.date(self.start.year - 1, 1, 1)
                else:
                    since = add_months(self.start, max(1, round(self.months * fraction))).replace(day=1)
                hourly = StaffCost.hourly_from_salary(
                    annual_salary=salary,
                    charge_coefficient=cost_settings.charge_coefficient,
                    working_days=cost_settings.working_days,
                    hours_per_day=cost_settings.hours_per_day,
                )
                rows.append((since, hourly))
            self.staff_costs[username] = rows

    def hourly_cost(self, username, day):
        cost = self.staff_costs[username][0][1]
        for since, hourly in self.staff_costs[username]:
            if since <= day:
                cost = hourly
        return cost

    def _working_days_by_month(self):
        days = {}
        day = self.start
        while day < self.today:
            if day.weekday() < 5:
                days.setdefault((day.year, day.month), []).append(day)
            day += dt.timedelta(days=1)
        return days

    def _duration(self, kind):
        low, high, step = DURATIONS[kind]
        return self.rng.randrange(low, high + 1, step)

    def _add_interaction(self, plan, username, kind, days, note, minutes=None):
        """One interaction on a free slot of the staff member's day; False when none was found."""
        rng = self.rng
        minutes = minutes or self._duration(kind)
        for _attempt in range(12):
            day = rng.choice(days)
            at = dt.time(
                rng.randint(8, 17), rng.choice((0, 15, 30, 45) if kind != "email" else range(0, 60, 5))
            )
            started = timezone.make_aware(dt.datetime.combine(day, at), self.tz)
            if (username, started) not in self._used_slots:
                self._used_slots.add((username, started))
                self.interactions.append((plan.index, username, kind, started, minutes, note))
                return True
        return False

    def _colleague(self, plan):
        if self.rng.random() < 0.05:
            return self.rng.choice([m for m in MANAGERS if m != plan.manager])
        return plan.manager

    def _fill(self, plan, mix, notes, low, high, budget_minutes):
        """Interactions of the mix's kinds between two dates, about `budget_minutes` a month.

        The last interaction of a month is kept with the probability of the budget it still fits, so that
        the minutes logged match the budget on average, even for a client who needs a few minutes a month.
        """
        rng = self.rng
        kinds, weights = list(mix), list(mix.values())
        for month_days in self._working_days.values():
            days = [day for day in month_days if low <= day <= high]
            if not days:
                continue
            budget = budget_minutes * len(days) / len(month_days) * rng.uniform(0.6, 1.4)
            spent = 0
            while spent < budget:
                kind = rng.choices(kinds, weights=weights)[0]
                minutes = self._duration(kind)
                if spent + minutes > budget and rng.random() >= (budget - spent) / minutes:
                    break
                self._add_interaction(
                    plan, self._colleague(plan), kind, days, rng.choice(notes[kind]), minutes
                )
                spent += minutes

    def _plan_interactions(self):
        rng = self.rng
        yesterday = self.today - dt.timedelta(days=1)
        for plan in self.plans:
            if plan.prospect:
                since = self.today - dt.timedelta(
                    days=rng.randint(20, min(200, (self.today - self.start).days))
                )
                effort = rng.choice((45, 90, 150, 240, 480))  # minutes a month; some take far more
                self._fill(plan, KIND_MIX["acquisition"], ACQUISITION_NOTES, since, yesterday, effort)
                continue
            engaged_to = min(yesterday, plan.left_on or yesterday)
            if plan.acquired_on > self.start:
                since = max(self.start, plan.acquired_on - dt.timedelta(days=rng.randint(30, 90)))
                effort = rng.uniform(120, 360)
                self._fill(plan, KIND_MIX["acquisition"], ACQUISITION_NOTES, since, plan.acquired_on, effort)
            gross_per_month = plan.annual * plan.margin_rate / 12
            if plan.profile == "loss":
                hours = max(gross_per_month * rng.uniform(1.5, 2.2) / HOURLY_GUESS, rng.uniform(6, 12))
                mix = KIND_MIX["loss"]
            else:
                hours = min(16.0, max(0.1, plan.service_share * gross_per_month / HOURLY_GUESS))
                mix = KIND_MIX["normal"]
            since = max(self.start, plan.acquired_on + dt.timedelta(days=1))
            self._fill(plan, mix, NOTES, since, engaged_to, hours * 60)
            if plan.late_payer:
                self._finance_calls(plan, since, engaged_to)
        # A few billing questions from clients that pay on time.
        others = [p for p in self.customers if not p.late_payer and not p.left_on]
        for plan in rng.sample(others, min(len(others), 5)):
            self._finance_calls(plan, self.start, yesterday, count=1)

    def _finance_calls(self, plan, low, high, count=None):
        rng = self.rng
        days = [day for month in self._working_days.values() for day in month if low <= day <= high]
        if not days:
            return
        for _call in range(count or max(1, len(days) // 60)):
            minutes = rng.randrange(10, 50, 5)  # billing questions are short
            self._add_interaction(plan, "fiona", "support", days, rng.choice(FINANCE_NOTES), minutes)
