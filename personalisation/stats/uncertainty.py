"""Council-level uncertainty: confidence intervals and funnel plots for proportions.

* :func:`wilson` - a Wilson score (or exact Clopper-Pearson) interval for every
  council-year with a numerator and denominator;
* :func:`funnel` - Spiegelhalter funnel-plot z-scores and flags against the pooled rate,
  with the overdispersion adjustment (multiplicative ``phi`` or additive random-effects
  ``tau2``, both estimated from winsorised z-scores);
* :func:`funnel_limits` - the limit curves, for plotting.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24:1185-1202.
Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators.
*Quality and Safety in Health Care* 14:347-351.
Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
*JASA* 22:209-212.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from personalisation.errors import MissingYearError
from personalisation.stats import _validate as v

FLAG_INSIDE, FLAG_ABOVE, FLAG_BELOW = "inside", "above", "below"


def wilson_interval(
    successes: Any, trials: Any, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (vectorised).

    Parameters
    ----------
    successes, trials
        Array-likes of the same shape; NaN or ``trials <= 0`` give NaN.
    level
        Confidence level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits, in [0, 1].

    Examples
    --------
    >>> low, high = wilson_interval(30, 100)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2189, 0.3958)
    """
    level = v.proportion_level(level)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = sps.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ok = np.where(n > 0, n, np.nan)
        p = x / n_ok
        centre = (p + z**2 / (2 * n_ok)) / (1 + z**2 / n_ok)
        half = z / (1 + z**2 / n_ok) * np.sqrt(p * (1 - p) / n_ok + z**2 / (4 * n_ok**2))
    low = np.clip(centre - half, 0, 1)
    high = np.clip(centre + half, 0, 1)
    return low, high


