"""The cube: shape, labels, missing values, and figures against the publications."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _helpers import tidy_row

import personalisation as pz
from personalisation.cube import cube_from_tidy, load_metadata, load_tidy
from personalisation.errors import MissingYearError, UnknownMeasureError


def test_cube_from_tidy_fills_gaps_with_nan_and_status():
    tidy = pd.DataFrame(
        [
            tidy_row(),
            tidy_row(
                council_code="E06000001",
                council_name="Hartlepool",
                status="suppressed",
                numerator=np.nan,
                denominator=np.nan,
                value=np.nan,
            ),
            tidy_row(year=2020, period="2019-20", numerator=np.nan, denominator=np.nan, value=40.0),
            tidy_row(
                measure="dp_clients",
                year=2015,
                period="2014-15",
                value=7.0,
                numerator=np.nan,
                denominator=np.nan,
                published_code="x",
                definition="PSS-EX1 (RAP)",
            ),
        ]
    )
    cube = cube_from_tidy(tidy)
    assert dict(cube.sizes) == {"council": 2, "year": 3, "measure": 2}
    cell = cube.sel(council="E06000001", year=2021, measure="sds_users")
    assert pz.decode_status(cell.status).item() == "suppressed" and np.isnan(cell.value.item())
    # Hartlepool has no 2019-20 row although the measure was published that year -> missing
    assert (
        pz.decode_status(
            cube.status.sel(council="E06000001", year=2020, measure="sds_users")
        ).item()
        == "missing"
    )
    # dp_clients has no figure at all in 2021 -> not-collected, not zero
    gap = cube.sel(council="E08000003", year=2021, measure="dp_clients")
    assert pz.decode_status(gap.status).item() == "not-collected" and np.isnan(gap.value.item())
    assert cube.units.sel(measure="dp_clients").item() == "people"
    assert cube.units.sel(measure="sds_users").item() == "%"
    assert cube.period.sel(year=2020).item() == "2019-20"
    assert cube.definition.sel(year=2015, measure="dp_clients").item() == "PSS-EX1 (RAP)"


def test_cube_from_tidy_rejects_unknown_measure_and_year():
    tidy = pd.DataFrame([tidy_row()])
    with pytest.raises(UnknownMeasureError, match="no_such_measure"):
        cube_from_tidy(tidy, measures=["no_such_measure"])
    with pytest.raises(UnknownMeasureError, match="dp_users"):
        cube_from_tidy(tidy, measures=["dp_users"])
    with pytest.raises(MissingYearError, match="2012"):
        cube_from_tidy(tidy, years=[2012])


def test_unknown_council_code_is_refused():
    from personalisation.errors import UnknownCouncilError

    tidy = pd.DataFrame([tidy_row(), tidy_row(council_code="E10099999", council_name="Nowhere")])
    with pytest.raises(UnknownCouncilError, match="E10099999"):
        cube_from_tidy(tidy)


def test_missing_register_fails_clearly_instead_of_accepting_every_code(tmp_path, monkeypatch):
    # before: any ImportError/KeyError/FileNotFoundError made every code "valid"
    from personalisation.errors import DataNotFoundError

    monkeypatch.setenv("PERSONALISATION_GEO_DIR", str(tmp_path))
    tidy = pd.DataFrame([tidy_row(), tidy_row(council_code="E10099999", council_name="Nowhere")])
    with pytest.raises(DataNotFoundError, match=r"(councils|events)\.csv not found: rebuild geo"):
        cube_from_tidy(tidy)


def test_year_before_the_register_is_refused_not_labelled_unknown():
    tidy = pd.DataFrame([tidy_row(year=2008, period="2007-08")])
    with pytest.raises(MissingYearError, match="2008"):
        cube_from_tidy(tidy)


def test_figure_for_a_retired_council_is_flagged():
    # Bournemouth (E06000028) was abolished in April 2019: a 2020-21 figure for it is suspect
    tidy = pd.DataFrame(
        [tidy_row(), tidy_row(council_code="E06000028", council_name="Bournemouth")]
    )
    with pytest.warns(UserWarning, match="E06000028 in 2021"):
        cube_from_tidy(tidy)


# --------------------------------------------------------------------------- shipped data


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return pz.load_cube()


def test_load_cube_shape_and_labels(cube):
    assert set(cube.dims) == {"council", "year", "measure"}
    for name in ("numerator", "denominator", "value", "status"):
        assert cube[name].dims == ("council", "year", "measure")
    for coord in (
        "council_name",
        "council_type",
        "region_code",
        "region_name",
        "period",
        "measure_label",
        "units",
        "geography_vintage",
    ):
        assert coord in cube.coords
    for key in ("title", "sources", "licence", "attribution", "citation", "data_version"):
        assert cube.attrs[key], key
    assert "Open Government Licence" in cube.attrs["licence"]
    assert {"sds_users", "sds_carers", "dp_users", "dp_carers"} <= set(cube.measure.values)
    assert set(range(2015, 2025)) <= set(cube.year.values.tolist())
    # every council that has a figure has a type and a region from the register
    councils = cube.council.values
    gss = [c for c in councils if c.startswith("E")]
    assert (cube.council_type.sel(council=gss) != "unknown").all()
    assert (cube.region_code.sel(council=gss).str.startswith("E12")).all()


def test_councils_outside_a_years_geography_are_flagged(cube):
    # Bournemouth (E06000028) was replaced by BCP (E06000058) in April 2019
    assert (
        pz.decode_status(
            cube.status.sel(council="E06000028", year=2021, measure="sds_users")
        ).item()
        == "not-in-geography"
    )
    assert (
        pz.decode_status(
            cube.status.sel(council="E06000058", year=2018, measure="sds_users")
        ).item()
        == "not-in-geography"
    )
    assert (
        pz.decode_status(
            cube.status.sel(council="E06000058", year=2021, measure="sds_users")
        ).item()
        == "published"
    )


def test_no_value_invented(cube):
    unpublished = pz.decode_status(cube.status) != "published"
    assert bool(cube.value.where(unpublished).isnull().all())
    # rates stay within 0..100, counts non-negative
    rates = cube.value.sel(measure=cube.kind == "rate")
    assert float(rates.min()) >= 0 and float(rates.max()) <= 100
    assert float(cube.numerator.min()) >= 0
    both = cube.numerator.notnull() & cube.denominator.notnull()
    assert bool((cube.numerator <= cube.denominator).where(both, True).all())


# Figures from the publications (see ../shared/data/raw/indicators/PROVENANCE.md).
SPOT_CHECKS = [
    # council, year, measure, value, numerator, denominator
    ("E08000003", 2021, "sds_users", 90.1, 3687, 4091),
    ("E08000003", 2021, "dp_users", 15.5, 633, 4091),
    ("E10000027", 2021, "sds_users", 68.7, 2943, 4281),
    ("E10000027", 2021, "dp_users", 35.5, 1521, 4281),
    ("E08000003", 2015, "sds_users", 43.2, None, None),
    ("E08000003", 2016, "sds_users", 60.6, None, None),
    ("E10000027", 2019, "sds_users", 91.5, None, None),
    ("E08000003", 2024, "sds_users", 24.3, None, None),
    ("E10000027", 2022, "sds_users", 96.5, None, None),
    ("E08000003", 2017, "dp_users", 8.6, None, None),
    ("E08000003", 2009, "dp_clients", 585, None, None),
    ("E10000027", 2009, "dp_clients", 735, None, None),
    ("E08000003", 2013, "dp_clients", 585, None, None),
    ("E10000027", 2014, "dp_clients", 1060, None, None),
    ("E08000003", 2010, "dp_pb_clients", 3515, None, None),
    ("E08000003", 2015, "population_18plus", 413030, None, None),
    ("E08000003", 2021, "population_18plus", 423251, None, None),
]


@pytest.mark.parametrize(
    ("council", "year", "measure", "value", "numerator", "denominator"), SPOT_CHECKS
)
def test_spot_checks_against_publications(
    cube, council, year, measure, value, numerator, denominator
):
    cell = cube.sel(council=council, year=year, measure=measure)
    assert pz.decode_status(cell.status).item() == "published"
    assert cell.value.item() == pytest.approx(value)
    if numerator is not None:
        assert cell.numerator.item() == numerator
        assert cell.denominator.item() == denominator


ENGLAND_CHECKS = [
    (2021, "sds_users", 92.2, 409504, 444128),
    (2015, "sds_users", 83.7, None, None),
    (2018, "sds_users", 89.7, None, None),
    (2024, "dp_users", 25.5, None, None),
    (2009, "dp_clients", 67685, None, None),
    (2010, "dp_pb_clients", 130900, None, None),
]


@pytest.mark.parametrize(("year", "measure", "value", "numerator", "denominator"), ENGLAND_CHECKS)
def test_england_rows(year, measure, value, numerator, denominator):
    england = pz.load_cube(geography_level="england")
    cell = england.sel(council="E92000001", year=year, measure=measure)
    assert cell.value.item() == pytest.approx(value)
    if numerator is not None:
        assert cell.numerator.item() == numerator
        assert cell.denominator.item() == denominator


def test_england_numerators_are_sums_over_councils(cube):
    """ASCOF England numerators/denominators are the sums of the council ones (where all are published)."""
    england = pz.load_cube(geography_level="england")
    checked = 0
    for year in cube.year.values:
        for measure in ("sds_users", "dp_users"):
            councils = cube.sel(year=year, measure=measure)
            councils = councils.where(
                pz.decode_status(councils.status) != "not-in-geography", drop=True
            )
            total = england.sel(council="E92000001", year=year, measure=measure)
            if np.isnan(total.denominator.item()) or councils.denominator.isnull().any():
                continue  # suppressed councils: the England figure includes them
            assert councils.denominator.sum().item() == total.denominator.item()
            assert councils.numerator.sum().item() == total.numerator.item()
            checked += 1
    assert checked >= 6


def test_metadata_lists_sources_with_hashes():
    metadata = load_metadata()
    assert len(metadata["sources"]) >= 17
    for source in metadata["sources"]:
        assert len(source["sha256"]) == 64
        assert source["licence"] and source["publisher"] and source["title"]
    assert any("NI 130" in gap["what"] for gap in metadata["gaps"])
    # overlapping sources agree exactly where both publish a value
    for check in metadata["cross_checks"]:
        assert check["values_differing"] == 0, check


def test_tidy_table_passes_schema():
    from personalisation.schema import validate_tidy

    tidy = load_tidy()
    validate_tidy(tidy, where="shipped indicators.csv")
    assert (tidy["status"].isin(["suppressed", "not-collected"]) <= tidy["value"].isna()).all()


def test_netcdf_round_trip_loses_nothing(cube, tmp_path):
    pytest.importorskip("netCDF4", reason="the netcdf extra is not installed")
    path = tmp_path / "cube.nc"
    cube.to_netcdf(path, engine="netcdf4")
    back = xr.load_dataset(path, engine="netcdf4")
    xr.testing.assert_identical(back, cube)


def test_every_council_code_resolves_to_the_register():
    from personalisation.geo import register

    tidy = load_tidy()
    councils = tidy[tidy.geography_level == "council"]
    known = set(register.councils()["council_code"])
    assert set(councils.council_code) <= known
    # indicator figures belong to their own year's geography ...
    indicators = councils[~councils.measure.str.startswith("population")]
    for year, codes in indicators.groupby("year")["council_code"]:
        in_force = set(register.councils(register.vintage_for_year(int(year)))["council_code"])
        assert set(codes) <= in_force, (year, sorted(set(codes) - in_force))
    # ... while ONS published some mid-year estimates on a later geography (mid-2020 on April 2021)
    population = councils[councils.measure.str.startswith("population")]
    for year, codes in population.groupby("year")["council_code"]:
        later = [v for v in register.vintages() if v >= register.vintage_for_year(int(year))]
        in_force = set().union(*(set(register.councils(v)["council_code"]) for v in later))
        assert set(codes) <= in_force, year


# ----------------------------------------------------------------- API edges (issue 10)
def test_years_accepts_int_sequence_and_period_strings():
    tidy = pd.DataFrame([tidy_row(), tidy_row(year=2020, period="2019-20")])
    assert cube_from_tidy(tidy, years=2021).year.values.tolist() == [2021]
    assert cube_from_tidy(tidy, years="2019-20").year.values.tolist() == [2020]
    assert cube_from_tidy(tidy, years=[2021, "2019-20"]).year.values.tolist() == [2020, 2021]
    assert cube_from_tidy(tidy, years=np.array([2020])).year.values.tolist() == [2020]


@pytest.mark.parametrize(
    "years, message",
    [
        (2015.7, r"whole years like 2015 .* got 2015\.7 \(float\)"),
        ([2021, 2020.0], r"got 2020\.0 \(float\)"),
        ([], r"years=\[\] selects nothing"),
        ("twenty", r"'twenty' is neither a year"),
        (True, r"got True \(bool\)"),
    ],
)
def test_years_refuses_floats_empty_lists_and_text(years, message):
    tidy = pd.DataFrame([tidy_row()])
    with pytest.raises(ValueError, match=message):
        cube_from_tidy(tidy, years=years)


def test_a_measure_string_is_one_measure_not_its_letters():
    tidy = pd.DataFrame([tidy_row(), tidy_row(measure="dp_users", published_code="1C2A")])
    cube = cube_from_tidy(tidy, measures="sds_users")
    assert cube.measure.values.tolist() == ["sds_users"]
    with pytest.raises(ValueError, match=r"measures=\[\] selects nothing"):
        cube_from_tidy(tidy, measures=[])


def test_load_cube_takes_the_same_years_and_measures():
    cube = pz.load_cube(measures="sds_users", years="2020-21")
    assert cube.sizes["measure"] == 1 and cube.year.values.tolist() == [2021]
    with pytest.raises(ValueError, match="2015.7"):
        pz.load_cube(years=2015.7)


def test_cube_builds_from_arrow_backed_strings():
    """With pyarrow installed pandas stores strings in Arrow arrays; the cube must not care."""
    pytest.importorskip("pyarrow")
    import pandas as pd

    from personalisation import cube as cube_module

    tidy = cube_module.load_tidy()
    arrow = tidy.astype({c: "string[pyarrow]" for c in tidy.columns if tidy[c].dtype == "string"})
    built = cube_module.cube_from_tidy(arrow, measures=["sds_users"])
    plain = cube_module.cube_from_tidy(
        tidy.astype({c: object for c in tidy.columns if tidy[c].dtype == "string"}),
        measures=["sds_users"],
    )
    assert pd.Index(built.council.values).equals(pd.Index(plain.council.values))
    assert built.value.equals(plain.value) and built.status.equals(plain.status)


# ------------------------------------------------- built once per process (issue 14)
def test_load_cube_builds_once_and_hands_out_independent_copies():
    from personalisation import cube as cube_module

    first = pz.load_cube(measures=["sds_users", "dp_users"])
    built = cube_module.cube_from_tidy(
        load_tidy(),
        measures=["sds_users", "dp_users"],
        attrs=cube_module._cube_attrs(load_metadata()),
    )
    xr.testing.assert_identical(first, built)
    first["value"][:] = -1.0
    first.attrs["title"] = "changed by a caller"
    first["status"].attrs["flag_meanings"] = "changed"
    second = pz.load_cube(measures=["sds_users", "dp_users"])
    xr.testing.assert_identical(second, built)
    assert second.value.sel(council="E08000003", year=2021, measure="sds_users").item() == 90.1


def test_load_cube_sees_a_changed_data_file(tmp_path):
    import shutil

    from personalisation import _paths

    for name in ("indicators.csv", "metadata.json"):
        shutil.copy(_paths.data_dir() / name, tmp_path / name)
    before = pz.load_cube("sds_users", 2021, data_dir=tmp_path)
    assert before.value.sel(council="E08000003").item() == 90.1
    text = (tmp_path / "indicators.csv").read_text(encoding="utf-8")
    tidy = pd.read_csv(tmp_path / "indicators.csv", dtype=str, keep_default_na=False)
    row = (
        (tidy.council_code == "E08000003")
        & (tidy.year == "2021")
        & (tidy.measure == "sds_users")
        & (tidy.disaggregation == "Total")
    )
    assert row.sum() == 1
    tidy.loc[row, "value"] = "12.5"
    tidy.to_csv(tmp_path / "indicators.csv", index=False)
    assert (tmp_path / "indicators.csv").read_text(encoding="utf-8") != text
    after = pz.load_cube("sds_users", 2021, data_dir=tmp_path)
    assert after.value.sel(council="E08000003").item() == 12.5
