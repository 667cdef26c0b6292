"""A deterministic demo portfolio for a first look at the product (`manage.py seed_demo`).

Every draw comes from one `random.Random(seed)`, never from the global random state, and nothing depends on
database ids or on set ordering: two runs with the same seed, size and as-of date on empty databases write
identical rows. Dates are relative to the as-of date (today by default), spread over the given months.

The portfolio has the shapes the product is meant to reveal: revenue concentrated on a minority of clients
(the top fifth bring about 78 % of the last twelve months' revenue), a few high-maintenance clients whose
service costs more than their margin, chronic late payers, one written-off invoice, a referral chain,
strategic clients with their reasons, prospects with an estimated annual margin, staff with hourly costs
(some changing during the period) and monthly overheads.
"""

import datetime as dt
import math
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from clients.models import (
    CENT,
    Client,
    Contact,
    CostSettings,
    Expense,
    Interaction,
    Invoice,
    Payment,
    StaffCost,
)
from clients.periods import add_months, rolling_period
from clients.roles import ACCOUNT_MANAGERS

DEMO_REF_PREFIX = "DEMO-"
TARGET_TOP_SHARE = 0.78
MEAN_ANNUAL_REVENUE = 32_000
PAYMENT_TERMS_DAYS = 30
HOURLY_GUESS = 55.0  # only to size service hours; the rows use each staff member's real cost

# username, first name, last name; alice and bruno come from `demo_users`.
EXTRA_MANAGERS = [
    ("claire", "Claire", "Lefèvre"),
    ("daan", "Daan", "de Vries"),
    ("ioana", "Ioana", "Popescu"),
]
# Each manager holds more of the clients of one country, and alice and bruno (who can log in) a larger share.
MANAGER_AFFINITY = {"alice": "GB", "bruno": "BE", "claire": "FR", "daan": "NL", "ioana": "RO"}
MANAGER_WEIGHT = {"alice": 1.4, "bruno": 1.4, "claire": 1.0, "daan": 1.0, "ioana": 0.9}
MANAGERS = list(MANAGER_WEIGHT)

# Annual salaries: the first is in force before the period; a second one takes effect part-way through it,
# at the given fraction of the period.
SALARIES = {
    "alice": [(0.0, 56_000), (0.5, 59_500)],
    "bruno": [(0.0, 51_000)],
    "claire": [(0.0, 61_000)],
    "daan": [(0.0, 47_500)],
    "ioana": [(0.0, 43_000), (0.34, 46_500)],
    "fiona": [(0.0, 58_000), (0.67, 60_500)],
}
STAFF = [*SALARIES]


def _words(text):
    return tuple(word.strip() for word in text.split(","))


def _pairs(text):
    return tuple(tuple(pair.strip().split("=")) for pair in text.split(","))


@dataclass(frozen=True)
class Country:
    label: str
    tld: str
    weight: float
    suffixes: tuple
    surnames: tuple
    given: tuple
    patterns: tuple  # (name pattern with {s} for a surname, segment)
    specials: tuple  # (full name without suffix, suffix, segment)
    cities: tuple  # (city, postcode)
    streets: tuple
    address: str  # format with n, street, city, pc


