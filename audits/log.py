"""Writing to the activity log, in the caller's transaction (the pattern of pretix's ``log_action``).

Every action has a code ("profitability.recompute_requested") and a label; ``log_action`` refuses a code it
does not know, so the log reads the same in every language.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audits.models import ActivityLog

ACTIONS = {
    "profitability.recompute_requested": _("asked for the figures to be recomputed"),
    "audit.started": _("started the audit"),
    "audit.refreshed": _("asked for the audit's figures to be refreshed"),
    "audit.step_changed": _("moved the audit to another step"),
    "audit.check_acknowledged": _("acknowledged a data-quality check"),
    "audit.cost_added": _("added a missing cost"),
    "audit.flag_reviewed": _("reviewed a flag"),
    "audit.commented": _("commented on a flag"),
    "audit.decided": _("recorded a decision"),
    "audit.risk_acknowledged": _("acknowledged a risk"),
    "audit.completed": _("completed the audit"),
}


def log_action(obj, action: str, *, user=None, data: dict | None = None) -> ActivityLog:
    """Record that ``user`` did ``action`` on ``obj``. Call it inside the transaction of the change:
    outside one, the entry could outlive a change that failed, so it is refused."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown activity {action!r}: add it to audits.log.ACTIONS.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("log_action must run inside the transaction of the change it records.")
    return ActivityLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=data or {},
    )


def activity_for(obj):
    """The entries about ``obj``, newest first."""
    return ActivityLog.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("user")
