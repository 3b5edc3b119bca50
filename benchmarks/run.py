"""Benchmarks of ``personalisation``: speed and memory as ratios against plain baselines.

Run every benchmark (about 6-9 minutes on a 2-core laptop-class machine)::

    python benchmarks/run.py

or a quick pass (smaller sizes, fewer repetitions; under about 2 minutes), or some of them::

    python benchmarks/run.py --quick
    python benchmarks/run.py --only import harmonise

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
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
NAMES: tuple[str, ...] = ("import", "build", "harmonise", "plot", "batch")

#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {
    "full": {
        "import_reps": 7,
        "build_reps": 2,
        "harmonise_sizes": [5_000, 10_000, 20_000, 35_000],
        "harmonise_reps": 5,
        "plot_reps": 5,
        "batch_notebooks": 20,
        "batch_reps": 2,
        "papermill_reps": 3,
    },
    "quick": {
        "import_reps": 3,
        "build_reps": 1,
        "harmonise_sizes": [1_000, 2_000, 5_000],
        "harmonise_reps": 2,
        "plot_reps": 2,
        "batch_notebooks": 4,
        "batch_reps": 1,
        "papermill_reps": 1,
    },
}
N_YEARS = 20
N_MEASURES = 10
HARMONISE_CHUNK = 5_000  # areas per dask chunk


# --------------------------------------------------------------------------- helpers
def _maxrss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _children_maxrss_mb() -> float:
    """Largest resident set size among waited-for child processes, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _median_time(func: Callable[[], Any], reps: int) -> tuple[float, list[float]]:
    """Median wall time of ``reps`` calls of ``func`` (and every time)."""
    times = []
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def _traced_peak_mb(func: Callable[[], Any]) -> float:
    """:mod:`tracemalloc` peak (MiB) of one call of ``func`` (numpy buffers included)."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - platforms without getloadavg
        return None


def _run_python(code: str, timeout: float = 600) -> tuple[float, dict[str, Any]]:
    """Run ``python -c code`` in a fresh process; its wall time and the JSON it prints last."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{code}\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return wall, (json.loads(lines[-1]) if lines else {})


