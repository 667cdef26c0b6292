"""Writes of the transitions: create and move them, plan the phase-out, propose alternatives, write
and send the letters. Every change is logged in its own transaction (audits.log)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.log import log_action
from audits.models import AlternativeProvider, Letter, Letterhead, LetterTemplate, Transition, TransitionMonth
from audits.transitions import pdf, placeholders, selectors
from audits.transitions.defaults import DEFAULT_TEMPLATES
from clients.models import Client
from clients.periods import month_index
from config.celery import send_on_commit

SEND_TASK = "audits.tasks.letter_send_task"
# The longest phase-out a schedule may plan, in months.
MAX_MONTHS = 60
CLIENT_STATUS = {
    Transition.Stage.COMPLETED: Client.Status.FORMER,
    Transition.Stage.CANCELLED: Client.Status.ACTIVE,
}

logger = logging.getLogger(__name__)


def _check_end_date(end_date: dt.date, *, first_month: int) -> None:
    today = timezone.localdate()
    if end_date < today:
        raise ValidationError({"end_date": _("The end date cannot be in the past.")})
    if month_index(end_date) - first_month > MAX_MONTHS:
        raise ValidationError(
            {"end_date": _("A phase-out lasts at most %(months)s months.") % {"months": MAX_MONTHS}}
        )


def _schedule_fill(transition: Transition, *, first_month: int) -> None:
    transition.months.all().delete()
    TransitionMonth.objects.bulk_create(
        TransitionMonth(transition=transition, month=month, expected_revenue=amount)
        for month, amount in selectors.linear_schedule(
            baseline=transition.monthly_baseline, first=first_month, last=month_index(transition.end_date)
        )
    )


def transition_create(
    *, client, user, reason: str, end_date: dt.date, audit=None, language=None
) -> Transition:
    """Start phasing ``client`` out (stage planned): the client becomes *transitioning*, and the schedule
    is prefilled from its average monthly revenue of the last 12 months, falling to zero at the end date.
    The letters are written in ``language``; without one, in the language of the contact they are
    addressed to, else the firm's default (``selectors.letter_language``).

    Raises ValidationError for a prospect, a former client, one already in a transition, a blank reason
    or an end date in the past."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this client is being phased out.")})
    first_month = month_index(timezone.localdate())
    _check_end_date(end_date, first_month=first_month)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        refusal = selectors.phase_out_refusals([client]).get(client.pk)
        if refusal:
            raise ValidationError(refusal)
        transition = Transition.objects.create(
            client=client,
            reason=reason,
            end_date=end_date,
            audit=audit,
            created_by=user,
            language=language or selectors.letter_language(client=client),
            monthly_baseline=selectors.average_monthly_revenue(client=client, month=first_month),
        )
        _schedule_fill(transition, first_month=first_month)
        Client.objects.filter(pk=client.pk).update(status=Client.Status.TRANSITIONING)
        log_action(
            transition,
            "transition.created",
            user=user,
            data={
                "client": client.pk,
                "end_date": end_date,
                "reason": reason,
                "audit": getattr(audit, "pk", None),
            },
        )
    return transition


def transition_advance(*, transition: Transition, stage: str, user) -> Transition:
    """Move a transition forward (or cancel it); the client's status follows in the same transaction.
    Completed, its schedule ends with the current month (the client is former), and an end date
    still to come moves to today, the day it ended (the final thank-you gives it).
    Raises ValidationError when the move is not allowed (backwards, or from a closed transition)."""
    with transaction.atomic():
        locked = Transition.objects.select_for_update().select_related("client").get(pk=transition.pk)
        previous, planned_end = locked.stage, locked.end_date
        try:
            locked.advance(stage)
        except ValueError:
            raise ValidationError(
                _("A transition in stage “%(stage)s” cannot move to “%(to)s”.")
                % {
                    "stage": locked.get_stage_display(),
                    "to": Transition.Stage(stage).label if stage in Transition.Stage.values else stage,
                }
            ) from None
        stage = Transition.Stage(stage)
        today = timezone.localdate()
        changed = ["stage", Transition.STAGE_DATES[stage]]
        if stage == Transition.Stage.COMPLETED and locked.end_date > today:
            locked.end_date = today
            changed.append("end_date")
        locked.save(update_fields=changed)
        Client.objects.filter(pk=locked.client_id).update(
            status=CLIENT_STATUS.get(stage, Client.Status.TRANSITIONING)
        )
        if stage == Transition.Stage.COMPLETED:
            # A former client is expected to bring nothing: the schedule ends with this month.
            locked.months.filter(month__gt=today.replace(day=1)).delete()
        data: dict[str, object] = {"from": previous, "to": stage}
        if locked.end_date != planned_end:
            data["end_date"] = {"from": planned_end.isoformat(), "to": locked.end_date.isoformat()}
        log_action(locked, "transition.stage_changed", user=user, data=data)
    return locked


