"""England's trajectory in one table: reported figures of the targets years, then published ASCOF.

:func:`national_series` puts England's take-up of self-directed support from 2009-10 to
2024-25 in one table: the figures reported at the time for 2009-10 to 2012-13 (NI 130, then
the NHS Information Centre / HSCIC personal-budget figures, from :func:`personalisation.reported`),
optionally the ADASS / TLAP survey points, and the published ASCOF England rows from 2014-15
(1C(1A), 3D(1a) from 2023-24, from the client level data collection from 2024-25).  Each row
carries its definition, and ``series_break`` is set on the first row of every new series or
registered break, so the table can never be read as one continuous line.

:func:`national_dp_series` does the same for direct payments: counts (PSS-EX1 RAP counts at
31 March, then the ASCOF 1C(2A)/3D(2a) numerators), the published rate, and direct payments
per 100,000 adults (ONS mid-year estimate, 18 and over).

Which population year goes with which financial year: a financial year ``Y-1``-``Y``
(``year`` Y, counts at 31 March Y) is set against the mid-``Y-1`` estimate, the mid-year
inside the financial year (2022-23 against mid-2022).  When that estimate is not held
because it is newer than the newest held, the newest one is used and ``population_note``
says so; older gaps (before mid-2015) stay NaN.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from personalisation import measures as measure_registry
from personalisation.schema import ENGLAND_CODE as ENGLAND

__all__ = ["national_dp_series", "national_series", "population_for_year"]

_NO_FIGURE = "no England figure held for this year (no file or report found)"


def _england(measures: list[str], data_dir: str | Path | None) -> pd.DataFrame:
    """England rows of the tidy table (Total) for ``measures``."""
    from personalisation.cube import load_tidy

    tidy = load_tidy(data_dir)
    rows = tidy[
        (tidy["geography_level"] == "england")
        & (tidy["disaggregation"] == "Total")
        & tidy["measure"].isin(measures)
    ]
    return rows.reset_index(drop=True)


def _reported_series(basis: str, original: str) -> str:
    if "NI 130" in basis:
        return "NI 130 (reported)"
    if "survey" in original.lower():
        return "ADASS / TLAP survey, eligible base (reported)"
    return "NHS IC / HSCIC: personal budgets during the year (reported)"


def _mark_breaks(table: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``series_break``: why this row is not comparable with the one before (blank if it is).

    Breaks run along the yearly rows; survey points (``as_at`` rows) are a series apart and
    say so; a year with no figure interrupts nothing.
    """
    breaks = measure_registry.get(measure).breaks
    reasons = []
    previous = None
    for row in table.itertuples(index=False):
        if getattr(row, "as_at", ""):
            reasons.append(f"separate series: {row.series}; not comparable with the yearly rows")
            continue
        if not row.series:
            reasons.append("")
            continue
        why = ""
        if previous is not None and row.series != previous:
            why = f"new series: {row.series} (was {previous})"
        registered = breaks.get(str(row.period), "")
        if registered and row.source == "published":
            why = f"{why}; {registered}" if why else registered
        reasons.append(why)
        previous = row.series
    return table.assign(series_break=reasons)


