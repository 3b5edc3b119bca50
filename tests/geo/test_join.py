"""attach_geometry / to_geodataframe on synthetic cubes carrying real council codes."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

gpd = pytest.importorskip("geopandas")
pytest.importorskip("xvec")

from personalisation.errors import MissingYearError, UnknownMeasureError  # noqa: E402
from personalisation.geo._boundaries import boundaries  # noqa: E402
from personalisation.geo.join import (  # noqa: E402
    GeometryMismatchWarning,
    MixedVintageError,
    attach_geometry,
    to_geodataframe,
)
from personalisation.geo.register import councils  # noqa: E402
from personalisation.testing import make_cube  # noqa: E402


def real_cube(vintage: str, years: list[int], n: int | None = None, **kwargs):
    """make_cube with the council coordinate and labels of a real vintage."""
    reg = councils(vintage)
    if n is not None:
        reg = reg.iloc[:n]
    cube = make_cube(n_councils=len(reg), years=years, **kwargs)
    return cube.assign_coords(
        council=list(reg["council_code"]),
        council_name=("council", list(reg["council_name"])),
        council_type=("council", list(reg["council_type"])),
        region_code=("council", list(reg["region_code"])),
        region_name=("council", list(reg["region_name"])),
    )


def test_attach_geometry_full_vintage_without_warnings() -> None:
    cube = real_cube("2013", [2015, 2016, 2017])
    with warnings.catch_warnings():
        warnings.simplefilter("error", GeometryMismatchWarning)
        out = attach_geometry(cube)
    assert out.attrs["geometry_vintage"] == "2013"
    assert out.attrs["councils_without_geometry"] == []
    assert out.attrs["geometry_without_data"] == []
    assert out.xindexes["geometry"].crs.to_epsg() == 27700
    assert out["geometry"].dims == ("council",)
    ref = boundaries("2013").set_index("council_code").geometry
    code = "E10000021"
    assert out["geometry"].sel(council=code).item().equals(ref[code])
    # data untouched
    assert np.array_equal(out["value"].values, cube["value"].values, equal_nan=True)
    assert out.attrs["title"] == cube.attrs["title"]
    assert "Open Government Licence" in out.attrs["geometry_attribution"]


def test_vintage_from_the_years_when_not_given() -> None:
    cube = real_cube("2021", [2022, 2023], n=5)
    cube = cube.drop_vars("geography_vintage")
    with pytest.warns(GeometryMismatchWarning, match="147 council"):
        out = attach_geometry(cube)
    assert out.attrs["geometry_vintage"] == "2021"  # data years 2022-2023 -> vintage 2021


def test_mixed_vintages_ask_to_harmonise() -> None:
    cube = real_cube("2019", [2019, 2021], n=3).drop_vars("geography_vintage")
    with pytest.raises(MixedVintageError, match="harmonise"):
        attach_geometry(cube)
    # an explicit vintage is accepted
    with pytest.warns(GeometryMismatchWarning):
        assert attach_geometry(cube, "2019").attrs["geometry_vintage"] == "2019"


def test_mismatches_are_named_not_dropped() -> None:
    cube = real_cube("2019", [2020], n=3)
    reg = councils("2019")
    codes = [*cube["council"].values[:-1], "E99999999"]
    cube = cube.assign_coords(council=codes)
    name = str(cube["council_name"].values[-1])
    with pytest.warns(GeometryMismatchWarning) as record:
        out = attach_geometry(cube, "2019")
    messages = " ".join(str(w.message) for w in record)
    assert f"E99999999 ({name})" in messages
    assert out.sizes["council"] == 3
    assert out.attrs["councils_without_geometry"] == [f"E99999999 ({name})"]
    assert out["geometry"].sel(council="E99999999").item().is_empty
    without_data = out.attrs["geometry_without_data"]
    assert len(without_data) == len(reg) - 2
    last = reg.iloc[-1]
    assert f"{last.council_code} ({last.council_name})" in without_data


def test_hexes_kind_has_no_crs() -> None:
    cube = real_cube("2023", [2024], n=4)
    with pytest.warns(GeometryMismatchWarning):
        out = attach_geometry(cube, kind="hexes")
    assert out.xindexes["geometry"].crs is None
    assert out.attrs["geometry_kind"] == "hexes"
    with pytest.raises(ValueError, match="unknown geometry kind"):
        attach_geometry(cube, kind="dots")


def test_to_geodataframe_long_table_matches_the_cube() -> None:
    cube = real_cube("2013", [2016, 2017], missing_fraction=0.2, seed=3)
    gdf = to_geodataframe(cube, [2016, 2017], ["sds_users", "dp_users"])
    assert len(gdf) == cube.sizes["council"] * 2 * 2
    assert list(gdf.columns[:7]) == [
        "council",
        "year",
        "measure",
        "numerator",
        "denominator",
        "value",
        "status",
    ]
    for column in ("council_name", "council_type", "region_code", "region_name", "geometry"):
        assert column in gdf.columns
    assert gdf.crs.to_epsg() == 27700
    for row in gdf.sample(25, random_state=1).itertuples():
        cell = cube.sel(council=row.council, year=row.year, measure=row.measure)
        assert np.array_equal(float(cell["value"]), row.value, equal_nan=True)
        assert str(cell["status"].item()) == row.status
    missing = gdf[gdf["status"] == "missing"]
    assert len(missing) > 0 and missing["value"].isna().all()
    assert gdf.attrs["geometry_vintage"] == "2013"
    assert "SYNTHETIC" not in gdf.attrs["attribution"]  # attribution, not the title
    assert "Open Government Licence" in gdf.attrs["attribution"]


def test_to_geodataframe_wide_and_errors() -> None:
    cube = real_cube("2013", [2016], n=6)
    with pytest.warns(GeometryMismatchWarning):
        wide = to_geodataframe(cube, 2016, ["sds_users", "dp_users"], wide=True)
    assert len(wide) == 6
    assert "value__sds_users__2016" in wide.columns and "status__dp_users__2016" in wide.columns
    first = wide.set_index("council").loc[str(cube["council"].values[0])]
    assert first["value__dp_users__2016"] == float(
        cube["value"].sel(year=2016, measure="dp_users").isel(council=0)
    )
    with pytest.raises(MissingYearError, match="2030"):
        to_geodataframe(cube, 2030, "sds_users")
    with pytest.raises(UnknownMeasureError, match="nope"):
        to_geodataframe(cube, 2016, "nope")


def test_geopackage_round_trip_loses_nothing(tmp_path: Path) -> None:
    cube = real_cube("2019", [2020, 2021], missing_fraction=0.15, seed=7)
    gdf = to_geodataframe(cube, [2020, 2021], ["sds_users", "dp_users"], vintage="2019")
    path = tmp_path / "cube.gpkg"
    gdf.to_file(path, layer="data", driver="GPKG", engine="pyogrio")
    back = gpd.read_file(path, layer="data", engine="pyogrio")
    assert list(back.columns) == list(gdf.columns)
    assert back.crs.to_epsg() == 27700
    for column in gdf.columns:
        if column == "geometry":
            # GeoPackage stores one geometry type: polygons come back as multipolygons
            assert back.geometry.geom_equals(gdf.geometry).all()
            assert (back.geometry.area == gdf.geometry.area).all()
        elif gdf[column].dtype.kind == "f":
            assert np.array_equal(back[column].to_numpy(), gdf[column].to_numpy(), equal_nan=True)
        else:
            assert back[column].astype(str).tolist() == gdf[column].astype(str).tolist(), column
    assert back["year"].tolist() == gdf["year"].tolist()


def test_harmonised_units_get_dissolved_geometry() -> None:
    """A split council kept whole by harmonise is drawn as the union of its successors."""
    from personalisation.geo import boundaries
    from personalisation.geo.join import with_units

    shapes = boundaries("2023")
    units = with_units(shapes, ["E10000006", "E06000058+E06000059", "E06000065"], "2023")
    codes = set(units.council_code)
    assert {"E10000006", "E06000058+E06000059"} <= codes
    assert not {"E06000063", "E06000064", "E06000058", "E06000059"} & codes  # replaced by the units
    cumbria = units.set_index("council_code").geometry["E10000006"]
    parts = shapes.set_index("council_code").geometry[["E06000063", "E06000064"]]
    assert abs(cumbria.area - parts.area.sum()) < 1e-6 * cumbria.area
    assert units.set_index("council_code").council_name["E06000058+E06000059"].count("+") == 1
    assert len(units) == len(shapes) - 4 + 2


def test_old_councils_on_a_later_vintage_are_reported_not_given_successor_shapes() -> None:
    import warnings

    import personalisation as pz

    cube = pz.load_cube(measures=["sds_users"], years=[2018])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = pz.to_geodataframe(cube, 2018, "sds_users", vintage="2023")
    missing = frame.attrs["councils_without_geometry"]
    assert any(entry.startswith("E06000028") for entry in missing)  # Bournemouth
    assert frame.set_index("council").geometry["E06000028"].is_empty
    assert any("no boundaries" in str(w.message) for w in caught)


# ----------------------------------------------------------------- NetCDF (issue 10)
def test_geometry_round_trips_through_netcdf_or_fails_clearly(tmp_path) -> None:
    import warnings

    import xarray as xr

    import personalisation as pz
    from personalisation.geo.join import attach_geometry, encode_cf

    cube = pz.load_cube(measures="sds_users", years=2021)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = attach_geometry(cube, "2019")  # Buckinghamshire UA has no 2019 boundary
        dropped = attach_geometry(cube, "2019", missing="drop")
    with pytest.raises(ValueError, match=r"E06000060.*missing='drop'"):
        encode_cf(kept)
    assert "E06000060" not in dropped["council"].values
    assert kept.sizes["council"] - dropped.sizes["council"] == 1
    assert dropped.attrs["councils_without_geometry"] == ["E06000060 (Buckinghamshire)"]
    path = tmp_path / "with_geometry.nc"
    encode_cf(dropped).to_netcdf(path)
    with xr.open_dataset(path) as opened:
        back = opened.load().xvec.decode_cf()
    assert back["council"].values.tolist() == dropped["council"].values.tolist()
    np.testing.assert_array_equal(back["value"].values, dropped["value"].values)
    for a, b in zip(back["geometry"].values, dropped["geometry"].values, strict=True):
        assert a.equals(b)
    with pytest.raises(ValueError, match="missing must be"):
        attach_geometry(cube, "2019", missing="zero")
