"""Wilson / exact intervals and Spiegelhalter funnel plots."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from personalisation import stats
from personalisation.errors import MissingYearError

NUM = [5, 40, 120, 300, 45, 600, 10, 250, 80, 900]
DEN = [50, 100, 400, 500, 300, 1000, 200, 400, 100, 1500]


def test_wilson_matches_statsmodels(build):
    cube = build(NUM, DEN)
    table = stats.wilson(cube, "sds_users", 2015, level=0.9).to_frame()
    low, high = proportion_confint(np.array(NUM), np.array(DEN), alpha=0.1, method="wilson")
    np.testing.assert_allclose(table["ci_low"], 100 * low, rtol=1e-12)
    np.testing.assert_allclose(table["ci_high"], 100 * high, rtol=1e-12)
    np.testing.assert_allclose(table["rate"], 100 * np.array(NUM) / np.array(DEN))
    assert (table["reason"] == "").all()


def test_exact_matches_statsmodels_clopper_pearson(build):
    num = [0, 3, 50, 100]
    den = [20, 30, 100, 100]
    table = stats.wilson(build(num, den), "sds_users", 2015, method="exact")
    low, high = proportion_confint(np.array(num), np.array(den), alpha=0.05, method="beta")
    np.testing.assert_allclose(table["ci_low"], 100 * np.nan_to_num(low), atol=1e-10)
    np.testing.assert_allclose(table["ci_high"], 100 * np.nan_to_num(high, nan=1.0), atol=1e-10)
    assert table["ci_low"].iloc[0] == 0 and table["ci_high"].iloc[3] == 100


def test_wilson_interval_by_hand():
    # Wilson (1927): centre (p + z^2/2n) / (1 + z^2/n), half-width z/(1+z^2/n) sqrt(p(1-p)/n + z^2/4n^2)
    z = norm.ppf(0.975)
    p, n = 0.3, 100
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = stats.wilson_interval(30, 100)
    assert low == pytest.approx(100 * (centre - half), rel=1e-12)
    assert high == pytest.approx(100 * (centre + half), rel=1e-12)
    assert np.isnan(stats.wilson_interval(1, 0)[0])


def test_wilson_reports_missing_counts_and_gap_years(build):
    num = [[5, np.nan], [np.nan, np.nan], [3, np.nan]]
    den = [[50, np.nan], [np.nan, np.nan], [30, np.nan]]
    value = [[10.0, 12.0], [np.nan, 15.0], [10.0, 11.0]]
    status = [["published"] * 2, ["suppressed", "published"], ["published"] * 2]
    cube = build(num, den, value=value, status=status, years=[2019, 2020])
    table = stats.wilson(cube, "sds_users").to_frame()
    assert len(table) == 6
    by_key = table.set_index(["council", "year"])
    assert by_key.loc[("E06000002", 2019), "reason"] == "suppressed"
    assert by_key.loc[("E06000001", 2020), "reason"] == "no numerator/denominator published"
    assert by_key.loc[("E06000001", 2019), "reason"] == ""
    assert table.loc[table.reason != "", "ci_low"].isna().all()
    with pytest.raises(MissingYearError, match="2020: no council has a numerator and denominator"):
        stats.wilson(cube, "sds_users", 2020)


def test_wilson_refuses_count_measures(build):
    cube = build(value=[10.0, 20.0], measure="dp_clients")
    with pytest.raises(ValueError, match="count measure"):
        stats.wilson(cube, "dp_clients", 2015)


def test_funnel_limits_published_formula():
    limits = stats.funnel_limits(50, [100, 400])
    z95, z998 = norm.ppf(0.975), norm.ppf(0.999)
    np.testing.assert_allclose(limits["upper_95"], [50 + z95 * 5, 50 + z95 * 2.5])
    np.testing.assert_allclose(limits["lower_998"], [50 - z998 * 5, 50 - z998 * 2.5])
    assert z998 == pytest.approx(3.090232, abs=1e-6)
    # multiplicative and additive widening
    wide = stats.funnel_limits("50%", [100], phi=4.0)
    assert wide["upper_95"].iloc[0] == pytest.approx(50 + z95 * 10)
    additive = stats.funnel_limits(50, [100], tau2=0.0075)
    assert additive["upper_95"].iloc[0] == pytest.approx(50 + z95 * 10)
    # limits are clipped to 0..100%
    assert stats.funnel_limits(5, [5])["lower_95"].iloc[0] == 0
    with pytest.raises(ValueError, match="strictly between 0% and 100%"):
        stats.funnel_limits(100, [100])
    with pytest.raises(ValueError, match="ambiguous"):
        stats.funnel_limits(0.5, [100])


def test_arcsine_limits_by_hand():
    # variance-stabilised limits: sin^2(asin(sqrt(p0)) +/- z / (2 sqrt(n))), as FunnelPlotR
    z = norm.ppf(0.975)
    p0, n = 0.9, np.array([50.0, 2000.0])
    theta = math.asin(math.sqrt(p0))
    expected_high = np.sin(np.minimum(theta + z / (2 * np.sqrt(n)), math.pi / 2)) ** 2
    expected_low = np.sin(theta - z / (2 * np.sqrt(n))) ** 2
    limits = stats.funnel_limits(90, n, levels=[0.95], scale="arcsine")
    np.testing.assert_allclose(limits["upper_95"], 100 * expected_high, rtol=1e-12)
    np.testing.assert_allclose(limits["lower_95"], 100 * expected_low, rtol=1e-12)
    # with between-council variance the arcsine upper limit of a big council stays below 100%
    tau2 = 0.0025
    wide = stats.funnel_limits(90, [5000], levels=[0.95], scale="arcsine", tau2=tau2)
    by_hand = math.sin(theta + z * math.sqrt(1 / 20000 + tau2)) ** 2
    assert wide["upper_95"].iloc[0] == pytest.approx(100 * by_hand) and by_hand < 1
    # logit: expit(logit(p0) +/- z / sqrt(n p0 (1 - p0)))
    logit = stats.funnel_limits(90, [100], levels=[0.95], scale="logit")
    centre = math.log(0.9 / 0.1)
    high = 1 / (1 + math.exp(-(centre + z / math.sqrt(100 * 0.09))))
    assert logit["upper_95"].iloc[0] == pytest.approx(100 * high)


def test_exact_binomial_limits_by_hand():
    # Spiegelhalter (2005) appendix, upper limit for n = 10, p0 = 0.5, 95%: the 0.975 quantile
    # of Binomial(10, 0.5) is r = 8; F(8) = 1013/1024, F(7) = 968/1024
    f8, f7 = (
        sum(math.comb(10, k) for k in range(9)) / 1024,
        sum(math.comb(10, k) for k in range(8)) / 1024,
    )
    a = (f8 - 0.975) / (f8 - f7)
    low, high = stats.exact_limits(0.5, [10], 0.95)
    assert high[0] == pytest.approx((8 - a) / 10)
    assert low[0] == pytest.approx(1 - (8 - a) / 10)
    # small denominators get the wider of the exact and the scale limits
    limits = stats.funnel_limits(50, [10, 1000], levels=[0.95], exact_below=100)
    normal = stats.funnel_limits(50, [10, 1000], levels=[0.95])
    assert limits["upper_95"].iloc[0] == pytest.approx(
        100 * max(high[0], 0.5 + 1.959964 * 0.5 / math.sqrt(10))
    )
    assert limits["upper_95"].iloc[1] == normal["upper_95"].iloc[1]


def _spiegelhalter(num, den, winsor=0.1):
    """Independent, loop-by-loop implementation of Spiegelhalter (2005)."""
    p0 = sum(num) / sum(den)
    z = []
    for r, n in zip(num, den, strict=True):
        s = math.sqrt(p0 * (1 - p0) / n)
        z.append((r / n - p0) / s)
    low, high = np.quantile(z, [winsor, 1 - winsor])
    zw = [min(max(zi, low), high) for zi in z]
    k = len(z)
    phi = sum(zi**2 for zi in zw) / k
    w = [n / (p0 * (1 - p0)) for n in den]
    tau2 = max(0.0, (k * phi - (k - 1)) / (sum(w) - sum(wi**2 for wi in w) / sum(w)))
    z_add = [
        (r / n - p0) / math.sqrt(p0 * (1 - p0) / n + tau2) for r, n in zip(num, den, strict=True)
    ]
    return p0, np.array(z), phi, tau2, np.array(z_add)


def test_funnel_matches_spiegelhalter_formulae(build):
    cube = build(NUM, DEN)
    p0, z, phi, tau2, z_add = _spiegelhalter(NUM, DEN)
    assert phi > 1  # these counts are overdispersed
    options = {"scale": "proportion", "exact_below": 0}
    additive = stats.funnel(cube, "sds_users", 2015, **options)
    assert additive.pooled_rate == pytest.approx(100 * p0)
    assert additive.phi == pytest.approx(phi)
    assert additive.tau2 == pytest.approx(tau2)
    assert additive.tau2_used == pytest.approx(tau2)
    np.testing.assert_allclose(additive["z"], z)
    np.testing.assert_allclose(additive["z_adjusted"], z_add)
    np.testing.assert_allclose(
        additive["upper_95"],
        100 * (p0 + norm.ppf(0.975) * np.sqrt(p0 * (1 - p0) / np.array(DEN) + tau2)),
    )
    expected_flags = np.where(
        z_add > norm.ppf(0.975), "above", np.where(z_add < -norm.ppf(0.975), "below", "inside")
    )
    assert additive["flag_95"].tolist() == expected_flags.tolist()
    assert set(additive["limits"]) == {"proportion"}

    multiplicative = stats.funnel(
        cube, "sds_users", 2015, overdispersion="multiplicative", **options
    )
    np.testing.assert_allclose(multiplicative["z_adjusted"], z / math.sqrt(phi))
    assert multiplicative.phi_used == pytest.approx(phi)

    plain = stats.funnel(cube, "sds_users", 2015, overdispersion=None, **options)
    np.testing.assert_allclose(plain["z_adjusted"], z)
    z998 = norm.ppf(0.999)
    assert (
        plain["flag_998"].tolist()
        == np.where(z > z998, "above", np.where(z < -z998, "below", "inside")).tolist()
    )
    # the unadjusted funnel flags at least as many councils as the adjusted one
    assert (plain["flag_95"] != "inside").sum() >= (additive["flag_95"] != "inside").sum()


def test_funnel_on_the_arcsine_scale_by_hand(build):
    cube = build(NUM, DEN)
    result = stats.funnel(cube, "sds_users", 2015, overdispersion=None, exact_below=0)
    assert result.scale == "arcsine"
    p0 = sum(NUM) / sum(DEN)
    y = np.array(NUM) / np.array(DEN)
    z = (np.arcsin(np.sqrt(y)) - math.asin(math.sqrt(p0))) * 2 * np.sqrt(np.array(DEN))
    np.testing.assert_allclose(result["z"], z)


def test_councils_at_100_percent_can_be_flagged_above_on_the_arcsine_scale(build):
    # 100% with large denominators against a pooled 90%: the proportion-scale limits with
    # additive overdispersion clip at 100% and can never flag it; the arcsine ones can
    num = [2000, 2000, *range(780, 870, 20), *range(870, 1000, 10)]
    den = [2000, 2000] + [1000] * 18
    cube = build(num, den, years=[2016])
    prop = stats.funnel(cube, "sds_users", 2016, scale="proportion")
    arcsine = stats.funnel(cube, "sds_users", 2016, scale="arcsine")
    assert (prop["upper_95"].iloc[:2] == 100).all()
    assert (prop["flag_95"].iloc[:2] == "inside").all()
    assert (arcsine["upper_95"].iloc[:2] < 100).all()
    assert (arcsine["flag_95"].iloc[:2] == "above").all()


def test_tau2_estimate_can_be_positive_while_phi_is_not_above_one(build):
    # the docstring used to say phi <= 1 gives tau2 = 0: true of the value used only.
    # I = 4 councils, z = +/-0.95: phi = 0.9025 > (I - 1) / I = 0.75 so the estimate is > 0
    z = np.array([0.95, -0.95, 0.95, -0.95])
    s2 = np.full(4, 0.0025)
    phi, tau2 = stats.estimate_overdispersion(z, s2, winsor=0)
    assert phi == pytest.approx(0.9025)
    w = 400.0
    assert tau2 == pytest.approx((4 * 0.9025 - 3) / (4 * w - 4 * w**2 / (4 * w)))
    assert tau2 > 0


def test_funnel_limits_helper_agrees_with_funnel_columns(build):
    result = stats.funnel(build(NUM, DEN), "sds_users", 2015)
    curves = result.limits(result["denominator"])
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        np.testing.assert_allclose(curves[column], result[column])


def test_no_adjustment_without_overdispersion(build):
    # every council exactly at the pooled rate: phi = 0
    cube = build([10, 20, 40], [100, 200, 400])
    result = stats.funnel(cube, "sds_users", 2015, overdispersion="multiplicative")
    assert result.phi == 0 and result.phi_used == 1
    assert (result["flag_95"] == "inside").all()
    assert result.tau2_used == 0


def test_funnel_columns_and_excluded_councils(build):
    num = [*NUM, np.nan]
    den = [*DEN, np.nan]
    value = [*(100 * np.array(NUM) / np.array(DEN)), np.nan]
    status = ["published"] * 10 + ["suppressed"]
    result = stats.funnel(build(num, den, value=value, status=status), "sds_users", 2015)
    assert list(result.columns) == [
        "council", "council_name", "council_type", "region_code", "region_name", "year",
        "numerator", "denominator", "rate", "counts_rounded", "z", "z_adjusted",
        "lower_95", "upper_95", "flag_95", "lower_998", "upper_998", "flag_998", "limits",
        "reason",
    ]  # fmt: skip
    last = result.table.iloc[-1]
    assert last["reason"] == "suppressed" and pd.isna(last["flag_95"]) and np.isnan(last["z"])
    assert result.n_used == (10,) and result.excluded == "suppressed: 1"
    # the pooled rate ignores the suppressed council
    assert result.pooled_rate == pytest.approx(100 * sum(NUM) / sum(DEN))
    # councils with n < 100 get exact binomial limits (the wider), and the result says so
    assert result.table.loc[0, "limits"] == "exact binomial" and result.n_exact == 1


def test_funnel_gap_year_and_bad_options(build):
    cube = build(value=[10.0, 20.0, 30.0], years=[2020])
    with pytest.raises(MissingYearError, match="rates alone cannot"):
        stats.funnel(cube, "sds_users", 2020)
    full = build(NUM, DEN)
    with pytest.raises(MissingYearError, match="one year"):
        stats.funnel(full, "sds_users", [2015, 2016])
    with pytest.raises(ValueError, match="overdispersion must be"):
        stats.funnel(full, "sds_users", 2015, overdispersion="both")
    with pytest.raises(ValueError, match="scale must be"):
        stats.funnel(full, "sds_users", 2015, scale="log")
    with pytest.raises(ValueError, match="undefined at 0 or 100%"):
        stats.funnel(build([0, 0], [10, 20]), "sds_users", 2015)


def test_funnel_defaults_to_the_last_year_with_counts(build):
    cube = build(
        [[5, np.nan], [10, np.nan], [20, np.nan]],
        [[50, np.nan], [50, np.nan], [50, np.nan]],
        value=[[10.0, 11.0], [20.0, 21.0], [40.0, 41.0]],
        years=[2019, 2020],
    )
    assert stats.funnel(cube, "sds_users").year == 2019


def test_funnel_against_a_given_target(build):
    result = stats.funnel(
        build(NUM, DEN), "sds_users", 2015, target="50%", overdispersion=None, scale="proportion"
    )
    np.testing.assert_allclose(
        result["z"], (np.array(NUM) / np.array(DEN) - 0.5) / np.sqrt(0.25 / np.array(DEN))
    )
    assert result.target == 50


def test_rounded_counts_use_the_published_rate_and_are_flagged(build):
    # 2014-15 counts are rounded to 5 by the publisher: Isles of Scilly 5/15 against 46.2%
    cube = build([5, 300, 450], [15, 500, 600], value=[46.2, 60.0, 75.0], years=[2015])
    result = stats.wilson(cube, "sds_users", 2015)
    assert result["rate"].tolist() == [46.2, 60.0, 75.0]
    assert result["counts_rounded"].all()
    assert any("rounded to the nearest 5" in note for note in result.notes)
    low, high = proportion_confint(0.462 * 15, 15, method="wilson")
    assert result["ci_low"].iloc[0] == pytest.approx(100 * low)
    assert result["ci_high"].iloc[0] == pytest.approx(100 * high)
    funnel = stats.funnel(cube, "sds_users", 2015)
    assert funnel["rate"].iloc[0] == 46.2 and funnel["counts_rounded"].all()
    assert funnel.pooled_rate == pytest.approx(100 * (0.462 * 15 + 300 + 450) / 1115)
    # a later year's counts are exact: no flag
    later = build([5, 300], [15, 500], years=[2016])
    assert not stats.wilson(later, "sds_users", 2016)["counts_rounded"].any()
