"""The ledger: facts about clients and what serving them cost. No analysis here."""

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients import access, display
from clients.keys import CaseInsensitiveKey

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def percent_field(verbose_name, default, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        **kwargs,
    )


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The clients a user may see (the rule is ``clients.access.visible``)."""
        return access.visible(self, user)


class Client(CaseInsensitiveKey, models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        TRANSITIONING = "transitioning", _("Transitioning")
        FORMER = "former", _("Former")

    name = models.CharField(_("name"), max_length=200)
    external_ref = models.CharField(
        _("external reference"),
        max_length=64,
        help_text=_("The client's reference in your other systems; the key for imports."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ACTIVE)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_clients",
    )
    segment = models.CharField(_("segment / industry"), max_length=100, blank=True)
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    acquisition_cost = money_field(
        _("acquisition cost"),
        null=True,
        blank=True,
        help_text=_("What winning this client cost; blank if unknown, 0 if it cost nothing."),
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    is_strategic = models.BooleanField(_("strategic"), default=False)
    strategic_reason = models.TextField(_("why strategic"), blank=True)
    estimated_annual_margin = money_field(
        _("estimated annual gross margin"),
        null=True,
        blank=True,
        help_text=_("For prospects: places the prospect in a tier."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        permissions = [
            ("view_all_clients", _("Can see every account manager's clients")),
            ("import_data", _("Can import ledger files")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acquisition_cost__gte=0), name="client_acquisition_cost_not_negative"
            ),
            models.CheckConstraint(condition=~Q(referred_by=F("pk")), name="client_not_referred_by_itself"),
            models.UniqueConstraint(
                Lower("external_ref"),
                name="client_external_ref_unique_ignoring_case",
                violation_error_message=_("Another client already has this external reference."),
            ),
        ]
        indexes = [models.Index(fields=["account_manager", "name"])]

    key_field = "external_ref"
    key_clash_message = _(
        "Another client already has the external reference “%(existing)s”; "
        "references are compared regardless of case."
    )

    def __str__(self):
        return f"{self.name} ({self.external_ref})"

    def get_absolute_url(self):
        return reverse("clients:detail", args=[self.pk])

    def clean(self):
        if self.is_strategic and not self.strategic_reason.strip():
            raise ValidationError({"strategic_reason": _("Say why this client is strategic.")})
        if self.referred_by_id and self.referred_by_id == self.pk:
            raise ValidationError({"referred_by": _("A client cannot refer itself.")})


class Contact(models.Model):
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=100, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="contact_unique_email_per_client"),
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="contact_one_primary_per_client"
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"


class StaffCost(models.Model):
    """A staff member's loaded hourly cost from a date on; earlier rows are the history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="staff_costs",
    )
    effective_from = models.DateField(_("in force from"))
    hourly_cost = money_field(_("loaded hourly cost"))

    class Meta:
        verbose_name = _("staff cost")
        verbose_name_plural = _("staff costs")
        ordering = ["user", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["user", "effective_from"], name="staffcost_unique_date"),
            models.CheckConstraint(condition=Q(hourly_cost__gte=0), name="staffcost_not_negative"),
        ]

    def __str__(self):
        return f"{self.user} {self.hourly_cost}/h from {self.effective_from}"

    @staticmethod
    def hourly_from_salary(*, annual_salary, charge_coefficient, working_days, hours_per_day):
        """Annual salary x employer charge coefficient / (working days x hours per day)."""
        cost = Decimal(annual_salary) * Decimal(charge_coefficient)
        return (cost / (Decimal(working_days) * Decimal(hours_per_day))).quantize(
            CENT, rounding=ROUND_HALF_UP
        )