COUNTRIES = {
    "FR": Country(
        label="France",
        tld="fr",
        weight=0.28,
        suffixes=("SAS", "SAS", "SA", "SARL"),
        surnames=_words(
            "Dubois, Lefèvre, Moreau, Laurent, Girard, Bonnet, Mercier, Fontaine, Rousseau, Garnier, "
            "Chevalier, Faure, Gauthier, Perrin, Marchand, Duval, Lemaire, Roussel, Boucher, Lacroix, "
            "Bérenger, Lévêque, Clément, Noël, Barbier, Aubert, Rivière"
        ),
        given=_words(
            "Camille, Élodie, Hélène, Jérôme, François, Amélie, Stéphane, Benoît, Céline, Thierry, "
            "Margaux, Sébastien, Aurélie, Grégoire, Noémie, Léa, Mathieu, Chloé"
        ),
        patterns=(
            ("Transports {s}", "Logistics"),
            ("{s} Logistique", "Logistics"),
            ("Atelier {s} & Fils", "Manufacturing"),
            ("Groupe {s}", "Professional services"),
            ("Imprimerie {s}", "Printing"),
            ("Boulangeries {s}", "Food & beverage"),
            ("Cabinet {s} Conseil", "Professional services"),
            ("{s} Électricité", "Construction"),
            ("Menuiserie {s}", "Construction"),
            ("Laboratoires {s}", "Healthcare"),
            ("Pharmacie {s}", "Healthcare"),
            ("{s} Distribution", "Retail"),
            ("Domaine {s}", "Food & beverage"),
        ),
        specials=(
            ("Société Générale d'Équipement", "SA", "Manufacturing"),
            ("Coopérative Agricole du Val de Loire", "", "Food & beverage"),
            ("Hôtellerie Côte d'Azur", "SAS", "Hospitality"),
            ("Éditions du Littoral", "SARL", "Printing"),
            ("Clinique Saint-Éloi", "SAS", "Healthcare"),
        ),
        cities=_pairs(
            "Lyon=69002, Paris=75011, Lille=59000, Nantes=44000, Bordeaux=33000, Toulouse=31000, "
            "Strasbourg=67000, Marseille=13002, Rennes=35000, Grenoble=38000"
        ),
        streets=_words(
            "rue de la République, avenue Jean Jaurès, boulevard Voltaire, quai des Chartrons, "
            "rue Nationale, place Bellecour, rue du Général de Gaulle, allée des Tilleuls"
        ),
        address="{n} {street}\n{pc} {city}\nFrance",
    ),
    "BE": Country(
        label="Belgium",
        tld="be",
        weight=0.16,
        suffixes=("NV", "BV", "BV", "SRL"),
        surnames=_words(
            "Peeters, Janssens, Maes, Claes, Willems, Goossens, Wouters, Vermeulen, Hendrickx, De Smet, "
            "Van Damme, Dubois, Lambert, Desmet, Verhaegen, Coppens"
        ),
        given=_words(
            "Lotte, Pieter, Annelies, Koen, Sofie, Wim, Griet, Jeroen, Elke, Thomas, Nathalie, Bart, Ine, "
            "Joachim, Hélène, Lucas"
        ),
        patterns=(
            ("Bouwbedrijf {s}", "Construction"),
            ("{s} Logistics", "Logistics"),
            ("Brouwerij {s}", "Food & beverage"),
            ("Drukkerij {s}", "Printing"),
            ("{s} & Partners", "Professional services"),
            ("Technisch Bureau {s}", "Engineering"),
            ("{s} Verpakkingen", "Manufacturing"),
            ("Apotheek {s}", "Healthcare"),
        ),
        specials=(
            ("Vlaamse Havendiensten", "NV", "Logistics"),
            ("Chocolaterie Côte d'Or Artisanale", "SRL", "Food & beverage"),
        ),
        cities=_pairs(
            "Antwerpen=2000, Gent=9000, Leuven=3000, Brugge=8000, Mechelen=2800, Hasselt=3500, Bruxelles=1000"
        ),
        streets=_words("Meir, Veldstraat, Stationsstraat, Kerkstraat, Industrieweg, Grote Markt"),
        address="{street} {n}\n{pc} {city}\nBelgium",
    ),
    "NL": Country(
        label="Netherlands",
        tld="nl",
        weight=0.16,
        suffixes=("B.V.", "B.V.", "N.V."),
        surnames=_words(
            "de Vries, Jansen, van den Berg, Bakker, Visser, Smit, Meijer, de Boer, Mulder, de Graaf, "
            "van Dijk, van Leeuwen, Brouwer, Dekker, Hoekstra, van der Linden"
        ),
        given=_words(
            "Sanne, Bram, Femke, Joris, Eline, Ruben, Anouk, Thijs, Maaike, Wouter, Ilse, Daan, Floor, "
            "Jasper, Noor, Sem"
        ),
        patterns=(
            ("{s} Installatietechniek", "Construction"),
            ("Transportbedrijf {s}", "Logistics"),
            ("{s} Logistiek", "Logistics"),
            ("Bakkerij {s}", "Food & beverage"),
            ("{s} & Zonen", "Manufacturing"),
            ("{s} Adviesgroep", "Professional services"),
            ("Kaasmakerij {s}", "Food & beverage"),
            ("{s} Software", "Software"),
        ),
        specials=(
            ("Rijnmond Havenlogistiek", "B.V.", "Logistics"),
            ("Zuidas Vastgoedbeheer", "B.V.", "Real estate"),
        ),
        cities=_pairs(
            "Amsterdam=1015 CJ, Rotterdam=3011 AD, Utrecht=3511 LX, Eindhoven=5611 EM, Groningen=9711 LM, "
            "Den Haag=2511 BT"
        ),
        streets=_words("Keizersgracht, Coolsingel, Oudegracht, Stationsplein, Industrieweg, Damrak"),
        address="{street} {n}\n{pc} {city}\nNetherlands",
    ),
    "RO": Country(
        label="Romania",
        tld="ro",
        weight=0.2,
        suffixes=("S.R.L.", "S.R.L.", "S.A."),
        surnames=_words(
            "Popescu, Ionescu, Popa, Stan, Dumitrescu, Constantinescu, Ștefănescu, Munteanu, Gheorghiu, "
            "Rădulescu, Marinescu, Tudor, Dobre, Lazăr, Niculescu, Mihăilescu, Țurcanu, Bălan"
        ),
        given=_words(
            "Andrei, Ioana, Mihai, Elena, Alexandru, Ana-Maria, Ștefan, Cristina, Radu, Mădălina, Bogdan, "
            "Irina, Vlad, Oana, Tudor, Simona"
        ),
        patterns=(
            ("{s} Construcții", "Construction"),
            ("{s} Distribuție", "Retail"),
            ("Agro {s}", "Agriculture"),
            ("Tipografia {s}", "Printing"),
            ("{s} Consultanță", "Professional services"),
            ("Mobila {s}", "Manufacturing"),
            ("Farmacia {s}", "Healthcare"),
            ("{s} Transport", "Logistics"),
        ),
        specials=(
            ("Transilvania Logistic", "S.R.L.", "Logistics"),
            ("Carpați Energie", "S.A.", "Energy"),
            ("Dunărea Transport Fluvial", "S.A.", "Logistics"),
            ("Bucovina Lactate", "S.R.L.", "Food & beverage"),
        ),
        cities=_pairs(
            "București=010063, Cluj-Napoca=400001, Timișoara=300001, Iași=700001, Brașov=500001, "
            "Constanța=900001, Sibiu=550001"
        ),
        streets=_words(
            "Calea Victoriei, Bulevardul Unirii, Strada Lipscani, Strada Memorandumului, "
            "Bulevardul Eroilor, Strada Republicii"
        ),
        address="{street} nr. {n}\n{pc} {city}\nRomania",
    ),
    "GB": Country(
        label="United Kingdom",
        tld="co.uk",
        weight=0.2,
        suffixes=("Ltd", "Ltd", "Ltd", "plc", "LLP"),
        surnames=_words(
            "Hartley, Whitmore, Ashworth, Fletcher, Harrington, Pemberton, Thornton, Caldwell, Bradshaw, "
            "Kingsley, Osborne, Fairfax, Holloway, Sinclair, Blackwood, Prescott"
        ),
        given=_words(
            "Oliver, Charlotte, James, Amelia, Harry, Sophie, George, Emily, Thomas, Grace, William, "
            "Hannah, Jack, Eleanor, Priya, Callum"
        ),
        patterns=(
            ("{s} & Sons", "Manufacturing"),
            ("{s} Engineering", "Engineering"),
            ("{s} Consulting", "Professional services"),
            ("{s} Foods", "Food & beverage"),
            ("{s} Print", "Printing"),
            ("{s} Facilities", "Facility services"),
            ("{s} Freight", "Logistics"),
            ("{s} Dental Group", "Healthcare"),
        ),
        specials=(
            ("Northbridge Logistics", "Ltd", "Logistics"),
            ("Thames Valley Software", "Ltd", "Software"),
            ("Pennine Building Supplies", "Ltd", "Construction"),
        ),
        cities=_pairs(
            "London=EC2A 4NE, Manchester=M2 4LQ, Leeds=LS1 4AP, Bristol=BS1 4DJ, Birmingham=B2 4QA, "
            "Edinburgh=EH2 2ER, Cambridge=CB2 1TN"
        ),
        streets=_words("High Street, King Street, Victoria Road, Church Lane, Market Place, Queen Square"),
        address="{n} {street}\n{city} {pc}\nUnited Kingdom",
    ),
}
COUNTRY_CODES = list(COUNTRIES)

