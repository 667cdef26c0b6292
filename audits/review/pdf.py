"""The audit report as PDF (WeasyPrint): the audit, its summary figures and step 3's charts, the
flagged clients with their reviews, comments and decisions, the what-if of the decisions, the risk
checklist and the history, in the language of the request. A draft until the audit is completed,
final afterwards.

Every text is escaped by the template (a client's name never becomes markup); every figure goes
through the ``money``, ``amount`` and ``percent`` filters. The document loads nothing from outside:
its style sheet is in the template and the charts are inline SVG.

The PDF stays a reading document at any size: it holds the summary, the charts and the flagged
clients (the worst losses first, up to ``FLAGGED_SHOWN``; the XLSX report holds every client), never
the whole portfolio.
"""

from __future__ import annotations

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from audits.log import activity_for
from audits.models import Audit, AuditClient, AuditComment
from audits.reports import charts
from audits.review import decisions, figures, selectors
from audits.review.history import worded

# Flagged clients listed, the largest losses first; the others are counted (and are in the XLSX).
# WeasyPrint lays out about 60 rows a second: 300 keep the report's PDF within a few seconds.
FLAGGED_SHOWN = 300
HISTORY_SHOWN = 300  # newest history entries listed; the older ones are counted


def _flagged(audit: Audit) -> tuple[list[AuditClient], int]:
    """The flagged clients shown, each with its review, decision and comments, and how many there
    are in all (five queries whatever their number)."""
    flagged = AuditClient.objects.filter(audit=audit, is_flagged=True)
    rows = list(flagged.select_related("client").order_by("-rank_net_profit", "client_id")[:FLAGGED_SHOWN])
    total = len(rows) if len(rows) < FLAGGED_SHOWN else flagged.count()
    return selectors.attach_reviews(audit, rows), total


def _concentration(f: dict):
    if f.get("top1_share") is None and f.get("hhi") is None:
        return None
    return {
        "top1": f.get("top1_share"),
        "top5": f.get("top5_share"),
        "top10": f.get("top10_share"),
        "hhi": f.get("hhi"),
        "levels": f.get("concentration_levels") or {},
    }


def audit_report_context(audit: Audit) -> dict:
    info = getattr(audit, "portfolio", None) if audit.is_computed else None
    f = info.figures if info else {}
    context: dict = {
        "audit": audit,
        "final": audit.is_completed,
        "printed": timezone.localtime(),
        "figures": f or None,
        "risks": [],
    }
    if info is not None and audit.computed_at is not None:
        totals = AuditClient.objects.filter(audit=audit, in_portfolio=True).aggregate(
            cost_to_serve=Sum("cost_to_serve")
        )
        rows, total = _flagged(audit)
        context.update(
            cost_to_serve=totals["cost_to_serve"],
            unflagged=selectors.unprofitable_unflagged(audit),
            concentration=_concentration(f),
            charts={
                name: charts.own_ids(svg, name)
                for name, svg in figures.step_charts(
                    f, key=f"{audit.pk}:{audit.computed_at.timestamp()}", screens=False
                ).items()
            },
            flagged=rows,
            flagged_total=total,
            flagged_more=total - len(rows),
            what_if=decisions.what_if_kept(audit),
            # "Invest" decisions on top-tier clients that no flag brought to step 5.
            invested=list(selectors.invested_decisions(audit)),
            # Reviewed: the flagged clients less those the audit keeps as undecided.
            reviews=total - audit.flags_undecided,
            decisions=selectors.flags_decided(audit),
            comments=AuditComment.objects.filter(audit=audit).count(),
        )
    context["risks"] = [{"label": label, "ack": ack} for _code, label, ack in selectors.risk_checklist(audit)]
    history = activity_for(audit)
    entries = worded(history[:HISTORY_SHOWN])
    context["history"] = entries
    context["history_more"] = (history.count() - len(entries)) if len(entries) == HISTORY_SHOWN else 0
    return context


def audit_report_html(audit: Audit) -> str:
    """The report as an HTML document, in the active language."""
    return render_to_string("audits/review/report_pdf.html", audit_report_context(audit))


def audit_report_pdf(audit: Audit) -> bytes:
    from weasyprint import HTML

    # No base URL: the document loads nothing (no image, style sheet or font from outside).
    return HTML(string=audit_report_html(audit), url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"The audit report loads nothing from outside ({url}).")


def audit_report_filename(audit: Audit, extension: str = "pdf") -> str:
    """The report's file name, which says a draft is one (the PDF's and the XLSX's alike)."""
    return f"audit-{audit.pk}.{extension}" if audit.is_completed else f"audit-{audit.pk}-draft.{extension}"
