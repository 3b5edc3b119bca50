"""Where runs execute: in this process, in a pool of worker processes, or on dask.distributed."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalisation.batch.execute import _error_summary, execute_run
from personalisation.batch.report import FAILED, OK


def _progress_bar(total: int, progress: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc="notebooks",
        unit="run",
        disable=not progress or not sys.stderr.isatty(),
    )


def _advance(bar: Any, record: Mapping[str, Any]) -> None:
    """One more run done; the bar shows how many failed so far."""
    if record["status"] != OK:
        bar.failed_runs = getattr(bar, "failed_runs", 0) + 1
        bar.set_postfix(failed=bar.failed_runs, refresh=False)
    bar.update(1)


def _failed_record(task: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    name = Path(task["notebook"]).name
    return {
        "notebook": name,
        "parameters": dict(task["parameters"]),
        "status": FAILED,
        "error": f"worker failed: {_error_summary(exc)}",
        "seconds": 0.0,
        "output": task["output"],
        "executed": f"{task['output']}/{name}",
    }


def _process_context() -> Any:
    """Start method for worker processes: fork where safe (Linux, no other thread), else spawn.

    Forked workers start at once and need no ``if __name__ == "__main__":`` guard in the
    calling script; forking a process that runs other threads can deadlock, so then spawn.
    """
    import multiprocessing
    import threading

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _execute_local(
    tasks: list[dict[str, Any]], jobs: int, bar: Any, context: Any
) -> list[dict[str, Any]]:
    results: list[dict[str, Any] | None] = [None] * len(tasks)
    if jobs == 1 or len(tasks) == 1:
        for i, task in enumerate(tasks):
            results[i] = execute_run(task)
            _advance(bar, results[i])
        return results  # type: ignore[return-value]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(execute_run, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # a dead worker fails its run only
                results[i] = _failed_record(tasks[i], exc)
            _advance(bar, results[i])
    return results  # type: ignore[return-value]


def _execute_dask(tasks: list[dict[str, Any]], scheduler: Any, bar: Any) -> list[dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImportError(
            "running on a dask scheduler needs dask.distributed: "
            "pip install 'personalisation[dask]'"
        ) from None

    own_client = not isinstance(scheduler, Client)
    client = Client(scheduler) if own_client else scheduler
    try:
        futures = [client.submit(execute_run, task, pure=False) for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        results: list[dict[str, Any] | None] = [None] * len(tasks)
        for future in as_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as exc:
                results[i] = _failed_record(tasks[i], exc)
            _advance(bar, results[i])
    finally:
        if own_client:
            client.close()
    return results  # type: ignore[return-value]
