"""The ``personalisation build-data`` command: options, staging, errors and exit codes.

The whole build (``data/`` and ``geo/``) is written into a staging folder beside the
outputs and swapped in at the end, so a failure anywhere leaves the previous outputs as
they were.  Every failure the user can fix (a changed or unreadable raw file, a malformed
table) is one line on stderr naming the file, with exit code 2; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from personalisation import _paths
from personalisation.build import raw as _raw
from personalisation.build.data import build_data
from personalisation.build.geo import build_geo
from personalisation.errors import PersonalisationError

__all__ = ["add_arguments", "default_out_root", "run_from_args", "swap_in"]


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def default_out_root() -> Path:
    """Where ``build-data`` writes without ``--out``: the checkout (editable install), else
    the user data directory that :func:`personalisation._paths.data_dir` prefers."""
    if _paths.is_checkout():
        return _paths.REPO_DIR
    return _paths.user_data_root()


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
    parser.add_argument(
        "--accept-new-raw",
        action="store_true",
        help="accept raw files that differ from the registry (a new release) and write their "
        "sha256 and size into the registry",
    )
    parser.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="registry of raw inputs to verify against (default: the package's registry.json)",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``personalisation build-data`` with parsed arguments; returns the exit code."""
    raw_dir = args.raw or _paths.default_raw_dir()
    if not Path(raw_dir).is_dir():
        _error(f"raw directory {raw_dir} not found (use --raw DIR or PERSONALISATION_RAW)")
        return 2
    out_root = Path(args.out) if args.out else default_out_root()
    start = time.perf_counter()
    _raw.configure(registry=args.registry, accept_new=args.accept_new_raw)
    try:
        code = _build(Path(raw_dir), out_root, args.only, start)
        written = _raw.save_accepted()
        if written is not None:
            print(f"accepted new raw files; registry updated: {written}")
        return code
    except (PersonalisationError, OSError, UnicodeError) as exc:
        _error(_describe(exc))
        if getattr(args, "debug", False):
            traceback.print_exc()
        return 2
    finally:
        _raw.configure()


def _describe(exc: BaseException) -> str:
    """One line naming the file and what is wrong."""
    if isinstance(exc, PersonalisationError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"a raw file is not in the expected text encoding ({exc.encoding}): {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


def swap_in(staged: Path, target: Path) -> None:
    """Replace ``target`` by the finished ``staged`` folder (two renames on one filesystem).

    Files in ``target`` that the build does not produce (``.gitkeep``) are carried over.
    """
    if target.is_dir():
        for extra in target.rglob("*"):
            dest = staged / extra.relative_to(target)
            if extra.is_file() and not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(extra, dest)
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
        staged.rename(target)
        shutil.rmtree(old)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        staged.rename(target)


def _build(raw_dir: Path, out_root: Path, only: str | None, start: float) -> int:
    """Rebuild ``data/`` and/or ``geo/`` under ``out_root`` in a staging folder, then swap in."""

    def progress(step: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {step}", flush=True)

    out_root.mkdir(parents=True, exist_ok=True)
    parts = [p for p in ("data", "geo") if only in (None, p)]
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out_root) as staging:
        stage = Path(staging)
        if "data" in parts:
            path = build_data(raw_dir, stage / "data", progress=progress)
            print(f"built {path.name}")
        if "geo" in parts:
            build_geo(raw_dir, stage / "geo", progress=progress)
            print("built geo/")
        for part in parts:  # every part finished: swap them in together
            swap_in(stage / part, out_root / part)
            print(f"wrote {out_root / part}")
    print(f"done in {time.perf_counter() - start:.1f}s")
    return 0
