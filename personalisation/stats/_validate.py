"""Shared input checks for :mod:`personalisation.stats`.

Every public statistic starts here: :func:`prepare` turns the cube (or a ``DataArray`` cut
from it) into a small :class:`xarray.Dataset` for one measure with dims ``(council, year)``,
checks the measure and the years, and refuses impossible counts (negative, infinite, a
numerator above its denominator) with an error naming the council, the year and the
measure.  Missing values are never an error: they are reported by :func:`reasons`, one
text per council-year, so that callers can say how many councils were left out and why.

Conventions used throughout :mod:`personalisation.stats` (see also :mod:`personalisation.units`):

* a council **rate** is its published value, in percent (the published percentage is the
  authority); it exists in every year with published values, including the years without
  numerators and denominators (2019-20 and 2021-22..2023-24);
* **counts** are used only where a statistic needs them: the denominator as the size of
  the council (interval widths, funnel limits, pooling weights) and the numerator for
  pooled rates.  Where the publisher rounded the counts to the nearest 5 (ASCOF 2014-15,
  see :attr:`personalisation.measures.Measure.rounded`), the numerator used is the
  published rate times the rounded denominator, the row is flagged ``counts_rounded``
  and every interval or limit from it is approximate;
* a **pooled** rate is a sum of numerators over a sum of denominators (never an average
  of rates); it needs counts;
* the **unweighted mean** of council rates is given separately and always named as such;
* a ``suppressed``, ``not-collected`` or ``missing`` cell is never used, whatever counts
  it carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard, cast

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.errors import (
    InvalidCountsError,
    MissingYearError,
    SchemaError,
    UnknownMeasureError,
)
from personalisation.schema import Year, Years, _status_names

#: Status of a council that did not exist in a year's geography (see the cube).
NOT_IN_GEOGRAPHY = "not-in-geography"

#: Coordinates on ``council`` that label results.
COUNCIL_LABELS: tuple[str, ...] = ("council_name", "council_type", "region_code", "region_name")

#: Reason texts (one per council-year) used in ``reason`` columns.
OK = ""
NO_VALUE = "no published value"
NO_COUNTS = "no numerator/denominator published"
ZERO_DENOMINATOR = "denominator is zero"
NOT_IN_DATA = "not in the data"


def to_year(year: Year) -> int:
    """A year as an int; accepts ``2011``, ``"2011"`` or a financial year ``"2010-11"``.

    Examples
    --------
    >>> to_year("2010-11"), to_year(2013)
    (2011, 2013)
    """
    if isinstance(year, (int, np.integer)) and not isinstance(year, bool):
        return int(year)
    text = str(year).strip()
    if text.isdigit():
        return int(text)
    from personalisation.measures import period_to_year

    try:
        return period_to_year(text)
    except ValueError:
        raise MissingYearError(
            f"not a year: {year!r}; give the year in which the financial year ends (2011) "
            "or the financial year ('2010-11')"
        ) from None


def _kind_of(obj: xr.Dataset | xr.DataArray, measure: str | None) -> str:
    if "kind" in obj.coords:
        kind = obj.coords["kind"]
        if kind.ndim == 0:
            return str(kind.item())
        return str(kind.sel(measure=measure).item())
    if measure is not None:
        from personalisation import measures as registry

        try:
            return registry.get(measure).kind
        except UnknownMeasureError:
            pass
    raise SchemaError(
        "cannot tell whether the values are rates (percent) or counts: pass the cube, or a "
        "DataArray cut from it that keeps its 'kind' coordinate"
    )


def _select_measure(obj: xr.Dataset | xr.DataArray, measure: str | None) -> tuple[Any, str]:
    """Cut one measure; returns the object without a measure dim and the measure id."""
    if "measure" in obj.dims:
        known = [str(m) for m in obj["measure"].values]
        if measure is None:
            if len(known) == 1:
                measure = known[0]
            else:
                raise UnknownMeasureError(
                    f"measure= is required; the cube holds {', '.join(known)}"
                )
        if measure not in known:
            raise UnknownMeasureError(
                f"unknown measure {measure!r}; this cube holds {', '.join(known)}"
            )
        return obj.sel(measure=measure), measure
    held = str(obj["measure"].item()) if "measure" in obj.coords else None
    if measure is not None and held is not None and measure != held:
        raise UnknownMeasureError(f"measure {measure!r} asked of data cut for {held!r}")
    chosen = measure if measure is not None else held
    if chosen is None:
        raise UnknownMeasureError("measure= is required (the data carry no 'measure' label)")
    return obj, chosen


def prepare(
    data: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    require_single_year: bool = False,
) -> xr.Dataset:
    """One measure of the cube as a Dataset with dims ``(council, year)``.

    Parameters
    ----------
    data
        The cube (dims ``council, year, measure``), a Dataset cut from it, or a
        ``DataArray`` of ``value`` cut from it (it must keep the ``kind`` coordinate).
        A DataArray carries no counts: numerators and denominators come out as NaN.
    measure
        Measure id; may be omitted when the data hold a single measure.
    year
        ``None`` (all years), one year, or a sequence of years.  Years are ints (the year
        in which the financial year ends) or financial-year labels (``"2010-11"``).
    require_single_year
        Refuse ``None`` and sequences.

    Returns
    -------
    xarray.Dataset
        Variables ``value``, ``numerator``, ``denominator`` (float) and ``status`` (str),
        dims ``(council, year)``, the council label coordinates, and attrs ``measure``,
        ``kind`` and ``label`` (plus ``counts_given`` when a DataArray was given).

    Raises
    ------
    UnknownMeasureError
        Unknown or missing measure.
    MissingYearError
        A year that is not in the data.
    InvalidCountsError
        Negative or infinite values or counts, or a numerator above its denominator.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> ds = prepare(make_cube(n_councils=3), "sds_users", 2015)
    >>> dict(ds.sizes), ds.attrs["kind"]
    ({'council': 3, 'year': 1}, 'rate')
    """
    if not isinstance(data, (xr.Dataset, xr.DataArray)):
        raise TypeError(
            f"expected the cube (xarray.Dataset) or a DataArray cut from it, got "
            f"{type(data).__name__}"
        )
    if "council" not in data.dims:
        raise SchemaError("the data have no 'council' dimension; pass the cube or a cut of it")
    obj, measure = _select_measure(data, measure)
    kind = _kind_of(data, measure)
    if isinstance(obj, xr.DataArray):
        if obj.name not in (None, "value"):
            raise SchemaError(
                f"a DataArray of {obj.name!r} was given; pass the cube, or its 'value' variable"
            )
        if "status" not in obj.coords:
            raise SchemaError(
                "a DataArray of values has lost each cell's status (published, suppressed, "
                "not-in-geography...), so councils that did not exist would be counted as "
                "missing: pass the cube or a Dataset cut from it (cube.sel(...)), or a DataArray "
                "that keeps a 'status' coordinate (cube.value.assign_coords(status=cube.status))"
            )
        status = _status_names(obj.coords["status"].drop_vars("status"))
        value = obj.drop_vars("status").astype(float)
        ds = xr.Dataset(
            {
                "value": value,
                "numerator": xr.full_like(value, np.nan),
                "denominator": xr.full_like(value, np.nan),
                "status": status,
            }
        )
    else:
        missing = [v for v in ("value",) if v not in obj]
        if missing:
            raise SchemaError(f"the cube has no {missing[0]!r} variable")
        ds = obj[[v for v in ("value", "numerator", "denominator", "status") if v in obj]]
        for name in ("numerator", "denominator"):
            if name not in ds:
                ds[name] = xr.full_like(ds["value"], np.nan, dtype=float)
        if "status" not in ds:
            ds["status"] = xr.where(np.isfinite(ds["value"]), "published", "missing").astype(str)
    if "year" not in ds.dims:
        if "year" not in ds.coords:
            raise MissingYearError("the data have no 'year' dimension or coordinate")
        ds = ds.expand_dims("year")
    ds = ds.transpose("council", "year", ...)
    drop = [c for c in ("measure", "measure_label", "units", "kind") if c in ds.coords]
    ds = ds.drop_vars(drop)
    ds = ds.assign_coords(year=[int(y) for y in ds["year"].values])

    if year is not None:
        if _is_sequence(year) and not require_single_year:
            years = [to_year(y) for y in year]
        else:
            years = [to_year(cast(Year, year))]
        held = [int(y) for y in ds["year"].values]
        unknown = [y for y in years if y not in held]
        if unknown:
            raise MissingYearError(
                f"{measure}: no year {unknown[0]} in the data; years held: "
                f"{', '.join(str(y) for y in held)}"
            )
        ds = ds.sel(year=years)
    elif require_single_year and ds.sizes["year"] != 1:
        raise MissingYearError(f"{measure}: year= is required (one year)")

    if ds.sizes["council"] == 0:
        raise SchemaError(
            f"{measure}: the selection holds no council; check the cut of the cube "
            "(cube.sel(...) or a region/council filter) before asking for statistics"
        )
    for name in ("value", "numerator", "denominator"):
        ds[name] = ds[name].astype(float)
    ds["status"] = _status_names(ds["status"])  # names in the small per-measure Dataset
    if not bool(np.isfinite(ds["value"]).any()):
        selected = ", ".join(str(int(y)) for y in ds["year"].values)
        summary = summarise_reasons(ds["status"].values.ravel())
        raise MissingYearError(
            f"{measure}: no council in the selection has a value in {selected}"
            + (f" ({summary})" if summary else "")
        )
    # councils that did not exist in any of the selected years are not part of the question
    gone = (ds["status"] == NOT_IN_GEOGRAPHY).all("year")
    if bool(gone.any()) and not bool(gone.all()):
        ds = ds.sel(council=~gone.values)
    for label in COUNCIL_LABELS:
        if label not in ds.coords:
            ds = ds.assign_coords({label: ("council", ["unknown"] * ds.sizes["council"])})
    from personalisation import measures as registry

    try:
        label = registry.get(measure).label
    except UnknownMeasureError:
        label = measure
    ds.attrs = {
        "measure": measure,
        "kind": kind,
        "label": label,
        "geography": _geography(data, ds),
    }
    ds["counts_rounded"] = _rounded(ds, measure)
    if isinstance(data, xr.DataArray):
        ds.attrs["counts_given"] = "no (a DataArray of values was given)"
    check_counts(ds)
    return ds


def _geography(data: xr.Dataset | xr.DataArray, ds: xr.Dataset) -> str:
    """Geography vintage(s) of the selection: the harmonised vintage, else each year's."""
    if data.attrs.get("geography_vintage"):
        return f"{data.attrs['geography_vintage']} (harmonised)"
    if "geography_vintage" in data.coords and "year" in data["geography_vintage"].dims:
        by_year = dict(
            zip(
                (int(y) for y in data["year"].values),
                (str(v) for v in data["geography_vintage"].values),
                strict=True,
            )
        )
        vintages = sorted({by_year[int(y)] for y in ds["year"].values if int(y) in by_year})
        if vintages:
            return ", ".join(vintages) + " (as published)"
    return "unknown"


