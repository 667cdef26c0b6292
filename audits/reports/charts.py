"""Charts rendered server-side with matplotlib as inline SVG.

The same functions serve the pages and the PDF audit report. They take plain figures
(already computed and stored in snapshots) and never query the database.
"""

import calendar
import hashlib
import io
import math
import re
import textwrap
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from django.core.cache import cache  # noqa: E402
from django.utils.formats import date_format  # noqa: E402
from django.utils.translation import get_language  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator  # noqa: E402

from clients import display  # noqa: E402

INK = "#1d2430"
MUTED = "#5d6b7e"
ACCENT = "#1f5fbf"
GOOD = "#1d7a46"
BAD = "#b3261e"
AMBER = "#b26b00"
GRID = "#dde3ea"

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.edgecolor": GRID,
        "axes.labelcolor": MUTED,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "charts",
    }
)


# A phone's chart: drawn narrow rather than a wide one scaled down, so that its labels read at the
# size of the page's small print (``for_screens``).
NARROW = 4.0


def _figure(width=6.4, height=3.0, *, narrow=False):
    if narrow:
        width, height = NARROW, max(height, 3.0)
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot()
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


_STYLE_SHEET = re.compile(r"\s*<style[^>]*>(.*?)</style>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')


def _attributes(declarations):
    """'fill: #fff; stroke-width: 0.8' as SVG presentation attributes: ' fill="#fff" stroke-width="0.8"'."""
    pairs = (part.split(":", 1) for part in declarations.split(";") if part.strip())
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _without_inline_styles(svg):
    """The page's Content-Security-Policy refuses inline styles (style="..." and <style>), so the
    declarations matplotlib writes become presentation attributes, which it allows. Its one style
    sheet, `*{stroke-linejoin: round; stroke-linecap: butt}`, goes on the root element, from which
    every element inherits it unless it says otherwise."""
    rules = "".join(_STYLE_SHEET.findall(svg))
    svg = _STYLE_SHEET.sub("", svg)
    root = "".join(_attributes(body) for body in re.findall(r"\*\s*\{([^}]*)\}", rules))
    svg = svg.replace("<svg", f"<svg{root}", 1)
    return _STYLE_ATTRIBUTE.sub(lambda match: _attributes(match.group(1)), svg)


def _svg(fig):
    buffer = io.StringIO()
    for ax in fig.axes:
        _nothing_to_scale(ax)
    fig.tight_layout()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    # Drop the XML prolog so the SVG can be inlined in HTML.
    return _without_inline_styles(svg[svg.index("<svg") :])


_SVG_ID = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def own_ids(svg: str | None, prefix: str) -> str | None:
    """The chart with its element ids prefixed: matplotlib numbers them the same in every chart
    (line2d_1, ...), and ids must be unique in the one document that holds several."""
    if not svg:
        return svg
    return _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def cached(name, build, inputs):
    """A chart's HTML (``build()``), cached under a digest of the figures it draws (``inputs``) and
    the language of its labels: drawing takes tens of milliseconds a chart, and the same figures
    draw the same chart for everyone until the next recompute."""
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()
    return cache.get_or_set(f"chart:screens:{name}:{get_language()}:{digest}", build, timeout=24 * 3600)


def drawn(name, draw, **arguments):
    """``draw(**arguments)`` for wide screens and phones (``for_screens``), cached (``cached``) under
    a digest of its arguments."""
    return cached(
        name,
        lambda: for_screens(lambda narrow: draw(**arguments, narrow=narrow), name),
        sorted(arguments.items()),
    )


def for_screens(draw, name: str = "chart") -> str | None:
    """``draw(narrow=False)`` for wide screens and ``draw(narrow=True)`` for phones, the page's style
    sheet showing the one that fits (``.chart-wide``, ``.chart-narrow``); None where there is
    nothing to draw. ``name`` prefixes the drawings' ids, unique on a page of several charts."""
    wide = draw(narrow=False)
    if wide is None:
        return None
    wide, narrow = own_ids(wide, f"{name}-wide"), own_ids(draw(narrow=True), f"{name}-narrow")
    return f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'


class CompactTicks(Formatter):
    """Money ticks as compact figures (12k, 1.5M), with the places the axis needs for each tick to
    read as its value: ticks every 2,500 read 2.5k, 5.0k, 7.5k (not 3k, 5k, 8k)."""

    places: int | None = None

    def set_locs(self, locs):
        super().set_locs(locs)
        self.places = display.compact_places(list(locs))

    def __call__(self, value, pos=None):
        return display.compact(value, self.places)


def _nothing_to_scale(ax):
    """A money axis whose figures are all zero (or cents) shows one tick, 0, where matplotlib
    spread ticks a few hundredths apart that all read "0"."""
    for axis, limits, set_limits, set_ticks in (
        (ax.yaxis, ax.get_ylim, ax.set_ylim, ax.set_yticks),
        (ax.xaxis, ax.get_xlim, ax.set_xlim, ax.set_xticks),
    ):
        low, high = limits()
        if isinstance(axis.get_major_formatter(), CompactTicks) and abs(high - low) < 1:
            set_limits(-1, 1)
            set_ticks([0.0])


def _money_axis(ax, axis="y"):
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(CompactTicks())


def _percent_axis(axis):
    """Shares (0.8) as whole percentages, rounded half-up in the user's locale."""
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: display.percent(value, 0)))


