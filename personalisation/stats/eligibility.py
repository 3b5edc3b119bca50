"""Eligibility sensitivity: take-up when only part of the published denominator is eligible."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation.errors import MissingYearError, UnknownCouncilError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result


@dataclass(frozen=True, repr=False, kw_only=True)
class EligibilityResult(Result):
    """Result of :func:`eligibility` (columns: see :func:`eligibility`; rates in percent).

    Attributes
    ----------
    pooled
        One row per year: ``year, pooled_rate, pooled_rate_adjusted`` (percent; summed
        numerators over summed (eligible) denominators).
    threshold
        The target, in percent (``None`` when not given).
    """

    pooled: pd.DataFrame = None
    threshold: float | None = None
    kind: ClassVar[str] = "Take-up among the eligible"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name",
        "year",
        "fraction",
        "rate",
        "rate_adjusted",
        "rate_rank",
        "adjusted_rank",
        "rank_change",
        "exceeds_eligible",
        "reason",
    )


def _fractions(ds: xr.Dataset, fraction: Any) -> np.ndarray:
    """One eligible fraction per council as a proportion (scalar, mapping, Series or DataArray
    on council; each read by :func:`personalisation.units.parse_rate`)."""
    codes = [str(c) for c in ds["council"].values]
    if isinstance(fraction, xr.DataArray):
        fraction = fraction.to_series()
    if isinstance(fraction, (Mapping, pd.Series)):
        lookup = dict(fraction.items())
        unknown = sorted(set(map(str, lookup)) - set(codes))
        if unknown:
            raise UnknownCouncilError(
                f"eligibility fraction given for councils not in the data: {', '.join(unknown[:5])}"
            )
        missing = [c for c in codes if c not in lookup]
        if missing:
            raise UnknownCouncilError(
                f"no eligibility fraction for {len(missing)} councils, e.g. {', '.join(missing[:5])}"
                "; give one per council or a single number"
            )
        values = np.array(
            [u.parse_rate(lookup[c], f"fraction[{c}]", allow_zero=False) for c in codes]
        )
    else:
        values = np.full(len(codes), u.parse_rate(fraction, "fraction", allow_zero=False))
    return u.to_proportion(values)


def _rank_by_year(table: pd.DataFrame, column: str) -> pd.Series:
    """Rank (1 = highest, ties share the lowest rank) within each year, ignoring float noise."""
    rounded = table[column].map(lambda x: float(f"{x:.12g}") if np.isfinite(x) else np.nan)
    return rounded.groupby(table["year"]).rank(ascending=False, method="min")


def eligibility(
    cube: xr.Dataset,
    measure: str | None = None,
    year: Years = None,
    *,
    fraction: Any = "70%",
    threshold: Any = None,
) -> EligibilityResult:
    """Recompute take-up treating only ``fraction`` of the published denominator as eligible.

    ``rate_adjusted = rate / fraction``: the published rate with only ``fraction`` of the
    denominator counted (``numerator / (fraction * denominator)``).  With one fraction for
    every council, rates scale by ``1 / fraction`` and the ranking does not move;
    give a fraction per council (a mapping, Series or DataArray keyed by council code)
    to show how a definition dispute that hits councils differently moves the ranking.
    An adjusted rate above 100% is kept and flagged (``exceeds_eligible``): more people
    received the support than the assumed eligible group holds.

    Parameters
    ----------
    cube
        The cube (counts are needed).
    measure
        Rate measure id.
    year
        One year, a sequence, or ``None`` (all years).
    fraction
        Eligible share of the denominator: ``"70%"``, ``proportion(0.7)`` or a bare ``70``
        (percent), or one such per council.
    threshold
        Optional target (``"80%"``): adds ``met`` and ``met_adjusted``.

    Returns
    -------
    EligibilityResult
        One row per council and year: ``council, council_name, council_type, region_code,
        region_name, year, numerator, denominator, fraction, eligible, rate,
        rate_adjusted, rate_rank, adjusted_rank`` (1 = highest within the year, ties share
        the lowest rank), ``rank_change`` (``rate_rank - adjusted_rank``; positive = moved up),
        ``exceeds_eligible``, [``met, met_adjusted``,] ``reason``; ``fraction`` is in
        percent, rates in percent.  ``.pooled``: pooled rates by year.

    Raises
    ------
    MissingYearError
        A single year in which no council has counts.
    UnknownCouncilError
        Fractions keyed by unknown councils, or missing for some.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = eligibility(make_cube(n_councils=4), "sds_users", 2015, fraction="50%").to_frame()
    >>> bool(np.allclose(table.rate_adjusted, 2 * table.rate))
    True
    >>> int(table.rank_change.abs().sum())
    0
    """
    if threshold is not None:
        threshold = v.check_threshold(threshold, "threshold")
    single = year is not None and not v._is_sequence(year)
    ds = v.prepare(cube, measure, year)
    if ds.attrs["kind"] != "rate":
        raise ValueError(f"{ds.attrs['measure']} is a count measure; eligibility needs a rate")
    fractions = _fractions(ds, fraction)
    why = v.reasons(ds, counts=True)
    if single and bool((why != v.OK).all()):
        raise MissingYearError(
            f"{ds.attrs['measure']} {v.years_of(ds)[0]}: no council has a numerator and "
            f"denominator ({v.summarise_reasons(why.values.ravel())}); take-up cannot be "
            "recomputed from rates alone"
        )
    ok = (why == v.OK).values
    x, den = v.counts(ds, ok)
    num = np.where(ok, ds["numerator"].values, np.nan)
    rate = np.where(ok, ds["value"].values, np.nan)
    eligible = den * fractions[:, None]
    years = v.years_of(ds)
    labels = v.council_frame(ds)
    table = labels.loc[labels.index.repeat(len(years))].reset_index(drop=True)
    table["year"] = np.tile(years, ds.sizes["council"])
    table["numerator"] = num.ravel()
    table["denominator"] = den.ravel()
    table["fraction"] = np.repeat(u.to_percent(fractions), len(years))
    table["eligible"] = eligible.ravel()
    table["rate"] = rate.ravel()
    table["rate_adjusted"] = (rate / fractions[:, None]).ravel()
    table["rank"] = _rank_by_year(table, "rate")
    table["rank_adjusted"] = _rank_by_year(table, "rate_adjusted")
    table["rank_change"] = table["rank"] - table["rank_adjusted"]
    table["exceeds_eligible"] = table["rate_adjusted"] > 100 + 1e-9
    if threshold is not None:
        for column, rate_column in (("met", "rate"), ("met_adjusted", "rate_adjusted")):
            met = pd.array(table[rate_column] >= threshold - 1e-9, dtype="boolean")
            met[table[rate_column].isna().to_numpy()] = pd.NA
            table[column] = met
    table["reason"] = why.values.ravel().astype(str)
    table = table.rename(columns={"rank": "rate_rank", "rank_adjusted": "adjusted_rank"})
    pooled = []
    for j, y in enumerate(years):
        keep = ok[:, j]
        pooled.append(
            {
                "year": y,
                "pooled_rate": float(u.ratio_to_percent(x[keep, j].sum(), den[keep, j].sum()))
                if keep.any()
                else np.nan,
                "pooled_rate_adjusted": float(
                    u.ratio_to_percent(x[keep, j].sum(), eligible[keep, j].sum())
                )
                if keep.any()
                else np.nan,
            }
        )
    units = dict.fromkeys(("fraction", "rate", "rate_adjusted"), u.PERCENT)
    units.update(numerator="people", denominator="people", eligible="people")
    return EligibilityResult(
        table=table,
        units=units,
        notes=tuple(n for n in (v.rounded_note(ds),) if n),
        pooled=pd.DataFrame(pooled, columns=["year", "pooled_rate", "pooled_rate_adjusted"]),
        threshold=threshold,
        **v.census(ds, why.values),
    )
