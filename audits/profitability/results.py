"""The per-client results of a computation, held compactly.

A computation over 100,000 clients holds every client's figures and some 40 values until the
snapshots are written: as a dict and an object per client that is hundreds of megabytes. Here each
client's values are one tuple in ``VALUE_NAMES`` order; ``ClientResults`` is the mapping the
engine returns (client id -> ``ClientResult``), which builds a client's ``ClientResult`` when it is
read, and ``rows()`` gives the stored tuples to the snapshot writer as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from audits.profitability.figures import ClientFigures

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


class ClientResults(Mapping[int, ClientResult]):
    """Client id -> ``ClientResult``, in the order the clients were added."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[str, bool, ClientFigures, tuple]] = {}

    def add(self, client_id: int, status: str, in_portfolio: bool, figures: ClientFigures, values: tuple):
        self._rows[client_id] = (status, in_portfolio, figures, values)

    def value(self, client_id: int, name: str) -> object:
        return self._rows[client_id][3][POSITION[name]]

    def rows(self) -> Iterator[tuple[int, str, bool, ClientFigures, tuple]]:
        """(client id, status, in the portfolio, figures, values in ``VALUE_NAMES`` order)."""
        for client_id, (status, in_portfolio, figures, values) in self._rows.items():
            yield client_id, status, in_portfolio, figures, values

    def __getitem__(self, client_id: int) -> ClientResult:
        status, in_portfolio, figures, values = self._rows[client_id]
        return ClientResult(
            client_id=client_id,
            status=status,
            in_portfolio=in_portfolio,
            figures=figures,
            values=Values(values),
        )

    def __iter__(self) -> Iterator[int]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
