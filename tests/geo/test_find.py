"""find_council: names and codes, at a date, across reorganisations."""

from __future__ import annotations

import pytest

import personalisation as pz
from personalisation.errors import UnknownCouncilError
from personalisation.geo import find_council


@pytest.mark.parametrize(
    ("query", "at", "code"),
    [
        ("North Yorkshire", 2024, "E06000065"),  # unitary from 1 April 2023
        ("North Yorkshire", 2020, "E10000023"),  # the county council before
        ("North Yorkshire", 2023, "E10000023"),  # 2022-23's figures: still the county
        ("North Yorkshire", "2023-24", "E06000065"),
        ("North Yorkshire", "2023-03-31", "E10000023"),
        ("North Yorkshire", None, "E06000065"),
        ("kingston upon hull", None, "E06000010"),  # published as "Kingston upon Hull, City of"
        ("KINGSTON-UPON-HULL", None, "E06000010"),
        ("bristol", None, "E06000023"),
        ("Brighton & Hove", None, "E06000043"),
        ("e08000003", None, "E08000003"),
        ("Manchester", 2015, "E08000003"),
        ("Northamptonshire", 2020, "E10000021"),
        ("North Northamptonshire", 2022, "E06000061"),
    ],
)
def test_finds_the_council_of_that_name_at_that_time(query, at, code):
    assert find_council(query, at=at).code == code


def test_record_holds_type_region_dates_and_lineage():
    county = find_council("E10000023")
    assert (county.name, county.type, county.region_code) == (
        "North Yorkshire",
        "county",
        "E12000003",
    )
    assert county.valid_to == "2023-03-31" and county.successors == ("E06000065",)
    unitary = find_council("North Yorkshire")
    assert unitary.valid_from == "2023-04-01" and unitary.predecessors == ("E10000023",)
    assert unitary.in_force("2024-01-01") and not unitary.in_force("2022-01-01")
    assert "North Yorkshire (E06000065)" in str(unitary)
    assert "<table>" in unitary._repr_html_() and "E10000023" in unitary._repr_html_()
    assert pz.find_council is find_council


def test_a_replaced_council_names_its_successors():
    with pytest.raises(UnknownCouncilError) as caught:
        find_council("Cumbria")
    message = str(caught.value)
    assert "replaced on 2023-04-01" in message
    assert "Cumberland (E06000063)" in message and "Westmorland and Furness (E06000064)" in message
    assert find_council("Cumbria", at=2020).code == "E10000006"


def test_a_council_before_it_existed_says_when_it_starts():
    with pytest.raises(UnknownCouncilError, match="did not exist yet on 2019-04-01"):
        find_council("E06000061", at=2020)


def test_an_unknown_name_lists_close_matches():
    with pytest.raises(UnknownCouncilError, match="Manchester"):
        find_council("Manchster")
    with pytest.raises(UnknownCouncilError, match="close matches: none"):
        find_council("Atlantis")
    with pytest.raises(UnknownCouncilError, match="unknown council code"):
        find_council("E99999999")


@pytest.mark.parametrize("at", [2015.5, "soon", "2023-13-01", True])
def test_bad_at_is_refused(at):
    with pytest.raises((TypeError, ValueError)):
        find_council("Manchester", at=at)


def test_council_series_follows_a_reorganised_council_back_through_its_predecessors():
    cube = pz.load_cube(measures=["sds_users"])
    series, found = pz.geo.council_series(cube, "North Yorkshire")
    assert found.code == "E06000065"
    years = series.value.sel(council="E06000065", measure="sds_users").dropna("year").year
    assert int(years.min()) == 2015 and int(years.max()) == int(cube.year.max())
    # the county's own published rates are carried, unchanged, onto the unitary code
    county = cube.value.sel(council="E10000023", measure="sds_users", year=2020).item()
    assert series.value.sel(council="E06000065", measure="sds_users", year=2020).item() == county


def test_council_series_leaves_other_councils_on_the_cube_as_it_is():
    cube = pz.load_cube(measures=["sds_users"])
    for council in ("Manchester", "Cumbria"):
        series, found = pz.geo.council_series(cube, council)
        assert series is cube and found.code in {"E08000003", "E10000006"}
