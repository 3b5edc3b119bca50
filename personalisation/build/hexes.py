"""Build ``geo/hexes/`` (one HexJSON per vintage) by adapting the Open Innovations layout.

The rules are described in :mod:`personalisation.geo._hexes`, which draws the shipped
layouts at run time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from personalisation._provenance import write_json
from personalisation.build import raw as _raw
from personalisation.errors import SourceFormatError
from personalisation.geo._hexes import (
    BASE_VINTAGE,
    LAYOUT,
    ODI_ATTRIBUTION,
    cell_centre,
    read_hexjson,
)

#: registry id of the Open Innovations base layout.
HEXJSON = "odileeds-hexmaps-utla"
#: minimum overlap (share of the smaller area) for two councils to be related.
MIN_OVERLAP_SHARE = 0.001


def adapt_layout(
    base: dict[str, tuple[int, int]],
    base_geoms: dict[str, Any],
    target_geoms: dict[str, Any],
) -> tuple[dict[str, tuple[int, int]], dict[str, dict[str, Any]]]:
    """Re-express a hex layout on another vintage's councils (see the module docstring).

    Parameters
    ----------
    base
        Base code -> ``(q, r)``.
    base_geoms, target_geoms
        Code -> shapely geometry of the base and the target vintage (same CRS).

    Returns
    -------
    cells
        Target code -> ``(q, r)``, one distinct cell per target council.
    rules
        Target code -> ``{"rule": ..., "from": [base codes it overlaps]}``, with rule
        ``"kept"`` (same code, same area), ``"recode"`` (one predecessor, new code),
        ``"merge"`` (several predecessors; kept the hex of the largest overlap),
        ``"split-kept"`` (a split successor that kept the predecessor's hex) or
        ``"split"`` (a split successor given a new cell; also ``"sibling"``).

    Raises
    ------
    SourceFormatError
        When a target council overlaps no base council, or a split successor finds no
        free cell next to its sibling.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> base = {"A": (0, 0), "B": (1, 0)}
    >>> geoms = {"A": box(0, 0, 1, 1), "B": box(1, 0, 2, 1)}
    >>> target = {"A1": box(0, 0, 0.4, 1), "A2": box(0.4, 0, 1, 1), "B": box(1, 0, 2, 1)}
    >>> cells, rules = adapt_layout(base, geoms, target)
    >>> cells["A2"], cells["B"], rules["A1"]["rule"], rules["A1"]["sibling"]
    ((0, 0), (1, 0), 'split', 'A2')
    """
    import shapely

    if set(base) - set(base_geoms):
        raise SourceFormatError(
            f"hex layout codes without geometry: {sorted(set(base) - set(base_geoms))}"
        )
    b_codes = sorted(base_geoms)
    t_codes = sorted(target_geoms)
    b_list = [base_geoms[c] for c in b_codes]
    tree = shapely.STRtree(b_list)
    overlaps: dict[str, dict[str, float]] = {t: {} for t in t_codes}
    for t in t_codes:
        tg = target_geoms[t]
        for k in tree.query(tg, predicate="intersects"):
            bg = b_list[int(k)]
            area = tg.intersection(bg).area
            if area > MIN_OVERLAP_SHARE * min(tg.area, bg.area):
                overlaps[t][b_codes[int(k)]] = area
        if not overlaps[t]:
            raise SourceFormatError(f"council {t} overlaps no council of the hex layout")
    pairs = sorted(
        ((area, b, t) for t, row in overlaps.items() for b, area in row.items()),
        key=lambda x: (-x[0], x[1], x[2]),
    )
    cells: dict[str, tuple[int, int]] = {}
    holder: dict[str, str] = {}  # base code -> target code that took its hex
    for _, b, t in pairs:
        if t in cells or b in holder or b not in base:
            continue
        cells[t] = base[b]
        holder[b] = t
    sharers: dict[str, set[str]] = {}
    for t, row in overlaps.items():
        for b in row:
            sharers.setdefault(b, set()).add(t)
    rules: dict[str, dict[str, Any]] = {}
    for t in cells:
        source = next(b for b, h in holder.items() if h == t)
        related = sorted(overlaps[t])
        if len(related) > 1:
            rule = "merge"
        elif sharers[source] != {t}:
            rule = "split-kept"
        else:
            rule = "kept" if source == t else "recode"
        rules[t] = {"rule": rule, "from": related}
    for t in t_codes:
        if t in cells:
            continue
        main_base = max(sorted(overlaps[t]), key=lambda b: overlaps[t][b])
        sibling = holder.get(main_base)
        if sibling is None:
            raise SourceFormatError(f"split successor {t}: no sibling holds the hex of {main_base}")
        # try both ways round: the successor beside its sibling, or the successor in the
        # sibling's cell and the sibling beside it; fewer pushed hexes, then better bearing
        trials = []
        for mover, stayer in ((t, sibling), (sibling, t)):
            trial = {c: cell for c, cell in cells.items() if c != sibling}
            trial[stayer] = cells[sibling]
            s_pt = target_geoms[stayer].representative_point()
            m_pt = target_geoms[mover].representative_point()
            bearing = math.atan2(m_pt.y - s_pt.y, m_pt.x - s_pt.x)
            cell, pushed, cost = _free_cell_next_to(trial, trial[stayer], bearing)
            trial[mover] = cell
            trials.append((cost, mover != t, trial, pushed, mover, stayer))
        _, _, trial, pushed, mover, stayer = min(trials, key=lambda x: x[:2])
        cells.clear()
        cells.update(trial)
        for code in pushed:
            rules.setdefault(code, {"rule": "kept", "from": sorted(overlaps[code])})
            rules[code]["pushed"] = True
        rules[mover] = {"rule": "split", "from": sorted(overlaps[mover]), "sibling": stayer}
        rules[stayer] = {"rule": "split-kept", "from": sorted(overlaps[stayer])}
    return cells, rules


#: the six axial directions (dq, dr) of a hex grid.
_AXIAL_DIRECTIONS = ((1, 0), (1, -1), (0, -1), (-1, 0), (-1, 1), (0, 1))


def _to_axial(cell: tuple[int, int]) -> tuple[int, int]:
    q, r = cell
    return (q - (r - (r & 1)) // 2, r)


def _from_axial(cell: tuple[int, int]) -> tuple[int, int]:
    a, r = cell
    return (a + (r - (r & 1)) // 2, r)


def _free_cell_next_to(
    cells: dict[str, tuple[int, int]], centre: tuple[int, int], bearing: float
) -> tuple[tuple[int, int], list[str], tuple[int, float]]:
    """A cell next to ``centre`` for a new hex, pushing a line of hexes outwards if needed.

    For each of the six directions the hexes from the neighbour onwards up to the first
    empty cell form a chain; the direction with the shortest chain wins, ties going to
    the direction closest to ``bearing`` (radians, map direction of the new council from
    its sibling).  The chain moves one cell outwards (mutating ``cells``), which frees the
    neighbour.  Returns the freed cell, the codes moved and the cost
    ``(hexes moved, bearing gap)``.
    """
    at = {cell: code for code, cell in cells.items()}
    cx, cy = cell_centre(*centre)
    options = []
    for dq, dr in _AXIAL_DIRECTIONS:
        a, r = _to_axial(centre)
        chain = []
        step = _from_axial((a + dq, r + dr))
        first = step
        while step in at:
            chain.append(step)
            a, r = _to_axial(step)
            step = _from_axial((a + dq, r + dr))
        nx, ny = cell_centre(*first)
        gap = abs(math.atan2(ny - cy, nx - cx) - bearing) % (2 * math.pi)
        gap = min(gap, 2 * math.pi - gap)
        options.append((len(chain), round(gap, 9), first, chain, (dq, dr)))
    n, gap, first, chain, (dq, dr) = min(options, key=lambda o: o[:3])
    moved = []
    for cell in reversed(chain):
        code = at[cell]
        a, r = _to_axial(cell)
        cells[code] = _from_axial((a + dq, r + dr))
        moved.append(code)
    return first, sorted(moved), (n, gap)


def _hexjson_text(cells: dict[str, tuple[int, int]], names: dict[str, str]) -> str:
    doc = {
        "layout": LAYOUT,
        "hexes": {c: {"n": names[c], "q": q, "r": r} for c, (q, r) in sorted(cells.items())},
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def build_hexes(raw_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Build ``<vintage>.hexjson`` for every vintage and ``metadata.json`` from the raw files.

    Deterministic (byte-identical on rebuild).  Uses the ONS geometry assembled by
    :func:`personalisation.build.boundaries.assemble_sources` (unsimplified) to relate
    each vintage's councils to the 2019 councils of the base layout.

    Parameters
    ----------
    raw_dir
        Raw directory holding the HexJSON and the ONS uk-topojson file.
    out_dir
        Output folder, normally ``<repo>/geo/hexes``.

    Returns
    -------
    list of pathlib.Path
        The written HexJSON files.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped) and write a build.

    >>> build_hexes("../shared/data/raw", "geo/hexes")  # doctest: +SKIP
    """
    from personalisation.build.boundaries import assemble_sources
    from personalisation.geo._boundaries import _register

    register = _register()
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    hex_path = _raw.path(raw_dir, HEXJSON)
    base_cells = read_hexjson(hex_path)
    source = assemble_sources(raw_dir)
    base_geoms = source.geometries(BASE_VINTAGE)
    if set(base_cells) != set(base_geoms):
        raise SourceFormatError(
            f"{hex_path}: codes differ from the {BASE_VINTAGE} boundaries: only in hexes "
            f"{sorted(set(base_cells) - set(base_geoms))}, only in boundaries "
            f"{sorted(set(base_geoms) - set(base_cells))}"
        )
    base = {c: (v["q"], v["r"]) for c, v in base_cells.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    changes: dict[str, Any] = {}
    for vintage in register.vintages():
        names = dict(
            zip(
                register.councils(vintage)["council_code"].astype(str),
                register.councils(vintage)["council_name"].astype(str),
                strict=True,
            )
        )
        target = source.geometries(vintage)
        cells, rules = adapt_layout(base, base_geoms, target)
        if set(cells) != set(names):
            raise SourceFormatError(
                f"hexes {vintage}: codes differ from councils({vintage!r}): "
                f"{sorted(set(cells) ^ set(names))}"
            )
        path = out_dir / f"{vintage}.hexjson"
        path.write_text(_hexjson_text(cells, names), encoding="utf-8")
        written.append(path)
        changes[vintage] = {
            "councils": len(cells),
            "changed": {
                c: rule
                for c, rule in sorted(rules.items())
                if rule["rule"] != "kept" or rule.get("pushed")
            },
        }
    metadata = {
        "title": "Hex layouts of English upper-tier councils, one per geography vintage",
        "files": [p.name for p in written],
        "format": "HexJSON (odd-r offset coordinates; r grows northwards)",
        "geometry": "hexes(vintage) draws pointy-top hexagons on an abstract grid (no CRS): "
        "centres 1 unit apart along a row, rows sqrt(3)/2 apart",
        "base_vintage": BASE_VINTAGE,
        "rules": "recode keeps the hex; merge keeps the hex of the largest-overlap predecessor; "
        "split successors get the free cell next to their sibling closest to the map direction",
        "min_overlap_share": MIN_OVERLAP_SHARE,
        "vintages": changes,
        "attribution": ODI_ATTRIBUTION,
        "licence": "MIT (Open Innovations) for the layout; council codes and names ONS, OGL v3.0",
        "sources": [
            _raw.record(raw_dir, HEXJSON),
            _raw.record(
                raw_dir,
                "onsvisual-uk-topojson",
                notes="overlaps between vintages, to derive the hex rules",
            ),
        ],
    }
    write_json(metadata, out_dir / "metadata.json")
    return written


# --------------------------------------------------------------------------- House of Commons
#: vintage -> (registry id of the GeoPackage, layer) of the House of Commons Library cartograms.
HOC_LAYERS: dict[str, tuple[str, str]] = {
    "2013": ("hoc_utla_2018_2021", "3 UTLA-2018"),
    "2019": ("hoc_utla_2018_2021", "4 UTLA-2019"),
    "2020": ("hoc_utla_2018_2021", "5 UTLA-2020"),
    "2021": ("hoc_utla_2018_2021", "6 UTLA-2021"),
    "2023": ("hoc_utla_2023", "LocalAuthorities-uppertier 2023 version — 7 UTLA-2023"),
}
#: decimals kept of the cartogram coordinates (abstract units; a hexagon is ~0.17 wide).
HOC_DECIMALS = 5


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), HOC_DECIMALS)
    return [_rounded(c) for c in coords]


