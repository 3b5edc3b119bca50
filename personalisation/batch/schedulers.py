"""Where runs execute: worker threads of this process driving kernels, or dask.distributed."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalisation.batch.execute import _error_summary, execute_run
from personalisation.batch.report import FAILED, INTERRUPTED, OK


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


def _unfinished_record(task: Mapping[str, Any], status: str, error: str) -> dict[str, Any]:
    """The record of a run that did not finish in its kernel (no time counted)."""
    name = Path(task["notebook"]).name
    return {
        "notebook": name,
        "parameters": dict(task["parameters"]),
        "status": status,
        "error": error,
        "seconds": 0.0,
        "output": task["output"],
        "executed": f"{task['output']}/{name}",
    }


def _failed_record(task: Mapping[str, Any], exc: BaseException) -> dict[str, Any]:
    return _unfinished_record(task, FAILED, f"worker failed: {_error_summary(exc)}")


class BatchInterrupted(Exception):
    """SIGINT or SIGTERM during a batch: the records of the runs that finished or were cut.

    ``records`` holds one dict per task, in plan order: finished runs as usual, runs in
    progress with status ``interrupted``, runs never started as None.
    """

    def __init__(self, records: list[dict[str, Any] | None], signum: int) -> None:
        super().__init__(f"batch interrupted by signal {signum}")
        self.records = records
        self.signum = signum


class _Signalled(BaseException):
    def __init__(self, signum: int) -> None:
        self.signum = signum


def _interrupted_record(task: Mapping[str, Any], signum: int) -> dict[str, Any]:
    import signal

    error = f"interrupted by {signal.Signals(signum).name} before the run finished"
    return _unfinished_record(task, INTERRUPTED, error)


def _descendants() -> set[int]:
    import psutil  # type: ignore[import-untyped]

    try:
        return {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return set()


def _kill_descendants(keep: set[int]) -> None:
    """Kill the processes this process started during the batch (kernels), and wait."""
    import psutil

    try:
        children = [
            child for child in psutil.Process().children(recursive=True) if child.pid not in keep
        ]
    except psutil.Error:
        return
    for child in reversed(children):
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=5)


def _execute_local(
    tasks: list[dict[str, Any]], jobs: int, bar: Any, **_: Any
) -> list[dict[str, Any]]:
    """Run the tasks in ``jobs`` worker threads of this process, each driving its own kernel.

    The work happens in the kernels (processes); a thread only drives one.  The main
    thread waits and handles SIGINT / SIGTERM: on either, every kernel is killed, the
    runs in progress are marked interrupted and :class:`BatchInterrupted` is raised.
    """
    import queue
    import signal
    import threading

    results: list[dict[str, Any] | None] = [None] * len(tasks)
    todo: queue.Queue[int] = queue.Queue()
    for i in range(len(tasks)):
        todo.put(i)
    done: queue.Queue[int] = queue.Queue()
    running: set[int] = set()
    stop = threading.Event()

    def work() -> None:
        from personalisation.batch import engine

        try:
            while not stop.is_set():
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                running.add(i)
                try:
                    record = execute_run(tasks[i])
                except BaseException as exc:  # never lose a run's record
                    record = _failed_record(tasks[i], exc)
                running.discard(i)
                if not stop.is_set():
                    results[i] = record
                    done.put(i)
        finally:
            engine.shutdown_kernels(threading.get_ident())  # this thread's kernels

    workers = [
        threading.Thread(target=work, name=f"personalisation-batch-{n}", daemon=True)
        for n in range(max(1, min(jobs, len(tasks))))
    ]
    in_main = threading.current_thread() is threading.main_thread()
    keep = _descendants()  # processes that are not the batch's
    previous: dict[int, Any] = {}
    stop_signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal(signum: int, frame: Any) -> None:
        raise _Signalled(signum)

    if in_main:
        for signum in stop_signals:
            previous[signum] = signal.signal(signum, on_signal)
    try:
        for worker in workers:
            worker.start()
        finished = 0
        while finished < len(tasks):
            try:
                i = done.get(timeout=0.2)
            except queue.Empty:
                if not any(w.is_alive() for w in workers) and done.empty():
                    break
                continue
            finished += 1
            _advance(bar, results[i] or {})
    except _Signalled as signalled:
        if in_main:  # a second Ctrl-C must not interrupt the clean-up
            for signum in stop_signals:
                signal.signal(signum, signal.SIG_IGN)
        stop.set()
        cut = sorted(running)
        _kill_descendants(keep)
        for worker in workers:
            worker.join(timeout=10)
        _kill_descendants(keep)
        while not done.empty():
            done.get()
        for i in cut:
            if results[i] is None:
                results[i] = _interrupted_record(tasks[i], signalled.signum)
        raise BatchInterrupted(results, signalled.signum) from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    for worker in workers:
        worker.join()
    return results  # type: ignore[return-value]


def _shutdown_worker_kernels() -> int:
    """On a dask worker: shut down its warm kernels (how many there were)."""
    from personalisation.batch import engine

    return engine.shutdown_kernels()


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
                record = future.result()
            except Exception as exc:
                record = _failed_record(tasks[i], exc)
            results[i] = record
            _advance(bar, record)
    finally:
        try:  # the workers' warm kernels end with the batch, as local workers' do
            client.run(_shutdown_worker_kernels)
        except Exception:
            pass
        if own_client:
            client.close()
    return results  # type: ignore[return-value]
