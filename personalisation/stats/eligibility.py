"""Eligibility sensitivity: take-up when only part of the published denominator is eligible."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.errors import MissingYearError, UnknownCouncilError
from personalisation.stats import _validate as v


def _fractions(ds: xr.Dataset, fraction: Any) -> np.ndarray:
    """One eligible fraction per council (scalar, mapping, Series or DataArray on council)."""
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
        values = np.array([float(lookup[c]) for c in codes])
    else:
        values = np.full(len(codes), float(fraction))
    if np.any(~np.isfinite(values)) or np.any(values <= 0) or np.any(values > 1):
        raise ValueError("eligible fractions must be in (0, 1] (0.7 = 70% of the denominator)")
    return values


def _rank_by_year(table: pd.DataFrame, column: str) -> pd.Series:
    """Rank (1 = highest, ties share the lowest rank) within each year, ignoring float noise."""
    rounded = table[column].map(lambda x: float(f"{x:.12g}") if np.isfinite(x) else np.nan)
    return rounded.groupby(table["year"]).rank(ascending=False, method="min")


def eligibility(
    cube: xr.Dataset,
    measure: str | None = None,
    year: Any = None,
    fraction: Any = 0.7,
    *,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Recompute take-up treating only ``fraction`` of the published denominator as eligible.

    ``rate_adjusted = numerator / (fraction * denominator)``.  With one fraction for every
    council, rates scale by ``1 / fraction`` and the ranking does not move (ties aside);
    give a fraction per council (a mapping, Series or DataArray keyed by council code)
    to show how a definition dispute that hits councils differently moves the ranking.
    An adjusted rate above 1 is kept and flagged (``exceeds_eligible``): more people
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
        Eligible share of the denominator: a number in (0, 1] or one per council.
    threshold
        Optional target (a proportion): adds ``met`` and ``met_adjusted``.

    Returns
    -------
    pandas.DataFrame
        One row per council and year: ``council, council_name, council_type, region_code,
        region_name, year, numerator, denominator, fraction, eligible, rate,
        rate_adjusted, rank, rank_adjusted`` (1 = highest within the year, ties share the
        lowest rank), ``rank_change`` (``rank - rank_adjusted``; positive = moved up),
        ``exceeds_eligible``, [``met, met_adjusted``,] ``reason``.  ``attrs``:
        ``measure``, ``pooled_rate`` and ``pooled_rate_adjusted`` (dicts by year; summed
        numerators over summed (eligible) denominators).

    Raises
    ------
    MissingYearError
        A single year in which no council has counts.
    UnknownCouncilError
        Fractions keyed by unknown councils, or missing for some.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> table = eligibility(make_cube(n_councils=4), "sds_users", 2015, fraction=0.5)
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
    num = np.where(ok, ds["numerator"].values, np.nan)
    den = np.where(ok, ds["denominator"].values, np.nan)
    eligible = den * fractions[:, None]
    years = v.years_of(ds)
    labels = v.council_frame(ds)
    table = labels.loc[labels.index.repeat(len(years))].reset_index(drop=True)
    table["year"] = np.tile(years, ds.sizes["council"])
    table["numerator"] = num.ravel()
    table["denominator"] = den.ravel()
    table["fraction"] = np.repeat(fractions, len(years))
    table["eligible"] = eligible.ravel()
    table["rate"] = (num / den).ravel()
    table["rate_adjusted"] = (num / eligible).ravel()
    # rank on rates rounded to 12 significant digits: num/den and num/(den*f) round
    # differently in floating point, which would otherwise break ties (e.g. several councils
    # at 100%) differently and move the ranking when every council has the same fraction
    table["rank"] = _rank_by_year(table, "rate")
    table["rank_adjusted"] = _rank_by_year(table, "rate_adjusted")
    table["rank_change"] = table["rank"] - table["rank_adjusted"]
    table["exceeds_eligible"] = table["rate_adjusted"] > 1
    if threshold is not None:
        for column, rate in (("met", "rate"), ("met_adjusted", "rate_adjusted")):
            met = pd.array(table[rate] >= threshold - 1e-12, dtype="boolean")
            met[table[rate].isna().to_numpy()] = pd.NA
            table[column] = met
    table["reason"] = why.values.ravel().astype(str)
    pooled = {}
    pooled_adjusted = {}
    for j, y in enumerate(years):
        keep = ok[:, j]
        pooled[y] = float(num[keep, j].sum() / den[keep, j].sum()) if keep.any() else np.nan
        pooled_adjusted[y] = (
            float(num[keep, j].sum() / eligible[keep, j].sum()) if keep.any() else np.nan
        )
    table.attrs = {
        "measure": ds.attrs["measure"],
        "pooled_rate": pooled,
        "pooled_rate_adjusted": pooled_adjusted,
    }
    return table
