"""Variation across councils for one measure, for one year or every year at once."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from personalisation.errors import MissingYearError
from personalisation.stats import _validate as v
from personalisation.stats.regional import pool


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal; NaN for an empty or all-zero set).

    Uses ``G = sum_i sum_j |x_i - x_j| / (2 n**2 mean)``, computed from the sorted values.

    Examples
    --------
    >>> gini(np.array([1.0, 1.0, 1.0]))
    0.0
    >>> round(gini(np.array([0.0, 0.0, 0.0, 1.0])), 4)  # (n - 1) / n
    0.75
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    if x.size == 0 or x.sum() == 0:
        return np.nan
    if np.any(x < 0):
        raise ValueError("the Gini coefficient needs non-negative values")
    n = x.size
    index = np.arange(1, n + 1)
    return float(2 * np.sum(index * x) / (n * x.sum()) - (n + 1) / n)


def between_share(values: np.ndarray, groups: np.ndarray) -> float:
    """Share of the between-council variance that lies between groups (regions).

    The total sum of squares of the council values about their mean is split into the
    sum of squares of group means about the overall mean (weighted by group size) and
    the sum within groups; the share is ``between / total`` (the correlation ratio
    eta squared).  NaN when all values are equal or fewer than two remain.

    Examples
    --------
    >>> between_share(np.array([1.0, 1.0, 3.0, 3.0]), np.array(["a", "a", "b", "b"]))
    1.0
    >>> between_share(np.array([1.0, 3.0, 1.0, 3.0]), np.array(["a", "a", "b", "b"]))
    0.0
    """
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    values, groups = values[keep], np.asarray(groups)[keep]
    if values.size < 2:
        return np.nan
    mean = values.mean()
    total = float(np.sum((values - mean) ** 2))
    if total == 0:
        return np.nan
    between = 0.0
    for key in np.unique(groups):
        member = values[groups == key]
        between += member.size * (member.mean() - mean) ** 2
    return float(between / total)


_VARIABLES = (
    "n_councils",
    "n_excluded",
    "min",
    "min_council",
    "min_council_name",
    "max",
    "max_council",
    "max_council_name",
    "p10",
    "q1",
    "median",
    "q3",
    "p90",
    "iqr",
    "p90_p10_ratio",
    "unweighted_mean",
    "std",
    "cv",
    "gini",
    "between_region_share",
    "pooled_rate",
    "excluded",
)


def _one_year(
    values: np.ndarray,
    why: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    regions: np.ndarray,
    num: np.ndarray,
    den: np.ndarray,
    kind: str,
) -> dict[str, Any]:
    ok = why == v.OK
    x = values[ok]
    out: dict[str, Any] = {
        "n_councils": int(ok.sum()),
        "n_excluded": int((~ok & (np.asarray(why) != v.NOT_IN_GEOGRAPHY)).sum()),
        "excluded": v.summarise_reasons(why),
    }
    if x.size == 0:
        for key in _VARIABLES:
            out.setdefault(key, "" if key.endswith(("council", "council_name")) else np.nan)
        return out
    # ties broken by council code, so the answer does not depend on council order
    order = np.lexsort((codes[ok], x))
    low, high = order[0], np.lexsort((codes[ok], -x))[0]
    p10, q1, median, q3, p90 = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else np.nan
    out.update(
        {
            "min": float(x[low]),
            "min_council": str(codes[ok][low]),
            "min_council_name": str(names[ok][low]),
            "max": float(x[high]),
            "max_council": str(codes[ok][high]),
            "max_council_name": str(names[ok][high]),
            "p10": float(p10),
            "q1": float(q1),
            "median": float(median),
            "q3": float(q3),
            "p90": float(p90),
            "iqr": float(q3 - q1),
            "p90_p10_ratio": float(p90 / p10) if p10 > 0 else np.nan,
            "unweighted_mean": mean,
            "std": std,
            "cv": std / mean if mean > 0 else np.nan,
            "gini": gini(x),
            "between_region_share": between_share(x, regions[ok]),
            "pooled_rate": pool(num, den)[2] if kind == "rate" else np.nan,
        }
    )
    return out


def variation(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Any = None,
) -> xr.Dataset:
    """How much councils differ on one measure, in one year or in every year at once.

    Council rates are the published values / 100 (proportions) for rate measures and the
    values themselves for count measures; only finite values count.  Every statistic is
    of councils, unweighted; the pooled rate (summed numerators / summed denominators
    over councils with counts) is given alongside, NaN in years without counts.

    Parameters
    ----------
    cube
        The cube or a cut of it (a DataArray of ``value`` is enough).
    measure
        Measure id.
    year
        One year (the result has a scalar ``year`` coordinate), a sequence of years, or
        ``None`` for all years (dim ``year``).

    Returns
    -------
    xarray.Dataset
        Variables ``n_councils`` (councils with a value), ``n_excluded``, ``excluded``
        (reasons with counts, e.g. ``'suppressed: 2'``), ``min``, ``min_council``,
        ``min_council_name``, ``max``, ``max_council``, ``max_council_name`` (ties go to
        the lowest council code), ``p10``, ``q1``, ``median``, ``q3``, ``p90`` (linear
        interpolation), ``iqr``, ``p90_p10_ratio`` (NaN when ``p10`` is 0),
        ``unweighted_mean``, ``std`` (sample, ddof=1), ``cv`` (std / unweighted mean),
        ``gini``, ``between_region_share`` (share of the sum of squares of council values
        that lies between region means: see :func:`between_share`) and ``pooled_rate``.
        Years with no council value have NaN and ``n_councils == 0``.  ``attrs``:
        ``measure``, ``kind``, ``units`` (``'proportion'`` for rates).

    Raises
    ------
    MissingYearError
        An unknown year, or a single year in which no council has a value.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=10, years=[2015, 2016])
    >>> result = variation(cube, "sds_users")
    >>> result["gini"].dims, int(result["n_councils"].sel(year=2015))
    (('year',), 10)
    >>> float(variation(cube, "sds_users", 2015)["max"]) == cube.value.sel(
    ...     measure="sds_users", year=2015).max().item() / 100
    True
    """
    single = year is not None and not v._is_sequence(year)
    ds = v.prepare(cube, measure, year)
    kind = ds.attrs["kind"]
    why = v.reasons(ds, counts=False).values
    if single and (why != v.OK).all():
        raise MissingYearError(
            f"{ds.attrs['measure']} {v.years_of(ds)[0]}: no council has a value "
            f"({v.summarise_reasons(why.ravel())})"
        )
    values = v.rates(ds).values
    codes = np.array([str(c) for c in ds["council"].values])
    names = np.array([str(c) for c in ds["council_name"].values])
    regions = np.array([str(c) for c in ds["region_code"].values])
    counts_ok = v.reasons(ds, counts=True).values == v.OK
    num = np.where(counts_ok, ds["numerator"].values, np.nan)
    den = np.where(counts_ok, ds["denominator"].values, np.nan)
    rows = [
        _one_year(values[:, j], why[:, j], codes, names, regions, num[:, j], den[:, j], kind)
        for j in range(ds.sizes["year"])
    ]
    data: dict[str, Any] = {}
    for key in _VARIABLES:
        column = [row[key] for row in rows]
        if isinstance(column[0], str):
            dtype: type = object
        elif key in ("n_councils", "n_excluded"):
            dtype = int
        else:
            dtype = float
        data[key] = ("year", np.array(column, dtype=dtype))
    result = xr.Dataset(data, coords={"year": v.years_of(ds)})
    result.attrs = {
        "measure": ds.attrs["measure"],
        "kind": kind,
        "units": "proportion" if kind == "rate" else "count",
    }
    if single:
        result = result.isel(year=0)
    return result
