"""Change over time: each council's change, sigma- and beta-convergence, rank stability.

All of it works from council rates (published value / 100), so it covers the years
without numerators and denominators.  Mind the series breaks in the measure registry
(:func:`personalisation.measures.get`): a change across a break mixes definitions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from personalisation.errors import MissingYearError, SeriesBreakWarning
from personalisation.measures import breaks_between
from personalisation.stats import _validate as v


def _two_years(ds: xr.Dataset, start: Any, end: Any) -> tuple[int, int]:
    held = v.years_of(ds)
    first = v.to_year(start) if start is not None else held[0]
    last = v.to_year(end) if end is not None else held[-1]
    for y in (first, last):
        if y not in held:
            raise MissingYearError(
                f"{ds.attrs['measure']}: no year {y} in the data; years held: "
                f"{', '.join(map(str, held))}"
            )
    if first >= last:
        raise ValueError(f"start ({first}) must be before end ({last})")
    crossed = breaks_between(ds.attrs["measure"], first, last)
    if crossed:
        warnings.warn(
            f"{ds.attrs['measure']} {first}..{last} crosses series break(s) "
            + "; ".join(f"at {p}: {why}" for p, why in crossed.items())
            + " Values either side of a break are not comparable.",
            SeriesBreakWarning,
            stacklevel=3,
        )
    return first, last


def change(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """Each council's change in rate between two years.

    Parameters
    ----------
    cube
        The cube or a cut of it (values are enough).
    measure
        Measure id.
    start, end
        The two years (ints or ``"2014-15"`` labels); default first and last year held.

    Returns
    -------
    pandas.DataFrame
        One row per council: ``council, council_name, council_type, region_code,
        region_name, start, end, rate_start, rate_end, change`` (``rate_end -
        rate_start``, in proportion points for rates), ``change_per_year``,
        ``rank_start, rank_end`` (1 = highest, ties share the lowest rank, among
        councils with both years), ``rank_change`` (``rank_start - rank_end``: positive
        = moved up) and ``reason`` (why a council has no change).  ``attrs``:
        ``measure``, ``start``, ``end``, ``spearman`` (rank correlation of the two years),
        ``n``.

    Raises
    ------
    MissingYearError
        Unknown years, or no council has a value in both.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = change(make_cube(n_councils=5, years=[2015, 2016]), "sds_users")
    >>> bool(((table.rate_end - table.rate_start) == table.change).all())
    True
    """
    ds = v.prepare(cube, measure)
    first, last = _two_years(ds, start, end)
    ds = ds.sel(year=[first, last])
    rate = v.rates(ds).values
    why = v.reasons(ds, counts=False).values
    table = v.council_frame(ds)
    table["start"], table["end"] = first, last
    ok = (why == v.OK).all(axis=1)
    if not ok.any():
        raise MissingYearError(
            f"{ds.attrs['measure']}: no council has a value in both {first} and {last}"
        )
    table["rate_start"] = np.where(ok, rate[:, 0], np.nan)
    table["rate_end"] = np.where(ok, rate[:, 1], np.nan)
    table["change"] = table["rate_end"] - table["rate_start"]
    table["change_per_year"] = table["change"] / (last - first)
    table["rank_start"] = table["rate_start"].rank(ascending=False, method="min")
    table["rank_end"] = table["rate_end"].rank(ascending=False, method="min")
    table["rank_change"] = table["rank_start"] - table["rank_end"]
    table["reason"] = [
        "; ".join(f"{y}: {w}" for y, w in zip((first, last), row, strict=True) if w) for row in why
    ]
    rho = _spearman(rate[ok, 0], rate[ok, 1])
    table.attrs = {
        "measure": ds.attrs["measure"],
        "start": first,
        "end": last,
        "spearman": rho[0],
        "n": int(ok.sum()),
    }
    return table


def _spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if a.size < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return np.nan, np.nan
    result = sps.spearmanr(a, b)
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True)
class ConvergenceResult:
    """Result of :func:`convergence`.

    Attributes
    ----------
    sigma
        One row per year from ``start`` to ``end`` with values: ``year, n, std``
        (ddof=1), ``cv``, ``iqr``, ``unweighted_mean``.
    sigma_slope, sigma_p_value
        OLS slope of ``std`` on year and its p-value (NaN with fewer than 3 years):
        sigma-convergence when the slope is negative.
    beta
        Beta-convergence between ``start`` and ``end`` over councils with both values:
        OLS of ``change = rate_end - rate_start`` on ``rate_start``.  Keys ``beta``,
        ``intercept``, ``stderr``, ``p_value``, ``r2``, ``n``.  ``beta < 0``: councils
        that started low gained more (beware regression to the mean).
    ranks
        Rank stability: Spearman correlation between consecutive years held, and
        between ``start`` and ``end`` (last row): ``year_from, year_to, spearman,
        p_value, n``.
    measure, start, end
        What was asked.
    """

    sigma: pd.DataFrame
    sigma_slope: float
    sigma_p_value: float
    beta: dict[str, float]
    ranks: pd.DataFrame
    measure: str
    start: int
    end: int

    @property
    def sigma_converging(self) -> bool:
        """Dispersion (std) falls over the period (negative slope)."""
        return bool(self.sigma_slope < 0)

    @property
    def beta_converging(self) -> bool:
        """Low starters caught up (negative beta, p < 0.05)."""
        return bool(self.beta["beta"] < 0 and self.beta["p_value"] < 0.05)


def convergence(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    start: Any = None,
    end: Any = None,
) -> ConvergenceResult:
    """Sigma-convergence, beta-convergence and rank stability of council rates.

    Parameters
    ----------
    cube
        The cube or a cut of it (values are enough).
    measure
        Measure id.
    start, end
        First and last year (default: first and last year held).  Sigma and rank
        statistics use every year in between that has at least three council values.

    Returns
    -------
    ConvergenceResult
        See :class:`ConvergenceResult`.

    Raises
    ------
    MissingYearError
        Unknown years, or fewer than three councils with values in both end years.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = convergence(make_cube(n_councils=20, years=[2015, 2016, 2017]), "sds_users")
    >>> list(result.sigma.year), result.beta["n"]
    ([2015, 2016, 2017], 20)
    """
    ds = v.prepare(cube, measure)
    first, last = _two_years(ds, start, end)
    ds = ds.sel(year=[y for y in v.years_of(ds) if first <= y <= last])
    rate = v.rates(ds).where(v.reasons(ds, counts=False) == v.OK)
    years = v.years_of(ds)
    sigma_rows = []
    for j, year in enumerate(years):
        x = rate.values[:, j]
        x = x[np.isfinite(x)]
        if x.size < 3:
            continue
        q1, q3 = np.quantile(x, [0.25, 0.75])
        std = float(x.std(ddof=1))
        mean = float(x.mean())
        sigma_rows.append(
            {
                "year": year,
                "n": int(x.size),
                "std": std,
                "cv": std / mean if mean > 0 else np.nan,
                "iqr": float(q3 - q1),
                "unweighted_mean": mean,
            }
        )
    sigma = pd.DataFrame(sigma_rows, columns=["year", "n", "std", "cv", "iqr", "unweighted_mean"])
    if len(sigma) >= 3:
        fit = sps.linregress(sigma["year"].astype(float), sigma["std"])
        slope, slope_p = float(fit.slope), float(fit.pvalue)
    else:
        slope, slope_p = np.nan, np.nan

    a = rate.sel(year=first).values
    b = rate.sel(year=last).values
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 3:
        raise MissingYearError(
            f"{ds.attrs['measure']}: fewer than three councils have values in both {first} "
            f"and {last}"
        )
    if np.all(a[both] == a[both][0]):
        beta = {
            "beta": np.nan,
            "intercept": np.nan,
            "stderr": np.nan,
            "p_value": np.nan,
            "r2": np.nan,
            "n": int(both.sum()),
        }
    else:
        fit = sps.linregress(a[both], b[both] - a[both])
        beta = {
            "beta": float(fit.slope),
            "intercept": float(fit.intercept),
            "stderr": float(fit.stderr),
            "p_value": float(fit.pvalue),
            "r2": float(fit.rvalue**2),
            "n": int(both.sum()),
        }

    held = [y for y in years if np.isfinite(rate.sel(year=y).values).sum() >= 3]
    pairs = list(zip(held[:-1], held[1:], strict=True))
    if (first, last) not in pairs and first in held and last in held:
        pairs.append((first, last))
    rank_rows = []
    for y0, y1 in pairs:
        x0, x1 = rate.sel(year=y0).values, rate.sel(year=y1).values
        keep = np.isfinite(x0) & np.isfinite(x1)
        rho, p = _spearman(x0[keep], x1[keep])
        rank_rows.append(
            {"year_from": y0, "year_to": y1, "spearman": rho, "p_value": p, "n": int(keep.sum())}
        )
    ranks = pd.DataFrame(rank_rows, columns=["year_from", "year_to", "spearman", "p_value", "n"])
    return ConvergenceResult(sigma, slope, slope_p, beta, ranks, ds.attrs["measure"], first, last)
