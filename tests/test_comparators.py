"""A council against its statistical neighbours, and the latest year a council has figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import personalisation as pz
from personalisation import _paths


@pytest.fixture(scope="module")
def cube():
    return pz.load_cube(measures=["sds_users", "dp_users"])


def test_manchester_against_its_2025_neighbours(cube):
    near = pz.compare_with_neighbours(cube, "Manchester")
    assert (near.council, near.model, near.year) == ("E08000003", "DfE 2025", 2025)
    # the neighbours as the shipped DfE table lists them, in rank order
    shipped = pd.read_csv(_paths.data_dir() / "neighbours.csv", dtype=str)
    expected = shipped[(shipped.model == "DfE 2025") & (shipped.council_code == "E08000003")]
    expected = expected.assign(rank=expected["rank"].astype(int)).sort_values("rank")
    assert near.table["neighbour_code"].tolist() == expected["neighbour_code"].tolist()
    # each neighbour's figure is its published 2024-25 value
    for row in near.table.itertuples():
        published = float(
            cube.value.sel(council=row.neighbour_code, year=2025, measure="sds_users")
        )
        assert row.sds_users == pytest.approx(published, nan_ok=True)
    assert near.own["sds_users"] == float(
        cube.value.sel(council="E08000003", year=2025, measure="sds_users")
    )
    median = float(np.nanmedian(near.table["sds_users"]))
    assert f"neighbour median of {median:.1f}%" in near.summary
    assert "children's services" in near.summary
    assert "<table" in near._repr_html_()


def test_a_council_only_in_the_2021_model_falls_back_to_it(cube):
    near = pz.compare_with_neighbours(cube, "E10000006")  # Cumbria county, abolished 2023
    assert near.model == "DfE 2021" and len(near.table) == 10


def test_a_council_in_no_model_gets_an_empty_table_and_a_sentence(cube):
    gone = pz.compare_with_neighbours(cube, "E10000002")  # Buckinghamshire county, to 2020
    assert gone.model == "" and gone.table.empty
    assert "no statistical neighbours" in gone.summary
    assert list(gone.table.columns) == [
        "rank", "neighbour_code", "neighbour_name", "closeness", "sds_users", "dp_users"
    ]  # fmt: skip


def test_latest_year_with_a_value_and_with_counts(cube):
    value = cube.value.sel(council="E10000023", measure="sds_users")
    held = [int(y) for y in cube.year.values[value.notnull().values]]
    assert pz.geo.latest_year(cube, "E10000023", "sds_users") == max(held)
    den = cube.denominator.sel(council="E08000003", measure="sds_users")
    with_counts = [int(y) for y in cube.year.values[(den > 0).values]]
    assert pz.geo.latest_year(cube, "Manchester", "sds_users", counts=True) == max(with_counts)
    assert pz.geo.latest_year(cube.sel(year=[2020]), "Manchester", "sds_users", counts=True) is None


def test_trajectories_default_to_the_years_the_measure_has_values():
    full = pz.load_cube()  # years from 2008-09 (PSS-EX1 counts), sds_users from 2014-15
    fig = pz.plot.trajectories(full, "sds_users", highlight=["Manchester"])
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    held = full.value.sel(measure="sds_users").notnull().any("council")
    assert len(labels) == int(held.sum()) and labels[0] == "2014-15"
