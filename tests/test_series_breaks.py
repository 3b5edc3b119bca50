"""Series breaks and not-collected years are properties of the data (issue 11).

The 2024-25 ASCOF 3D figures come from the client level data collection (CLD), not SALT:
the registry marks a break there, the cube carries it per year and measure, comparisons
across it warn, and the carers' parts (not published for 2024-25) say why.
"""

from __future__ import annotations

import warnings

import pytest

import personalisation as pz
from personalisation import stats
from personalisation.errors import SeriesBreakWarning
from personalisation.measures import breaks_between
from personalisation.testing import make_cube


def test_breaks_between_counts_only_the_breaks_inside():
    assert list(breaks_between("dp_users", 2024, 2025)) == ["2024-25"]
    assert list(breaks_between("dp_users", 2025, 2024)) == ["2024-25"]
    assert breaks_between("dp_users", 2017, 2023) == {}
    assert breaks_between("not_a_measure", 2000, 2030) == {}


def test_change_and_convergence_warn_across_a_break():
    cube = make_cube(n_councils=10, years=[2023, 2024, 2025])
    with pytest.warns(SeriesBreakWarning, match="2024-25.*not comparable"):
        stats.change(cube, "sds_users", (2024, 2025))
    with pytest.warns(SeriesBreakWarning, match="2023-24"):
        stats.convergence(cube, "dp_users", (2023, 2024))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesBreakWarning)
        stats.change(make_cube(n_councils=10, years=[2017, 2018]), "sds_users")


@pytest.mark.raw
def test_real_cube_runs_to_2024_25_with_the_break_and_the_reason():
    cube = pz.load_cube(measures=["sds_users", "sds_carers", "dp_users"])
    assert int(cube.year.max()) == 2025
    assert str(cube.period.sel(year=2025).item()) == "2024-25"
    manchester = cube.sel(council="E08000003", year=2025)
    assert float(manchester.numerator.sel(measure="sds_users")) == 1037
    assert float(manchester.denominator.sel(measure="dp_users")) == 4122
    assert "client level data" in str(cube.series_break.sel(year=2025, measure="dp_users").item())
    assert str(cube.series_break.sel(year=2022, measure="dp_users").item()) == ""
    carers = cube.sel(year=2025, measure="sds_carers")
    assert set(pz.decode_status(carers.status).values) <= {"not-collected", "not-in-geography"}
    assert "unpaid carers" in str(carers.not_collected_reason.item())
    assert str(cube.not_collected_reason.sel(year=2025, measure="sds_users").item()) == ""
    england = pz.load_cube(measures=["sds_users"], geography_level="england")
    assert float(england.value.sel(year=2025).squeeze()) == 82.4
    assert float(england.value.sel(year=2024).squeeze()) == 92.2