class Interaction(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        SUPPORT = "support", _("Support")
        DEMO = "demo", _("Demo")
        VISIT = "visit", _("Visit")
        PROPOSAL = "proposal", _("Proposal")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="interactions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    started_at = models.DateTimeField(_("when"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("logged"), auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="interaction_duration_positive"),
            models.UniqueConstraint(fields=["client", "staff", "started_at"], name="interaction_natural_key"),
        ]
        indexes = [
            models.Index(
                fields=["client", "started_at"],
                include=["duration_minutes", "staff"],
                name="interaction_client_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.client.name} {self.started_at:%Y-%m-%d}"

    YEARS_BACK = 10

    @classmethod
    def earliest_day(cls, today):
        try:
            return today.replace(year=today.year - cls.YEARS_BACK)
        except ValueError:  # 29 February
            return today.replace(year=today.year - cls.YEARS_BACK, day=28)

    @classmethod
    def day_problem(cls, day):
        """Why an interaction cannot be dated `day` (a local date), or None: not in the future, and not
        more than ten years back (outside every figure, and no longer editable by its author)."""
        today = timezone.localdate()
        if day > today:
            return _("An interaction cannot be logged in the future.")
        earliest = cls.earliest_day(today)
        if day < earliest:
            return _("An interaction cannot be dated more than ten years back (before %(date)s).") % {
                "date": date_format(earliest, "DATE_FORMAT")
            }
        return None

    def clean(self):
        super().clean()
        if self.started_at is not None:
            try:
                day = (
                    timezone.localtime(self.started_at).date()
                    if timezone.is_aware(self.started_at)
                    else self.started_at.date()
                )
            except OverflowError:
                day = dt.date.min
            problem = self.day_problem(day)
            if problem:
                raise ValidationError({"started_at": problem})


class InvoiceQuerySet(models.QuerySet):
    def with_payments_total(self):
        """Each invoice with what has been paid on it (``payments_total``, read by ``paid_total``),
        in a subquery: no GROUP BY, so the rows can still be locked (select_for_update)."""
        payments = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.annotate(payments_total=Coalesce(Subquery(payments), ZERO))


class Invoice(CaseInsensitiveKey, models.Model):
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("number"), max_length=64)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    amount = money_field(_("amount excl. tax"), help_text=_("Negative for a credit note."))
    cost_of_sales = money_field(
        _("cost of sales"),
        null=True,
        blank=True,
        help_text=_("Direct cost of what was delivered; blank uses the default margin rate."),
    )
    written_off = money_field(_("written off"), default=Decimal("0.00"))

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")), name="invoice_due_not_before_issue"
            ),
            models.CheckConstraint(condition=Q(written_off__gte=0), name="invoice_written_off_not_negative"),
            # What one row can say alone of the rule in check_balance; the payments need the rows around.
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(written_off=0), name="invoice_credit_note_not_written_off"
            ),
            models.CheckConstraint(
                condition=Q(amount__lt=0) | Q(written_off__lte=F("amount")),
                name="invoice_written_off_within_amount",
            ),
            models.UniqueConstraint(
                Lower("number"),
                name="invoice_number_unique_ignoring_case",
                violation_error_message=_("Another invoice already has this number."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "issued_on"],
                include=["amount", "cost_of_sales", "written_off", "due_on"],
                name="invoice_client_issued",
            ),
        ]

    key_field = "number"
    key_clash_message = _(
        "Another invoice already has the number “%(existing)s”; numbers are compared regardless of case."
    )

    def __str__(self):
        return self.number

    @property
    def is_credit_note(self):
        return self.amount < 0

    def paid_total(self):
        """What has been paid on this invoice: one query, unless loaded ``with_payments_total()``."""
        if self.pk is None:
            return ZERO
        if hasattr(self, "payments_total"):
            return self.payments_total
        return self.payments.aggregate(total=Sum("amount"))["total"] or ZERO

    def check_balance(self, *, paid, payment=None):
        """The ledger's rule for one invoice, wherever it is written (forms, the admin, imports, services).

        A positive invoice's payments and write-off together never exceed its amount; a credit note
        (negative amount) takes no payments and no write-off. ``paid`` is the total of the payments
        recorded; ``payment``, the amount of one about to be added. Raises ValidationError naming the
        invoice and the amounts. Writers hold the invoice's row lock while they check and write, so
        that no payment lands between the check and the write.
        """
        if self.amount is None or self.written_off is None:
            return  # the field is already reported
        unpaid = self.amount - paid
        errors = {}
        if payment is not None:
            if self.amount < 0:
                errors["amount"] = _(
                    "Invoice %(number)s is a credit note (%(amount)s): it takes no payments."
                )
            elif payment > unpaid - self.written_off:
                errors["amount"] = _(
                    "This payment of %(payment)s is above what remains open on invoice %(number)s (%(open)s)."
                )
        elif self.amount < 0:
            if paid:
                errors["amount"] = _(
                    "Invoice %(number)s has received %(paid)s in payments: it cannot become a credit note "
                    "(%(amount)s)."
                )
            if self.written_off:
                errors["written_off"] = _(
                    "Invoice %(number)s is a credit note (%(amount)s): it takes no write-off."
                )
        elif paid > self.amount:
            errors["amount"] = _(
                "Invoice %(number)s has received %(paid)s in payments: its amount cannot be lowered to "
                "%(amount)s."
            )
        elif self.written_off > unpaid:
            errors["written_off"] = _(
                "The written-off amount (%(written_off)s) cannot exceed what remains unpaid on invoice "
                "%(number)s (%(unpaid)s)."
            )
        if errors:  # the figures are written only for a message: an import checks every row
            figures = {
                "number": self.number,
                "amount": display.number(self.amount),
                "paid": display.number(paid),
                "written_off": display.number(self.written_off),
                "unpaid": display.number(unpaid),
                "payment": display.number(payment),
                "open": display.number(max(unpaid - self.written_off, ZERO)),
            }
            raise ValidationError({field: message % figures for field, message in errors.items()})

    def clean(self):
        errors = {}
        if self.issued_on and self.due_on and self.due_on < self.issued_on:
            errors["due_on"] = [_("The due date cannot be before the issue date.")]
        try:
            self.check_balance(paid=self.paid_total())
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class Payment(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="payments"
    )
    paid_on = models.DateField(_("paid on"))
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["invoice", "paid_on"], name="payment_natural_key"),
        ]
        indexes = [
            models.Index(fields=["invoice", "paid_on"], include=["amount"], name="payment_invoice"),
        ]

    def __str__(self):
        return f"{self.invoice.number} {self.amount} on {self.paid_on}"


