"""The cube's ``status``: int8 codes with CF flags, decoded to the published names.

Expectations come from the shipped ``data/indicators.csv`` rows read as text (Hartlepool's
2021-22 T38 commissioned-support count is ``suppressed``, Manchester's 2020-21 1C1A
published as 90.1), not from the cube code under test.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
import xarray as xr

import personalisation as pz
from personalisation import _paths
from personalisation.errors import SchemaError
from personalisation.schema import CUBE_STATUS_VALUES, STATUS_CODES, status_attrs


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return pz.load_cube()


def _shipped_status(council: str, year: int, measure: str) -> str:
    with open(_paths.data_dir() / "indicators.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if (row["council_code"], row["year"], row["measure"]) == (
                council,
                str(year),
                measure,
            ) and (row["geography_level"], row["disaggregation"]) == ("council", "Total"):
                return row["status"]
    raise AssertionError(f"no shipped row for {council} {year} {measure}")


def test_cube_status_is_int8_with_cf_flags(cube):
    status = cube["status"]
    assert status.dtype == np.int8
    assert status.attrs["flag_values"].dtype == np.int8
    assert status.attrs["flag_values"].tolist() == list(range(len(CUBE_STATUS_VALUES)))
    meanings = status.attrs["flag_meanings"].split(" ")
    assert meanings == list(CUBE_STATUS_VALUES)
    assert all(m and " " not in m for m in meanings)  # CF: blank-separated, no blanks inside
    assert "standard_name" not in status.attrs and status.attrs["long_name"]


@pytest.mark.parametrize(
    ("council", "year", "measure", "expected"),
    [
        ("E06000001", 2022, "lts_commissioned_only", "suppressed"),
        ("E09000012", 2022, "carers_support_salt", "not-collected"),
        ("E08000003", 2021, "sds_users", "published"),
    ],
)
def test_decoded_cells_are_the_published_statuses(cube, council, year, measure, expected):
    assert _shipped_status(council, year, measure) == expected
    cell = cube["status"].sel(council=council, year=year, measure=measure)
    code = int(cell.item())
    # decoded by the CF attributes alone, as software without this package would
    meanings = cube["status"].attrs["flag_meanings"].split()
    flag_values = cube["status"].attrs["flag_values"].tolist()
    assert meanings[flag_values.index(code)] == expected
    assert pz.decode_status(cell).item() == expected
    assert pz.decode_status(code) == expected


def test_decode_keeps_dims_and_coords_and_matches_the_tidy_counts(cube):
    names = pz.decode_status(cube["status"])
    assert names.dims == cube["status"].dims and names.dtype.kind == "U"
    xr.testing.assert_identical(names.council_name, cube.council_name)
    assert "flag_values" not in names.attrs
    tidy = pz.load_tidy()
    rows = tidy[(tidy.geography_level == "council") & (tidy.disaggregation == "Total")]
    for status in ("published", "suppressed"):  # the cube adds no such cell, drops none
        assert int((names == status).sum()) == int((rows.status == status).sum()), status
    # the cube fills cells without a row: not-collected is at least what was published so
    assert int((names == "not-collected").sum()) >= int((rows.status == "not-collected").sum())


def test_status_takes_an_eighth_of_the_memory_of_value_or_less(cube):
    names = pz.decode_status(cube["status"])  # what the cube held before: <U16
    assert names.dtype == np.dtype("<U16")
    assert cube["status"].nbytes * 8 <= cube["value"].nbytes
    assert cube["status"].nbytes * 8 <= names.nbytes  # 1 byte a cell against 64


def test_encode_decode_round_trip_over_every_status():
    names = np.array(CUBE_STATUS_VALUES).reshape(3, 3)
    codes = pz.encode_status(names)
    assert codes.dtype == np.int8 and codes.shape == (3, 3)
    assert codes.ravel().tolist() == [STATUS_CODES[n] for n in CUBE_STATUS_VALUES]
    assert pz.decode_status(codes).tolist() == names.tolist()
    assert pz.decode_status(pz.decode_status(codes)).tolist() == names.tolist()  # idempotent
    assert pz.encode_status(codes).tolist() == codes.tolist()
    array = xr.DataArray(names, dims=("a", "b"), coords={"a": [1, 2, 3]})
    encoded = pz.encode_status(array)
    assert (
        encoded.dtype == np.int8
        and encoded.attrs["flag_meanings"] == status_attrs()["flag_meanings"]
    )
    xr.testing.assert_equal(pz.decode_status(encoded), array)


def test_dask_status_decodes_lazily():
    pytest.importorskip("dask", reason="the dask extra is not installed")
    codes = xr.DataArray(np.arange(9, dtype=np.int8).reshape(3, 3), dims=("a", "b")).chunk(1)
    names = pz.decode_status(codes)
    assert names.chunks is not None
    assert names.values.ravel().tolist() == list(CUBE_STATUS_VALUES)


@pytest.mark.parametrize("bad", ["guessed", "Published", "not collected"])
def test_an_unknown_name_is_refused_by_name(bad):
    with pytest.raises(SchemaError, match=f"unknown status value.*'{bad}'"):
        pz.encode_status(["published", bad])
    with pytest.raises(SchemaError, match=f"'{bad}'"):
        pz.decode_status(np.array([bad]))


@pytest.mark.parametrize("bad", [-1, 9, 42])
def test_an_unknown_code_is_refused_by_code(bad):
    with pytest.raises(SchemaError, match=rf"unknown status code\(s\) \[{bad}\]"):
        pz.decode_status(np.array([0, bad], dtype=np.int16))
    with pytest.raises(SchemaError, match=rf"\[{bad}\]"):
        pz.encode_status(np.array([bad]))


def test_a_status_turned_float_by_nan_is_refused_with_the_way_out(cube):
    holes = cube["status"].isel(council=[0]).reindex(council=["E06000001", "nowhere"])
    assert holes.dtype.kind == "f"
    with pytest.raises(SchemaError, match="NaN.*fill_value"):
        pz.decode_status(holes)


def test_netcdf_keeps_the_int8_codes_and_flags(cube, tmp_path):
    pytest.importorskip("netCDF4", reason="the netcdf extra is not installed")
    path = tmp_path / "status.nc"
    cube[["status"]].to_netcdf(path, engine="netcdf4")
    back = xr.load_dataset(path, engine="netcdf4")
    assert back["status"].dtype == np.int8
    np.testing.assert_array_equal(
        back["status"].attrs["flag_values"], status_attrs()["flag_values"]
    )
    assert back["status"].attrs["flag_meanings"] == status_attrs()["flag_meanings"]
    xr.testing.assert_equal(pz.decode_status(back["status"]), pz.decode_status(cube["status"]))


def test_harmonise_keeps_int8_codes_and_names_in_names_out(cube):
    part = cube.sel(measure=["sds_users"], year=[2018, 2021])
    harmonised = pz.harmonise(part, to="2023")
    assert harmonised["status"].dtype == np.int8
    assert harmonised["status"].attrs["flag_meanings"] == status_attrs()["flag_meanings"]
    as_names = pz.harmonise(part.assign(status=pz.decode_status(part["status"])), to="2023")
    assert as_names["status"].dtype.kind == "U"
    xr.testing.assert_equal(pz.decode_status(harmonised["status"]), as_names["status"])


def test_tables_for_people_hold_the_names(cube):
    frame = pz.to_geodataframe(cube, 2021, "sds_users")
    assert set(frame["status"]) <= set(CUBE_STATUS_VALUES) and "published" in set(frame["status"])
    from personalisation.stats._validate import prepare

    ds = prepare(cube, "sds_users", 2021)
    assert ds["status"].dtype.kind == "U"
    assert set(ds["status"].values.ravel()) <= set(CUBE_STATUS_VALUES)