PRIMARY_ROLES = (
    "Managing director",
    "Chief financial officer",
    "Head of operations",
    "Procurement manager",
    "IT manager",
)
OTHER_ROLES = ("Accounts payable", "Office manager", "Project lead", "Purchasing assistant", "Site manager")

# kind: (shortest, longest, step) in minutes
DURATIONS = {
    "email": (5, 25, 5),
    "call": (10, 60, 5),
    "meeting": (30, 120, 15),
    "support": (15, 150, 15),
    "demo": (45, 90, 15),
    "visit": (90, 300, 30),
    "proposal": (60, 240, 30),
}
KIND_MIX = {
    "normal": {"email": 30, "call": 30, "meeting": 14, "support": 13, "visit": 5, "proposal": 4, "demo": 4},
    "loss": {"support": 45, "call": 30, "email": 13, "meeting": 9, "visit": 3},
    "acquisition": {"call": 30, "demo": 25, "proposal": 20, "meeting": 15, "visit": 10},
}
NOTES = {
    "email": (
        "Sent the monthly report",
        "Answered questions on the last invoice",
        "Shared the updated delivery schedule",
        "Confirmed the meeting agenda",
        "Sent the revised price list",
    ),
    "call": (
        "Quarterly check-in",
        "Follow-up on the last delivery",
        "Question about the new price list",
        "Planning call for next quarter",
        "Escalation about a delayed order",
        "Renewal discussion",
    ),
    "meeting": (
        "Quarterly business review",
        "Kick-off meeting for a new project",
        "Steering committee",
        "Contract renewal meeting",
        "Workshop on reporting needs",
    ),
    "support": (
        "Export to the accounting system fails",
        "Access for three new users",
        "Data import errors",
        "Urgent fix requested before month-end",
        "Configuration change requested",
        "Training session for new staff",
    ),
    "demo": ("Demo of the reporting module", "Demo of the mobile app", "Product demo for the board"),
    "visit": (
        "On-site visit and plant tour",
        "Visit to the head office",
        "On-site workshop with the operations team",
    ),
    "proposal": (
        "Proposal for a three-year contract",
        "Renewal proposal",
        "Proposal for an additional site",
        "Revised proposal after negotiation",
    ),
}
ACQUISITION_NOTES = {
    "call": ("Introductory call", "Qualification call with the buyer", "Follow-up after the trade fair"),
    "demo": ("First demo", "Demo for the operations team", "Second demo with the decision makers"),
    "proposal": ("Proposal sent", "Revised proposal after the pricing discussion", "Final offer"),
    "meeting": ("Discovery meeting", "Meeting with procurement", "Negotiation meeting"),
    "visit": ("Site visit to scope the needs", "Visit with our solution architect"),
}
FINANCE_NOTES = (
    "Billing question about the last invoice",
    "Payment reminder call; payment promised by month-end",
    "Agreed a payment plan for the overdue invoices",
    "Explained the credit note",
    "Checked the remittance details",
)
STRATEGIC_REASONS = (
    "Largest account in its market; anchors our references in every tender.",
    "Reference site for our public-sector offer; keeps us on the framework agreement.",
    "Co-develops the reporting module with us and tests every release first.",
    "Opens the door to the group's other subsidiaries.",
    "Flagship brand: its logo is on our website and in every pitch.",
    "Board-level relationship: its chairman sits on our advisory board.",
)
FORMER_NOTES = (
    "Moved the work to an in-house team.",
    "Ended the contract after the price increase.",
    "Taken over by a group with its own provider.",
)


