"""Equal-area hex layouts of the councils, one per geography vintage.

The base layout is Open Innovations' (ODI Leeds) HexJSON of English upper-tier local
authorities (``odileeds/hexmaps``, ``uk-upper-tier-local-authorities.hexjson``, MIT
licence): 151 hexes, ``odd-r`` offset coordinates, 2019 geography.  It is adapted to
every other vintage by rules derived from the data, not typed per council: each council of
the target vintage is related to the 2019 councils it overlaps (areas from the unsimplified
ONS boundaries of both vintages, which share arcs, so overlaps are exact), then

1. pairs (2019 council, target council) are taken in decreasing overlap area and a target
   takes the 2019 council's hex when neither is used yet.  A code change with the same area
   (Buckinghamshire 2020, North Yorkshire and Somerset 2023, Gateshead and Northumberland
   before 2013) therefore keeps the hex under the new code ("recode"); in a merge the
   successor keeps the hex of the predecessor it overlaps most and the other hexes are left
   empty ("merge"; Bedfordshire and Cheshire in 2008);
2. a target left without a hex is a split successor ("split": North and West
   Northamptonshire 2021, Cumberland 2023, Bournemouth/Poole/Dorset CC before 2019).  Its
   *sibling* is the target that holds the hex of the 2019 council it overlaps most.  One
   of the two keeps that hex and the other gets a cell next to it: an empty neighbour when
   there is one, otherwise the hexes in one direction are pushed one cell outwards up to
   the first empty cell (those councils are flagged ``pushed``).  Among both ways round
   and all six directions the choice moves the fewest hexes, then best matches the map
   direction between the two successors' representative points.

The shipped ``geo/hexes/<vintage>.hexjson`` files are plain HexJSON (``odd-r``);
``geo/hexes/metadata.json`` lists the rule applied to every council that is not simply
kept.  :func:`hexes` draws them as pointy-top hexagons on an ABSTRACT grid, not a map
projection: centres one unit apart along a row, rows ``sqrt(3)/2`` apart, ``r`` growing
northwards; the GeoDataFrame has no CRS.

Examples
--------
>>> from personalisation.geo import hexes
>>> gdf = hexes("2023")
>>> len(gdf), gdf.crs is None
(153, True)
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from personalisation._paths import default_raw_dir, geo_dir
from personalisation._provenance import file_record, write_json
from personalisation.errors import DataNotFoundError, SourceFormatError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas

HEXJSON = "geo/odileeds-hexmaps/uk-upper-tier-local-authorities.hexjson"
BASE_VINTAGE = "2019"
LAYOUT = "odd-r"
ODI_ATTRIBUTION = (
    "Hex layout: Open Innovations (ODI Leeds), odileeds/hexmaps "
    "uk-upper-tier-local-authorities.hexjson, MIT licence; adapted to each vintage."
)
HOC_GPKG = "geo/hoc-library-hex-cartograms"
HOC_ATTRIBUTION = (
    "Hex cartogram: House of Commons Library, uk-hex-cartograms-noncontiguous, "
    "Open Parliament Licence v3.0."
)
#: vintage -> (GeoPackage, layer) of the House of Commons Library cartograms.
HOC_LAYERS = {
    "2013": ("LocalAuthorities-uppertier.gpkg", "3 UTLA-2018"),
    "2019": ("LocalAuthorities-uppertier.gpkg", "4 UTLA-2019"),
    "2020": ("LocalAuthorities-uppertier.gpkg", "5 UTLA-2020"),
    "2021": ("LocalAuthorities-uppertier.gpkg", "6 UTLA-2021"),
    "2023": (
        "LocalAuthorities-uppertier-2023.gpkg",
        "LocalAuthorities-uppertier 2023 version — 7 UTLA-2023",
    ),
}
#: minimum overlap (share of the smaller area) for two councils to be related.
MIN_OVERLAP_SHARE = 0.001
ROW_STEP = math.sqrt(3) / 2


# --------------------------------------------------------------------------- grid


def cell_centre(q: int, r: int) -> tuple[float, float]:
    """Centre of an ``odd-r`` cell on the abstract grid (odd rows shifted half a cell right).

    Examples
    --------
    >>> cell_centre(0, 0), cell_centre(0, 1)
    ((0.0, 0.0), (0.5, 0.8660254037844386))
    """
    return (q + 0.5 * (r & 1), r * ROW_STEP)


def neighbours(q: int, r: int) -> list[tuple[int, int]]:
    """The six ``odd-r`` neighbours of a cell, as ``(q, r)``.

    Examples
    --------
    >>> sorted(neighbours(2, 1))
    [(1, 1), (2, 0), (2, 2), (3, 0), (3, 1), (3, 2)]
    """
    shift = r & 1
    return [
        (q + 1, r),
        (q - 1, r),
        (q - 1 + shift, r - 1),
        (q + shift, r - 1),
        (q - 1 + shift, r + 1),
        (q + shift, r + 1),
    ]


def are_neighbours(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two ``odd-r`` cells share an edge."""
    return tuple(b) in neighbours(*a)


