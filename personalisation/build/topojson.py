"""A small TopoJSON toolkit: decode, simplify shared arcs, dissolve and encode.

Private helper of :mod:`personalisation.geo._boundaries`.  TopoJSON stores each boundary
line between two areas once (an *arc*) and every area as a list of arc references, so
simplifying the arcs (never the areas) keeps neighbours touching exactly.  Only the parts
of the format that the ONS files use are handled: ``Polygon`` and ``MultiPolygon``
geometries, quantised (``transform``) or plain arcs.

Arc references follow the TopoJSON specification: ``i`` is arc ``i`` forwards and ``~i``
(that is ``-i - 1``) is arc ``i`` backwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from personalisation.errors import SourceFormatError

Ring = list[int]
PolygonArcs = list[Ring]


@dataclass
class Topology:
    """Decoded TopoJSON: absolute arc coordinates and the objects that reference them.

    Attributes
    ----------
    arcs
        One ``(n, 2)`` float array per arc, absolute coordinates.
    objects
        Object name -> list of geometry dicts (``type``, ``arcs``, ``properties``), with
        every geometry normalised to the ``MultiPolygon`` nesting (polygons of rings of
        arc references).
    """

    arcs: list[np.ndarray]
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _as_multipolygon(geometry: dict[str, Any], where: str) -> list[PolygonArcs]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return geometry["arcs"]
    raise SourceFormatError(f"{where}: geometry type {kind!r} is not Polygon/MultiPolygon")


def read_topology(path: str | Path, objects: Sequence[str] | None = None) -> Topology:
    """Read a TopoJSON file, undoing quantisation and delta encoding.

    Parameters
    ----------
    path
        The ``.json`` / ``.topojson`` file.
    objects
        Names of the objects to keep (default: all).

    Returns
    -------
    Topology

    Raises
    ------
    SourceFormatError
        When the file is not a TopoJSON ``Topology`` or lacks a requested object.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> topo = read_topology("topo.json", objects=["utla"])  # doctest: +SKIP
    >>> len(topo.objects["utla"])  # doctest: +SKIP
    230
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"{path}: not a readable JSON file ({exc})") from exc
    if raw.get("type") != "Topology" or "arcs" not in raw or "objects" not in raw:
        raise SourceFormatError(f"{path}: not a TopoJSON Topology (type={raw.get('type')!r})")
    transform = raw.get("transform")
    arcs: list[np.ndarray] = []
    for arc in raw["arcs"]:
        coords = np.asarray(arc, dtype=float)[:, :2]
        if transform is not None:
            coords = np.cumsum(coords, axis=0)
            coords = coords * np.asarray(transform["scale"]) + np.asarray(transform["translate"])
        arcs.append(coords)
    wanted = list(raw["objects"]) if objects is None else list(objects)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in wanted:
        if name not in raw["objects"]:
            raise SourceFormatError(
                f"{path}: no TopoJSON object {name!r} (has {sorted(raw['objects'])})"
            )
        geoms = []
        for k, geom in enumerate(raw["objects"][name].get("geometries", [])):
            if geom.get("type") is None:
                continue
            geoms.append(
                {
                    "type": "MultiPolygon",
                    "arcs": _as_multipolygon(geom, f"{path} object {name!r} geometry {k}"),
                    "properties": dict(geom.get("properties", {})),
                }
            )
        out[name] = geoms
    return Topology(arcs=arcs, objects=out)


def arc_ids(polygons: Iterable[PolygonArcs]) -> list[int]:
    """Arc indices (non-negative) used by a MultiPolygon arc list, in order of first use."""
    seen: dict[int, None] = {}
    for polygon in polygons:
        for ring in polygon:
            for ref in ring:
                seen.setdefault(ref if ref >= 0 else ~ref, None)
    return list(seen)


def ring_coordinates(arcs: Sequence[np.ndarray], ring: Ring) -> np.ndarray:
    """Coordinates of a ring: its arcs joined end to start (junction points once)."""
    parts = []
    for n, ref in enumerate(ring):
        coords = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        parts.append(coords if n == 0 else coords[1:])
    return np.concatenate(parts, axis=0)