def _rounded(ds: xr.Dataset, measure: str) -> xr.DataArray:
    """True where the publisher rounded the council-year's counts (registry ``rounded``)."""
    from personalisation import measures as registry

    try:
        rounded = registry.get(measure).rounded
    except UnknownMeasureError:
        rounded = {}
    years = {registry.period_to_year(p) for p in rounded}
    by_year = np.array([int(y) in years for y in ds["year"].values])
    flag = np.isfinite(ds["denominator"].values) & by_year[None, :]
    return xr.DataArray(
        flag, dims=("council", "year"), coords={"council": ds["council"], "year": ds["year"]}
    )


def rounded_note(ds: xr.Dataset) -> str:
    """The registry's note on rounded counts for the years of ``ds`` ('' when none)."""
    from personalisation import measures as registry

    try:
        rounded = registry.get(ds.attrs["measure"]).rounded
    except UnknownMeasureError:
        return ""
    held = {int(y) for y in ds["year"].values}
    texts = [f"{p}: {t}" for p, t in rounded.items() if registry.period_to_year(p) in held]
    if not texts or not bool(ds["counts_rounded"].any()):
        return ""
    return (
        "counts rounded to the nearest 5 by the publisher ("
        + "; ".join(texts)
        + "): the rate used is the published one, the numerator is rate x rounded "
        "denominator, and intervals and limits there are approximate"
    )


