"""The ``personalisation run-notebooks`` command: options, planning from arguments, exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalisation.batch.execute import DEFAULT_MAX_RSS_MB, DEFAULT_MAX_RUNS, FRESH, WARM
from personalisation.batch.grid import expand_grid, parse_param_options
from personalisation.batch.plan import PlannedRun, plan_runs
from personalisation.batch.presets import PRESETS
from personalisation.batch.runner import BatchInterrupted, BatchLockedError, run_batch
from personalisation.errors import DataNotFoundError

__all__ = ["add_arguments", "run_from_args"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``personalisation run-notebooks``."""
    parser.description = (
        "Execute notebooks with papermill over a grid of parameters: one folder per run, "
        "index.csv and index.html in the output folder, exit code 1 if any run failed."
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="notebook paths, or names in the notebooks folder (e.g. takeup_map)",
    )
    parser.add_argument("--preset", metavar="NAME", help="a named batch (see --list-presets)")
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter; a comma list gives one run per value (repeatable; numbers parsed)",
    )
    parser.add_argument(
        "--grid",
        metavar="FILE",
        help="JSON or YAML file: a grid {name: [values]} or a list of parameter dicts",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="batch folder (default: outputs/<preset name> or outputs/batch)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask.distributed scheduler address (e.g. tcp://host:8786) instead of local processes",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--kernel", default="python3", metavar="NAME", help="Jupyter kernel (default python3)"
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds allowed per cell")
    kernels = parser.add_mutually_exclusive_group()
    kernels.add_argument(
        "--warm",
        dest="engine",
        action="store_const",
        const=WARM,
        default=WARM,
        help="keep one kernel per worker and reset it between runs (the default)",
    )
    kernels.add_argument(
        "--fresh",
        dest="engine",
        action="store_const",
        const=FRESH,
        help="start a new kernel for every run (papermill's own engine)",
    )
    parser.add_argument(
        "--max-runs",
        type=int,
        metavar="N",
        help=f"replace a warm kernel after N runs (default {DEFAULT_MAX_RUNS})",
    )
    parser.add_argument(
        "--max-rss",
        type=float,
        dest="max_rss_mb",
        metavar="MIB",
        help=f"replace a warm kernel above this resident memory (default {DEFAULT_MAX_RSS_MB})",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="skip runs whose folder holds a complete record of the same run, versions and data",
    )
    parser.add_argument(
        "--no-html",
        dest="html",
        action="store_false",
        help="no HTML rendering or thumbnail of the executed notebooks",
    )
    parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")


def _read_grid_file(path: str) -> Any:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataNotFoundError(f"--grid {path}: cannot read the file ({exc})") from None
    try:
        if file.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            content = yaml.safe_load(text)
        elif file.suffix.lower() == ".json":
            content = json.loads(text)
        else:
            raise ValueError("the file name must end in .json, .yaml or .yml")
    except ValueError as exc:
        raise ValueError(f"--grid {path}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        raise ValueError(f"--grid {path}: not valid YAML ({exc})") from None
    is_list = isinstance(content, list) and all(isinstance(item, Mapping) for item in content)
    if not isinstance(content, Mapping) and not is_list:
        raise ValueError(f"--grid {path}: expected a mapping name -> values or a list of mappings")
    return content


def _plan_from_args(args: argparse.Namespace) -> tuple[list[PlannedRun], Path]:
    """The runs and the output folder asked for on the command line (usage errors raise)."""
    overrides = parse_param_options(args.params)
    grid_file = _read_grid_file(args.grid) if args.grid else None
    if args.preset:
        if args.notebooks:
            raise ValueError("give notebooks or --preset, not both")
        if args.preset not in PRESETS:
            raise ValueError(f"unknown preset {args.preset!r} (known: {', '.join(PRESETS)})")
        if isinstance(grid_file, list):
            raise ValueError("--grid with --preset must be a mapping that overrides preset values")
        overrides = {**(grid_file or {}), **overrides}
        preset = PRESETS[args.preset]
        known = {name for _, grid in preset.plan for name in grid}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"preset {preset.name!r} has no parameter {', '.join(unknown)} "
                f"(its parameters: {', '.join(sorted(known))})"
            )
        spec: dict[Any, Any] = {}
        for notebook, preset_grid in preset.plan:
            spec[notebook] = {k: overrides.get(k, v) for k, v in preset_grid.items()}
        return plan_runs(spec), Path(args.output or Path("outputs") / preset.name)
    if not args.notebooks:
        raise ValueError("give one or more notebooks or --preset NAME (see --list-presets)")
    if isinstance(grid_file, list):
        grid: Any = [{**item, **extra} for item in grid_file for extra in expand_grid(overrides)]
    else:
        grid = {**(grid_file or {}), **overrides}
    return plan_runs(args.notebooks, grid), Path(args.output or Path("outputs") / "batch")


def _describe_presets() -> str:
    lines = []
    for preset in PRESETS.values():
        lines.append(f"{preset.name}: {preset.description}")
        for notebook, grid in preset.plan:
            values = ", ".join(f"{k}={v!r}" for k, v in grid.items())
            lines.append(f"    {notebook}  {values}")
    return "\n".join(lines)


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``personalisation run-notebooks``.

    Exit codes: 0 every run passed, 1 a run failed, 2 a usage error (nothing ran),
    130 interrupted by SIGINT / SIGTERM (index written, interrupted runs marked).
    """
    if args.list_presets:
        print(_describe_presets())
        return 0
    try:
        runs, output_dir = _plan_from_args(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"personalisation run-notebooks: error: {exc}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("personalisation run-notebooks: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        result = run_batch(
            runs,
            None,
            output_dir,
            jobs=args.jobs,
            scheduler=args.scheduler,
            kernel_name=args.kernel,
            progress=not args.no_progress,
            timeout=args.timeout,
            engine=args.engine,
            max_runs=args.max_runs,
            max_rss_mb=args.max_rss_mb,
            resume=args.resume,
            html=args.html,
        )
    except BatchInterrupted as exc:
        print(exc.result.summary())  # type: ignore[attr-defined]
        print(f"personalisation run-notebooks: {exc}; index written", file=sys.stderr)
        return 130
    except (ValueError, TypeError, BatchLockedError) as exc:  # checked before anything ran
        print(f"personalisation run-notebooks: error: {exc}", file=sys.stderr)
        return 2
    except (ImportError, OSError, TimeoutError) as exc:  # no dask, scheduler unreachable, ...
        print(f"personalisation run-notebooks: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1
