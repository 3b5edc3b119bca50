"""personalisation: personal budgets, self-directed support and direct payments in English
adult social care, council by council, as labelled xarray cubes.

Public API (heavy modules are imported lazily, so ``import personalisation`` is fast)::

    import personalisation as pz
    cube = pz.load_cube()                      # council x year x measure
    pz.stats.variation(cube, measure="sds_users", year=2020)
    pz.plot.choropleth(cube, measure="sds_users", year=2021)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it
_LAZY: dict[str, str] = {
    "load_cube": "personalisation.cube",
    "load_tidy": "personalisation.cube",
    "cube_from_tidy": "personalisation.cube",
    "registry": "personalisation.measures",
    "councils": "personalisation.geo",
    "events": "personalisation.geo",
    "lineage": "personalisation.geo",
    "successors": "personalisation.geo",
    "harmonise": "personalisation.geo",
    "boundaries": "personalisation.geo",
    "hexes": "personalisation.geo",
    "attach_geometry": "personalisation.geo",
    "to_geodataframe": "personalisation.geo",
}
_SUBMODULES = {"stats", "plot", "geo", "measures", "sources", "batch", "build", "errors", "testing"}

__all__ = ["__version__", *sorted(_LAZY), *sorted(_SUBMODULES)]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"personalisation.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'personalisation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
