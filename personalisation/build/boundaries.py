"""Build ``geo/boundaries/`` (one TopoJSON of every vintage on shared arcs) from the ONS files.

The method is described in :mod:`personalisation.geo._boundaries`, which reads the result
at run time.  :func:`assemble_sources` (unsimplified areas of every vintage) is shared with
the hex builder (:mod:`personalisation.build.hexes`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation._provenance import write_json
from personalisation.build import raw as _raw
from personalisation.build import topojson as tj
from personalisation.errors import SourceFormatError
from personalisation.geo._boundaries import (
    ATTRIBUTION,
    BOUNDARY_FILE,
    CRS,
    UPPER_TIER_PREFIXES,
    _register,
    _valid_polygonal,
)

if TYPE_CHECKING:  # pragma: no cover
    pass

#: Douglas-Peucker tolerance (metres) applied to each shared arc.
TOLERANCE_M = 100.0
#: Output grid (metres) of the shipped coordinates.
GRID_M = 1.0

#: registry id of the ONS uk-topojson file (the geometry of every vintage).
_ONS_TOPO = "onsvisual-uk-topojson"
#: first vintage taken straight from uk-topojson (earlier ones derive from it by events).
TOPO_FIRST_VINTAGE = 2013
#: first year of the uk-topojson features (vintage "2013" is selected with 2014).
TOPO_FIRST_YEAR = 2014
#: independent code-set checks: vintage -> [(registry id, field, prefixes kept)].
_CODE_CHECKS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "2009": [
        ("ons_lad_2011", "lad11cd", ("E06", "E08", "E09")),
        ("ons_lmctyua_2012", "AREACD", ("E10",)),
    ],
    "2013": [("ons_ctyua_2017", "AREACD", UPPER_TIER_PREFIXES)],
    "2019": [("ons_ctyua_2019", "AREACD", UPPER_TIER_PREFIXES)],
    "2020": [("ons_ctyua_2020", "AREACD", UPPER_TIER_PREFIXES)],
    "2021": [("ons_ctyua_2021", "AREACD", UPPER_TIER_PREFIXES)],
    "2023": [("ons_ctyua_2023", "AREACD", UPPER_TIER_PREFIXES)],
}


# --------------------------------------------------------------------------- building


def _project(arcs: list[np.ndarray]) -> list[np.ndarray]:
    from pyproj import Transformer

    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    return [np.column_stack(to_bng.transform(a[:, 0], a[:, 1])) for a in arcs]


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
    Skipped as doctests: they need the raw published files (not shipped).

    >>> src = assemble_sources("../shared/data/raw")  # doctest: +SKIP
    >>> len(src.objects["2019"])  # doctest: +SKIP
    151
    """
    return _assemble(str(Path(raw_dir).resolve()))


@functools.cache
def _assemble(raw: str) -> SourceGeography:
    raw_dir = Path(raw)
    register = _register()
    topo_path = _raw.path(raw_dir, _ONS_TOPO)
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

    vintages = list(register.vintages())
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
    Skipped as doctests: they need the raw published files (not shipped) and write a build.

    >>> build_boundaries("../shared/data/raw", "geo/boundaries")  # doctest: +SKIP
    PosixPath('geo/boundaries/boundaries.topojson')
    """
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    register = _register()
    source = assemble_sources(raw_dir)
    arcs, objects, dissolved = source.arcs, source.objects, source.dissolved

    # independent checks of the code sets
    checks = []
    for vintage, files in _CODE_CHECKS.items():
        expected: set[str] = set()
        for file_id, field, prefixes in files:
            expected |= _code_set(_raw.path(raw_dir, file_id), field, prefixes)
            checks.append(
                _raw.record(
                    raw_dir,
                    file_id,
                    notes=f"code set check only for vintage {vintage}; geometry not used",
                )
            )
        got = {f["properties"]["council_code"] for f in objects[vintage]}
        if got != expected:
            raise SourceFormatError(
                f"vintage {vintage}: boundary codes differ from {[_raw.entry(f[0]).path for f in files]}: "
                f"only in boundaries {sorted(got - expected)}, only in check {sorted(expected - got)}"
            )
    for vintage in register.vintages():
        got = {f["properties"]["council_code"] for f in objects[vintage]}
        want = set(register.councils(vintage)["council_code"].astype(str))
        if got != want:
            raise SourceFormatError(
                f"vintage {vintage}: boundary codes differ from councils({vintage!r}): only in "
                f"boundaries {sorted(got - want)}, only in register {sorted(want - got)}"
            )

    ordered = {v: objects[v] for v in register.vintages()}
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
            _raw.record(
                raw_dir, _ONS_TOPO, notes="geometry of every vintage; layers utla and rgn used"
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
