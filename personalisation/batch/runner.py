"""Running a planned batch: check, lock, resume, tasks to a scheduler, records to the index."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import personalisation
from personalisation.batch.execute import ENGINES, WARM, _data_version
from personalisation.batch.plan import PlannedRun, check_parameters, plan_runs
from personalisation.batch.report import (
    INDEX_CSV,
    INDEX_HTML,
    INTERRUPTED,
    OK,
    RUN_JSON,
    BatchResult,
    RunRecord,
    write_index,
)
from personalisation.batch.schedulers import (
    BatchInterrupted,
    _execute_dask,
    _execute_local,
    _progress_bar,
)

__all__ = ["LOCK_FILE", "BatchInterrupted", "BatchLockedError", "run_batch"]

#: The lock file a running batch holds in its output folder.
LOCK_FILE = ".personalisation-batch.lock"


class BatchLockedError(RuntimeError):
    """Another batch is writing into the same output folder."""


class _Lock:
    """An exclusive ``flock`` on ``<output>/LOCK_FILE`` (released when the process ends)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self.handle: Any = None

    def __enter__(self) -> _Lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return self
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BatchLockedError(
                f"another batch ({holder}) is writing into {self.path.parent}; "
                "wait for it to finish or choose another --output"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _previous_record(task: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record of a complete earlier run of the same task, else None."""
    run_json = Path(task["output_root"]) / task["output"] / RUN_JSON
    try:
        info = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (
        isinstance(info, dict)
        and info.get("status") == OK
        and info.get("notebook") == Path(task["notebook"]).name
        and info.get("parameters") == task["parameters"]
        and info.get("package_version") == task["package_version"]
        and info.get("data_version") == task["data_version"]
        and (Path(task["output_root"]) / task["output"] / Path(task["notebook"]).name).is_file()
    )
    if not same:
        return None
    fields = set(RunRecord.__dataclass_fields__) - {"resumed"}
    return {key: info[key] for key in fields} | {"resumed": True}


def _mark_interrupted(record: Mapping[str, Any], output_root: Path) -> None:
    """Say in the run's ``run.json`` that it was cut short (so it is redone on resume)."""
    run_dir = output_root / record["output"]
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / RUN_JSON).write_text(
            json.dumps(dict(record), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except OSError:
        pass


def _planned(notebooks: Any, grid_or_param_list: Any) -> list[PlannedRun]:
    """``notebooks`` as planned runs: planned already, or planned here (:func:`plan_runs`)."""
    if (
        isinstance(notebooks, Sequence)
        and notebooks
        and all(isinstance(run, PlannedRun) for run in notebooks)
    ):
        if grid_or_param_list is not None:
            raise TypeError("planned runs carry their parameters: give no grid with them")
        return list(notebooks)
    return plan_runs(notebooks, grid_or_param_list)


def run_batch(
    notebooks: Sequence[str | os.PathLike[str]]
    | Mapping[str | os.PathLike[str], Any]
    | Sequence[PlannedRun],
    grid_or_param_list: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    output_dir: str | os.PathLike[str] = "outputs/batch",
    *,
    jobs: int = 1,
    scheduler: Any = None,
    kernel_name: str = "python3",
    progress: bool = True,
    timeout: float | None = None,
    engine: str = WARM,
    max_runs: int | None = None,
    max_rss_mb: float | None = None,
    resume: bool = False,
    html: bool = True,
) -> BatchResult:
    """Execute notebooks over a parameter grid; one folder per run, an index, no early stop.

    Parameters
    ----------
    notebooks
        Notebook paths or names in the notebooks folder, all run over
        ``grid_or_param_list``; or a mapping notebook -> its own grid / parameter list;
        or runs already planned by :func:`plan_runs` (then no ``grid_or_param_list``).
    grid_or_param_list
        A grid (see :func:`expand_grid`) or an explicit list of parameter dicts.
        Every run also gets ``output_dir``: its own folder, which is its working directory.
    output_dir
        The batch folder: ``<notebook stem>/<parameter slug>/`` per run, plus
        ``index.csv`` and ``index.html``.
    jobs
        Runs at a time on this machine: worker threads of this process, each driving
        its own kernel (the kernels are the processes doing the work).
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
    engine
        ``"warm"`` (default): each worker keeps one kernel and resets it between runs
        (:mod:`personalisation.batch.engine`); ``"fresh"``: papermill's own engine, a
        new kernel for every run.
    max_runs, max_rss_mb
        Warm kernels are replaced after this many runs, or when their resident memory
        exceeds this many MiB (None: the engine's defaults).
    resume
        Skip a run whose folder holds a complete record (``run.json`` with status ok) of
        the same notebook, parameters, package version and data version; redo the others.
    html
        Also write an HTML rendering of every executed notebook and a thumbnail of its
        first figure (:mod:`personalisation.batch.render`), shown in ``index.html``.

    Returns
    -------
    BatchResult
        ``.records`` in plan order, ``.ok``, ``.failures``, ``.index_csv``, ``.index_html``.

    Raises
    ------
    DataNotFoundError
        An unknown notebook (before anything runs).
    ValueError, TypeError
        A bad grid, or a parameter the notebook does not declare or of the wrong type
        (before anything runs).
    BatchLockedError
        Another batch is writing into ``output_dir``.
    BatchInterrupted
        SIGINT or SIGTERM: the index is written first (interrupted runs marked), the
        result is in ``.result``; no kernel is left running.

    Examples
    --------
    Skipped as doctests: four notebook runs in Jupyter kernels take minutes (the batch tests
    in ``tests/batch`` run them).

    >>> result = run_batch(["takeup_map"], {"measure": "sds_users", "year": [2015, 2024],
    ...                    "kind": ["polygons", "hex"]}, "outputs/maps", jobs=2)  # doctest: +SKIP
    >>> result.ok, len(result.records)  # doctest: +SKIP
    (True, 4)
    """
    runs = _planned(notebooks, grid_or_param_list)
    if int(jobs) < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    check_parameters(runs)
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
            "engine": engine,
            "max_runs": max_runs,
            "max_rss_mb": max_rss_mb,
            "html": html,
        }
        for run in runs
    ]
    with _Lock(output_root):
        raw: list[dict[str, Any] | None] = [
            _previous_record(task) if resume else None for task in tasks
        ]
        todo = [i for i, record in enumerate(raw) if record is None]
        interrupted: BatchInterrupted | None = None
        with _progress_bar(len(todo), progress) as bar:
            try:
                done: list[dict[str, Any] | None]
                if scheduler is not None:
                    done = list(_execute_dask([tasks[i] for i in todo], scheduler, bar))
                else:
                    done = list(_execute_local([tasks[i] for i in todo], int(jobs), bar))
            except BatchInterrupted as exc:
                interrupted, done = exc, exc.records
        for i, record in zip(todo, done, strict=True):
            raw[i] = record
            if record is not None and record["status"] == INTERRUPTED:
                _mark_interrupted(record, output_root)
        records = [RunRecord.from_dict(item) for item in raw if item is not None]
        index_csv, index_html = output_root / INDEX_CSV, output_root / INDEX_HTML
        write_index(records, output_root)
        result = BatchResult(records, output_root, index_csv, index_html)
    if interrupted is not None:
        interrupted.result = result  # type: ignore[attr-defined]
        raise interrupted
    return result
