"""personalisation: personal budgets, self-directed support and direct payments in English
adult social care, council by council, as labelled xarray cubes.

This module declares the public API and nothing else: the names are listed statically in
``__all__`` (and imported under ``TYPE_CHECKING`` for type checkers and editors), and
loaded on first use by a module ``__getattr__`` that only imports, so
``import personalisation`` stays fast and never touches the disk.

Examples
--------
>>> import personalisation as pz
>>> cube = pz.load_cube(measures=["sds_users"], years=[2021])  # council x year x measure
>>> sorted(cube.sizes.items())
[('council', 151), ('measure', 1), ('year', 1)]
>>> cube.value.sel(council="E08000003", year=2021, measure="sds_users").item()
90.1
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from personalisation import (
        batch,
        cube,
        errors,
        export,
        geo,
        measures,
        outputs,
        plot,
        stats,
        testing,
        units,
    )
    from personalisation.comparators import compare_with_neighbours
    from personalisation.covariate_tables import covariates, neighbours
    from personalisation.cube import cube_from_tidy, load_cube, load_tidy
    from personalisation.geo import (
        attach_geometry,
        boundaries,
        councils,
        events,
        find_council,
        harmonise,
        hexes,
        lineage,
        successors,
        to_geodataframe,
    )
    from personalisation.measures import registry
    from personalisation.reported_figures import reported, targets
    from personalisation.schema import decode_status, encode_status
    from personalisation.stats.national import national_dp_series, national_series

try:
    __version__: str = version("personalisation")
except PackageNotFoundError:  # pragma: no cover - running from a source tree never installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "attach_geometry",
    "batch",
    "boundaries",
    "compare_with_neighbours",
    "councils",
    "covariates",
    "cube",
    "cube_from_tidy",
    "decode_status",
    "encode_status",
    "errors",
    "events",
    "export",
    "find_council",
    "geo",
    "harmonise",
    "hexes",
    "lineage",
    "load_cube",
    "load_tidy",
    "measures",
    "national_dp_series",
    "national_series",
    "neighbours",
    "outputs",
    "plot",
    "registry",
    "reported",
    "stats",
    "successors",
    "targets",
    "testing",
    "to_geodataframe",
    "units",
]

# public name -> module that defines it (imported on first access, nothing is read)
_LAZY_NAMES: dict[str, str] = {
    "load_cube": "personalisation.cube",
    "load_tidy": "personalisation.cube",
    "cube_from_tidy": "personalisation.cube",
    "decode_status": "personalisation.schema",
    "encode_status": "personalisation.schema",
    "registry": "personalisation.measures",
    "covariates": "personalisation.covariate_tables",
    "neighbours": "personalisation.covariate_tables",
    "compare_with_neighbours": "personalisation.comparators",
    "reported": "personalisation.reported_figures",
    "targets": "personalisation.reported_figures",
    "national_series": "personalisation.stats.national",
    "national_dp_series": "personalisation.stats.national",
    "councils": "personalisation.geo",
    "events": "personalisation.geo",
    "find_council": "personalisation.geo",
    "lineage": "personalisation.geo",
    "successors": "personalisation.geo",
    "harmonise": "personalisation.geo",
    "boundaries": "personalisation.geo",
    "hexes": "personalisation.geo",
    "attach_geometry": "personalisation.geo",
    "to_geodataframe": "personalisation.geo",
}
_LAZY_SUBMODULES = frozenset(
    {
        "batch",
        "cube",
        "errors",
        "export",
        "geo",
        "measures",
        "outputs",
        "plot",
        "stats",
        "testing",
        "units",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"personalisation.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'personalisation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
