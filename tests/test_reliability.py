"""Nothing lost, nothing invented: conservation through every reshaping, round trips, bad shipped files,
and reproducible outputs that say how they were made."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import personalisation as pz
from personalisation import _paths, outputs
from personalisation.cube import load_tidy
from personalisation.errors import DataNotFoundError, SchemaError, SourceFormatError


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return load_tidy()


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return pz.load_cube()


def _council_totals(tidy: pd.DataFrame) -> pd.DataFrame:
    rows = tidy[(tidy.geography_level == "council") & (tidy.disaggregation == "Total")]
    return rows.groupby(["year", "measure"])[["numerator", "denominator", "value"]].sum(min_count=1)


def test_tidy_to_cube_conserves_every_count(tidy, cube):
    expected = _council_totals(tidy)
    got = cube[["numerator", "denominator", "value"]].sum("council", min_count=1).to_dataframe()
    got = got[["numerator", "denominator", "value"]].reindex(expected.index)
    # counts to the unit; summed rates only up to floating-point summation order
    pd.testing.assert_frame_equal(
        got[["numerator", "denominator"]],
        expected[["numerator", "denominator"]],
        check_exact=True,
        check_dtype=False,
    )
    counts = [
        m
        for m in expected.index.get_level_values("measure").unique()
        if pz.measures.get(m).kind == "count"
    ]
    in_counts = expected.index.get_level_values("measure").isin(counts)
    pd.testing.assert_series_equal(
        got.loc[in_counts, "value"], expected.loc[in_counts, "value"], check_exact=True
    )
    pd.testing.assert_series_equal(got["value"], expected["value"], rtol=1e-12)
    published = tidy[(tidy.geography_level == "council") & (tidy.disaggregation == "Total")]
    assert int((pz.decode_status(cube.status) == "published").sum()) == int(
        (published.status == "published").sum()
    )


@pytest.mark.parametrize("to", ["2013", "2019", "2023"])
def test_harmonise_conserves_england_totals(cube, to):
    rates = cube.sel(measure=["sds_users", "dp_users"], year=[2015, 2016, 2017, 2018, 2019, 2021])
    harmonised = pz.harmonise(rates, to=to)
    for name in ("numerator", "denominator"):
        before = rates[name].sum("council")
        after = harmonised[name].sum("council")
        xr.testing.assert_equal(
            before.drop_vars(set(before.coords) - {"year", "measure"}),
            after.drop_vars(set(after.coords) - {"year", "measure"}),
        )


def test_pooled_england_equals_the_sum_of_councils(cube):
    table = pz.stats.regional(cube, measure="sds_users", year=2018)
    england = table[table["group"] == "E92000001"].iloc[0]
    councils = cube.sel(year=2018, measure="sds_users")
    assert england["numerator"] == councils.numerator.sum().item()
    assert england["denominator"] == councils.denominator.sum().item()
    regions = table[table["group_type"] == "region"]
    assert regions["numerator"].sum() == england["numerator"]


def test_geodataframe_and_geopackage_round_trip(cube, tmp_path):
    frame = pz.to_geodataframe(cube, 2021, "sds_users")
    cell = cube.sel(year=2021, measure="sds_users")
    assert frame["numerator"].sum() == cell.numerator.sum().item()
    assert len(frame) == int((pz.decode_status(cell.status) != "not-in-geography").sum())
    path = tmp_path / "sds.gpkg"
    frame.to_file(path, layer="sds_users_2021")
    import geopandas as gpd

    back = gpd.read_file(path, layer="sds_users_2021")
    for column in ("council", "council_name", "status", "numerator", "denominator", "value"):
        if column in frame:
            pd.testing.assert_series_equal(
                back[column].reset_index(drop=True),
                frame[column].reset_index(drop=True),
                check_dtype=False,
                check_names=False,
            )


def test_missing_stays_missing_never_zero(tidy, cube):
    # every suppressed or not-collected figure in the publications is NaN in the cube
    held = tidy[(tidy.geography_level == "council") & (tidy.disaggregation == "Total")]
    gaps = held[held.status != "published"]
    assert len(gaps) > 0
    for row in gaps.head(50).itertuples():
        cell = cube.sel(council=row.council_code, year=row.year, measure=row.measure)
        assert np.isnan(cell.value.item()) and pz.decode_status(cell.status).item() == row.status


# --------------------------------------------------------------------------- bad shipped files


def _copy_data(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(_paths.data_dir(), folder)
    return folder


def test_missing_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataNotFoundError, match="build-data"):
        pz.load_cube(data_dir=tmp_path)


def test_renamed_column_is_a_clear_error(tmp_path):
    folder = _copy_data(tmp_path)
    path = folder / "indicators.csv"
    text = path.read_text().replace("denominator", "denom", 1)
    path.write_text(text)
    with pytest.raises(SchemaError, match="missing columns \\['denominator'\\]"):
        pz.load_cube(data_dir=folder)


def test_truncated_table_is_a_clear_error(tmp_path):
    folder = _copy_data(tmp_path)
    path = folder / "indicators.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:1000]) + "\nE06000001,Hartlepool,coun")
    with pytest.raises((SchemaError, SourceFormatError)):
        pz.load_cube(data_dir=folder)


def test_text_in_a_numeric_column_is_a_clear_error(tmp_path):
    folder = _copy_data(tmp_path)
    path = folder / "indicators.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[5, "numerator"] = "[c]"
    frame.to_csv(path, index=False)
    with pytest.raises(SourceFormatError, match="indicators.csv"):
        pz.load_cube(data_dir=folder)


@pytest.mark.parametrize(
    ("damage", "error", "message"),
    [
        ("duplicate", SchemaError, "duplicated figures"),
        ("bogus_status", SchemaError, "status must be one of"),
        ("suppressed_zero", SchemaError, "must be NaN"),
        ("unknown_measure", pz.errors.UnknownMeasureError, "sds_userz"),
        ("unknown_council", pz.errors.UnknownCouncilError, "E08999999"),
    ],
)
def test_damaged_rows_in_the_shipped_table_are_named(tmp_path, damage, error, message):
    folder = _copy_data(tmp_path)
    path = folder / "indicators.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.index[(frame.measure == "sds_users") & (frame.geography_level == "council")][0]
    if damage == "duplicate":
        frame = pd.concat([frame, frame.loc[[row]]])
    elif damage == "bogus_status":
        frame.loc[row, "status"] = "bogus"
    elif damage == "suppressed_zero":
        frame.loc[row, ["status", "value"]] = ["suppressed", "0"]
    elif damage == "unknown_measure":
        frame.loc[row, "measure"] = "sds_userz"
    else:
        frame.loc[row, "council_code"] = "E08999999"
    frame.to_csv(path, index=False)
    with pytest.raises(error, match=message):
        pz.load_cube(data_dir=folder)


# --------------------------------------------------------------------------- reproducibility


def test_outputs_record_versions_and_parameters(cube, tmp_path):
    record = outputs.provenance(cube, {"measure": "sds_users", "year": 2021})
    assert record["package_version"] == pz.__version__
    assert (
        record["data_version"]
        == json.loads((_paths.data_dir() / "metadata.json").read_text())["data_version"]
    )
    table = pz.stats.variation(cube, measure="sds_users").to_frame()
    first = outputs.save_table(table, tmp_path / "a", "variation", record)
    second = outputs.save_table(
        pz.stats.variation(pz.load_cube(), measure="sds_users").to_frame(),
        tmp_path / "b",
        "variation",
        record,
    )
    assert first.read_bytes() == second.read_bytes()
    assert outputs.table_record(first) == outputs.table_record(second) == record


def test_figures_carry_their_provenance(cube, tmp_path):
    from PIL import Image

    record = outputs.provenance(cube, {"measure": "dp_users", "year": 2021})
    fig = pz.plot.trajectories(cube.sel(year=[2019, 2020, 2021]), "dp_users", england=False)
    png, pdf = outputs.save_figure(fig, tmp_path, "trajectories", record)
    assert json.loads(Image.open(png).text["Description"]) == record
    assert pdf.read_bytes().startswith(b"%PDF")


def test_harmonised_cube_round_trips_through_netcdf(cube, tmp_path):
    pytest.importorskip("netCDF4", reason="the netcdf extra is not installed")
    harmonised = pz.harmonise(cube.sel(measure=["sds_users", "dp_users"]), to="2023")
    path = tmp_path / "harmonised.nc"
    harmonised.to_netcdf(path, engine="netcdf4")
    xr.testing.assert_identical(xr.load_dataset(path, engine="netcdf4"), harmonised)


def test_harmonise_keeps_the_definition_of_every_value(cube):
    harmonised = pz.harmonise(cube.sel(measure=["sds_users"]), to="2023")
    expected = cube["definition"].sel(measure=["sds_users"])
    assert (harmonised["definition"].values == expected.values).all()
    assert harmonised["definition"].sel(year=2024, measure="sds_users").item() == "ASCOF 3D"
