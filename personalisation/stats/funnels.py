"""Funnel plots for proportions: z-scores, control limits and flags against a target.

* :func:`funnel` - Spiegelhalter funnel-plot z-scores, limits and flags against the
  pooled rate, on the proportion, arcsine or logit scale, with the overdispersion
  adjustment (multiplicative ``phi`` or additive random-effects ``tau2``, both estimated
  from winsorised z-scores) and exact binomial limits for small denominators;
* :func:`funnel_limits` - the limit curves, for plotting;
* :func:`exact_limits`, :func:`estimate_overdispersion`, :func:`winsorise` - the parts.

Rates and limits are in percent (:mod:`personalisation.units`).

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24:1185-1202.
Spiegelhalter DJ (2005). Handling over-dispersion of performance indicators.
*Quality and Safety in Health Care* 14:347-351.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special
from scipy import stats as sps

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result
from personalisation.stats.uncertainty import _counts_or_raise, _require_rate, _z

FLAG_INSIDE, FLAG_ABOVE, FLAG_BELOW = "inside", "above", "below"

#: Scales on which funnel limits can be built.
SCALES = ("proportion", "arcsine", "logit")

#: Denominators under which funnel limits are exact binomial (unless told otherwise).
EXACT_BELOW = 100


def _level_label(level: float) -> str:
    """0.95 -> '95', 0.998 -> '998'."""
    return format(round(float(u.to_percent(level)), 6), "g").replace(".", "")


# ----------------------------------------------------------------------------- scales
def _transform(p: np.ndarray, n: np.ndarray, scale: str) -> np.ndarray:
    """Rates (proportions) on the funnel scale; the logit uses the empirical logit."""
    if scale == "proportion":
        return p
    if scale == "arcsine":
        return np.arcsin(np.sqrt(np.clip(p, 0, 1)))
    x = p * n
    return np.log((x + 0.5) / (n - x + 0.5))


def _target_on_scale(p0: float, scale: str) -> float:
    if scale == "proportion":
        return p0
    if scale == "arcsine":
        return float(np.arcsin(np.sqrt(p0)))
    return float(special.logit(p0))


def _within_variance(p0: float, n: np.ndarray, scale: str) -> np.ndarray:
    """Sampling variance of one council's rate on the scale, at the target ``p0``."""
    if scale == "proportion":
        return p0 * (1 - p0) / n
    if scale == "arcsine":
        return 1.0 / (4.0 * n)
    return 1.0 / (n * p0 * (1 - p0))


def _back(theta: np.ndarray, scale: str) -> np.ndarray:
    """Limits on the scale back to proportions in [0, 1]."""
    if scale == "proportion":
        return np.clip(theta, 0, 1)
    if scale == "arcsine":
        return np.sin(np.clip(theta, 0, np.pi / 2)) ** 2
    return special.expit(theta)


