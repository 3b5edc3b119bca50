"""Targets: which councils reached a threshold, when they first did, and who fell under a second."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result
from personalisation.stats.regional import ENGLAND_CODE

#: Tolerance when comparing a published percentage with a threshold (30.0% meets 30%).
TOLERANCE = 1e-9


@dataclass(frozen=True, repr=False, kw_only=True)
class TargetResult(Result):
    """Result of :func:`targets`.

    ``table`` has one row per council and year: ``council, council_name, council_type,
    region_code, region_name, year, rate`` (published, percent), ``met`` and
    ``below_lower`` (nullable booleans: ``<NA>`` when the council has no usable value,
    with the ``reason``; ``below_lower`` is ``<NA>`` for everyone without a lower
    threshold), ``reason``.

    Attributes
    ----------
    councils
        One row per council: ``council, council_name, council_type, region_code,
        region_name, first_year_met`` (the first year asked in which it met the
        threshold; ``<NA>`` if never), ``first_period_met``, ``n_years_assessed``,
        ``n_years_met``, ``met_last`` (met in the last year asked).
    summary
        One row per year and group (region or council type), then England:
        ``year, group_type, group, group_name, n_councils, n_assessed, n_met, share_met``
        (percent of those assessed), ``n_below_lower, councils_met,
        councils_below_lower, excluded``; the council lists are names joined by ``'; '``.
    threshold, lower
        The thresholds, in percent.
    by
        Grouping of the summary.
    """

    councils: pd.DataFrame
    summary: pd.DataFrame
    threshold: float = np.nan
    lower: float | None = None
    by: str = "region"
    kind: ClassVar[str] = "Councils meeting a target"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name",
        "year",
        "rate",
        "met",
        "below_lower",
        "reason",
    )

    @property
    def met(self) -> list[str]:
        """Codes of the councils that met the threshold in the last year asked."""
        last = self.table[self.table["year"] == self.years[-1]]
        return last.loc[last["met"].fillna(False).astype(bool), "council"].tolist()

    def _caption_extra(self) -> str:
        lower = f", lower {u.format_rate(self.lower)}" if self.lower is not None else ""
        return f"threshold {u.format_rate(self.threshold)}{lower}"


def targets(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    threshold: Any = "30%",
    lower: Any = None,
    by: str = "region",
) -> TargetResult:
    """How many and which councils reached ``threshold``, in each year asked, and when first.

    A council meets the target in a year when its published rate is at least the
    threshold (a published 30.0% meets ``"30%"``); it is below the lower threshold when
    its rate is strictly under ``lower``.

    Parameters
    ----------
    cube
        The cube or a Dataset cut from it (values are enough).
    measure
        Rate measure id.
    year
        One year (``2011`` or ``"2010-11"``), several years, or ``None`` (every year).
    threshold
        Target rate: ``"30%"``, ``proportion(0.3)`` or a bare ``30`` (percent; a bare
        number in (0, 1] is refused as ambiguous: see :func:`personalisation.units.parse_rate`).
    lower
        Optional second threshold (e.g. ``"20%"``): councils under it are counted too.
    by
        ``"region"`` or ``"council_type"``.

    Returns
    -------
    TargetResult
        ``.table`` (council x year), ``.councils`` (first year met per council) and
        ``.summary`` (per year and group, plus England); see :class:`TargetResult`.

    Raises
    ------
    MissingYearError
        Unknown year, or no council has a value in the years asked.
    ValueError
        Unreadable or ambiguous thresholds, or a count measure.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = targets(make_cube(n_councils=6), "sds_users", 2015, threshold="70%", lower="50%")
    >>> list(result.summary.columns[:5])
    ['year', 'group_type', 'group', 'group_name', 'n_councils']
    >>> int(result.summary.iloc[-1].n_met) == int(result["met"].sum())
    True
    """
    threshold_pct = v.check_threshold(threshold, "threshold")
    lower_pct = v.check_threshold(lower, "lower") if lower is not None else None
    ds = v.prepare(cube, measure, year)
    if ds.attrs["kind"] != "rate":
        raise ValueError(f"{ds.attrs['measure']} is a count measure; targets need a rate")
    why = v.reasons(ds, counts=False).values
    ok = why == v.OK
    if not ok.any():
        raise MissingYearError(
            f"{ds.attrs['measure']} {', '.join(map(str, v.years_of(ds)))}: no council has a "
            f"value ({v.summarise_reasons(why.ravel())})"
        )
    years = v.years_of(ds)
    value = ds["value"].values
    labels = v.council_frame(ds)
    table = labels.loc[labels.index.repeat(len(years))].reset_index(drop=True)
    table["year"] = np.tile(years, ds.sizes["council"])
    table["rate"] = np.where(ok, value, np.nan).ravel()
    met = pd.array((value >= threshold_pct - TOLERANCE).ravel(), dtype="boolean")
    met[~ok.ravel()] = pd.NA
    table["met"] = met
    if lower_pct is not None:
        below = pd.array((value < lower_pct - TOLERANCE).ravel(), dtype="boolean")
    else:
        below = pd.array(np.zeros(value.size, bool), dtype="boolean")
        below[:] = pd.NA
    below[~ok.ravel()] = pd.NA
    table["below_lower"] = below
    table["reason"] = why.ravel().astype(str)

    met_2d = np.asarray(met.fillna(False), dtype=bool).reshape(value.shape)
    first = [next((y for y, m in zip(years, row, strict=True) if m), None) for row in met_2d]
    councils = labels.copy()
    councils["first_year_met"] = pd.array(first, dtype="Int64")
    from personalisation.measures import year_to_period

    councils["first_period_met"] = [year_to_period(y) if y else "" for y in first]
    councils["n_years_assessed"] = ok.sum(axis=1)
    councils["n_years_met"] = met_2d.sum(axis=1)
    last_met = pd.array(met_2d[:, -1], dtype="boolean")
    last_met[~ok[:, -1]] = pd.NA
    councils["met_last"] = last_met

    keys, names = v.group_codes(ds, by)
    group_type = "region" if by == "region" else "council type"
    rows = []
    for year_j in years:
        part = table[table["year"] == year_j].reset_index(drop=True)
        for k in sorted(names):
            rows.append(_summary_row(year_j, group_type, k, names[k], keys == k, part))
        rows.append(
            _summary_row(year_j, "England", ENGLAND_CODE, "England", np.ones(keys.size, bool), part)
        )
    summary = pd.DataFrame(rows)
    if lower_pct is None:
        summary["n_below_lower"] = np.nan
    return TargetResult(
        table=table,
        councils=councils,
        summary=summary,
        units={"rate": u.PERCENT},
        threshold=threshold_pct,
        lower=lower_pct,
        by=by,
        **v.census(ds, why),
    )


def _summary_row(
    year: int, group_type: str, key: str, name: str, member: np.ndarray, part: pd.DataFrame
) -> dict[str, Any]:
    part = part.loc[member]
    assessed = part["met"].notna()
    met = part["met"].fillna(False).astype(bool)
    below = part["below_lower"].fillna(False).astype(bool)
    n_assessed = int(assessed.sum())
    return {
        "year": year,
        "group_type": group_type,
        "group": key,
        "group_name": name,
        "n_councils": int(member.sum()),
        "n_assessed": n_assessed,
        "n_met": int(met.sum()),
        "share_met": float(u.ratio_to_percent(met.sum(), n_assessed)) if n_assessed else np.nan,
        "n_below_lower": int(below.sum()),
        "councils_met": "; ".join(sorted(part.loc[met, "council_name"])),
        "councils_below_lower": "; ".join(sorted(part.loc[below, "council_name"])),
        "excluded": v.summarise_reasons(part["reason"]),
    }
