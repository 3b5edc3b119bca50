"""The direct-payment mix: the share of self-directed support taken as direct payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation.errors import MissingYearError, SchemaError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result
from personalisation.stats.regional import ENGLAND_CODE, pool


@dataclass(frozen=True, repr=False, kw_only=True)
class MixResult(Result):
    """Result of :func:`dp_mix` (columns: see :func:`dp_mix`; shares in percent).

    Attributes
    ----------
    of
        The measure the share is of (``sds_users``); ``measure`` is the numerator measure.
    by
        ``"council"``, ``"region"`` or ``"council_type"``.
    """

    of: str = "sds_users"
    by: str = "council"
    kind: ClassVar[str] = "Share of self-directed support taken as direct payments"


def _council_shares(
    dp: xr.Dataset, sds: xr.Dataset
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """share, source, reason, same-denominator arrays of shape (council, year)."""
    dp_counts = v.has_counts(dp).values
    sds_counts = v.has_counts(sds).values
    use_counts = dp_counts & sds_counts
    dp_why = v.reasons(dp, counts=False).values
    sds_why = v.reasons(sds, counts=False).values
    use_values = ~use_counts & (dp_why == v.OK) & (sds_why == v.OK)
    from_counts = u.ratio_to_percent(dp["numerator"].values, sds["numerator"].values)
    from_values = u.ratio_to_percent(dp["value"].values, sds["value"].values)
    share = np.where(use_counts, from_counts, np.where(use_values, from_values, np.nan))
    source = np.where(use_counts, "counts", np.where(use_values, "values", "")).astype(object)
    reason = np.full(share.shape, "", dtype=object)
    measure_dp, measure_sds = dp.attrs["measure"], sds.attrs["measure"]
    for i, j in zip(*np.nonzero(~(use_counts | use_values)), strict=True):
        parts = []
        if dp_why[i, j]:
            parts.append(f"{measure_dp}: {dp_why[i, j]}")
        if sds_why[i, j]:
            parts.append(f"{measure_sds}: {sds_why[i, j]}")
        reason[i, j] = "; ".join(parts)
    base = np.where(use_counts, sds["numerator"].values, sds["value"].values)
    zero = (use_counts | use_values) & (base == 0)
    share[zero] = np.nan
    reason[zero] = f"{measure_sds} is zero: no self-directed support to split"
    over = np.isfinite(share) & (share > 100 + 1e-7)
    share[over] = np.nan
    reason[over] = f"{measure_dp} above {measure_sds}: inconsistent data"
    source[zero | over] = ""
    same = np.where(
        np.isfinite(dp["denominator"].values) & np.isfinite(sds["denominator"].values),
        dp["denominator"].values == sds["denominator"].values,
        False,
    )
    return share, source, reason, same


def dp_mix(
    cube: xr.Dataset,
    measure: str = "dp_users",
    year: Years = None,
    *,
    of: str = "sds_users",
    by: str = "council",
    level: float = 0.95,
) -> MixResult:
    """Share of self-directed support taken as direct payments, by council or pooled by group.

    For a council, the share is ``dp_users`` numerator / ``sds_users`` numerator where
    both counts exist (both measures share one denominator), and the ratio of the
    published values otherwise (years without counts).  A group's share is pooled: summed
    direct-payment numerators over summed self-directed-support numerators of the
    councils with both counts, with a Wilson interval; the unweighted mean of the
    councils' shares is given separately.

    Parameters
    ----------
    cube
        The cube, holding both measures.
    measure
        The direct-payment measure (default ``dp_users``; ``dp_carers`` for carers).
    year
        One year, a sequence of years, or ``None`` (all years).
    of
        The self-directed-support measure it is a share of (``sds_users`` or ``sds_carers``).
    by
        ``"council"``, ``"region"`` or ``"council_type"``.
    level
        Confidence level of the pooled Wilson intervals.

    Returns
    -------
    MixResult
        Shares, rates and intervals in percent.
        ``by="council"``: one row per council and year, columns ``council, council_name,
        council_type, region_code, region_name, year, dp_count, sds_count, dp_rate,
        sds_rate, share, council_managed_share`` (``100 - share``: the share of personal
        budgets managed by the council rather than taken as a direct payment, exact
        because self-directed support is direct payments plus council-managed budgets),
        ``source`` (``'counts'``, ``'values'`` or ``''``: from counts, e.g. the 2021-22
        SALT LTS001b components, or from the ratio of published rates),
        ``same_denominator`` (the two measures' published denominators are equal) and
        ``reason`` (why ``share`` is NaN: a missing value, a zero ``sds``, or direct
        payments above self-directed support).
        ``by="region"`` / ``"council_type"``: one row per group and year, then England:
        ``group_type, group, group_name, year, n_councils, n_shares, n_counts, dp_count,
        sds_count, pooled_share, ci_low, ci_high, council_managed_share`` (``100 -
        pooled_share``), ``unweighted_mean, reason``.

    Raises
    ------
    UnknownMeasureError
        A measure not in the cube.
    MissingYearError
        Unknown year, or a single year in which no council has a share.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=4)
    >>> sds = cube.sel(measure="sds_users")
    >>> cube["denominator"].loc[dict(measure="dp_users")] = sds.denominator
    >>> cube["numerator"].loc[dict(measure="dp_users")] = sds.numerator // 2
    >>> from personalisation.units import ratio_to_percent
    >>> cube["value"].loc[dict(measure="dp_users")] = ratio_to_percent(
    ...     sds.numerator // 2, sds.denominator)
    >>> table = dp_mix(cube, "dp_users", 2015).to_frame()
    >>> bool((table.share <= 50).all()), set(table.source)
    (True, {'counts'})
    """
    if not isinstance(cube, xr.Dataset):
        raise SchemaError("dp_mix needs the cube (a Dataset holding both measures)")
    level = v.proportion_level(level)
    if by not in ("council", "region", "council_type"):
        raise ValueError(f"by= must be 'council', 'region' or 'council_type', not {by!r}")
    numerator, denominator = measure, of
    single = year is not None and not v._is_sequence(year)
    dp = v.prepare(cube, numerator, year)
    sds = v.prepare(cube, denominator, year)
    share, source, reason, same = _council_shares(dp, sds)
    if single and not np.isfinite(share).any():
        raise MissingYearError(
            f"{numerator}/{denominator} {v.years_of(dp)[0]}: no council has a share ("
            f"{v.summarise_reasons(reason.ravel())})"
        )
    use_counts = source == "counts"
    dp_count = np.where(use_counts, dp["numerator"].values, np.nan)
    sds_count = np.where(use_counts, sds["numerator"].values, np.nan)
    years = v.years_of(dp)
    if by == "council":
        labels = v.council_frame(dp)
        table = labels.loc[labels.index.repeat(len(years))].reset_index(drop=True)
        table["year"] = np.tile(years, dp.sizes["council"])
        table["dp_count"] = dp_count.ravel()
        table["sds_count"] = sds_count.ravel()
        table["dp_rate"] = dp["value"].values.ravel()
        table["sds_rate"] = sds["value"].values.ravel()
        table["share"] = share.ravel()
        table["council_managed_share"] = u.complement(table["share"])
        table["source"] = source.ravel().astype(str)
        table["same_denominator"] = same.ravel()
        table["reason"] = reason.ravel().astype(str)
        units = dict.fromkeys(("dp_rate", "sds_rate", "share", "council_managed_share"), u.PERCENT)
        units.update(dp_count="people", sds_count="people")
        return MixResult(
            table=table, units=units, of=denominator, by=by, **_census(dp, sds, reason)
        )

    keys, names = v.group_codes(dp, by)
    group_type = "region" if by == "region" else "council type"
    rows = []
    for j, year_j in enumerate(years):
        groups = [(group_type, k, names[k], keys == k) for k in sorted(names)]
        groups.append(("England", ENGLAND_CODE, "England", np.ones(keys.size, bool)))
        for kind, key, name, member in groups:
            num, den, pooled, low, high = pool(dp_count[member, j], sds_count[member, j], level)
            shares = share[member, j]
            n_counts = int(use_counts[member, j].sum())
            n_councils = int(member.sum())
            if n_counts == 0:
                why = "no council has both counts: pooled share not computable"
            elif n_counts < n_councils:
                why = f"pooled over {n_counts} of {n_councils} councils"
            else:
                why = ""
            rows.append(
                {
                    "group_type": kind,
                    "group": key,
                    "group_name": name,
                    "year": year_j,
                    "n_councils": n_councils,
                    "n_shares": int(np.isfinite(shares).sum()),
                    "n_counts": n_counts,
                    "dp_count": num,
                    "sds_count": den,
                    "pooled_share": pooled,
                    "ci_low": low,
                    "ci_high": high,
                    "council_managed_share": float(u.complement(pooled)),
                    "unweighted_mean": float(np.nanmean(shares))
                    if np.isfinite(shares).any()
                    else np.nan,
                    "reason": why,
                }
            )
    table = pd.DataFrame(rows)
    units = dict.fromkeys(
        ("pooled_share", "ci_low", "ci_high", "council_managed_share", "unweighted_mean"), u.PERCENT
    )
    units.update(dp_count="people", sds_count="people")
    return MixResult(table=table, units=units, of=denominator, by=by, **_census(dp, sds, reason))


def _census(dp: xr.Dataset, sds: xr.Dataset, reason: np.ndarray) -> dict[str, Any]:
    out = v.census(dp, np.where(reason == "", v.OK, reason))
    out["label"] = f"{dp.attrs['label']} as a share of {sds.attrs['label'].lower()}"
    return out
