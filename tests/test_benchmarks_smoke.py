"""Smoke test of ``benchmarks/run.py``: it runs and writes well-formed results.

No timing is asserted here (timings live in the benchmarks, as ratios); this only checks
that the quickest benchmark runs end to end and that both result files have the expected
structure and consistent numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
ROW_KEYS = {
    "benchmark",
    "name",
    "what",
    "measured",
    "baseline",
    "baseline_what",
    "unit",
    "ratio",
    "target",
    "met",
}


@pytest.fixture(scope="module")
def quick_import_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "import", "--repeat", "1"]
        + ["--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "import + load_cube()" in done.stdout  # the console table
    return out


def test_results_json_is_well_formed(quick_import_run: Path) -> None:
    report = json.loads((quick_import_run / "results.json").read_text(encoding="utf-8"))
    meta = report["meta"]
    assert meta["mode"] == "quick"
    assert meta["only"] == ["import"]
    assert meta["cpu_count"] >= 1
    assert len(meta["loadavg_before"]) == 3 and len(meta["loadavg_after"]) == 3
    assert meta["settings"]["import_reps"] == 1
    rows = report["results"]
    names = [row["name"] for row in rows]
    assert "import + load_cube()" in names and "import personalisation" in names
    for row in rows:
        assert ROW_KEYS <= set(row), row
        assert row["benchmark"] == "import"
        assert row["measured"] > 0 and row["baseline"] > 0
        assert math.isclose(row["ratio"], row["measured"] / row["baseline"])
        assert row["met"] in (True, False, None)
        assert (row["met"] is None) == (row["target"] == "")
    load = next(row for row in rows if row["name"] == "import + load_cube()")
    assert load["peak_mb"] > 0 and load["baseline_peak_mb"] > 0


def test_results_markdown_has_one_line_per_result(quick_import_run: Path) -> None:
    report = json.loads((quick_import_run / "results.json").read_text(encoding="utf-8"))
    text = (quick_import_run / "results.md").read_text(encoding="utf-8")
    assert "| benchmark | measured | baseline | ratio | target | met |" in text
    assert f"{report['meta']['cpu_count']} CPU core(s)" in text
    for row in report["results"]:
        lines = [line for line in text.splitlines() if line.startswith(f"| **{row['name']}**")]
        assert len(lines) == 1, row["name"]
        assert lines[0].count("|") == 7


def test_unknown_benchmark_name_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--only", "nonsense", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "invalid choice: 'nonsense'" in done.stderr
    assert not (tmp_path / "results.json").exists()
