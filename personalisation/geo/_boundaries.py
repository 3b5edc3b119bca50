"""Council boundaries by geography vintage: built from ONS files into ``geo/boundaries/``.

One shipped file, ``geo/boundaries/boundaries.topojson``, holds every vintage as its own
TopoJSON object (``"2008"``, ``"2009"``, ``"2013"``, ...), all built on ONE set of shared
arcs in British National Grid metres (EPSG:27700, 1 m grid).  Shared arcs make the
simplification topology-preserving: a boundary line between two councils is stored and
simplified once, so neighbours still touch exactly and nothing overlaps.  geopandas reads
it directly (``geopandas.read_file(path, layer="2013")``; TopoJSON has no CRS field, so
set ``crs=27700``).  :func:`boundaries` does that, makes the few invalid source rings valid
and adds names, types and regions from the council register.

Sources and method (details and hashes in ``geo/boundaries/metadata.json``):

* geometry: the ONS Data Visualisation team's ``uk-topojson`` ``topo.json`` (ONS LAD
  December 2016 BSC dissolved to upper-tier authorities for each year 2014-2025; features
  carry ``start``/``end`` years).  Vintage ``"2013"`` is the 2014 selection;
* vintages before 2013 derive from the next vintage through the register's events
  (:func:`personalisation.geo.register.successors`): ``"2009"`` is the ``"2013"``
  geometry under the codes in force before the April 2013 recode (Gateshead
  ``E08000020``, Northumberland ``E06000048``; their small boundary change is below the
  resolution of the super-generalised source), and ``"2008"`` (before April 2009) has
  Bedfordshire and Cheshire county councils dissolved in arc space from their 2009
  successors, under the register's ``cassr:NNN`` codes;
* the vintages from 2013 on (including ``"2025"``, the Barnsley/Sheffield recode) are
  the uk-topojson selections of their year;
* every vintage's code set is checked at build time against an independent ONS file of
  that vintage (henryjameslau CTYUA files; LAD 2011 + LMCTYUA 2012 for ``"2009"``).

Examples
--------
>>> from personalisation.geo import boundaries, vintage_for_year
>>> gdf = boundaries("2023")
>>> len(gdf), gdf.crs.to_epsg()
(153, 27700)
>>> len(boundaries(vintage_for_year(2021)))  # the geography of the 2020-21 data year
151
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation._paths import geo_dir
from personalisation._provenance import (
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    file_record,
    write_json,
)
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.geo import _topojson as tj

if TYPE_CHECKING:  # pragma: no cover
    import geopandas

BOUNDARY_FILE = "boundaries.topojson"
CRS = "EPSG:27700"
#: Douglas-Peucker tolerance (metres) applied to each shared arc.
TOLERANCE_M = 100.0
#: Output grid (metres) of the shipped coordinates.
GRID_M = 1.0
#: OS copyright year of the geometry base (ONS LAD December 2016 BSC).
OS_YEAR = 2016
ATTRIBUTION = f"{ONS_ATTRIBUTION} {OS_ATTRIBUTION.format(year=OS_YEAR)}"

UPPER_TIER_PREFIXES = ("E06", "E08", "E09", "E10")
COUNCIL_TYPE_BY_PREFIX = {
    "E06": "unitary authority",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "county",
}
OUTPUT_COLUMNS = [
    "council_code",
    "council_name",
    "council_type",
    "region_code",
    "region_name",
    "geometry",
]

_ONS_TOPO = "geo/onsvisual-uk-topojson/topo.json"
#: first vintage taken straight from uk-topojson (earlier ones derive from it by events).
TOPO_FIRST_VINTAGE = 2013
#: first year of the uk-topojson features (vintage "2013" is selected with 2014).
TOPO_FIRST_YEAR = 2014
_HJL = "geo/henryjameslau-geoportal-topojson"
#: independent code-set checks: vintage -> [(raw path, field, prefixes kept)].
_CODE_CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "2009": [
        (
            f"{_HJL}/outputs/Local_Authority_Districts_December_2011_GB_BGC_2022.json",
            "lad11cd",
            ("E06", "E08", "E09"),
        ),
        (f"{_HJL}/outputs/LMCTYUA_2012_EW_BSC.json", "AREACD", ("E10",)),
    ],
    "2013": [
        (
            f"{_HJL}/outputs/Counties_and_Unitary_Authorities_December_2017_EW_BUC_2022.json",
            "AREACD",
            UPPER_TIER_PREFIXES,
        ),
    ],
    "2019": [
        (
            f"{_HJL}/outputs-Dec22/Counties_and_Unitary_Authorities_April_2019_Boundaries_UK_BUC.json",
            "AREACD",
            UPPER_TIER_PREFIXES,
        ),
    ],
    "2020": [
        (
            f"{_HJL}/outputs-Dec22/Counties_and_Unitary_Authorities_December_2020_UK_BUC_V2.json",
            "AREACD",
            UPPER_TIER_PREFIXES,
        ),
    ],
    "2021": [
        (
            f"{_HJL}/outputs/Counties_and_Unitary_Authorities_May_2021_UK_BUC_2022.json",
            "AREACD",
            UPPER_TIER_PREFIXES,
        ),
    ],
    "2023": [
        (
            f"{_HJL}/outputs/Counties_and_Unitary_Authorities_May_2023_UK_BUC.json",
            "AREACD",
            UPPER_TIER_PREFIXES,
        ),
    ],
}


# --------------------------------------------------------------------------- building


def _project(arcs: list[np.ndarray]) -> list[np.ndarray]:
    from pyproj import Transformer

    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    return [np.column_stack(to_bng.transform(a[:, 0], a[:, 1])) for a in arcs]


def _valid_polygonal(geom: Any) -> Any:
    """``make_valid`` keeping only the polygonal parts (source rings can self-touch)."""
    import shapely

    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _bad_arc_pairs(arcs: dict[int, np.ndarray]) -> set[tuple[int, int]]:
    """Pairs of arcs that meet anywhere but at a shared end point (``(i, i)``: self-crossing)."""
    import shapely
    from shapely.geometry import LineString, MultiPoint

    ids = sorted(arcs)
    lines = [LineString(arcs[i]) for i in ids]
    bad: set[tuple[int, int]] = {
        (i, i) for i, line in zip(ids, lines, strict=True) if not line.is_simple
    }
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    ends = [MultiPoint([arcs[i][0], arcs[i][-1]]) for i in ids]
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        meet = lines[a].intersection(lines[b])
        if not meet.is_empty and not meet.difference(ends[a].intersection(ends[b])).is_empty:
            bad.add((ids[a], ids[b]))
    return bad


def _simplify_shared_arcs(
    arcs: list[np.ndarray], used: list[int], tolerance: float, grid: float
) -> tuple[dict[int, np.ndarray], list[int]]:
    """Simplify and quantise the used arcs; undo the simplification of any arc that would
    then cross another arc (or itself) where the unsimplified arcs did not.

    Returns the integer grid arcs and the ids of arcs left unsimplified.
    """
    plain = {i: tj.quantise_arc(arcs[i], grid) for i in used}
    simple = {i: tj.quantise_arc(tj.simplify_arc(arcs[i], tolerance), grid) for i in used}
    baseline = _bad_arc_pairs({i: a.astype(float) for i, a in plain.items()})
    reverted: set[int] = set()
    for _ in range(20):
        new = _bad_arc_pairs({i: a.astype(float) for i, a in simple.items()}) - baseline
        culprits = {i for pair in new for i in pair} - reverted
        if not new:
            break
        if not culprits:  # pragma: no cover - everything involved is already unsimplified
            raise SourceFormatError(f"arc simplification cannot be made planar: {sorted(new)}")
        for i in culprits:
            simple[i] = plain[i]
        reverted |= culprits
    return simple, sorted(reverted)


def _select(features: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
    out = []
    for feat in features:
        props = feat["properties"]
        if not str(props.get("areacd", "")).startswith(UPPER_TIER_PREFIXES):
            continue
        if int(props.get("start", 0)) <= year <= int(props.get("end", 9999)):
            out.append(feat)
    return sorted(out, key=lambda f: f["properties"]["areacd"])


def _regions(arcs: list[np.ndarray], topo: tj.Topology) -> list[tuple[str, str, Any]]:
    regions = []
    for feat in topo.objects["rgn"]:
        code = feat["properties"]["areacd"]
        if code.startswith("E12"):
            geom = _valid_polygonal(tj.to_shapely(arcs, feat["arcs"]))
            regions.append((code, feat["properties"]["areanm"], geom))
    if len(regions) != 9:
        raise SourceFormatError(f"{_ONS_TOPO}: expected 9 English regions, found {len(regions)}")
    return sorted(regions)


def _region_of(geom: Any, regions: list[tuple[str, str, Any]], where: str) -> tuple[str, str]:
    point = geom.representative_point()
    hits = [(code, name) for code, name, shape in regions if shape.covers(point)]
    if len(hits) != 1:
        raise SourceFormatError(f"{where}: found in {len(hits)} English regions, expected 1")
    return hits[0]


def _code_set(path: Path, field: str, prefixes: tuple[str, ...]) -> set[str]:
    topo = tj.read_topology(path)
    codes = set()
    for feats in topo.objects.values():
        for feat in feats:
            code = str(feat["properties"].get(field, ""))
            if code.startswith(prefixes):
                codes.add(code)
    if not codes:
        raise SourceFormatError(f"{path}: no {field} codes starting with {prefixes}")
    return codes


def _register() -> Any:
    from personalisation.geo import register

    return register


@dataclass
class SourceGeography:
    """Unsimplified council areas of every vintage, as arc lists on shared projected arcs.

    Attributes
    ----------
    arcs
        Arc coordinates in EPSG:27700 metres (not simplified, not quantised).
    objects
        Vintage -> features (``arcs`` in MultiPolygon nesting, ``properties`` with
        ``council_code``, ``council_name``, ``region_code``, ``region_name``), sorted by code.
    dissolved
        Councils of a vintage before 2013 dissolved from their successors' areas
        (``"cassr:610"`` Bedfordshire from Bedford and Central Bedfordshire...).
    recoded
        Councils of a vintage before 2013 given their single successor's area
        (Gateshead ``E08000020`` from ``E08000037``...).
    """

    arcs: list[np.ndarray]
    objects: dict[str, list[dict[str, Any]]]
    dissolved: dict[str, list[str]]
    recoded: dict[str, str]

    def geometries(self, vintage: str) -> dict[str, Any]:
        """Code -> valid shapely geometry (unsimplified) of one vintage."""
        return {
            f["properties"]["council_code"]: _valid_polygonal(tj.to_shapely(self.arcs, f["arcs"]))
            for f in self.objects[vintage]
        }


def assemble_sources(raw_dir: str | Path) -> SourceGeography:
    """Select, recode and dissolve the ONS areas of every vintage (no simplification).

    Parameters
    ----------
    raw_dir
        The raw directory holding ``geo/onsvisual-uk-topojson/topo.json``.

    Returns
    -------
    SourceGeography
        Cached per raw directory (treat it as read-only).

    Examples
    --------
    >>> src = assemble_sources("../shared/data/raw")  # doctest: +SKIP
    >>> len(src.objects["2019"])  # doctest: +SKIP
    151
    """
    return _assemble(str(Path(raw_dir).resolve()))


@functools.cache
def _assemble(raw: str) -> SourceGeography:
    raw_dir = Path(raw)
    register = _register()
    topo_path = raw_dir / _ONS_TOPO
    if not topo_path.is_file():
        raise DataNotFoundError(f"ONS uk-topojson file not found: {topo_path}")
    topo = tj.read_topology(topo_path, objects=["utla", "rgn"])
    arcs = _project(topo.arcs)
    regions = _regions(arcs, topo)

    objects: dict[str, list[dict[str, Any]]] = {}

    def feature(code: str, name: str, polygons: list) -> dict[str, Any]:
        geom = _valid_polygonal(tj.to_shapely(arcs, polygons))
        region_code, region_name = _region_of(geom, regions, f"{code} {name}")
        props = {
            "council_code": code,
            "council_name": name,
            "region_code": region_code,
            "region_name": region_name,
        }
        return {"arcs": polygons, "properties": props}

    vintages = list(register.VINTAGES)
    for vintage in vintages:
        if int(vintage) >= TOPO_FIRST_VINTAGE:
            objects[vintage] = [
                feature(f["properties"]["areacd"], f["properties"]["areanm"], f["arcs"])
                for f in _select(topo.objects["utla"], max(int(vintage), TOPO_FIRST_YEAR))
            ]
    # earlier vintages, newest first, from the next vintage through the register's events:
    # a council with one successor has its successor's area (a recode), a council with
    # several successors is their union (dissolved in arc space)
    dissolved: dict[str, list[str]] = {}
    recoded: dict[str, str] = {}
    earlier = [v for v in vintages if int(v) < TOPO_FIRST_VINTAGE]
    for vintage, following in reversed(list(zip(earlier, vintages[1:], strict=False))):
        by_code = {f["properties"]["council_code"]: f for f in objects[following]}
        feats = []
        claimed: dict[str, str] = {}
        for row in register.councils(vintage).itertuples(index=False):
            code, name = str(row.council_code), str(row.council_name)
            if code in by_code:
                members = [code]
            else:
                members = sorted({str(s) for s in register.successors(code, at=following)})
            missing = [m for m in members if m not in by_code]
            clash = [m for m in members if m in claimed]
            if not members or missing or clash:
                raise SourceFormatError(
                    f"vintage {vintage} council {code} ({name}): successors {members} in "
                    f"vintage {following} are missing from the boundaries {missing} or also "
                    f"successors of {[claimed[m] for m in clash]} (a merge cannot be undone)"
                )
            claimed.update(dict.fromkeys(members, code))
            if members == [code]:
                feats.append(by_code[code])
            elif len(members) == 1:
                props = {
                    **by_code[members[0]]["properties"],
                    "council_code": code,
                    "council_name": name,
                }
                feats.append({"arcs": by_code[members[0]]["arcs"], "properties": props})
                recoded[code] = members[0]
            else:
                polygons = tj.dissolve(arcs, [by_code[m]["arcs"] for m in members])
                feats.append(feature(code, name, polygons))
                dissolved[code] = members
        objects[vintage] = sorted(feats, key=lambda f: f["properties"]["council_code"])
    return SourceGeography(arcs=arcs, objects=objects, dissolved=dissolved, recoded=recoded)


def build_boundaries(raw_dir: str | Path, out_dir: str | Path) -> Path:
    """Build ``boundaries.topojson`` + ``metadata.json`` for every vintage from the raw files.

    Deterministic: the same raw files give byte-identical output.

    Parameters
    ----------
    raw_dir
        The raw directory (holding ``geo/onsvisual-uk-topojson/topo.json`` and the
        henryjameslau check files).
    out_dir
        Output folder, normally ``<repo>/geo/boundaries``.

    Returns
    -------
    pathlib.Path
        The written ``boundaries.topojson``.

    Raises
    ------
    SourceFormatError
        When a source file is malformed, a vintage's code set differs from the
        independent ONS file of that vintage, or from the council register.

    Examples
    --------
    >>> build_boundaries("../shared/data/raw", "geo/boundaries")  # doctest: +SKIP
    PosixPath('geo/boundaries/boundaries.topojson')
    """
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    register = _register()
    source = assemble_sources(raw_dir)
    arcs, objects, dissolved = source.arcs, source.objects, source.dissolved
    topo_path = raw_dir / _ONS_TOPO

    # independent checks of the code sets
    checks = []
    for vintage, files in _CODE_CHECKS.items():
        expected: set[str] = set()
        for rel, field, prefixes in files:
            expected |= _code_set(raw_dir / rel, field, prefixes)
            checks.append(
                file_record(
                    raw_dir / rel,
                    raw_dir,
                    source_id=f"check-{vintage}-{Path(rel).stem}",
                    publisher="ONS (TopoJSON conversion by Henry Lau, ONS)",
                    title=Path(rel).stem,
                    attribution=ATTRIBUTION,
                    notes=f"code set check only for vintage {vintage}; geometry not used",
                )
            )
        got = {f["properties"]["council_code"] for f in objects[vintage]}
        if got != expected:
            raise SourceFormatError(
                f"vintage {vintage}: boundary codes differ from {[f[0] for f in files]}: "
                f"only in boundaries {sorted(got - expected)}, only in check {sorted(expected - got)}"
            )
    for vintage in register.VINTAGES:
        got = {f["properties"]["council_code"] for f in objects[vintage]}
        want = set(register.councils(vintage)["council_code"].astype(str))
        if got != want:
            raise SourceFormatError(
                f"vintage {vintage}: boundary codes differ from councils({vintage!r}): only in "
                f"boundaries {sorted(got - want)}, only in register {sorted(want - got)}"
            )

    ordered = {v: objects[v] for v in register.VINTAGES}
    used = sorted({i for geoms in ordered.values() for g in geoms for i in tj.arc_ids(g["arcs"])})
    grid_arcs, reverted = _simplify_shared_arcs(arcs, used, TOLERANCE_M, GRID_M)
    all_pts = np.concatenate([grid_arcs[i] for i in used]) * GRID_M
    bbox = [*all_pts.min(axis=0).tolist(), *all_pts.max(axis=0).tolist()]
    full_arcs: list[np.ndarray] = [grid_arcs.get(i, np.zeros((0, 2))) for i in range(len(arcs))]
    text = tj.encode(full_arcs, ordered, step=GRID_M, bbox=bbox)

    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / BOUNDARY_FILE
    out_path.write_text(text, encoding="utf-8")
    metadata = {
        "title": "English upper-tier councils with adult social services, boundaries by vintage",
        "file": BOUNDARY_FILE,
        "format": "TopoJSON, one object per vintage, shared arcs; read with "
        "geopandas.read_file(path, layer=VINTAGE) and set crs=27700",
        "crs": CRS,
        "grid_m": GRID_M,
        "simplification": {
            "method": "Douglas-Peucker on each shared arc (end points fixed), then 1 m grid; an "
            "arc is left unsimplified when its simplified form would cross another arc or "
            "itself where the unsimplified arcs did not",
            "tolerance_m": TOLERANCE_M,
            "arcs": len(used),
            "arcs_left_unsimplified": len(reverted),
            "points_before": int(sum(len(arcs[i]) for i in used)),
            "points_after": int(sum(len(grid_arcs[i]) for i in used)),
        },
        "vintages": {
            v: {
                "councils": len(ordered[v]),
                "source": (
                    f"uk-topojson utla features valid in {max(int(v), TOPO_FIRST_YEAR)}"
                    if int(v) >= TOPO_FIRST_VINTAGE
                    else "the next vintage's areas through the register's events (see notes)"
                ),
            }
            for v in ordered
        },
        "notes": [
            "Geometry base: ONS LAD December 2016 BSC dissolved to upper tier by year "
            "(ONSvisual uk-topojson); boundary changes below upper tier after 2016 are not "
            "reflected (negligible at this resolution).",
            "Vintages before 2013 take the areas of the next vintage through the register's "
            "events. Recoded (same area, code before the April 2013 recode): "
            + "; ".join(f"{c} = {m}" for c, m in sorted(source.recoded.items()))
            + " (the small 2013 Gateshead/Northumberland boundary change is below the source "
            "resolution). Dissolved in arc space (shared boundary removed exactly): "
            + "; ".join(f"{c} = {'+'.join(m)}" for c, m in sorted(dissolved.items()))
            + ".",
            "Regions: each council's representative point located in the uk-topojson rgn layer.",
            "A few source rings touch or cross themselves (quantisation in the source); "
            "boundaries() returns them made valid with shapely.make_valid.",
        ],
        "attribution": ATTRIBUTION,
        "licence": "Open Government Licence v3.0",
        "sources": [
            file_record(
                topo_path,
                raw_dir,
                source_id="onsvisual-uk-topojson",
                publisher="ONS Data Visualisation team (ONSvisual/uk-topojson)",
                title="UK administrative boundaries 2014-2025, TopoJSON (output/topo.json)",
                attribution=ATTRIBUTION,
                notes="geometry of every vintage; layers utla and rgn used",
            ),
        ],
        "checks": checks,
        "sha256": {BOUNDARY_FILE: _sha256_text(text)},
    }
    write_json(metadata, out_dir / "metadata.json")
    return out_path


def _sha256_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- reading


def boundary_path() -> Path:
    """The shipped boundary file (``geo/boundaries/boundaries.topojson``)."""
    return geo_dir() / "boundaries" / BOUNDARY_FILE


@functools.cache
def _read_layer(path: str, vintage: str) -> geopandas.GeoDataFrame:
    import geopandas as gpd
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    if vintage not in layers:
        raise DataNotFoundError(f"{path}: no layer {vintage!r} (has {layers}); rebuild geo/")
    gdf = gpd.read_file(path, layer=vintage, engine="pyogrio")
    gdf = gdf.set_crs(CRS, allow_override=True)
    gdf["geometry"] = [_valid_polygonal(g) for g in gdf.geometry]
    return gdf


def _available() -> list[str]:
    return list(_register().VINTAGES)


def _check_vintage(vintage: Any) -> str:
    from personalisation.errors import MissingYearError

    register = _register()
    try:
        return str(register.resolve_vintage(vintage))
    except (KeyError, ValueError, TypeError) as exc:
        raise MissingYearError(
            f"unknown geography vintage {vintage!r}: available vintages are "
            f"{', '.join(register.VINTAGES)} (or any year from {register.VINTAGES[0]})"
        ) from exc


def labelled(gdf: geopandas.GeoDataFrame, vintage: str, what: str) -> geopandas.GeoDataFrame:
    """Attach register names, types and regions to a GeoDataFrame with ``council_code``.

    Other columns (``q``, ``r``, ``geometry``) are kept; names/types/regions of ``gdf``
    are replaced by the register's.  The code sets must be equal; otherwise a
    :class:`SourceFormatError` names the codes.
    """
    import geopandas as gpd
    import pandas as pd

    councils = _register().councils(vintage)
    codes = set(gdf["council_code"].astype(str))
    want = set(councils["council_code"].astype(str))
    if codes != want:
        raise SourceFormatError(
            f"{what} for vintage {vintage}: codes differ from councils({vintage!r}): only in "
            f"{what} {sorted(codes - want)}, only in register {sorted(want - codes)}"
        )
    cols = ["council_code", "council_name", "council_type", "region_code", "region_name"]
    table = councils[cols].astype(str)
    extra = [c for c in gdf.columns if c not in cols or c == "council_code"]
    extra = [c for c in extra if c != "id"]
    frame = pd.DataFrame(gdf[extra]).assign(council_code=gdf["council_code"].astype(str))
    merged = table.merge(frame, on="council_code", how="left")
    out = gpd.GeoDataFrame(merged, geometry="geometry", crs=gdf.crs)
    order = [*OUTPUT_COLUMNS[:-1], *[c for c in extra if c not in OUTPUT_COLUMNS], "geometry"]
    return out.sort_values("council_code", ignore_index=True)[order]


def boundaries(vintage: str | int) -> geopandas.GeoDataFrame:
    """Boundaries of the English upper-tier councils of one geography vintage.

    Parameters
    ----------
    vintage
        A vintage (``"2013"``) or any year, resolved to the vintage in force from
        1 April of that year (``2017`` -> ``"2013"``).  For a data year (the year in
        which the financial year ends) use ``boundaries(vintage_for_year(year))``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per council, sorted by code; columns ``council_code``,
        ``council_name``, ``council_type``, ``region_code``, ``region_name``,
        ``geometry``; CRS EPSG:27700; ``attrs["attribution"]`` (ONS/OS, OGL v3) and
        ``attrs["vintage"]``.

    Raises
    ------
    MissingYearError
        For a vintage the package does not know (the message lists the available ones).
    DataNotFoundError
        When the shipped boundary file is missing.

    Examples
    --------
    >>> gdf = boundaries("2019")
    >>> len(gdf), gdf.crs.to_epsg()
    (151, 27700)
    >>> boundaries(2017).attrs["vintage"]
    '2013'
    """
    resolved = _check_vintage(vintage)
    path = boundary_path()
    if not path.is_file():
        raise DataNotFoundError(
            f"shipped boundaries not found at {path}; run build_boundaries(raw_dir, out_dir)"
        )
    gdf = labelled(_read_layer(str(path), resolved), resolved, "boundaries")
    gdf.attrs["attribution"] = ATTRIBUTION
    gdf.attrs["vintage"] = resolved
    gdf.attrs["crs_note"] = "British National Grid metres"
    return gdf


def load_metadata() -> dict[str, Any]:
    """The shipped ``geo/boundaries/metadata.json`` as a dict."""
    return json.loads((geo_dir() / "boundaries" / "metadata.json").read_text(encoding="utf-8"))
