"""Tiny synthetic geometry for plot tests: squares on a grid, or hexagons, one per council."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pytest
import shapely
import xarray as xr

from personalisation.schema import LONDON_REGION_CODE


def _frame(cube: xr.Dataset, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "council_code": cube["council"].values.astype(str),
            "council_name": cube["council_name"].values.astype(str),
            "council_type": cube["council_type"].values.astype(str),
            "region_code": cube["region_code"].values.astype(str),
            "region_name": cube["region_name"].values.astype(str),
        },
        geometry=geoms,
        crs="EPSG:27700",
    )


def square_grid(cube: xr.Dataset, ncols: int = 4, size: float = 10_000.0) -> gpd.GeoDataFrame:
    """One square per council of ``cube``, row by row, with the cube's region codes."""
    n = cube.sizes["council"]
    geoms = [
        shapely.box(
            (i % ncols) * size, (i // ncols) * size, (i % ncols + 1) * size, (i // ncols + 1) * size
        )
        for i in range(n)
    ]
    return _frame(cube, geoms)


def hex_grid(cube: xr.Dataset, ncols: int = 4, radius: float = 1.0) -> gpd.GeoDataFrame:
    """One pointy-top hexagon per council of ``cube`` on an offset grid."""
    n = cube.sizes["council"]
    angles = np.deg2rad(np.arange(30, 390, 60))
    width = np.sqrt(3) * radius
    geoms = []
    for i in range(n):
        row, col = divmod(i, ncols)
        cx = col * width + (width / 2 if row % 2 else 0.0)
        cy = row * 1.5 * radius
        geoms.append(
            shapely.Polygon(np.c_[cx + radius * np.cos(angles), cy + radius * np.sin(angles)])
        )
    return _frame(cube, geoms)


@pytest.fixture
def london_cube():
    """A 12-council synthetic cube whose 7th region is London (E12000007)."""
    from personalisation.testing import make_cube

    cube = make_cube(n_councils=12, years=[2015, 2016, 2017], n_regions=7, seed=3)
    assert LONDON_REGION_CODE in set(cube["region_code"].values)
    return cube


@pytest.fixture
def squares():
    """Factory: ``squares(cube)`` -> one square per council."""
    return square_grid


@pytest.fixture
def hexagons():
    """Factory: ``hexagons(cube)`` -> one hexagon per council."""
    return hex_grid
