"""Executing one run with papermill in its own folder; the run's record and ``run.json``."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from personalisation.batch.grid import OUTPUT_PARAMETER
from personalisation.batch.report import FAILED, OK, RUN_JSON
from personalisation.batch.scrub import _clean_executed_notebook

__all__ = ["ENGINES", "FRESH", "WARM", "execute_run"]

#: Warm kernels (:mod:`personalisation.batch.engine`), reset between runs: the default.
WARM = "warm"
#: papermill's own engine: a new kernel for every run.
FRESH = "fresh"
ENGINES = (WARM, FRESH)
#: The warm engine's name for ``papermill --engine`` (see :mod:`personalisation.batch.engine`).
ENGINE_NAME = "personalisation-warm"
#: Runs a warm kernel serves before it is replaced by a new one.
DEFAULT_MAX_RUNS = 200
#: Resident memory (MiB) above which a warm kernel is replaced after its run.
DEFAULT_MAX_RSS_MB = 2048


def _data_version() -> str:
    """``data_version`` of the shipped data's metadata.json, else ``"unknown"``."""
    from personalisation import _paths

    try:
        metadata = json.loads((_paths.data_dir() / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    version = metadata.get("data_version") if isinstance(metadata, dict) else None
    return str(version) if version else "unknown"


def _error_summary(exc: BaseException) -> str:
    """Exception name and message, one readable line (no traceback)."""
    ename = getattr(exc, "ename", None)
    if ename is not None:  # papermill.PapermillExecutionError
        text = f"{ename}: {getattr(exc, 'evalue', '')}"
        count = getattr(exc, "exec_count", None)
        if count is not None:
            text += f" (cell In[{count}])"
    else:
        message = str(exc).strip().splitlines()
        text = type(exc).__name__ + (f": {message[0]}" if message else "")
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."


def _engine_options(kernel_name: str, notebook: Path) -> dict[str, Any]:
    """Extra papermill options: a language when the notebook lacks one; quiet ipykernel."""
    options: dict[str, Any] = {}
    language = None
    try:
        from jupyter_client.kernelspec import get_kernel_spec

        language = get_kernel_spec(kernel_name).language
    except Exception:  # unknown kernel: papermill reports it properly
        language = None
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        metadata = {}
    has_language = metadata.get("kernelspec", {}).get("language") or metadata.get(
        "language_info", {}
    ).get("name")
    if not has_language and language:
        options["language"] = language
    if language == "python":
        # ipykernel warns about TCP transport on stderr for every run; keep the console readable.
        options["extra_arguments"] = ["--IPKernelApp.log_level=CRITICAL"]
    return options


def execute_run(task: Mapping[str, Any]) -> dict[str, Any]:
    """Execute one run with papermill; never raises, returns the run's record as a dict.

    This is the task function sent to worker processes and dask workers; ``task`` holds
    plain values only: ``notebook`` (absolute path), ``output_root`` (absolute batch folder),
    ``output`` (run folder relative to it), ``parameters``, ``kernel_name``, ``timeout``,
    ``package_version``, ``data_version``, and optionally ``engine`` (:data:`WARM`, the
    default, or :data:`FRESH`), ``max_runs`` and ``max_rss_mb`` (warm kernels' limits) and
    ``html`` (default True: an HTML rendering and a thumbnail beside the notebook).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     record = execute_run({"notebook": "/no/such.ipynb", "output_root": folder,
    ...                           "output": "such/default", "parameters": {}})
    >>> record["status"], record["error"].split(":")[0]
    ('failed', 'FileNotFoundError')
    """
    notebook = Path(task["notebook"])
    output_root = Path(task["output_root"])
    run_dir = output_root / task["output"]
    executed = run_dir / notebook.name
    parameters = dict(task["parameters"])
    kernel_name = task.get("kernel_name") or "python3"
    status, error, note = OK, "", ""
    start = time.perf_counter()
    try:
        if run_dir.exists():  # an earlier or interrupted run's files: start clean
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        import papermill

        options = _engine_options(kernel_name, notebook)
        if task.get("engine", WARM) == WARM:
            from personalisation.batch import engine

            options["engine_name"] = engine.ENGINE_NAME
            options["max_runs"] = int(task.get("max_runs") or engine.DEFAULT_MAX_RUNS)
            options["max_rss_mb"] = float(task.get("max_rss_mb") or engine.DEFAULT_MAX_RSS_MB)
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={**parameters, OUTPUT_PARAMETER: str(run_dir)},
            # the kernel starts in the run folder (nbclient's resources path); papermill's
            # own ``cwd`` would chdir this whole process, which threads cannot share
            resources={"metadata": {"path": str(run_dir)}},
            kernel_name=kernel_name,
            execution_timeout=task.get("timeout"),
            progress_bar=False,
            log_output=False,
            **options,
        )
    except Exception as exc:  # one failing run must not stop the batch
        status, error = FAILED, _error_summary(exc)
    if task.get("engine", WARM) == WARM and "personalisation.batch.engine" in sys.modules:
        note = sys.modules["personalisation.batch.engine"].take_note()
    seconds = round(time.perf_counter() - start, 3)
    if executed.is_file():
        try:
            _clean_executed_notebook(executed, run_dir, output_root, notebook)
        except Exception as exc:
            status = FAILED
            error = error or f"could not clean the executed notebook: {_error_summary(exc)}"
    if executed.is_file() and task.get("html", True):
        try:
            from personalisation.batch import render

            render.first_figure(executed)
            render.render_html(executed)
        except Exception as exc:  # the run's record says so; the run itself stands
            note = (note + "; " if note else "") + f"no HTML rendering: {_error_summary(exc)}"
    record = {
        "notebook": notebook.name,
        "parameters": parameters,
        "status": status,
        "error": error,
        "seconds": seconds,
        "output": task["output"],
        "executed": f"{task['output']}/{notebook.name}",
    }
    run_info = {
        **record,
        "kernel": kernel_name,
        "engine": task.get("engine", WARM),
        "kernel_note": note,
        "package_version": task.get("package_version", "unknown"),
        "data_version": task.get("data_version", "unknown"),
        "papermill_version": _papermill_version(),
        "python_version": ".".join(str(v) for v in sys.version_info[:3]),
    }
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / RUN_JSON).write_text(
            json.dumps(run_info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        record.update(status=FAILED, error=error or f"could not write run.json: {exc}")
    return record


def _papermill_version() -> str:
    try:
        import papermill

        return str(papermill.__version__)
    except Exception:
        return "unknown"
