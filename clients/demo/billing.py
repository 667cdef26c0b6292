"""What the demo clients are billed and how they pay: the invoice schedule, the revenue calibrated to the
target concentration, amounts and cost of sales, credit notes, numbering, payments (on time or late)."""

import datetime as dt
from decimal import Decimal

from clients.demo.data import DEMO_REF_PREFIX, MEAN_ANNUAL_REVENUE, TARGET_TOP_SHARE
from clients.demo.plan import InvoicePlan, money, top_share
from clients.periods import add_months


class BillingPlanner:
    """Plans each customer's ``invoices`` and their payments, once the clients and their dates are planned."""

    def _months_in_window(self):
        first = self.start.replace(day=1)
        months, offset = [], 0
        while (month := add_months(first, offset)) <= self.today:
            months.append(month)
            offset += 1
        return months

    def _plan_invoice_schedule(self):
        rng = self.rng
        months = self._months_in_window()
        ranked = sorted(self.customers, key=lambda plan: plan.weight)
        for plan in ranked[: len(ranked) // 4]:
            if plan.acquired_on < self.start and not plan.late_payer:
                plan.cadence, plan.phase = 3, rng.randrange(3)
        for plan in self.customers:
            bill_from = max(self.start, plan.acquired_on + dt.timedelta(days=14))
            bill_to = min(self.today, plan.left_on or self.today)
            for number, month in enumerate(months):
                issued = month.replace(day=plan.issue_day)
                if not bill_from <= issued <= bill_to or (number - plan.phase) % plan.cadence:
                    continue
                years = (issued - self.start).days / 365.0 - self.months / 24.0
                noise = rng.uniform(0.85, 1.15) * (rng.uniform(1.5, 2.5) if rng.random() < 0.06 else 1.0)
                factor = plan.cadence / 12.0 * noise * max(0.3, 1.0 + plan.trend * years)
                plan.invoices.append(InvoicePlan(client=plan.index, issued_on=issued, factor=factor))

    def _annuals(self, exponent):
        target = MEAN_ANNUAL_REVENUE * self.n_clients
        fees = sum(plan.base_fee for plan in self.customers)
        spread = sum(plan.weight**exponent for plan in self.customers)
        scale = max(0.0, target - fees) / spread
        return {plan.index: plan.base_fee + scale * plan.weight**exponent for plan in self.customers}

    def _realised_share(self, exponent):
        annuals = self._annuals(exponent)
        revenue = {
            plan.index: sum(
                annuals[plan.index] * invoice.factor
                for invoice in plan.invoices
                if self.period_start <= invoice.issued_on <= self.period_end
            )
            for plan in self.customers
        }
        return top_share(revenue)[0]

    def _calibrate_revenue(self):
        """Find the concentration that makes the top fifth bring about 78 % of the last 12 months' revenue."""
        low, high = 0.2, 4.0
        for _step in range(40):
            middle = (low + high) / 2
            if self._realised_share(middle) < TARGET_TOP_SHARE:
                low = middle
            else:
                high = middle
        annuals = self._annuals((low + high) / 2)
        for plan in self.customers:
            plan.annual = annuals[plan.index]

    def _plan_invoice_amounts(self):
        rng = self.rng
        blank_all = rng.sample([p.index for p in self.customers if not p.write_off], 2)
        for plan in self.customers:
            blank_rate = 1.0 if plan.index in blank_all else plan.blank_cost_rate
            for invoice in plan.invoices:
                invoice.amount = max(money(150), money(plan.annual * invoice.factor))
                if rng.random() >= blank_rate:
                    margin = min(0.9, max(0.05, plan.margin_rate * rng.uniform(0.9, 1.1)))
                    invoice.cost_of_sales = money(float(invoice.amount) * (1 - margin))
            if plan.write_off:
                last = plan.invoices[-1]
                last.written_off = last.amount
            if plan.acquired_on >= self.start - dt.timedelta(days=4 * 365) or rng.random() < 0.65:
                cost = max(400, plan.annual * rng.uniform(0.08, 0.3))
                plan.acquisition_cost = money(round(cost / 50) * 50)

    def _steady_invoices(self, keep):
        """The invoices that ``keep`` accepts, of the customers who pay on time and stay."""
        return [
            invoice
            for plan in self.customers
            if not (plan.late_payer or plan.left_on)
            for invoice in plan.invoices
            if keep(invoice)
        ]

    def _plan_credit_notes(self):
        rng = self.rng
        latest = self.today - dt.timedelta(days=40)
        candidates = self._steady_invoices(
            lambda invoice: self.period_start <= invoice.issued_on <= latest and invoice.amount >= 1_000
        )
        self.credit_notes = []
        for original in rng.sample(candidates, min(len(candidates), max(2, self.n_clients // 50))):
            issued = original.issued_on + dt.timedelta(days=rng.randint(5, 25))
            amount = -money(float(original.amount) * rng.uniform(0.1, 0.35))
            note = InvoicePlan(client=original.client, issued_on=issued, factor=0.0, amount=amount)
            note.cost_of_sales = Decimal("0.00")
            self.plans[original.client].invoices.append(note)
            self.credit_notes.append(note)
        for plan in self.customers:
            plan.invoices.sort(key=lambda invoice: (invoice.issued_on, invoice.amount < 0))

    def _number_invoices(self):
        every = sorted(
            (invoice for plan in self.customers for invoice in plan.invoices),
            key=lambda invoice: (invoice.issued_on, invoice.client, invoice.amount < 0),
        )
        counters = {}
        for invoice in every:
            year = invoice.issued_on.year
            counters[year] = counters.get(year, 0) + 1
            prefix = "CN" if invoice.amount < 0 else "INV"
            invoice.number = f"{DEMO_REF_PREFIX}{prefix}-{year}-{counters[year]:05d}"

    def _plan_payments(self):
        rng = self.rng
        regular = self._steady_invoices(
            lambda invoice: invoice.amount > 0 and 10 <= (self.today - invoice.due_on).days <= 80
        )
        forgotten = {
            id(invoice) for invoice in rng.sample(regular, min(len(regular), max(2, self.n_clients // 40)))
        }
        for plan in self.customers:
            for invoice in plan.invoices:
                if invoice.amount <= 0 or invoice.written_off or id(invoice) in forgotten:
                    continue
                if plan.late_payer:
                    days_late = int(min(120, max(40, rng.gauss(plan.late_mean, 18))))
                    if plan.write_off:
                        paid_on = min(invoice.due_on + dt.timedelta(days=days_late), self.today)
                        invoice.payments.append((paid_on, invoice.amount))
                        continue
                    if days_late >= 55 and rng.random() < 0.25:
                        first_on = invoice.due_on + dt.timedelta(days=rng.randint(40, days_late - 10))
                        first = money(float(invoice.amount) * rng.uniform(0.3, 0.6))
                        if first_on <= self.today:
                            invoice.payments.append((first_on, first))
                            second_on = invoice.due_on + dt.timedelta(days=days_late)
                            if second_on <= self.today:
                                invoice.payments.append((second_on, invoice.amount - first))
                        continue
                    paid_on = invoice.due_on + dt.timedelta(days=days_late)
                else:
                    offset = rng.choices(
                        (rng.randint(-15, 0), rng.randint(1, 12), rng.randint(13, 35)), weights=(70, 22, 8)
                    )[0]
                    paid_on = max(
                        invoice.issued_on + dt.timedelta(days=3), invoice.due_on + dt.timedelta(days=offset)
                    )
                if paid_on <= self.today:
                    invoice.payments.append((paid_on, invoice.amount))
