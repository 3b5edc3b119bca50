"""Eligibility sensitivity: a fraction of the denominator treated as eligible."""

from __future__ import annotations

import numpy as np
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError, UnknownCouncilError

NUM = [60, 50, 30]
DEN = [100, 100, 100]


def test_scalar_fraction_scales_rates_and_keeps_ranks(build):
    table = stats.eligibility(build(NUM, DEN), "sds_users", 2015, 0.7, threshold=0.8)
    np.testing.assert_allclose(table["rate_adjusted"], np.array([60, 50, 30]) / 70)
    np.testing.assert_allclose(table["eligible"], [70, 70, 70])
    assert (table["rank_change"] == 0).all()
    assert table["met"].tolist() == [False, False, False]
    assert table["met_adjusted"].tolist() == [True, False, False]  # 60/70 = 0.857
    assert table.attrs["pooled_rate"][2015] == pytest.approx(140 / 300)
    assert table.attrs["pooled_rate_adjusted"][2015] == pytest.approx(140 / 210)


def test_per_council_fraction_moves_the_ranking(build):
    fraction = {"E06000001": 1.0, "E06000002": 0.5, "E06000003": 1.0}
    table = stats.eligibility(build(NUM, DEN), "sds_users", 2015, fraction)
    np.testing.assert_allclose(table["rate_adjusted"], [0.6, 1.0, 0.3])
    assert table["rank_adjusted"].tolist() == [2.0, 1.0, 3.0]
    assert table["rank_change"].tolist() == [-1.0, 1.0, 0.0]
    assert not table["exceeds_eligible"].any()
    over = stats.eligibility(build(NUM, DEN), "sds_users", 2015, 0.4)
    assert over["exceeds_eligible"].tolist() == [True, True, False]


def test_bad_fractions_and_gap_years(build):
    cube = build(NUM, DEN)
    with pytest.raises(ValueError, match="in \\(0, 1\\]"):
        stats.eligibility(cube, "sds_users", 2015, 1.5)
    with pytest.raises(UnknownCouncilError, match="no eligibility fraction for 1"):
        stats.eligibility(cube, "sds_users", 2015, {"E06000001": 0.5, "E06000002": 0.5})
    with pytest.raises(UnknownCouncilError, match="not in the data: E09"):
        stats.eligibility(cube, "sds_users", 2015, {"E09000001": 0.5})
    gap = build(value=[10.0, 20.0], years=[2022])
    with pytest.raises(MissingYearError, match="cannot be recomputed from rates alone"):
        stats.eligibility(gap, "sds_users", 2022)


def test_one_fraction_for_all_never_moves_the_real_ranking():
    """Councils tied at 100% stay tied when every denominator is scaled by the same fraction."""
    import personalisation as pz

    cube = pz.load_cube(measures=["sds_users"])
    for fraction in (0.3, 0.7, 0.9):
        table = pz.stats.eligibility(cube, "sds_users", 2021, fraction)
        assert int(table["rank_change"].abs().sum()) == 0, fraction
