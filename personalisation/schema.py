"""The vocabulary of the package in one place, and the run-time tidy-table validator.

Tidy columns and their dtypes, the key of a figure, statuses (tidy and cube), geography
levels, the England / region / council code patterns; :func:`validate_tidy` is what the
readers (at build time) and :func:`personalisation.load_cube` (at run time) both call.


One row is one published figure: one council (or region / council type / England), one
financial year, one measure, one disaggregation.  Columns:

================  =========  ==========================================================
column            dtype      meaning
================  =========  ==========================================================
council_code      string     GSS code as published that year (``E08000003``); councils
                             that were abolished before GSS codes existed carry
                             ``cassr:NNN`` (their 3-digit CASSR code); England is
                             ``E92000001``, regions ``E12...``
council_name      string     name as published
geography_level   string     ``council``, ``region``, ``council_type`` or ``england``
period            string     financial year as published, ``"2014-15"``; population
                             estimates use ``"mid-2015"``
year              int64      calendar year in which the financial year ends (2015 for
                             2014-15); for mid-year estimates the year itself
measure           string     canonical measure id (see :mod:`personalisation.measures`)
published_code    string     the code or column label exactly as published
disaggregation    string     ``Total`` or the published band (``18-64``, ``65 and over``)
numerator         float64    numerator as published (NaN when not published)
denominator       float64    denominator as published (NaN when not published)
value             float64    the published figure: a percentage for rate measures, a
                             count for count measures; NaN unless status is
                             ``published``
status            string     one of :data:`STATUS_VALUES`
definition        string     which indicator definition the value belongs to
                             (``ASCOF 1C``, ``ASCOF 3D``, ``PSS-EX1 (RAP)``, ``ONS MYE``)
source            string     id of the raw file (see ``data/metadata.json``)
================  =========  ==========================================================

Statuses: ``published`` (a number), ``suppressed`` (the publisher withheld it, e.g.
``[c]``, ``*``), ``not-collected`` (the publisher marks it not available, ``..``, ``[x]``,
``-``), ``missing`` (no row for it, filled in by the cube).  Suppressed and missing
values are NaN, never zero.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from personalisation.errors import SchemaError

TIDY_COLUMNS: dict[str, str] = {
    "council_code": "string",
    "council_name": "string",
    "geography_level": "string",
    "period": "string",
    "year": "int64",
    "measure": "string",
    "published_code": "string",
    "disaggregation": "string",
    "numerator": "float64",
    "denominator": "float64",
    "value": "float64",
    "status": "string",
    "definition": "string",
    "source": "string",
}

#: Columns that identify one figure; no two rows may share them.
KEY_COLUMNS: tuple[str, ...] = (
    "council_code",
    "geography_level",
    "year",
    "measure",
    "disaggregation",
)

STATUS_VALUES: tuple[str, ...] = ("published", "suppressed", "not-collected", "missing")
#: Statuses a cube cell may carry beyond the tidy ones: the council did not exist in that
#: year's geography; the value was apportioned by :func:`personalisation.harmonise`; or a
#: harmonised unit's parts were all published but as rates only, so no rate can be
#: recomputed for the unit (never averaged).
CUBE_STATUS_VALUES: tuple[str, ...] = (
    *STATUS_VALUES,
    "not-in-geography",
    "estimated",
    "not-computable",
)
GEOGRAPHY_LEVELS: tuple[str, ...] = ("council", "region", "council_type", "england")

#: Status of a cube cell whose council did not exist in that year's geography.
NOT_IN_GEOGRAPHY = "not-in-geography"

#: GSS code of England.
ENGLAND_CODE = "E92000001"
#: GSS prefix of the English regions.
REGION_PREFIX = "E12"
#: GSS prefixes of councils with adult social services responsibilities (upper tier):
#: unitary authorities, metropolitan districts, London boroughs, counties.
COUNCIL_PREFIXES: tuple[str, ...] = ("E06", "E08", "E09", "E10")
#: Council type of each upper-tier prefix.
COUNCIL_TYPE_BY_PREFIX: dict[str, str] = {
    "E06": "unitary authority",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "county",
}
#: An English upper-tier council code (``E08000003``).
COUNCIL_CODE = re.compile(r"^E(?:06|08|09|10)\d{6}$")
#: An English local-authority code, districts (E07) included.
LOCAL_AUTHORITY_CODE = re.compile(r"^E(?:06|07|08|09|10)\d{6}$")
#: An English region code.
REGION_CODE = re.compile(r"^E12\d{6}$")
#: Any GSS code of the four nations.
GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
#: A 3-digit CASSR code (``306``).
CASSR_CODE = re.compile(r"^\d{3}$")
#: Prefix of the codes of councils abolished before GSS codes existed (``cassr:610``).
CASSR_PREFIX = "cassr:"


def empty_tidy() -> pd.DataFrame:
    """An empty DataFrame with the tidy columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TIDY_COLUMNS.items()})


