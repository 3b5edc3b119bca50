"""Benchmark harness: timing, memory, fresh-process workers, result rows (shared by every suite)."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent


def maxrss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def children_maxrss_mb() -> float:
    """Largest resident set size among waited-for child processes, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def median_time(func: Callable[[], Any], reps: int) -> tuple[float, list[float]]:
    """Median wall time of ``reps`` calls of ``func`` (and every time)."""
    times = []
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def traced_peak_mb(func: Callable[[], Any]) -> float:
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


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - platforms without getloadavg
        return None


def run_python(code: str, timeout: float = 600) -> tuple[float, dict[str, Any]]:
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


def worker(module: str, name: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``module._w_<name>(**kwargs)`` in a fresh process; returns its result.

    ``module`` is a suite module of this folder (``suite_batch``); the process's peak
    resident memory is added as ``process_peak_mb``.
    """
    code = (
        "import json, sys; "
        f"sys.path.insert(0, {str(BENCH_DIR)!r}); "
        f"import harness, {module} as suite; "
        f"out = suite._w_{name}(**json.loads({json.dumps(json.dumps(kwargs))})); "
        "out['process_peak_mb'] = harness.maxrss_mb(); "
        "print(json.dumps(out))"
    )
    _, result = run_python(code, timeout=1800)
    return result


def row(
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


def environment() -> dict[str, Any]:
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
