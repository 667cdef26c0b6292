"""The shapes of the planned portfolio, held in memory before any row is written: a client's plan (its life,
its invoices), an invoice's plan, and the summary printed after the build."""

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from clients.demo.data import DEMO_REF_PREFIX, PAYMENT_TERMS_DAYS
from clients.models import CENT, Client


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
    contacts: list = field(default_factory=list)  # (name, e-mail, role, address, primary, language)
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
    """What a build wrote, as ``summary.portfolio_summary`` counts it from the plan."""

    seed: int
    months: int
    as_of: dt.date
    clients: int
    active: int
    former: int
    prospects: int
    managers: int
    invoices: int
    credit_notes: int
    payments: int
    open_overdue: int
    interactions: int
    expenses: int
    revenue_12m: Decimal
    top_share: float
    top_clients: int
    clients_with_revenue: int
    loss_makers: int
    overheads_per_month: Decimal