def _worker(name: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``_w_<name>(**kwargs)`` of this file in a fresh process; returns its result."""
    code = (
        "import json, sys; "
        f"sys.path.insert(0, {str(BENCH_DIR)!r}); "
        "import run; "
        f"out = run._w_{name}(**json.loads({json.dumps(json.dumps(kwargs))})); "
        "out['process_peak_mb'] = run._maxrss_mb(); "
        "print(json.dumps(out))"
    )
    _, result = _run_python(code, timeout=1800)
    return result


def _row(
    benchmark: str,
    name: str,
    measured: float | None,
    baseline: float | None,
    *,
    what: str,
    baseline_what: str,
    unit: str = "s",
    target: str = "",
    met: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ratio = measured / baseline if measured is not None and baseline else None
    return {
        "benchmark": benchmark,
        "name": name,
        "what": what,
        "measured": measured,
        "baseline": baseline,
        "baseline_what": baseline_what,
        "unit": unit,
        "ratio": ratio,
        "target": target,
        "met": met,
        **extra,
    }


# --------------------------------------------------------------------------- import
_IMPORT_PACKAGE = """
import json, resource, time
t0 = time.perf_counter()
import personalisation
t1 = time.perf_counter()
personalisation.load_cube()
t2 = time.perf_counter()
personalisation.load_cube()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "warm": t3 - t2,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
_IMPORT_PLAIN = """
import json, resource, time
t0 = time.perf_counter()
import pandas
t1 = time.perf_counter()
pandas.read_csv({path!r})
t2 = time.perf_counter()
pandas.read_csv({path!r})
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first": t2 - t1, "warm": t3 - t2,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
_BARE_PYTHON = "import json; print(json.dumps({}))"
#: The package's own cost: xarray imports dask (when installed) on its first Dataset.
_NO_DASK = "import sys; sys.modules['dask'] = None\n"


def bench_import(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """``import personalisation`` + ``load_cube()`` against plain pandas, fresh processes."""
    from personalisation import _paths

    table = _paths.data_dir() / "indicators.csv"
    plain_code = _IMPORT_PLAIN.format(path=str(table))
    reps = settings["import_reps"]
    package, plain, bare, no_dask = [], [], [], []
    _run_python(_IMPORT_PACKAGE)  # warm the file cache and .pyc files, untimed
    _run_python(plain_code)
    for _ in range(reps):  # interleaved, so both sides see the same machine load
        package.append(_run_python(_IMPORT_PACKAGE))
        plain.append(_run_python(plain_code))
        bare.append(_run_python(_BARE_PYTHON)[0])
        no_dask.append(_run_python(_NO_DASK + _IMPORT_PACKAGE))

    def med(runs: list[tuple[float, dict[str, Any]]], key: str) -> float:
        return statistics.median(r[1][key] for r in runs)

    pkg_total = statistics.median(r[1]["import"] + r[1]["first"] for r in package)
    plain_total = statistics.median(r[1]["import"] + r[1]["first"] for r in plain)
    no_dask_total = statistics.median(r[1]["import"] + r[1]["first"] for r in no_dask)
    pkg_wall = statistics.median(r[0] for r in package)
    plain_wall = statistics.median(r[0] for r in plain)
    pkg_peak, plain_peak = med(package, "peak_mb"), med(plain, "peak_mb")
    where = f"{table.relative_to(REPO_DIR) if table.is_relative_to(REPO_DIR) else table}"
    common = {"reps": reps}
    rows = [
        _row(
            "import",
            "import personalisation",
            med(package, "import"),
            med(plain, "import"),
            what="`import personalisation` (lazy: heavy modules load on first use)",
            baseline_what="`import pandas`",
            **common,
        ),
        _row(
            "import",
            "import + load_cube()",
            pkg_total,
            plain_total,
            what="`import personalisation; load_cube()` in a fresh process (imports included)",
            baseline_what=f"`import pandas; pandas.read_csv('{where}')`",
            target="ratio <= 2 and < 0.5 s",
            met=bool(pkg_total / plain_total <= 2 and pkg_total < 0.5),
            peak_mb=pkg_peak,
            baseline_peak_mb=plain_peak,
            **common,
        ),
        _row(
            "import",
            "import + load_cube(), dask hidden",
            no_dask_total,
            plain_total,
            what=(
                "the same with `dask` made unimportable: xarray imports dask, when installed, "
                "on its first Dataset, so this is the package's own cost"
            ),
            baseline_what="`import pandas; pandas.read_csv(...)`",
            **common,
        ),
        _row(
            "import",
            "python -c (whole process)",
            pkg_wall,
            plain_wall,
            what="wall time of `python -c 'import personalisation; personalisation.load_cube()'`",
            baseline_what="wall time of `python -c 'import pandas; pandas.read_csv(...)'`",
            target="ratio <= 2",
            met=bool(pkg_wall / plain_wall <= 2),
            interpreter_start_s=statistics.median(bare),
            **common,
        ),
        _row(
            "import",
            "load_cube() again",
            med(package, "warm"),
            med(plain, "warm"),
            what="second `load_cube()` in the same process (parsed table cached)",
            baseline_what="second `pandas.read_csv` in the same process",
            **common,
        ),
    ]
    return rows


# --------------------------------------------------------------------------- build
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


def bench_build(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """``build_data`` / ``build_geo`` from the raw files against plain reads of them."""
    raw = _raw_dir()
    if not (raw / "indicators").is_dir():
        return [
            _row(
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
        _row(
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
        _row(
            "build",
            "build_geo (register, boundaries, hexes)",
            geo_s,
            None,
            what="`build_geo(raw, out)`",
            baseline_what="",
            reps=reps,
        ),
        _row(
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


# --------------------------------------------------------------------------- harmonise
def synthetic_problem(n_areas: int, seed: int = 0) -> tuple[Any, Any]:
    """A synthetic cube (n_areas x 20 years x 10 measures) and an edge table for it.

    Areas get LSOA-like codes; the edge table keeps 80% of areas unchanged, merges 10% in
    pairs and splits 10% in two (weights 0.6 / 0.4, so apportioned).  Numbers are random
    (:func:`personalisation.testing.make_cube`), never real.
    """
    import numpy as np
    import pandas as pd

    from personalisation import measures
    from personalisation.testing import make_cube

    ids = [m.id for m in measures.MEASURES][:N_MEASURES]
    cube = make_cube(
        n_councils=n_areas,
        years=range(2005, 2005 + N_YEARS),
        measures=ids,
        seed=seed,
        missing_fraction=0.02,
    )
    codes = np.array([f"E01{i:06d}" for i in range(n_areas)])
    cube = cube.assign_coords(council=codes)
    kind = np.random.default_rng(seed).random(n_areas)
    merge, split = kind < 0.10, (kind >= 0.10) & (kind < 0.20)
    same = ~(merge | split)
    merged_idx = np.flatnonzero(merge)
    split_idx = np.flatnonzero(split)
    frames = [
        pd.DataFrame({"source": codes[same], "target": codes[same], "weight": 1.0}),
        pd.DataFrame(
            {
                "source": codes[merged_idx],
                "target": [f"M{i // 2:06d}" for i in range(len(merged_idx))],
                "weight": 1.0,
            }
        ),
        pd.DataFrame({"source": codes[split_idx], "target": codes[split_idx] + "a", "weight": 0.6}),
        pd.DataFrame({"source": codes[split_idx], "target": codes[split_idx] + "b", "weight": 0.4}),
    ]
    return cube, pd.concat(frames, ignore_index=True)


def _long_table(cube: Any) -> Any:
    """The cube's three numeric variables as a plain long DataFrame (council, year, measure)."""
    import numpy as np
    import pandas as pd

    n_c, n_y, n_m = (cube.sizes[d] for d in ("council", "year", "measure"))
    columns = {
        "council": np.repeat(cube["council"].values.astype(object), n_y * n_m),
        "year": np.tile(np.repeat(cube["year"].values, n_m), n_c),
        "measure": np.tile(cube["measure"].values.astype(object), n_c * n_y),
    }
    for name in ("numerator", "denominator", "value"):
        columns[name] = cube[name].transpose("council", "year", "measure").values.ravel()
    return pd.DataFrame(columns)


def _pandas_groupby(long: Any, edges: Any) -> Any:
    """Plain baseline: merge the long table with the edges, weight, groupby-sum."""
    joined = long.merge(edges, left_on="council", right_on="source")
    for column in ("numerator", "denominator", "value"):
        joined[column] = joined[column] * joined["weight"]
    return joined.groupby(["target", "year", "measure"])[["numerator", "denominator", "value"]].sum(
        min_count=1
    )


def _apply_edges() -> Callable[..., Any]:
    """``apply_edges``: the edge-table kernel that ``harmonise`` runs per source vintage."""
    try:
        from personalisation.geo._harmonise import apply_edges
    except ImportError:  # the earlier layout, a public module
        from personalisation.geo.harmonise import apply_edges  # type: ignore[no-redef]
    return apply_edges


def _w_harmonise_size(n_areas: int, reps: int, chunk: int) -> dict[str, Any]:
    """Time apply_edges (numpy, dask) and the pandas baseline at one size."""
    import dask

    apply_edges = _apply_edges()

    cube, edges = synthetic_problem(n_areas)
    small, small_edges = synthetic_problem(200, seed=1)
    apply_edges(small, small_edges)  # warm-up: first-call costs out of the timings
    dask.config.set(scheduler="threads")

    def numpy_path() -> Any:
        out = apply_edges(cube, edges)
        return out["status"].values, out["value"].values

    chunked = cube.chunk({"council": chunk})

    def dask_path() -> Any:
        return apply_edges(chunked, edges).compute()

    long = _long_table(cube)
    numpy_path()  # untimed first run at full size (page faults of the first allocation)
    before = resource.getrusage(resource.RUSAGE_SELF)
    numpy_s, numpy_all = _median_time(numpy_path, reps)
    after = resource.getrusage(resource.RUSAGE_SELF)
    numpy_user = (after.ru_utime - before.ru_utime) / max(1, reps)
    numpy_sys = (after.ru_stime - before.ru_stime) / max(1, reps)
    dask_s, dask_all = _median_time(dask_path, reps)
    plain_s, plain_all = _median_time(lambda: _pandas_groupby(long, edges), reps)
    result = numpy_path()
    cells = cube.sizes["council"] * cube.sizes["year"] * cube.sizes["measure"]
    return {
        "areas": n_areas,
        "cells": int(cells),
        "edges": len(edges),
        "units": int(result[0].shape[0]),
        "numpy_s": numpy_s,
        "numpy_all": numpy_all,
        "numpy_user_s": numpy_user,
        "numpy_sys_s": numpy_sys,
        "dask_s": dask_s,
        "dask_all": dask_all,
        "pandas_s": plain_s,
        "pandas_all": plain_all,
        "numpy_peak_mb": _traced_peak_mb(numpy_path),
        "pandas_peak_mb": _traced_peak_mb(lambda: _pandas_groupby(long, edges)),
        "input_mb": sum(v.nbytes for v in cube.data_vars.values()) / 2**20,
    }


def _w_harmonise_real(reps: int) -> dict[str, Any]:
    """``harmonise(load_cube(), to=2023)`` on the shipped cube."""
    import personalisation as pz

    cube = pz.load_cube()
    pz.harmonise(cube, to=2023)  # warm-up (register, events read once)
    seconds, every = _median_time(lambda: pz.harmonise(cube, to=2023), reps)
    return {"seconds": seconds, "all": every, "sizes": dict(cube.sizes)}


def bench_harmonise(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """apply_edges scaling on synthetic LSOA-sized cubes; harmonise on the real cube."""
    import math

    sizes = settings["harmonise_sizes"]
    reps = settings["harmonise_reps"]
    per_size = [
        _worker("harmonise_size", n_areas=n, reps=reps, chunk=HARMONISE_CHUNK) for n in sizes
    ]
    rows = []
    for s in per_size:
        rows.append(
            _row(
                "harmonise",
                f"apply_edges, {s['areas']:,} areas",
                s["numpy_s"],
                s["pandas_s"],
                what=(
                    f"`apply_edges` on {s['areas']:,} areas x {N_YEARS} years x {N_MEASURES} "
                    f"measures ({s['edges']:,} edges -> {s['units']:,} units), numpy"
                ),
                baseline_what="pandas merge + groupby-sum of numerator, denominator, value",
                reps=reps,
                peak_mb=s["numpy_peak_mb"],
                baseline_peak_mb=s["pandas_peak_mb"],
                detail=s,
            )
        )
        rows.append(
            _row(
                "harmonise",
                f"apply_edges dask, {s['areas']:,} areas",
                s["dask_s"],
                s["numpy_s"],
                what=f"the same on dask arrays chunked {HARMONISE_CHUNK:,} areas along council",
                baseline_what="the numpy path",
                reps=reps,
            )
        )
    first, last = per_size[0], per_size[-1]
    growth = (last["numpy_s"] / last["areas"]) / (first["numpy_s"] / first["areas"])
    dask_growth = (last["dask_s"] / last["areas"]) / (first["dask_s"] / first["areas"])
    xs = [math.log(s["areas"]) for s in per_size]
    ys = [math.log(s["numpy_s"]) for s in per_size]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    largest = f"{last['areas']:,}"
    full_size = last["areas"] >= 35_000
    rows.append(
        _row(
            "harmonise",
            f"time at {largest} areas",
            last["numpy_s"],
            None,
            what=f"`apply_edges` at {largest} areas x {N_YEARS} years x {N_MEASURES} measures",
            baseline_what="",
            target="< 5 s at 35,000 areas",
            met=bool(last["numpy_s"] < 5) if full_size else None,
        )
    )
    rows.append(
        _row(
            "harmonise",
            "linear growth (numpy)",
            last["numpy_s"] / last["areas"] * 1000,
            first["numpy_s"] / first["areas"] * 1000,
            what=f"seconds per 1,000 areas at {largest}",
            baseline_what=f"seconds per 1,000 areas at {first['areas']:,}",
            unit="s/1k areas",
            target="ratio <= 1.25",
            met=bool(growth <= 1.25),
            loglog_slope=slope,
        )
    )
    rows.append(
        _row(
            "harmonise",
            "linear growth (numpy, user CPU)",
            last["numpy_user_s"] / last["areas"] * 1000,
            first["numpy_user_s"] / first["areas"] * 1000,
            what=(
                f"user CPU seconds per 1,000 areas at {largest} (mean per run; the wall time "
                "also holds the kernel's page-fault time for the new arrays, "
                f"{last['numpy_sys_s']:.2f} s system CPU per run at {largest})"
            ),
            baseline_what=f"the same at {first['areas']:,}",
            unit="s/1k areas",
        )
    )
    rows.append(
        _row(
            "harmonise",
            "linear growth (dask)",
            last["dask_s"] / last["areas"] * 1000,
            first["dask_s"] / first["areas"] * 1000,
            what=f"seconds per 1,000 areas at {largest}, dask-chunked",
            baseline_what=f"seconds per 1,000 areas at {first['areas']:,}",
            unit="s/1k areas",
            target="ratio <= 1.25",
            met=bool(dask_growth <= 1.25),
        )
    )
    real = _worker("harmonise_real", reps=reps)
    sizes_txt = " x ".join(str(v) for v in real["sizes"].values())
    rows.append(
        _row(
            "harmonise",
            "harmonise(load_cube(), to=2023)",
            real["seconds"],
            None,
            what=f"full `harmonise` of the shipped cube ({sizes_txt}) onto the 2023 councils",
            baseline_what="",
            reps=reps,
            peak_mb=real["process_peak_mb"],
        )
    )
    return rows


# --------------------------------------------------------------------------- plot
def _render(fig: Any) -> None:
    import io

    fig.savefig(io.BytesIO(), format="png", dpi=100)


def _w_plot(reps: int) -> dict[str, Any]:
    """Package maps against GeoDataFrame.plot of the same values on the same polygons."""
    import mapclassify
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.figure import Figure

    import personalisation as pz
    from personalisation.geo import boundaries, vintage_for_year
    from personalisation.testing import make_cube

    measure, year = "sds_users", 2021
    cube = pz.load_cube(measures=[measure])
    gdf = boundaries(vintage_for_year(year))
    values = cube["value"].sel(measure=measure, year=year).to_series()

    def package_map() -> None:
        _render(pz.plot.choropleth(cube, measure, year, geometry=gdf))

    def package_map_no_inset() -> None:
        _render(pz.plot.choropleth(cube, measure, year, geometry=gdf, london_inset=False))

    from matplotlib.text import Text

    drawn = pz.plot.choropleth(cube, measure, year, geometry=gdf, london_inset=False)
    _render(drawn)
    texts = [  # title, legend, source and licence note: the package figure's words
        (t.get_text(), t.get_fontsize())
        for t in drawn.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]

    def plain_map(with_text: bool = False) -> None:
        frame = gdf.assign(v=gdf["council_code"].map(values).astype(float))
        fig = Figure(figsize=(7.5, 9.0))
        ax = fig.add_subplot()
        frame.plot(
            column="v",
            ax=ax,
            scheme="Quantiles",
            k=5,
            legend=True,
            edgecolor="white",
            linewidth=0.2,
            missing_kwds={"color": "lightgrey", "hatch": "///"},
        )
        ax.set_axis_off()
        if with_text:
            for i, (text, size) in enumerate(texts):
                fig.text(0.01, 0.01 + 0.03 * i, text, fontsize=size)
        _render(fig)

    # 12 years of synthetic values on the same (real) polygons, vintage of the polygons
    years = list(range(2013, 2025))
    codes = gdf["council_code"].astype(str).tolist()
    synthetic = make_cube(n_councils=len(codes), years=years, measures=[measure], seed=3)
    synthetic = synthetic.assign_coords(
        council=codes, geography_vintage=("year", [vintage_for_year(year)] * len(years))
    )
    table = synthetic["value"].sel(measure=measure).to_pandas()  # council x year

    def package_multiples() -> None:
        _render(pz.plot.small_multiples(synthetic, measure, years, geometry=gdf, ncols=4))

    def plain_multiples() -> None:
        bins = mapclassify.Quantiles(table.to_numpy().ravel(), k=5).bins
        frame = gdf.join(table, on="council_code")
        fig = Figure(figsize=(3.2 * 4 + 2.2, 3.8 * 3 + 1.2))
        axes = fig.subplots(3, 4).ravel()
        for i, (ax, y) in enumerate(zip(axes, years, strict=True)):
            frame.plot(
                column=y,
                ax=ax,
                scheme="UserDefined",
                classification_kwds={"bins": list(bins)},
                legend=i == len(years) - 1,
                edgecolor="white",
                linewidth=0.2,
            )
            ax.set_title(str(y))
            ax.set_axis_off()
        _render(fig)

    for func in (package_map, package_map_no_inset, plain_map, package_multiples, plain_multiples):
        func()  # warm-up: font cache, first-draw costs
    out: dict[str, Any] = {
        "glyphs": sum(len(t) for t, _ in texts),
        "polygons": len(gdf),
        "vertices": int(np.sum([len(g.exterior.coords) for g in gdf.geometry.explode().geometry])),
    }
    for name, func in (
        ("package_map", package_map),
        ("package_map_no_inset", package_map_no_inset),
        ("plain_map", plain_map),
        ("plain_map_text", lambda: plain_map(with_text=True)),
        ("package_multiples", package_multiples),
        ("plain_multiples", plain_multiples),
    ):
        out[name], out[f"{name}_all"] = _median_time(func, reps)
        out[f"{name}_peak_mb"] = _traced_peak_mb(func)
    return out


def bench_plot(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Choropleth and 12-panel small multiples against plain ``GeoDataFrame.plot``."""
    reps = settings["plot_reps"]
    r = _worker("plot", reps=reps)
    shapes = f"{r['polygons']} council polygons, {r['vertices']:,} vertices"
    return [
        _row(
            "plot",
            "choropleth",
            r["package_map"],
            r["plain_map"],
            what=(
                "`plot.choropleth(cube, 'sds_users', 2021, geometry=gdf)` + PNG at 100 dpi "
                f"(real values, {shapes}; with London inset, legend, source note)"
            ),
            baseline_what="`GeoDataFrame.plot(column, scheme='Quantiles', k=5, legend=True)` + PNG",
            target="ratio <= 1.5",
            met=bool(r["package_map"] / r["plain_map"] <= 1.5),
            reps=reps,
            peak_mb=r["package_map_peak_mb"],
            baseline_peak_mb=r["plain_map_peak_mb"],
        ),
        _row(
            "plot",
            "choropleth, no London inset",
            r["package_map_no_inset"],
            r["plain_map"],
            what="the same with `london_inset=False` (the plain baseline draws no inset)",
            baseline_what="`GeoDataFrame.plot(column, scheme='Quantiles', k=5, legend=True)` + PNG",
            reps=reps,
        ),
        _row(
            "plot",
            "choropleth, no inset, vs plain + same text",
            r["package_map_no_inset"],
            r["plain_map_text"],
            what="the same, against a baseline that also writes the package figure's text",
            baseline_what=(
                f"the plain map plus the same title, legend and source/licence text "
                f"({r['glyphs']:,} characters) via `fig.text`"
            ),
            reps=reps,
        ),
        _row(
            "plot",
            "small multiples, 12 panels",
            r["package_multiples"],
            r["plain_multiples"],
            what=(
                "`plot.small_multiples(cube, measure, 12 years, geometry=gdf)` + PNG "
                "(synthetic values, pooled classes)"
            ),
            baseline_what="12 x `GeoDataFrame.plot` with shared UserDefined bins + PNG",
            target="ratio <= 1.5",
            met=bool(r["package_multiples"] / r["plain_multiples"] <= 1.5),
            reps=reps,
            peak_mb=r["package_multiples_peak_mb"],
            baseline_peak_mb=r["plain_multiples_peak_mb"],
        ),
    ]


# --------------------------------------------------------------------------- batch
_NOTEBOOK_PARAMETERS = 'measure = "sds_users"\nyear = 2021\noutput_dir = "."'
_NOTEBOOK_BODY = (
    "import personalisation as pz\n"
    "cube = pz.load_cube(measures=[measure])\n"
    "summary = pz.stats.variation(cube, measure=measure, year=year)\n"
    "print(measure, year, float(summary['median']))"
)


def _write_notebooks(folder: Path) -> tuple[Path, Path]:
    """A small parameterised notebook and an empty one."""
    import nbformat

    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    work = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    parameters = nbformat.v4.new_code_cell(_NOTEBOOK_PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    work.cells = [parameters, nbformat.v4.new_code_cell(_NOTEBOOK_BODY)]
    empty = nbformat.v4.new_notebook(metadata={"kernelspec": spec})
    paths = folder / "bench_variation.ipynb", folder / "bench_empty.ipynb"
    nbformat.write(work, paths[0])
    nbformat.write(empty, paths[1])
    return paths


def _parameter_list(n: int) -> list[dict[str, Any]]:
    measures = ["sds_users", "sds_carers", "dp_users", "dp_carers"]
    years = [2015, 2016, 2017, 2018, 2019, 2021]
    grid = [{"measure": m, "year": y} for y in years for m in measures]
    return grid[:n]


def _w_papermill(folder: str, reps: int) -> dict[str, Any]:
    """Bare ``papermill.execute_notebook`` of the empty and of the benchmark notebook."""
    import papermill

    work, empty = Path(folder) / "bench_variation.ipynb", Path(folder) / "bench_empty.ipynb"

    def bare(path: Path, parameters: dict[str, Any]) -> None:
        papermill.execute_notebook(
            str(path),
            str(Path(folder) / f"out-{path.name}"),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=folder,
        )

    bare(empty, {})  # warm-up: kernel spec lookup, first imports
    empty_s, empty_all = _median_time(lambda: bare(empty, {}), reps)
    same_s, same_all = _median_time(lambda: bare(work, _parameter_list(1)[0]), reps)
    return {"empty_s": empty_s, "empty_all": empty_all, "same_s": same_s, "same_all": same_all}


def _w_batch_run(folder: str, n_notebooks: int, jobs: int, rep: int) -> dict[str, Any]:
    """One ``run_batch`` of the benchmark notebook, in a fresh process (as a user runs it)."""
    from personalisation.batch import run_batch
    from personalisation.batch.schedulers import _process_context

    context = type(_process_context()).__name__
    start = time.perf_counter()
    result = run_batch(
        Path(folder) / "bench_variation.ipynb",
        _parameter_list(n_notebooks),
        Path(folder) / f"jobs{jobs}-{rep}",
        jobs=jobs,
        progress=False,
    )
    seconds = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError(f"batch failed: {[r.error for r in result.failures][:3]}")
    per_run = [r.seconds for r in result.records]
    return {
        "seconds": seconds,
        "notebooks": len(per_run),
        "per_run_mean_s": statistics.fmean(per_run),
        "busy_fraction": sum(per_run) / seconds / jobs,
        "start_method": context,
        "kernel_peak_mb": _children_maxrss_mb(),
    }


_SPIN = "n = 0\nfor i in range({n}):\n    n += i * i\n"


def machine_parallel_ceiling(iterations: int = 15_000_000) -> dict[str, float]:
    """The speed-up two CPU-bound processes get on this machine right now.

    One pure-Python loop alone, then two copies at once: ``2 * alone / together`` is 2 on
    two idle cores and less when other work competes for them (a shared machine).
    """

    def together(copies: int) -> float:
        start = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, "-c", _SPIN.format(n=iterations)])
            for _ in range(copies)
        ]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - start

    alone, pair = together(1), together(2)
    return {"alone_s": alone, "pair_s": pair, "ceiling": 2 * alone / pair}


def bench_batch(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Notebook batch: jobs=1 vs jobs=2, per-notebook cost vs bare papermill."""
    n = settings["batch_notebooks"]
    ceiling_before = machine_parallel_ceiling()
    reps = settings["batch_reps"]
    serial, parallel = [], []
    with tempfile.TemporaryDirectory(prefix="pz-bench-batch-") as tmp:
        _write_notebooks(Path(tmp))
        bare = _worker("papermill", folder=tmp, reps=settings["papermill_reps"])
        for rep in range(reps):  # alternated, so both see the same machine load
            serial.append(_worker("batch_run", folder=tmp, n_notebooks=n, jobs=1, rep=rep))
            parallel.append(_worker("batch_run", folder=tmp, n_notebooks=n, jobs=2, rep=rep))
    ceiling_after = machine_parallel_ceiling()
    ceiling = statistics.fmean([ceiling_before["ceiling"], ceiling_after["ceiling"]])
    serial_s = statistics.median(r["seconds"] for r in serial)
    parallel_s = statistics.median(r["seconds"] for r in parallel)
    n_run = serial[0]["notebooks"]
    per_notebook = serial_s / n_run
    cores = os.cpu_count() or 1
    per_run_1 = statistics.median(r["per_run_mean_s"] for r in serial)
    per_run_2 = statistics.median(r["per_run_mean_s"] for r in parallel)
    return [
        _row(
            "batch",
            f"run_batch, {n_run} notebooks, jobs=2",
            parallel_s,
            serial_s,
            what=(
                f"`run_batch(..., jobs=2)`: {n_run} notebooks (load_cube + stats.variation), "
                f"workers by {parallel[0]['start_method'].replace('Context', '').lower()}"
            ),
            baseline_what="the same batch with `jobs=1`",
            target="speed-up (1/ratio) >= 1.6 on 2 cores",
            met=bool(serial_s / parallel_s >= 1.6) if cores >= 2 else None,
            speedup=serial_s / parallel_s,
            machine_ceiling=ceiling,
            machine_ceiling_runs=[ceiling_before, ceiling_after],
            reps=reps,
            per_notebook_jobs1_s=per_run_1,
            per_notebook_jobs2_s=per_run_2,
            kernel_peak_mb=max(r["kernel_peak_mb"] for r in serial + parallel),
        ),
        _row(
            "batch",
            "per notebook in a batch vs empty notebook",
            per_notebook,
            bare["empty_s"],
            what="`run_batch(jobs=1)` time / number of notebooks",
            baseline_what="bare `papermill.execute_notebook` of an empty notebook",
            reps=settings["papermill_reps"],
        ),
        _row(
            "batch",
            "per notebook in a batch vs same notebook",
            per_notebook,
            bare["same_s"],
            what="`run_batch(jobs=1)` time / number of notebooks (runner overhead)",
            baseline_what="bare `papermill.execute_notebook` of the same notebook",
            reps=settings["papermill_reps"],
        ),
    ]


BENCHMARKS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "import": bench_import,
    "build": bench_build,
    "harmonise": bench_harmonise,
    "plot": bench_plot,
    "batch": bench_batch,
}


# --------------------------------------------------------------------------- report
def _fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.3g} {unit}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def format_table(rows: list[dict[str, Any]]) -> str:
    """The results as a plain-text table for the console."""
    header = ("benchmark", "name", "measured", "baseline", "ratio", "target", "met")
    lines = [
        (
            r["benchmark"],
            r["name"],
            _fmt(r["measured"], r["unit"]),
            _fmt(r["baseline"], r["unit"]),
            "-" if r["ratio"] is None else f"{r['ratio']:.2f}",
            r["target"] or "-",
            _met(r["met"]).replace("*", ""),
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in [header, tuple("-" * w for w in widths), *lines]
    )


def format_markdown(report: dict[str, Any]) -> str:
    """The results as markdown (for the README's Performance section)."""
    meta = report["meta"]
    rows = report["results"]
    busy = ""
    load = meta.get("loadavg_before")
    if load and meta["cpu_count"] and max(load[0], meta["loadavg_after"][0]) > meta["cpu_count"]:
        busy = (
            " The machine was busy (load average above the number of cores), so ratios that "
            "involve parallel speed-up or process start-up are pessimistic."
        )
    out = [
        f"Measured by `python benchmarks/run.py{' --quick' if meta['mode'] == 'quick' else ''}` "
        f"on {meta['date']}: Python {meta['python']}, {meta['platform']}, "
        f"{meta['cpu_count']} CPU core(s), load average (1/5/15 min) {meta['loadavg_before']} "
        f"before and {meta['loadavg_after']} after; {meta['duration_s']:.0f} s in all.{busy} "
        "Ratio = measured / baseline, both measured in the same run (lower is better); "
        "times are medians of the repetitions; peak memory is the process maximum RSS or "
        "the tracemalloc peak of one extra run.",
        "",
        "| benchmark | measured | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        baseline = (
            f"{_fmt(r['baseline'], r['unit'])}: {r['baseline_what']}"
            if r["baseline"] is not None
            else "-"
        )
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        if "speedup" in r:
            ratio += (
                f" (speed-up {r['speedup']:.2f}x; two CPU-bound processes got "
                f"{r['machine_ceiling']:.2f}x on this machine at the time)"
            )
        out.append(
            f"| **{r['name']}**: {r['what']} | {_fmt(r['measured'], r['unit'])} | {baseline} "
            f"| {ratio} | {r['target'] or '-'} | {_met(r['met'])} |"
        )
    scaling = [r["detail"] for r in rows if "detail" in r]
    if scaling:
        out += [
            "",
            f"Harmonise scaling ({N_YEARS} years x {N_MEASURES} measures, synthetic edge "
            "table: 80% unchanged, 10% merged in pairs, 10% split in two and apportioned):",
            "",
            "| areas | cells | numpy | dask (chunked) | pandas groupby baseline "
            "| numpy per 1k areas | numpy CPU user / system per run "
            "| tracemalloc peak numpy / pandas | input size |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for s in scaling:
            out.append(
                f"| {s['areas']:,} | {s['cells']:,} | {_fmt(s['numpy_s'])} | {_fmt(s['dask_s'])} "
                f"| {_fmt(s['pandas_s'])} | {_fmt(s['numpy_s'] / s['areas'] * 1000)} "
                f"| {_fmt(s['numpy_user_s'])} / {_fmt(s['numpy_sys_s'])} "
                f"| {s['numpy_peak_mb']:.0f} / {s['pandas_peak_mb']:.0f} MiB "
                f"| {s['input_mb']:.0f} MiB |"
            )
    memory = [r for r in rows if r.get("peak_mb") is not None and "detail" not in r]
    if memory:
        out += [
            "",
            "Peak memory:",
            "",
            "| benchmark | package | baseline | how |",
            "|---|---|---|---|",
        ]
        for r in memory:
            base = r.get("baseline_peak_mb")
            how = (
                "tracemalloc peak (Python and numpy allocations; not matplotlib's C++ buffers)"
                if r["benchmark"] == "plot"
                else "maximum RSS of the process"
            )
            out.append(
                f"| {r['name']} | {r['peak_mb']:.0f} MiB "
                f"| {'-' if base is None else f'{base:.0f} MiB'} | {how} |"
            )
    for r in rows:
        if "per_notebook_jobs1_s" in r:
            out.append(
                f"\nNotebook batch: the mean time of one notebook run was "
                f"{r['per_notebook_jobs1_s']:.2f} s with `jobs=1` and "
                f"{r['per_notebook_jobs2_s']:.2f} s with `jobs=2` (when two runs take longer "
                "each, they competed for the cores); the largest notebook kernel reached "
                f"{r['kernel_peak_mb']:.0f} MiB (max RSS)."
            )
    return "\n".join(out) + "\n"


def _environment() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import personalisation

        info["package_version"] = personalisation.__version__
        info["data_version"] = json.loads(
            (REPO_DIR / "data" / "metadata.json").read_text(encoding="utf-8")
        ).get("data_version", "")
    except (ImportError, OSError, ValueError):
        pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=REPO_DIR,
            check=False,
        ).stdout.strip()
    except OSError:
        pass
    return info


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
        "--rewrite-markdown",
        action="store_true",
        help="only re-render results.md from the results.json in --output",
    )
    args = parser.parse_args(argv)
    if args.rewrite_markdown:
        report = json.loads((args.output / "results.json").read_text(encoding="utf-8"))
        (args.output / "results.md").write_text(format_markdown(report), encoding="utf-8")
        return 0
    mode = "quick" if args.quick else "full"
    settings = dict(SETTINGS[mode])
    if args.repeat is not None:
        for key in settings:
            if key.endswith("_reps"):
                settings[key] = max(1, args.repeat)
    names = args.only or list(NAMES)
    meta = {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "mode": mode,
        "only": names,
        "settings": settings,
        "command": " ".join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        **_environment(),
        "loadavg_before": _loadavg(),
    }
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    timings: dict[str, Any] = {}
    for name in names:
        print(f"[{time.perf_counter() - start:6.1f}s] {name} (load {_loadavg()})", flush=True)
        before = _loadavg()
        t0 = time.perf_counter()
        try:
            rows += BENCHMARKS[name](settings)
        except Exception as exc:  # one broken benchmark must not lose the others' results
            print(f"  {name} failed: {exc}", file=sys.stderr, flush=True)
            rows.append(
                _row(
                    name,
                    f"{name} (failed)",
                    None,
                    None,
                    what=f"failed: {type(exc).__name__}: {str(exc)[-300:]}",
                    baseline_what="",
                )
            )
        timings[name] = {
            "seconds": time.perf_counter() - t0,
            "loadavg_before": before,
            "loadavg_after": _loadavg(),
        }
    meta["loadavg_after"] = _loadavg()
    meta["duration_s"] = time.perf_counter() - start
    meta["benchmarks"] = timings
    report = {"meta": meta, "results": rows}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(
        json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8"
    )
    (args.output / "results.md").write_text(format_markdown(report), encoding="utf-8")
    print(format_table(rows))
    print(f"\nwrote {args.output / 'results.json'} and {args.output / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
