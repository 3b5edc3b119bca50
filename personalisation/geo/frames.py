"""The frame a map draws: the geometry of a year's councils and the values in its row order.

Which geography a year is drawn on (the year's vintage, or the later one a measure was
published on), the boundaries or hexes of that vintage (cached per map), a check that a
supplied GeoDataFrame has one row per council, and the values of one measure and year
aligned to the geometry's rows, refusing a council with a value but no shape (a silent drop
would hide it from the map).  Used by :mod:`personalisation.plot.maps`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation.errors import UnknownCouncilError
from personalisation.schema import LONDON_REGION_CODE

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

__all__ = [
    "aligned_values",
    "check_geometry",
    "council_names",
    "geometry_for_year",
    "is_london",
    "map_vintage",
    "values_of",
]


def map_vintage(cube: xr.Dataset, year: int) -> str | None:
    """The cube's geography vintage for ``year`` (``None`` when unknown)."""
    if "geography_vintage" in cube.coords:
        vintage = str(cube["geography_vintage"].sel(year=year).item())
        if vintage and vintage.lower() != "unknown":
            return vintage
    return None


def check_geometry(geometry: Any, where: str) -> gpd.GeoDataFrame:
    missing = [c for c in ("council_code", "geometry") if c not in getattr(geometry, "columns", [])]
    if missing:
        raise ValueError(
            f"{where}: geometry lacks column(s) {missing}; it needs council_code, geometry"
        )
    codes = geometry["council_code"]
    duplicated = sorted(set(codes[codes.duplicated()]))
    if duplicated:
        raise ValueError(f"{where}: geometry has several rows for council(s) {duplicated[:10]}")
    return geometry


def geometry_for_year(
    cube: xr.Dataset,
    year: int,
    geometry: Any,
    layout: str,
    cache: dict[str, Any],
    measure: str | None = None,
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Geometry to draw ``year`` on, and its vintage.

    The year's geography, unless the measure's figures were published on a later one (ONS
    mid-year estimates on the next April's councils): then the geography they fit.
    """
    vintage = map_vintage(cube, year)
    if geometry is None and measure is not None and not cube.attrs.get("geography_vintage"):
        with_values = values_of(cube, measure, year).dropna().index
        if vintage is not None and len(with_values):
            later = _geo_function("vintage_for_codes")(with_values, at_least=vintage)
            vintage = later or vintage
    if isinstance(geometry, Mapping):
        if year not in geometry:
            raise KeyError(
                f"geometry= has no GeoDataFrame for year {year}; it has {sorted(geometry)}"
            )
        geometry = geometry[year]
    if geometry is not None:
        return check_geometry(geometry, f"geometry for {year}"), vintage
    if vintage is None:
        vintage = str(_geo_function("vintage_for_year")(year))
    if vintage not in cache:
        loader = _geo_function(layout)
        shapes = check_geometry(loader(vintage), f"geo.{layout}({vintage!r})")
        if cube.attrs.get("geography_vintage"):  # a harmonised cube: units may span councils
            from personalisation.geo.join import with_units

            shapes = with_units(shapes, [str(c) for c in cube["council"].values], vintage)
        cache[vintage] = shapes
    return cache[vintage], vintage


def _geo_function(name: str) -> Any:
    """A public function of :mod:`personalisation.geo`, looked up at call time (so tests can patch it)."""
    from personalisation import geo

    return getattr(geo, name)


def values_of(cube: xr.Dataset, measure: str, year: int) -> Any:
    """Values of one measure and year as a pandas Series indexed by council code."""
    return cube["value"].sel(measure=measure, year=year).to_series()


def aligned_values(
    cube: xr.Dataset, measure: str, year: int, geometry: gpd.GeoDataFrame, vintage: str | None
) -> np.ndarray:
    """Values in the row order of ``geometry`` (NaN where the cube has none).

    Raises :class:`UnknownCouncilError` when the cube holds a value for a council the
    geometry does not have (a silent drop would hide it from the map).
    """
    values = values_of(cube, measure, year)
    codes = geometry["council_code"].astype(str)
    unmatched = sorted(set(values.dropna().index.astype(str)) - set(codes))
    if unmatched:
        raise UnknownCouncilError(
            f"{measure} {year}: {len(unmatched)} council(s) with values have no geometry in "
            f"vintage {vintage}: {unmatched[:10]}; put the cube on this geography first with "
            f"personalisation.harmonise(cube, to={vintage!r})"
        )
    return values.reindex(codes.to_numpy()).to_numpy(dtype=float)


def council_names(cube: xr.Dataset, geometry: gpd.GeoDataFrame) -> np.ndarray:
    codes = geometry["council_code"].astype(str).to_numpy()
    if "council_name" in geometry.columns:
        return geometry["council_name"].astype(str).to_numpy()
    if "council_name" in cube.coords:
        names = cube["council_name"].to_series()
        return np.array([str(names.get(c, c)) for c in codes])
    return codes


def is_london(cube: xr.Dataset, geometry: gpd.GeoDataFrame) -> np.ndarray:
    if "region_code" in geometry.columns:
        return (geometry["region_code"].astype(str) == LONDON_REGION_CODE).to_numpy()
    regions = cube["region_code"].to_series() if "region_code" in cube.coords else {}
    return np.array(
        [str(regions.get(c, "")) == LONDON_REGION_CODE for c in geometry["council_code"]]
    )
