"""The ``build`` suite: ``personalisation build-data`` from the raw files against plain pandas readers."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from harness import (
    REPO_DIR,
    row,
    worker,
)

_worker = partial(worker, __name__)

NAME = "build"
#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {"full": {"build_reps": 2}, "quick": {"build_reps": 1}}


def _raw_dir() -> Path:
    env = os.environ.get("PERSONALISATION_RAW")
    return Path(env) if env else (REPO_DIR.parent / "shared" / "data" / "raw").resolve()


def _w_build_plain(raw_dir: str) -> dict[str, Any]:
    """Read every raw indicator file of the build with the plain pandas reader for it."""
    start = time.perf_counter()
    import pandas as pd

    from personalisation.build import SOURCES

    for source in SOURCES:
        path = Path(raw_dir) / source.path
        suffix = path.suffix.lower()
        if suffix in (".xls", ".xlsx"):
            pd.read_excel(path, sheet_name=None, header=None)
        elif suffix == ".rds":
            import pyreadr

            pyreadr.read_r(str(path), encoding="cp1252")
        else:
            try:
                pd.read_csv(path, header=None, dtype=str, on_bad_lines="skip")
            except UnicodeDecodeError:
                pd.read_csv(path, header=None, dtype=str, encoding="latin-1", on_bad_lines="skip")
    return {"seconds": time.perf_counter() - start, "files": len(SOURCES)}


def _w_build_package(raw_dir: str, out_dir: str) -> dict[str, Any]:
    """``build_data`` then ``build_geo`` into ``out_dir``, each timed (imports included)."""
    start = time.perf_counter()
    from personalisation.build import build_data, build_geo

    build_data(raw_dir, Path(out_dir) / "data")
    middle = time.perf_counter()
    build_geo(raw_dir, Path(out_dir) / "geo")
    end = time.perf_counter()
    return {"data": middle - start, "geo": end - middle, "total": end - start}


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """``build_data`` / ``build_geo`` from the raw files against plain reads of them."""
    raw = _raw_dir()
    if not (raw / "indicators").is_dir():
        return [
            row(
                "build",
                "build-data",
                None,
                None,
                what="skipped: raw directory not found",
                baseline_what=str(raw),
                target="< 30 s",
            )
        ]
    reps = settings["build_reps"]
    plain, package = [], []
    with tempfile.TemporaryDirectory(prefix="pz-bench-build-") as tmp:
        for i in range(reps):
            plain.append(_worker("build_plain", raw_dir=str(raw)))
            package.append(_worker("build_package", raw_dir=str(raw), out_dir=f"{tmp}/{i}"))
    plain_s = statistics.median(p["seconds"] for p in plain)
    data_s = statistics.median(p["data"] for p in package)
    geo_s = statistics.median(p["geo"] for p in package)
    total_s = statistics.median(p["total"] for p in package)
    baseline_what = (
        f"plain pandas/pyreadr reads of the same {plain[0]['files']} raw indicator files"
    )
    return [
        row(
            "build",
            "build_data (indicators)",
            data_s,
            plain_s,
            what="`build_data(raw, out)`: 17 raw files -> tidy table + metadata (all years)",
            baseline_what=baseline_what,
            reps=reps,
            peak_mb=statistics.median(p["process_peak_mb"] for p in package),
            baseline_peak_mb=statistics.median(p["process_peak_mb"] for p in plain),
        ),
        row(
            "build",
            "build_geo (register, boundaries, hexes)",
            geo_s,
            None,
            what="`build_geo(raw, out)`",
            baseline_what="",
            reps=reps,
        ),
        row(
            "build",
            "build-data (data + geo)",
            total_s,
            plain_s,
            what="`personalisation build-data` work: build_data + build_geo, imports included",
            baseline_what=baseline_what,
            target="< 30 s",
            met=bool(total_s < 30),
            reps=reps,
        ),
    ]