class Expense(models.Model):
    class Category(models.TextChoices):
        COMMISSION = "commission", _("Commission")
        TRAVEL = "travel", _("Travel")
        EQUIPMENT = "equipment", _("Equipment")
        TOOLING = "tooling", _("Tooling")
        DISCOUNT = "discount", _("Discount")
        OTHER = "other", _("Other")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="expenses"
    )
    spent_on = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=16, choices=Category)
    amount = money_field(_("amount"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on"]
        constraints = [
            models.UniqueConstraint(fields=["client", "spent_on", "category"], name="expense_natural_key"),
        ]
        indexes = [
            models.Index(fields=["client", "spent_on"], include=["amount"], name="expense_client"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.amount} on {self.spent_on}"


def validate_boundaries(value):
    try:
        numbers = [Decimal(part.strip()) for part in value.split(",")]
    except ArithmeticError as exc:
        raise ValidationError(_("Enter numbers separated by commas, e.g. 0.8, 1.2.")) from exc
    if not 2 <= len(numbers) <= 4:
        raise ValidationError(_("Give two to four boundaries (three to five tiers)."))
    if any(n <= 0 for n in numbers) or numbers != sorted(set(numbers)):
        raise ValidationError(_("Boundaries must be positive and strictly increasing."))


def validate_ageing_limits(value):
    try:
        numbers = [int(part.strip()) for part in value.split(",")]
    except ValueError as exc:
        raise ValidationError(_("Enter whole numbers of days separated by commas.")) from exc
    if len(numbers) != 3 or any(n <= 0 for n in numbers) or numbers != sorted(set(numbers)):
        raise ValidationError(_("Give three increasing numbers of days, e.g. 30, 60, 90."))


class CostSettings(models.Model):
    """The one row of cost settings (DESIGN section 3); every change is kept in history."""

    class OverheadAllocation(models.TextChoices):
        HOURS = "hours", _("By service hours")
        REVENUE = "revenue", _("By revenue")
        NONE = "none", _("Not shared")

    late_payment_rate = percent_field(_("annual financing rate for late payment (%)"), "8")
    default_margin_rate = percent_field(_("default gross margin rate (%)"), "50")
    charge_coefficient = models.DecimalField(
        _("employer charge coefficient"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.5"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    working_days = models.PositiveSmallIntegerField(
        _("working days per year"), default=218, validators=[MinValueValidator(1)]
    )
    hours_per_day = models.DecimalField(
        _("hours per day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("7"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    amortisation_months = models.PositiveSmallIntegerField(
        _("acquisition cost amortisation (months)"), default=24, validators=[MinValueValidator(1)]
    )
    referral_share = percent_field(_("referral credit share (%)"), "10")
    tier_boundaries = models.CharField(
        _("tier boundaries (multiples of mean gross margin)"),
        max_length=64,
        default="0.8, 1.2",
        validators=[validate_boundaries],
    )
    trimmed_share = percent_field(_("trimmed share at each end for the mean (%)"), "0")
    class_a_limit = percent_field(_("class A limit (cumulative share, %)"), "80")
    class_b_limit = percent_field(_("class B limit (cumulative share, %)"), "95")
    marginal_below = percent_field(_("marginal when net margin below (%)"), "5")
    top1_amber = percent_field(_("top-1 share amber (%)"), "10")
    top1_red = percent_field(_("top-1 share red (%)"), "20")
    top5_amber = percent_field(_("top-5 share amber (%)"), "30")
    top5_red = percent_field(_("top-5 share red (%)"), "50")
    top10_amber = percent_field(_("top-10 share amber (%)"), "50")
    top10_red = percent_field(_("top-10 share red (%)"), "70")
    hhi_amber = models.PositiveIntegerField(_("HHI amber"), default=1500)
    hhi_red = models.PositiveIntegerField(_("HHI red"), default=2500)
    overheads_per_month = money_field(_("overheads per month"), default=Decimal("0.00"))
    overhead_allocation = models.CharField(
        _("overheads shared"), max_length=8, choices=OverheadAllocation, default=OverheadAllocation.HOURS
    )
    ageing_limits = models.CharField(
        _("ageing bucket limits (days past due)"),
        max_length=32,
        default="30, 60, 90",
        validators=[validate_ageing_limits],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost settings")
        verbose_name_plural = _("cost settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(class_a_limit__lt=F("class_b_limit")), name="costsettings_class_limits"
            ),
            models.CheckConstraint(
                condition=Q(overheads_per_month__gte=0), name="costsettings_overheads_not_negative"
            ),
        ]

    def __str__(self):
        return str(_("Cost settings"))

    def clean(self):
        errors = {}
        limits = (self.class_a_limit, self.class_b_limit)
        if None not in limits and limits[0] >= limits[1]:
            errors["class_b_limit"] = _("Class B limit must be above the class A limit.")
        for name in ("top1", "top5", "top10", "hhi"):
            if getattr(self, f"{name}_amber") >= getattr(self, f"{name}_red"):
                errors[f"{name}_red"] = _("The red threshold must be above the amber one.")
        # Said here, on the field, before the database constraint would say it by its name.
        if self.overheads_per_month is not None and self.overheads_per_month < 0:
            errors["overheads_per_month"] = _("Overheads cannot be negative.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def load(cls):
        """The single row, created with the defaults on first use."""
        obj = cls.objects.order_by("pk").first()
        if obj is None:
            obj = cls.objects.create()
        return obj

    @property
    def boundaries(self):
        return [Decimal(part.strip()) for part in self.tier_boundaries.split(",")]

    @property
    def ageing(self):
        return [int(part.strip()) for part in self.ageing_limits.split(",")]

    @property
    def day_cost_divisor(self):
        return Decimal(self.working_days) * self.hours_per_day


class ImportJob(models.Model):
    """An uploaded ledger file, kept between its preview and its import.

    The key is a random UUID and every view filters on the owner, so a job is reachable only by
    the user who uploaded it. The file is stored in the row, so a Celery worker on another machine
    reads the same bytes.
    """

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clients")
        CONTACTS = "contacts", _("Contacts")
        INTERACTIONS = "interactions", _("Interactions")
        INVOICES = "invoices", _("Invoices")
        PAYMENTS = "payments", _("Payments")
        EXPENSES = "expenses", _("Expenses")

    class Status(models.TextChoices):
        PREVIEW_PENDING = "preview_pending", _("Waiting to be checked")
        PREVIEW_RUNNING = "preview_running", _("Being checked")
        PREVIEWED = "previewed", _("Checked")
        IMPORT_PENDING = "import_pending", _("Waiting to be imported")
        IMPORT_RUNNING = "import_running", _("Being imported")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Not imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("file content"))
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PREVIEW_PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    rows_new = models.PositiveIntegerField(_("new rows"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated rows"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("first rows"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_user_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.filename}"

    def get_absolute_url(self):
        return reverse("imports:detail", args=[self.pk])

    @property
    def is_running(self):
        return self.status in {
            self.Status.PREVIEW_PENDING,
            self.Status.PREVIEW_RUNNING,
            self.Status.IMPORT_PENDING,
            self.Status.IMPORT_RUNNING,
        }

    @property
    def can_confirm(self):
        return self.status == self.Status.PREVIEWED and self.error_count == 0

    @property
    def progress_percent(self):
        if not self.total_rows:
            return 0
        return min(100, round(self.processed_rows * 100 / self.total_rows))
