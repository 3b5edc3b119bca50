"""The ``personalisation build-data`` command: options, progress, exit codes."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from personalisation import _paths
from personalisation.build.data import build_data
from personalisation.build.geo import build_geo
from personalisation.errors import PersonalisationError

__all__ = ["add_arguments", "run_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``personalisation build-data``."""
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw directory (default: $PERSONALISATION_RAW or ../shared/data/raw)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output root holding data/ and geo/ (default: the repository checkout)",
    )
    parser.add_argument(
        "--only", choices=("data", "geo"), default=None, help="rebuild only data/ or only geo/"
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``personalisation build-data`` with parsed arguments; returns the exit code."""
    raw_dir = args.raw or _paths.default_raw_dir()
    if not Path(raw_dir).is_dir():
        print(f"error: raw directory {raw_dir} not found (use --raw DIR or PERSONALISATION_RAW)")
        return 2
    out_root = args.out or _paths.REPO_DIR
    start = time.perf_counter()
    try:
        return _build(Path(raw_dir), Path(out_root), args.only, start)
    except PersonalisationError as exc:
        print(f"error: {exc}")
        return 2


def _build(raw_dir: Path, out_root: Path, only: str | None, start: float) -> int:
    """Rebuild ``data/`` and/or ``geo/`` under ``out_root``, printing progress."""

    def progress(step: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {step}", flush=True)

    if only in (None, "data"):
        path = build_data(raw_dir, Path(out_root) / "data", progress=progress)
        print(f"wrote {path}")
    if only in (None, "geo"):
        build_geo(raw_dir, Path(out_root) / "geo", progress=progress)
        print(f"wrote {Path(out_root) / 'geo'}")
    print(f"done in {time.perf_counter() - start:.1f}s")
    return 0
