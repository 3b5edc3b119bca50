"""Where the shipped data, the shipped geography and the raw published files live.

Resolution order for the shipped artefacts (``data/`` and ``geo/``):

1. the environment variable ``PERSONALISATION_DATA_DIR`` / ``PERSONALISATION_GEO_DIR``;
2. the repository checkout (editable install: ``<repo>/data``, ``<repo>/geo``);
3. outside a checkout (a wheel install), a build the user made with
   ``personalisation build-data`` in the user data directory (:func:`user_data_root`:
   ``$PERSONALISATION_USER_DIR``, else ``$XDG_DATA_HOME/personalisation``, else
   ``~/.local/share/personalisation``; ``%LOCALAPPDATA%`` on Windows, ``~/Library/Application
   Support`` on macOS), which is where ``build-data`` writes by default there;
4. the copy packed into the wheel (``personalisation/_shipped/...``).

The raw directory is ``--raw DIR`` on the command line, else ``PERSONALISATION_RAW``,
else ``../shared/data/raw`` beside the repository checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
_SHIPPED = PACKAGE_DIR / "_shipped"


#: a file that marks a finished build of each folder
_BUILT_MARKER = {"data": "indicators.csv", "geo": "councils.csv", "notebooks": ""}


def is_checkout() -> bool:
    """Whether the package runs from a source checkout (an editable install)."""
    return (REPO_DIR / "pyproject.toml").exists()


def user_data_root() -> Path:
    """The user data directory that ``build-data`` writes to outside a checkout."""
    override = os.environ.get("PERSONALISATION_USER_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "personalisation"


def _shipped_dir(name: str, env: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override)
    in_repo = REPO_DIR / name
    if is_checkout() and in_repo.is_dir():
        return in_repo
    marker = _BUILT_MARKER.get(name)
    if marker and (user_data_root() / name / marker).is_file():
        return user_data_root() / name
    return _SHIPPED / name


def data_dir() -> Path:
    """Directory of the shipped indicator data (tidy table + metadata)."""
    return _shipped_dir("data", "PERSONALISATION_DATA_DIR")


def geo_dir() -> Path:
    """Directory of the shipped geography (register, events, boundaries, hexes)."""
    return _shipped_dir("geo", "PERSONALISATION_GEO_DIR")


def notebooks_dir() -> Path:
    """Directory of the parameterised notebooks."""
    return _shipped_dir("notebooks", "PERSONALISATION_NOTEBOOKS_DIR")


def default_raw_dir() -> Path:
    """The raw published files: ``$PERSONALISATION_RAW`` or ``../shared/data/raw``."""
    override = os.environ.get("PERSONALISATION_RAW")
    if override:
        return Path(override)
    return (REPO_DIR.parent / "shared" / "data" / "raw").resolve()
