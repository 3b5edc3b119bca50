"""The ``batch`` suite: ``run_batch`` with one and two workers against bare papermill."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from harness import (
    children_maxrss_mb,
    machine_parallel_ceiling,
    median_time,
    row,
    worker,
)

_worker = partial(worker, __name__)

NAME = "batch"
#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {
    "full": {"batch_notebooks": 20, "batch_reps": 2, "papermill_reps": 3},
    "quick": {"batch_notebooks": 4, "batch_reps": 1, "papermill_reps": 1},
}


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
    empty_s, empty_all = median_time(lambda: bare(empty, {}), reps)
    same_s, same_all = median_time(lambda: bare(work, _parameter_list(1)[0]), reps)
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
        "kernel_peak_mb": children_maxrss_mb(),
    }


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
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
        row(
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
        row(
            "batch",
            "per notebook in a batch vs empty notebook",
            per_notebook,
            bare["empty_s"],
            what="`run_batch(jobs=1)` time / number of notebooks",
            baseline_what="bare `papermill.execute_notebook` of an empty notebook",
            reps=settings["papermill_reps"],
        ),
        row(
            "batch",
            "per notebook in a batch vs same notebook",
            per_notebook,
            bare["same_s"],
            what="`run_batch(jobs=1)` time / number of notebooks (runner overhead)",
            baseline_what="bare `papermill.execute_notebook` of the same notebook",
            reps=settings["papermill_reps"],
        ),
    ]


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    """A note on per-notebook times and kernel memory (for ``results.md``)."""
    out: list[str] = []
    for r in rows:
        if "per_notebook_jobs1_s" in r:
            out.append(
                f"\nNotebook batch: the mean time of one notebook run was "
                f"{r['per_notebook_jobs1_s']:.2f} s with `jobs=1` and "
                f"{r['per_notebook_jobs2_s']:.2f} s with `jobs=2` (when two runs take longer "
                "each, they competed for the cores); the largest notebook kernel reached "
                f"{r['kernel_peak_mb']:.0f} MiB (max RSS)."
            )
    return out
