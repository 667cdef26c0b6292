"""Who the demo clients are: company names, contacts, account managers, their roles in the portfolio
(loss makers, late payers, strategic, former, referrals) and the dates of their lives."""

import datetime as dt
import math

from clients.demo.data import (
    COUNTRIES,
    COUNTRY_CODES,
    FORMER_NOTES,
    MANAGER_AFFINITY,
    MANAGER_WEIGHT,
    MANAGERS,
    OTHER_ROLES,
    PRIMARY_ROLES,
    STRATEGIC_REASONS,
)
from clients.demo.plan import ClientPlan, ascii_slug, money
from clients.periods import add_months


class PartiesPlanner:
    """Plans the clients and prospects (``plans``) from the builder's generator (``rng``) and dates."""

    def _company(self, code):
        country = COUNTRIES[code]
        rng = self.rng
        for _attempt in range(200):
            if rng.random() < 0.12:
                core, suffix, segment = rng.choice(country.specials)
            else:
                pattern, segment = rng.choice(country.patterns)
                surname = rng.choice(country.surnames)
                if pattern.startswith("{s}"):
                    surname = surname[0].upper() + surname[1:]
                core, suffix = pattern.format(s=surname), rng.choice(country.suffixes)
            name = f"{core} {suffix}".strip()
            if name not in self._used_names:
                self._used_names.add(name)
                return core, name, segment
        raise RuntimeError("Ran out of distinct company names.")

    def _contacts(self, code, core):
        country = COUNTRIES[code]
        rng = self.rng
        domain = f"{ascii_slug(core)}.{country.tld}"
        city, postcode = rng.choice(country.cities)
        address = country.address.format(
            n=rng.randint(1, 180), street=rng.choice(country.streets), city=city, pc=postcode
        )
        # The language follows the country (and, in Belgium, the city): no draw, so a seed's other data stay.
        language = dict(country.city_languages).get(city, country.language)
        contacts, emails = [], []
        for position in range(1 + rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            given, surname = rng.choice(country.given), rng.choice(country.surnames)
            email = f"{ascii_slug(given, '')}.{ascii_slug(surname, '')}@{domain}"
            if email in emails:
                continue
            emails.append(email)
            role = rng.choice(PRIMARY_ROLES if position == 0 else OTHER_ROLES)
            contacts.append((f"{given} {surname}", email, role, address, position == 0, language))
        return contacts

    def _manager_for(self, code):
        weights = [MANAGER_WEIGHT[m] * (3.0 if MANAGER_AFFINITY[m] == code else 1.0) for m in MANAGERS]
        return self.rng.choices(MANAGERS, weights=weights)[0]

    def _new_plan(self, index, prospect=False):
        rng = self.rng
        code = rng.choices(COUNTRY_CODES, weights=[COUNTRIES[c].weight for c in COUNTRY_CODES])[0]
        core, name, segment = self._company(code)
        plan = ClientPlan(
            index=index,
            country=code,
            name=name,
            segment=segment,
            manager=self._manager_for(code),
            prospect=prospect,
        )
        plan.contacts = self._contacts(code, core)
        return plan

    def _plan_clients(self):
        rng = self.rng
        for index in range(self.n_clients):
            plan = self._new_plan(index)
            # A log-normal spread whose far tail is compressed, so that no single client dominates.
            z = rng.gauss(0.0, 1.0)
            plan.weight = math.exp(z if z < 1.3 else 1.3 + 0.4 * (z - 1.3))
            plan.base_fee = rng.uniform(1_500, 4_000)
            plan.trend = rng.uniform(-0.12, 0.25)
            plan.issue_day = rng.randint(1, 28)
            plan.margin_rate = rng.uniform(0.35, 0.62)
            plan.blank_cost_rate = rng.choice((0.0, 0.05, 0.1, 0.15, 0.2))
            plan.service_share = rng.uniform(0.03, 0.12)
            self.plans.append(plan)

    def _plan_prospects(self):
        rng = self.rng
        for offset in range(max(3, round(self.n_clients / 10))):
            plan = self._new_plan(self.n_clients + offset, prospect=True)
            margin = min(150_000, max(2_000, rng.lognormvariate(9.6, 0.9)))
            plan.estimated_margin = money(round(margin / 500) * 500)
            plan.notes.append(
                rng.choice(
                    (
                        "Met at the regional trade fair.",
                        "Inbound request from the website.",
                        "Introduced by an existing client.",
                        "Tender published; shortlisted.",
                        "Cold outreach by the account manager.",
                    )
                )
            )
            self.plans.append(plan)

    @property
    def customers(self):
        return [plan for plan in self.plans if not plan.prospect]

    def _plan_roles(self):
        rng = self.rng
        n = self.n_clients
        ranked = sorted(self.customers, key=lambda plan: -plan.weight)
        taken = set()

        def pick(count, low, high, exclude_taken=True):
            pool = [p.index for p in ranked[int(low * n) : max(int(high * n), int(low * n) + count)]]
            if exclude_taken:
                pool = [i for i in pool if i not in taken]
            chosen = rng.sample(pool, min(count, len(pool)))
            taken.update(chosen)
            return [self.plans[i] for i in chosen]

        for plan in pick(max(3, round(n * 0.05)), 0.45, 0.95):
            plan.profile = "loss"
            plan.margin_rate = rng.uniform(0.25, 0.4)
            plan.notes.append(
                "Frequent urgent requests and long support calls; the price does not cover the service."
            )
        for plan in pick(max(1, n // 40), 0.3, 0.9):
            plan.profile = "marginal"
            plan.service_share = rng.uniform(0.55, 0.85)
        for plan in pick(max(3, round(n * 0.06)), 0.1, 0.8):
            plan.late_payer = True
            plan.late_mean = rng.uniform(55, 95)
            plan.notes.append("Pays two to three months after the due date despite reminders.")
        (writer,) = pick(1, 0.5, 0.85)
        writer.late_payer, writer.write_off = True, True
        writer.late_mean = rng.uniform(60, 90)
        writer.notes.append("Entered judicial reorganisation; the last invoice was written off.")
        for plan in pick(max(1, round(n * 0.04)), 0.1, 1.0):
            plan.left_on = dt.date.min  # placeholder: dated in _plan_dates
            plan.notes.append(rng.choice(FORMER_NOTES))

        reasons = list(STRATEGIC_REASONS)
        rng.shuffle(reasons)
        strategic = [*pick(1, 0.0, 0.05)]
        strategic.append(
            self.plans[rng.choice(sorted(p.index for p in self.customers if p.profile == "loss"))]
        )
        strategic += pick(max(0, round(n * 0.03) - 2), 0.05, 0.6)
        for plan, reason in zip(strategic, reasons, strict=False):
            plan.strategic_reason = reason

        # A referral chain of four clients, then a few single referrals.
        self.chain = [p.index for p in pick(4, 0.0, 0.7)]
        self.referrals = [
            (p.index, q.index)
            for p, q in zip(pick(max(1, n // 30), 0.0, 0.5), pick(max(1, n // 30), 0.2, 1.0), strict=False)
        ]

    def _plan_dates(self):
        rng = self.rng
        window = (self.today - self.start).days
        new_from, new_to = self.start + dt.timedelta(days=20), self.today - dt.timedelta(days=60)

        def old_date():
            return self.start - dt.timedelta(days=rng.randint(30, 3_000))

        def new_date():
            return new_from + dt.timedelta(days=rng.randint(0, max(0, (new_to - new_from).days)))

        for plan in self.customers:
            plan.acquired_on = new_date() if rng.random() < 0.2 and not plan.strategic_reason else old_date()
            if plan.write_off:
                plan.left_on = add_months(self.today, -5)
                plan.acquired_on = min(plan.acquired_on, add_months(self.today, -30))
            elif plan.left_on:
                plan.left_on = self.start + dt.timedelta(days=rng.randint(45, max(46, window - 45)))
                plan.acquired_on = min(plan.acquired_on, plan.left_on - dt.timedelta(days=120))

        # The chain: each client acquired after the one that referred it.
        chain = [self.plans[i] for i in self.chain]
        chain[0].acquired_on = min(chain[0].acquired_on, self.start - dt.timedelta(days=900))
        step = max(30, ((new_to - chain[0].acquired_on).days) // 4)
        for previous, plan in zip(chain, chain[1:], strict=False):
            plan.acquired_on = previous.acquired_on + dt.timedelta(days=rng.randint(step // 2, step))
            plan.referred_by = previous.index
        for referrer_index, referred_index in self.referrals:
            referrer, referred = self.plans[referrer_index], self.plans[referred_index]
            latest = self.start - dt.timedelta(days=rng.randint(400, 1_200))
            referrer.acquired_on = min(referrer.acquired_on, latest)
            referred.acquired_on = max(
                referred.acquired_on, referrer.acquired_on + dt.timedelta(days=rng.randint(60, 400))
            )
            referred.referred_by = referrer_index
        for plan in self.customers:
            if plan.referred_by is not None:
                plan.notes.append(f"Referred by {self.plans[plan.referred_by].name}.")
