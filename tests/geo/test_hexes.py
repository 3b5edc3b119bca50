"""Hex layouts: one hex per council of every vintage, one council per cell, recodes keep
the predecessor's cell, split successors next to their sibling; the rules on tiny inputs;
the base layout equals the Open Innovations file; byte-identical rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

shapely = pytest.importorskip("shapely")
from shapely.geometry import box  # noqa: E402

from personalisation._paths import geo_dir  # noqa: E402
from personalisation.build import hexes as build_hexes_module  # noqa: E402
from personalisation.build import raw as raw_registry  # noqa: E402
from personalisation.build.hexes import adapt_layout  # noqa: E402
from personalisation.errors import MissingYearError, SourceFormatError  # noqa: E402
from personalisation.geo import _hexes as hexes_module  # noqa: E402
from personalisation.geo._hexes import (  # noqa: E402
    are_neighbours,
    hexagon,
    hexes,
    neighbours,
    read_hexjson,
)
from personalisation.geo.register import councils, vintages  # noqa: E402


def _metadata() -> dict:
    return json.loads((geo_dir() / "hexes" / "metadata.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vintage", vintages())
def test_one_hex_per_council_one_council_per_cell(vintage: str) -> None:
    gdf = hexes(vintage)
    assert list(gdf["council_code"]) == sorted(councils(vintage)["council_code"])
    cells = list(zip(gdf["q"], gdf["r"], strict=True))
    assert len(set(cells)) == len(cells)
    assert gdf.crs is None
    assert set(gdf.geometry.area.round(9)) == {round(hexagon(0, 0).area, 9)}
    assert not gdf.geometry.is_empty.any()


def test_counts_and_labels() -> None:
    assert [len(hexes(v)) for v in ("2008", "2013", "2019", "2021", "2023")] == [
        150,
        152,
        151,
        152,
        153,
    ]
    gdf = hexes("2023").set_index("council_code")
    reg = councils("2023").set_index("council_code")
    for column in ("council_name", "council_type", "region_code", "region_name"):
        assert (gdf[column] == reg.loc[gdf.index, column]).all()
    assert "MIT" in hexes("2023").attrs["attribution"]
    assert hexes(2017).attrs["vintage"] == "2013"


def test_unknown_vintage_and_layout() -> None:
    with pytest.raises(MissingYearError, match="available vintages"):
        hexes("1990")
    with pytest.raises(ValueError, match="unknown hex layout"):
        hexes("2019", layout="square")


def test_recodes_keep_the_cell_and_splits_sit_next_to_their_sibling() -> None:
    base = hexes(hexes_module.BASE_VINTAGE).set_index("council_code")
    base_cell = {c: (int(r.q), int(r.r)) for c, r in base.iterrows()}
    n_splits = 0
    for vintage, info in _metadata()["vintages"].items():
        gdf = hexes(vintage).set_index("council_code")
        cell = {c: (int(r.q), int(r.r)) for c, r in gdf.iterrows()}
        for code, rule in info["changed"].items():
            if rule["rule"] == "recode":
                assert cell[code] == base_cell[rule["from"][0]], (vintage, code)
            if rule["rule"] == "split":
                n_splits += 1
                assert are_neighbours(cell[code], cell[rule["sibling"]]), (vintage, code)
                assert gdf.geometry[code].intersection(gdf.geometry[rule["sibling"]]).length > 0
    # Bournemouth/Poole before 2019 (3 vintages), Northamptonshire 2021+, Cumbria 2023+
    assert n_splits >= 3 + 1 + 1


def test_the_expected_reorganisations_are_there() -> None:
    meta = _metadata()["vintages"]
    assert meta["2020"]["changed"]["E06000060"] == {"rule": "recode", "from": ["E10000002"]}
    assert meta["2023"]["changed"]["E06000065"]["from"] == ["E10000023"]
    splits_2021 = {c for c, r in meta["2021"]["changed"].items() if r["rule"].startswith("split")}
    assert splits_2021 == {"E06000061", "E06000062"}
    assert meta["2013"]["changed"]["E10000009"]["rule"] == "merge"  # Dorset CC, 2 hexes
    merged_2008 = [c for c, r in meta["2008"]["changed"].items() if c.startswith("cassr:")]
    assert len(merged_2008) == 2


def test_grid_neighbours_share_an_edge() -> None:
    centre = hexagon(4, 3)
    for q, r in neighbours(4, 3):
        assert centre.intersection(hexagon(q, r)).length == pytest.approx(hexagon(0, 0).length / 6)
    assert centre.intersection(hexagon(6, 3)).is_empty


# ----------------------------------------------------------------------------- rules, tiny inputs


def _strip(n: int) -> dict:
    return {chr(65 + i): box(i, 0, i + 1, 1) for i in range(n)}


def test_adapt_layout_recode_and_merge() -> None:
    base = {"A": (0, 0), "B": (1, 0), "C": (2, 0)}
    geoms = _strip(3)
    target = {"A": geoms["A"], "BC": shapely.union_all([geoms["B"], geoms["C"]])}
    cells, rules = adapt_layout(base, geoms, target)
    assert cells["A"] == (0, 0) and rules["A"]["rule"] == "kept"
    assert rules["BC"]["rule"] == "merge" and cells["BC"] in {(1, 0), (2, 0)}
    cells, rules = adapt_layout(base, geoms, {"A2": geoms["A"], "B": geoms["B"], "C": geoms["C"]})
    assert rules["A2"] == {"rule": "recode", "from": ["A"]} and cells["A2"] == (0, 0)


def test_adapt_layout_split_goes_next_to_the_sibling_on_the_map_side() -> None:
    base = {"A": (0, 0), "B": (1, 0)}
    geoms = {"A": box(0, 0, 1, 1), "B": box(1, 0, 2, 1)}
    target = {"A1": box(0, 0, 0.4, 1), "A2": box(0.4, 0, 1, 1), "B": geoms["B"]}
    cells, rules = adapt_layout(base, geoms, target)
    moved = next(c for c, r in rules.items() if r["rule"] == "split")
    assert are_neighbours(cells[moved], cells[rules[moved]["sibling"]])
    assert len(set(cells.values())) == 3
    assert cells["B"] == (1, 0)
    # the larger part keeps the hex, the western part goes to the free cell on the west
    assert cells["A2"] == (0, 0) and cells["A1"] == (-1, 0)


def test_adapt_layout_pushes_a_line_when_the_sibling_is_surrounded() -> None:
    base = {}
    geoms = {}
    for q in range(-2, 3):
        for r in range(-2, 3):
            code = f"c{q}_{r}"
            base[code] = (q, r)
            geoms[code] = box(q * 10, r * 10, q * 10 + 10, r * 10 + 10)
    target = {c: g for c, g in geoms.items() if c != "c0_0"}
    target["west"] = box(0, 0, 5, 10)
    target["east"] = box(5, 0, 10, 10)
    cells, rules = adapt_layout(base, geoms, target)
    assert len(set(cells.values())) == len(cells) == len(target)
    moved = next(c for c, r in rules.items() if r["rule"] == "split")
    assert are_neighbours(cells[moved], cells[rules[moved]["sibling"]])
    assert any(r.get("pushed") for r in rules.values())


def test_adapt_layout_rejects_a_council_outside_the_layout() -> None:
    with pytest.raises(SourceFormatError, match="overlaps no council"):
        adapt_layout({"A": (0, 0)}, {"A": box(0, 0, 1, 1)}, {"Z": box(5, 5, 6, 6)})


def test_read_hexjson_rejects_shared_cells_and_other_layouts(tmp_path: Path) -> None:
    path = tmp_path / "x.hexjson"
    path.write_text(json.dumps({"layout": "odd-q", "hexes": {}}), encoding="utf-8")
    with pytest.raises(SourceFormatError, match="layout 'odd-q'"):
        read_hexjson(path)
    doc = {"layout": "odd-r", "hexes": {"A": {"q": 0, "r": 0}, "B": {"q": 0, "r": 0}}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SourceFormatError, match="share cell"):
        read_hexjson(path)


# ----------------------------------------------------------------------------- against raw


@pytest.mark.raw
def test_base_vintage_is_the_open_innovations_layout(raw_dir: Path) -> None:
    raw = read_hexjson(raw_registry.path(raw_dir, build_hexes_module.HEXJSON))
    assert len(raw) == 151
    shipped = hexes(hexes_module.BASE_VINTAGE).set_index("council_code")
    assert {c: (v["q"], v["r"]) for c, v in raw.items()} == {
        c: (int(r.q), int(r.r)) for c, r in shipped.iterrows()
    }


def test_house_of_commons_cartogram_is_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    # run time never reads the raw directory: point it nowhere
    monkeypatch.setenv("PERSONALISATION_RAW", "/nonexistent/raw")
    gdf = hexes("2023", layout="hoc")
    assert len(gdf) == 153 and gdf.attrs["layout"] == "hoc"
    assert "Open Parliament Licence" in gdf.attrs["attribution"]
    assert len(hexes("2015", layout="hoc")) == 152
    with pytest.raises(MissingYearError, match="no layer for vintage 2008"):
        hexes("2008", layout="hoc")
    meta = json.loads((geo_dir() / "hexes" / "hoc" / "metadata.json").read_text("utf-8"))
    assert meta["licence"].startswith("Open Parliament Licence v3.0")
    assert {v: d["councils"] for v, d in meta["vintages"].items()} == {
        "2013": 152,
        "2019": 151,
        "2020": 151,
        "2021": 152,
        "2023": 153,
    }


@pytest.mark.raw
def test_shipped_house_of_commons_cartogram_matches_the_geopackage(raw_dir: Path) -> None:
    import geopandas as gpd

    for vintage, (file_id, layer) in build_hexes_module.HOC_LAYERS.items():
        source = gpd.read_file(raw_registry.path(raw_dir, file_id), layer=layer)
        source = source[source["cua-code"].str.match(r"^E(06|08|09|10)")]
        shipped = hexes(vintage, layout="hoc").set_index("council_code")
        assert set(source["cua-code"]) == set(shipped.index), vintage
        for code, geom in zip(source["cua-code"], source.geometry, strict=True):
            assert shipped.loc[code, "geometry"].equals_exact(geom, tolerance=1e-5), code


@pytest.mark.raw
def test_rebuild_is_byte_identical(raw_dir: Path, tmp_path: Path) -> None:
    written = build_hexes_module.build_hexes(raw_dir, tmp_path)
    shipped = geo_dir() / "hexes"
    assert [p.name for p in written] == [f"{v}.hexjson" for v in vintages()]
    for path in [*written, tmp_path / "metadata.json"]:
        assert path.read_bytes() == (shipped / path.name).read_bytes(), path.name
