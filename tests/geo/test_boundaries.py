"""Boundaries by vintage: counts and codes against the register, coverage without gaps or
overlaps, neighbours still touching after simplification, independent ONS code checks,
byte-identical rebuild, and the TopoJSON helpers on tiny inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

shapely = pytest.importorskip("shapely")
gpd = pytest.importorskip("geopandas")

from personalisation.build import boundaries as build_boundaries_module  # noqa: E402
from personalisation.build import raw as raw_registry  # noqa: E402
from personalisation.build import topojson as tj  # noqa: E402
from personalisation.errors import MissingYearError  # noqa: E402
from personalisation.geo import _boundaries as boundaries_module  # noqa: E402
from personalisation.geo._boundaries import boundaries, boundary_path  # noqa: E402
from personalisation.geo.register import councils, vintage_for_year, vintages  # noqa: E402

EXPECTED_COUNTS = {
    "2008": 150,
    "2009": 152,
    "2013": 152,
    "2019": 151,
    "2020": 151,
    "2021": 152,
    "2023": 153,
}


def _overlap_area(geoms: list) -> float:
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    return float(
        sum(
            geoms[a].intersection(geoms[b]).area
            for a, b in zip(left[keep], right[keep], strict=True)
        )
    )


def _touching_pairs(codes: list[str], geoms: list) -> set[tuple[str, str]]:
    """Pairs sharing a boundary line (not just a point)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = set()
    for a, b in zip(left, right, strict=True):
        if a < b and geoms[a].boundary.intersection(geoms[b].boundary).length > 0:
            pairs.add((codes[a], codes[b]))
    return pairs


@pytest.fixture(scope="module")
def source(raw_dir: Path):
    return build_boundaries_module.assemble_sources(raw_dir)


# ----------------------------------------------------------------------------- shipped file


@pytest.mark.parametrize("vintage", sorted(EXPECTED_COUNTS))
def test_council_count_and_codes_equal_register(vintage: str) -> None:
    gdf = boundaries(vintage)
    assert len(gdf) == EXPECTED_COUNTS[vintage]
    assert list(gdf["council_code"]) == sorted(councils(vintage)["council_code"])
    assert gdf["council_code"].is_unique


def test_every_register_vintage_has_boundaries() -> None:
    for vintage in vintages():
        assert set(boundaries(vintage)["council_code"]) == set(councils(vintage)["council_code"])


def test_columns_crs_labels_and_attribution() -> None:
    gdf = boundaries("2021")
    assert list(gdf.columns) == [
        "council_code",
        "council_name",
        "council_type",
        "region_code",
        "region_name",
        "geometry",
    ]
    assert gdf.crs.to_epsg() == 27700
    assert gdf.attrs["vintage"] == "2021"
    assert "Open Government Licence v.3.0" in gdf.attrs["attribution"]
    assert "Contains OS data" in gdf.attrs["attribution"]
    reg = councils("2021").set_index("council_code")
    row = gdf.set_index("council_code").loc["E06000061"]
    assert row["council_name"] == reg.loc["E06000061", "council_name"]
    assert row["council_type"] == "unitary authority"
    assert set(gdf["region_code"]) == {f"E1200000{i}" for i in range(1, 10)}
    # British National Grid metres: England lies within these bounds
    xmin, ymin, xmax, ymax = gdf.total_bounds
    assert 0 < xmin < 100_000 and 600_000 < xmax < 700_000
    assert 0 < ymin < 20_000 and 600_000 < ymax < 700_000


def test_any_year_resolves_to_its_vintage() -> None:
    assert boundaries(2017).attrs["vintage"] == "2013"
    assert boundaries("2024").attrs["vintage"] == "2023"
    assert len(boundaries(vintage_for_year(2021))) == 151  # 2020-21 data on the 2019 map


def test_unknown_vintage_lists_available_ones() -> None:
    with pytest.raises(MissingYearError, match="available vintages are 2008, 2009, 2013"):
        boundaries("1999")
    with pytest.raises(MissingYearError, match="unknown geography vintage 'latest'"):
        boundaries("latest")


