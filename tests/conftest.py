"""Shared fixtures: where the raw files are, and a skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from personalisation._paths import default_raw_dir

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw published files (``../shared/data/raw``); skips the test when absent."""
    path = default_raw_dir()
    if not path.is_dir():
        pytest.skip(f"raw published files not found at {path} (set PERSONALISATION_RAW)")
    return path