def exact_interval(
    successes: Any, trials: Any, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval for a binomial proportion (vectorised).

    Examples
    --------
    >>> low, high = exact_interval(0, 10)
    >>> float(low), round(float(high), 4)
    (0.0, 0.3085)
    """
    level = v.proportion_level(level)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (n > 0) & np.isfinite(x)
        low = np.where(x > 0, sps.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
        high = np.where(x < n, sps.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def _counts_or_raise(ds: xr.Dataset, why: xr.DataArray, single_year: bool) -> None:
    if single_year and bool((why != v.OK).all()):
        year = int(ds["year"].values[0])
        summary = v.summarise_reasons(why.values.ravel())
        raise MissingYearError(
            f"{ds.attrs['measure']} {year}: no council has a numerator and denominator "
            f"({summary}); rates alone cannot give intervals or funnel limits"
        )


def wilson(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Any = None,
    *,
    level: float = 0.95,
    method: str = "wilson",
) -> pd.DataFrame:
    """Confidence interval for every council-year with a numerator and denominator.

    Parameters
    ----------
    cube
        The cube (or a Dataset cut from it; counts are needed).
    measure
        A rate measure id (e.g. ``"sds_users"``).
    year
        One year, a sequence of years, or ``None`` for all years.
    level
        Confidence level.
    method
        ``"wilson"`` (score interval) or ``"exact"`` (Clopper-Pearson).

    Returns
    -------
    pandas.DataFrame
        One row per council and year (council order, then year), columns ``council,
        council_name, council_type, region_code, region_name, year, numerator,
        denominator, rate, ci_low, ci_high, reason``.  ``rate = numerator / denominator``
        (a proportion); rows without counts have NaN and a ``reason`` (e.g. ``'no
        numerator/denominator published'``, ``'suppressed'``); ``reason`` is ``''``
        otherwise.  ``attrs``: ``measure``, ``level``, ``method``.

    Raises
    ------
    MissingYearError
        When a single year is asked and no council has counts in it (the years 2019-20
        and 2021-22..2023-24 publish rates only).
    ValueError
        For a count measure or an unknown method.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = wilson(make_cube(n_councils=3), "sds_users", 2015)
    >>> list(table.columns[-4:])
    ['rate', 'ci_low', 'ci_high', 'reason']
    >>> bool(((table.ci_low <= table.rate) & (table.rate <= table.ci_high)).all())
    True
    """
    if method not in ("wilson", "exact"):
        raise ValueError(f"method must be 'wilson' or 'exact', not {method!r}")
    single = year is not None and not v._is_sequence(year)
    ds = v.prepare(cube, measure, year)
    _require_rate(ds)
    why = v.reasons(ds, counts=True)
    _counts_or_raise(ds, why, single)
    ok = why == v.OK
    num = ds["numerator"].where(ok)
    den = ds["denominator"].where(ok)
    interval = wilson_interval if method == "wilson" else exact_interval
    low, high = interval(num.values, den.values, level)
    labels = v.council_frame(ds)
    n_years = ds.sizes["year"]
    table = labels.loc[labels.index.repeat(n_years)].reset_index(drop=True)
    table["year"] = np.tile(v.years_of(ds), ds.sizes["council"])
    table["numerator"] = num.values.ravel()
    table["denominator"] = den.values.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate"] = (num / den).values.ravel()
    table["ci_low"] = low.ravel()
    table["ci_high"] = high.ravel()
    table["reason"] = why.values.ravel().astype(str)
    table.attrs = {"measure": ds.attrs["measure"], "level": level, "method": method}
    return table


def _require_rate(ds: xr.Dataset) -> None:
    if ds.attrs["kind"] != "rate":
        raise ValueError(
            f"{ds.attrs['measure']} is a count measure; this statistic needs a rate measure "
            "(numerator / denominator)"
        )


def _level_label(level: float) -> str:
    """0.95 -> '95', 0.998 -> '998'."""
    return format(round(level * 100, 6), "g").replace(".", "")


def funnel_limits(
    pooled_rate: float,
    denominators: Any,
    *,
    levels: Sequence[float] = (0.95, 0.998),
    phi: float = 1.0,
    tau2: float = 0.0,
) -> pd.DataFrame:
    """Funnel-plot control limits for a proportion (Spiegelhalter 2005).

    For a target ``p0`` and denominator ``n`` the limits are
    ``p0 +/- z * sqrt(phi * p0 * (1 - p0) / n + tau2)``, with ``z`` the two-sided normal
    quantile of each level, clipped to [0, 1].  ``phi = 1, tau2 = 0`` gives the plain
    binomial (normal-approximation) limits; ``phi > 1`` the multiplicative and
    ``tau2 > 0`` the additive random-effects overdispersion adjustment.

    Parameters
    ----------
    pooled_rate
        Target proportion ``p0`` (the pooled rate), strictly between 0 and 1.
    denominators
        Denominators at which to evaluate the limits (e.g. ``np.linspace(50, 20000, 200)``).
    levels
        Two-sided coverage levels.
    phi, tau2
        Overdispersion factor and between-council variance (see :func:`funnel`).

    Returns
    -------
    pandas.DataFrame
        Columns ``denominator`` then ``lower_<L>, upper_<L>`` for each level, where ``<L>``
        is the level in percent without the point (``95``, ``998``).

    Examples
    --------
    >>> limits = funnel_limits(0.5, [100, 400])
    >>> list(limits.columns)
    ['denominator', 'lower_95', 'upper_95', 'lower_998', 'upper_998']
    >>> round(float(limits.upper_95.iloc[0]), 4)  # 0.5 + 1.96 * sqrt(0.25 / 100)
    0.598
    """
    p0 = float(pooled_rate)
    if not 0 < p0 < 1:
        raise ValueError(f"pooled_rate must be strictly between 0 and 1, not {pooled_rate!r}")
    if phi <= 0 or tau2 < 0 or not np.isfinite(phi) or not np.isfinite(tau2):
        raise ValueError(f"need phi > 0 and tau2 >= 0, got phi={phi!r}, tau2={tau2!r}")
    n = np.asarray(denominators, dtype=float).ravel()
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("denominators must be finite and positive")
    sd = np.sqrt(phi * p0 * (1 - p0) / n + tau2)
    frame = pd.DataFrame({"denominator": n})
    for level in levels:
        z = sps.norm.ppf(1 - (1 - v.proportion_level(level)) / 2)
        label = _level_label(level)
        frame[f"lower_{label}"] = np.clip(p0 - z * sd, 0, 1)
        frame[f"upper_{label}"] = np.clip(p0 + z * sd, 0, 1)
    return frame


def winsorise(z: np.ndarray, fraction: float) -> np.ndarray:
    """Pull z-scores below the ``fraction`` and above the ``1 - fraction`` quantile in to them.

    Examples
    --------
    >>> winsorise(np.arange(10.0), 0.1).round(6).tolist()  # quantiles 0.9 and 8.1
    [0.9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.1]
    """
    if not 0 <= fraction < 0.5:
        raise ValueError(f"winsor must be in [0, 0.5), not {fraction!r}")
    if fraction == 0:
        return z.copy()
    low, high = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, low, high)


def estimate_overdispersion(
    z: np.ndarray, denominators: np.ndarray, p0: float, winsor: float = 0.1
) -> tuple[float, float]:
    """Spiegelhalter's overdispersion estimates from z-scores.

    ``phi = sum(zw**2) / I`` with ``zw`` the winsorised z-scores and ``I`` the number of
    councils; ``tau2 = (I * phi - (I - 1)) / (sum(w) - sum(w**2) / sum(w))`` with
    ``w = 1 / s**2`` and ``s**2 = p0 (1 - p0) / n``, set to 0 when ``I * phi <= I - 1``.

    Returns
    -------
    (float, float)
        ``phi`` and ``tau2`` (unadjusted: ``phi`` may be below 1).

    Examples
    --------
    >>> z, n = np.array([2.0, -2.0]), np.array([100.0, 100.0])
    >>> phi, tau2 = estimate_overdispersion(z, n, 0.5, winsor=0)
    >>> phi, round(tau2, 4)  # (2 * 4 - 1) / (800 - 320000 / 800)
    (4.0, 0.0175)
    """
    n_units = z.size
    zw = winsorise(z, winsor)
    phi = float(np.sum(zw**2) / n_units)
    w = np.asarray(denominators, dtype=float) / (p0 * (1 - p0))
    if n_units * phi > n_units - 1:
        tau2 = float((n_units * phi - (n_units - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    else:
        tau2 = 0.0
    return phi, tau2


def funnel(
    cube: xr.Dataset,
    measure: str | None = None,
    year: Any = None,
    *,
    overdispersion: str | None = "additive",
    winsor: float = 0.1,
    levels: Sequence[float] = (0.95, 0.998),
    target: float | None = None,
) -> pd.DataFrame:
    """Funnel-plot z-scores and flags for every council against the pooled rate.

    The target is the pooled rate ``p0 = sum(numerators) / sum(denominators)`` over the
    councils with counts (or ``target``).  Each council's z-score is
    ``z = (y - p0) / s`` with ``y = numerator / denominator`` and
    ``s = sqrt(p0 (1 - p0) / denominator)``.  Overdispersion (Spiegelhalter 2005):
    ``phi`` is the mean of the squared z-scores after winsorising the lowest and highest
    ``winsor`` share of them; then

    * ``"multiplicative"``: ``z_adjusted = z / sqrt(phi)``, limits widened by ``sqrt(phi)``;
    * ``"additive"`` (random effects): ``z_adjusted = (y - p0) / sqrt(s**2 + tau2)`` with
      ``tau2`` the DerSimonian-Laird-type estimate of :func:`estimate_overdispersion`;
    * ``None``: no adjustment (``z_adjusted = z``).

    No adjustment is made when the data are not overdispersed (``phi <= 1``, which also
    gives ``tau2 = 0``).  Flags compare ``z_adjusted`` with the two-sided normal quantile
    of each level (1.96 for 95%, 3.09 for 99.8%).

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (counts are needed).
    measure
        Rate measure id.
    year
        One year (required).
    overdispersion
        ``"additive"`` (default), ``"multiplicative"`` or ``None``.
    winsor
        Share winsorised at each end before estimating ``phi`` (Spiegelhalter uses 0.1).
    levels
        Limit levels.
    target
        Target proportion instead of the pooled rate.

    Returns
    -------
    pandas.DataFrame
        One row per council (cube order), columns ``council, council_name, council_type,
        region_code, region_name, year, numerator, denominator, rate, target, z,
        z_adjusted``, then for each level ``lower_<L>, upper_<L>, flag_<L>`` (``<L>`` =
        ``95``, ``998``), then ``reason``.  Flags are ``'inside'``, ``'above'`` or
        ``'below'``; councils without counts have NaN (flag included) and a ``reason``.
        ``attrs``: ``measure``, ``year``, ``pooled_rate``, ``target``, ``phi`` (estimated),
        ``tau2`` (estimated), ``phi_used``, ``tau2_used``, ``overdispersion``, ``winsor``,
        ``n_used``, ``excluded`` (reasons with counts).  Draw the curves with
        ``funnel_limits(attrs['target'], n, phi=attrs['phi_used'], tau2=attrs['tau2_used'])``.

    Raises
    ------
    MissingYearError
        When no council has counts in that year.
    ValueError
        Bad options, a count measure, or a pooled rate of exactly 0 or 1.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = funnel(make_cube(n_councils=20), "sds_users", 2015)
    >>> set(table.flag_95) <= {"inside", "above", "below"}
    True
    >>> bool(table.attrs["pooled_rate"] == table.numerator.sum() / table.denominator.sum())
    True
    """
    if overdispersion not in (None, "additive", "multiplicative"):
        raise ValueError(
            f"overdispersion must be 'additive', 'multiplicative' or None, not {overdispersion!r}"
        )
    if year is None or v._is_sequence(year):
        raise MissingYearError("funnel needs one year (year=2015, say)")
    ds = v.prepare(cube, measure, year, require_single_year=True)
    _require_rate(ds)
    why = v.reasons(ds, counts=True)
    _counts_or_raise(ds, why, True)
    ok = (why == v.OK).values[:, 0]
    num = ds["numerator"].values[:, 0]
    den = ds["denominator"].values[:, 0]
    pooled = float(num[ok].sum() / den[ok].sum())
    p0 = pooled if target is None else v.check_threshold(target, "target")
    if not 0 < p0 < 1:
        raise ValueError(
            f"{ds.attrs['measure']} {int(ds.year[0])}: the target rate is {p0}; funnel limits "
            "are undefined at 0 or 1"
        )
    rate = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
    s2 = np.where(ok, p0 * (1 - p0) / np.where(ok, den, 1.0), np.nan)
    z = (rate - p0) / np.sqrt(s2)
    phi, tau2 = estimate_overdispersion(z[ok], den[ok], p0, winsor)
    phi_used, tau2_used = 1.0, 0.0
    if overdispersion == "multiplicative" and phi > 1:
        phi_used = phi
    elif overdispersion == "additive" and phi > 1:
        tau2_used = tau2
    z_adjusted = (rate - p0) / np.sqrt(phi_used * s2 + tau2_used)

    table = v.council_frame(ds)
    table["year"] = int(ds["year"].values[0])
    table["numerator"] = np.where(ok, num, np.nan)
    table["denominator"] = np.where(ok, den, np.nan)
    table["rate"] = rate
    table["target"] = p0
    table["z"] = z
    table["z_adjusted"] = z_adjusted
    for level in levels:
        label = _level_label(level)
        zq = sps.norm.ppf(1 - (1 - v.proportion_level(level)) / 2)
        sd = np.sqrt(phi_used * s2 + tau2_used)
        table[f"lower_{label}"] = np.clip(p0 - zq * sd, 0, 1)
        table[f"upper_{label}"] = np.clip(p0 + zq * sd, 0, 1)
        flag = np.where(
            z_adjusted > zq, FLAG_ABOVE, np.where(z_adjusted < -zq, FLAG_BELOW, FLAG_INSIDE)
        ).astype(object)
        flag[~ok] = None
        table[f"flag_{label}"] = flag
    table["reason"] = why.values[:, 0].astype(str)
    table.attrs = {
        "measure": ds.attrs["measure"],
        "year": int(ds["year"].values[0]),
        "pooled_rate": pooled,
        "target": p0,
        "phi": phi,
        "tau2": tau2,
        "phi_used": phi_used,
        "tau2_used": tau2_used,
        "overdispersion": overdispersion,
        "winsor": winsor,
        "n_used": int(ok.sum()),
        "excluded": v.summarise_reasons(table["reason"]),
    }
    return table
