"""Change over time: each council's change, sigma- and beta-convergence, rank stability.

All of it works from the councils' published rates, so it covers the years without
numerators and denominators.  Comparisons across a series break of the measure registry
(:attr:`personalisation.measures.Measure.breaks`) mix definitions: both functions warn
(:class:`~personalisation.errors.SeriesBreakWarning`), name the break in the result, and
can be asked to stop before it (``breaks="stop"``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special
from scipy import stats as sps

from personalisation import units as u
from personalisation.errors import MissingYearError, SeriesBreakWarning
from personalisation.measures import breaks_between, period_to_year
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result

#: Published rates at 0 or 100% are moved this far inside (percent) before a logit:
#: half the publication precision of 0.1 points.
LOGIT_EDGE = 0.05


def _years_with_values(ds: xr.Dataset) -> list[int]:
    ok = (v.reasons(ds, counts=False) == v.OK).any("council").values
    return [y for y, k in zip(v.years_of(ds), ok, strict=True) if k]


def _breaks_between(measure: str, first: int, last: int) -> list[tuple[int, str]]:
    """The registry's series breaks inside ``first < year <= last``, as (year, "period: text")."""
    found = breaks_between(measure, first, last)
    return sorted((period_to_year(p), f"{p}: {text}") for p, text in found.items())


def _span(ds: xr.Dataset, year: Years, breaks: str) -> tuple[int, int, tuple[str, ...]]:
    """First and last year to compare, and the breaks inside (after ``breaks=`` handling)."""
    if breaks not in ("warn", "stop", "ignore"):
        raise ValueError(f"breaks must be 'warn', 'stop' or 'ignore', not {breaks!r}")
    measure = ds.attrs["measure"]
    with_values = _years_with_values(ds)
    if year is None:
        if len(with_values) < 2:
            raise MissingYearError(f"{measure}: fewer than two years have values")
        first, last = with_values[0], with_values[-1]
    else:
        asked = sorted(v.to_year(y) for y in year) if v._is_sequence(year) else []
        if len(asked) < 2:
            raise ValueError(
                f"year= must give at least two years (e.g. year=(2015, 2019)), not {year!r}"
            )
        held = v.years_of(ds)
        for y in asked:
            if y not in held:
                raise MissingYearError(
                    f"{measure}: no year {y} in the data; years held: {', '.join(map(str, held))}"
                )
        first, last = asked[0], asked[-1]
    if first >= last:
        raise ValueError(f"the first year ({first}) must be before the last ({last})")
    found = _breaks_between(measure, first, last)
    if found and breaks == "stop":
        stop = found[0][0]
        before = [y for y in with_values if first <= y < stop]
        if len(before) < 2 or before[-1] <= first:
            raise MissingYearError(
                f"{measure}: stopping at the series break {found[0][1]!r} leaves fewer than "
                f"two years from {first}"
            )
        last = before[-1]
        found = []
    texts = tuple(t for _, t in found)
    if texts and breaks == "warn":
        warnings.warn(
            f"{measure} {first} to {last} crosses series break(s): "
            + " | ".join(texts)
            + " Values either side of a break are not comparable (breaks='stop' ends before "
            "the first break; breaks='ignore' silences this).",
            SeriesBreakWarning,
            stacklevel=3,
        )
    return first, last, texts


@dataclass(frozen=True, repr=False, kw_only=True)
class ChangeResult(Result):
    """Result of :func:`change`: one row per council.

    Columns: ``council, council_name, council_type, region_code, region_name,
    year_start, year_end, rate_start, rate_end`` (published), ``change`` (``rate_end -
    rate_start``: percentage points for rates), ``change_per_year``, ``rank_start,
    rank_end`` (1 = highest, ties share the lowest rank, among councils with both
    years), ``rank_change`` (``rank_start - rank_end``: positive = moved up), ``reason``.

    Attributes
    ----------
    first_year, last_year
        The two years compared.
    spearman, n
        Rank correlation of the two years and councils with both.
    breaks
        Series breaks crossed (period and explanation); empty when none.
    """

    first_year: int = 0
    last_year: int = 0
    spearman: float = np.nan
    n: int = 0
    breaks: tuple[str, ...] = ()
    kind: ClassVar[str] = "Change between two years"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name",
        "year_start",
        "year_end",
        "rate_start",
        "rate_end",
        "change",
        "rank_start",
        "rank_end",
        "rank_change",
        "reason",
    )

    def _caption_extra(self) -> str:
        crossed = f"; crosses {len(self.breaks)} series break(s)" if self.breaks else ""
        return f"Spearman {self.spearman:.2f} over {self.n} councils{crossed}"