def to_shapely(arcs: Sequence[np.ndarray], polygons: Sequence[PolygonArcs]) -> Any:
    """A shapely ``MultiPolygon`` (or ``Polygon`` when there is one part) from arc lists."""
    from shapely.geometry import MultiPolygon, Polygon

    parts = []
    for polygon in polygons:
        rings = [ring_coordinates(arcs, ring) for ring in polygon]
        parts.append(Polygon(rings[0], rings[1:]))
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def dissolve(arcs: Sequence[np.ndarray], members: Sequence[Sequence[PolygonArcs]]) -> list:
    """Merge areas in arc space: arcs shared by two members vanish, the rest are re-chained.

    Parameters
    ----------
    arcs
        Arc coordinates (used to chain arcs end to start and to nest holes).
    members
        The MultiPolygon arc lists of the areas to merge.

    Returns
    -------
    list
        MultiPolygon arc list of the union: polygons (exterior ring first, then holes),
        ordered deterministically by the smallest arc index of their exterior.

    Examples
    --------
    >>> import numpy as np
    >>> arcs = [np.array([[0, 0], [1, 0], [1, 1], [0, 1]]), np.array([[0, 1], [0, 0]]),
    ...         np.array([[0, 0], [-1, 0], [-1, 1], [0, 1]])]
    >>> dissolve(arcs, [[[[0, 1]]], [[[~1, ~2]]]])
    [[[0, -3]]]
    """
    from shapely.geometry import Point, Polygon

    directed: list[int] = []
    for polygons in members:
        for polygon in polygons:
            for ring in polygon:
                directed.extend(ring)
    present = set(directed)
    kept = [ref for ref in directed if ~ref not in present]
    if not kept:
        return []

    def start(ref: int) -> tuple[float, float]:
        c = arcs[ref][0] if ref >= 0 else arcs[~ref][-1]
        return (float(c[0]), float(c[1]))

    def end(ref: int) -> tuple[float, float]:
        c = arcs[ref][-1] if ref >= 0 else arcs[~ref][0]
        return (float(c[0]), float(c[1]))

    by_start: dict[tuple[float, float], list[int]] = {}
    for ref in sorted(kept, key=lambda r: r if r >= 0 else ~r):
        by_start.setdefault(start(ref), []).append(ref)
    unused = set(kept)
    rings: list[Ring] = []
    for first in sorted(kept, key=lambda r: r if r >= 0 else ~r):
        if first not in unused:
            continue
        ring = [first]
        unused.discard(first)
        origin = start(first)
        while end(ring[-1]) != origin:
            options = [r for r in by_start.get(end(ring[-1]), []) if r in unused]
            if not options:
                raise SourceFormatError(f"dissolve: ring starting with arc {first} does not close")
            ring.append(options[0])
            unused.discard(options[0])
        rings.append(ring)

    shapes = [Polygon(ring_coordinates(arcs, ring)) for ring in rings]
    areas = [abs(s.area) for s in shapes]
    order = sorted(range(len(rings)), key=lambda k: -areas[k])
    depth = {}
    parent: dict[int, int | None] = {}
    for k in order:
        probe = Point(ring_coordinates(arcs, rings[k])[0])
        holders = [j for j in order if j != k and areas[j] > areas[k] and shapes[j].covers(probe)]
        depth[k] = len(holders)
        parent[k] = min(holders, key=lambda j: areas[j]) if holders else None
    result: list[PolygonArcs] = []
    for k in order:
        if depth[k] % 2 == 0:
            holes = [rings[j] for j in order if parent[j] == k and depth[j] % 2 == 1]
            result.append([rings[k], *holes])
    result.sort(key=lambda poly: min(r if r >= 0 else ~r for r in poly[0]))
    return result


