"""Run-time council boundaries by geography vintage, read from the shipped ``geo/boundaries/``.

One shipped file, ``geo/boundaries/boundaries.topojson``, holds every vintage as its own
TopoJSON object (``"2008"``, ``"2009"``, ``"2013"``, ...), all built on ONE set of shared
arcs in British National Grid metres (EPSG:27700, 1 m grid).  Shared arcs make the
simplification topology-preserving: a boundary line between two councils is stored and
simplified once, so neighbours still touch exactly and nothing overlaps.  geopandas reads
it directly (``geopandas.read_file(path, layer="2013")``; TopoJSON has no CRS field, so
set ``crs=27700``).  :func:`boundaries` does that, makes the few invalid source rings valid
and adds names, types and regions from the council register.

Sources and method of the build (:mod:`personalisation.build.boundaries`; details and
hashes in ``geo/boundaries/metadata.json``):

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from personalisation._paths import geo_dir
from personalisation._provenance import ONS_ATTRIBUTION, OS_ATTRIBUTION
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.schema import COUNCIL_PREFIXES, COUNCIL_TYPE_BY_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    import geopandas

BOUNDARY_FILE = "boundaries.topojson"
CRS = "EPSG:27700"
#: OS copyright year of the geometry base (ONS LAD December 2016 BSC).
OS_YEAR = 2016
ATTRIBUTION = f"{ONS_ATTRIBUTION} {OS_ATTRIBUTION.format(year=OS_YEAR)}"

UPPER_TIER_PREFIXES = COUNCIL_PREFIXES
__all__ = ["ATTRIBUTION", "BOUNDARY_FILE", "COUNCIL_TYPE_BY_PREFIX", "CRS", "boundaries"]
OUTPUT_COLUMNS = [
    "council_code",
    "council_name",
    "council_type",
    "region_code",
    "region_name",
    "geometry",
]


def _valid_polygonal(geom: Any) -> Any:
    """``make_valid`` keeping only the polygonal parts (source rings can self-touch)."""
    import shapely

    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _register() -> Any:
    from personalisation.geo import register

    return register


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
    return list(_register().vintages())


def _check_vintage(vintage: Any) -> str:
    from personalisation.errors import MissingYearError

    register = _register()
    try:
        return str(register.resolve_vintage(vintage))
    except (KeyError, ValueError, TypeError) as exc:
        raise MissingYearError(
            f"unknown geography vintage {vintage!r}: available vintages are "
            f"{', '.join(register.vintages())} (or any year from {register.vintages()[0]})"
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
