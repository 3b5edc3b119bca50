"""Run parameterised notebooks over a grid of parameters with papermill.

One run is one notebook executed with one set of parameters.  A batch expands a grid
(every combination of the listed values) into runs, executes them in worker processes
(``jobs``) or on a ``dask.distributed`` cluster (``scheduler``), and writes::

    <output_dir>/
        index.csv                       one row per run (see INDEX_COLUMNS)
        index.html                      the same as a table linking every executed notebook
        <notebook stem>/<parameter slug>/
            <notebook stem>.ipynb       the executed notebook (absolute paths removed)
            run.json                    notebook, parameters, versions, status, seconds
            ...                         whatever the notebook wrote into ``output_dir``

Each run also receives the parameter ``output_dir`` (its own folder) and runs with that
folder as working directory, so relative writes land there.  A failing run is recorded
(exception name and message) and does not stop the others.

The package holds one job per module:

``grid``        expand a grid into runs; parse ``-p`` values; run folder names
``presets``     the named batches of ``--preset``
``plan``        resolve notebooks and give every run its folder
``execute``     execute one run with papermill; its record and ``run.json``
``scrub``       remove this machine's absolute paths from executed notebooks
``report``      run records, the batch result, ``index.csv`` and ``index.html``
``schedulers``  in this process, a pool of worker processes, or dask.distributed
``runner``      :func:`run_batch`: plan -> scheduler -> index files
``cli``         ``personalisation run-notebooks``

Heavy imports (papermill, tqdm, dask) happen inside the functions that need them.
"""

from __future__ import annotations

from personalisation.batch.cli import add_arguments, run_from_args
from personalisation.batch.execute import execute_run
from personalisation.batch.grid import (
    OUTPUT_PARAMETER,
    LazyValues,
    expand_grid,
    parameter_slug,
    parse_param_options,
    parse_value,
)
from personalisation.batch.plan import PlannedRun, plan_runs, resolve_notebook
from personalisation.batch.presets import PRESETS, Preset
from personalisation.batch.report import INDEX_COLUMNS, BatchResult, RunRecord
from personalisation.batch.runner import run_batch

__all__ = [
    "INDEX_COLUMNS",
    "OUTPUT_PARAMETER",
    "PRESETS",
    "BatchResult",
    "LazyValues",
    "PlannedRun",
    "Preset",
    "RunRecord",
    "add_arguments",
    "execute_run",
    "expand_grid",
    "parameter_slug",
    "parse_value",
    "parse_param_options",
    "plan_runs",
    "resolve_notebook",
    "run_batch",
    "run_from_args",
]
