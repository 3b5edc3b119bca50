"""Benchmarks of ``personalisation``: speed and memory as ratios against plain baselines.

Run every benchmark (about 6-9 minutes on a 2-core laptop-class machine)::

    python benchmarks/run.py

or a quick pass (smaller sizes, fewer repetitions; under about 2 minutes), or some of them::

    python benchmarks/run.py --quick
    python benchmarks/run.py --only import harmonise

The folder is a small harness: ``harness.py`` (timing, memory, fresh-process workers,
result rows), ``report.py`` (console table, ``results.md``, ``results.json``), one
``suite_<name>.py`` per benchmark (``NAME``, ``SETTINGS`` for full and quick runs,
``run(settings) -> rows``, and optionally ``markdown(rows)`` for its own notes), and this
command.  To add a suite, write ``suite_<name>.py`` and list it in ``SUITES``.

Each benchmark is timed against a *plain baseline measured in the same run* (the same job
done with plain pandas / geopandas / papermill), so the ratio, not the absolute time, is
the figure to compare between machines.  Timings are the median of several repetitions;
anything whose cost includes imports runs in a fresh Python process.  Peak memory is the
maximum resident set size of that process (``resource.getrusage``) or the
:mod:`tracemalloc` peak of one extra, untimed repetition.  Nothing here is a test: no
timing is ever asserted (``tests/test_benchmarks_smoke.py`` only checks that the script
runs and writes a well-formed results file).

Benchmarks (``--only`` names):

``import``
    ``import personalisation`` and the first ``load_cube()`` in a fresh process against
    ``import pandas`` + ``pandas.read_csv`` of the same shipped ``data/indicators.csv``
    (targets: within 2x of the plain read, under 0.5 s).
``build``
    ``build_data`` and ``build_geo`` (``personalisation build-data``) from the raw files
    against reading the same raw indicator files with plain pandas readers
    (target: under 30 s in all).  Skipped when the raw directory is absent.
``harmonise``
    ``apply_edges`` (the edge-table kernel of ``harmonise``, ``geo._harmonise``) on
    synthetic cubes of 5k..35k areas x 20 years x 10 measures (an LSOA-sized problem)
    with a synthetic edge table (recodes, merges, apportioned splits), numpy and
    dask-chunked (chunks over council), against a plain pandas merge + groupby-sum of the
    same three variables (targets: under 5 s at 35k areas, linear growth: time per area
    at 35k within 1.25x of that at 5k).  Also ``harmonise(load_cube(), to=2023)`` on the
    real cube.
``plot``
    ``plot.choropleth`` and a 12-panel ``plot.small_multiples`` (rendered to PNG) against
    ``GeoDataFrame.plot`` of the same values on the same polygons (target: within 1.5x).
``batch``
    ``batch.run_batch`` of 20 small notebooks (import, ``load_cube``, one
    ``stats.variation``) with ``jobs=1`` and ``jobs=2`` (target: speed-up >= 1.6x on 2
    cores), and the time per notebook against a bare ``papermill.execute_notebook`` of an
    empty notebook and of the same notebook.

Results go to ``benchmarks/results.json`` (every number, with the machine: CPU count,
load average before and after) and ``benchmarks/results.md`` (the tables for the README's
"Performance" section); ``--output DIR`` writes them elsewhere.  The machine is noted
because a busy machine (load average above the CPU count) inflates every ratio that
involves parallelism or process start-up.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the suites and the harness

from harness import BENCH_DIR, environment, loadavg, row
from report import format_markdown, format_table, write_results

#: Suite names (``--only``) -> module in this folder, in run order.
SUITES: dict[str, str] = {
    "import": "suite_import",
    "build": "suite_build",
    "harmonise": "suite_harmonise",
    "plot": "suite_plot",
    "batch": "suite_batch",
    "warm": "suite_warm",
}
NAMES: tuple[str, ...] = tuple(SUITES)


def suite(name: str) -> ModuleType:
    """The suite module of a benchmark name."""
    return importlib.import_module(SUITES[name])


def settings_for(mode: str, names: list[str] | tuple[str, ...] = NAMES) -> dict[str, Any]:
    """The merged settings of the suites for ``mode`` ("full" or "quick")."""
    settings: dict[str, Any] = {}
    for name in names:
        settings.update(suite(name).SETTINGS[mode])
    return settings


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print the table; write results.json and results.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help=str(NAMES))
    parser.add_argument("--repeat", type=int, default=None, help="override repetitions")
    parser.add_argument(
        "--output", type=Path, default=BENCH_DIR, help="folder for results.json / results.md"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="replace only the rows of the suites run in the results.json already in --output",
    )
    parser.add_argument(
        "--rewrite-markdown",
        action="store_true",
        help="only re-render results.md from the results.json in --output",
    )
    args = parser.parse_args(argv)
    if args.rewrite_markdown:
        report = json.loads((args.output / "results.json").read_text(encoding="utf-8"))
        (args.output / "results.md").write_text(
            format_markdown(report, [suite(n) for n in report["meta"]["only"]]), encoding="utf-8"
        )
        return 0
    mode = "quick" if args.quick else "full"
    names = args.only or list(NAMES)
    settings = settings_for(mode, names)
    if args.repeat is not None:
        for key in settings:
            if key.endswith("_reps"):
                settings[key] = max(1, args.repeat)
    meta = {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "mode": mode,
        "only": names,
        "settings": settings,
        "command": " ".join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        **environment(),
        "loadavg_before": loadavg(),
    }
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    timings: dict[str, Any] = {}
    for name in names:
        print(f"[{time.perf_counter() - start:6.1f}s] {name} (load {loadavg()})", flush=True)
        before = loadavg()
        t0 = time.perf_counter()
        try:
            rows += suite(name).run(settings)
        except Exception as exc:  # one broken benchmark must not lose the others' results
            print(f"  {name} failed: {exc}", file=sys.stderr, flush=True)
            rows.append(
                row(
                    name,
                    f"{name} (failed)",
                    None,
                    None,
                    what=f"failed: {type(exc).__name__}: {str(exc)[-300:]}",
                    baseline_what="",
                )
            )
        timings[name] = {
            "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "seconds": time.perf_counter() - t0,
            "loadavg_before": before,
            "loadavg_after": loadavg(),
        }
    meta["loadavg_after"] = loadavg()
    meta["duration_s"] = time.perf_counter() - start
    meta["benchmarks"] = timings
    report = {"meta": meta, "results": rows}
    previous = args.output / "results.json"
    if args.merge and previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8"))
        kept = [r for r in old["results"] if r["benchmark"] not in names]
        old_names = [n for n in old["meta"]["only"] if n not in names]
        meta["only"] = [n for n in NAMES if n in old_names or n in names]
        meta["benchmarks"] = {**old["meta"].get("benchmarks", {}), **timings}
        meta["merged_into"] = f"results of {', '.join(old_names)} from {old['meta']['date']}"
        order = {name: i for i, name in enumerate(NAMES)}
        rows = sorted(kept + rows, key=lambda r: order.get(r["benchmark"], len(order)))
        report = {"meta": meta, "results": rows}
    write_results(report, args.output, [suite(name) for name in meta["only"]])
    print(format_table(report["results"]))
    print(f"\nwrote {args.output / 'results.json'} and {args.output / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
