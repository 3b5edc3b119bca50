"""Regional (and council-type) comparison: pooled rates with Wilson intervals, spread, rank."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.errors import MissingYearError
from personalisation.schema import ENGLAND_CODE
from personalisation.stats import _validate as v
from personalisation.stats.uncertainty import wilson_interval

#: Columns of :func:`regional`, in order.
REGIONAL_COLUMNS: tuple[str, ...] = (
    "group_type",
    "group",
    "group_name",
    "year",
    "n_councils",
    "n_rates",
    "n_counts",
    "numerator",
    "denominator",
    "pooled_rate",
    "ci_low",
    "ci_high",
    "unweighted_mean",
    "min_rate",
    "q1_rate",
    "median_rate",
    "q3_rate",
    "max_rate",
    "iqr",
    "rank",
    "excluded",
    "reason",
)


def pool(
    numerators: np.ndarray, denominators: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float, float]:
    """Pooled rate of a group: summed numerators over summed denominators, with a Wilson CI.

    Only entries where both counts are finite and the denominator is positive are summed.

    Returns
    -------
    tuple
        ``(numerator, denominator, rate, ci_low, ci_high)``; NaN when nothing can be summed.

    Examples
    --------
    >>> pool(np.array([10.0, 30.0]), np.array([100.0, 100.0]))[:3]
    (40.0, 200.0, 0.2)
    """
    ok = np.isfinite(numerators) & np.isfinite(denominators) & (denominators > 0)
    if not ok.any():
        return (np.nan,) * 5
    num = float(numerators[ok].sum())
    den = float(denominators[ok].sum())
    low, high = wilson_interval(num, den, level)
    return num, den, num / den, float(low), float(high)


def _spread(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return dict.fromkeys(
            ("unweighted_mean", "min_rate", "q1_rate", "median_rate", "q3_rate", "max_rate", "iqr"),
            np.nan,
        )
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return {
        "unweighted_mean": float(values.mean()),
        "min_rate": float(values.min()),
        "q1_rate": float(q1),
        "median_rate": float(median),
        "q3_rate": float(q3),
        "max_rate": float(values.max()),
        "iqr": float(q3 - q1),
    }


def _group_row(
    group_type: str,
    key: str,
    name: str,
    year: int,
    member: np.ndarray,
    ds_year: xr.Dataset,
    why_counts: np.ndarray,
    why_value: np.ndarray,
    level: float,
    counts_held: bool,
) -> dict[str, Any]:
    num = ds_year["numerator"].values[member]
    den = ds_year["denominator"].values[member]
    ok_counts = why_counts[member] == v.OK
    council_rates = (ds_year["value"].values[member] / 100.0)[why_value[member] == v.OK]
    numerator, denominator, rate, low, high = pool(
        np.where(ok_counts, num, np.nan), np.where(ok_counts, den, np.nan), level
    )
    n_councils = int(member.sum())
    n_counts = int(ok_counts.sum())
    if "counts_given" in ds_year.attrs:
        reason = "pooled rate needs counts: pass the cube, not a DataArray of values"
    elif not counts_held:
        reason = f"no numerators/denominators published for {year}: pooled rate not computable"
    elif n_counts == 0:
        reason = "no council in the group has counts"
    elif n_counts < n_councils:
        reason = f"pooled over {n_counts} of {n_councils} councils"
    else:
        reason = ""
    return {
        "group_type": group_type,
        "group": key,
        "group_name": name,
        "year": year,
        "n_councils": n_councils,
        "n_rates": int(council_rates.size),
        "n_counts": n_counts,
        "numerator": numerator,
        "denominator": denominator,
        "pooled_rate": rate,
        "ci_low": low,
        "ci_high": high,
        **_spread(council_rates),
        "excluded": v.summarise_reasons(why_counts[member] if counts_held else why_value[member]),
        "reason": reason,
    }


def regional(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Any = None,
    *,
    by: str = "region",
    level: float = 0.95,
    england: bool = True,
) -> pd.DataFrame:
    """Each region's (or council type's) pooled rate with a Wilson interval, spread and rank.

    The pooled rate of a group is the sum of its councils' numerators over the sum of
    their denominators (never an average of rates), with a Wilson score interval.  The
    council spread (``unweighted_mean``, min, quartiles, max, IQR) is of the councils'
    published rates (value / 100), so it exists in years without counts; the pooled rate
    there is NaN with a ``reason``.

    Parameters
    ----------
    cube
        The cube (a DataArray of values gives spreads only).
    measure
        Rate measure id.
    year
        One year, a sequence, or ``None`` (all years).
    by
        ``"region"`` or ``"council_type"`` (county, unitary authority, metropolitan
        district, London borough).
    level
        Confidence level of the Wilson interval.
    england
        Append one England row per year (all councils pooled; ``rank`` NaN).

    Returns
    -------
    pandas.DataFrame
        One row per group and year (groups sorted by code, England last), columns
        ``group_type`` (``'region'``, ``'council type'``, ``'England'``), ``group`` (region
        code, council type, or ``E92000001``), ``group_name``, ``year``, ``n_councils``,
        ``n_rates`` (councils with a value), ``n_counts`` (councils with counts),
        ``numerator``, ``denominator``, ``pooled_rate``, ``ci_low``, ``ci_high``,
        ``unweighted_mean``, ``min_rate``, ``q1_rate``, ``median_rate``, ``q3_rate``,
        ``max_rate``, ``iqr``, ``rank`` (1 = highest pooled rate within the year, ties
        share the lowest rank; NaN without a pooled rate), ``excluded`` (e.g.
        ``'suppressed: 1'``) and ``reason`` (why the pooled rate is NaN or partial).
        Rates are proportions.

    Raises
    ------
    MissingYearError
        An unknown year, or a single year in which no council has a value.
    ValueError
        A count measure or an unknown ``by``.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = regional(make_cube(n_councils=9, n_regions=3), "sds_users", 2015)
    >>> len(table), list(table.group_type.unique())
    (4, ['region', 'England'])
    >>> table["n_councils"].tolist(), int(table["rank"].notna().sum())
    ([3, 3, 3, 9], 3)
    """
    level = v.proportion_level(level)
    single = year is not None and not v._is_sequence(year)
    ds = v.prepare(cube, measure, year)
    if ds.attrs["kind"] != "rate":
        raise ValueError(f"{ds.attrs['measure']} is a count measure; regional() needs a rate")
    keys, names = v.group_codes(ds, by)
    why_counts = v.reasons(ds, counts=True)
    why_value = v.reasons(ds, counts=False)
    if single and bool((why_value != v.OK).all()):
        raise MissingYearError(
            f"{ds.attrs['measure']} {v.years_of(ds)[0]}: no council has a value ("
            f"{v.summarise_reasons(why_value.values.ravel())})"
        )
    group_type = "region" if by == "region" else "council type"
    rows = []
    for j, year_j in enumerate(v.years_of(ds)):
        ds_year = ds.isel(year=j)
        wc = why_counts.values[:, j]
        wv = why_value.values[:, j]
        counts_held = bool(np.isfinite(ds_year["numerator"].values).any())
        year_rows = [
            _group_row(
                group_type,
                key,
                names[key],
                year_j,
                keys == key,
                ds_year,
                wc,
                wv,
                level,
                counts_held,
            )
            for key in sorted(names)
        ]
        ranks = pd.Series([r["pooled_rate"] for r in year_rows]).rank(ascending=False, method="min")
        for row, rank in zip(year_rows, ranks, strict=True):
            row["rank"] = rank
        rows.extend(year_rows)
        if england:
            row = _group_row(
                "England",
                ENGLAND_CODE,
                "England",
                year_j,
                np.ones(keys.size, bool),
                ds_year,
                wc,
                wv,
                level,
                counts_held,
            )
            row["rank"] = np.nan
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(REGIONAL_COLUMNS))
    table.attrs = {"measure": ds.attrs["measure"], "by": by, "level": level}
    return table
