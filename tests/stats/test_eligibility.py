"""Eligibility sensitivity: a fraction of the denominator treated as eligible."""

from __future__ import annotations

import numpy as np
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError, UnknownCouncilError

NUM = [60, 50, 30]
DEN = [100, 100, 100]


def test_scalar_fraction_scales_rates_and_keeps_ranks(build):
    result = stats.eligibility(build(NUM, DEN), "sds_users", 2015, fraction="70%", threshold="80%")
    table = result.to_frame()
    np.testing.assert_allclose(table["rate_adjusted"], 100 * np.array([60, 50, 30]) / 70)
    np.testing.assert_allclose(table["eligible"], [70, 70, 70])
    assert (table["rank_change"] == 0).all()
    assert table["met"].tolist() == [False, False, False]
    assert table["met_adjusted"].tolist() == [True, False, False]  # 60/70 = 85.7%
    assert result.pooled["pooled_rate"].iloc[0] == pytest.approx(100 * 140 / 300)
    assert result.pooled["pooled_rate_adjusted"].iloc[0] == pytest.approx(100 * 140 / 210)


def test_per_council_fraction_moves_the_ranking(build):
    fraction = {"E06000001": "100%", "E06000002": "50%", "E06000003": 100}
    table = stats.eligibility(build(NUM, DEN), "sds_users", 2015, fraction=fraction)
    np.testing.assert_allclose(table["rate_adjusted"], [60.0, 100.0, 30.0])
    assert table["adjusted_rank"].tolist() == [2.0, 1.0, 3.0]
    assert table["rank_change"].tolist() == [-1.0, 1.0, 0.0]
    assert not table["exceeds_eligible"].any()
    over = stats.eligibility(build(NUM, DEN), "sds_users", 2015, fraction="40%")
    assert over["exceeds_eligible"].tolist() == [True, True, False]


def test_bad_fractions_and_gap_years(build):
    cube = build(NUM, DEN)
    with pytest.raises(ValueError, match="outside 0% to 100%"):
        stats.eligibility(cube, "sds_users", 2015, fraction="150%")
    with pytest.raises(ValueError, match="ambiguous"):
        stats.eligibility(cube, "sds_users", 2015, fraction=0.7)
    with pytest.raises(UnknownCouncilError, match="no eligibility fraction for 1"):
        stats.eligibility(cube, "sds_users", 2015, fraction={"E06000001": 50, "E06000002": 50})
    with pytest.raises(UnknownCouncilError, match="not in the data: E09"):
        stats.eligibility(cube, "sds_users", 2015, fraction={"E09000001": "50%"})
    gap = build(value=[10.0, 20.0], years=[2022])
    with pytest.raises(MissingYearError, match="cannot be recomputed from rates alone"):
        stats.eligibility(gap, "sds_users", 2022)


def test_one_fraction_for_all_never_moves_the_real_ranking():
    """Councils tied at 100% stay tied when every denominator is scaled by the same fraction."""
    import personalisation as pz

    cube = pz.load_cube(measures=["sds_users"])
    for fraction in ("30%", "70%", "90%"):
        table = pz.stats.eligibility(cube, "sds_users", 2021, fraction=fraction)
        assert int(table["rank_change"].abs().sum()) == 0, fraction
