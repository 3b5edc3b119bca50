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
>>> cube = pz.load_cube(measures=["sds_users"])
>>> result = pz.stats.deprivation(cube, "sds_users", [2019, 2021])
>>> result.to_frame()["n"].tolist()  # councils with a rate and an IMD value
[152, 150]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats as sps

from personalisation import units as u
from personalisation.errors import MissingYearError
from personalisation.periods import year_to_period
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result

__all__ = ["DeprivationResult", "deprivation", "spearman_interval"]

#: The first year with an IMD edition held (IMD 2015, set against 2014-15 on).
FIRST_YEAR = 2015


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


@dataclass(frozen=True, repr=False, kw_only=True)
class DeprivationResult(Result):
    """Result of :func:`deprivation`: one row per year (the table), plus the councils.

    Columns of the table: ``year, period, edition, variable, n, excluded_count,
    spearman, ci_low, ci_high`` (of the Spearman correlation), ``p_value, slope`` (rate
    points, percent, per unit of the variable), ``intercept`` (percent), ``r_squared``.

    Attributes
    ----------
    councils
        One row per council and year: ``council, council_name, region_name, year, rate``
        (percent), ``deprivation`` (the IMD variable), ``edition, vintage, included``,
        ``reason`` (why a council is left out), ``fitted``, ``residual`` (percent).
    variable
        The IMD variable.
    level
        Confidence level of the correlation interval.
    """

    councils: pd.DataFrame = None
    variable: str = ""
    level: float = 0.95
    kind: ClassVar[str] = "Take-up against deprivation"

    @property
    def summary(self) -> pd.DataFrame:
        """The per-year table (same as :attr:`table`)."""
        return self.table

    def _caption_extra(self) -> str:
        level = u.format_rate(float(u.to_percent(self.level)), 0)
        return f"against {self.variable}; Spearman {level} intervals"


_SUMMARY_COLUMNS = (
    "year",
    "period",
    "edition",
    "variable",
    "n",
    "excluded_count",
    "spearman",
    "ci_low",
    "ci_high",
    "p_value",
    "slope",
    "intercept",
    "r_squared",
)


def deprivation(
    cube: xr.Dataset,
    measure: str = "sds_users",
    year: Years = None,
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
        One year, several, or ``None`` (every year from 2014-15 with values; the IMD
        2015 is the first edition held).
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
        The per-year table (``.to_frame()``) and the councils (``.councils``); rates,
        fitted values and residuals in percent.

    Raises
    ------
    MissingYearError
        A year not in the cube, or only years before 2014-15 (no IMD edition held).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> result = pz.stats.deprivation(cube, "sds_users", [2019, 2021])
    >>> result.to_frame()[["period", "edition"]].values.tolist()
    [['2018-19', 'IMD 2015'], ['2020-21', 'IMD 2019']]
    >>> bool((result.councils["reason"][~result.councils["included"]] != "").all())
    True
    """
    from personalisation.covariate_tables import covariates, edition_for_year

    ds = v.prepare(cube, measure, year)
    held = v.years_of(ds)
    years = [y for y in held if y >= FIRST_YEAR]
    if not years:
        raise MissingYearError(
            f"{ds.attrs['measure']}: no year from {year_to_period(FIRST_YEAR)} on "
            f"(the first IMD edition held is IMD 2015); years asked: {', '.join(map(str, held))}"
        )
    ds = ds.sel(year=years)
    why = v.reasons(ds, counts=False).values.copy()
    vintages = (
        dict(
            zip(
                cube["year"].values.tolist(), cube["geography_vintage"].values.tolist(), strict=True
            )
        )
        if "geography_vintage" in cube.coords
        else {}
    )
    labels = v.council_frame(ds)[["council", "council_name", "region_name"]]
    frames, summary = [], []
    for j, y in enumerate(years):
        edition = edition_for_year(y)
        vintage = str(vintages.get(y, "")) or None
        imd = covariates(edition, vintage=vintage, variables=[variable], data_dir=data_dir)
        imd = imd.set_index("council_code")
        table = labels.copy()
        table["year"] = y
        usable = why[:, j] == v.OK
        table["rate"] = np.where(usable, ds["value"].isel(year=j).values, np.nan)
        table["deprivation"] = imd["value"].reindex(table["council"]).to_numpy()
        table["edition"] = edition
        table["vintage"] = vintage or ""
        status = imd["status"].reindex(table["council"]).fillna("not in the IMD geography")
        no_imd = usable & ~np.isfinite(table["deprivation"].to_numpy())
        why[no_imd, j] = "no IMD value"
        table["reason"] = np.where(
            no_imd, "no IMD value: " + status.astype(str).to_numpy(), why[:, j].astype(str)
        )
        table["included"] = table["reason"] == v.OK
        inside = table[table["included"]]
        n = int(len(inside))
        in_force = ds["status"].isel(year=j).values.astype(str) != v.NOT_IN_GEOGRAPHY
        row: dict[str, Any] = {
            "year": y,
            "period": year_to_period(y),
            "edition": edition,
            "variable": variable,
            "n": n,
            "excluded_count": int((~table["included"].to_numpy() & in_force).sum()),
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
    units = {"intercept": u.PERCENT}
    units.update(dict.fromkeys(("spearman", "ci_low", "ci_high", "p_value", "r_squared"), "1"))
    return DeprivationResult(
        table=pd.DataFrame(summary, columns=list(_SUMMARY_COLUMNS)),
        units=units,
        notes=(
            "IMD 2015 for 2014-15..2018-19, IMD 2019 from 2019-20; councils whose boundaries "
            "changed since the IMD's geography are left out (same-area lineage only)",
            *(n for n in (v.rounded_note(ds),) if n),
        ),
        councils=pd.concat(frames, ignore_index=True),
        variable=variable,
        level=level,
        **v.census(ds, why),
    )