def exact_limits(p0: float, n: Any, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial funnel limits for a target ``p0`` (proportion) and denominators ``n``.

    Spiegelhalter (2005, appendix): with ``q = 1 - (1 - level) / 2``, ``r`` the ``q``
    quantile of Binomial(n, p0) and ``a = (F(r) - q) / (F(r) - F(r - 1))``, the upper
    limit is ``(r - a) / n`` (interpolated so the curve is smooth in ``n``); the lower
    limit is its mirror, ``1 -`` the upper limit for ``1 - p0``.  Returns proportions.

    Examples
    --------
    >>> low, high = exact_limits(0.5, [10], 0.95)
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.2324, 0.7676)
    """
    n = np.asarray(n, dtype=float)
    q = 1 - (1 - v.proportion_level(level)) / 2

    def upper(p: float) -> np.ndarray:
        r = sps.binom.ppf(q, n, p)
        f_r = sps.binom.cdf(r, n, p)
        f_r1 = sps.binom.cdf(r - 1, n, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(f_r > f_r1, (f_r - q) / (f_r - f_r1), 0.0)
        return np.clip((r - a) / n, 0, 1)

    # the lower limit of p0 is the mirror of the upper limit of 1 - p0
    return 1 - upper(1 - p0), upper(p0)


def funnel_limits(
    target: float | str | u.Rate,
    denominators: Any,
    *,
    levels: Sequence[float] = (0.95, 0.998),
    phi: float = 1.0,
    tau2: float = 0.0,
    scale: str = "proportion",
    exact_below: float = 0,
) -> pd.DataFrame:
    """Funnel-plot control limits for a rate, in percent (Spiegelhalter 2005).

    On the chosen scale, with ``theta0`` the target and ``s2(n)`` the within-council
    sampling variance at the target, the limits are
    ``theta0 +/- z * sqrt(phi * s2(n) + tau2)`` back-transformed to percent, with ``z``
    the two-sided normal quantile of each level:

    * ``"proportion"``: ``theta = p``, ``s2 = p0 (1 - p0) / n`` (clipped to 0..100%);
    * ``"arcsine"``: ``theta = asin(sqrt(p))``, ``s2 = 1 / (4 n)`` (variance-stabilised,
      as FunnelPlotR does for proportions); limits stay inside 0..100% without clipping
      the upper limit of large councils at a high target;
    * ``"logit"``: ``theta = logit(p)``, ``s2 = 1 / (n p0 (1 - p0))``.

    Where ``n < exact_below`` the limits are the wider of those and the exact binomial
    limits (:func:`exact_limits`), so that small denominators are not judged by a
    normal approximation.

    Parameters
    ----------
    target
        Target rate in percent (the pooled rate), strictly between 0 and 100; a string
        such as ``"80%"`` is read by :func:`personalisation.units.parse_rate`.
    denominators
        Denominators at which to evaluate the limits.
    levels
        Two-sided coverage levels.
    phi, tau2
        Overdispersion factor and between-council variance on the scale (see :func:`funnel`).
    scale
        ``"proportion"``, ``"arcsine"`` or ``"logit"``.
    exact_below
        Denominators below this get exact binomial limits (0: never).

    Returns
    -------
    pandas.DataFrame
        Columns ``denominator`` then ``lower_<L>, upper_<L>`` (percent) for each level,
        where ``<L>`` is the level in percent without the point (``95``, ``998``).

    Examples
    --------
    >>> limits = funnel_limits(50, [100, 400])
    >>> list(limits.columns)
    ['denominator', 'lower_95', 'upper_95', 'lower_998', 'upper_998']
    >>> round(float(limits.upper_95.iloc[0]), 2)  # 50 + 100 * 1.96 * sqrt(0.25 / 100)
    59.8
    """
    p0 = float(u.to_proportion(u.parse_rate(target, "target")))
    if not 0 < p0 < 1:
        raise ValueError(f"target must be strictly between 0% and 100%, not {target!r}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if phi <= 0 or tau2 < 0 or not np.isfinite(phi) or not np.isfinite(tau2):
        raise ValueError(f"need phi > 0 and tau2 >= 0, got phi={phi!r}, tau2={tau2!r}")
    n = np.asarray(denominators, dtype=float).ravel()
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("denominators must be finite and positive")
    frame = pd.DataFrame({"denominator": n})
    for level in levels:
        low, high = _limits(p0, n, level, phi, tau2, scale, exact_below)
        label = _level_label(level)
        frame[f"lower_{label}"] = u.to_percent(low)
        frame[f"upper_{label}"] = u.to_percent(high)
    return frame


def _limits(
    p0: float,
    n: np.ndarray,
    level: float,
    phi: float,
    tau2: float,
    scale: str,
    exact_below: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Limits as proportions (see :func:`funnel_limits`)."""
    zq = _z(level)
    theta0 = _target_on_scale(p0, scale)
    sd = np.sqrt(phi * _within_variance(p0, n, scale) + tau2)
    low = _back(theta0 - zq * sd, scale)
    high = _back(theta0 + zq * sd, scale)
    small = n < exact_below
    if small.any():
        e_low, e_high = exact_limits(p0, n[small], level)
        low[small] = np.minimum(low[small], e_low)
        high[small] = np.maximum(high[small], e_high)
    return low, high


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
    z: np.ndarray, variances: np.ndarray, winsor: float = 0.1
) -> tuple[float, float]:
    """Spiegelhalter's overdispersion estimates from z-scores.

    ``phi = sum(zw**2) / I`` with ``zw`` the winsorised z-scores and ``I`` the number of
    councils; ``tau2 = (I * phi - (I - 1)) / (sum(w) - sum(w**2) / sum(w))`` with
    ``w = 1 / s**2`` and ``s**2`` each council's sampling variance on the scale of the
    z-scores, set to 0 when ``I * phi <= I - 1``.

    Returns
    -------
    (float, float)
        ``phi`` and ``tau2`` as estimated.  ``phi`` may be below 1, and ``tau2`` is
        positive whenever ``phi > (I - 1) / I``, so it can be positive with ``phi``
        slightly below 1; :func:`funnel` uses neither unless ``phi > 1``.

    Examples
    --------
    >>> z, s2 = np.array([2.0, -2.0]), np.array([0.0025, 0.0025])
    >>> phi, tau2 = estimate_overdispersion(z, s2, winsor=0)
    >>> phi, round(tau2, 4)  # (2 * 4 - 1) / (800 - 320000 / 800)
    (4.0, 0.0175)
    """
    n_units = z.size
    zw = winsorise(z, winsor)
    phi = float(np.sum(zw**2) / n_units)
    w = 1.0 / np.asarray(variances, dtype=float)
    if n_units * phi > n_units - 1:
        tau2 = float((n_units * phi - (n_units - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    else:
        tau2 = 0.0
    return phi, tau2


@dataclass(frozen=True, repr=False, kw_only=True)
class FunnelResult(Result):
    """Result of :func:`funnel`: one row per council.

    Columns: ``council, council_name, council_type, region_code, region_name, year,
    numerator, denominator, rate`` (published, percent), ``counts_rounded``, ``z``,
    ``z_adjusted`` (on the result's ``scale``), then for each level ``lower_<L>,
    upper_<L>`` (percent) and ``flag_<L>`` (``'inside'``, ``'above'``, ``'below'``:
    the rate against that row's limits), then ``limits`` (how that row's limits were
    made: the scale, or ``'exact binomial'``) and ``reason``.

    Attributes
    ----------
    year
        The year.
    pooled_rate, target
        Pooled rate of the councils used and the target the limits are built around
        (the pooled rate unless one was given), percent.
    scale
        ``"proportion"``, ``"arcsine"`` or ``"logit"``.
    overdispersion, winsor
        What was asked.
    phi, tau2
        Estimates (``tau2`` on the scale; either may be "significant" without being
        used: see :func:`estimate_overdispersion`).
    phi_used, tau2_used
        What the limits use (1 and 0 unless overdispersion is asked for and ``phi > 1``).
    levels
        Limit levels.
    exact_below, n_exact
        Denominators under ``exact_below`` get exact binomial limits (the wider of the
        two); ``n_exact`` councils had them.
    """

    year: int = 0
    pooled_rate: float = np.nan
    target: float = np.nan
    scale: str = "arcsine"
    overdispersion: str | None = "additive"
    winsor: float = 0.1
    phi: float = np.nan
    tau2: float = np.nan
    phi_used: float = 1.0
    tau2_used: float = 0.0
    levels: tuple[float, ...] = (0.95, 0.998)
    exact_below: float = EXACT_BELOW
    n_exact: int = 0
    kind: ClassVar[str] = "Funnel plot"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name", "denominator", "rate", "z_adjusted", "lower_95", "upper_95", "flag_95",
        "lower_998", "upper_998", "flag_998", "limits", "reason",
    )  # fmt: skip

    def limits(self, denominators: Any) -> pd.DataFrame:
        """The limit curves of this result at ``denominators`` (percent), for drawing.

        Examples
        --------
        >>> from personalisation.testing import make_cube
        >>> result = funnel(make_cube(n_councils=20), "sds_users", 2015)
        >>> list(result.limits([100, 200]).columns)[:3]
        ['denominator', 'lower_95', 'upper_95']
        """
        return funnel_limits(
            u.percent(self.target),
            denominators,
            levels=self.levels,
            phi=self.phi_used,
            tau2=self.tau2_used,
            scale=self.scale,
            exact_below=self.exact_below,
        )

    def _caption_extra(self) -> str:
        adjust = (
            "no overdispersion adjustment"
            if self.phi_used == 1.0 and self.tau2_used == 0.0
            else f"{self.overdispersion} overdispersion (phi {self.phi:.1f})"
        )
        return (
            f"target {u.format_rate(self.target)}; {self.scale} scale, {adjust}; "
            f"exact binomial limits under n = {self.exact_below:g} ({self.n_exact} councils)"
        )


def _last_year_with_counts(cube: xr.Dataset, measure: str | None) -> int:
    ds = v.prepare(cube, measure)
    usable = (v.reasons(ds, counts=True) == v.OK).any("council").values
    years = [y for y, ok in zip(v.years_of(ds), usable, strict=True) if ok]
    if not years:
        raise MissingYearError(f"{ds.attrs['measure']}: no year has numerators and denominators")
    return years[-1]


def funnel(
    cube: xr.Dataset,
    measure: str | None = None,
    year: Years = None,
    *,
    overdispersion: str | None = "additive",
    scale: str = "arcsine",
    exact_below: float = EXACT_BELOW,
    winsor: float = 0.1,
    levels: Sequence[float] = (0.95, 0.998),
    target: Any = None,
) -> FunnelResult:
    """Funnel-plot z-scores, limits and flags for every council against the pooled rate.

    The target is the pooled rate ``p0 = sum(numerators) / sum(denominators)`` over the
    councils with counts (or ``target``).  Each council's rate ``y`` is its published
    rate and its size its denominator ``n``.  On the chosen ``scale`` (see
    :func:`funnel_limits`) the z-score is ``z = (T(y) - T(p0)) / s`` with ``s**2`` the
    sampling variance of ``T(y)`` at the target.  Overdispersion (Spiegelhalter 2005):
    ``phi`` is the mean of the squared z-scores after winsorising the lowest and highest
    ``winsor`` share of them; then

    * ``"multiplicative"``: ``z_adjusted = z / sqrt(phi)``, limits widened by ``sqrt(phi)``;
    * ``"additive"`` (random effects): ``z_adjusted = (T(y) - T(p0)) / sqrt(s**2 + tau2)``
      with ``tau2`` the DerSimonian-Laird-type estimate of :func:`estimate_overdispersion`;
    * ``None``: no adjustment (``z_adjusted = z``).

    The adjustment is used only when the data are overdispersed (``phi > 1``).  The
    estimates are reported as computed: ``tau2`` can be positive with ``phi`` a little
    under 1 (whenever ``phi > (I - 1) / I``), yet ``tau2_used`` is then 0.  Councils
    with ``n < exact_below`` get the wider of these limits and the exact binomial ones.
    A council is flagged above (below) a level when its rate is above (below) its limits.

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (counts are needed).
    measure
        Rate measure id.
    year
        One year; default the last year with numerators and denominators.
    overdispersion
        ``"additive"`` (default), ``"multiplicative"`` or ``None``.
    scale
        ``"arcsine"`` (default; variance-stabilised, so councils at 100% can be flagged
        above a high target), ``"logit"`` or ``"proportion"`` (the normal approximation
        on the rate itself, limits clipped at 0 and 100%).
    exact_below
        Denominators under which exact binomial limits are used (0: never).
    winsor
        Share winsorised at each end before estimating ``phi`` (Spiegelhalter uses 0.1).
    levels
        Limit levels.
    target
        Target rate instead of the pooled rate (``"80%"``, ``proportion(0.8)`` or ``80``).

    Returns
    -------
    FunnelResult
        See :class:`FunnelResult`; draw it with :func:`personalisation.plot.funnel`.

    Raises
    ------
    MissingYearError
        When no council has counts in that year.
    ValueError
        Bad options, a count measure, or a target of exactly 0 or 100%.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = funnel(make_cube(n_councils=20), "sds_users", 2015)
    >>> set(result["flag_95"]) <= {"inside", "above", "below"}
    True
    >>> result.scale, result.units["upper_95"]
    ('arcsine', 'percent')
    """
    if overdispersion not in (None, "additive", "multiplicative"):
        raise ValueError(
            f"overdispersion must be 'additive', 'multiplicative' or None, not {overdispersion!r}"
        )
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if v._is_sequence(year):
        raise MissingYearError("funnel needs one year (year=2015, say)")
    if year is None:
        year = _last_year_with_counts(cube, measure)
    levels = tuple(sorted(v.proportion_level(level) for level in levels))
    ds = v.prepare(cube, measure, year, require_single_year=True)
    _require_rate(ds)
    why = v.reasons(ds, counts=True)
    _counts_or_raise(ds, why, True)
    ok = (why == v.OK).values[:, 0]
    x, n = v.counts(ds, ok[:, None])
    x, n = x[:, 0], n[:, 0]
    pooled = float(x[ok].sum() / n[ok].sum())
    p0 = pooled if target is None else float(u.to_proportion(v.check_threshold(target, "target")))
    if not 0 < p0 < 1:
        raise ValueError(
            f"{ds.attrs['measure']} {int(ds.year[0])}: the target rate is "
            f"{u.format_rate(float(u.to_percent(p0)))}; funnel limits are undefined at 0 or 100%"
        )
    rate_pct = np.where(ok, ds["value"].values[:, 0], np.nan)
    y = u.to_proportion(rate_pct)
    n_safe = np.where(ok, n, 1.0)
    s2 = np.where(ok, _within_variance(p0, n_safe, scale), np.nan)
    theta = np.where(ok, _transform(y, n_safe, scale), np.nan)
    theta0 = _target_on_scale(p0, scale)
    z = (theta - theta0) / np.sqrt(s2)
    phi, tau2 = estimate_overdispersion(z[ok], s2[ok], winsor)
    phi_used, tau2_used = 1.0, 0.0
    if overdispersion == "multiplicative" and phi > 1:
        phi_used = phi
    elif overdispersion == "additive" and phi > 1:
        tau2_used = tau2
    z_adjusted = (theta - theta0) / np.sqrt(phi_used * s2 + tau2_used)

    table = v.council_frame(ds)
    table["year"] = int(ds["year"].values[0])
    table["numerator"] = np.where(ok, ds["numerator"].values[:, 0], np.nan)
    table["denominator"] = n
    table["rate"] = rate_pct
    table["counts_rounded"] = ds["counts_rounded"].values[:, 0] & ok
    table["z"] = z
    table["z_adjusted"] = z_adjusted
    units: dict[str, str] = {
        "numerator": "people",
        "denominator": "people",
        "rate": u.PERCENT,
        "z": u.DIMENSIONLESS,
        "z_adjusted": u.DIMENSIONLESS,
    }
    for level in levels:
        label = _level_label(level)
        low, high = _limits(p0, n_safe, level, phi_used, tau2_used, scale, exact_below)
        low_pct = np.where(ok, u.to_percent(low), np.nan)
        high_pct = np.where(ok, u.to_percent(high), np.nan)
        table[f"lower_{label}"] = low_pct
        table[f"upper_{label}"] = high_pct
        flag = np.where(
            rate_pct > high_pct + 1e-9,
            FLAG_ABOVE,
            np.where(rate_pct < low_pct - 1e-9, FLAG_BELOW, FLAG_INSIDE),
        ).astype(object)
        flag[~ok] = None
        table[f"flag_{label}"] = flag
        units[f"lower_{label}"] = units[f"upper_{label}"] = u.PERCENT
    small = ok & (n_safe < exact_below)
    table["limits"] = np.where(small, "exact binomial", np.where(ok, scale, "")).astype(str)
    table["reason"] = why.values[:, 0].astype(str)
    notes = tuple(n for n in (v.rounded_note(ds),) if n)
    return FunnelResult(
        table=table,
        units=units,
        notes=notes,
        year=int(ds["year"].values[0]),
        pooled_rate=float(u.to_percent(pooled)),
        target=float(u.to_percent(p0)),
        scale=scale,
        overdispersion=overdispersion,
        winsor=winsor,
        phi=phi,
        tau2=tau2,
        phi_used=phi_used,
        tau2_used=tau2_used,
        levels=levels,
        exact_below=float(exact_below),
        n_exact=int(small.sum()),
        **v.census(ds, why),
    )