def schedule_update(
    *, transition: Transition, user, end_date: dt.date, amounts: dict[dt.date, Decimal]
) -> dt.date | None:
    """Save the expected revenue of each month. A new end date makes a new linear schedule (the
    amounts given are then ignored), falling to nothing in the month of the end date; each month
    may then be changed, that one too. Returns the end date a new one replaced when a letter has
    already gone out (the client may have been told that one); else None."""
    if not transition.is_open:
        raise ValidationError(_("The schedule of a closed transition cannot change."))
    with transaction.atomic():
        locked = Transition.objects.select_for_update().get(pk=transition.pk)
        months = list(locked.months.all())
        first_month = month_index(months[0].month) if months else month_index(timezone.localdate())
        if end_date != locked.end_date:
            _check_end_date(end_date, first_month=first_month)
            told = locked.end_date
            locked.end_date = end_date
            locked.save(update_fields=["end_date"])
            _schedule_fill(locked, first_month=first_month)
            log_action(locked, "transition.schedule_changed", user=user, data={"end_date": end_date})
            gone = locked.letters.exclude(state__in=[Letter.State.DRAFT, Letter.State.FAILED])
            return told if gone.exists() else None
        changed = {}
        for row in months:
            amount = amounts.get(row.month)
            if amount is None or amount == row.expected_revenue:
                continue
            if amount < 0:
                raise ValidationError(_("Expected revenue cannot be negative."))
            row.expected_revenue = amount
            changed[row.month.isoformat()] = str(amount)
        TransitionMonth.objects.bulk_update(
            [r for r in months if r.month.isoformat() in changed], ["expected_revenue"]
        )
        if changed:
            log_action(locked, "transition.schedule_changed", user=user, data={"months": changed})
    return None


def transition_providers_set(*, transition: Transition, providers, user) -> None:
    with transaction.atomic():
        transition.providers.set(providers)
        log_action(
            transition,
            "transition.alternatives_proposed",
            user=user,
            data={"providers": [p.pk for p in providers]},
        )


def provider_save(*, provider: AlternativeProvider, user) -> AlternativeProvider:
    with transaction.atomic():
        created = provider.pk is None
        provider.save()
        log_action(provider, "provider.saved", user=user, data={"created": created})
    return provider


def template_save(*, template: LetterTemplate, user) -> LetterTemplate:
    """Save a letter template; refuses (ValidationError) any placeholder outside the declared list, and
    HTML the sanitiser would drop (``placeholders.html_problems``)."""
    errors = {}
    for name in ("subject", "body"):
        found = placeholders.problems(getattr(template, name))
        if name == "body" and not found:
            found = placeholders.html_problems(template.body)
        if found:
            errors[name] = found
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        template.save()
        log_action(template, "letter_template.saved", user=user)
    return template


def letterhead_save(*, letterhead: Letterhead, user) -> Letterhead:
    with transaction.atomic():
        letterhead.save()
        log_action(letterhead, "letterhead.saved", user=user)
    return letterhead


