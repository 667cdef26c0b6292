"""The audit report as XLSX: one sheet per part (summary, clients and costs, ranking, flags and
reviews, decisions, what-if, risks), in the user's language. Text cells are neutralised so a
spreadsheet never runs them as formulas; numbers stay numbers, with money and percent formats. The
workbook is written row by row (openpyxl write-only) to a temporary file that the response streams,
so an audit of 100,000 clients fits in memory.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audits.models import Audit, AuditClient, AuditComment, Decision, FlagReview
from audits.review import decisions, selectors
from clients import display
from clients.exports import SHEET_FORBIDDEN, XLSX_FORMATS, column_widths, spreadsheet_safe

MONEY, PERCENT, INTEGER, NUMBER, TEXT = "money", "percent", "integer", "number", "text"
SPOOL_BYTES = 8 * 1024 * 1024  # a larger workbook goes to a temporary file while it is sent
ITEM_VALUE_WIDTHS = (46, 24)  # the summary's and the what-if's label and value columns


class _Book:
    def __init__(self):
        from openpyxl import Workbook
        from openpyxl.styles import Font

        self.workbook = Workbook(write_only=True)
        self.bold = Font(bold=True)

    def sheet(self, title, about, headers, kinds, widths=None):
        """A sheet opened with its line on what it holds, then its headers, its columns as wide as
        ``clients.exports.column_widths`` makes them."""
        from openpyxl.cell import WriteOnlyCell

        sheet = self.workbook.create_sheet(title=str(title).translate(SHEET_FORBIDDEN)[:31])
        sheet.freeze_panes = "A4"
        column_widths(sheet, headers, kinds, widths)
        cell = WriteOnlyCell(sheet, value=spreadsheet_safe(str(about)))
        cell.font = self.bold
        sheet.append([cell])
        sheet.append([])
        row = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=spreadsheet_safe(str(header)))
            cell.font = self.bold
            row.append(cell)
        sheet.append(row)
        return sheet

    def _style(self, sheet, number_format):
        """The style of a number format, made once: each cell then shares it (setting a format on
        every cell looks it up in the workbook each time, the larger part of writing a big sheet)."""
        from openpyxl.cell import WriteOnlyCell

        styles = self.__dict__.setdefault("styles", {})
        if number_format not in styles:
            template = WriteOnlyCell(sheet)
            template.number_format = number_format
            styles[number_format] = template._style
        return styles[number_format]

    def row(self, sheet, values, kinds):
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value, kind in zip(values, kinds, strict=True):
            if value is None or value == "":
                cells.append(None)
                continue
            if kind in XLSX_FORMATS and not isinstance(value, bool):
                cell = WriteOnlyCell(sheet, value=int(value) if kind == INTEGER else float(Decimal(value)))
                cell._style = self._style(sheet, XLSX_FORMATS[kind])
            elif isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
                cell._style = self._style(sheet, "yyyy-mm-dd hh:mm")
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell._style = self._style(sheet, "yyyy-mm-dd")
            else:
                cell = spreadsheet_safe(str(value))  # plain text needs no cell object
            cells.append(cell)
        sheet.append(cells)

    def save(self) -> IO[bytes]:
        """The workbook in a temporary file (in memory up to a few megabytes, on disk beyond), at its
        start, for the response to stream."""
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  # FileResponse closes it
        self.workbook.save(out)
        out.seek(0)
        return out


def audit_report_xlsx(audit: Audit) -> IO[bytes]:
    book = _Book()
    about = _("%(title)s: %(start)s to %(end)s, %(scope)s; amounts in %(currency)s; %(state)s.") % {
        "title": audit.title,
        "start": date_format(audit.period_start, "DATE_FORMAT"),
        "end": date_format(audit.period_end, "DATE_FORMAT"),
        "scope": audit.scope_label(),
        "currency": settings.CURRENCY,
        "state": _("final, figures frozen") if audit.is_completed else _("draft, the audit is in progress"),
    }
    info = getattr(audit, "portfolio", None)
    figures = info.figures if info else {}
    result = decisions.what_if_kept(audit) if info else None

    sheet = book.sheet(_("Summary"), about, [_("Item"), _("Value")], [TEXT, TEXT], widths=ITEM_VALUE_WIDTHS)
    summary = [
        (_("Audit"), audit.title, TEXT),
        (_("Owner"), display.person(audit.owner), TEXT),
        (_("Period start"), audit.period_start, TEXT),
        (_("Period end"), audit.period_end, TEXT),
        (_("Scope"), audit.scope_label(), TEXT),
        (_("Step"), f"{audit.step}. {audit.get_step_display()}", TEXT),
        (_("Status"), audit.get_status_display(), TEXT),
        (_("Figures as of"), audit.as_of, TEXT),
        (pgettext("an audit", "Completed"), audit.completed_at, TEXT),
        (_("Outcome"), audit.outcome_text, TEXT),
        (_("Clients with activity"), figures.get("clients"), INTEGER),
        (_("Revenue"), figures.get("revenue"), MONEY),
        (_("Gross margin"), figures.get("gross_margin"), MONEY),
        (_("Net profit"), figures.get("net_profit"), MONEY),
        (_("Unprofitable clients"), figures.get("unprofitable"), INTEGER),
        (_("of which former clients, not flagged"), selectors.unprofitable_unflagged(audit), INTEGER),
        (_("Marginal clients"), figures.get("marginal"), INTEGER),
        (_("Declining clients"), figures.get("declining"), INTEGER),
        (_("Share of revenue of the top 20 %"), figures.get("top20_share_revenue"), PERCENT),
        (_("Whale curve peak: share of profit"), figures.get("whale_peak_profit_share"), PERCENT),
    ]
    for label, value, kind in summary:
        book.row(sheet, [label, value], [TEXT, kind])

    columns = [
        ("client__external_ref", _("Reference"), TEXT),
        ("client__name", _("Client"), TEXT),
        ("revenue", _("Revenue"), MONEY),
        ("gross_margin", _("Gross margin"), MONEY),
        ("cost_to_serve", _("Cost to serve"), MONEY),
        ("direct_expenses", _("Direct expenses"), MONEY),
        ("acquisition_share", _("Acquisition share"), MONEY),
        ("late_payment_cost", _("Late-payment cost"), MONEY),
        ("bad_debt", _("Bad debt"), MONEY),
        ("net_profit", _("Net profit"), MONEY),
        ("overhead_share", _("Overhead share"), MONEY),
        ("net_profit_after_overhead", _("Net profit after overhead"), MONEY),
        ("indirect_value", _("Indirect value"), MONEY),
        ("profit_per_hour", _("Net profit per service hour"), MONEY),
    ]
    # The clients the summary's figures count (step 2's), then their total, which is the summary's.
    kinds = [c[2] for c in columns]
    sheet = book.sheet(_("Clients and costs"), about, [c[1] for c in columns], kinds)
    rows = AuditClient.objects.filter(audit=audit, in_portfolio=True).order_by("client__name", "client_id")
    for values in rows.values_list(*[c[0] for c in columns]).iterator(chunk_size=2000):
        book.row(sheet, values, kinds)
    summed = [name for name, _label, kind in columns[2:] if kind == MONEY and name != "profit_per_hour"]
    totals = rows.aggregate(**{name: Sum(name) for name in summed})
    book.row(sheet, [_("Total"), "", *(totals.get(name) for name, _label, _kind in columns[2:])], kinds)

    ranking = [
        ("rank_net_profit", _("Rank"), INTEGER),
        ("client__external_ref", _("Reference"), TEXT),
        ("client__name", _("Client"), TEXT),
        ("revenue", _("Revenue"), MONEY),
        ("net_profit", _("Net profit"), MONEY),
        ("net_margin", _("Net margin"), PERCENT),
        ("cumulative_share_revenue", _("Cumulative share of revenue"), PERCENT),
        ("cumulative_share_net_profit", _("Cumulative share of net profit"), PERCENT),
        ("abc_class", _("Class"), TEXT),
        ("tier", _("Tier"), INTEGER),
    ]
    sheet = book.sheet(_("Ranking"), about, [c[1] for c in ranking], [c[2] for c in ranking])
    ranked = AuditClient.objects.filter(audit=audit, in_portfolio=True).order_by("rank_net_profit")
    for values in ranked.values_list(*[c[0] for c in ranking]).iterator(chunk_size=2000):
        book.row(sheet, values, [c[2] for c in ranking])

    reviews = {r.client_id: r for r in FlagReview.objects.filter(audit=audit).select_related("user")}
    comments: dict[int, list[str]] = {}
    for comment in AuditComment.objects.filter(audit=audit).select_related("user"):
        comments.setdefault(comment.client_id, []).append(f"{display.person(comment.user)}: {comment.text}")
    kinds = [TEXT, TEXT, TEXT, MONEY, MONEY, TEXT, PERCENT, NUMBER, TEXT, TEXT, TEXT, TEXT, TEXT]
    sheet = book.sheet(
        _("Flags and reviews"),
        about,
        [
            _("Client"),
            _("Reference"),
            _("Flags"),
            _("Net profit"),
            _("Indirect value"),
            _("Strategic"),
            _("Price increase to break even"),
            _("Service hours to cut to break even"),
            _("Review"),
            _("Reason"),
            _("Reviewed by"),
            _("Reviewed"),
            _("Comments"),
        ],
        kinds,
    )
    for row in (
        AuditClient.objects.filter(audit=audit, is_flagged=True)
        .select_related("client")
        .order_by("-rank_net_profit")
    ):
        flags = [
            str(label)
            for on, label in (
                (row.is_unprofitable, _("unprofitable")),
                (row.is_marginal, _("marginal")),
                (row.is_declining, _("declining")),
            )
            if on
        ]
        review = reviews.get(row.client_id)
        book.row(
            sheet,
            [
                row.client.name,
                row.client.external_ref,
                ", ".join(flags),
                row.net_profit,
                row.indirect_value,
                display.yes_no(row.is_strategic),
                row.breakeven_price_increase,
                row.breakeven_hours_to_cut,
                review.outcome if review else "",
                review.reason if review else "",
                display.person(review.user) if review else "",
                review.created_at if review else None,
                " | ".join(comments.get(row.client_id, [])),
            ],
            kinds,
        )

    decision_kinds = [TEXT, TEXT, TEXT, MONEY, MONEY, INTEGER, TEXT, TEXT, TEXT]
    sheet = book.sheet(
        _("Decisions"),
        about,
        [
            _("Client"),
            _("Reference"),
            _("Decision"),
            _("Price increase (%)"),
            _("Hours cut per month"),
            _("Months"),
            _("Reason"),
            _("Decided by"),
            _("Decided"),
        ],
        decision_kinds,
    )
    for d in Decision.objects.filter(audit=audit).select_related("client", "user").order_by("client__name"):
        book.row(
            sheet,
            [
                d.client.name,
                d.client.external_ref,
                d.get_kind_display(),
                d.uplift,
                d.hours_per_month,
                d.months,
                d.reason,
                display.person(d.user),
                d.created_at,
            ],
            decision_kinds,
        )

    sheet = book.sheet(_("What-if"), about, [_("Item"), _("Value")], [TEXT, TEXT], widths=ITEM_VALUE_WIDTHS)
    if result is not None:
        items = [
            (_("Clients transitioned out"), result.leaving, INTEGER),
            (_("Revenue lost"), result.revenue_lost, MONEY),
            (_("Revenue from repricing"), result.revenue_gained, MONEY),
            (_("Gross margin lost"), result.gross_margin_lost, MONEY),
            (_("Costs freed"), result.costs_freed, MONEY),
            (_("Hours freed"), result.hours_freed, NUMBER),
            (_("Net profit before"), result.net_profit_before, MONEY),
            (_("Net profit after"), result.net_profit_after, MONEY),
            (_("Top tier's net profit per hour"), result.reinvest_rate, MONEY),
            (_("Net profit after, freed hours re-invested"), result.net_profit_after_reinvested, MONEY),
        ]
        after = result.concentration_after
        if after is not None:
            items += [
                (_("Top-1 share of revenue after"), after.top1, PERCENT),
                (_("Top-5 share of revenue after"), after.top5, PERCENT),
                (_("Top-10 share of revenue after"), after.top10, PERCENT),
                (_("HHI after"), after.hhi, NUMBER),
            ]
        for label, value, kind in items:
            book.row(sheet, [label, value], [TEXT, kind])

    sheet = book.sheet(
        _("Risks"), about, [_("Risk"), _("Note"), _("Acknowledged by"), _("Acknowledged")], [TEXT] * 4
    )
    for _code, risk_label, ack in selectors.risk_checklist(audit):
        book.row(
            sheet,
            [
                risk_label,
                ack.note if ack else "",
                display.person(ack.user) if ack else "",
                ack.created_at if ack else None,
            ],
            [TEXT] * 4,
        )
    return book.save()
