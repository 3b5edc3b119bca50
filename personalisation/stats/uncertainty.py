"""Council-level uncertainty: a confidence interval for every council-year with counts.

* :func:`wilson` - a Wilson score (or exact Clopper-Pearson) interval for every
  council-year with a numerator and denominator;
* :func:`wilson_interval`, :func:`exact_interval` - the intervals themselves, on arrays.

Funnel plots are in :mod:`personalisation.stats.funnels`.  Rates and intervals are in
percent (:mod:`personalisation.units`); the binomial arithmetic is done on proportions
inside.

References
----------
Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated in
the case of the binomial. *Biometrika* 26:404-413.
Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
*JASA* 22:209-212.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from scipy import stats as sps

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result


def _z(level: float) -> float:
    return float(sps.norm.ppf(1 - (1 - v.proportion_level(level)) / 2))


def wilson_interval(
    successes: Any, trials: Any, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, in percent (vectorised).

    Parameters
    ----------
    successes, trials
        Array-likes of the same shape; NaN or ``trials <= 0`` give NaN.  ``successes``
        need not be whole (a published rate times a rounded denominator).
    level
        Confidence level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits, in percent.

    Examples
    --------
    >>> low, high = wilson_interval(30, 100)
    >>> round(float(low), 2), round(float(high), 2)
    (21.89, 39.58)
    """
    z = _z(level)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_ok = np.where(n > 0, n, np.nan)
        p = x / n_ok
        centre = (p + z**2 / (2 * n_ok)) / (1 + z**2 / n_ok)
        half = z / (1 + z**2 / n_ok) * np.sqrt(p * (1 - p) / n_ok + z**2 / (4 * n_ok**2))
    low = np.clip(centre - half, 0, 1)
    high = np.clip(centre + half, 0, 1)
    return u.to_percent(low), u.to_percent(high)


def exact_interval(
    successes: Any, trials: Any, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval for a binomial proportion, in percent (vectorised).

    Examples
    --------
    >>> low, high = exact_interval(0, 10)
    >>> float(low), round(float(high), 2)
    (0.0, 30.85)
    """
    alpha = 1 - v.proportion_level(level)
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (n > 0) & np.isfinite(x)
        low = np.where(x > 0, sps.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
        high = np.where(x < n, sps.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    return u.to_percent(np.where(ok, low, np.nan)), u.to_percent(np.where(ok, high, np.nan))


def _counts_or_raise(ds: xr.Dataset, why: xr.DataArray, single_year: bool) -> None:
    if single_year and bool((why != v.OK).all()):
        year = int(ds["year"].values[0])
        summary = v.summarise_reasons(why.values.ravel())
        raise MissingYearError(
            f"{ds.attrs['measure']} {year}: no council has a numerator and denominator "
            f"({summary}); rates alone cannot give intervals or funnel limits"
        )


@dataclass(frozen=True, repr=False, kw_only=True)
class IntervalResult(Result):
    """Result of :func:`wilson`: one row per council and year.

    Columns: ``council, council_name, council_type, region_code, region_name, year,
    numerator, denominator, rate`` (the published rate, percent), ``ci_low, ci_high``
    (percent), ``counts_rounded`` (the publisher rounded the counts: the interval is
    approximate) and ``reason`` (why a row has no interval).

    Attributes
    ----------
    level, method
        Confidence level and ``"wilson"`` or ``"exact"``.
    """

    level: float = 0.95
    method: str = "wilson"
    kind: ClassVar[str] = "Council confidence intervals"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name",
        "year",
        "numerator",
        "denominator",
        "rate",
        "ci_low",
        "ci_high",
        "counts_rounded",
        "reason",
    )

    def _caption_extra(self) -> str:
        return f"{self.method} {self.level:.0%} intervals"


def wilson(
    cube: xr.Dataset,
    measure: str | None = None,
    year: Years = None,
    *,
    level: float = 0.95,
    method: str = "wilson",
    keep_rates: bool = False,
) -> IntervalResult:
    """Confidence interval for every council-year with a numerator and denominator.

    The rate is the published one; the interval comes from the counts (the numerator is
    the published rate times the denominator where the publisher rounded the counts,
    flagged ``counts_rounded``).

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
    keep_rates
        Also give the published rate of councils without counts (their interval is NaN
        and ``reason`` says why): one table of every council's figure, with intervals
        where the counts allow, whatever the year.  Default ``False``: ``rate`` is NaN
        where there is no interval.

    Returns
    -------
    IntervalResult
        One row per council and year; see :class:`IntervalResult`.

    Raises
    ------
    MissingYearError
        When a single year is asked and no council has counts in it (the years 2019-20
        and 2021-22..2023-24 publish rates only), unless ``keep_rates=True``.
    ValueError
        For a count measure or an unknown method.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = wilson(make_cube(n_councils=3), "sds_users", 2015)
    >>> table = result.to_frame()
    >>> bool(((table.ci_low <= table.rate) & (table.rate <= table.ci_high)).all())
    True
    >>> result.units["ci_low"]
    'percent'

    A year that publishes rates only (2022-23), with ``keep_rates=True``:

    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"], years=[2023])
    >>> table = wilson(cube, "sds_users", 2023, keep_rates=True).to_frame()
    >>> int(table.rate.notna().sum()) > 140, int(table.ci_low.notna().sum())
    (True, 0)
    """
    if method not in ("wilson", "exact"):
        raise ValueError(f"method must be 'wilson' or 'exact', not {method!r}")
    level = v.proportion_level(level)
    single = year is not None and not v._is_sequence(year)
    ds = v.prepare(cube, measure, year)
    _require_rate(ds)
    why = v.reasons(ds, counts=True)
    if not keep_rates:
        _counts_or_raise(ds, why, single)
    ok = (why == v.OK).values
    shown = (v.reasons(ds, counts=False) == v.OK).values if keep_rates else ok
    num, den = v.counts(ds, ok)
    interval = wilson_interval if method == "wilson" else exact_interval
    low, high = interval(num, den, level)
    labels = v.council_frame(ds)
    n_years = ds.sizes["year"]
    table = labels.loc[labels.index.repeat(n_years)].reset_index(drop=True)
    table["year"] = np.tile(v.years_of(ds), ds.sizes["council"])
    table["numerator"] = np.where(ok, ds["numerator"].values, np.nan).ravel()
    table["denominator"] = den.ravel()
    table["rate"] = np.where(shown, ds["value"].values, np.nan).ravel()
    table["ci_low"] = low.ravel()
    table["ci_high"] = high.ravel()
    table["counts_rounded"] = (ds["counts_rounded"].values & ok).ravel()
    table["reason"] = why.values.ravel().astype(str)
    units = {
        "numerator": "people",
        "denominator": "people",
        "rate": u.PERCENT,
        "ci_low": u.PERCENT,
        "ci_high": u.PERCENT,
    }
    notes = tuple(n for n in (v.rounded_note(ds),) if n)
    return IntervalResult(
        table=table,
        units=units,
        notes=notes,
        level=level,
        method=method,
        **v.census(ds, why),
    )


def _require_rate(ds: xr.Dataset) -> None:
    if ds.attrs["kind"] != "rate":
        raise ValueError(
            f"{ds.attrs['measure']} is a count measure; this statistic needs a rate measure "
            "(numerator / denominator)"
        )
