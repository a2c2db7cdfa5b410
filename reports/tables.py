"""A report table: its columns and rows, written once and shown twice — as the page's HTML
table and as its CSV download, so the two never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

# How a column's values read: a count, a share (0..1, shown as a percentage), a duration in
# seconds, a plain number, or text.
KINDS = ("count", "share", "seconds", "number", "text")


@dataclass(frozen=True)
class Figure:
    """A cell whose page text is its own ("R$ 32.500", "12 000"), beside the number the CSV
    keeps: amounts are written in their team's currency and format, which no column has."""

    value: object
    text: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"
    help: str = ""  # the header's tooltip: what the figure counts
    wide_only: bool = False  # hidden on a phone (the CSV always has it)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r}.")


@dataclass
class ReportTable:
    """`rows` are mappings from column key to value (None: no figure, e.g. a rate of
    nothing). `key` names the table in its CSV URL (`?format=csv&table=<key>`)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    caption: str = ""
    empty: str = "No leads in this period."
    totals: dict | None = None
    chart: object = field(default=None, repr=False)

    def cells(self) -> list[list[tuple[Column, str]]]:
        return [[(c, display(c, row.get(c.key))) for c in self.columns] for row in self.rows]

    def total_cells(self) -> list[tuple[Column, str]] | None:
        if self.totals is None:
            return None
        return [(c, display(c, self.totals.get(c.key))) for c in self.columns]

    def csv_rows(self) -> list[list[object]]:
        """Header, rows and total: shares as percentages with one decimal and durations in
        seconds, so a spreadsheet can compute with them."""
        out = [[c.label + _csv_unit(c) for c in self.columns]]
        for row in [*self.rows, *([self.totals] if self.totals else [])]:
            out.append([csv_value(c, row.get(c.key)) for c in self.columns])
        return out


def _csv_unit(column: Column) -> str:
    return {"share": " (%)", "seconds": " (s)"}.get(column.kind, "")


def csv_value(column: Column, value) -> object:
    if value is None:
        return ""
    if isinstance(value, Figure):
        return value.value  # as the cell's maker gave it
    if column.kind == "share":
        return round(value * 100, 1)
    if column.kind == "seconds":
        return round(value)
    if column.kind == "number":
        return round(value, 2)  # as the page shows it (a fairness share was 17.285714285714285)
    return value


def display(column: Column, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Figure):
        return value.text
    return _FORMATS[column.kind](value)


def duration(seconds: float) -> str:
    """“42 s”, “3 min 5 s”, “2 h 10 min”, “3 d 4 h”: two units at most."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    td = timedelta(seconds=seconds)
    days, rest = td.days, td.seconds
    hours, minutes, secs = rest // 3600, rest % 3600 // 60, rest % 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"


_FORMATS: dict[str, Callable[[object], str]] = {
    "count": lambda v: f"{v:,}",
    "share": lambda v: f"{v * 100:.1f}%",
    "seconds": duration,
    "number": lambda v: f"{v:,.2f}".rstrip("0").rstrip("."),
    "text": str,
}


def rate(part, whole) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as “—”)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Stat:
    """A headline figure over the table(s): "412 new leads", "12.5% win rate"."""

    label: str
    value: object
    kind: str = "count"
    alert: bool = False

    @property
    def shown(self) -> str:
        return display(Column("stat", self.label, self.kind), self.value)
