"""Regional and council-type comparison: pooled rates, Wilson intervals, spread, rank."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from personalisation import stats
from personalisation.errors import MissingYearError

# council i is in region i % 3 (North East, North West, Yorkshire and The Humber)
# and has type i % 4 (London borough, metropolitan district, unitary authority, county)
NUM = [10, 80, 30, 300, 20, 10]
DEN = [100, 100, 100, 1000, 40, 100]


def test_pooled_rates_are_summed_counts_not_averages(build):
    cube = build(NUM, DEN, n_regions=3)
    table = stats.regional(cube, "sds_users", 2015).to_frame()
    assert table["group_name"].tolist() == [
        "North East",
        "North West",
        "Yorkshire and The Humber",
        "England",
    ]
    ne = table.iloc[0]  # councils 1 and 4: (10 + 300) / (100 + 1000)
    assert ne["numerator"] == 310 and ne["denominator"] == 1100
    assert ne["pooled_rate"] == pytest.approx(100 * 310 / 1100)
    assert ne["unweighted_mean"] == pytest.approx((10 + 30) / 2)  # named as such
    assert ne["lowest"] == pytest.approx(10) and ne["highest"] == pytest.approx(30)
    low, high = proportion_confint(310, 1100, alpha=0.05, method="wilson")
    assert ne["ci_low"] == pytest.approx(100 * low) and ne["ci_high"] == pytest.approx(100 * high)
    england = table.iloc[-1]
    assert england["group_type"] == "England" and england["group"] == "E92000001"
    assert england["pooled_rate"] == pytest.approx(100 * sum(NUM) / sum(DEN))
    assert np.isnan(england["pooled_rank"])
    # NW (80 + 20) / 140 = 0.714 > NE 310 / 1100 = 0.282 > YH (30 + 10) / 200 = 0.2
    assert table["pooled_rank"].tolist()[:3] == [2.0, 1.0, 3.0]
    assert table["n_councils"].tolist() == [2, 2, 2, 6]
    assert (table["reason"] == "").all()


def test_by_council_type(build):
    cube = build(NUM, DEN, n_regions=3)
    table = stats.regional(cube, "sds_users", 2015, by="council_type", england=False).table
    assert table["group"].tolist() == [
        "London borough",
        "county",
        "metropolitan district",
        "unitary authority",
    ]
    assert (table["group_type"] == "council type").all()
    london = table.set_index("group").loc["London borough"]  # councils 1 and 5
    assert london["pooled_rate"] == pytest.approx(100 * (10 + 20) / (100 + 40))
    county = table.set_index("group").loc["county"]  # council 4 alone
    assert county["pooled_rate"] == pytest.approx(30) and county["iqr"] == 0
    with pytest.raises(ValueError, match="by= must be"):
        stats.regional(cube, "sds_users", 2015, by="colour")


def test_partial_and_missing_counts_are_reported(build):
    num = [[10, np.nan], [80, np.nan], [np.nan, np.nan], [300, np.nan]]
    den = [[100, np.nan], [100, np.nan], [np.nan, np.nan], [1000, np.nan]]
    value = [[10.0, 12.0], [80.0, 70.0], [np.nan, 40.0], [30.0, 35.0]]
    status = [["published"] * 2, ["published"] * 2, ["suppressed", "published"], ["published"] * 2]
    cube = build(num, den, value=value, status=status, years=[2019, 2020], n_regions=2)
    table = stats.regional(cube, "sds_users").to_frame()
    assert table["year"].tolist() == [2019] * 3 + [2020] * 3
    ne_2019 = table.iloc[0]  # councils 1 and 3; 3 suppressed
    assert ne_2019["reason"] == "pooled over 1 of 2 councils"
    assert ne_2019["excluded"] == "suppressed: 1"
    assert ne_2019["pooled_rate"] == pytest.approx(10)
    gap = table[table.year == 2020]
    assert gap["pooled_rate"].isna().all() and gap["pooled_rank"].isna().all()
    assert gap["reason"].str.contains("no numerators/denominators published for 2020").all()
    # the council spread still comes from the published rates
    assert gap.iloc[0]["unweighted_mean"] == pytest.approx((12 + 40) / 2)
    assert gap.iloc[-1]["n_rates"] == 4


def test_regional_needs_some_value(build):
    cube = build(value=[np.nan, np.nan], status=["missing", "missing"])
    with pytest.raises(MissingYearError, match="no council in the selection has a value"):
        stats.regional(cube, "sds_users", 2015)


def test_pool_skips_unusable_entries():
    num, den, rate, low, high = stats.pool(np.array([1.0, np.nan, 5.0]), np.array([10.0, 5.0, 0.0]))
    assert (num, den, rate) == (1.0, 10.0, 10.0)
    assert np.isnan(stats.pool(np.array([np.nan]), np.array([np.nan]))[2])


def test_dataarray_of_values_gives_spread_and_says_why_no_pool(build):
    cube = build(NUM, DEN, n_regions=3)
    values = cube["value"].sel(measure="sds_users")
    values = values.assign_coords(status=cube["status"].sel(measure="sds_users"))
    table = stats.regional(values, year=2015).table
    assert table["pooled_rate"].isna().all()
    assert (
        table["reason"] == "pooled rate needs counts: pass the cube, not a DataArray of values"
    ).all()
    assert table.iloc[0]["unweighted_mean"] == pytest.approx(20)


def test_overdispersed_interval_matches_statsmodels_quasi_binomial(build):
    import statsmodels.api as sm
    from scipy.special import expit

    cube = build(NUM, DEN, n_regions=3)
    england = stats.regional(cube, "sds_users", 2015).table.iloc[-1]
    x, n = np.array(NUM, float), np.array(DEN, float)
    fit = sm.GLM(x / n, np.ones((6, 1)), family=sm.families.Binomial(), var_weights=n).fit(
        scale="X2"
    )
    low, high = expit(fit.conf_int()[0])
    assert england["dispersion"] == pytest.approx(fit.scale)
    assert england["dispersion"] > 1
    assert england["od_ci_low"] == pytest.approx(100 * low)
    assert england["od_ci_high"] == pytest.approx(100 * high)
    # much wider than the binomial (Wilson) interval, which ignores between-council variation
    assert england["od_ci_high"] - england["od_ci_low"] > 3 * (
        england["ci_high"] - england["ci_low"]
    )
