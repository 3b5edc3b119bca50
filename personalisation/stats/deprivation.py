"""Take-up against deprivation: is the variation between councils explained by need?

:func:`deprivation` joins each council's rate in a year to the IMD edition in force then
(IMD 2015 for 2014-15..2018-19, IMD 2019 from 2019-20), carried onto the year's council
geography with :func:`personalisation.covariates` (same area only; councils whose boundaries
changed have no value and are counted out, with the reason).  For every year it gives the
Spearman rank correlation with a confidence interval (Fisher z, standard error
sqrt(1.06 / (n - 3)), Fieller, Hartley and Pearson 1957) and the least-squares line of the
rate (percent) on the deprivation variable.

Examples
--------
>>> import personalisation as pz
>>> cube = pz.load_cube(measures=["sds_users"])                       # doctest: +SKIP
>>> pz.stats.deprivation(cube, "sds_users", [2019, 2021]).summary     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from personalisation.stats import _validate as v

__all__ = ["DeprivationResult", "deprivation", "spearman_interval"]


def spearman_interval(rho: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a Spearman correlation (Fisher z, SE sqrt(1.06 / (n - 3))).

    Examples
    --------
    >>> low, high = spearman_interval(0.5, 103)
    >>> round(low, 3), round(high, 3)
    (0.334, 0.636)
    """
    if n <= 3 or not np.isfinite(rho) or abs(rho) >= 1:
        return float("nan"), float("nan")
    z = np.arctanh(rho)
    half = sps.norm.ppf(0.5 + level / 2) * np.sqrt(1.06 / (n - 3))
    return float(np.tanh(z - half)), float(np.tanh(z + half))


@dataclass
class DeprivationResult:
    """Take-up against deprivation, by year.

    Attributes
    ----------
    councils
        One row per council and year: ``council, council_name, region_name, year, rate``
        (percent), ``deprivation`` (the IMD variable), ``edition, vintage, included``,
        ``reason`` (why a council is left out), ``fitted``, ``residual``.
    summary
        One row per year: ``year, period, edition, variable, n, excluded, spearman,
        ci_low, ci_high, p_value, slope`` (rate points per unit of the variable),
        ``intercept, r_squared``.
    """

    measure: str
    variable: str
    councils: pd.DataFrame
    summary: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-year summary table."""
        return self.summary.copy()

    def _repr_html_(self) -> str:
        return (
            f"<p><b>{self.measure} against {self.variable}</b> ({self.attrs.get('note', '')})</p>"
            + self.summary.to_html(index=False, float_format=lambda x: f"{x:.3f}")
        )


def deprivation(
    cube: xr.Dataset,
    measure: str = "sds_users",
    year: Any = None,
    *,
    variable: str = "imd_average_score",
    level: float = 0.95,
    data_dir: Any = None,
) -> DeprivationResult:
    """Council take-up against deprivation, with the rank correlation and a fitted line per year.

    Parameters
    ----------
    cube
        The cube (council geography as published each year).
    measure
        Rate measure (default ``sds_users``).
    year
        One year, several, or ``None`` (every year from 2015 with values).
    variable
        IMD variable (:data:`personalisation.build.readers.imd.IMD_VARIABLES` values),
        default the average score (higher = more deprived).
    level
        Confidence level of the correlation interval.
    data_dir
        Folder of the shipped data (for ``covariates.csv``).

    Returns
    -------
    DeprivationResult

    Raises
    ------
    MissingYearError
        A year not in the cube.
    """
    from personalisation.covariate_tables import covariates, edition_for_year

    ds = v.prepare(cube, measure, year)
    years = [y for y in v.years_of(ds) if y >= 2015]
    rates = ds["value"]
    vintages = (
        dict(
            zip(
                cube["year"].values.tolist(), cube["geography_vintage"].values.tolist(), strict=True
            )
        )
        if "geography_vintage" in cube.coords
        else {}
    )
    frames, summary = [], []
    for y in years:
        edition = edition_for_year(y)
        vintage = str(vintages.get(y, "")) or None
        imd = covariates(edition, vintage=vintage, variables=[variable], data_dir=data_dir)
        imd = imd.set_index("council_code")
        rate = rates.sel(year=y).to_series()
        table = v.council_frame(ds)[["council", "council_name", "region_name"]].copy()
        table["year"] = y
        table["rate"] = rate.reindex(table["council"]).to_numpy()
        table["deprivation"] = imd["value"].reindex(table["council"]).to_numpy()
        table["edition"] = edition
        table["vintage"] = vintage or ""
        status = imd["status"].reindex(table["council"]).fillna("not in the IMD geography")
        reason = np.where(
            ~np.isfinite(table["rate"]),
            "no published rate",
            np.where(
                ~np.isfinite(table["deprivation"]),
                "no IMD value: " + status.astype(str).to_numpy(),
                "",
            ),
        )
        table["reason"] = reason
        table["included"] = table["reason"] == ""
        inside = table[table["included"]]
        n = int(len(inside))
        row = {
            "year": y,
            "period": f"{y - 1}-{str(y)[-2:]}",
            "edition": edition,
            "variable": variable,
            "n": n,
            "excluded": int((~table["included"] & np.isfinite(table["rate"])).sum()),
        }
        if n >= 4:
            rho, p = sps.spearmanr(inside["deprivation"], inside["rate"])
            low, high = spearman_interval(float(rho), n, level)
            slope, intercept = np.polyfit(inside["deprivation"], inside["rate"], 1)
            fitted = intercept + slope * inside["deprivation"]
            ss_res = float(((inside["rate"] - fitted) ** 2).sum())
            ss_tot = float(((inside["rate"] - inside["rate"].mean()) ** 2).sum())
            row |= {
                "spearman": float(rho),
                "ci_low": low,
                "ci_high": high,
                "p_value": float(p),
                "slope": float(slope),
                "intercept": float(intercept),
                "r_squared": 1 - ss_res / ss_tot if ss_tot > 0 else np.nan,
            }
            table["fitted"] = intercept + slope * table["deprivation"]
        else:
            row |= dict.fromkeys(
                ("spearman", "ci_low", "ci_high", "p_value", "slope", "intercept", "r_squared"),
                np.nan,
            )
            table["fitted"] = np.nan
        table["residual"] = table["rate"] - table["fitted"]
        summary.append(row)
        frames.append(table)
    councils = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return DeprivationResult(
        measure=measure,
        variable=variable,
        councils=councils,
        summary=pd.DataFrame(summary),
        attrs={
            "level": level,
            "note": "IMD 2015 for 2014-15..2018-19, IMD 2019 from 2019-20; same-area lineage only",
        },
    )
