"""Change over time, convergence, rank stability and series breaks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as sps
from scipy.special import logit

from personalisation import stats
from personalisation.errors import MissingYearError, SeriesBreakWarning


def test_change_by_hand(build):
    value = [[10.0, 30.0], [50.0, 55.0], [40.0, 20.0], [np.nan, 60.0]]
    status = [["published"] * 2, ["published"] * 2, ["published"] * 2, ["suppressed", "published"]]
    cube = build(value=value, status=status, years=[2015, 2019])
    result = stats.change(cube, "sds_users", [2015, "2018-19"])
    table = result.to_frame()
    np.testing.assert_allclose(table["change"], [20.0, 5.0, -20.0, np.nan])
    np.testing.assert_allclose(table["change_per_year"], [5.0, 1.25, -5.0, np.nan])
    assert table["rank_start"].tolist()[:3] == [3.0, 1.0, 2.0]
    assert table["rank_end"].tolist()[:3] == [2.0, 1.0, 3.0]
    assert table["rank_change"].tolist()[:3] == [1.0, 0.0, -1.0]
    assert table.loc[3, "reason"] == "2015: suppressed"
    assert result.n == 3 and result.units["change"] == "percent"
    assert result.spearman == pytest.approx(0.5)
    assert (result.first_year, result.last_year) == (2015, 2019)
    with pytest.raises(ValueError, match="at least two years"):
        stats.change(cube, "sds_users", 2019)
    with pytest.raises(MissingYearError):
        stats.change(cube, "sds_users", [2015, 2016])


def test_change_works_in_rate_only_years(build):
    cube = build(value=[[10.0, 20.0], [30.0, 35.0]], years=[2022, 2023])
    np.testing.assert_allclose(stats.change(cube, "sds_users")["change"], [10.0, 5.0])


def test_default_years_are_the_first_and_last_with_values(build):
    value = [[np.nan, 10.0, 20.0, np.nan], [np.nan, 30.0, 35.0, np.nan], [np.nan, 5, 9, np.nan]]
    status = [["not-collected", "published", "published", "not-collected"]] * 3
    cube = build(value=value, status=status, years=[2016, 2017, 2018, 2019])
    result = stats.change(cube, "sds_users")
    assert (result.first_year, result.last_year) == (2017, 2018)
    assert stats.convergence(cube, "sds_users").years == (2017, 2018)


def test_change_across_a_series_break_warns_names_it_and_can_stop(build):
    # the registry puts an ASCOF break at 2023-24 (the 3D refresh)
    value = [[10.0, 20.0, 30.0], [30.0, 35.0, 50.0], [50.0, 40.0, 45.0]]
    cube = build(value=value, years=[2022, 2023, 2024])
    with pytest.warns(SeriesBreakWarning, match="2023-24: ASCOF refresh"):
        result = stats.change(cube, "sds_users")
    assert len(result.breaks) == 1 and result.breaks[0].startswith("2023-24")
    assert any("series break" in note for note in result.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = stats.change(cube, "sds_users", breaks="stop")
        quiet = stats.change(cube, "sds_users", breaks="ignore")
    assert (stopped.first_year, stopped.last_year) == (2022, 2023) and stopped.breaks == ()
    assert quiet.breaks == result.breaks
    with pytest.warns(SeriesBreakWarning):
        conv = stats.convergence(cube, "sds_users")
    assert conv.breaks == result.breaks
    with pytest.raises(ValueError, match="breaks must be"):
        stats.change(cube, "sds_users", breaks="no")


def test_convergence_by_hand(build):
    # low starters gain more: 10 -> 40, 30 -> 45, 50 -> 50, 70 -> 55
    value = [[10.0, 25.0, 40.0], [30.0, 37.0, 45.0], [50.0, 50.0, 50.0], [70.0, 62.0, 55.0]]
    cube = build(value=value, years=[2016, 2017, 2018])
    result = stats.convergence(cube, "sds_users")
    start = np.array([10.0, 30.0, 50.0, 70.0])
    end = np.array([40.0, 45.0, 50.0, 55.0])
    fit = sps.linregress(start, end - start)
    assert result.beta == pytest.approx(fit.slope) and result.beta < 0
    assert result.beta_n == 4 and result.beta_r2 == pytest.approx(fit.rvalue**2)
    assert result.beta_converging
    np.testing.assert_allclose(result["sd"].iloc[[0, 2]], [start.std(ddof=1), end.std(ddof=1)])
    np.testing.assert_allclose(
        result["iqr"].iloc[[0, 2]],
        [np.subtract(*np.percentile(start, [75, 25])), np.subtract(*np.percentile(end, [75, 25]))],
    )
    assert result.sigma_slope < 0 and result.sigma_converging and result.iqr_slope < 0
    # ranks never change here
    assert result.ranks["spearman"].tolist() == [1.0, 1.0, 1.0]
    assert result.ranks[["year_from", "year_to"]].values.tolist() == [
        [2016, 2017],
        [2017, 2018],
        [2016, 2018],
    ]


def test_convergence_on_the_logit_scale(build):
    value = [[10.0, 40.0], [30.0, 45.0], [50.0, 50.0], [100.0, 99.0]]
    cube = build(value=value, years=[2016, 2017])
    result = stats.convergence(cube, "sds_users", scale="logit")
    # 100% is moved half a publication step (0.05 points) inside before the logit
    start = logit(np.array([0.10, 0.30, 0.50, 0.9995]))
    np.testing.assert_allclose(result["sd"].iloc[0], start.std(ddof=1))
    assert result.scale == "logit" and result.units["sd"] == "1"


def test_convergence_diverging_and_too_few(build):
    value = [[40.0, 10.0], [45.0, 30.0], [50.0, 50.0], [55.0, 90.0]]
    result = stats.convergence(build(value=value, years=[2016, 2017]), "sds_users")
    assert result.beta > 0 and not result.beta_converging
    assert np.isnan(result.sigma_slope)  # two years: no trend
    few = build(value=[[10.0, 20.0], [30.0, 40.0]], years=[2016, 2017])
    with pytest.raises(MissingYearError, match="fewer than three"):
        stats.convergence(few, "sds_users")
