"""The measure registry: canonical measure ids and what was published under them.

One table (:func:`registry`) records, for each canonical measure, its label, units,
definition, the published code for every year, the collection it came from and the
series breaks.  Readers translate published codes with :func:`measure_for_code`, which
refuses codes from the wrong framework year (2023-24's ``1C`` is carer-reported quality
of life, and the pre-2023 ``3D`` was "ease of finding information": neither is
self-directed support).

Examples
--------
>>> from personalisation.measures import measure_for_code, published_code
>>> measure_for_code("1C(1A)", "2014-15")
'sds_users'
>>> measure_for_code("3D2A", "2023-24")
'dp_users'
>>> published_code("sds_users", "2023-24")
'3D1A'
"""

from __future__ import annotations

import pandas as pd

from personalisation.errors import UnknownMeasureError
from personalisation.measure_table import GAPS, MEASURES, Measure
from personalisation.periods import period_to_year, year_to_period

__all__ = [
    "ASCOF_MEASURES",
    "GAPS",
    "MEASURES",
    "Measure",
    "breaks_between",
    "get",
    "measure_for_code",
    "period_to_year",
    "published_code",
    "registry",
    "year_to_period",
]

_BY_ID = {m.id: m for m in MEASURES}
_BY_CODE: dict[tuple[str, str], str] = {
    (code, period): m.id for m in MEASURES for period, code in m.codes.items()
}
ASCOF_MEASURES: tuple[str, ...] = ("sds_users", "sds_carers", "dp_users", "dp_carers")


def get(measure: str) -> Measure:
    """The :class:`Measure` with this id.

    Raises
    ------
    UnknownMeasureError
        Listing the known ids.
    """
    try:
        return _BY_ID[measure]
    except KeyError:
        raise UnknownMeasureError(
            f"unknown measure {measure!r}; known measures: {', '.join(_BY_ID)}"
        ) from None


def measure_for_code(code: str, period: str) -> str:
    """Canonical id of a published ASCOF code in a given year.

    Parameters
    ----------
    code
        Published code, e.g. ``"1C(1A)"``, ``"1C2A"``, ``"3D1A"``.
    period
        Financial year, e.g. ``"2014-15"``.

    Raises
    ------
    UnknownMeasureError
        When the code does not mean one of the registry's measures in that year (for
        example ``"3D1A"`` before 2023-24, or ``"1C"`` in 2023-24).
    """
    key = (str(code).strip(), str(period).strip())
    if key in _BY_CODE:
        return _BY_CODE[key]
    raise UnknownMeasureError(
        f"published code {code!r} is not a self-directed support / direct payment measure in "
        f"{period}; in {period} those are "
        + ", ".join(f"{m.codes[period]} ({m.id})" for m in MEASURES if period in m.codes)
    )


def published_code(measure: str, period: str) -> str:
    """The code under which ``measure`` was published in ``period``."""
    entry = get(measure)
    try:
        return entry.codes[period]
    except KeyError:
        raise UnknownMeasureError(
            f"{measure} was not published in {period}; published in {', '.join(entry.codes)}"
        ) from None


def breaks_between(measure: str, start: int, end: int) -> dict[str, str]:
    """Series breaks of ``measure`` that fall between two years (``start < break <= end``).

    Parameters
    ----------
    measure
        Measure id (an id not in the registry has no breaks).
    start, end
        Years (the year in which the financial year ends).

    Returns
    -------
    dict
        Period of each break crossed -> the registry's explanation.

    Examples
    --------
    >>> sorted(breaks_between("sds_users", 2023, 2025))
    ['2023-24', '2024-25']
    >>> breaks_between("sds_users", 2016, 2020)
    {}
    """
    entry = _BY_ID.get(measure)
    if entry is None:
        return {}
    low, high = sorted((int(start), int(end)))
    return {
        p: text
        for p, text in entry.breaks.items()
        if p[:1].isdigit() and low < period_to_year(p) <= high
    }


def registry() -> pd.DataFrame:
    """The registry as a table, one row per measure and period.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure, label, units, kind, period, year, published_code, framework,
        collection, series_break, not_collected, definition``.  A period in which the
        publisher published nothing for the measure has a blank ``published_code`` and the
        reason in ``not_collected``.

    Examples
    --------
    >>> table = registry()
    >>> table.query("measure == 'sds_users' and period == '2023-24'")["published_code"].item()
    '3D1A'
    >>> table.query("measure == 'sds_carers' and period == '2024-25'")["collection"].item()
    'CLD'
    """
    rows = []
    for m in MEASURES:
        periods = sorted({*m.codes, *m.not_collected}, key=period_to_year)
        for period in periods:
            code = m.codes.get(period, "")
            rows.append(
                {
                    "measure": m.id,
                    "label": m.label,
                    "units": m.units,
                    "kind": m.kind,
                    "period": period,
                    "year": period_to_year(period),
                    "published_code": code,
                    "framework": m.framework.get(period, ""),
                    "collection": m.collection.get(period, ""),
                    "series_break": m.breaks.get(period, ""),
                    "not_collected": m.not_collected.get(period, ""),
                    "definition": m.definition,
                }
            )
    return pd.DataFrame(rows)