def change(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    breaks: str = "warn",
) -> ChangeResult:
    """Each council's change in rate between two years.

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (values are enough).
    measure
        Measure id.
    year
        ``None`` (the first and last year in which the measure has values) or two or
        more years (ints or ``"2014-15"`` labels): the first and last are compared.
    breaks
        ``"warn"`` (default: a :class:`~personalisation.errors.SeriesBreakWarning`
        naming each break crossed), ``"stop"`` (end at the last year before the first
        break) or ``"ignore"``.

    Returns
    -------
    ChangeResult
        See :class:`ChangeResult`.

    Raises
    ------
    MissingYearError
        Unknown years, or no council has a value in both.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = change(make_cube(n_councils=5, years=[2015, 2016]), "sds_users")
    >>> table = result.to_frame()
    >>> bool(((table.rate_end - table.rate_start) == table.change).all())
    True
    """
    ds = v.prepare(cube, measure)
    first, last, crossed = _span(ds, year, breaks)
    ds = ds.sel(year=[first, last])
    rate = v.rates(ds).values
    why = v.reasons(ds, counts=False).values
    table = v.council_frame(ds)
    table["year_start"], table["year_end"] = first, last
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
    value_units = v.value_units(ds)
    units = dict.fromkeys(("rate_start", "rate_end", "change", "change_per_year"), value_units)
    both = np.where(ok[:, None], v.OK, why)
    return ChangeResult(
        table=table,
        units=units,
        notes=tuple(f"series break: {t}" for t in crossed),
        first_year=first,
        last_year=last,
        spearman=rho[0],
        n=int(ok.sum()),
        breaks=crossed,
        **v.census(ds, both),
    )


def _spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if a.size < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return np.nan, np.nan
    result = sps.spearmanr(a, b)
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True, repr=False, kw_only=True)
class ConvergenceResult(Result):
    """Result of :func:`convergence`.

    ``table`` (sigma-convergence) has one row per year with at least three council
    values: ``year, n_councils, sd`` (ddof=1), ``iqr``, ``cv``, ``unweighted_mean``, on
    the result's ``scale`` (percent, or log-odds for ``"logit"``).

    Attributes
    ----------
    first_year, last_year
        The period.
    scale
        ``"percent"`` or ``"logit"``.
    sigma_slope, sigma_p_value
        OLS slope of ``sd`` on year and its p-value (NaN with fewer than 3 years):
        sigma-convergence when the slope is negative.
    iqr_slope
        OLS slope of the IQR on year (a spread measure that the 100% ceiling bends less).
    beta, beta_intercept, beta_stderr, beta_p_value, beta_r2, beta_n
        Beta-convergence between the two end years over councils with both values: OLS
        of ``change = rate_end - rate_start`` on ``rate_start`` (on the scale).
        ``beta < 0``: councils that started low gained more (beware regression to the mean).
    ranks
        Rank stability: Spearman correlation between consecutive years held, and between
        the end years (last row): ``year_from, year_to, spearman, p_value, n_councils``.
    breaks
        Series breaks crossed.
    """

    first_year: int = 0
    last_year: int = 0
    scale: str = "percent"
    sigma_slope: float = np.nan
    sigma_p_value: float = np.nan
    iqr_slope: float = np.nan
    beta: float = np.nan
    beta_intercept: float = np.nan
    beta_stderr: float = np.nan
    beta_p_value: float = np.nan
    beta_r2: float = np.nan
    beta_n: int = 0
    ranks: pd.DataFrame = None
    breaks: tuple[str, ...] = ()
    kind: ClassVar[str] = "Convergence"

    @property
    def sigma_converging(self) -> bool:
        """Dispersion (sd) falls over the period (negative slope)."""
        return bool(self.sigma_slope < 0)

    @property
    def beta_converging(self) -> bool:
        """Low starters caught up (negative beta, p < 0.05)."""
        return bool(self.beta < 0 and self.beta_p_value < 0.05)

    def _caption_extra(self) -> str:
        crossed = f"; crosses {len(self.breaks)} series break(s)" if self.breaks else ""
        return (
            f"{self.scale} scale; sd slope {self.sigma_slope:.3g}/year, IQR slope "
            f"{self.iqr_slope:.3g}/year, beta {self.beta:.3g} (n {self.beta_n}){crossed}"
        )


def _on_scale(rate: xr.DataArray, scale: str) -> xr.DataArray:
    if scale == "percent":
        return rate
    clipped = rate.clip(LOGIT_EDGE, 100 - LOGIT_EDGE)
    return xr.apply_ufunc(lambda p: special.logit(u.to_proportion(p)), clipped)


