"""Where the shipped data, the shipped geography and the raw published files live.

Resolution order for the shipped artefacts (``data/`` and ``geo/``):

1. the environment variable ``PERSONALISATION_DATA_DIR`` / ``PERSONALISATION_GEO_DIR``;
2. the repository checkout (editable install: ``<repo>/data``, ``<repo>/geo``);
3. the copy packed into the wheel (``personalisation/_shipped/...``).

The raw directory is ``--raw DIR`` on the command line, else ``PERSONALISATION_RAW``,
else ``../shared/data/raw`` beside the repository checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
_SHIPPED = PACKAGE_DIR / "_shipped"


def _shipped_dir(name: str, env: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override)
    in_repo = REPO_DIR / name
    if (REPO_DIR / "pyproject.toml").exists() and in_repo.is_dir():
        return in_repo
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
