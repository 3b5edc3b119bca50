"""The ``warm`` suite: every council's ``council_profile`` with ``--jobs 2``, fresh kernels vs warm.

Both sides run the real command (``personalisation run-notebooks --preset all-councils
--jobs 2``), one after the other on the same machine: (a) ``--fresh``, papermill's own
engine with a new kernel per run (the runner's path before warm kernels), and (b)
``--warm``, one kernel per worker reset between runs.  Peak memory is the largest total
resident memory of the command and all its kernels, sampled every 0.2 s.  The per-run
overhead of (b) is the run's time minus the notebook's own cell time (papermill's cell
durations in the executed notebook).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import REPO_DIR, row

NAME = "warm"
#: Councils per grid (None: the whole all-councils preset).
SETTINGS: dict[str, dict[str, Any]] = {
    "full": {"warm_councils": None},
    "quick": {"warm_councils": 6},
}


def _sample_tree_rss(pid: int, stop: threading.Event, peak: list[float]) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        total = 0
        try:
            for proc in [root, *root.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            break
        peak[0] = max(peak[0], total / 2**20)
        stop.wait(0.2)


def _run(engine: str, output: Path, councils: int | None) -> dict[str, Any]:
    command = [
        sys.executable,
        "-c",
        "import sys; from personalisation.cli import main; sys.exit(main())",
        "run-notebooks",
        "--preset",
        "all-councils",
        "--jobs",
        "2",
        f"--{engine}",
        "--no-progress",
        "--output",
        str(output),
    ]
    if councils is not None:
        from personalisation.batch import presets

        chosen = presets._councils()[:councils]
        command += ["-p", "council=" + ",".join(chosen)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop, peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=_sample_tree_rss, args=(proc.pid, stop, peak))
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(
            f"{engine} batch failed:\n{stdout.decode()[-2000:]}{stderr.decode()[-2000:]}"
        )
    runs, cells = [], []
    for run_json in sorted(output.glob("council_profile/*/run.json")):
        info = json.loads(run_json.read_text(encoding="utf-8"))
        runs.append(info["seconds"])
        nb = json.loads((run_json.parent / "council_profile.ipynb").read_text(encoding="utf-8"))
        cells.append(
            sum(c["metadata"].get("papermill", {}).get("duration") or 0.0 for c in nb["cells"])
        )
    return {
        "seconds": seconds,
        "runs": len(runs),
        "peak_mb": peak[0],
        "run_s": statistics.median(runs),
        "cell_s": statistics.median(cells),
        "overhead_s": statistics.median(r - c for r, c in zip(runs, cells, strict=True)),
    }


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Fresh vs warm kernels on the all-councils profile grid, --jobs 2."""
    councils = settings.get("warm_councils")
    with tempfile.TemporaryDirectory(prefix="pz-bench-warm-") as tmp:
        fresh = _run("fresh", Path(tmp) / "fresh", councils)
        warm = _run("warm", Path(tmp) / "warm", councils)
    n = warm["runs"]
    speedup = fresh["seconds"] / warm["seconds"]
    return [
        row(
            "warm",
            f"all-councils profiles, {n} runs, --jobs 2, warm",
            warm["seconds"],
            fresh["seconds"],
            what=f"`run-notebooks --preset all-councils --jobs 2 --warm` ({n} council_profile runs)",
            baseline_what="the same with `--fresh` (a new kernel per run, papermill's engine)",
            target="speed-up >= 4x; whole grid < 90 s",
            met=bool(speedup >= 4 and warm["seconds"] < 90) if councils is None else None,
            speedup=speedup,
            fresh=fresh,
            warm=warm,
        ),
        row(
            "warm",
            "peak memory, warm vs fresh",
            warm["peak_mb"],
            fresh["peak_mb"],
            what="largest total RSS of the command and its kernels, warm",
            baseline_what="the same, fresh",
            unit="MiB",
            target="ratio <= 1.5",
            met=bool(warm["peak_mb"] <= 1.5 * fresh["peak_mb"]),
        ),
        row(
            "warm",
            "per-run overhead, warm",
            warm["overhead_s"],
            warm["cell_s"],
            what="median run time minus the notebook's own cell time, warm kernels",
            baseline_what="median cell time of the notebook (papermill's cell durations)",
            fresh_overhead_s=fresh["overhead_s"],
        ),
    ]


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    """A note with both sides' numbers (for ``results.md``)."""
    out: list[str] = []
    for r in rows:
        if "speedup" in r:
            f, w = r["fresh"], r["warm"]
            out.append(
                f"\nWarm kernels: {w['runs']} council profiles in {w['seconds']:.1f} s warm "
                f"against {f['seconds']:.1f} s fresh ({r['speedup']:.1f}x); median run "
                f"{w['run_s']:.2f} s warm (of which the notebook's cells {w['cell_s']:.2f} s) "
                f"and {f['run_s']:.2f} s fresh (cells {f['cell_s']:.2f} s); peak memory "
                f"{w['peak_mb']:.0f} MiB warm, {f['peak_mb']:.0f} MiB fresh."
            )
    return out