def convergence(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    scale: str = "percent",
    breaks: str = "warn",
) -> ConvergenceResult:
    """Sigma-convergence (sd and IQR), beta-convergence and rank stability of council rates.

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (values are enough).
    measure
        Measure id.
    year
        ``None`` (from the first to the last year in which the measure has values) or
        two or more years: the period runs from the first to the last, and sigma and
        rank statistics use every year in between with at least three council values.
    scale
        ``"percent"`` (the published rates) or ``"logit"`` (log-odds, for a rate bounded
        at 100%: rates at 0 or 100% are moved :data:`LOGIT_EDGE` points inside).
    breaks
        ``"warn"``, ``"stop"`` or ``"ignore"``: see :func:`change`.

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
    >>> result["year"].tolist(), result.beta_n
    ([2015, 2016, 2017], 20)
    """
    if scale not in ("percent", "logit"):
        raise ValueError(f"scale must be 'percent' or 'logit', not {scale!r}")
    ds = v.prepare(cube, measure)
    if scale == "logit" and ds.attrs["kind"] != "rate":
        raise ValueError(f"{ds.attrs['measure']} is a count measure; the logit scale needs rates")
    first, last, crossed = _span(ds, year, breaks)
    ds = ds.sel(year=[y for y in v.years_of(ds) if first <= y <= last])
    why = v.reasons(ds, counts=False)
    rate = _on_scale(v.rates(ds).where(why == v.OK), scale)
    years = v.years_of(ds)
    sigma_rows = []
    for j, year_j in enumerate(years):
        x = rate.values[:, j]
        x = x[np.isfinite(x)]
        if x.size < 3:
            continue
        q1, q3 = np.quantile(x, [0.25, 0.75])
        sd = float(x.std(ddof=1))
        mean = float(x.mean())
        sigma_rows.append(
            {
                "year": year_j,
                "n_councils": int(x.size),
                "sd": sd,
                "iqr": float(q3 - q1),
                "cv": sd / mean if mean > 0 else np.nan,
                "unweighted_mean": mean,
            }
        )
    columns = ["year", "n_councils", "sd", "iqr", "cv", "unweighted_mean"]
    sigma = pd.DataFrame(sigma_rows, columns=columns)
    slope, slope_p, iqr_slope = np.nan, np.nan, np.nan
    if len(sigma) >= 3:
        fit = sps.linregress(sigma["year"].astype(float), sigma["sd"])
        slope, slope_p = float(fit.slope), float(fit.pvalue)
        iqr_slope = float(sps.linregress(sigma["year"].astype(float), sigma["iqr"]).slope)

    a = rate.sel(year=first).values
    b = rate.sel(year=last).values
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 3:
        raise MissingYearError(
            f"{ds.attrs['measure']}: fewer than three councils have values in both {first} "
            f"and {last}"
        )
    beta = dict.fromkeys(("beta", "intercept", "stderr", "p_value", "r2"), np.nan)
    if not np.all(a[both] == a[both][0]):
        fit = sps.linregress(a[both], b[both] - a[both])
        beta = {
            "beta": float(fit.slope),
            "intercept": float(fit.intercept),
            "stderr": float(fit.stderr),
            "p_value": float(fit.pvalue),
            "r2": float(fit.rvalue**2),
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
            {
                "year_from": y0,
                "year_to": y1,
                "spearman": rho,
                "p_value": p,
                "n_councils": int(keep.sum()),
            }
        )
    ranks = pd.DataFrame(
        rank_rows, columns=["year_from", "year_to", "spearman", "p_value", "n_councils"]
    )
    unit = v.value_units(ds) if scale == "percent" else u.DIMENSIONLESS
    units = {"sd": unit, "iqr": unit, "unweighted_mean": unit, "cv": u.DIMENSIONLESS}
    return ConvergenceResult(
        table=sigma,
        units=units,
        notes=tuple(f"series break: {t}" for t in crossed),
        first_year=first,
        last_year=last,
        scale=scale,
        sigma_slope=slope,
        sigma_p_value=slope_p,
        iqr_slope=iqr_slope,
        beta=beta["beta"],
        beta_intercept=beta["intercept"],
        beta_stderr=beta["stderr"],
        beta_p_value=beta["p_value"],
        beta_r2=beta["r2"],
        beta_n=int(both.sum()),
        ranks=ranks,
        breaks=crossed,
        **v.census(ds, why.values),
    )
