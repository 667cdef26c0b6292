"""Step 2's writes: a cost missing from the audit's figures, added on the spot (an expense on one of
its clients, a staff member's hourly cost), each in one transaction with its activity-log entry. The
figures count it at the next refresh."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audits.log import log_action
from audits.models import Audit, AuditClient
from audits.review.services import AuditError, lock_audit
from clients import display
from clients.models import Client, Expense, StaffCost


def _cost_add(*, audit: Audit, user, version, cost, describe):
    """Save the cost ``cost()`` gives (read under the audit's lock) and log it on the audit;
    ``describe`` gives the log's data from the saved row."""
    with transaction.atomic():
        locked = lock_audit(audit=audit, version=version)
        row = cost()
        try:
            row.full_clean()
        except ValidationError as exc:
            raise AuditError(" ".join(exc.messages)) from exc
        row.save()
        log_action(locked, "audit.cost_added", user=user, data=describe(row))
    return row


def expense_add(
    *, audit: Audit, user, version, client: Client, spent_on, category, amount, note=""
) -> Expense:
    """A missing expense on one of the audit's clients (step 2), inside the audit's period: an expense
    outside it would never count in the audit's figures. The ledger keeps one expense per client,
    day and category: a second one that day is added to it (its amount, its note), which the
    returned expense's amount shows."""
    if not AuditClient.objects.filter(audit=audit, client=client).exists():
        raise AuditError(_("This client is not in the audit."))
    if not audit.period_start <= spent_on <= audit.period_end:
        raise AuditError(
            _("The expense is dated outside the audit's period (%(start)s to %(end)s): it would never count.")
            % {
                "start": date_format(audit.period_start, "SHORT_DATE_FORMAT"),
                "end": date_format(audit.period_end, "SHORT_DATE_FORMAT"),
            }
        )
    if amount <= 0:
        raise AuditError(_("An expense has an amount above zero."))
    note = (note or "").strip()

    def expense() -> Expense:
        same_day = (
            Expense.objects.select_for_update()
            .filter(client=client, spent_on=spent_on, category=category)
            .first()
        )
        if same_day is None:
            return Expense(client=client, spent_on=spent_on, category=category, amount=amount, note=note)
        same_day.amount += amount
        same_day.note = "\n".join(part for part in (same_day.note, note) if part)
        return same_day

    return _cost_add(
        audit=audit,
        user=user,
        version=version,
        cost=expense,
        describe=lambda row: {
            "expense": row.pk,
            "client": client.name,
            "amount": amount,
            "on": spent_on,
            "category": category,
        },
    )


def staff_cost_add(*, audit: Audit, user, version, staff, effective_from, hourly_cost) -> StaffCost:
    """A missing hourly cost of a staff member (step 2): one a day at most, checked under the
    audit's lock as the expense's day is."""

    def staff_cost() -> StaffCost:
        same_day = StaffCost.objects.filter(user=staff, effective_from=effective_from).first()
        if same_day is not None:
            raise AuditError(
                _(
                    "%(staff)s already has an hourly cost in force from %(day)s (%(rate)s an hour): a new "
                    "rate starts on another day."
                )
                % {
                    "staff": display.person(staff),
                    "day": date_format(effective_from, "DATE_FORMAT"),
                    "rate": display.money(same_day.hourly_cost),
                }
            )
        return StaffCost(user=staff, effective_from=effective_from, hourly_cost=hourly_cost)

    return _cost_add(
        audit=audit,
        user=user,
        version=version,
        cost=staff_cost,
        describe=lambda _row: {
            "staff": staff.get_username(),
            "hourly_cost": hourly_cost,
            "from": effective_from,
        },
    )