def hexagon(q: int, r: int) -> Any:
    """The pointy-top hexagon of a cell (circumradius ``1/sqrt(3)``, so rows tile exactly)."""
    from shapely.geometry import Polygon

    cx, cy = cell_centre(q, r)
    radius = 1 / math.sqrt(3)
    pts = [
        (
            round(cx + radius * math.cos(math.radians(30 + 60 * k)), 12),
            round(cy + radius * math.sin(math.radians(30 + 60 * k)), 12),
        )
        for k in range(6)
    ]
    return Polygon(pts)


# --------------------------------------------------------------------------- building


def read_hexjson(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a HexJSON file: code -> ``{"n": name, "q": int, "r": int}``.

    Raises
    ------
    SourceFormatError
        When the layout is not ``odd-r``, a hex lacks ``q``/``r``, or two hexes share a cell.

    Examples
    --------
    >>> cells = read_hexjson("uk-upper-tier-local-authorities.hexjson")  # doctest: +SKIP
    >>> cells["E06000058"]["q"], cells["E06000058"]["r"]  # doctest: +SKIP
    (5, 2)
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"{path}: not a readable HexJSON file ({exc})") from exc
    if doc.get("layout") != LAYOUT:
        raise SourceFormatError(f"{path}: layout {doc.get('layout')!r}, expected {LAYOUT!r}")
    out: dict[str, dict[str, Any]] = {}
    seen: dict[tuple[int, int], str] = {}
    for code, cell in doc.get("hexes", {}).items():
        try:
            q, r = int(cell["q"]), int(cell["r"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceFormatError(f"{path}: hex {code!r} has no integer q/r") from exc
        if (q, r) in seen:
            raise SourceFormatError(f"{path}: {code} and {seen[(q, r)]} share cell {(q, r)}")
        seen[(q, r)] = code
        out[str(code)] = {"n": str(cell.get("n", cell.get("name", code))), "q": q, "r": r}
    return out


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
    :func:`personalisation.geo._boundaries.assemble_sources` (unsimplified) to relate
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
    >>> build_hexes("../shared/data/raw", "geo/hexes")  # doctest: +SKIP
    """
    from personalisation.geo._boundaries import _register, assemble_sources

    register = _register()
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    hex_path = raw_dir / HEXJSON
    if not hex_path.is_file():
        raise DataNotFoundError(f"HexJSON not found: {hex_path}")
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
    for vintage in register.VINTAGES:
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
            file_record(
                hex_path,
                raw_dir,
                source_id="odileeds-hexmaps-utla",
                publisher="Open Innovations (ODI Leeds)",
                title="uk-upper-tier-local-authorities.hexjson (2019/20 geography)",
                licence="MIT",
                attribution=ODI_ATTRIBUTION,
            ),
            file_record(
                raw_dir / "geo/onsvisual-uk-topojson/topo.json",
                raw_dir,
                source_id="onsvisual-uk-topojson",
                publisher="ONS Data Visualisation team",
                title="UK boundaries 2014-2025 TopoJSON",
                notes="overlaps between vintages, to derive the hex rules",
            ),
        ],
    }
    write_json(metadata, out_dir / "metadata.json")
    return written


# --------------------------------------------------------------------------- reading


@functools.cache
def _read_cells(path: str) -> dict[str, dict[str, Any]]:
    return read_hexjson(path)


@functools.cache
def _read_hoc(path: str, layer: str) -> geopandas.GeoDataFrame:
    import geopandas as gpd

    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    if "cua-code" not in gdf.columns:
        raise SourceFormatError(f"{path} layer {layer!r}: no 'cua-code' column")
    keep = gdf["cua-code"].astype(str).str.startswith(("E06", "E08", "E09", "E10"))
    out = gdf.loc[keep, ["cua-code", "geometry"]].rename(columns={"cua-code": "council_code"})
    return out.set_crs(None, allow_override=True).reset_index(drop=True)


def hexes(
    vintage: str | int, *, layout: str = "odi", raw_dir: str | Path | None = None
) -> geopandas.GeoDataFrame:
    """Equal hexagons, one per council of a geography vintage.

    Parameters
    ----------
    vintage
        A vintage or any year (resolved to the vintage in force from 1 April).
    layout
        ``"odi"`` (default): the shipped Open Innovations layout adapted to every vintage.
        ``"hoc"``: the House of Commons Library cartogram (vintages 2013 = its 2018 layer,
        2019, 2020, 2021, 2023; read from the raw directory, not shipped).
    raw_dir
        Raw directory for ``layout="hoc"`` (default :func:`default_raw_dir`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``council_code``, ``council_name``, ``council_type``, ``region_code``,
        ``region_name``, ``geometry`` (plus ``q``, ``r`` for ``"odi"``), sorted by code;
        no CRS (abstract grid units); ``attrs["attribution"]``, ``attrs["vintage"]``,
        ``attrs["layout"]``.

    Raises
    ------
    MissingYearError
        For an unknown vintage, or a vintage the HoC cartogram does not cover.
    ValueError
        For an unknown ``layout``.

    Examples
    --------
    >>> gdf = hexes(2021)
    >>> len(gdf), gdf.attrs["vintage"]
    (152, '2021')
    """
    import geopandas as gpd

    from personalisation.errors import MissingYearError
    from personalisation.geo._boundaries import OUTPUT_COLUMNS, _check_vintage, labelled

    resolved = _check_vintage(vintage)
    if layout == "odi":
        path = geo_dir() / "hexes" / f"{resolved}.hexjson"
        if not path.is_file():
            raise DataNotFoundError(f"shipped hex layout not found: {path}; run build_hexes")
        cells = _read_cells(str(path))
        codes = sorted(cells)
        base = gpd.GeoDataFrame(
            {
                "council_code": codes,
                "q": [cells[c]["q"] for c in codes],
                "r": [cells[c]["r"] for c in codes],
            },
            geometry=[hexagon(cells[c]["q"], cells[c]["r"]) for c in codes],
            crs=None,
        )
        attribution = ODI_ATTRIBUTION
        columns = [*OUTPUT_COLUMNS[:-1], "q", "r", "geometry"]
    elif layout == "hoc":
        if resolved not in HOC_LAYERS:
            raise MissingYearError(
                f"the House of Commons Library cartogram has no layer for vintage {resolved}; "
                f"available: {', '.join(HOC_LAYERS)}"
            )
        name, layer = HOC_LAYERS[resolved]
        path = Path(raw_dir or default_raw_dir()) / HOC_GPKG / name
        if not path.is_file():
            raise DataNotFoundError(f"House of Commons Library cartogram not found: {path}")
        base = _read_hoc(str(path), layer)
        attribution = HOC_ATTRIBUTION
        columns = list(OUTPUT_COLUMNS)
    else:
        raise ValueError(f"unknown hex layout {layout!r}; use 'odi' or 'hoc'")
    gdf = labelled(base, resolved, f"hexes ({layout})")[columns]
    gdf.attrs.update(
        {
            "attribution": attribution,
            "vintage": resolved,
            "layout": layout,
            "units": "abstract grid units (no CRS)",
        }
    )
    return gdf