def letter_draft(*, transition: Transition, kind: str, user) -> Letter:
    """The letter of ``kind`` for a transition, written from the template of that kind in the
    transition's language (English when that language has none). An existing letter is returned."""
    existing = Letter.objects.filter(transition=transition, kind=kind).first()
    if existing is not None:
        return existing
    refusal = selectors.letter_refusal(transition=transition, kind=kind)
    if refusal:
        raise ValidationError(refusal)
    template = (
        LetterTemplate.objects.filter(kind=kind, language=transition.language).first()
        or LetterTemplate.objects.filter(kind=kind, language="en").first()
    )
    if template is None:
        raise ValidationError(_("There is no letter template of this kind yet: an admin writes one first."))
    values = selectors.letter_values(transition=transition, language=template.language)
    if "{alternatives}" in template.body and not values["alternatives"]:
        raise ValidationError(
            _(
                "This letter lists the alternative providers proposed: choose them first (Choose alternatives)."
            )
        )
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                transition=transition,
                kind=kind,
                language=template.language,
                subject=placeholders.render(template.subject, values, markdown_body=False),
                body=placeholders.render(template.body, values, markdown_body=True),
            )
            log_action(letter, "letter.drafted", user=user, data={"template": template.pk})
    except IntegrityError:  # drafted at the same moment by another request
        return Letter.objects.get(transition=transition, kind=kind)
    return letter


def _refuse_for_its_stage(letter: Letter) -> None:
    """ValidationError when the letter's transition, at its stage as stored now, takes no letter
    of its kind (``selectors.letter_refusal``)."""
    transition = Transition.objects.only("stage").get(pk=letter.transition_id)
    refusal = selectors.letter_refusal(transition=transition, kind=letter.kind)
    if refusal:
        raise ValidationError(refusal)


def letter_update(*, letter: Letter, user, subject: str, body: str) -> Letter:
    """Edit a letter before it is sent (a draft, or a failed one before it is tried again). Refuses
    HTML the sanitiser would drop (``placeholders.html_problems``)."""
    _refuse_for_its_stage(letter)
    found = placeholders.html_problems(body)
    if found:
        raise ValidationError({"body": found})
    with transaction.atomic():
        updated = Letter.objects.filter(
            pk=letter.pk, state__in=[Letter.State.DRAFT, Letter.State.FAILED]
        ).update(subject=" ".join(subject.split()), body=body)
        if not updated:
            raise ValidationError(_("This letter is queued or sent: it can no longer be changed."))
        log_action(letter, "letter.edited", user=user)
    letter.refresh_from_db()
    return letter


def letter_send_request(*, letter: Letter, user, key, channel: str) -> bool:
    """Send a letter, once: by e-mail (queued for the worker) or recorded as sent by post (its PDF).

    The letter is claimed with a conditional UPDATE from draft (or failed: a retry by hand), so two
    clicks, a resubmitted form (same ``key``) or two requests at once send it one time. Returns False
    when this request did not claim it. Raises ValidationError without a recipient, and
    config.celery.QueueUnavailable (the letter marked failed) when the queue cannot be reached."""
    _refuse_for_its_stage(letter)
    old_name = selectors.letter_old_company_name(letter, Letterhead.load())
    if old_name:
        raise ValidationError(old_name)
    email, postal = selectors.letter_recipient(transition=letter.transition)
    recipient = email if channel == Letter.Channel.EMAIL else postal
    if not recipient:
        raise ValidationError(
            _("The client has no contact with an e-mail address.")
            if channel == Letter.Channel.EMAIL
            else _("The client has no contact to address the letter to.")
        )
    now = timezone.now()
    with transaction.atomic():
        claim = Letter.objects.filter(
            pk=letter.pk, state__in=[Letter.State.DRAFT, Letter.State.FAILED]
        ).exclude(idempotency_key=key)
        fields = {
            "channel": channel,
            "recipient": recipient,
            "sender": user,
            "idempotency_key": key,
            "failure_reason": "",
            "queued_at": now,
        }
        if channel == Letter.Channel.EMAIL:
            fields.update(state=Letter.State.QUEUED, from_email=_from_email())
        else:
            fields.update(state=Letter.State.SENT, sent_at=now, from_email=Letterhead.load().name)
        if not claim.update(**fields):
            return False
        if channel == Letter.Channel.EMAIL:
            log_action(letter, "letter.queued", user=user, data={"recipient": recipient})
            send_on_commit(
                SEND_TASK, letter.pk, on_unreachable=lambda: letter_mark_unsent(letter_id=letter.pk)
            )
        else:
            log_action(letter, "letter.sent", user=user, data={"channel": channel})
            _stage_after_letter(letter, user=user)
    return True