def test_cached_read_returns_independent_frames() -> None:
    first = boundaries("2019")
    first.loc[0, "council_name"] = "changed"
    assert boundaries("2019").loc[0, "council_name"] != "changed"


def test_package_name_is_the_function_whatever_was_imported_first() -> None:
    import personalisation.geo as geo

    assert len(geo.boundaries("2020")) == 151
    assert geo.boundaries is boundaries_module.boundaries


@pytest.mark.parametrize("vintage", sorted(EXPECTED_COUNTS))
def test_valid_without_overlaps(vintage: str) -> None:
    gdf = boundaries(vintage)
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    total = shapely.union_all(list(gdf.geometry)).area
    assert 128_000e6 < total < 133_000e6  # England, m2
    assert _overlap_area(list(gdf.geometry)) < 1e-7 * total


def test_geopandas_reads_the_shipped_file_directly() -> None:
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(boundary_path())]
    assert layers == list(vintages())
    raw = gpd.read_file(boundary_path(), layer="2023")
    assert len(raw) == 153 and {"council_code", "council_name"} <= set(raw.columns)


def test_metadata_records_sources_tolerance_and_attribution() -> None:
    meta = boundaries_module.load_metadata()
    assert meta["simplification"]["tolerance_m"] == build_boundaries_module.TOLERANCE_M
    assert meta["crs"] == "EPSG:27700"
    assert meta["attribution"] == boundaries_module.ATTRIBUTION
    assert {s["id"] for s in meta["sources"]} == {"onsvisual-uk-topojson"}
    assert all(len(s["sha256"]) == 64 for s in meta["sources"] + meta["checks"])
    assert {v: d["councils"] for v, d in meta["vintages"].items() if v in EXPECTED_COUNTS} == (
        EXPECTED_COUNTS
    )
    assert boundary_path().stat().st_size < 2_000_000


def test_2008_counties_are_the_union_of_their_successors() -> None:
    b08 = boundaries("2008").set_index("council_code")
    b09 = boundaries("2009").set_index("council_code")
    old = sorted(set(b08.index) - set(b09.index))
    assert len(old) == 2 and all(c.startswith("cassr:") for c in old)
    assert set(b08.loc[old, "council_type"]) == {"county"}
    from personalisation.geo.register import successors

    for code in old:
        members = successors(code, at="2009")
        assert len(members) == 2
        union = shapely.union_all(list(b09.loc[members].geometry))
        merged = b08.loc[code].geometry
        assert merged.symmetric_difference(union).area < 1e-6 * union.area
    # an enclave stays out: Luton (E06000032) is surrounded by Central Bedfordshire
    bedfordshire = [c for c in old if "E06000056" in successors(c, at="2009")][0]
    luton = b08.loc["E06000032"].geometry
    assert b08.loc[bedfordshire].geometry.intersection(luton).area < 1.0


# ----------------------------------------------------------------------------- against raw


@pytest.mark.raw
@pytest.mark.parametrize("vintage", ["2008", "2019", "2023"])
def test_close_to_unsimplified_source(source, vintage: str) -> None:
    exact = source.geometries(vintage)
    shipped = boundaries(vintage).set_index("council_code").geometry
    union_exact = shapely.union_all(list(exact.values())).area
    union_shipped = shapely.union_all(list(shipped)).area
    assert abs(union_shipped - union_exact) < 0.001 * union_exact
    for code, geom in exact.items():
        moved = geom.symmetric_difference(shipped[code]).area
        assert moved < 0.02 * geom.area + 2e6, code  # 2 % or 2 km2 for the smallest


@pytest.mark.raw
@pytest.mark.parametrize("vintage", ["2008", "2019", "2023"])
def test_neighbours_still_touch(source, vintage: str) -> None:
    exact = source.geometries(vintage)
    codes = sorted(exact)
    before = _touching_pairs(codes, [exact[c] for c in codes])
    shipped = boundaries(vintage).set_index("council_code").geometry
    after = _touching_pairs(codes, [shipped[c] for c in codes])
    assert len(before) > 300
    assert after == before


