"""Variation across councils, checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError
from personalisation.testing import make_cube

# councils 1..6 at 10%..60% (denominator 100), then one suppressed council;
# regions alternate: North East holds councils 1, 3, 5 (and 7), North West 2, 4, 6
NUM = [10, 20, 30, 40, 50, 60, np.nan]
DEN = [100, 100, 100, 100, 100, 100, np.nan]
STATUS = ["published"] * 6 + ["suppressed"]


@pytest.fixture
def six(build):
    return build(NUM, DEN, status=STATUS)


def test_hand_computed_statistics(six):
    result = stats.variation(six, "sds_users", 2015)
    row = result.row()
    assert int(row["year"]) == 2015 and len(result) == 1
    assert int(row["n_councils"]) == 6 and int(row["n_excluded"]) == 1
    assert row["excluded"] == "suppressed: 1" and result.excluded == "suppressed: 1"
    assert float(row["lowest"]) == pytest.approx(10.0)
    assert row["lowest_codes"] == "E06000001" and row["lowest_councils"] == "Council 1"
    assert float(row["highest"]) == pytest.approx(60.0)
    assert row["highest_councils"] == "Council 6" and int(row["n_highest"]) == 1
    # linear-interpolation quantiles of 10..60 (percent)
    expected = {"p10": 15.0, "q1": 22.5, "p50": 35.0, "q3": 47.5, "p90": 55.0, "iqr": 25.0}
    for name, value in expected.items():
        assert float(row[name]) == pytest.approx(value), name
    assert float(row["p90_p10_ratio"]) == pytest.approx(55 / 15)
    assert float(row["unweighted_mean"]) == pytest.approx(35.0)
    assert float(row["sd"]) == pytest.approx(np.sqrt(350.0))
    assert float(row["cv"]) == pytest.approx(np.sqrt(350.0) / 35)
    # Gini of 1..6: sum|i-j| = 70 over 2 * 36 * 3.5
    assert float(row["gini"]) == pytest.approx(70 / 252)
    # region means 30 and 40 about 35: between SS 150 of total SS 1750
    assert float(row["between_region_share"]) == pytest.approx(150 / 1750)
    assert float(row["pooled_rate"]) == pytest.approx(100 * 210 / 600)
    assert result.units["p50"] == "percent" and result.units["gini"] == "1"
    assert result.n_used == (6,) and result.n_in_force == (7,)


def test_gini_and_between_share_edge_cases():
    assert stats.gini(np.array([0.0, 0.0])) != stats.gini(np.array([0.0, 0.0]))  # NaN
    assert stats.gini(np.array([5.0])) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        stats.gini(np.array([-1.0, 2.0]))
    assert np.isnan(stats.between_share(np.array([1.0, 1.0]), np.array(["a", "b"])))
    assert np.isnan(stats.between_share(np.array([1.0]), np.array(["a"])))


def test_ties_at_the_extremes_are_all_reported(build):
    result = stats.variation(build([50, 50, 10, 10, 30], [100] * 5), "sds_users", 2015)
    row = result.row()
    assert int(row["n_highest"]) == 2
    assert row["highest_codes"] == "E06000001; E06000002"
    assert row["highest_councils"] == "Council 1; Council 2"
    assert int(row["n_lowest"]) == 2 and row["lowest_codes"] == "E06000003; E06000004"


def test_all_years_at_once_equals_year_by_year():
    cube = make_cube(n_councils=15, years=[2015, 2016, 2017], missing_fraction=0.2, seed=3)
    every = stats.variation(cube, "sds_users")
    assert every["year"].tolist() == [2015, 2016, 2017]
    for year in (2015, 2016, 2017):
        one = stats.variation(cube, "sds_users", year).row()
        for name in ("p50", "gini", "cv", "between_region_share", "pooled_rate", "n_councils"):
            np.testing.assert_allclose(every.row(year)[name], one[name])
        assert every.row(year)["highest_codes"] == one["highest_codes"]
    subset = stats.variation(cube, "sds_users", [2017, 2015])
    assert subset["year"].tolist() == [2017, 2015]


def test_rate_only_year_gives_spread_but_no_pooled_rate(build):
    cube = build(value=[10.0, 20.0, 30.0, 40.0], years=[2020])
    result = stats.variation(cube, "sds_users", 2020).row()
    assert float(result["p50"]) == pytest.approx(25.0)
    assert np.isnan(float(result["pooled_rate"]))


def test_count_measure_keeps_counts(build):
    cube = build(value=[100.0, 300.0], measure="dp_clients")
    result = stats.variation(cube, "dp_clients", 2015)
    assert float(result.row()["highest"]) == 300 and result.units["highest"] == "people"
    assert np.isnan(float(result.row()["pooled_rate"]))


def test_year_with_no_values(build):
    cube = build(
        value=[[10.0, np.nan], [20.0, np.nan]],
        status=[["published", "not-collected"]] * 2,
        years=[2015, 2016],
    )
    with pytest.raises(MissingYearError, match="has a value in 2016 \\(not-collected: 2\\)"):
        stats.variation(cube, "sds_users", 2016)
    every = stats.variation(cube, "sds_users")
    assert int(every.row(2016)["n_councils"]) == 0
    assert np.isnan(float(every.row(2016)["p50"]))
    assert every.row(2016)["excluded"] == "not-collected: 2"
