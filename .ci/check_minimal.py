"""Check that the "without the optional extras" environment of ``.ci/run`` really lacks them."""

from __future__ import annotations

import importlib.util
import sys

OPTIONAL = (
    "dask",
    "distributed",
    "pyreadr",
    "netCDF4",
    "esda",
    "libpysal",
    "papermill",
    "topojson",
)
present = [name for name in OPTIONAL if importlib.util.find_spec(name) is not None]
if present:
    sys.exit(f"the minimal environment has optional packages installed: {', '.join(present)}")
print(f"minimal environment: none of {', '.join(OPTIONAL)} installed", file=sys.stderr)
