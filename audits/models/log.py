"""The activity log: who did what, when, on which object.

Entries are written by ``audits.log.log_action`` in the same transaction as the change they record,
so a change and its entry are kept or rolled back together.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models.fields import optional_link

# Every action the log records: its code and what it says (the log reads the same in every language).
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
    "audit.decision_withdrawn": _("withdrew a decision that no longer stands"),
    "audit.risk_acknowledged": _("acknowledged a risk"),
    "audit.completed": _("completed the audit"),
    "transition.created": _("started a transition"),
    "transition.stage_changed": _("moved the transition to another stage"),
    "transition.schedule_changed": _("changed the phase-out schedule"),
    "transition.alternatives_proposed": _("chose the alternatives to propose"),
    "provider.saved": _("saved an alternative provider"),
    "letter_template.saved": _("saved a letter template"),
    "letterhead.saved": _("saved the letterhead"),
    "letter.drafted": _("wrote a letter from its template"),
    "letter.edited": _("edited a letter"),
    "letter.queued": _("asked for a letter to be sent by e-mail"),
    "letter.sent": _("sent a letter"),
    "letter.failed": _("a letter could not be sent"),
}


class ActivityLog(models.Model):
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    user = optional_link(settings.AUTH_USER_MODEL, _("who"))
    action = models.CharField(_("action"), max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(_("object"), max_length=200)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"], name="activity_object")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def description(self) -> str:
        """What was done, in words (the action's label, or its code when it has none)."""
        return str(ACTIONS.get(self.action, self.action))
