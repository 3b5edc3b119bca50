"""Targets: which councils reached a threshold by a date, and how many fell under a second one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.errors import MissingYearError
from personalisation.stats import _validate as v
from personalisation.stats.regional import ENGLAND_CODE

#: Tolerance when comparing a published percentage with a threshold (30.0% meets 0.3).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class TargetResult:
    """Result of :func:`targets`.

    Attributes
    ----------
    councils
        One row per council: ``council, council_name, council_type, region_code,
        region_name, year, rate, met, below_lower, reason``.  ``met`` and
        ``below_lower`` are nullable booleans (``<NA>`` when the council has no value,
        with the ``reason``; ``below_lower`` is ``<NA>`` for everyone when no lower
        threshold is given).
    summary
        One row per region (or council type) and one England row: ``group_type, group,
        group_name, n_councils, n_assessed, n_met, share_met, n_below_lower,
        councils_met, councils_below_lower, excluded``.  ``share_met = n_met /
        n_assessed``; the council lists are names joined by ``'; '``.
    measure, year, threshold, lower
        What was asked.
    """

    councils: pd.DataFrame
    summary: pd.DataFrame
    measure: str
    year: int
    threshold: float
    lower: float | None

    @property
    def met(self) -> list[str]:
        """Codes of the councils that met the threshold."""
        return self.councils.loc[
            self.councils["met"].fillna(False).astype(bool), "council"
        ].tolist()


def targets(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Any = None,
    threshold: float = 0.3,
    *,
    lower: float | None = None,
    by: str = "region",
) -> TargetResult:
    """How many and which councils reached ``threshold`` by ``year``.

    A council meets the target when its published rate is at least the threshold
    (``value >= 100 * threshold``, so a published 30.0% meets 0.3).  It is below the
    lower threshold when its rate is strictly under ``lower``.

    Parameters
    ----------
    cube
        The cube or a cut of it (values are enough).
    measure
        Rate measure id.
    year
        The year by which the target applies: ``2011`` or ``"2010-11"`` (the year ending
        March 2011).
    threshold
        Target as a proportion (30% is ``0.3``; 100% is ``1.0``).
    lower
        Optional second threshold (e.g. ``0.2``): councils under it are counted too.
    by
        ``"region"`` or ``"council_type"``.

    Returns
    -------
    TargetResult
        ``.councils`` (one row per council) and ``.summary`` (one row per group plus
        England); see :class:`TargetResult`.

    Raises
    ------
    MissingYearError
        Unknown year, or no council has a value that year.
    ValueError
        Thresholds outside [0, 1] or a count measure.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> result = targets(make_cube(n_councils=6), "sds_users", 2015, 0.7, lower=0.5)
    >>> list(result.summary.columns[:5])
    ['group_type', 'group', 'group_name', 'n_councils', 'n_assessed']
    >>> int(result.summary.iloc[-1].n_met) == int(result.councils.met.sum())
    True
    """
    threshold = v.check_threshold(threshold, "threshold")
    if lower is not None:
        lower = v.check_threshold(lower, "lower")
    if year is None or v._is_sequence(year):
        raise MissingYearError("targets needs one year (the date of the target), e.g. year=2011")
    ds = v.prepare(cube, measure, year, require_single_year=True)
    if ds.attrs["kind"] != "rate":
        raise ValueError(f"{ds.attrs['measure']} is a count measure; targets need a rate")
    year_int = v.years_of(ds)[0]
    why = v.reasons(ds, counts=False).values[:, 0]
    ok = why == v.OK
    if not ok.any():
        raise MissingYearError(
            f"{ds.attrs['measure']} {year_int}: no council has a value ({v.summarise_reasons(why)})"
        )
    value = ds["value"].values[:, 0]
    councils = v.council_frame(ds)
    councils["year"] = year_int
    councils["rate"] = value / 100.0
    met = pd.array(value >= 100 * threshold - TOLERANCE, dtype="boolean")
    met[~ok] = pd.NA
    councils["met"] = met
    below = pd.array(
        value < 100 * lower - TOLERANCE if lower is not None else np.zeros(value.size, bool),
        dtype="boolean",
    )
    if lower is None:
        below[:] = pd.NA
    below[~ok] = pd.NA
    councils["below_lower"] = below
    councils["reason"] = why.astype(str)

    keys, names = v.group_codes(ds, by)
    group_type = "region" if by == "region" else "council type"
    rows = [_summary_row(group_type, k, names[k], keys == k, councils) for k in sorted(names)]
    rows.append(
        _summary_row("England", ENGLAND_CODE, "England", np.ones(keys.size, bool), councils)
    )
    summary = pd.DataFrame(rows)
    if lower is None:
        summary["n_below_lower"] = np.nan
    return TargetResult(councils, summary, ds.attrs["measure"], year_int, threshold, lower)


def _summary_row(
    group_type: str, key: str, name: str, member: np.ndarray, councils: pd.DataFrame
) -> dict[str, Any]:
    part = councils.loc[member]
    assessed = part["met"].notna()
    met = part["met"].fillna(False).astype(bool)
    below = part["below_lower"].fillna(False).astype(bool)
    n_assessed = int(assessed.sum())
    return {
        "group_type": group_type,
        "group": key,
        "group_name": name,
        "n_councils": int(member.sum()),
        "n_assessed": n_assessed,
        "n_met": int(met.sum()),
        "share_met": met.sum() / n_assessed if n_assessed else np.nan,
        "n_below_lower": int(below.sum()),
        "councils_met": "; ".join(sorted(part.loc[met, "council_name"])),
        "councils_below_lower": "; ".join(sorted(part.loc[below, "council_name"])),
        "excluded": v.summarise_reasons(part["reason"]),
    }