def coerce_tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the tidy columns, in order, with the tidy dtypes.

    Raises
    ------
    SchemaError
        When a column is missing or cannot be converted.
    """
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(f"tidy table lacks column(s) {missing}")
    out = frame.loc[:, list(TIDY_COLUMNS)].copy()
    year = pd.to_numeric(out["year"], errors="coerce")
    fractional = year.notna() & (year % 1 != 0)
    if year.isna().any() or fractional.any():
        bad = out.loc[year.isna() | fractional, "year"].head(5).tolist()
        raise SchemaError(
            f"column 'year' cannot be read as int64: it must hold whole years; found {bad}"
        )
    for column, dtype in TIDY_COLUMNS.items():
        try:
            out[column] = out[column].astype(dtype)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"column {column!r} cannot be read as {dtype}: {exc}") from exc
    return out.reset_index(drop=True)


def validate_tidy(frame: pd.DataFrame, *, where: str = "tidy table") -> pd.DataFrame:
    """Check a tidy table against the schema and return it with the tidy dtypes.

    Checks: all columns present and convertible; statuses and geography levels from the
    allowed sets; no duplicated figure (same :data:`KEY_COLUMNS`); published values
    finite, unpublished values NaN; counts not negative; numerators not above
    denominators.

    Parameters
    ----------
    frame
        The table to check.
    where
        Name of the file or step, used in error messages.

    Returns
    -------
    pandas.DataFrame
        The table, coerced to the tidy dtypes.

    Raises
    ------
    SchemaError
        Naming the first offending rows.

    Examples
    --------
    >>> validate_tidy(empty_tidy()).shape
    (0, 14)
    """
    tidy = coerce_tidy(frame)

    def _fail(message: str, mask: pd.Series) -> None:
        rows = tidy.loc[mask, ["council_code", "period", "measure", "disaggregation"]]
        raise SchemaError(f"{where}: {message}; first offending rows:\n{rows.head(5).to_string()}")

    bad_status = ~tidy["status"].isin(STATUS_VALUES)
    if bad_status.any():
        _fail(f"status must be one of {STATUS_VALUES}", bad_status)
    bad_level = ~tidy["geography_level"].isin(GEOGRAPHY_LEVELS)
    if bad_level.any():
        _fail(f"geography_level must be one of {GEOGRAPHY_LEVELS}", bad_level)
    for column in ("council_code", "measure", "period", "disaggregation", "source"):
        blank = tidy[column].isna() | (tidy[column].str.strip() == "")
        if blank.any():
            _fail(f"column {column!r} is blank", blank)
    duplicated = tidy.duplicated(list(KEY_COLUMNS), keep=False)
    if duplicated.any():
        _fail("duplicated figures (same council, level, year, measure, disaggregation)", duplicated)
    published = tidy["status"] == "published"
    value = tidy["value"].to_numpy(dtype=float)
    not_finite = published & ~np.isfinite(value)
    if not_finite.any():
        _fail("a published value is not a finite number", not_finite)
    unpublished_with_value = ~published & ~np.isnan(value)
    if unpublished_with_value.any():
        _fail("a value that is not published must be NaN", unpublished_with_value)
    for column in ("numerator", "denominator", "value"):
        negative = tidy[column] < 0
        if negative.any():
            _fail(f"negative {column}", negative)
    over = tidy["numerator"] > tidy["denominator"]
    if over.any():
        _fail("numerator above denominator", over)
    return tidy