@pytest.mark.raw
def test_code_sets_match_independent_ons_files(raw_dir: Path) -> None:
    for vintage, files in build_boundaries_module._CODE_CHECKS.items():
        expected: set[str] = set()
        for file_id, field, prefixes in files:
            expected |= build_boundaries_module._code_set(
                raw_registry.path(raw_dir, file_id), field, prefixes
            )
        assert set(boundaries(vintage)["council_code"]) == expected, vintage


@pytest.mark.raw
def test_spatial_regions_agree_with_register() -> None:
    for vintage in ("2013", "2023"):
        raw = gpd.read_file(boundary_path(), layer=vintage).set_index("council_code")
        reg = councils(vintage).set_index("council_code")
        assert (raw["region_code"] == reg.loc[raw.index, "region_code"]).all(), vintage


@pytest.mark.raw
def test_rebuild_is_byte_identical(raw_dir: Path, tmp_path: Path) -> None:
    out = build_boundaries_module.build_boundaries(raw_dir, tmp_path)
    shipped = boundary_path()
    assert out.read_bytes() == shipped.read_bytes()
    assert (tmp_path / "metadata.json").read_bytes() == (
        shipped.parent / "metadata.json"
    ).read_bytes()


# ----------------------------------------------------------------------------- TopoJSON helpers


def _two_squares() -> list[np.ndarray]:
    return [
        np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float),
        np.array([[0, 1], [0, 0]], dtype=float),
        np.array([[0, 0], [-1, 0], [-1, 1], [0, 1]], dtype=float),
    ]


def test_dissolve_removes_the_shared_arc() -> None:
    arcs = _two_squares()
    merged = tj.dissolve(arcs, [[[[0, 1]]], [[[~1, ~2]]]])
    assert merged == [[[0, ~2]]]
    assert tj.to_shapely(arcs, merged).area == pytest.approx(2.0)


def test_dissolve_keeps_an_enclave_as_a_hole() -> None:
    outer = np.array([[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], dtype=float)
    hole = np.array([[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]], dtype=float)
    arcs = [outer, hole]
    merged = tj.dissolve(arcs, [[[[0], [1]]]])
    geom = tj.to_shapely(arcs, merged)
    assert geom.area == pytest.approx(12.0)
    assert len(geom.interiors) == 1


def test_simplify_keeps_end_points_and_closed_rings() -> None:
    line = np.array([[0.0, 0.0], [1.0, 0.2], [2.0, -0.2], [3.0, 0.0]])
    out = tj.simplify_arc(line, 1.0)
    assert out.tolist() == [[0.0, 0.0], [3.0, 0.0]]
    ring = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)
    assert len(tj.simplify_arc(ring, 10.0)) >= 4


def test_encode_then_read_round_trips(tmp_path: Path) -> None:
    arcs = [tj.quantise_arc(a, 1.0) for a in _two_squares()]
    objects = {
        "v": [
            {"arcs": [[[0, 1]]], "properties": {"council_code": "A"}},
            {"arcs": [[[~1, ~2]]], "properties": {"council_code": "B"}},
        ]
    }
    text = tj.encode(arcs, objects, step=1.0)
    assert text.startswith('{"type":"Topology"')
    path = tmp_path / "t.topojson"
    path.write_text(text, encoding="utf-8")
    back = tj.read_topology(path)
    assert [f["properties"]["council_code"] for f in back.objects["v"]] == ["A", "B"]
    areas = [tj.to_shapely(back.arcs, f["arcs"]).area for f in back.objects["v"]]
    assert areas == [1.0, 1.0]
    gdf = gpd.read_file(path, layer="v")
    assert sorted(gdf.geometry.area.round(6)) == [1.0, 1.0]
    assert json.loads(text)["transform"] == {"scale": [1.0, 1.0], "translate": [0, 0]}


def test_read_topology_rejects_other_json(tmp_path: Path) -> None:
    from personalisation.errors import SourceFormatError

    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(SourceFormatError, match="not a TopoJSON Topology"):
        tj.read_topology(bad)
