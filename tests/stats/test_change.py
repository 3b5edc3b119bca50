"""Change over time, convergence and rank stability."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from personalisation import stats
from personalisation.errors import MissingYearError


def test_change_by_hand(build):
    value = [[10.0, 30.0], [50.0, 55.0], [40.0, 20.0], [np.nan, 60.0]]
    status = [["published"] * 2, ["published"] * 2, ["published"] * 2, ["suppressed", "published"]]
    cube = build(value=value, status=status, years=[2015, 2019])
    table = stats.change(cube, "sds_users", 2015, "2018-19")
    np.testing.assert_allclose(table["change"], [0.2, 0.05, -0.2, np.nan])
    np.testing.assert_allclose(table["change_per_year"], [0.05, 0.0125, -0.05, np.nan])
    assert table["rank_start"].tolist()[:3] == [3.0, 1.0, 2.0]
    assert table["rank_end"].tolist()[:3] == [2.0, 1.0, 3.0]
    assert table["rank_change"].tolist()[:3] == [1.0, 0.0, -1.0]
    assert table.loc[3, "reason"] == "2015: suppressed"
    assert table.attrs["n"] == 3
    assert table.attrs["spearman"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="before"):
        stats.change(cube, "sds_users", 2019, 2015)
    with pytest.raises(MissingYearError):
        stats.change(cube, "sds_users", 2015, 2016)


def test_change_works_in_rate_only_years(build):
    cube = build(value=[[10.0, 20.0], [30.0, 35.0]], years=[2022, 2024])
    table = stats.change(cube, "sds_users")
    np.testing.assert_allclose(table["change"], [0.1, 0.05])


def test_convergence_by_hand(build):
    # low starters gain more: 10 -> 40, 30 -> 45, 50 -> 50, 70 -> 55
    value = [[10.0, 25.0, 40.0], [30.0, 37.0, 45.0], [50.0, 50.0, 50.0], [70.0, 62.0, 55.0]]
    cube = build(value=value, years=[2015, 2016, 2017])
    result = stats.convergence(cube, "sds_users")
    start = np.array([0.1, 0.3, 0.5, 0.7])
    end = np.array([0.4, 0.45, 0.5, 0.55])
    fit = sps.linregress(start, end - start)
    assert result.beta["beta"] == pytest.approx(fit.slope) and result.beta["beta"] < 0
    assert result.beta["n"] == 4 and result.beta["r2"] == pytest.approx(fit.rvalue**2)
    assert result.beta_converging
    np.testing.assert_allclose(
        result.sigma["std"].iloc[[0, 2]], [start.std(ddof=1), end.std(ddof=1)]
    )
    assert result.sigma_slope < 0 and result.sigma_converging
    # ranks never change here
    assert result.ranks["spearman"].tolist() == [1.0, 1.0, 1.0]
    assert result.ranks[["year_from", "year_to"]].values.tolist() == [
        [2015, 2016],
        [2016, 2017],
        [2015, 2017],
    ]


def test_convergence_diverging_and_too_few(build):
    value = [[40.0, 10.0], [45.0, 30.0], [50.0, 50.0], [55.0, 90.0]]
    result = stats.convergence(build(value=value, years=[2015, 2016]), "sds_users")
    assert result.beta["beta"] > 0 and not result.beta_converging
    assert np.isnan(result.sigma_slope)  # two years: no trend
    few = build(value=[[10.0, 20.0], [30.0, 40.0]], years=[2015, 2016])
    with pytest.raises(MissingYearError, match="fewer than three"):
        stats.convergence(few, "sds_users")