def _floats(values):
    return [float(v) if v is not None else float("nan") for v in values]


def cumulative_curve(*, points, x_label, y_label, reference=None, peak=None, narrow=False):
    """A Pareto or whale curve from (share of clients, cumulative share) points, (0, 0) first."""
    fig, ax = _figure(narrow=narrow)
    xs = [float(x) for x, _y in points]
    ys = [float(y) for _x, y in points]
    ax.plot(xs, ys, color=ACCENT, linewidth=2)
    if reference is not None:
        ax.axhline(float(reference), color=MUTED, linewidth=0.8, linestyle="--")
    if peak is not None:
        ax.plot([float(peak[0])], [float(peak[1])], marker="o", color=AMBER)
        ax.axvline(float(peak[0]), color=AMBER, linewidth=0.8, linestyle=":")
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.set_xlim(0, 1)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    return _svg(fig)


def bars(*, labels, values, y_label, colors=None, money=False, narrow=False):
    """Simple vertical bars (tier counts, ageing buckets)."""
    fig, ax = _figure(narrow=narrow)
    ax.bar(
        [_wrapped(label) for label in labels] if narrow else labels, _floats(values), color=colors or ACCENT
    )
    ax.set_ylabel(y_label)
    if money:
        _money_axis(ax)
    else:
        # Counts: whole numbers from 0, and 0 to 1 where every count is 0 (not -0.04 to 0.04).
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        counted = [v for v in _floats(values) if not math.isnan(v)]
        ax.set_ylim(0, max([1.0, *counted]) * 1.05)
    return _svg(fig)


def month_label(month):
    """A month on a chart's axis, in the locale's date style: 'Dec 2026', 'déc. 2026'."""
    return date_format(month, "YEAR_MONTH_FORMAT")


def trend(*, labels, series, y_label, width=6.4, to_date=None, narrow=False):
    """Lines over months: series is a list of (name, values, colour).

    ``to_date`` is the as-of date when the last month is not over: that month is drawn apart (a hollow
    point not joined to the line, its label marked "to <day>"), so one day of data never reads as a
    collapse of a whole month."""
    fig, ax = _figure(width=width, height=2.8, narrow=narrow)
    partial = to_date is not None and to_date.day != calendar.monthrange(to_date.year, to_date.month)[1]
    xs = list(range(len(labels)))
    complete = len(labels) - 1 if partial else len(labels)
    for name, values, color in series:
        ys = _floats(values)
        ax.plot(
            xs[:complete], ys[:complete], label=name, color=color, linewidth=2, marker="o", markersize=2.5
        )
        if partial and ys:
            # Not joined to the complete months: a few days of data would read as a fall.
            ax.plot(
                xs[-1:], ys[-1:], color=color, marker="o", markersize=5, markerfacecolor="white", linestyle=""
            )
    ax.axhline(0, color=MUTED, linewidth=0.8)
    ax.set_ylabel(y_label)
    _money_axis(ax)
    shown = [str(label) for label in labels]
    if partial:
        shown[-1] = _("%(month)s\nto %(day)s") % {
            "month": shown[-1],
            "day": date_format(to_date, "MONTH_DAY_FORMAT"),
        }
    # Six month names at most ("sept. 2025" is wide), three on a phone.
    step = max(1, math.ceil(len(labels) / (3 if narrow else 6)))
    ticks = list(range(len(labels) - 1, -1, -step))[::-1]  # the last month always has its label
    ax.set_xticks(ticks, [shown[i] for i in ticks])
    if len(series) > 1:
        wide = sum(len(str(name)) for name, _values, _color in series) > 50
        ax.legend(
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=1 if wide or narrow else len(series),
        )
    return _svg(fig)


def _wrapped(label) -> str:
    """A bar's label on lines of about nine characters, whole words kept: eight bars side by side
    leave each about that much room."""
    return textwrap.fill(str(label), 9, break_long_words=False)


def waterfall(*, steps, total_label, narrow=False):
    """From revenue down to net profit: steps is a list of (label, signed amount)."""
    fig, ax = _figure(height=3.8 if narrow else 3.2, narrow=narrow)
    running = Decimal("0")
    labels, bottoms, heights, colors = [], [], [], []
    for index, (label, value) in enumerate(steps):
        value = Decimal(value or 0)
        labels.append(_wrapped(label))
        if index == 0:
            bottoms.append(0.0)
            heights.append(float(value))
            colors.append(ACCENT)
        else:
            bottoms.append(float(running))
            heights.append(float(value))
            colors.append(GOOD if value >= 0 else BAD)
        running += value
    labels.append(_wrapped(total_label))
    bottoms.append(0.0)
    heights.append(float(running))
    colors.append(GOOD if running >= 0 else BAD)
    ax.bar(labels, heights, bottom=bottoms, color=colors)
    ax.axhline(0, color=MUTED, linewidth=0.8)
    _money_axis(ax)
    # Long labels (French, Dutch) wrap on two lines instead of running into their neighbours; on a
    # phone, eight bars leave too little room across: the labels stand upright.
    ax.tick_params(axis="x", labelsize=8)
    if narrow:
        ax.set_xticks(range(len(labels)), [label.replace("\n", " ") for label in labels], rotation=90)
    return _svg(fig)
