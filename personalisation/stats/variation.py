"""Variation across councils for one measure, for one year or every year at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.schema import Year, Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result
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


#: Columns of :class:`VariationResult`, in order.
COLUMNS: tuple[str, ...] = (
    "year",
    "n_councils",
    "n_excluded",
    "lowest",
    "n_lowest",
    "lowest_councils",
    "lowest_codes",
    "highest",
    "n_highest",
    "highest_councils",
    "highest_codes",
    "p10",
    "q1",
    "p50",
    "q3",
    "p90",
    "iqr",
    "p90_p10_ratio",
    "unweighted_mean",
    "sd",
    "cv",
    "gini",
    "between_region_share",
    "pooled_rate",
    "excluded",
)

_STRINGS = ("lowest_councils", "lowest_codes", "highest_councils", "highest_codes", "excluded")
_INTEGERS = ("year", "n_councils", "n_excluded", "n_lowest", "n_highest")
_RATIOS = ("p90_p10_ratio", "cv", "gini", "between_region_share")


@dataclass(frozen=True, repr=False, kw_only=True)
class VariationResult(Result):
    """Result of :func:`variation`: one row per year.

    Columns: ``year``, ``n_councils`` (councils with a usable value), ``n_excluded``,
    ``lowest`` / ``highest`` (the extreme values), ``n_lowest`` / ``n_highest`` (how
    many councils share them: ties are reported, never broken), ``lowest_councils`` /
    ``highest_councils`` (their names, ``'; '``-joined, in code order) and
    ``lowest_codes`` / ``highest_codes``, ``p10, q1, p50, q3, p90`` (linear
    interpolation), ``iqr``, ``p90_p10_ratio`` (NaN when ``p10`` is 0),
    ``unweighted_mean``, ``sd`` (sample, ddof=1), ``cv`` (sd / unweighted mean),
    ``gini``, ``between_region_share`` (see :func:`between_share`), ``pooled_rate``
    (summed numerators over summed denominators; NaN in years without counts) and
    ``excluded`` (reasons with counts).  Values, quantiles, IQR, sd and the pooled rate
    are in the measure's units (percent, or percentage points for spreads, for rates).
    """

    kind: ClassVar[str] = "Variation across councils"
    shown: ClassVar[tuple[str, ...] | None] = (
        "year",
        "n_councils",
        "lowest",
        "n_lowest",
        "highest",
        "n_highest",
        "highest_councils",
        "p10",
        "q1",
        "p50",
        "q3",
        "p90",
        "iqr",
        "unweighted_mean",
        "sd",
        "gini",
        "pooled_rate",
        "excluded",
    )

    def row(self, year: Year | None = None) -> pd.Series:
        """The row of one year (the only year when the result holds one).

        Examples
        --------
        >>> from personalisation.testing import make_cube
        >>> result = variation(make_cube(n_councils=5), "sds_users", 2015)
        >>> int(result.row()["n_councils"])
        5
        """
        if year is None:
            if len(self.table) != 1:
                raise MissingYearError(
                    f"{self.measure}: the result holds {len(self.table)} years; give year="
                )
            return self.table.iloc[0]
        year = v.to_year(year)
        match = self.table[self.table["year"] == year]
        if match.empty:
            raise MissingYearError(f"{self.measure}: no year {year} in this result")
        return match.iloc[0]


def _extreme(x: np.ndarray, codes: np.ndarray, names: np.ndarray, high: bool) -> dict[str, Any]:
    target = x.max() if high else x.min()
    tie = np.isclose(x, target, rtol=0, atol=1e-9)
    order = np.argsort(codes[tie], kind="stable")
    side = "highest" if high else "lowest"
    return {
        side: float(target),
        f"n_{side}": int(tie.sum()),
        f"{side}_councils": "; ".join(names[tie][order]),
        f"{side}_codes": "; ".join(codes[tie][order]),
    }


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
        for key in COLUMNS:
            out.setdefault(key, "" if key in _STRINGS else (0 if key in _INTEGERS else np.nan))
        return out
    p10, q1, median, q3, p90 = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if x.size > 1 else np.nan
    out.update(_extreme(x, codes[ok], names[ok], high=False))
    out.update(_extreme(x, codes[ok], names[ok], high=True))
    out.update(
        {
            "p10": float(p10),
            "q1": float(q1),
            "p50": float(median),
            "q3": float(q3),
            "p90": float(p90),
            "iqr": float(q3 - q1),
            "p90_p10_ratio": float(p90 / p10) if p10 > 0 else np.nan,
            "unweighted_mean": mean,
            "sd": sd,
            "cv": sd / mean if mean > 0 else np.nan,
            "gini": gini(x),
            "between_region_share": between_share(x, regions[ok]),
            "pooled_rate": pool(num, den)[2] if kind == "rate" else np.nan,
        }
    )
    return out


def variation(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
) -> VariationResult:
    """How much councils differ on one measure, in one year or in every year at once.

    Council values are the published values (percent for rate measures, counts for
    count measures); only usable values count (a suppressed or missing cell never does).
    Every statistic is of councils, unweighted; the pooled rate (summed numerators /
    summed denominators over councils with counts) is given alongside, NaN in years
    without counts.

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (a DataArray must keep its ``status``).
    measure
        Measure id.
    year
        One year, a sequence of years, or ``None`` for all years.

    Returns
    -------
    VariationResult
        One row per year; see :class:`VariationResult`.

    Raises
    ------
    MissingYearError
        An unknown year, or a single year in which no council has a value.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=10, years=[2015, 2016])
    >>> result = variation(cube, "sds_users")
    >>> result["year"].tolist(), int(result.row(2015)["n_councils"])
    ([2015, 2016], 10)
    >>> float(variation(cube, "sds_users", 2015).row()["highest"]) == cube.value.sel(
    ...     measure="sds_users", year=2015).max().item()
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
    num, den = v.counts(ds, counts_ok)
    rows = []
    for j, year_j in enumerate(v.years_of(ds)):
        row = _one_year(values[:, j], why[:, j], codes, names, regions, num[:, j], den[:, j], kind)
        row["year"] = year_j
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for key in _INTEGERS:
        table[key] = table[key].astype(int)
    value_units = v.value_units(ds)
    units = {c: value_units for c in COLUMNS if c not in _STRINGS + _INTEGERS + _RATIOS}
    units.update(dict.fromkeys(_RATIOS, u.DIMENSIONLESS))
    units["pooled_rate"] = u.PERCENT if kind == "rate" else value_units
    notes = tuple(n for n in (v.rounded_note(ds),) if n and kind == "rate")
    return VariationResult(table=table, units=units, notes=notes, **v.census(ds, why))
