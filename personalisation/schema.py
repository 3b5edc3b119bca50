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
``-``), ``not-applicable`` (the publisher's ``[z]``: the figure does not apply),
``inconsistent`` (the publisher printed a number that contradicts its own figures, e.g. an
age band above its total; withheld here, the published number is listed in
``data/metadata.json`` under ``inconsistencies``), ``missing`` (no row for it, filled in
by the cube).  Values that are not published are NaN, never zero.  The tidy table holds the
names; the cube stores its statuses (:data:`CUBE_STATUS_VALUES`) as int8 codes
(:data:`STATUS_CODES`, CF ``flag_values`` / ``flag_meanings`` from :func:`status_attrs`),
turned into names by :func:`decode_status` and back by :func:`encode_status`.

Range and consistency checks of :func:`validate_tidy`: rates (units ``%``) within
[0, 100]; counts, numerators and denominators non-negative, and whole numbers for
measures counted in people (the PSS-EX1 publisher rounds counts to 5, still whole; care
weeks are published with decimals); numerator not above denominator; an age band not above
its ``Total`` (same source, council, year, measure); England equal to the sum of its
councils where the publication is a sum (:data:`ENGLAND_SUMS`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeAlias, overload

import numpy as np
import pandas as pd
import xarray as xr

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

STATUS_VALUES: tuple[str, ...] = (
    "published",
    "suppressed",
    "not-collected",
    "missing",
    "not-applicable",
    "inconsistent",
)
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

#: The integer code of each cube status, as the cube stores ``status`` (int8): the
#: position in :data:`CUBE_STATUS_VALUES` (``published`` is 0).  The codes are the CF
#: ``flag_values`` of the cube's ``status`` and the Stata value labels of
#: :mod:`personalisation.export`; they never change meaning (a new status gets a new code).
STATUS_CODES: dict[str, int] = {name: code for code, name in enumerate(CUBE_STATUS_VALUES)}
#: The dtype of the cube's ``status``.
STATUS_DTYPE = np.dtype(np.int8)
_STATUS_NAMES = np.array(CUBE_STATUS_VALUES)  # code -> name (<U16, the old cube dtype)

#: Status of a cube cell whose council did not exist in that year's geography.
NOT_IN_GEOGRAPHY = "not-in-geography"

#: One year, as the package reads it everywhere: the year in which the financial year ends
#: (``2015`` or ``"2015"`` for 2014-15) or the financial year itself (``"2014-15"``).
Year: TypeAlias = int | np.integer | str
#: The years a statistic is asked for: one year, several, or ``None`` (each function says
#: what ``None`` means: every year, or the first and last year with values).
Years: TypeAlias = Year | Sequence[Year] | None

#: GSS code of England.
ENGLAND_CODE = "E92000001"
#: GSS code of London (the region).
LONDON_REGION_CODE = "E12000007"
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


#: Range of a published rate (units ``%``).
RATE_RANGE: tuple[float, float] = (0.0, 100.0)
#: Definitions whose England row is the exact sum of the council rows, and the columns that
#: sum (ASCOF numerators/denominators; ONS mid-year estimates: the upper-tier councils
#: partition England).  PSS-EX1 England rows are not checked: the publisher rounds each
#: figure to 5 and its England totals "include estimates for missing data items".
ENGLAND_SUMS: dict[str, tuple[str, ...]] = {
    "ASCOF 1C": ("numerator", "denominator"),
    "ASCOF 3D": ("numerator", "denominator"),
    "ONS MYE": ("value",),
}
#: Largest difference (absolute) accepted between England and the sum of its councils.
ENGLAND_SUM_TOLERANCE = 0.5


def _units() -> dict[str, str]:
    from personalisation import measures

    return {m.id: m.units for m in measures.MEASURES}


def _group_key(tidy: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One int64 per row identifying its combination of ``columns`` (fast grouping)."""
    key = np.zeros(len(tidy), dtype=np.int64)
    for column in columns:
        values = tidy[column].to_numpy(dtype=object)
        codes, uniques = pd.factorize(values)
        key = key * (len(uniques) + 1) + codes
    return key


def excess_bands(tidy: pd.DataFrame) -> pd.Series:
    """Published age bands of count measures above their ``Total`` (same source, council,
    year, measure): a boolean mask over ``tidy``.

    Examples
    --------
    >>> rows = pd.DataFrame({"source": "s", "council_code": "E06000001", "year": 2011,
    ...     "geography_level": "council", "measure": "dp_clients",
    ...     "disaggregation": ["Total", "65 and over"], "value": [905.0, 1130.0],
    ...     "status": "published"})
    >>> excess_bands(rows).tolist()
    [False, True]
    """
    units = tidy["measure"].map(_units()).to_numpy(dtype=object)
    published = (tidy["status"] == "published").to_numpy(dtype=bool)
    counted = np.isin(units, ["people", "weeks"]) & published
    if not counted.any():
        return pd.Series(False, index=tidy.index)
    key = _group_key(tidy, ["source", "council_code", "geography_level", "year", "measure"])
    total = (tidy["disaggregation"] == "Total").to_numpy(dtype=bool)
    value = tidy["value"].to_numpy(dtype=float)
    totals = pd.Series(value[counted & total], index=key[counted & total])
    bands = counted & ~total
    their_total = totals.reindex(key[bands]).to_numpy(dtype=float)
    over = np.zeros(len(tidy), dtype=bool)
    over[np.flatnonzero(bands)] = value[bands] > their_total  # NaN totals compare False
    return pd.Series(over, index=tidy.index)


def flag_inconsistent(tidy: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Withhold published figures that contradict the publisher's own figures.

    An age band above its total (:func:`excess_bands`) gets status ``inconsistent`` and a
    NaN value; the published numbers are returned so that nothing is lost silently.

    Returns
    -------
    (tidy, records)
        The table (a copy) and one record per withheld figure (source, council, period,
        measure, band, published value, published total).
    """
    over = excess_bands(tidy)
    if not over.any():
        return tidy, []
    out = tidy.copy()
    key = ["source", "council_code", "geography_level", "year", "measure"]
    totals = out[out["disaggregation"] == "Total"].set_index(key)["value"]
    records = []
    for idx in out.index[over]:
        row = out.loc[idx]
        records.append(
            {
                "source": str(row["source"]),
                "council_code": str(row["council_code"]),
                "period": str(row["period"]),
                "measure": str(row["measure"]),
                "disaggregation": str(row["disaggregation"]),
                "published_value": float(row["value"]),
                "published_total": float(totals.loc[tuple(row[k] for k in key)]),
                "why": "age band above its total",
            }
        )
    out.loc[over, "value"] = np.nan
    out.loc[over, "status"] = "inconsistent"
    return out, records


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
        columns = ["council_code", "period", "measure", "disaggregation", "value", "source"]
        rows = tidy.loc[mask, columns]
        rows.index.name = "row"
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
    _check_ranges(tidy, _fail)
    return tidy


def _check_ranges(tidy: pd.DataFrame, fail: object) -> None:
    """Rates within [0, 100]; whole counts of people; bands not above totals; England sums."""
    units = tidy["measure"].map(_units()).astype(object)
    published = tidy["status"] == "published"
    low, high = RATE_RANGE
    rate = units == "%"
    out_of_range = published & rate & ((tidy["value"] < low) | (tidy["value"] > high))
    if out_of_range.any():
        fail(f"a rate (units %) outside [{low:g}, {high:g}]", out_of_range)  # type: ignore[operator]
    people = units == "people"
    for column, mask in (
        ("value", people & published),
        ("numerator", tidy["numerator"].notna()),
        ("denominator", tidy["denominator"].notna()),
    ):
        values = tidy[column].to_numpy(dtype=float)
        fractional = mask.to_numpy() & (np.abs(values - np.round(values)) > 1e-9)
        if fractional.any():
            fail(  # type: ignore[operator]
                f"{column}: a count of people that is not a whole number (a decimal comma or "
                "point read as a thousands separator?)",
                pd.Series(fractional, index=tidy.index),
            )
    over = excess_bands(tidy)
    if over.any():
        fail("an age band above its Total (same source, council, year, measure)", over)  # type: ignore[operator]
    _check_england_sums(tidy, fail)


def _check_england_sums(tidy: pd.DataFrame, fail: object) -> None:
    summed = tidy["definition"].isin(list(ENGLAND_SUMS)).to_numpy(dtype=bool)
    level = tidy["geography_level"].to_numpy(dtype=object)
    england = summed & (level == "england")
    councils = summed & (level == "council")
    if not england.any() or not councils.any():
        return
    key = _group_key(tidy, ["source", "year", "measure", "disaggregation"])
    definition = tidy["definition"].to_numpy(dtype=object)
    for column in ("numerator", "denominator", "value"):
        defs = [d for d, cols in ENGLAND_SUMS.items() if column in cols]
        in_defs = np.isin(definition, defs)
        values = tidy[column].to_numpy(dtype=float)
        members = councils & in_defs
        frame = pd.DataFrame({"key": key[members], "v": values[members]})
        grouped = frame.groupby("key")["v"]
        sums, complete = grouped.sum(), grouped.count() == grouped.size()
        rows = np.flatnonzero(england & in_defs & ~np.isnan(values))
        if not len(rows):
            continue
        their_sum = sums.reindex(key[rows]).to_numpy(dtype=float)
        ok = complete.reindex(key[rows]).fillna(False).to_numpy(dtype=bool)
        wrong = ok & (np.abs(values[rows] - their_sum) > ENGLAND_SUM_TOLERANCE)
        if wrong.any():
            first = rows[wrong][0]
            fail(  # type: ignore[operator]
                f"England {column} {values[first]:g} is not the sum of its councils "
                f"({their_sum[wrong][0]:g}), although {definition[first]} publishes a sum",
                pd.Series(np.isin(np.arange(len(tidy)), rows[wrong]), index=tidy.index),
            )


# --------------------------------------------------------------------------- status codes
def status_attrs() -> dict[str, Any]:
    """The attributes of the cube's int8 ``status``: CF ``flag_values`` and ``flag_meanings``.

    ``flag_values`` are the codes of :data:`STATUS_CODES` (int8, the variable's dtype),
    ``flag_meanings`` the status names in code order, separated by single spaces (CF
    forbids spaces inside a meaning; the names use hyphens).  No ``standard_name``: CF has
    none for a publication status.  Readers without this package decode the codes from
    these two attributes; with it, use :func:`decode_status`.

    Examples
    --------
    >>> attrs = status_attrs()
    >>> attrs["flag_values"].dtype, attrs["flag_values"][:2].tolist()
    (dtype('int8'), [0, 1])
    >>> attrs["flag_meanings"].split()[:3]
    ['published', 'suppressed', 'not-collected']
    """
    return {
        "long_name": "status of the figure: " + " / ".join(CUBE_STATUS_VALUES),
        "flag_values": np.arange(len(CUBE_STATUS_VALUES), dtype=STATUS_DTYPE),
        "flag_meanings": " ".join(CUBE_STATUS_VALUES),
        "comment": "int8 codes; names with personalisation.decode_status(cube['status']), "
        "or from flag_values / flag_meanings",
    }


def _encode_block(block: Any) -> np.ndarray:
    array = np.asarray(block)
    if np.issubdtype(array.dtype, np.number):
        _check_codes(array)
        return array.astype(STATUS_DTYPE)
    uniques, inverse = np.unique(array.astype(str), return_inverse=True)
    unknown = [str(u) for u in uniques if str(u) not in STATUS_CODES]
    if unknown:
        raise SchemaError(
            f"unknown status value(s) {unknown}; a status is one of {CUBE_STATUS_VALUES}"
        )
    lookup = np.array([STATUS_CODES[str(u)] for u in uniques], dtype=STATUS_DTYPE)
    return lookup[inverse].reshape(array.shape)


def _check_codes(array: np.ndarray) -> None:
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise SchemaError(
            "status codes contain NaN: an int8 status became float (a reindex, where or "
            "concat filled it with NaN?); fill the cells with a status instead, e.g. "
            "fill_value={'status': encode_status('missing')}"
        )
    bad = (array < 0) | (array >= len(CUBE_STATUS_VALUES)) | (array % 1 != 0)
    if bad.any():
        found = sorted({v.item() for v in np.unique(array[bad])})
        raise SchemaError(
            f"unknown status code(s) {found[:10]}; the codes are 0..{len(CUBE_STATUS_VALUES) - 1} "
            f"({', '.join(f'{c} = {n}' for n, c in STATUS_CODES.items())})"
        )


def _decode_block(block: Any) -> np.ndarray:
    array = np.asarray(block)
    if not np.issubdtype(array.dtype, np.number):
        return _STATUS_NAMES[_encode_block(array)]  # names: checked, returned as <U16
    _check_codes(array)
    return _STATUS_NAMES[array.astype(np.intp)]


@overload
def encode_status(status: xr.DataArray) -> xr.DataArray: ...
@overload
def encode_status(status: Any) -> Any: ...
def encode_status(status: Any) -> Any:
    """Status names -> the cube's int8 codes (:data:`STATUS_CODES`).

    Parameters
    ----------
    status
        A status name (``"suppressed"``), a sequence or array of names, or a
        :class:`xarray.DataArray` of them (numpy or dask).  Codes (integers) pass through,
        checked, so encoding twice is harmless.

    Returns
    -------
    numpy.int8, numpy.ndarray or xarray.DataArray
        The codes, int8, same shape; a DataArray keeps its dims and coords and gets the CF
        attributes of :func:`status_attrs`.

    Raises
    ------
    SchemaError
        For a name that is not a status (the message names it) or an unknown code.

    Examples
    --------
    >>> encode_status("suppressed")
    np.int8(1)
    >>> encode_status(["published", "not-in-geography"]).tolist()
    [0, 6]
    >>> encode_status("guessed")
    Traceback (most recent call last):
    ...
    personalisation.errors.SchemaError: unknown status value(s) ['guessed']; a status is one of ('published', 'suppressed', 'not-collected', 'missing', 'not-applicable', 'inconsistent', 'not-in-geography', 'estimated', 'not-computable')
    """
    if isinstance(status, xr.DataArray):
        out = xr.apply_ufunc(
            _encode_block, status, dask="parallelized", output_dtypes=[STATUS_DTYPE]
        )
        out.attrs = {**status.attrs, **status_attrs()}
        return out
    codes = np.asarray(_encode_block(status))
    return codes[()] if codes.ndim == 0 else codes


@overload
def decode_status(status: xr.DataArray) -> xr.DataArray: ...
@overload
def decode_status(status: Any) -> Any: ...
def decode_status(status: Any) -> Any:
    """The cube's int8 status codes -> status names, for display and comparison.

    The cube stores ``status`` as int8 codes (1 byte a cell, CF ``flag_values`` /
    ``flag_meanings``); compare names only after decoding: ``cube.status == "published"``
    compares the codes with a text and is False everywhere.

    Parameters
    ----------
    status
        The cube's ``status`` (a DataArray, numpy or dask), an array of codes or one code.
        Names pass through, checked, so decoding twice is harmless (a cube built by
        :func:`personalisation.testing.make_cube` holds names).

    Returns
    -------
    str, numpy.ndarray or xarray.DataArray
        The names (``<U16``), same shape; a DataArray keeps its dims and coords and loses
        the flag attributes.

    Raises
    ------
    SchemaError
        For a code outside :data:`STATUS_CODES` (or NaN), or a name that is not a status.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures="sds_users", years=2021)
    >>> cube.status.dtype
    dtype('int8')
    >>> names = pz.decode_status(cube.status)
    >>> names.sel(council="E08000003").item()
    'published'
    >>> int((names == "published").sum()) == int(cube.value.notnull().sum())
    True
    >>> decode_status([0, 1, 6]).tolist()
    ['published', 'suppressed', 'not-in-geography']
    >>> decode_status(42)
    Traceback (most recent call last):
    ...
    personalisation.errors.SchemaError: unknown status code(s) [42]; the codes are 0..8 (0 = published, 1 = suppressed, 2 = not-collected, 3 = missing, 4 = not-applicable, 5 = inconsistent, 6 = not-in-geography, 7 = estimated, 8 = not-computable)
    """
    if isinstance(status, xr.DataArray):
        out = xr.apply_ufunc(
            _decode_block, status, dask="parallelized", output_dtypes=[_STATUS_NAMES.dtype]
        )
        flags = set(status_attrs())
        out.attrs = {k: v for k, v in status.attrs.items() if k not in flags}
        out.attrs["long_name"] = status_attrs()["long_name"]
        return out
    names = np.asarray(_decode_block(status))
    return str(names[()]) if names.ndim == 0 else names


def _is_coded(status: Any) -> bool:
    """Whether ``status`` holds int8 codes (the cube's) rather than names (any array-like)."""
    dtype = getattr(status, "dtype", None)
    if not isinstance(dtype, np.dtype):  # pandas extension dtypes (string, category) hold names
        dtype = np.asarray(status).dtype if dtype is None else np.dtype(object)
    return dtype.kind in "iuf"


def _status_names(status: xr.DataArray) -> xr.DataArray:
    """Names of a status DataArray: decoded when coded, else as given (str, unchecked)."""
    return decode_status(status) if _is_coded(status) else status.astype(str)
