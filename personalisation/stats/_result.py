"""The result types of :mod:`personalisation.stats`: a tidy table plus named metadata.

Every statistic returns a subclass of :class:`Result`: a frozen dataclass holding

* ``table``: a tidy :class:`pandas.DataFrame` (one row per council, group or year);
* ``units``: column -> CF-style units string (``"percent"`` for every rate, limit and
  interval; ``"1"`` for dimensionless ratios; ``"people"`` for counts of people);
* named metadata fields (``measure``, ``years``, ``geography``, ``n_used``,
  ``n_in_force``, ``excluded``, ``notes`` and each statistic's own fields).

Nothing is kept in :attr:`pandas.DataFrame.attrs`.  :meth:`Result.to_frame` returns a copy
of the table; ``result["column"]`` is a column.  In Jupyter a result shows as a compact
HTML table (rates as percentages with one decimal, counts and ranks as integers) under a
one-line caption: measure, year(s), geography vintage, councils used of those in force,
and the reasons for any exclusion.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from personalisation import units as u

#: Rows shown by the HTML display before the table is cut (head and tail are shown).
MAX_ROWS = 20


def _period(year: int) -> str:
    from personalisation.measures import year_to_period

    return year_to_period(int(year))


def years_text(years: Sequence[int]) -> str:
    """``[2015]`` -> ``'2014-15'``; ``[2015, 2016, 2019]`` -> ``'2014-15 to 2018-19 (3 years)'``."""
    years = sorted(int(y) for y in years)
    if not years:
        return "no year"
    if len(years) == 1:
        return _period(years[0])
    return f"{_period(years[0])} to {_period(years[-1])} ({len(years)} years)"


def _span(values: Sequence[int]) -> str:
    values = [int(v) for v in values]
    if not values:
        return "0"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _is_integer_column(name: str) -> bool:
    return (
        name == "year"
        or name.startswith(("n_", "rank", "first_year"))
        or name.endswith(("_rank", "rank_change", "_year"))
        or name in ("start", "end", "year_from", "year_to", "n", "numerator", "denominator")
        or name.endswith("_count")
    )


@dataclass(frozen=True, repr=False, kw_only=True)
class Result:
    """Base of every statistics result: a tidy table plus named metadata.

    Attributes
    ----------
    table
        The tidy table (see each statistic for its columns).
    units
        Column -> CF-style units string (``"percent"``, ``"1"``, ``"people"``).
    measure, label
        Measure id and its label from the registry.
    years
        The years the result covers.
    geography
        Geography vintage(s) of the councils (as published each year, or the harmonised
        vintage).
    n_used, n_in_force
        Per year: councils used, and councils in force that year.
    excluded
        Reasons for leaving councils out, with counts (``'suppressed: 2'``; ``''`` if none).
    notes
        Caveats that hold for the whole result (rounded counts, series breaks, methods).
    """

    table: pd.DataFrame
    units: Mapping[str, str] = field(default_factory=dict)
    measure: str = ""
    label: str = ""
    years: tuple[int, ...] = ()
    geography: str = "unknown"
    n_used: tuple[int, ...] = ()
    n_in_force: tuple[int, ...] = ()
    excluded: str = ""
    notes: tuple[str, ...] = ()

    #: What the result is, first words of its caption.
    kind: ClassVar[str] = "Result"
    #: Columns the HTML display shows (all of them when ``None``); ``to_frame()`` has all.
    shown: ClassVar[tuple[str, ...] | None] = None

    # ----------------------------------------------------------------- access
    def to_frame(self) -> pd.DataFrame:
        """A copy of the tidy table (plain DataFrame, no ``attrs``).

        Examples
        --------
        >>> from personalisation import stats
        >>> from personalisation.testing import make_cube
        >>> frame = stats.variation(make_cube(n_councils=4), "sds_users", 2015).to_frame()
        >>> frame.attrs
        {}
        """
        frame = self.table.copy()
        frame.attrs = {}
        return frame

    def __getitem__(self, column: str) -> pd.Series:
        return self.table[column]

    def __len__(self) -> int:
        return len(self.table)

    @property
    def columns(self) -> pd.Index:
        """Columns of the table."""
        return self.table.columns

    def metadata(self) -> dict[str, Any]:
        """Every metadata field (all fields but ``table``) as a dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "table"}

    # ----------------------------------------------------------------- display
    def caption(self) -> str:
        """One line: measure, year(s), geography, councils used of those in force, exclusions."""
        parts = [f"{self.kind}: {self.label or self.measure} ({self.measure})"]
        parts.append(years_text(self.years))
        parts.append(f"geography {self.geography}")
        if self.n_in_force:
            when = "that year" if len(self.years) == 1 else "each year"
            parts.append(
                f"{_span(self.n_used)} of {_span(self.n_in_force)} councils in force {when} used"
            )
        if self.excluded:
            parts.append(f"left out: {self.excluded}")
        extra = self._caption_extra()
        if extra:
            parts.append(extra)
        return "; ".join(parts)

    def _caption_extra(self) -> str:
        return ""

    def _formatters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.table.columns:
            unit = self.units.get(name)
            series = self.table[name]
            if unit == u.PERCENT:
                out[name] = _fmt_percent
            elif _is_integer_column(str(name)) and pd.api.types.is_numeric_dtype(series):
                out[name] = _fmt_integer
            elif pd.api.types.is_float_dtype(series):
                out[name] = _fmt_float
        return out

    def _display_table(self) -> pd.DataFrame:
        table = self.table
        if self.shown is not None:
            table = table[[c for c in self.shown if c in table.columns]]
        return table

    def _repr_html_(self) -> str:
        table = self._display_table()
        formatters = self._formatters()
        shown = table
        if len(table) > MAX_ROWS:
            gap = pd.DataFrame({c: ["…"] for c in table.columns})
            shown = pd.concat(
                [table.head(MAX_ROWS - 5).astype(object), gap, table.tail(5).astype(object)]
            )
        headers = {
            c: f"{c} (%)" if self.units.get(c) == u.PERCENT else str(c) for c in shown.columns
        }
        body = shown.rename(columns=headers).to_html(
            index=False,
            formatters={headers[k]: f for k, f in formatters.items() if k in headers},
            na_rep="–",
            border=0,
            classes="personalisation-result",
            escape=True,
        )
        hidden = len(self.table.columns) - len(table.columns)
        extras = []
        if len(self.table) > MAX_ROWS:
            extras.append(f"{len(self.table)} rows")
        if hidden:
            extras.append(f"{hidden} more columns in .to_frame()")
        more = f" ({'; '.join(extras)})" if extras else ""
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes_html = f"<ul style='margin:0.2em 0;font-size:90%'>{notes}</ul>" if notes else ""
        return (
            "<div class='personalisation-result'>"
            f"<p style='margin:0.2em 0'><b>{html.escape(self.caption())}</b>"
            f"{html.escape(more)}</p>{notes_html}{body}</div>"
        )

    def __repr__(self) -> str:
        formatters = self._formatters()
        table = self._display_table()
        text = table.to_string(
            index=False,
            formatters={k: f for k, f in formatters.items() if k in table.columns},
            na_rep="–",
            max_rows=MAX_ROWS,
        )
        notes = "".join(f"\n  note: {n}" for n in self.notes)
        return f"{self.caption()}{notes}\n{text}"


def _missing(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return not np.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _fmt_percent(x: Any) -> str:
    if isinstance(x, str):
        return x
    return "–" if _missing(x) else f"{float(x):.1f}"


def _fmt_integer(x: Any) -> str:
    if isinstance(x, str):
        return x
    return "–" if _missing(x) else f"{float(x):.0f}"


def _fmt_float(x: Any) -> str:
    if isinstance(x, str):
        return x
    if _missing(x):
        return "–"
    return f"{float(x):,.0f}" if abs(float(x)) >= 1000 else f"{float(x):.3g}"
