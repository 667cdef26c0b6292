"""Per-client rules in Python, each beside its SQL twin where the set-based pass needs one
(see docs/figures.md).

- Rounding: ``money`` (cents) and ``ratio`` (shares, six places), half up.
- ``ClientFigures``: one client's period figures and what follows from them (net profit, net
  margin, NP per hour).
- Acquisition share: ``acquisition_share`` and ``acquisition_share_sql``.
- Referral credit: ``referral_credit``.
- Hourly cost in force: ``rate_history``, ``hourly_cost_on`` and ``hourly_cost_in_force`` (the
  ledger pass's service component reads ``rate_history``).

The late-payment cost has its own module (``audits.profitability.late_payment``); what is open on
an invoice and how late it is paid live in ``clients.receivables``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, OuterRef, Subquery

from audits.profitability.sql.fragments import FAR_FUTURE, _month, _pg
from clients.models import Client, StaffCost
from clients.periods import month_index

ZERO = Decimal("0")
ONE = Decimal("1")
CENT = Decimal("0.01")
SHARE = Decimal("0.000001")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    return (value if type(value) is Decimal else Decimal(value)).quantize(CENT, ROUND_HALF_UP)


def ratio(value) -> Decimal:
    return (value if type(value) is Decimal else Decimal(value)).quantize(SHARE, ROUND_HALF_UP)


# The money figures of ClientFigures, in the order of the cost breakdown (net profit is derived
# from them), and what a client snapshot stores for ClientFigures.
MONEY_FIGURES = (
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "direct_expenses",
    "acquisition_share",
    "late_payment_cost",
    "bad_debt",
)
FIGURE_FIELDS = (*MONEY_FIGURES, "service_minutes")


@dataclass(frozen=True, slots=True)
class ClientFigures:
    """One client's period figures, already rounded to cents."""

    client_id: int
    revenue: Decimal = ZERO
    gross_margin: Decimal = ZERO
    cost_to_serve: Decimal = ZERO
    direct_expenses: Decimal = ZERO
    acquisition_share: Decimal = ZERO
    late_payment_cost: Decimal = ZERO
    bad_debt: Decimal = ZERO
    service_minutes: int = 0
    net_profit: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Read for every ranking, share and flag: computed once.
        net_profit = (
            self.gross_margin
            - self.cost_to_serve
            - self.direct_expenses
            - self.acquisition_share
            - self.late_payment_cost
            - self.bad_debt
        )
        object.__setattr__(self, "net_profit", net_profit)

    @classmethod
    def of(cls, snapshot) -> ClientFigures:
        """The figures of a stored client snapshot (anything with client_id and FIGURE_FIELDS)."""
        return cls(client_id=snapshot.client_id, **{name: getattr(snapshot, name) for name in FIGURE_FIELDS})

    @property
    def costs(self) -> Decimal:
        """Everything between gross margin and net profit."""
        return self.gross_margin - self.net_profit

    @property
    def service_hours(self) -> Decimal:
        return Decimal(self.service_minutes) / 60

    @property
    def net_margin(self) -> Decimal | None:
        """NP / R; undefined when revenue is not positive (-250 / -500 is no +50 % margin)."""
        return ratio(self.net_profit / self.revenue) if self.revenue > 0 else None

    @property
    def profit_per_hour(self) -> Decimal | None:
        return None if self.service_minutes == 0 else money(self.net_profit / self.service_hours)


# Acquisition share -------------------------------------------------------------------------------


def amortisation_window(acquired_on: dt.date, amortisation: int) -> tuple[int, int]:
    """The first and last months (month indexes) an acquisition cost is spread over: by calendar
    month from the month of acquisition, ``amortisation`` months."""
    begin = month_index(acquired_on)
    return begin, begin + amortisation - 1


def amortised_months(acquired_on: dt.date | None, amortisation: int, first: int, last: int) -> int:
    """How many of the months first..last (month indexes) fall inside the amortisation window."""
    if acquired_on is None:
        return 0
    begin, end = amortisation_window(acquired_on, amortisation)
    return max(0, min(last, end) - max(first, begin) + 1)


def acquisition_share(
    cost: Decimal | None, acquired_on: dt.date | None, amortisation_months: int, first: int, last: int
) -> Decimal:
    """The acquisition cost spread evenly over ``amortisation_months`` calendar months from the month
    of acquisition: the share falling in the months first..last (month indexes), rounded to cents.
    Unknown or zero cost, or no acquisition date: nothing to amortise."""
    if not cost:
        return ZERO
    months = amortised_months(acquired_on, amortisation_months, first, last)
    return money(cost * months / amortisation_months)


def acquisition_share_sql(
    month: str, amortisation: str = "c", *, columns: tuple[str, ...] = ()
) -> tuple[str, str]:
    """The SQL twin of ``acquisition_share`` for one month: (a subquery of each client's
    amortisation window and monthly share, to join as ``amortisation``, and the share of the month
    ``month``). The subquery takes the amortisation months twice as parameters; it also selects the
    client's ``columns`` (read in the same pass over the clients)."""
    if _pg():
        until = (
            "CAST(date_trunc('month', CAST(acquired_on AS timestamp)) + make_interval(months => %s) AS date)"
        )
    else:
        until = "date(acquired_on, 'start of month', '+' || %s || ' months')"
    # The amortisation window of each client, computed once per client rather than per row.
    window = f"""
        SELECT id, {"".join(f"{column}, " for column in columns)}{_month("acquired_on")} AS aq_from, {until} AS aq_until,
            ROUND(COALESCE(acquisition_cost, 0) * 1.0 / %s, 2) AS aq
        FROM {Client._meta.db_table}
    """
    a = amortisation
    share = f"CASE WHEN {month} >= {a}.aq_from AND {month} < {a}.aq_until THEN {a}.aq ELSE 0 END"
    return window, share


# Referral credit ---------------------------------------------------------------------------------


def referral_credit(gross_margin: Decimal, share: Decimal) -> Decimal:
    """What a referrer is credited for the gross margin of the clients it referred: the referral
    share (a fraction) x that gross margin, rounded to cents."""
    return money(gross_margin * share)


# Hourly cost in force ----------------------------------------------------------------------------


def rate_history() -> list[tuple[int, dt.date, dt.date, int]]:
    """The staff-cost history as (user, from, until, hourly cost in cents): each hourly cost is in
    force from its effective date until the staff member's next one (one query)."""
    rows = list(
        StaffCost.objects.order_by("user_id", "effective_from").values_list(
            "user_id", "effective_from", "hourly_cost"
        )
    )
    history = []
    for index, (user, since, cost) in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        until = following[1] if following and following[0] == user else FAR_FUTURE
        history.append((user, since, until, int(cost * 100)))
    return history


def hourly_cost_on(
    history: list[tuple[int, dt.date, dt.date, int]], user: int, day: dt.date
) -> Decimal | None:
    """The hourly cost in force for ``user`` on a local day, from ``rate_history()``; None before
    the first."""
    for staff, since, until, cents in history:
        if staff == user and since <= day < until:
            return Decimal(cents) / 100
    return None


def hourly_cost_in_force(staff: str = "staff", day: str = "day"):
    """The ORM twin of ``hourly_cost_on``: the staff member's hourly cost in force on the row's
    local day (a correlated subquery on the fields named ``staff`` and ``day``)."""
    return Subquery(
        StaffCost.objects.filter(user=OuterRef(staff), effective_from__lte=OuterRef(day))
        .order_by("-effective_from")
        .values("hourly_cost")[:1],
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