def money(value):
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def ascii_slug(text, sep="-"):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return sep.join(words)


def top_share(revenue_by_client):
    """(share of revenue brought by the top 20 % of the clients with revenue, that number of clients, all)."""
    values = sorted((value for value in revenue_by_client.values() if value > 0), reverse=True)
    if not values:
        return 0.0, 0, 0
    top = max(1, int(len(values) * 0.2 + 0.5))
    return float(sum(values[:top]) / sum(values)), top, len(values)


@dataclass
class InvoicePlan:
    client: int
    issued_on: dt.date
    factor: float  # the share of the client's annual revenue this invoice carries
    amount: Decimal = Decimal("0.00")
    cost_of_sales: Decimal | None = None
    written_off: Decimal = Decimal("0.00")
    number: str = ""
    payments: list = field(default_factory=list)  # (paid on, amount)

    @property
    def due_on(self):
        return self.issued_on + dt.timedelta(days=PAYMENT_TERMS_DAYS)


@dataclass
class ClientPlan:
    index: int
    country: str
    name: str
    segment: str
    manager: str
    prospect: bool = False
    weight: float = 1.0
    base_fee: float = 0.0
    trend: float = 0.0
    annual: float = 0.0
    acquired_on: dt.date | None = None
    left_on: dt.date | None = None
    cadence: int = 1
    phase: int = 0
    issue_day: int = 1
    margin_rate: float = 0.5
    blank_cost_rate: float = 0.1
    service_share: float = 0.1
    profile: str = "normal"  # normal, loss, marginal
    late_payer: bool = False
    late_mean: float = 0.0
    write_off: bool = False
    strategic_reason: str = ""
    referred_by: int | None = None
    acquisition_cost: Decimal | None = None  # unknown unless the plan gives one
    estimated_margin: Decimal | None = None
    notes: list = field(default_factory=list)
    contacts: list = field(default_factory=list)  # (name, e-mail, role, address, primary)
    invoices: list = field(default_factory=list)

    @property
    def ref(self):
        return f"{DEMO_REF_PREFIX}{self.index + 1:04d}"

    @property
    def status(self):
        if self.prospect:
            return Client.Status.PROSPECT
        return Client.Status.FORMER if self.left_on else Client.Status.ACTIVE


