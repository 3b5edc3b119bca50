"""The direct-payment share of self-directed support."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from personalisation import stats
from personalisation.errors import MissingYearError, SchemaError
from personalisation.testing import make_cube


def _cube(sds_num, dp_num, den, sds_value=None, dp_value=None, years=(2015,)):
    """A cube with sds_users and dp_users over one shared denominator."""
    cube = make_cube(
        n_councils=len(den), years=years, measures=["sds_users", "dp_users"], n_regions=2
    )
    for measure, num, value in (("sds_users", sds_num, sds_value), ("dp_users", dp_num, dp_value)):
        num = np.asarray(num, dtype=float).reshape(len(den), -1)
        d = np.asarray(den, dtype=float).reshape(len(den), -1)
        where = {"measure": measure}
        cube["numerator"].loc[where] = num
        cube["denominator"].loc[where] = d
        v = 100 * num / d if value is None else np.asarray(value, dtype=float).reshape(len(den), -1)
        cube["value"].loc[where] = v
    return cube


def test_share_from_counts_and_pooled_by_region():
    cube = _cube([80, 50, 60, 90], [20, 50, 30, 45], [100, 100, 200, 100])
    table = stats.dp_mix(cube, "dp_users", 2015)
    np.testing.assert_allclose(table["share"], [25.0, 100.0, 50.0, 50.0])
    assert set(table["source"]) == {"counts"} and table["same_denominator"].all()
    regions = stats.dp_mix(cube, "dp_users", 2015, by="region")
    ne = regions.table.iloc[0]  # councils 1 and 3: (20 + 30) / (80 + 60)
    assert ne["pooled_share"] == pytest.approx(100 * 50 / 140)
    assert ne["unweighted_mean"] == pytest.approx((25 + 50) / 2)
    low, high = proportion_confint(50, 140, method="wilson")
    assert (ne["ci_low"], ne["ci_high"]) == (pytest.approx(100 * low), pytest.approx(100 * high))
    england = regions.table.iloc[-1]
    assert england["pooled_share"] == pytest.approx(100 * 145 / 280)


def test_share_from_values_when_no_counts():
    nan = [np.nan] * 3
    cube = _cube(nan, nan, nan, sds_value=[80.0, 40.0, np.nan], dp_value=[20.0, 10.0, 5.0])
    table = stats.dp_mix(cube, "dp_users", 2015)
    np.testing.assert_allclose(table["share"], [25.0, 25.0, np.nan])
    assert table["source"].tolist() == ["values", "values", ""]
    assert table.table.loc[2, "reason"] == "sds_users: no published value"
    regions = stats.dp_mix(cube, "dp_users", 2015, by="region")
    assert regions["pooled_share"].isna().all()
    assert (
        regions.table.iloc[0]["reason"] == "no council has both counts: pooled share not computable"
    )
    assert regions.table.iloc[-1]["unweighted_mean"] == pytest.approx(25)


def test_inconsistent_and_zero_are_nan_with_reason():
    cube = _cube([0, 30, 50], [0, 40, 10], [100, 100, 100])
    table = stats.dp_mix(cube, "dp_users", 2015)
    assert np.isnan(table["share"].iloc[0]) and "sds_users is zero" in table["reason"].iloc[0]
    assert np.isnan(table["share"].iloc[1])
    assert table["reason"].iloc[1] == "dp_users above sds_users: inconsistent data"
    assert table["share"].iloc[2] == pytest.approx(20)


def test_bad_inputs():
    cube = _cube([np.nan], [np.nan], [np.nan], sds_value=[np.nan], dp_value=[np.nan])
    with pytest.raises(MissingYearError, match="has a value in 2015"):
        stats.dp_mix(cube, "dp_users", 2015)
    with pytest.raises(SchemaError, match="needs the cube"):
        stats.dp_mix(cube["value"], "dp_users", 2015)
    with pytest.raises(Exception, match="sds_carers"):
        stats.dp_mix(make_cube(n_councils=2), "dp_users", 2015, of="sds_carers")
