"""The ``personalisation`` command.

Sub-commands::

    personalisation build-data   [--raw DIR] [--out DIR]      rebuild data/ and geo/ from the raw files
    personalisation run-notebooks [options]                   run notebooks over a parameter grid
    personalisation info                                      version, data version, where things are
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _build_data(args: argparse.Namespace) -> int:
    from personalisation import build

    return build.run_from_args(args)


def _run_notebooks(args: argparse.Namespace) -> int:
    from personalisation import batch

    return batch.run_from_args(args)


def _info(args: argparse.Namespace) -> int:
    import personalisation
    from personalisation import _paths

    print(f"personalisation {personalisation.__version__}")
    print(f"shipped data: {_paths.data_dir()}")
    metadata = _paths.data_dir() / "metadata.json"
    if metadata.is_file():
        import json

        print(f"data version: {json.loads(metadata.read_text(encoding='utf-8'))['data_version']}")
    print(f"shipped geography: {_paths.geo_dir()}")
    print(f"notebooks: {_paths.notebooks_dir()}")
    print(f"default raw directory: {_paths.default_raw_dir()}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``personalisation`` command."""
    parser = argparse.ArgumentParser(
        prog="personalisation",
        description="Personal budgets, self-directed support and direct payments by English council.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    build_parser = sub.add_parser(
        "build-data", help="rebuild data/ and geo/ from the raw published files"
    )
    from personalisation import build

    build.add_arguments(build_parser)
    build_parser.set_defaults(func=_build_data)

    run_parser = sub.add_parser(
        "run-notebooks", help="run the notebooks over a parameter grid with papermill"
    )
    from personalisation import batch

    batch.add_arguments(run_parser)
    run_parser.set_defaults(func=_run_notebooks)

    info_parser = sub.add_parser("info", help="print versions and paths")
    info_parser.set_defaults(func=_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``personalisation`` command; returns the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
