"""Run-time equal-area hex layouts of the councils, one per geography vintage (shipped ``geo/hexes/``).

The base layout is Open Innovations' (ODI Leeds) HexJSON of English upper-tier local
authorities (``odileeds/hexmaps``, ``uk-upper-tier-local-authorities.hexjson``, MIT
licence): 151 hexes, ``odd-r`` offset coordinates, 2019 geography.  At build time
(:mod:`personalisation.build.hexes`) it is adapted to every other vintage by rules derived from the data, not typed per council: each council of
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

from personalisation._paths import geo_dir
from personalisation.errors import DataNotFoundError, SourceFormatError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas

BASE_VINTAGE = "2019"
LAYOUT = "odd-r"
ODI_ATTRIBUTION = (
    "Hex layout: Open Innovations (ODI Leeds), odileeds/hexmaps "
    "uk-upper-tier-local-authorities.hexjson, MIT licence; adapted to each vintage."
)
#: folder of ``geo/hexes`` holding the House of Commons Library cartograms (built by
#: :func:`personalisation.build.hexes.build_hoc_hexes`).
HOC_DIR = "hoc"
HOC_ATTRIBUTION = (
    "Hex cartogram: House of Commons Library, uk-hex-cartograms-noncontiguous, "
    "Open Parliament Licence v3.0."
)
HOC_LICENCE_URL = (
    "https://www.parliament.uk/site-information/copyright-parliament/open-parliament-licence/"
)
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


# --------------------------------------------------------------------------- HexJSON


def read_hexjson(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read a HexJSON file: code -> ``{"n": name, "q": int, "r": int}``.

    Raises
    ------
    SourceFormatError
        When the layout is not ``odd-r``, a hex lacks ``q``/``r``, or two hexes share a cell.

    Examples
    --------
    >>> from personalisation._paths import geo_dir
    >>> cells = read_hexjson(geo_dir() / "hexes" / "2023.hexjson")  # a shipped layout
    >>> len(cells), cells["E06000058"]
    (153, {'n': 'Bournemouth, Christchurch and Poole', 'q': 5, 'r': 2})
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


# --------------------------------------------------------------------------- reading


@functools.cache
def _read_cells(path: str) -> dict[str, dict[str, Any]]:
    return read_hexjson(path)


@functools.cache
def _read_hoc(path: str) -> geopandas.GeoDataFrame:
    import geopandas as gpd

    gdf = gpd.read_file(path, engine="pyogrio")
    return gdf[["council_code", "geometry"]].set_crs(None, allow_override=True)


def hoc_vintages() -> list[str]:
    """The vintages for which the House of Commons Library cartogram is shipped."""
    folder = geo_dir() / "hexes" / HOC_DIR
    return sorted(p.stem for p in folder.glob("*.geojson"))


def hexes(vintage: str | int, *, layout: str = "odi") -> geopandas.GeoDataFrame:
    """Equal hexagons, one per council of a geography vintage.

    Parameters
    ----------
    vintage
        A vintage or any year (resolved to the vintage in force from 1 April).
    layout
        ``"odi"`` (default): the shipped Open Innovations layout adapted to every vintage.
        ``"hoc"``: the House of Commons Library cartogram (Open Parliament Licence v3.0;
        vintages 2013 = its 2018 layer, 2019, 2020, 2021, 2023; shipped in
        ``geo/hexes/hoc/``).

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
        available = hoc_vintages()
        if resolved not in available:
            raise MissingYearError(
                f"the House of Commons Library cartogram has no layer for vintage {resolved}; "
                f"available: {', '.join(available)}"
            )
        base = _read_hoc(str(geo_dir() / "hexes" / HOC_DIR / f"{resolved}.geojson"))
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
