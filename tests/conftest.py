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


#: what ``personalisation build-data`` imports beyond run time (the ``build`` extra)
BUILD_EXTRA = ("openpyxl", "xlrd", "pyreadr", "topojson")


@pytest.fixture(scope="session")
def build_extra() -> None:
    """Skips the test when the ``build`` extra (the raw-file readers' packages) is absent."""
    for module in BUILD_EXTRA:
        pytest.importorskip(module, reason=f"the build extra is not installed (no {module})")


@pytest.fixture(scope="session")
def rebuilt(
    raw_dir: Path, build_extra: None, tmp_path_factory: pytest.TempPathFactory, request
) -> Path:
    """``data/`` and ``geo/`` rebuilt from the raw files, ONCE per test run.

    Every test that needs freshly built files uses this folder (``<it>/data``, ``<it>/geo``).
    Under pytest-xdist the workers share one build: the first to arrive builds, under a file
    lock, and the others wait for it and reuse the result.  Skips when the raw files or the
    ``build`` extra are absent.
    """
    from filelock import FileLock

    from personalisation.cli import main

    root = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # an xdist worker: share with the others
        root = root.parent
    out, done = root / "rebuilt", root / "rebuilt.done"
    with FileLock(str(root / "rebuilt.lock")):
        if not done.is_file():
            assert main(["build-data", "--raw", str(raw_dir), "--out", str(out)]) == 0
            done.write_text("ok\n", encoding="utf-8")
    return out


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need the rebuild from the raw files are ``slow`` (``-m "not slow"`` skips)."""
    for item in items:
        if "rebuilt" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
