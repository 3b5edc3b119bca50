"""Optional dependencies: import one, or fail with an error naming the extra that installs it.

Examples
--------
>>> from personalisation._optional import require
>>> require("json", extra="none", purpose="this example").__name__
'json'
>>> require("no_such_module_xyz", extra="spatial", purpose="stats.moran")
Traceback (most recent call last):
...
ImportError: stats.moran needs no_such_module_xyz, which is not installed: pip install 'personalisation[spatial]'
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise an :class:`ImportError` saying which extra installs it.

    Parameters
    ----------
    module
        Dotted module name, e.g. ``"libpysal.weights"``.
    extra
        The ``personalisation[...]`` extra that provides it (``spatial``, ``batch``,
        ``build``, ``dask``, ``netcdf``, ``rds``).
    purpose
        What needs it, for the message (``"stats.moran"``).

    Returns
    -------
    types.ModuleType
        The imported module.

    Raises
    ------
    ImportError
        When the module (or one it needs) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ImportError(
            f"{purpose} needs {top}, which is not installed: pip install 'personalisation[{extra}]'"
        ) from exc
