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
    assert int(result["year"]) == 2015 and result["gini"].dims == ()
    assert int(result["n_councils"]) == 6 and int(result["n_excluded"]) == 1
    assert result["excluded"].item() == "suppressed: 1"
    assert float(result["min"]) == pytest.approx(0.1)
    assert result["min_council"].item() == "E06000001"
    assert result["min_council_name"].item() == "Council 1"
    assert float(result["max"]) == pytest.approx(0.6)
    assert result["max_council_name"].item() == "Council 6"
    # linear-interpolation quantiles of 0.1..0.6
    expected = {"p10": 0.15, "q1": 0.225, "median": 0.35, "q3": 0.475, "p90": 0.55, "iqr": 0.25}
    for name, value in expected.items():
        assert float(result[name]) == pytest.approx(value), name
    assert float(result["p90_p10_ratio"]) == pytest.approx(0.55 / 0.15)
    assert float(result["unweighted_mean"]) == pytest.approx(0.35)
    assert float(result["std"]) == pytest.approx(np.sqrt(0.035))
    assert float(result["cv"]) == pytest.approx(np.sqrt(0.035) / 0.35)
    # Gini of 1..6: sum|i-j| = 70 over 2 * 36 * 3.5
    assert float(result["gini"]) == pytest.approx(70 / 252)
    # region means 0.3 and 0.4 about 0.35: between SS 0.015 of total SS 0.175
    assert float(result["between_region_share"]) == pytest.approx(0.015 / 0.175)
    assert float(result["pooled_rate"]) == pytest.approx(210 / 600)
    assert result.attrs["units"] == "proportion"


def test_gini_and_between_share_edge_cases():
    assert stats.gini(np.array([0.0, 0.0])) != stats.gini(np.array([0.0, 0.0]))  # NaN
    assert stats.gini(np.array([5.0])) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        stats.gini(np.array([-1.0, 2.0]))
    assert np.isnan(stats.between_share(np.array([1.0, 1.0]), np.array(["a", "b"])))
    assert np.isnan(stats.between_share(np.array([1.0]), np.array(["a"])))


def test_ties_go_to_the_lowest_council_code(build):
    result = stats.variation(build([50, 50, 10, 10], [100] * 4), "sds_users", 2015)
    assert result["max_council"].item() == "E06000001"
    assert result["min_council"].item() == "E06000003"


def test_all_years_at_once_equals_year_by_year():
    cube = make_cube(n_councils=15, years=[2015, 2016, 2017], missing_fraction=0.2, seed=3)
    every = stats.variation(cube, "sds_users")
    assert every["year"].values.tolist() == [2015, 2016, 2017]
    for year in (2015, 2016, 2017):
        one = stats.variation(cube, "sds_users", year)
        for name in ("median", "gini", "cv", "between_region_share", "pooled_rate", "n_councils"):
            np.testing.assert_allclose(every[name].sel(year=year), one[name])
        assert every["max_council"].sel(year=year).item() == one["max_council"].item()
    subset = stats.variation(cube, "sds_users", [2017, 2015])
    assert subset["year"].values.tolist() == [2017, 2015]


def test_rate_only_year_gives_spread_but_no_pooled_rate(build):
    cube = build(value=[10.0, 20.0, 30.0, 40.0], years=[2020])
    result = stats.variation(cube, "sds_users", 2020)
    assert float(result["median"]) == pytest.approx(0.25)
    assert np.isnan(float(result["pooled_rate"]))


def test_count_measure_keeps_counts(build):
    cube = build(value=[100.0, 300.0], measure="dp_clients")
    result = stats.variation(cube, "dp_clients", 2015)
    assert float(result["max"]) == 300 and result.attrs["units"] == "count"
    assert np.isnan(float(result["pooled_rate"]))


def test_year_with_no_values(build):
    cube = build(
        value=[[10.0, np.nan], [20.0, np.nan]],
        status=[["published", "not-collected"]] * 2,
        years=[2015, 2016],
    )
    with pytest.raises(
        MissingYearError, match="2016: no council has a value \\(not-collected: 2\\)"
    ):
        stats.variation(cube, "sds_users", 2016)
    every = stats.variation(cube, "sds_users")
    assert int(every["n_councils"].sel(year=2016)) == 0
    assert np.isnan(float(every["median"].sel(year=2016)))
    assert every["excluded"].sel(year=2016).item() == "not-collected: 2"