def _geojson_text(gdf: Any) -> str:
    from shapely.geometry import mapping

    features = []
    for code, geom in sorted(zip(gdf["council_code"], gdf.geometry, strict=True)):
        shape = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {"council_code": str(code)},
                "geometry": {"type": shape["type"], "coordinates": _rounded(shape["coordinates"])},
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def build_hoc_hexes(raw_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Ship the House of Commons Library hex cartograms: ``hoc/<vintage>.geojson`` + metadata.

    Keeps the upper-tier English councils of each layer (``cua-code`` E06/E08/E09/E10),
    checks the code set against the register of that vintage, and writes plain GeoJSON
    (abstract grid units, no CRS; coordinates to :data:`HOC_DECIMALS` decimals), sorted by
    code, so :func:`personalisation.geo.hexes` never reads the raw directory.

    Raises
    ------
    SourceFormatError
        When a layer has no ``cua-code`` column, its codes differ from the register, or the
        licence file is not the Open Parliament Licence v3.0.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped) and write a build.

    >>> build_hoc_hexes("../shared/data/raw", "geo/hexes")  # doctest: +SKIP
    """
    import geopandas as gpd

    from personalisation.geo._boundaries import labelled
    from personalisation.geo._hexes import HOC_ATTRIBUTION, HOC_DIR, HOC_LICENCE_URL

    raw_dir, out_dir = Path(raw_dir), Path(out_dir) / HOC_DIR
    licence_path = _raw.path(raw_dir, "hoc_licence")
    licence = licence_path.read_text(encoding="utf-8", errors="replace")
    if "Open Parliament Licence" not in licence or "version 3.0" not in licence:
        raise SourceFormatError(
            f"{licence_path}: expected the Open Parliament Licence version 3.0 text"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    vintages: dict[str, Any] = {}
    for vintage, (file_id, layer) in HOC_LAYERS.items():
        path = _raw.path(raw_dir, file_id)
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
        if "cua-code" not in gdf.columns:
            raise SourceFormatError(f"{path} layer {layer!r}: no 'cua-code' column")
        keep = gdf["cua-code"].astype(str).str.startswith(("E06", "E08", "E09", "E10"))
        table = gdf.loc[keep, ["cua-code", "geometry"]].rename(columns={"cua-code": "council_code"})
        labelled(table, vintage, f"House of Commons cartogram layer {layer!r}")
        out = out_dir / f"{vintage}.geojson"
        out.write_text(_geojson_text(table), encoding="utf-8")
        written.append(out)
        vintages[vintage] = {"councils": int(len(table)), "file": file_id, "layer": layer}
    metadata = {
        "title": "House of Commons Library hex cartograms of English upper-tier councils",
        "files": [p.name for p in written],
        "format": "GeoJSON, abstract grid units (no CRS), property council_code",
        "vintages": vintages,
        "attribution": HOC_ATTRIBUTION,
        "licence": f"Open Parliament Licence v3.0 ({HOC_LICENCE_URL})",
        "sources": [_raw.record(raw_dir, i) for i in ("hoc_utla_2018_2021", "hoc_utla_2023")]
        + [_raw.record(raw_dir, "hoc_licence")],
    }
    write_json(metadata, out_dir / "metadata.json")
    return written