def _stage_after_letter(letter: Letter, *, user) -> None:
    """A letter sent moves its transition to the stage it marks (``selectors.LETTER_STAGES``) when
    the transition has not reached it yet: sending the announcement announces."""
    stage = selectors.LETTER_STAGES[LetterTemplate.Kind(letter.kind)]
    if stage in Transition.objects.get(pk=letter.transition_id).next_stages():
        transition_advance(transition=letter.transition, stage=stage, user=user)


def _from_email() -> str:
    letterhead = Letterhead.load()
    return (
        f"{letterhead.name} <{settings.DEFAULT_FROM_EMAIL}>"
        if letterhead.name
        else settings.DEFAULT_FROM_EMAIL
    )


def letter_mark_unsent(*, letter_id: int) -> None:
    Letter.objects.filter(pk=letter_id, state=Letter.State.QUEUED).update(
        state=Letter.State.FAILED, failure_reason=_("The task queue could not be reached; nothing was sent.")
    )


def letter_deliver(*, letter_id: int) -> bool:
    """Send a queued letter by e-mail, its PDF attached (from the Celery task). The letter is claimed
    (queued -> being sent) first: a task delivered twice sends one e-mail. True when it was sent."""
    if not Letter.objects.filter(pk=letter_id, state=Letter.State.QUEUED).update(state=Letter.State.SENDING):
        return False
    letter = Letter.objects.select_related("transition__client__account_manager", "sender").get(pk=letter_id)
    letterhead = Letterhead.load()
    manager = letter.transition.client.account_manager
    reply_to = [address for address in ((manager.email if manager else ""), letterhead.email) if address][:1]
    message = EmailMultiAlternatives(
        subject=letter.subject,
        body=placeholders.body_text(letter.body),
        from_email=letter.from_email or settings.DEFAULT_FROM_EMAIL,
        to=[letter.recipient],
        reply_to=reply_to,
    )
    try:
        message.attach_alternative(
            pdf.letter_html(letter=letter, letterhead=letterhead, for_email=True), "text/html"
        )
        message.attach(
            pdf.letter_filename(letter),
            pdf.letter_pdf(letter=letter, letterhead=letterhead),
            "application/pdf",
        )
        message.send()
    except Exception as exc:
        logger.warning("Letter %s not sent: %s", letter_id, exc)
        with transaction.atomic():
            Letter.objects.filter(pk=letter_id, state=Letter.State.SENDING).update(
                state=Letter.State.FAILED, failure_reason=str(exc)[:1000] or exc.__class__.__name__
            )
            log_action(letter, "letter.failed", user=None, data={"reason": str(exc)[:200]})
        return False
    with transaction.atomic():
        Letter.objects.filter(pk=letter_id, state=Letter.State.SENDING).update(
            state=Letter.State.SENT, sent_at=timezone.now()
        )
        log_action(letter, "letter.sent", user=letter.sender, data={"channel": letter.channel})
        _stage_after_letter(letter, user=letter.sender)
    return True


def letter_templates_install_defaults(*, template_model=None) -> int:
    """Write the default letter templates that are missing (the data migration, and tests after a
    flush); returns how many were written."""
    model = template_model or LetterTemplate
    written = 0
    for (kind, language), (subject, body) in DEFAULT_TEMPLATES.items():
        _row, created = model.objects.get_or_create(
            kind=kind, language=language, defaults={"subject": subject, "body": body}
        )
        written += created
    return written
