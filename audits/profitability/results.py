"""The per-client results of a computation, held compactly.

A computation over 100,000 clients holds every client's figures and some 40 values until the
snapshots are written: as a dict and an object per client that is hundreds of megabytes. Here each
client's values are one line of text, as COPY writes them into the client snapshot's columns
(``VALUE_NAMES`` order, tab-separated, ``\\N`` for none): ``ClientResults`` is the mapping the
engine returns (client id -> ``ClientResult``), which reads a client's values back when it is
asked for them, and ``lines()`` gives the lines to the snapshot writer as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from audits.models import ClientSnapshot
from audits.profitability.figures import ClientFigures
from audits.profitability.sql.copy import NULL, line_of, unescaped

# The values a client snapshot stores beside its figures, in the order ``engine._client_values``
# makes them.
VALUE_NAMES = (
    "net_margin",
    "overhead_share",
    "net_profit_after_overhead",
    "indirect_value",
    "net_profit_with_indirect",
    "profit_per_hour",
    "average_days_late",
    "average_days_to_pay",
    "open_receivables",
    "open_overdue",
    "ageing_current",
    "ageing_1",
    "ageing_2",
    "ageing_3",
    "ageing_4",
    "dso",
    "lifetime_net_profit",
    "lifetime_roi",
    "payback_months",
    "rank_net_profit",
    "rank_revenue",
    "rank_gross_margin",
    "rank_profit_per_hour",
    "cumulative_share_revenue",
    "cumulative_share_net_profit",
    "abc_class",
    "tier",
    "is_unprofitable",
    "is_marginal",
    "is_declining",
    "breakeven_price_increase",
    "breakeven_hours_to_cut",
    "breakeven_by_prompt_payment",
    "effort_budget",
    "effort_spent",
    "over_budget",
)
POSITION = {name: position for position, name in enumerate(VALUE_NAMES)}


class Values(Mapping[str, object]):
    """One client's values by name, read from its tuple."""

    __slots__ = ("row",)

    def __init__(self, row: tuple):
        self.row = row

    def __getitem__(self, name: str) -> object:
        return self.row[POSITION[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(VALUE_NAMES)

    def __len__(self) -> int:
        return len(VALUE_NAMES)


@dataclass
class ClientResult:
    """Everything a client snapshot stores."""

    client_id: int
    status: str
    in_portfolio: bool
    figures: ClientFigures
    values: Mapping[str, object]


def _reader(field) -> Callable[[str], object]:
    if isinstance(field, models.BooleanField):
        return {"True": True, "False": False}.__getitem__
    if isinstance(field, models.DecimalField):
        return Decimal
    if isinstance(field, models.IntegerField):
        return int
    return unescaped


# How each value is read back from its text, by the type of its snapshot column.
READERS = tuple(_reader(ClientSnapshot._meta.get_field(name)) for name in VALUE_NAMES)


def values_of(line: str) -> tuple:
    """A client's values from their line, in ``VALUE_NAMES`` order."""
    return tuple(
        None if text == NULL else read(text) for read, text in zip(READERS, line.split("\t"), strict=True)
    )


class ClientResults(Mapping[int, ClientResult]):
    """Client id -> ``ClientResult``, in the order the clients were added."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[str, bool, ClientFigures, str]] = {}

    def add(self, client_id: int, status: str, in_portfolio: bool, figures: ClientFigures, values: tuple):
        """Keep a client's values (in ``VALUE_NAMES`` order) as their line of text."""
        self._rows[client_id] = (status, in_portfolio, figures, line_of(values))

    def value(self, client_id: int, name: str) -> object:
        return values_of(self._rows[client_id][3])[POSITION[name]]

    def rows(self) -> Iterator[tuple[int, str, bool, ClientFigures, tuple]]:
        """(client id, status, in the portfolio, figures, values in ``VALUE_NAMES`` order)."""
        for client_id, (status, in_portfolio, figures, line) in self._rows.items():
            yield client_id, status, in_portfolio, figures, values_of(line)

    def lines(self) -> Iterator[tuple[int, str, bool, ClientFigures, str]]:
        """(client id, status, in the portfolio, figures, the values' line of text)."""
        for client_id, (status, in_portfolio, figures, line) in self._rows.items():
            yield client_id, status, in_portfolio, figures, line

    def __getitem__(self, client_id: int) -> ClientResult:
        status, in_portfolio, figures, line = self._rows[client_id]
        return ClientResult(
            client_id=client_id,
            status=status,
            in_portfolio=in_portfolio,
            figures=figures,
            values=Values(values_of(line)),
        )

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
