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
    table = stats.wilson(cube, "sds_users", 2015, level=0.9)
    low, high = proportion_confint(np.array(NUM), np.array(DEN), alpha=0.1, method="wilson")
    np.testing.assert_allclose(table["ci_low"], low, rtol=1e-12)
    np.testing.assert_allclose(table["ci_high"], high, rtol=1e-12)
    np.testing.assert_allclose(table["rate"], np.array(NUM) / np.array(DEN))
    assert (table["reason"] == "").all()


def test_exact_matches_statsmodels_clopper_pearson(build):
    num = [0, 3, 50, 100]
    den = [20, 30, 100, 100]
    table = stats.wilson(build(num, den), "sds_users", 2015, method="exact")
    low, high = proportion_confint(np.array(num), np.array(den), alpha=0.05, method="beta")
    np.testing.assert_allclose(table["ci_low"], np.nan_to_num(low), atol=1e-12)
    np.testing.assert_allclose(table["ci_high"], np.nan_to_num(high, nan=1.0), atol=1e-12)
    assert table["ci_low"].iloc[0] == 0 and table["ci_high"].iloc[3] == 1


def test_wilson_interval_by_hand():
    # Wilson (1927): centre (p + z^2/2n) / (1 + z^2/n), half-width z/(1+z^2/n) sqrt(p(1-p)/n + z^2/4n^2)
    z = norm.ppf(0.975)
    p, n = 0.3, 100
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = stats.wilson_interval(30, 100)
    assert low == pytest.approx(centre - half, rel=1e-12)
    assert high == pytest.approx(centre + half, rel=1e-12)
    assert np.isnan(stats.wilson_interval(1, 0)[0])


def test_wilson_reports_missing_counts_and_gap_years(build):
    num = [[5, np.nan], [np.nan, np.nan], [3, np.nan]]
    den = [[50, np.nan], [np.nan, np.nan], [30, np.nan]]
    value = [[10.0, 12.0], [np.nan, 15.0], [10.0, 11.0]]
    status = [["published"] * 2, ["suppressed", "published"], ["published"] * 2]
    cube = build(num, den, value=value, status=status, years=[2019, 2020])
    table = stats.wilson(cube, "sds_users")
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
    limits = stats.funnel_limits(0.5, [100, 400])
    z95, z998 = norm.ppf(0.975), norm.ppf(0.999)
    np.testing.assert_allclose(limits["upper_95"], [0.5 + z95 * 0.05, 0.5 + z95 * 0.025])
    np.testing.assert_allclose(limits["lower_998"], [0.5 - z998 * 0.05, 0.5 - z998 * 0.025])
    assert z998 == pytest.approx(3.090232, abs=1e-6)
    # multiplicative and additive widening
    wide = stats.funnel_limits(0.5, [100], phi=4.0)
    assert wide["upper_95"].iloc[0] == pytest.approx(0.5 + z95 * 0.1)
    additive = stats.funnel_limits(0.5, [100], tau2=0.0075)
    assert additive["upper_95"].iloc[0] == pytest.approx(0.5 + z95 * 0.1)
    # limits are clipped to [0, 1]
    assert stats.funnel_limits(0.05, [5])["lower_95"].iloc[0] == 0
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        stats.funnel_limits(1.0, [100])


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
    additive = stats.funnel(cube, "sds_users", 2015)
    assert additive.attrs["pooled_rate"] == pytest.approx(p0)
    assert additive.attrs["phi"] == pytest.approx(phi)
    assert additive.attrs["tau2"] == pytest.approx(tau2)
    assert additive.attrs["tau2_used"] == pytest.approx(tau2)
    np.testing.assert_allclose(additive["z"], z)
    np.testing.assert_allclose(additive["z_adjusted"], z_add)
    np.testing.assert_allclose(
        additive["upper_95"], p0 + norm.ppf(0.975) * np.sqrt(p0 * (1 - p0) / np.array(DEN) + tau2)
    )
    expected_flags = np.where(
        z_add > norm.ppf(0.975), "above", np.where(z_add < -norm.ppf(0.975), "below", "inside")
    )
    assert additive["flag_95"].tolist() == expected_flags.tolist()

    multiplicative = stats.funnel(cube, "sds_users", 2015, overdispersion="multiplicative")
    np.testing.assert_allclose(multiplicative["z_adjusted"], z / math.sqrt(phi))
    assert multiplicative.attrs["phi_used"] == pytest.approx(phi)

    plain = stats.funnel(cube, "sds_users", 2015, overdispersion=None)
    np.testing.assert_allclose(plain["z_adjusted"], z)
    z998 = norm.ppf(0.999)
    assert (
        plain["flag_998"].tolist()
        == np.where(z > z998, "above", np.where(z < -z998, "below", "inside")).tolist()
    )
    # the unadjusted funnel flags at least as many councils as the adjusted one
    assert (plain["flag_95"] != "inside").sum() >= (additive["flag_95"] != "inside").sum()


