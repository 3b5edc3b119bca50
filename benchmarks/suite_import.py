"""The ``import`` suite: ``import personalisation`` + ``load_cube()`` against plain pandas, fresh processes."""

from __future__ import annotations

import statistics
from functools import partial
from typing import Any

from harness import (
    REPO_DIR,
    row,
    run_python,
    worker,
)

_worker = partial(worker, __name__)

NAME = "import"
#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {"full": {"import_reps": 7}, "quick": {"import_reps": 3}}


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


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """``import personalisation`` + ``load_cube()`` against plain pandas, fresh processes."""
    from personalisation import _paths

    table = _paths.data_dir() / "indicators.csv"
    plain_code = _IMPORT_PLAIN.format(path=str(table))
    reps = settings["import_reps"]
    package, plain, bare, no_dask = [], [], [], []
    run_python(_IMPORT_PACKAGE)  # warm the file cache and .pyc files, untimed
    run_python(plain_code)
    for _ in range(reps):  # interleaved, so both sides see the same machine load
        package.append(run_python(_IMPORT_PACKAGE))
        plain.append(run_python(plain_code))
        bare.append(run_python(_BARE_PYTHON)[0])
        no_dask.append(run_python(_NO_DASK + _IMPORT_PACKAGE))

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
        row(
            "import",
            "import personalisation",
            med(package, "import"),
            med(plain, "import"),
            what="`import personalisation` (lazy: heavy modules load on first use)",
            baseline_what="`import pandas`",
            **common,
        ),
        row(
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
        row(
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
        row(
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
        row(
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
