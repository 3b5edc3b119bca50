"""Regional (and council-type) comparison: pooled rates with intervals, spread and rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special
from scipy import stats as sps

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.schema import ENGLAND_CODE, Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result
from personalisation.stats.uncertainty import wilson_interval

#: Columns of :class:`RegionalResult`, in order.
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
    "dispersion",
    "od_ci_low",
    "od_ci_high",
    "unweighted_mean",
    "lowest",
    "q1",
    "p50",
    "q3",
    "highest",
    "iqr",
    "pooled_rank",
    "counts_rounded",
    "excluded",
    "reason",
)

_PERCENT_COLUMNS = (
    "pooled_rate",
    "ci_low",
    "ci_high",
    "od_ci_low",
    "od_ci_high",
    "unweighted_mean",
    "lowest",
    "q1",
    "p50",
    "q3",
    "highest",
    "iqr",
)


def pool(
    numerators: np.ndarray, denominators: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float, float]:
    """Pooled rate of a group: summed numerators over summed denominators, with a Wilson CI.

    Only entries where both counts are finite and the denominator is positive are summed.

    Returns
    -------
    tuple
        ``(numerator, denominator, rate, ci_low, ci_high)``, the rate and interval in
        percent; NaN when nothing can be summed.

    Examples
    --------
    >>> pool(np.array([10.0, 30.0]), np.array([100.0, 100.0]))[:3]
    (40.0, 200.0, 20.0)
    """
    numerators = np.asarray(numerators, dtype=float)
    denominators = np.asarray(denominators, dtype=float)
    ok = np.isfinite(numerators) & np.isfinite(denominators) & (denominators > 0)
    if not ok.any():
        return (np.nan,) * 5
    num = float(numerators[ok].sum())
    den = float(denominators[ok].sum())
    low, high = wilson_interval(num, den, level)
    return num, den, float(u.ratio_to_percent(num, den)), float(low), float(high)


def overdispersed_interval(
    numerators: np.ndarray, denominators: np.ndarray, level: float = 0.95
) -> tuple[float, float, float]:
    """Quasi-binomial interval of a pooled rate: ``(phi, low, high)``, low/high in percent.

    With ``p`` the pooled rate, ``N`` the summed denominators and ``k`` councils, the
    Pearson dispersion is ``phi = sum((x_i - n_i p)**2 / (n_i p (1 - p))) / (k - 1)``; the
    interval is ``expit(logit(p) +/- z * sqrt(max(phi, 1) / (N p (1 - p))))``, the Wald
    interval of an intercept-only binomial GLM with Pearson scale (statsmodels
    ``GLM(..., family=Binomial(), var_weights=n).fit(scale="X2")``), never narrower
    than the binomial one.  It describes how precisely the group's pooled rate is known
    when councils differ more than binomial sampling allows.  NaN with fewer than two
    councils or a pooled rate of 0 or 100%.

    Examples
    --------
    >>> phi, low, high = overdispersed_interval(np.array([10.0, 30.0]), np.array([100.0, 100.0]))
    >>> round(phi, 2), round(low, 1), round(high, 1)
    (12.5, 6.8, 46.0)
    """
    x = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
    x, n = x[ok], n[ok]
    if x.size < 2:
        return np.nan, np.nan, np.nan
    p = x.sum() / n.sum()
    if not 0 < p < 1:
        return np.nan, np.nan, np.nan
    phi = float(np.sum((x - n * p) ** 2 / (n * p * (1 - p))) / (x.size - 1))
    z = sps.norm.ppf(1 - (1 - v.proportion_level(level)) / 2)
    se = np.sqrt(max(phi, 1.0) / (n.sum() * p * (1 - p)))
    centre = special.logit(p)
    low, high = special.expit(centre - z * se), special.expit(centre + z * se)
    return phi, float(u.to_percent(low)), float(u.to_percent(high))


def _spread(values: np.ndarray) -> dict[str, float]:
    values = values[np.isfinite(values)]
    keys = ("unweighted_mean", "lowest", "q1", "p50", "q3", "highest", "iqr")
    if values.size == 0:
        return dict.fromkeys(keys, np.nan)
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return {
        "unweighted_mean": float(values.mean()),
        "lowest": float(values.min()),
        "q1": float(q1),
        "p50": float(median),
        "q3": float(q3),
        "highest": float(values.max()),
        "iqr": float(q3 - q1),
    }


@dataclass(frozen=True, repr=False, kw_only=True)
class RegionalResult(Result):
    """Result of :func:`regional`: one row per group and year (England last).

    Columns: ``group_type`` (``'region'``, ``'council type'``, ``'England'``), ``group``
    (region code, council type, or ``E92000001``), ``group_name``, ``year``,
    ``n_councils``, ``n_rates`` (councils with a usable value), ``n_counts`` (with
    counts), ``numerator``, ``denominator`` (sums of the published counts), ``pooled_rate``
    (percent; where the publisher rounded the counts it is the sum of published rate times
    denominator over the summed denominators, flagged ``counts_rounded``), ``ci_low,
    ci_high`` (Wilson interval: binomial sampling only, as if the group's clients were
    one sample), ``dispersion`` (Pearson phi of the group's councils about the pooled
    rate), ``od_ci_low, od_ci_high`` (overdispersion-adjusted interval: see
    :func:`overdispersed_interval`), ``unweighted_mean, lowest, q1, p50, q3, highest,
    iqr`` (of the councils' published rates, so they exist in years without counts),
    ``pooled_rank`` (1 = highest pooled rate within the year, ties share the lowest
    rank; NaN without a pooled rate), ``counts_rounded`` (some counts were rounded by
    the publisher: the pooled rate and intervals are approximate), ``excluded`` and
    ``reason`` (why the pooled rate is NaN or partial).

    Attributes
    ----------
    by, level
        What was asked.
    """

    by: str = "region"
    level: float = 0.95
    kind: ClassVar[str] = "Pooled rates by group"
    shown: ClassVar[tuple[str, ...] | None] = (
        "group_name",
        "year",
        "n_councils",
        "n_counts",
        "pooled_rate",
        "ci_low",
        "ci_high",
        "od_ci_low",
        "od_ci_high",
        "unweighted_mean",
        "lowest",
        "p50",
        "highest",
        "pooled_rank",
        "reason",
    )


def _group_row(
    group_type: str,
    key: str,
    name: str,
    year: int,
    member: np.ndarray,
    x: np.ndarray,
    n: np.ndarray,
    published_numerators: np.ndarray,
    rounded: np.ndarray,
    council_values: np.ndarray,
    why_counts: np.ndarray,
    why_value: np.ndarray,
    level: float,
    counts_held: bool,
    counts_given: bool,
) -> dict[str, Any]:
    ok_counts = why_counts[member] == v.OK
    council_rates = council_values[member][why_value[member] == v.OK]
    _, denominator, rate, low, high = pool(x[member], n[member], level)
    published = published_numerators[member][ok_counts]
    numerator = float(published.sum()) if published.size else np.nan
    phi, od_low, od_high = overdispersed_interval(x[member], n[member], level)
    n_councils = int(member.sum())
    n_counts = int(ok_counts.sum())
    if not counts_given:
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
        "dispersion": phi,
        "od_ci_low": od_low,
        "od_ci_high": od_high,
        **_spread(council_rates),
        "counts_rounded": bool((rounded[member] & ok_counts).any()),
        "excluded": v.summarise_reasons(why_counts[member] if counts_held else why_value[member]),
        "reason": reason,
    }


def regional(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    by: str = "region",
    level: float = 0.95,
    england: bool = True,
) -> RegionalResult:
    """Each region's (or council type's) pooled rate with its intervals, spread and rank.

    The pooled rate of a group is the sum of its councils' numerators over the sum of
    their denominators (never an average of rates), with two intervals: the Wilson score
    interval (binomial sampling only) and an overdispersion-adjusted one (councils differ
    far more than binomial sampling allows: see :func:`overdispersed_interval`).  The
    council spread is of the councils' published rates, so it exists in years without
    counts; the pooled rate there is NaN with a ``reason``.

    Parameters
    ----------
    cube
        The cube (a DataArray of values, with its status, gives spreads only).
    measure
        Rate measure id.
    year
        One year, a sequence, or ``None`` (all years).
    by
        ``"region"`` or ``"council_type"`` (county, unitary authority, metropolitan
        district, London borough).
    level
        Confidence level of the intervals.
    england
        Append one England row per year (all councils pooled; ``pooled_rank`` NaN).

    Returns
    -------
    RegionalResult
        See :class:`RegionalResult`; rates in percent.

    Raises
    ------
    MissingYearError
        An unknown year, or a single year in which no council has a value.
    ValueError
        A count measure or an unknown ``by``.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = regional(make_cube(n_councils=9, n_regions=3), "sds_users", 2015)
    >>> len(result), list(result["group_type"].unique())
    (4, ['region', 'England'])
    >>> result["n_councils"].tolist(), int(result["pooled_rank"].notna().sum())
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
    x_all, n_all = v.counts(ds, why_counts.values == v.OK)
    values = np.where(why_value.values == v.OK, ds["value"].values, np.nan)
    rounded = ds["counts_rounded"].values
    counts_given = "counts_given" not in ds.attrs
    group_type = "region" if by == "region" else "council type"
    rows = []
    for j, year_j in enumerate(v.years_of(ds)):
        wc = why_counts.values[:, j]
        wv = why_value.values[:, j]
        counts_held = bool(np.isfinite(ds["numerator"].values[:, j]).any())
        num_j = ds["numerator"].values[:, j]
        args = (x_all[:, j], n_all[:, j], num_j, rounded[:, j], values[:, j], wc, wv, level)
        year_rows = [
            _group_row(
                group_type, key, names[key], year_j, keys == key, *args, counts_held, counts_given
            )
            for key in sorted(names)
        ]
        ranks = pd.Series([r["pooled_rate"] for r in year_rows]).rank(ascending=False, method="min")
        for row, rank in zip(year_rows, ranks, strict=True):
            row["pooled_rank"] = rank
        rows.extend(year_rows)
        if england:
            row = _group_row(
                "England",
                ENGLAND_CODE,
                "England",
                year_j,
                np.ones(keys.size, bool),
                *args,
                counts_held,
                counts_given,
            )
            row["pooled_rank"] = np.nan
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(REGIONAL_COLUMNS))
    units = dict.fromkeys(_PERCENT_COLUMNS, u.PERCENT)
    units.update(numerator="people", denominator="people", dispersion=u.DIMENSIONLESS)
    notes = tuple(n for n in (v.rounded_note(ds),) if n)
    return RegionalResult(
        table=table,
        units=units,
        notes=notes,
        by=by,
        level=level,
        **v.census(ds, why_value.values),
    )