def national_series(
    measure: str = "sds_users",
    *,
    surveys: bool = False,
    start: int = 2010,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """England's take-up of self-directed support from 2009-10, with every definition and break.

    Parameters
    ----------
    measure
        ``"sds_users"`` (default; the reported personal-budget take-up before 2014-15) or
        ``"dp_users"`` (rates published from 2014-15 only; see :func:`national_dp_series`
        for counts back to 2008-09).
    surveys
        Also give the ADASS / TLAP survey points (April 2011, March 2012; an "eligible" base,
        which ADASS put at about 70% of the NI 130 base) as rows of their own series.
    start
        First year (the year in which the financial year ends).
    data_dir
        Folder of the shipped data (default: the shipped ``data/``).

    Returns
    -------
    pandas.DataFrame
        One row per year (and survey point): ``year, period, as_at, value`` (percent),
        ``numerator, denominator, series, definition, source`` (``"reported"`` or
        ``"published"``), ``qualifier``, ``citation`` (reported rows), ``series_break``
        (blank, or why this row starts a new, non-comparable series).  Years with no
        England figure at all (2013-14) have NaN and say so in ``definition``.

    Examples
    --------
    >>> table = national_series()
    >>> table.loc[table.period == "2009-10", ["value", "series"]].values.tolist()
    [[13.0, 'NI 130 (reported)']]
    """
    from personalisation.reported_figures import citation, reported

    entry = measure_registry.get(measure)
    rows: list[dict] = []
    if measure == "sds_users":
        figures = reported(data_dir=data_dir)
        figures = figures[figures["geography_code"] == ENGLAND]
        wanted = ["personal_budget_takeup"] + (["personal_budget_takeup_survey"] if surveys else [])
        for _, r in figures[figures["figure"].isin(wanted)].iterrows():
            rows.append(
                {
                    "year": int(r["year"]),
                    "period": r["period"] or "",
                    "as_at": r["as_at"] or "",
                    "value": float(r["value"]),
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "series": _reported_series(r["basis"], r["original_source"]),
                    "definition": r["basis"],
                    "source": "reported",
                    "qualifier": r["qualifier"],
                    "citation": citation(r),
                }
            )
    published = _england([measure], data_dir)
    for _, r in published.iterrows():
        period = str(r["period"])
        collection = entry.collection.get(period, "")
        rows.append(
            {
                "year": int(r["year"]),
                "period": period,
                "as_at": "",
                "value": float(r["value"]),
                "numerator": float(r["numerator"]),
                "denominator": float(r["denominator"]),
                "series": f"{r['definition']} ({collection})" if collection else r["definition"],
                "definition": f"{entry.codes.get(period, '')}: {entry.definition}",
                "source": "published",
                "qualifier": "as published",
                "citation": "",
            }
        )
    table = pd.DataFrame(rows)
    held = set(table.loc[table["as_at"] == "", "year"])
    last = int(table["year"].max()) if len(table) else start
    for year in range(start, last + 1):
        if year not in held:
            rows.append(
                {
                    "year": year,
                    "period": measure_registry.year_to_period(year),
                    "as_at": "",
                    "value": np.nan,
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "series": "",
                    "definition": _NO_FIGURE,
                    "source": "",
                    "qualifier": "",
                    "citation": "",
                }
            )
    table = pd.DataFrame(rows)
    table = table[table["year"] >= start]
    table = table.sort_values(["year", "as_at"], kind="stable").reset_index(drop=True)
    table = _mark_breaks(table, measure)
    table.attrs = {"measure": measure, "label": entry.label, "units": "%"}
    return table


def population_for_year(year: int, held: list[int]) -> tuple[int | None, str]:
    """The mid-year estimate set against financial year ``year`` and a note.

    Examples
    --------
    >>> population_for_year(2023, [2021, 2022, 2023])
    (2022, '')
    >>> population_for_year(2025, [2022, 2023])
    (2023, 'mid-2024 not held: mid-2023 used (1 year older than the rule)')
    >>> population_for_year(2012, [2015, 2016])
    (None, 'no adult population estimate for mid-2011 held')
    """
    wanted = int(year) - 1
    if wanted in held:
        return wanted, ""
    if held and wanted > max(held):
        newest = max(held)
        return newest, (
            f"mid-{wanted} not held: mid-{newest} used ({wanted - newest} year"
            f"{'s' if wanted - newest > 1 else ''} older than the rule)"
        )
    return None, f"no adult population estimate for mid-{wanted} held"


def national_dp_series(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """England's direct payments from 2008-09: counts, rate and per 100,000 adults.

    Counts are the PSS-EX1 adults receiving direct payments at 31 March (RAP; 2009-10 and
    2010-11 only as "direct payments and personal budgets", a different label), then the
    ASCOF 1C(2A) / 3D(2a) numerators (long-term community support at 31 March receiving
    direct payments; SALT to 2023-24, CLD from 2024-25; 2021-22 derived from SALT LTS001b).
    Years whose ASCOF figures were published as rates only have no count.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``year, period, count, count_measure, rate`` (percent, ASCOF),
        ``population_18plus, population_period, population_note, per_100k_adults,
        series, definition, series_break``.

    Examples
    --------
    >>> table = national_dp_series()
    >>> float(table.set_index("period").loc["2024-25", "count"])
    117655.0
    """
    rows = _england(["dp_clients", "dp_pb_clients", "dp_users", "population_18plus"], data_dir)
    population = rows[rows["measure"] == "population_18plus"].set_index("year")["value"]
    held = sorted(int(y) for y in population.index)
    out = []
    years = sorted(set(rows.loc[rows["measure"] != "population_18plus", "year"].astype(int)))
    for year in range(min(years), max(years) + 1):
        here = rows[(rows["year"] == year) & (rows["measure"] != "population_18plus")]
        by = {m: g.iloc[0] for m, g in here.groupby("measure")}
        rate = float(by["dp_users"]["value"]) if "dp_users" in by else np.nan
        if "dp_users" in by and np.isfinite(by["dp_users"]["numerator"]):
            count, measure = float(by["dp_users"]["numerator"]), "dp_users"
        elif "dp_clients" in by:
            count, measure = float(by["dp_clients"]["value"]), "dp_clients"
        elif "dp_pb_clients" in by:
            count, measure = float(by["dp_pb_clients"]["value"]), "dp_pb_clients"
        else:
            count, measure = np.nan, "dp_users" if "dp_users" in by else ""
        period = measure_registry.year_to_period(year)
        pop_year, note = population_for_year(year, held)
        pop = float(population[pop_year]) if pop_year is not None else np.nan
        entry = measure_registry.get(measure) if measure else None
        definition = (
            f"{entry.codes.get(period, '')}: {entry.label}" if entry is not None else _NO_FIGURE
        )
        if measure and not np.isfinite(count):
            definition += " (rate published without a count)"
        series = (
            {"dp_users": "ASCOF", "dp_clients": "PSS-EX1 (RAP)", "dp_pb_clients": "PSS-EX1 (RAP)"}[
                measure
            ]
            + f" {measure} ({entry.collection.get(period, '')})"
            if entry is not None
            else ""
        )
        out.append(
            {
                "year": year,
                "period": period,
                "count": count,
                "count_measure": measure,
                "rate": rate,
                "population_18plus": pop,
                "population_period": f"mid-{pop_year}" if pop_year is not None else "",
                "population_note": note,
                "per_100k_adults": 1e5 * count / pop if np.isfinite(count) and pop else np.nan,
                "series": series,
                "definition": definition,
                "source": "published" if measure else "",
            }
        )
    table = pd.DataFrame(out)
    table = _mark_breaks(table, "dp_users")
    table.attrs = {"measure": "dp_users", "units": "people; % ; per 100,000 adults"}
    return table