@dataclass
class Summary:
    seed: int
    months: int
    as_of: dt.date
    clients: int = 0
    active: int = 0
    former: int = 0
    prospects: int = 0
    managers: int = 0
    invoices: int = 0
    credit_notes: int = 0
    payments: int = 0
    open_overdue: int = 0
    interactions: int = 0
    expenses: int = 0
    revenue_12m: Decimal = Decimal("0.00")
    top_share: float = 0.0
    top_clients: int = 0
    clients_with_revenue: int = 0
    loss_makers: int = 0
    overheads_per_month: Decimal = Decimal("0.00")


def demo_clients():
    return Client.objects.filter(external_ref__startswith=DEMO_REF_PREFIX)


def demo_delete():
    """Remove the demo clients and everything recorded on them, and the demo staff's hourly costs."""
    clients = demo_clients()
    Payment.objects.filter(invoice__client__in=clients).delete()
    Invoice.objects.filter(client__in=clients).delete()
    Expense.objects.filter(client__in=clients).delete()
    Interaction.objects.filter(client__in=clients).delete()
    Contact.objects.filter(client__in=clients).delete()
    clients.update(referred_by=None)
    clients.delete()
    StaffCost.objects.filter(user__username__in=STAFF).delete()


class PortfolioBuilder:
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
        contacts, emails = [], []
        for position in range(1 + rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            given, surname = rng.choice(country.given), rng.choice(country.surnames)
            email = f"{ascii_slug(given, '')}.{ascii_slug(surname, '')}@{domain}"
            if email in emails:
                continue
            emails.append(email)
            role = rng.choice(PRIMARY_ROLES if position == 0 else OTHER_ROLES)
            contacts.append((f"{given} {surname}", email, role, address, position == 0))
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

    # -------------------------------------------------------------- revenue

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

    def _plan_credit_notes(self):
        rng = self.rng
        candidates = [
            invoice
            for plan in self.customers
            if not (plan.late_payer or plan.left_on)
            for invoice in plan.invoices
            if self.period_start <= invoice.issued_on <= self.today - dt.timedelta(days=40)
            and invoice.amount >= 1_000
        ]
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

    # ------------------------------------------------------------- payments

    def _plan_payments(self):
        rng = self.rng
        regular = [
            invoice
            for plan in self.customers
            if not (plan.late_payer or plan.left_on)
            for invoice in plan.invoices
            if invoice.amount > 0 and 10 <= (self.today - invoice.due_on).days <= 80
        ]
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

    # --------------------------------------------------------- interactions

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

    # ------------------------------------------------------------- expenses

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
                day = self.start + dt.timedelta(days=rng.randint(0, (self.today - self.start).days))
                add(
                    plan.index,
                    day,
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
            if rng.random() < 0.04:
                day = self.start + dt.timedelta(days=rng.randint(0, (self.today - self.start).days))
                add(
                    plan.index,
                    day,
                    Expense.Category.EQUIPMENT,
                    rng.uniform(600, 1_800),
                    "Loan laptop for the client's on-site team",
                )
            if rng.random() < 0.03:
                day = self.start + dt.timedelta(days=rng.randint(0, (self.today - self.start).days))
                add(
                    plan.index,
                    day,
                    Expense.Category.DISCOUNT,
                    rng.uniform(500, 3_000),
                    "Loyalty discount granted at renewal",
                )
            if rng.random() < 0.05:
                day = self.start + dt.timedelta(days=rng.randint(0, (self.today - self.start).days))
                add(
                    plan.index,
                    day,
                    Expense.Category.OTHER,
                    rng.uniform(100, 400),
                    "Invitation to the client event",
                )
        self.expenses.sort(key=lambda row: (row[0], row[1], row[2]))

    # ---------------------------------------------------------------- write

    def _staff_users(self):
        """The demo users exist already (`demo_users`); the extra account managers are created here."""
        User = get_user_model()
        managers = Group.objects.get(name=ACCOUNT_MANAGERS)
        for username, first, last in EXTRA_MANAGERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
            )
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(managers)
        return {user.username: user for user in User.objects.filter(username__in=STAFF)}

    def write(self):
        users = self._staff_users()
        StaffCost.objects.filter(user__username__in=STAFF).delete()
        StaffCost.objects.bulk_create(
            StaffCost(user=users[username], effective_from=since, hourly_cost=hourly)
            for username, rows in self.staff_costs.items()
            for since, hourly in rows
        )
        clients = [
            Client(
                name=plan.name,
                external_ref=plan.ref,
                status=plan.status,
                account_manager=users[plan.manager],
                segment=plan.segment,
                acquired_on=plan.acquired_on,
                acquisition_cost=plan.acquisition_cost,
                is_strategic=bool(plan.strategic_reason),
                strategic_reason=plan.strategic_reason,
                estimated_annual_margin=plan.estimated_margin,
                notes="\n".join(plan.notes),
            )
            for plan in self.plans
        ]
        Client.objects.bulk_create(clients)
        referred = []
        for plan, client in zip(self.plans, clients, strict=True):
            if plan.referred_by is not None:
                client.referred_by = clients[plan.referred_by]
                referred.append(client)
        Client.objects.bulk_update(referred, ["referred_by"])
        Contact.objects.bulk_create(
            Contact(
                client=clients[plan.index],
                name=name,
                email=email,
                role=role,
                postal_address=address,
                is_primary=primary,
            )
            for plan in self.plans
            for name, email, role, address, primary in plan.contacts
        )
        invoice_plans = [invoice for plan in self.customers for invoice in plan.invoices]
        invoices = [
            Invoice(
                client=clients[invoice.client],
                number=invoice.number,
                issued_on=invoice.issued_on,
                due_on=invoice.due_on,
                amount=invoice.amount,
                cost_of_sales=invoice.cost_of_sales,
                written_off=invoice.written_off,
            )
            for invoice in invoice_plans
        ]
        Invoice.objects.bulk_create(invoices, batch_size=1000)
        Payment.objects.bulk_create(
            (
                Payment(invoice=invoice, paid_on=paid_on, amount=amount)
                for plan, invoice in zip(invoice_plans, invoices, strict=True)
                for paid_on, amount in plan.payments
            ),
            batch_size=1000,
        )
        Interaction.objects.bulk_create(
            (
                Interaction(
                    client=clients[client_index],
                    staff=users[username],
                    kind=kind,
                    started_at=started,
                    duration_minutes=minutes,
                    note=note,
                )
                for client_index, username, kind, started, minutes, note in self.interactions
            ),
            batch_size=1000,
        )
        Expense.objects.bulk_create(
            (
                Expense(
                    client=clients[client_index], spent_on=day, category=category, amount=amount, note=note
                )
                for client_index, day, category, amount, note in self.expenses
            ),
            batch_size=1000,
        )
        summary = self.summary()
        cost_settings = CostSettings.load()
        if cost_settings.overheads_per_month != summary.overheads_per_month:
            cost_settings.overheads_per_month = summary.overheads_per_month
            cost_settings.save()
        return summary

    # -------------------------------------------------------------- summary

    def summary(self):
        start, end = self.period_start, self.period_end
        revenue, gross, service = {}, {}, {}
        margin_rate = CostSettings.load().default_margin_rate / 100
        for plan in self.customers:
            in_period = [i for i in plan.invoices if start <= i.issued_on <= end]
            revenue[plan.index] = sum((i.amount for i in in_period), Decimal("0"))
            gross[plan.index] = sum(
                (
                    i.amount - i.cost_of_sales if i.cost_of_sales is not None else i.amount * margin_rate
                    for i in in_period
                ),
                Decimal("0"),
            )
        for client_index, username, _kind, started, minutes, _note in self.interactions:
            day = timezone.localtime(started, self.tz).date()
            if start <= day <= end:
                cost = Decimal(minutes) / 60 * self.hourly_cost(username, day)
                service[client_index] = service.get(client_index, Decimal("0")) + cost
        for client_index, day, _category, amount, _note in self.expenses:
            if start <= day <= end:
                service[client_index] = service.get(client_index, Decimal("0")) + amount
        share, top, with_revenue = top_share(revenue)
        total = sum(revenue.values(), Decimal("0"))
        overheads = Decimal(round(float(total) * 0.1 / 12 / 500) * 500).quantize(CENT)
        invoices = [invoice for plan in self.customers for invoice in plan.invoices]
        return Summary(
            seed=self.seed,
            months=self.months,
            as_of=self.today,
            clients=len(self.customers),
            active=sum(1 for p in self.customers if not p.left_on),
            former=sum(1 for p in self.customers if p.left_on),
            prospects=sum(1 for p in self.plans if p.prospect),
            managers=len({p.manager for p in self.plans}),
            invoices=len(invoices),
            credit_notes=sum(1 for i in invoices if i.amount < 0),
            payments=sum(len(i.payments) for i in invoices),
            open_overdue=sum(
                1
                for i in invoices
                if i.amount > 0
                and not i.written_off
                and i.due_on < self.today
                and sum((amount for _day, amount in i.payments), Decimal("0")) < i.amount
            ),
            interactions=len(self.interactions),
            expenses=len(self.expenses),
            revenue_12m=total,
            top_share=share,
            top_clients=top,
            clients_with_revenue=with_revenue,
            loss_makers=sum(1 for index in revenue if service.get(index, Decimal("0")) > gross[index]),
            overheads_per_month=overheads,
        )


def portfolio_build(*, seed, clients, months, as_of=None):
    """Plan and write the demo portfolio; the caller holds the transaction. Returns a Summary."""
    return PortfolioBuilder(seed=seed, clients=clients, months=months, as_of=as_of).plan().write()
