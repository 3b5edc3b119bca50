"""Property-based checks (hypothesis): bounds, pooling and permutation invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from personalisation import stats

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def councils(draw, min_size: int = 3, max_size: int = 14):
    """(numerators, denominators, n_regions, permutation) of a small set of councils."""
    size = draw(st.integers(min_size, max_size))
    den = draw(st.lists(st.integers(1, 5000), min_size=size, max_size=size))
    num = [draw(st.integers(0, d)) for d in den]
    n_regions = draw(st.integers(1, 3))
    permutation = draw(st.permutations(list(range(size))))
    return np.array(num, float), np.array(den, float), n_regions, list(permutation)


@SETTINGS
@given(councils(), st.floats(0.5, 0.999))
def test_wilson_bounds_and_statsmodels(build, data, level):
    num, den, n_regions, _ = data
    cube = build(num, den, n_regions=n_regions, years=[2016])
    table = stats.wilson(cube, "sds_users", 2016, level=level).to_frame()
    assert ((table.ci_low >= 0) & (table.ci_high <= 100)).all()
    assert ((table.ci_low <= table.rate + 1e-10) & (table.rate <= table.ci_high + 1e-10)).all()
    low, high = proportion_confint(num, den, alpha=1 - level, method="wilson")
    np.testing.assert_allclose(table.ci_low, 100 * low, atol=1e-8)
    np.testing.assert_allclose(table.ci_high, 100 * high, atol=1e-8)


@SETTINGS
@given(councils())
def test_pooled_rates_lie_between_council_rates(build, data):
    num, den, n_regions, _ = data
    table = stats.regional(build(num, den, n_regions=n_regions), "sds_users", 2015).table
    for row in table.itertuples():
        assert 0 <= row.pooled_rate <= 100
        assert row.lowest - 1e-10 <= row.pooled_rate <= row.highest + 1e-10
        assert row.ci_low <= row.pooled_rate + 1e-10 <= row.ci_high + 2e-10
        if np.isfinite(row.od_ci_low):
            assert row.od_ci_low <= row.ci_low + 1e-9 and row.ci_high <= row.od_ci_high + 1e-9
    england = table.iloc[-1]
    assert england.pooled_rate == pytest.approx(100 * num.sum() / den.sum())


@SETTINGS
@given(councils())
def test_variation_orderings_and_bounds(build, data):
    num, den, n_regions, _ = data
    result = stats.variation(build(num, den, n_regions=n_regions), "sds_users", 2015).row()
    q = [float(result[k]) for k in ("lowest", "p10", "q1", "p50", "q3", "p90", "highest")]
    assert all(a <= b + 1e-10 for a, b in zip(q, q[1:], strict=False))
    assert 0 <= q[0] and q[-1] <= 100
    gini = float(result["gini"])
    assert np.isnan(gini) or -1e-12 <= gini <= 1
    share = float(result["between_region_share"])
    assert np.isnan(share) or -1e-12 <= share <= 1 + 1e-12
    assert q[0] - 1e-10 <= float(result["pooled_rate"]) <= q[-1] + 1e-10


@SETTINGS
@given(councils(min_size=4))
def test_funnel_limits_in_unit_interval_and_flags_consistent(build, data):
    num, den, n_regions, _ = data
    if num.sum() == 0 or num.sum() == den.sum():
        return  # pooled rate 0 or 1: funnel undefined (tested elsewhere)
    result = stats.funnel(build(num, den, n_regions=n_regions), "sds_users", 2015)
    table = result.table
    for label in ("95", "998"):
        assert ((table[f"lower_{label}"] >= 0) & (table[f"upper_{label}"] <= 100)).all()
        assert (table[f"lower_{label}"] <= table[f"upper_{label}"]).all()
    # the 99.8% funnel is wider: anything outside it is outside the 95% one
    outside_998 = table.flag_998 != "inside"
    assert (table.loc[outside_998, "flag_95"] == table.loc[outside_998, "flag_998"]).all()
    assert result.phi >= 0 and result.tau2 >= 0


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["council", *(["year"] if "year" in frame else [])]).reset_index(
        drop=True
    )


@SETTINGS
@given(councils(min_size=4))
def test_permuting_councils_changes_nothing(build, data):
    num, den, n_regions, permutation = data
    cube = build(num, den, n_regions=n_regions)
    shuffled = cube.isel(council=permutation)

    a = stats.variation(cube, "sds_users", 2015).row()
    b = stats.variation(shuffled, "sds_users", 2015).row()
    for name in a.index:
        if isinstance(a[name], str):
            assert a[name] == b[name], name
        else:
            # equal up to floating-point summation order
            np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-12, err_msg=name)

    pd.testing.assert_frame_equal(
        stats.regional(cube, "sds_users", 2015).table,
        stats.regional(shuffled, "sds_users", 2015).table,
    )
    pd.testing.assert_frame_equal(
        _sorted(stats.wilson(cube, "sds_users", 2015).table),
        _sorted(stats.wilson(shuffled, "sds_users", 2015).table),
    )
    pd.testing.assert_frame_equal(
        stats.targets(cube, "sds_users", 2015, threshold="50%", lower="20%").summary,
        stats.targets(shuffled, "sds_users", 2015, threshold="50%", lower="20%").summary,
    )
    if 0 < num.sum() < den.sum():
        f1 = stats.funnel(cube, "sds_users", 2015)
        f2 = stats.funnel(shuffled, "sds_users", 2015)
        pd.testing.assert_frame_equal(_sorted(f1.table), _sorted(f2.table))
        assert f1.phi == pytest.approx(f2.phi, rel=1e-12)


@SETTINGS
@given(councils(), st.floats(10.0, 100.0))
def test_eligibility_scales_rates(build, data, fraction):
    num, den, n_regions, _ = data
    cube = build(num, den, n_regions=n_regions)
    table = stats.eligibility(cube, "sds_users", 2015, fraction=f"{fraction}%").table
    np.testing.assert_allclose(table.rate_adjusted * fraction / 100, table.rate, rtol=1e-12)
    assert (table.exceeds_eligible == (table.rate_adjusted > 100 + 1e-9)).all()
