"""Targets: who met a threshold in which years, when first, who fell under a second one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalisation import stats, units
from personalisation.errors import MissingYearError

# regions alternate (North East: councils 1, 3, 5; North West: 2, 4, 6)
VALUE = [30.0, 29.9, 70.0, 15.0, np.nan, 100.0]
STATUS = ["published"] * 4 + ["suppressed", "published"]


@pytest.fixture
def cube(build):
    return build(value=VALUE, status=STATUS, years=[2011])


def test_who_met_the_target(cube):
    result = stats.targets(cube, "sds_users", "2010-11", threshold="30%", lower="20%")
    assert result.years == (2011,) and result.threshold == 30.0 and result.lower == 20.0
    # a published 30.0% meets 30%; 29.9% does not
    assert result["met"].tolist() == [True, False, True, False, pd.NA, True]
    assert result["below_lower"].tolist() == [False, False, False, True, pd.NA, False]
    assert result.met == ["E06000001", "E06000003", "E06000006"]
    assert result.table.loc[4, "reason"] == "suppressed"
    summary = result.summary.set_index("group_name")
    ne, nw, england = summary.loc["North East"], summary.loc["North West"], summary.loc["England"]
    assert (ne.n_councils, ne.n_assessed, ne.n_met, ne.n_below_lower) == (3, 2, 2, 0)
    assert ne.councils_met == "Council 1; Council 3" and ne.excluded == "suppressed: 1"
    assert (nw.n_councils, nw.n_assessed, nw.n_met, nw.n_below_lower) == (3, 3, 1, 1)
    assert nw.councils_below_lower == "Council 4"
    assert nw.share_met == pytest.approx(100 / 3)
    assert (england.n_assessed, england.n_met, england.n_below_lower) == (5, 3, 1)
    assert england.group == "E92000001"


def test_thresholds_take_explicit_units(cube):
    assert stats.targets(cube, "sds_users", 2011, threshold="70%").summary.iloc[-1].n_met == 2
    same = stats.targets(cube, "sds_users", 2011, threshold=units.proportion(0.7))
    assert same.summary.iloc[-1].n_met == 2 and same.threshold == 70.0
    assert stats.targets(cube, "sds_users", 2011, threshold=70).threshold == 70.0
    full = stats.targets(cube, "sds_users", 2011, threshold="100%")
    assert full.met == ["E06000006"]
    assert full["below_lower"].isna().all()
    assert np.isnan(full.summary.iloc[-1].n_below_lower)


def test_several_years_and_first_year_met(build):
    value = [[10.0, 40.0, 80.0], [75.0, 60.0, 90.0], [5.0, 6.0, np.nan]]
    status = [["published"] * 3, ["published"] * 3, ["published", "published", "suppressed"]]
    cube = build(value=value, status=status, years=[2015, 2016, 2017])
    result = stats.targets(cube, "sds_users", threshold="70%")
    assert result.years == (2015, 2016, 2017) and len(result) == 9
    first = result.councils.set_index("council")
    assert first.loc["E06000001", "first_year_met"] == 2017
    assert first.loc["E06000001", "first_period_met"] == "2016-17"
    assert first.loc["E06000002", "first_year_met"] == 2015
    assert first.loc["E06000002", "n_years_met"] == 2
    assert pd.isna(first.loc["E06000003", "first_year_met"])
    assert first.loc["E06000003", "n_years_assessed"] == 2
    assert result.summary[result.summary.group == "E92000001"]["n_met"].tolist() == [1, 0, 2]
    assert result.met == ["E06000001", "E06000002"]
    some = stats.targets(cube, "sds_users", [2016, 2017], threshold="70%")
    assert some.councils.set_index("council").loc["E06000002", "first_year_met"] == 2017


def test_by_council_type(cube):
    summary = stats.targets(cube, "sds_users", 2011, threshold="30%", by="council_type").summary
    assert summary["group_type"].tolist()[:-1] == ["council type"] * 4
    assert summary["n_councils"].sum() == 2 * 6


def test_bad_inputs(cube, build):
    with pytest.raises(ValueError, match="ambiguous: write '30%'"):
        stats.targets(cube, "sds_users", 2011, threshold=0.3)
    with pytest.raises(ValueError, match="outside 0% to 100%"):
        stats.targets(cube, "sds_users", 2011, threshold="130%")
    with pytest.raises(MissingYearError, match="no year 2013"):
        stats.targets(cube, "sds_users", 2013, threshold="30%")
    empty = build(value=[np.nan, np.nan], status=["missing"] * 2)
    with pytest.raises(MissingYearError, match="has a value"):
        stats.targets(empty, "sds_users", 2015, threshold="30%")