def test_funnel_limits_helper_agrees_with_funnel_columns(build):
    table = stats.funnel(build(NUM, DEN), "sds_users", 2015)
    curves = stats.funnel_limits(
        table.attrs["target"],
        table["denominator"],
        phi=table.attrs["phi_used"],
        tau2=table.attrs["tau2_used"],
    )
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        np.testing.assert_allclose(curves[column], table[column])


def test_no_adjustment_without_overdispersion(build):
    # every council exactly at the pooled rate: phi = 0
    cube = build([10, 20, 40], [100, 200, 400])
    table = stats.funnel(cube, "sds_users", 2015, overdispersion="multiplicative")
    assert table.attrs["phi"] == 0 and table.attrs["phi_used"] == 1
    assert (table["flag_95"] == "inside").all()
    assert table.attrs["tau2_used"] == 0


def test_funnel_columns_and_excluded_councils(build):
    num = [*NUM, np.nan]
    den = [*DEN, np.nan]
    value = [*(100 * np.array(NUM) / np.array(DEN)), np.nan]
    status = ["published"] * 10 + ["suppressed"]
    table = stats.funnel(build(num, den, value=value, status=status), "sds_users", 2015)
    assert list(table.columns) == [
        "council", "council_name", "council_type", "region_code", "region_name", "year",
        "numerator", "denominator", "rate", "target", "z", "z_adjusted",
        "lower_95", "upper_95", "flag_95", "lower_998", "upper_998", "flag_998", "reason",
    ]  # fmt: skip
    last = table.iloc[-1]
    assert last["reason"] == "suppressed" and pd.isna(last["flag_95"]) and np.isnan(last["z"])
    assert table.attrs["n_used"] == 10 and table.attrs["excluded"] == "suppressed: 1"
    # the pooled rate ignores the suppressed council
    assert table.attrs["pooled_rate"] == pytest.approx(sum(NUM) / sum(DEN))


def test_funnel_gap_year_and_bad_options(build):
    cube = build(value=[10.0, 20.0, 30.0], years=[2020])
    with pytest.raises(MissingYearError, match="rates alone cannot"):
        stats.funnel(cube, "sds_users", 2020)
    full = build(NUM, DEN)
    with pytest.raises(MissingYearError, match="one year"):
        stats.funnel(full, "sds_users")
    with pytest.raises(ValueError, match="overdispersion must be"):
        stats.funnel(full, "sds_users", 2015, overdispersion="both")
    with pytest.raises(ValueError, match="undefined at 0 or 1"):
        stats.funnel(build([0, 0], [10, 20]), "sds_users", 2015)


def test_funnel_against_a_given_target(build):
    table = stats.funnel(build(NUM, DEN), "sds_users", 2015, target=0.5, overdispersion=None)
    np.testing.assert_allclose(
        table["z"], (np.array(NUM) / np.array(DEN) - 0.5) / np.sqrt(0.25 / np.array(DEN))
    )
    assert table.attrs["target"] == 0.5
