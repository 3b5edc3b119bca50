"""Draw many (multi)polygons as one matplotlib collection: one path per council.

Ring coordinates are pulled out of shapely in a few vectorised calls and cut into one
compound :class:`matplotlib.path.Path` per geometry (holes included, rings oriented so
holes stay empty), then added to the axes as a single :class:`PathCollection` with an
array of face colours.  There is no per-polygon drawing call, so a map of 150 councils
costs about as much as :meth:`geopandas.GeoDataFrame.plot`.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> import shapely
>>> fig, ax = plt.subplots()
>>> squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
>>> collection = draw_polygons(ax, squares, facecolors=["red", "blue"])
>>> len(collection.get_paths())
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path


def polygon_paths(geometries: Any) -> list[Path]:
    """One compound :class:`~matplotlib.path.Path` per (Multi)Polygon, holes included.

    Parameters
    ----------
    geometries
        A GeoSeries or array of shapely Polygons / MultiPolygons (empty or missing
        geometries give an empty path).

    Raises
    ------
    TypeError
        When a geometry is not polygonal.
    """
    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(getattr(geometries, "values", geometries), dtype=object)
    n = len(geoms)
    if n == 0:
        return []
    types = shapely.get_type_id(geoms)
    bad = ~np.isin(types, (-1, 3, 6))  # missing, Polygon, MultiPolygon
    bad &= ~shapely.is_empty(geoms)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise TypeError(
            f"only Polygon / MultiPolygon geometries can be drawn; row {first} is a "
            f"{geoms[first].geom_type}"
        )
    geoms = shapely.orient_polygons(geoms)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_owner = part_owner[ring_part]
    coord_owner = ring_owner[coord_ring]

    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    if len(coords):
        ring_start = np.r_[True, coord_ring[1:] != coord_ring[:-1]]
        ring_end = np.r_[coord_ring[1:] != coord_ring[:-1], True]
        codes[ring_start] = Path.MOVETO
        codes[ring_end] = Path.CLOSEPOLY
    cuts = np.searchsorted(coord_owner, np.arange(1, n))
    return [Path(v, c) for v, c in zip(np.split(coords, cuts), np.split(codes, cuts), strict=True)]


def draw_polygons(
    ax: Axes,
    geometries: Any,
    *,
    facecolors: Sequence[Any] | np.ndarray | str,
    edgecolor: Any = "white",
    linewidth: float = 0.3,
    hatch: str | None = None,
    gid: str | None = None,
    council_codes: Sequence[str] | None = None,
    **kwargs: Any,
) -> PathCollection:
    """Add all ``geometries`` to ``ax`` as one collection, one path per geometry.

    Parameters
    ----------
    ax
        Target axes (its data limits are updated).
    geometries
        (Multi)Polygons, in drawing order.
    facecolors
        One colour per geometry, or one colour for all.
    edgecolor, linewidth, hatch
        Outline and hatch pattern (one for the whole collection).
    gid
        Matplotlib group id of the collection (``"councils"``, ``"no data"``...).
    council_codes
        Codes of the drawn councils in drawing order, kept on the collection as
        ``collection.council_codes`` so callers and tests can tell which path is which.
    **kwargs
        Other :class:`~matplotlib.collections.Collection` properties (``zorder``...).
    """
    from matplotlib.collections import PathCollection

    paths = polygon_paths(geometries)
    collection = PathCollection(
        paths,
        facecolors=facecolors,
        edgecolors=edgecolor,
        linewidths=linewidth,
        hatch=hatch,
        **kwargs,
    )
    if gid is not None:
        collection.set_gid(gid)
    # the council of each path, for tests and callers (an attribute matplotlib does not declare)
    collection.council_codes = (  # type: ignore[attr-defined]
        tuple(council_codes) if council_codes is not None else ()
    )
    ax.add_collection(collection, autolim=True)
    ax.autoscale_view()
    return collection
