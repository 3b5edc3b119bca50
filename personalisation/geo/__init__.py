"""Geography: the council register, reorganisation events, harmonisation, boundaries,
hex layouts and the join to the cube.

Public names: ``councils(vintage)``, ``events()``, ``lineage(code)``,
``successors(code, at=...)``, ``find_council(name_or_code, at=...)``,
``council_series(cube, council)``, ``latest_year(cube, council, measure)``, ``vintage_for_year(year)``,
``vintages()``, ``harmonise(cube, to=...)``, ``boundaries(vintage)``, ``hexes(vintage)``, ``attach_geometry(cube, vintage)``,
``to_geodataframe(cube, year, measure)``.  Heavy modules (geopandas) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "councils": "register",
    "events": "register",
    "find_council": "find",
    "Council": "find",
    "council_series": "find",
    "council_code_in": "find",
    "latest_year": "find",
    "lineage": "register",
    "successors": "register",
    "vintage_for_year": "register",
    "vintage_for_codes": "register",
    "resolve_vintage": "register",
    "vintages": "register",
    "harmonise": "_harmonise",
    "boundaries": "_boundaries",
    "hexes": "_hexes",
    "attach_geometry": "join",
    "to_geodataframe": "join",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"personalisation.geo.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'personalisation.geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