def simplify_arc(coords: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker simplification of one arc; its two end points are always kept.

    Closed arcs (islands) keep at least four points so that they stay valid rings.

    Examples
    --------
    >>> import numpy as np
    >>> simplify_arc(np.array([[0.0, 0.0], [1.0, 0.01], [2.0, 0.0]]), 0.1).tolist()
    [[0.0, 0.0], [2.0, 0.0]]
    """
    from shapely.geometry import LineString

    if tolerance <= 0 or len(coords) <= 2:
        return coords
    closed = bool(np.array_equal(coords[0], coords[-1]))
    if closed:
        # split a closed arc at its farthest point so DP keeps a real triangle or better
        far = int(np.argmax(np.hypot(*(coords - coords[0]).T)))
        head = simplify_arc(coords[: far + 1], tolerance)
        tail = simplify_arc(coords[far:], tolerance)
        out = np.concatenate([head, tail[1:]], axis=0)
        if len(out) < 4:
            return coords
        return out
    simple = LineString(coords).simplify(tolerance, preserve_topology=False)
    return np.asarray(simple.coords, dtype=float)


def quantise_arc(coords: np.ndarray, step: float) -> np.ndarray:
    """Round an arc to a grid of ``step`` units (integers), dropping repeated points."""
    q = np.round(coords / step).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = np.any(q[1:] != q[:-1], axis=1)
    q = q[keep]
    if len(q) == 1:
        q = np.vstack([q, q])
    return q


def encode(
    arcs: Sequence[np.ndarray],
    objects: dict[str, list[dict[str, Any]]],
    *,
    step: float,
    bbox: Sequence[float] | None = None,
) -> str:
    """Serialise arcs (already on the ``step`` grid, as integers) and objects as TopoJSON.

    Only arcs that some object uses are written, renumbered in order of first use, with
    quantised delta encoding (``transform.scale = [step, step]``).  Keys are sorted and
    the text is compact with a fixed key order (``type`` first, properties sorted), so the
    same input gives the same bytes.

    Parameters
    ----------
    arcs
        Integer grid coordinates per arc (``quantise_arc`` output).
    objects
        Object name -> geometries (dicts with ``arcs`` in MultiPolygon nesting and
        ``properties``).  Single-part geometries are written as ``Polygon``.
    step
        Grid step in coordinate units.
    bbox
        Optional bounding box written as ``bbox``.

    Examples
    --------
    >>> import numpy as np
    >>> text = encode([np.array([[0, 0], [1, 0], [1, 1], [0, 0]])],
    ...               {"a": [{"arcs": [[[0]]], "properties": {"id": "x"}}]}, step=1.0)
    >>> json.loads(text)["arcs"]
    [[[0, 0], [1, 0], [0, 1], [-1, -1]]]
    """
    renumber: dict[int, int] = {}
    for name in objects:
        for geom in objects[name]:
            for idx in arc_ids(geom["arcs"]):
                renumber.setdefault(idx, len(renumber))

    def remap(ref: int) -> int:
        return renumber[ref] if ref >= 0 else ~renumber[~ref]

    out_objects: dict[str, Any] = {}
    for name, geoms in objects.items():
        out_geoms = []
        for geom in geoms:
            polys = [[[remap(r) for r in ring] for ring in poly] for poly in geom["arcs"]]
            props = dict(sorted(geom["properties"].items()))
            if len(polys) == 1:
                out_geoms.append({"type": "Polygon", "arcs": polys[0], "properties": props})
            else:
                out_geoms.append({"type": "MultiPolygon", "arcs": polys, "properties": props})
        out_objects[name] = {"type": "GeometryCollection", "geometries": out_geoms}
    out_arcs = []
    for old in sorted(renumber, key=renumber.__getitem__):
        q = np.asarray(arcs[old], dtype=np.int64)
        delta = np.vstack([q[:1], np.diff(q, axis=0)])
        out_arcs.append(delta.tolist())
    # "type" first: GDAL recognises TopoJSON from the opening bytes of the file
    doc: dict[str, Any] = {"type": "Topology"}
    if bbox is not None:
        doc["bbox"] = [float(b) for b in bbox]
    doc["transform"] = {"scale": [step, step], "translate": [0, 0]}
    doc["objects"] = out_objects
    doc["arcs"] = out_arcs
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def map_arcs(arcs: Sequence[np.ndarray], func: Callable[[np.ndarray], np.ndarray]) -> list:
    """Apply ``func`` to every arc (e.g. a projection), returning a new list."""
    return [func(a) for a in arcs]
