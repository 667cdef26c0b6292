"""Reads of the transitions: who sees which, the phase-out cash flow, the values of a letter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.models import AlternativeProvider, Letter, Letterhead, LetterTemplate, Transition
from audits.transitions import placeholders
from clients import display
from clients.access import sees_all, visible
from clients.models import Client, Invoice
from clients.models.parties import firm_language
from clients.periods import add_months, month_index, month_start

LETTER_DATE = "j F Y"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The salutation of a letter in each language, with and without a contact's name: letter content,
# like the templates, not the interface's language.
SALUTATIONS = {
    "en": ("Dear {name},", "Dear Sir or Madam,"),
    "fr": ("Bonjour {name},", "Madame, Monsieur,"),
    "nl": ("Beste {name},", "Geachte heer, mevrouw,"),
    "ro": ("Bună ziua, {name},", "Stimată doamnă, stimate domn,"),
}


# The stage each letter marks: sending it moves an earlier transition there (``services``), and the
# final thank-you, which says the collaboration has ended, waits for it.
LETTER_STAGES = {
    LetterTemplate.Kind.ANNOUNCEMENT: Transition.Stage.ANNOUNCED,
    LetterTemplate.Kind.ALTERNATIVES: Transition.Stage.ALTERNATIVES_OFFERED,
    LetterTemplate.Kind.THANK_YOU: Transition.Stage.COMPLETED,
}


def letter_old_company_name(letter: Letter, letterhead: Letterhead) -> str | None:
    """Why a letter's text cannot be sent as it stands: it was written while the letterhead still
    read the name letters carry before anyone fills it in, and says so still, though the letterhead
    has been filled in since (a letter's text is written once, from its template)."""
    unset = settings.LETTERHEAD_UNSET_NAME
    if letterhead.is_unset or unset not in f"{letter.subject}\n{letter.body}":
        return None
    return _(
        "This letter was written while the letterhead read “%(old)s”, and its text still says so: "
        "replace it with “%(name)s” before sending it."
    ) % {"old": unset, "name": letterhead.name}


def letter_refusal(*, transition: Transition, kind: str) -> str | None:
    """Why no letter of ``kind`` may be written or sent for the transition at its stage (None when
    it may): none once it is cancelled (the client stays); the announcement and the alternatives
    while it is open; the final thank-you once it is completed."""
    if transition.stage == Transition.Stage.CANCELLED:
        return _("This transition is cancelled: the client stays, and no letter goes out.")
    if kind == LetterTemplate.Kind.THANK_YOU:
        if transition.stage != Transition.Stage.COMPLETED:
            return _(
                "The final thank-you says the collaboration has ended: it goes out once the transition is completed."
            )
        return None
    if not transition.is_open:
        return _("This transition is completed: only the final thank-you goes out now.")
    return None


def transitions_for(*, user):
    """The transitions of the clients the user sees."""
    rows = Transition.objects.select_related("client", "client__account_manager", "created_by", "audit")
    return visible(rows, user, through="client")


def transition_get_for_user(*, user, pk) -> Transition:
    return get_object_or_404(transitions_for(user=user), pk=pk)


def letter_get_for_user(*, user, pk) -> Letter:
    rows = Letter.objects.select_related(
        "transition", "transition__client", "transition__client__account_manager", "sender"
    )
    return get_object_or_404(visible(rows, user, through="transition__client"), pk=pk)


def phase_out_refusals(clients) -> dict[int, str]:
    """Why each of ``clients`` cannot be phased out now (a prospect, a former client, one already in
    a transition), by client id; the others are absent. One query whatever their number: checked
    when a transition is created, when an audit decides one and before the audit is completed."""
    clients = list(clients)
    leaving = set(
        Transition.objects.filter(client__in=clients, stage__in=Transition.OPEN).values_list(
            "client_id", flat=True
        )
    )
    refusals = {}
    for client in clients:
        if client.status in (Client.Status.PROSPECT, Client.Status.FORMER):
            refusals[client.pk] = _(
                "%(client)s is a %(status)s client: only a current client can be phased out."
            ) % {
                "client": client.name,
                "status": client.get_status_display().lower(),
            }
        elif client.pk in leaving:
            refusals[client.pk] = _("%(client)s already has an open transition.") % {"client": client.name}
    return refusals


def average_monthly_revenue(*, client, month: int) -> Decimal:
    """The client's invoiced revenue over the 12 calendar months before month index ``month``, per month."""
    total = Invoice.objects.filter(
        client=client, issued_on__gte=month_start(month - 12), issued_on__lt=month_start(month)
    ).aggregate(total=Sum("amount"))["total"]
    return ((total or ZERO) / 12).quantize(CENT, rounding=ROUND_HALF_UP)


def linear_schedule(*, baseline: Decimal, first: int, last: int) -> list[tuple[dt.date, Decimal]]:
    """From ``baseline`` in month ``first`` falling linearly to zero in month ``last`` (indexes)."""
    steps = last - first
    if steps <= 0:
        return [(month_start(first), ZERO)]
    return [
        (month_start(first + i), (baseline * (steps - i) / steps).quantize(CENT, rounding=ROUND_HALF_UP))
        for i in range(steps + 1)
    ]


def primary_contact(client):
    """The contact the letters are addressed to: the primary one, else the first by name."""
    contacts = list(client.contacts.all())
    return contacts[0] if contacts else None  # ordered primary first


def letter_language(*, client) -> str:
    """The language a transition's letters default to: the language of the contact they are addressed
    to (``primary_contact``), else the firm's default."""
    contact = primary_contact(client)
    return contact.letter_language if contact is not None else firm_language()


@dataclass
class CashMonth:
    """A month of a phase-out: what the schedule expected, what was invoiced (None for a month not
    begun; for the month in progress, what was invoiced so far), and the average before."""

    month: dt.date
    expected: Decimal
    actual: Decimal | None
    baseline: Decimal
    complete: bool = True  # ended before today; False for the month in progress and those to come

    @property
    def in_progress(self):
        return self.actual is not None and not self.complete

    @property
    def gap(self):
        """Actual minus expected (negative: less than planned), for a complete month."""
        return self.actual - self.expected if self.complete and self.actual is not None else None

    @property
    def loss(self):
        """The revenue lost that month against the average before the transition, for a complete
        month (the month in progress may still be invoiced)."""
        return self.baseline - self.actual if self.complete and self.actual is not None else None


@dataclass
class CashFlow:
    """A phase-out's months; its figures to date are those of the complete months."""

    months: list[CashMonth] = field(default_factory=list)

    def _complete(self):
        return [m for m in self.months if m.complete and m.actual is not None]

    @property
    def last_complete(self) -> dt.date | None:
        """The first day of the last complete month the figures to date count, if any."""
        complete = self._complete()
        return complete[-1].month if complete else None

    @property
    def expected_total(self):
        return sum((m.expected for m in self.months), ZERO)

    @property
    def actual_to_date(self):
        return sum((m.actual for m in self._complete()), ZERO)

    @property
    def expected_to_date(self):
        return sum((m.expected for m in self._complete()), ZERO)

    @property
    def loss_to_date(self):
        """The total temporary loss of the complete months: the average revenue before, less what
        was invoiced."""
        return sum((m.loss for m in self._complete()), ZERO)

    @property
    def gap_to_date(self):
        return self.actual_to_date - self.expected_to_date


def _actuals(client_ids, first: dt.date) -> dict[tuple[int, dt.date], Decimal]:
    rows = (
        Invoice.objects.filter(client_id__in=client_ids, issued_on__gte=first)
        .annotate(month=TruncMonth("issued_on"))
        .values("client_id", "month")
        .annotate(total=Sum("amount"))
    )
    return {(row["client_id"], row["month"]): row["total"] for row in rows}


def _cash_months(transition, months, actuals, today):
    current = month_index(today)
    return [
        CashMonth(
            month=row.month,
            expected=row.expected_revenue,
            actual=(
                actuals.get((transition.client_id, row.month), ZERO)
                if month_index(row.month) <= current
                else None
            ),
            baseline=transition.monthly_baseline,
            complete=month_index(row.month) < current,
        )
        for row in months
    ]


def cashflow(*, transition, today=None) -> CashFlow:
    """Expected against invoiced revenue, month by month, for one transition (2 queries)."""
    today = today or timezone.localdate()
    months = list(transition.months.all())
    if not months:
        return CashFlow()
    actuals = _actuals([transition.client_id], months[0].month)
    return CashFlow(months=_cash_months(transition, months, actuals, today))


def cashflow_all(*, user, open_only=False, today=None) -> tuple[CashFlow, list[tuple[Transition, CashFlow]]]:
    """The cash flow of every transition the user sees (cancelled ones left out), each and summed by
    month. Three queries whatever the number of transitions."""
    today = today or timezone.localdate()
    rows = transitions_for(user=user).exclude(stage=Transition.Stage.CANCELLED)
    if open_only:
        rows = rows.filter(stage__in=Transition.OPEN)
    transitions = list(rows.prefetch_related("months").order_by("end_date", "pk"))
    each = []
    first = min((m.month for t in transitions for m in t.months.all()), default=None)
    actuals = _actuals([t.client_id for t in transitions], first) if first else {}
    by_month: dict[dt.date, CashMonth] = {}
    for transition in transitions:
        flow = CashFlow(months=_cash_months(transition, list(transition.months.all()), actuals, today))
        each.append((transition, flow))
        for month in flow.months:
            total = by_month.setdefault(
                month.month, CashMonth(month.month, ZERO, None, ZERO, complete=month.complete)
            )
            total.expected += month.expected
            total.baseline += month.baseline
            if month.actual is not None:
                total.actual = (total.actual or ZERO) + month.actual
    return CashFlow(months=[by_month[key] for key in sorted(by_month)]), each


def dashboard_watch(*, user):
    """For finance (who sees every client) while any transition is open: the summed cash flow of the
    open transitions; None otherwise."""
    if not sees_all(user) or not Transition.objects.filter(stage__in=Transition.OPEN).exists():
        return None
    total, each = cashflow_all(user=user, open_only=True)
    return {"flow": total, "count": len(each)}


def letter_values(*, transition, language: str, today=None) -> dict[str, str]:
    """The value of each declared placeholder for a letter of ``transition`` in ``language``."""
    return placeholder_values(
        client=transition.client,
        end_date=transition.end_date,
        providers=transition.providers.filter(active=True),
        language=language,
        today=today,
    )


def preview_values(*, client, language: str) -> tuple[dict[str, str], bool]:
    """The values for a template's preview: the client's open transition, or, without one, an end date
    three months on and the first active providers. The flag says which."""
    transition = client.transitions.filter(stage__in=Transition.OPEN).first()
    if transition is not None:
        return letter_values(transition=transition, language=language), True
    values = placeholder_values(
        client=client,
        end_date=add_months(timezone.localdate(), 3),
        providers=AlternativeProvider.objects.filter(active=True)[:3],
        language=language,
    )
    return values, False


def letter_date(day: dt.date, language: str) -> str:
    """A date as a letter in ``language`` writes it, the month in full: '31 March 2027', '31 mars
    2027', '31 maart 2027', '31 martie 2027' (a month's name is written in lower case in French,
    Dutch and Romanian, where Django's Romanian names have a capital)."""
    with translation.override(language):
        text = date_format(day, LETTER_DATE)
    return text if language == "en" else text.lower()


def placeholder_values(*, client, end_date, providers, language: str, today=None) -> dict[str, str]:
    today = today or timezone.localdate()
    contact = primary_contact(client)
    manager = client.account_manager
    named, anonymous = SALUTATIONS.get(language, SALUTATIONS["en"])
    end_date = letter_date(end_date, language)
    today_text = letter_date(today, language)
    return {
        "client_name": client.name,
        "contact_name": contact.name if contact else "",
        "contact_salutation": named.format(name=contact.name) if contact else anonymous,
        "account_manager_name": display.person(manager),
        "account_manager_email": manager.email if manager else "",
        "end_date": end_date,
        "alternatives": placeholders.alternatives_markdown(providers),
        "company_name": Letterhead.load().name,
        "today": today_text,
    }


def letter_recipient(*, transition) -> tuple[str, str]:
    """(e-mail address, postal recipient) of the client's primary contact; blanks without one."""
    contact = primary_contact(transition.client)
    if contact is None:
        return "", ""
    postal = "\n".join(
        part for part in (contact.name, transition.client.name, contact.postal_address) if part
    )
    return contact.email, postal
