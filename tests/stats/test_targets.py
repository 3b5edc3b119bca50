"""Targets: who met a threshold by a date, who fell under a second one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError

# regions alternate (North East: councils 1, 3, 5; North West: 2, 4, 6)
VALUE = [30.0, 29.9, 70.0, 15.0, np.nan, 100.0]
STATUS = ["published"] * 4 + ["suppressed", "published"]


@pytest.fixture
def cube(build):
    return build(value=VALUE, status=STATUS, years=[2011])


def test_who_met_the_target(cube):
    result = stats.targets(cube, "sds_users", "2010-11", 0.3, lower=0.2)
    assert result.year == 2011 and result.threshold == 0.3 and result.lower == 0.2
    # a published 30.0% meets 30%; 29.9% does not
    assert result.councils["met"].tolist() == [True, False, True, False, pd.NA, True]
    assert result.councils["below_lower"].tolist() == [False, False, False, True, pd.NA, False]
    assert result.met == ["E06000001", "E06000003", "E06000006"]
    assert result.councils.loc[4, "reason"] == "suppressed"
    summary = result.summary.set_index("group_name")
    ne, nw, england = summary.loc["North East"], summary.loc["North West"], summary.loc["England"]
    assert (ne.n_councils, ne.n_assessed, ne.n_met, ne.n_below_lower) == (3, 2, 2, 0)
    assert ne.councils_met == "Council 1; Council 3" and ne.excluded == "suppressed: 1"
    assert (nw.n_councils, nw.n_assessed, nw.n_met, nw.n_below_lower) == (3, 3, 1, 1)
    assert nw.councils_below_lower == "Council 4"
    assert nw.share_met == pytest.approx(1 / 3)
    assert (england.n_assessed, england.n_met, england.n_below_lower) == (5, 3, 1)
    assert england.group == "E92000001"


def test_thresholds_are_parameters(cube):
    assert stats.targets(cube, "sds_users", 2011, 0.7).summary.iloc[-1].n_met == 2
    full = stats.targets(cube, "sds_users", 2011, 1.0)
    assert full.met == ["E06000006"]
    assert full.councils["below_lower"].isna().all()
    assert np.isnan(full.summary.iloc[-1].n_below_lower)


def test_by_council_type(cube):
    summary = stats.targets(cube, "sds_users", 2011, 0.3, by="council_type").summary
    assert summary["group_type"].tolist()[:-1] == ["council type"] * 4
    assert summary["n_councils"].sum() == 2 * 6


def test_bad_inputs(cube, build):
    with pytest.raises(ValueError, match="write 30% as 0.3"):
        stats.targets(cube, "sds_users", 2011, 30)
    with pytest.raises(MissingYearError, match="one year"):
        stats.targets(cube, "sds_users", None, 0.3)
    with pytest.raises(MissingYearError, match="no year 2013"):
        stats.targets(cube, "sds_users", 2013, 0.3)
    empty = build(value=[np.nan, np.nan], status=["missing"] * 2)
    with pytest.raises(MissingYearError, match="no council has a value"):
        stats.targets(empty, "sds_users", 2015, 0.3)
