"""Running a planned batch: tasks to a scheduler, records to the index files."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from personalisation.batch.execute import _data_version
from personalisation.batch.plan import PlannedRun, plan_runs
from personalisation.batch.report import (
    INDEX_CSV,
    INDEX_HTML,
    BatchResult,
    RunRecord,
    _write_index_csv,
    _write_index_html,
)
from personalisation.batch.schedulers import (
    _execute_dask,
    _execute_local,
    _process_context,
    _progress_bar,
)

__all__ = ["run_batch"]


def _run_planned(
    runs: Sequence[PlannedRun],
    output_dir: str | os.PathLike[str],
    *,
    jobs: int = 1,
    scheduler: Any = None,
    kernel_name: str = "python3",
    progress: bool = True,
    timeout: float | None = None,
) -> BatchResult:
    import personalisation

    if int(jobs) < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    output_root = Path(output_dir).resolve()
    output_root.mkdir(parents=True, exist_ok=True)
    data_version = _data_version()
    tasks = [
        {
            "notebook": str(run.notebook),
            "output_root": str(output_root),
            "output": run.output,
            "parameters": run.parameters,
            "kernel_name": kernel_name,
            "timeout": timeout,
            "package_version": personalisation.__version__,
            "data_version": data_version,
        }
        for run in runs
    ]
    context = _process_context() if scheduler is None and int(jobs) > 1 else None
    with _progress_bar(len(tasks), progress) as bar:
        if scheduler is not None:
            raw = _execute_dask(tasks, scheduler, bar)
        else:
            raw = _execute_local(tasks, int(jobs), bar, context)
    records = [RunRecord(**item) for item in raw]
    index_csv, index_html = output_root / INDEX_CSV, output_root / INDEX_HTML
    _write_index_csv(records, index_csv)
    _write_index_html(records, output_root, index_html)
    return BatchResult(records, output_root, index_csv, index_html)


def run_batch(
    notebooks: Sequence[str | os.PathLike[str]] | Mapping[str | os.PathLike[str], Any],
    grid_or_param_list: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    output_dir: str | os.PathLike[str] = "outputs/batch",
    *,
    jobs: int = 1,
    scheduler: Any = None,
    kernel_name: str = "python3",
    progress: bool = True,
    timeout: float | None = None,
) -> BatchResult:
    """Execute notebooks over a parameter grid; one folder per run, an index, no early stop.

    Parameters
    ----------
    notebooks
        Notebook paths or names in the notebooks folder, all run over
        ``grid_or_param_list``; or a mapping notebook -> its own grid / parameter list.
    grid_or_param_list
        A grid (see :func:`expand_grid`) or an explicit list of parameter dicts.
        Every run also gets ``output_dir``: its own folder, which is its working directory.
    output_dir
        The batch folder: ``<notebook stem>/<parameter slug>/`` per run, plus
        ``index.csv`` and ``index.html``.
    jobs
        Worker processes on this machine (1 runs in this process).  Workers are forked on
        Linux when this process runs no other thread, else spawned: a script that spawns
        must call ``run_batch`` under ``if __name__ == "__main__":``.
    scheduler
        Address of a ``dask.distributed`` scheduler (or a ``distributed.Client``): runs are
        submitted there instead, and ``jobs`` is ignored.  Workers must have this package
        installed and see ``output_dir`` (a shared filesystem).
    kernel_name
        Jupyter kernel for every run.
    progress
        Show a progress bar (only when stderr is a terminal).
    timeout
        Seconds allowed per cell (None: no limit).

    Returns
    -------
    BatchResult
        ``.records`` in plan order, ``.ok``, ``.failures``, ``.index_csv``, ``.index_html``.

    Raises
    ------
    DataNotFoundError
        An unknown notebook (before anything runs).
    ValueError, TypeError
        A bad grid (before anything runs).

    Examples
    --------
    >>> result = run_batch(["takeup_map"], {"measure": "sds_users", "year": [2015, 2024],
    ...                    "kind": ["polygons", "hex"]}, "outputs/maps", jobs=2)  # doctest: +SKIP
    >>> result.ok, len(result.records)  # doctest: +SKIP
    (True, 4)
    """
    runs = plan_runs(notebooks, grid_or_param_list)
    return _run_planned(
        runs,
        output_dir,
        jobs=jobs,
        scheduler=scheduler,
        kernel_name=kernel_name,
        progress=progress,
        timeout=timeout,
    )