def counts(ds: xr.Dataset, usable: xr.DataArray | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator used by count-based statistics (NaN where not usable).

    The numerator is the published one, except where the publisher rounded the counts
    (``counts_rounded``): there it is the published rate times the rounded denominator,
    so that the rate is the published one in every function.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> ds = prepare(make_cube(n_councils=2), "sds_users", 2016)
    >>> x, n = counts(ds, reasons(ds, counts=True) == OK)
    >>> bool((x == ds.numerator.values).all())
    True
    """
    from personalisation import units

    ok = np.asarray(usable, dtype=bool)
    den = ds["denominator"].values
    num = np.where(
        ds["counts_rounded"].values,
        units.percent_of(ds["value"].values, den),
        ds["numerator"].values,
    )
    return np.where(ok, num, np.nan), np.where(ok, den, np.nan)


def census(ds: xr.Dataset, why: xr.DataArray | np.ndarray) -> dict[str, Any]:
    """Per-year councils used and in force, and the exclusion summary, for a result."""
    why = np.asarray(why, dtype=object)
    status = ds["status"].values.astype(str)
    in_force = status != NOT_IN_GEOGRAPHY
    used = (why == OK) & in_force
    return {
        "measure": ds.attrs["measure"],
        "label": ds.attrs["label"],
        "years": tuple(years_of(ds)),
        "geography": ds.attrs.get("geography", "unknown"),
        "n_used": tuple(int(x) for x in used.sum(axis=0)),
        "n_in_force": tuple(int(x) for x in in_force.sum(axis=0)),
        "excluded": summarise_reasons(why[in_force].ravel()),
    }


def _is_sequence(year: Any) -> TypeGuard[Sequence[Year]]:
    return isinstance(year, Iterable) and not isinstance(year, (str, bytes))


def _where(ds: xr.Dataset, bad: xr.DataArray, what: str) -> str:
    cells = bad.stack(cell=("council", "year"))
    cells = cells[cells.values]
    shown = [
        f"{c} ({ds['council_name'].sel(council=c).item()}) {y}" for c, y in cells["cell"].values[:5]
    ]
    more = f" and {int(cells.size) - 5} more" if cells.size > 5 else ""
    return f"{ds.attrs['measure']}: {what} for " + "; ".join(shown) + more


def check_counts(ds: xr.Dataset) -> None:
    """Raise :class:`InvalidCountsError` on impossible values or counts.

    Checks: values, numerators and denominators not infinite and not negative; for rate
    measures, the value at most 100 (percent) and the numerator at most the denominator.
    NaN is allowed everywhere (missing data).

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> check_counts(prepare(make_cube(n_councils=3), "sds_users"))  # no error
    """
    for name in ("value", "numerator", "denominator"):
        array = ds[name]
        infinite = xr.apply_ufunc(np.isinf, array)
        if bool(infinite.any()):
            raise InvalidCountsError(_where(ds, infinite, f"infinite {name}"))
        if bool((array < 0).any()):
            raise InvalidCountsError(_where(ds, array < 0, f"negative {name}"))
    if ds.attrs["kind"] == "rate":
        over = ds["numerator"] > ds["denominator"]
        if bool(over.any()):
            raise InvalidCountsError(_where(ds, over, "numerator above denominator"))
        if bool((ds["value"] > 100 + 1e-9).any()):
            raise InvalidCountsError(_where(ds, ds["value"] > 100 + 1e-9, "value above 100%"))


def rates(ds: xr.Dataset) -> xr.DataArray:
    """Council values as published: percent for rate measures, counts for count measures."""
    return ds["value"]


def value_units(ds: xr.Dataset) -> str:
    """CF units of the values: ``'percent'`` for rates, the registry's units for counts."""
    from personalisation import measures as registry
    from personalisation import units

    if ds.attrs["kind"] == "rate":
        return units.PERCENT
    try:
        return registry.get(ds.attrs["measure"]).units
    except UnknownMeasureError:
        return "count"


def has_counts(ds: xr.Dataset) -> xr.DataArray:
    """True where the council-year has a finite numerator and a positive denominator."""
    finite: xr.DataArray = xr.apply_ufunc(np.isfinite, ds["numerator"]) & xr.apply_ufunc(
        np.isfinite, ds["denominator"]
    )
    return finite & (ds["denominator"] > 0)


def reasons(ds: xr.Dataset, *, counts: bool) -> xr.DataArray:
    """Why each council-year cannot be used ('' when it can).

    Parameters
    ----------
    ds
        Output of :func:`prepare`.
    counts
        Whether the caller needs numerators and denominators (else only the value).

    Returns
    -------
    xarray.DataArray
        str, dims ``(council, year)``: ``''``, the status when it is not ``published`` or
        ``estimated`` (``suppressed``, ``not-collected``, ``missing``: such a cell is never
        used, whatever value or counts it carries), ``'no published value'``, ``'no
        numerator/denominator published'`` or ``'denominator is zero'``.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> ds = prepare(make_cube(n_councils=3, missing_fraction=0.5, seed=1), "sds_users")
    >>> sorted(set(reasons(ds, counts=True).values.ravel()))
    ['', 'missing']
    """
    status = ds["status"].values.astype(str)
    finite_value = np.isfinite(ds["value"].values)
    denominator = ds["denominator"].values
    unusual = ~np.isin(status, ["published", "estimated"])
    usable = (has_counts(ds).values & finite_value if counts else finite_value) & ~unusual
    why = np.full(status.shape, OK, dtype=object)
    if counts:
        why[~finite_value] = NO_VALUE
        why[finite_value] = NO_COUNTS
        why[np.isfinite(denominator) & (denominator == 0)] = ZERO_DENOMINATOR
    else:
        why[:] = NO_VALUE
    why[unusual] = status[unusual]
    why[usable] = OK
    return xr.DataArray(why, dims=ds["value"].dims, coords=ds["value"].coords)


def summarise_reasons(why: Iterable[str]) -> str:
    """Count reasons: ``['', 'missing', 'missing', 'suppressed']`` -> ``'missing: 2; suppressed: 1'``.

    Councils that did not exist that year (``not-in-geography``) are not exclusions and
    are not counted.

    Examples
    --------
    >>> summarise_reasons(["", "missing", "missing", "suppressed"])
    'missing: 2; suppressed: 1'
    """
    counts = pd.Series([w for w in why if w and w != NOT_IN_GEOGRAPHY]).value_counts()
    return "; ".join(f"{k}: {int(v)}" for k, v in sorted(counts.items()))


def council_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Council labels as a DataFrame (council, council_name, council_type, region_code,
    region_name), one row per council in ``ds`` order."""
    frame = pd.DataFrame({"council": [str(c) for c in ds["council"].values]})
    for label in COUNCIL_LABELS:
        frame[label] = [str(v) for v in ds[label].values]
    return frame


def group_codes(ds: xr.Dataset, by: str) -> tuple[np.ndarray, dict[str, str]]:
    """Group key per council and key -> display name for ``by`` in region / council_type.

    Raises
    ------
    ValueError
        For any other ``by``.
    """
    if by == "region":
        keys = np.array([str(v) for v in ds["region_code"].values], dtype=object)
        names = {str(k): str(v) for k, v in zip(keys, ds["region_name"].values, strict=True)}
    elif by == "council_type":
        keys = np.array([str(v) for v in ds["council_type"].values], dtype=object)
        names = {str(k): str(k) for k in keys}
    else:
        raise ValueError(f"by= must be 'region' or 'council_type', not {by!r}")
    return keys, names


def proportion_level(level: float) -> float:
    """Check a confidence level is in (0, 1)."""
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}")
    return float(level)


def check_threshold(value: Any, name: str) -> float:
    """A rate parameter in percent (see :func:`personalisation.units.parse_rate`)."""
    from personalisation import units

    return units.parse_rate(value, name)


def years_of(ds: xr.Dataset) -> Sequence[int]:
    """Years held, as ints."""
    return [int(y) for y in ds["year"].values]
