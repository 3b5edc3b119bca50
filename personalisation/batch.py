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

Heavy imports (papermill, tqdm, dask) happen inside the functions that need them.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personalisation.errors import DataNotFoundError

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

OK = "ok"
FAILED = "failed"
RUN_JSON = "run.json"
INDEX_CSV = "index.csv"
INDEX_HTML = "index.html"
#: Columns of ``index.csv``; ``output`` and ``executed`` are relative to the batch folder.
INDEX_COLUMNS: tuple[str, ...] = (
    "notebook",
    "parameters",
    "status",
    "error",
    "seconds",
    "output",
    "executed",
)
#: Parameter set by the runner for every run (the run's own folder).
OUTPUT_PARAMETER = "output_dir"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
_MAX_SLUG = 100
_MAX_LISTED_FILES = 40  # files linked per run in index.html
#: Output mime types holding base64 data, never rewritten by the path scrubber.
_BINARY_MIME_PREFIXES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


# --------------------------------------------------------------------------- grids


class LazyValues:
    """Grid values computed when the grid is expanded (for example from the shipped data).

    Parameters
    ----------
    description
        What the values are, shown by ``--list-presets``.
    func
        Zero-argument function returning the values.

    Examples
    --------
    >>> years = LazyValues("two years", lambda: [2015, 2016])
    >>> expand_grid({"year": years})
    [{'year': 2015}, {'year': 2016}]
    """

    def __init__(self, description: str, func: Callable[[], Iterable[Any]]) -> None:
        self.description = description
        self.func = func

    def __call__(self) -> list[Any]:
        return list(self.func())

    def __repr__(self) -> str:
        return f"<{self.description}>"


def _plain(value: Any) -> Any:
    """Python builtins for numpy scalars (papermill writes ``repr`` into the notebook)."""
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _values(name: str, value: Any) -> list[Any]:
    """The list of values one grid entry stands for."""
    if callable(value):
        value = value()
    if isinstance(value, str | bytes | Mapping):
        return [value]
    if isinstance(value, set | frozenset):
        raise TypeError(
            f"grid parameter {name!r}: a set has no order; give a list so that runs are deterministic"
        )
    if isinstance(value, Iterable) and getattr(value, "ndim", 1) != 0:
        return list(value)
    return [value]


def _check_parameters(parameters: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validated copy of one run's parameters (identifier names, JSON values)."""
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"{where}: parameter name {name!r} is not a Python identifier")
        if name == OUTPUT_PARAMETER:
            raise ValueError(
                f"{where}: parameter {OUTPUT_PARAMETER!r} is set by the runner (the run's folder)"
            )
        value = _plain(value)
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{where}: parameter {name}={value!r} is not JSON-serialisable ({exc})"
            ) from None
        checked[name] = value
    return checked


def expand_grid(grid: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of a parameter grid, in a deterministic order.

    Parameters
    ----------
    grid
        Parameter name -> list of values, or a single value (a string, number, mapping),
        or a zero-argument callable returning the values (resolved now, e.g.
        :class:`LazyValues`).  Names must be Python identifiers; ``output_dir`` is
        reserved for the runner.

    Returns
    -------
    list of dict
        One dict per combination, keys in the grid's order; the first parameter varies
        slowest (as :func:`itertools.product`).  An empty list of values gives no runs.

    Examples
    --------
    >>> expand_grid({"measure": ["sds_users", "dp_users"], "year": [2015, 2024], "kind": "hex"})
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'measure': 'sds_users', 'year': 2015, 'kind': 'hex'},
     {'measure': 'sds_users', 'year': 2024, 'kind': 'hex'},
     {'measure': 'dp_users', 'year': 2015, 'kind': 'hex'},
     {'measure': 'dp_users', 'year': 2024, 'kind': 'hex'}]
    >>> expand_grid({})
    [{}]
    """
    if not isinstance(grid, Mapping):
        raise TypeError(f"a grid is a mapping name -> values, not {type(grid).__name__}")
    names = list(grid)
    value_lists = [_values(name, grid[name]) for name in names]
    runs = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*value_lists)]
    return [_check_parameters(run, "grid") for run in runs]


def parse_value(text: str) -> Any:
    """A command-line value: an int or a decimal number when it looks like one, else the text.

    Examples
    --------
    >>> parse_value("2015"), parse_value("70.5"), parse_value("E08000003"), parse_value("nan")
    (2015, 70.5, 'E08000003', 'nan')
    """
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def parse_param_options(options: Sequence[str]) -> dict[str, Any]:
    """Grid from repeated ``-p name=value`` options; a comma list gives several values.

    Examples
    --------
    >>> parse_param_options(["year=2015,2024", "measure=sds_users"])
    {'year': [2015, 2024], 'measure': 'sds_users'}
    """
    grid: dict[str, Any] = {}
    for option in options:
        name, sep, text = option.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"-p {option!r}: expected NAME=VALUE (VALUE may be a comma list)")
        if not _IDENTIFIER.match(name):
            raise ValueError(f"-p {option!r}: {name!r} is not a valid parameter name")
        if name in grid:
            raise ValueError(f"-p {option!r}: parameter {name!r} given twice; use a comma list")
        items = [parse_value(item) for item in text.split(",")]
        grid[name] = items if len(items) > 1 else items[0]
    return grid


def parameter_slug(parameters: Mapping[str, Any]) -> str:
    """Folder name of one run: ``name-value`` pairs joined by ``__``, filesystem-safe.

    Long slugs are shortened and end with a hash of the parameters.

    Examples
    --------
    >>> parameter_slug({"measure": "sds_users", "year": 2015, "kind": "hex"})
    'measure-sds_users__year-2015__kind-hex'
    >>> parameter_slug({"region": "Yorkshire and The Humber"})
    'region-Yorkshire-and-The-Humber'
    >>> parameter_slug({})
    'default'
    """
    if not parameters:
        return "default"
    parts = []
    for name, value in parameters.items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        clean = _SLUG_UNSAFE.sub("-", text).strip("-.") or "_"
        parts.append(f"{name}-{clean}")
    slug = "__".join(parts)
    if len(slug) > _MAX_SLUG:
        slug = slug[: _MAX_SLUG - 13].rstrip("-_.") + "-" + _digest(parameters)
    return slug


def _digest(parameters: Mapping[str, Any]) -> str:
    text = json.dumps(parameters, sort_keys=True, ensure_ascii=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- presets


def _ascof_measures() -> list[str]:
    from personalisation import measures

    return list(measures.ASCOF_MEASURES)


def _ascof_years() -> list[int]:
    """Years (ending March) with council ASCOF 1C/3D figures, from the measure registry."""
    from personalisation import measures

    return sorted(measures.period_to_year(p) for p in measures.get("sds_users").codes)


def _first_ascof_year() -> list[int]:
    return _ascof_years()[:1]


def _last_ascof_year() -> list[int]:
    return _ascof_years()[-1:]


def _first_and_last_ascof_year() -> list[int]:
    years = _ascof_years()
    return [years[0], years[-1]]


def _last_year_with_counts() -> list[int]:
    """The last year whose council ASCOF figures come with numerators and denominators
    (pooled regional rates and intervals need them), from the shipped cube."""
    cube = _shipped_cube()
    counts = cube["denominator"].sel(measure="sds_users").notnull().any("council")
    return [int(cube["year"].values[counts.values].max())]


def _shipped_cube() -> Any:
    from personalisation import load_cube

    return load_cube()


def _regions() -> list[str]:
    """Every region name in the shipped cube, sorted."""
    cube = _shipped_cube()
    return sorted({str(name) for name in cube["region_name"].values})


def _councils() -> list[str]:
    """Every council (GSS code) in the shipped cube, in the cube's order."""
    cube = _shipped_cube()
    return [str(code) for code in cube["council"].values]


@dataclass(frozen=True)
class Preset:
    """A named batch: notebook file names (in the notebooks folder) with their grids.

    Examples
    --------
    >>> PRESETS["main"].notebooks()[:1]
    ['takeup_map.ipynb']
    """

    name: str
    description: str
    plan: tuple[tuple[str, Mapping[str, Any]], ...]

    def notebooks(self) -> list[str]:
        """The notebook file names, in run order."""
        return [notebook for notebook, _ in self.plan]


_FIRST_LAST = LazyValues(
    "first and last ASCOF year in the measure registry", _first_and_last_ascof_year
)
_LAST = LazyValues("last ASCOF year in the measure registry", _last_ascof_year)
_LAST_COUNTS = LazyValues(
    "last ASCOF year with numerators and denominators in the shipped cube", _last_year_with_counts
)
_FIRST = LazyValues("first ASCOF year in the measure registry", _first_ascof_year)
_YEARS = LazyValues("every ASCOF year in the measure registry", _ascof_years)
_MEASURES = LazyValues("every ASCOF measure", _ascof_measures)
_REGIONS = LazyValues("every region in the shipped cube", _regions)
_COUNCILS = LazyValues("every council in the shipped cube", _councils)

#: Named batches for ``personalisation run-notebooks --preset NAME``.  Regions are given by
#: name (the cube's ``region_name``), councils by GSS code, years as the year ending March.
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="main",
            description=(
                "a representative batch on the shipped data: take-up maps (two measures, two "
                "years, polygons and hexes), one regional comparison, variation over time, "
                "targets, and two council profiles"
            ),
            plan=(
                (
                    "takeup_map.ipynb",
                    {
                        "measure": ["sds_users", "dp_users"],
                        "year": _FIRST_LAST,
                        "kind": ["polygons", "hex"],
                    },
                ),
                (
                    "regional_comparison.ipynb",
                    {"measure": "sds_users", "year": _LAST_COUNTS, "region": "London"},
                ),
                (
                    "variation_over_time.ipynb",
                    {"measure": ["sds_users", "dp_users"], "from_year": _FIRST, "to_year": _LAST},
                ),
                # 70 %: the national personal-budget ambition for April 2013.
                ("targets.ipynb", {"threshold": 70, "target_year": _LAST}),
                # Manchester (metropolitan district) and Kent (county): two council types.
                ("council_profile.ipynb", {"council": ["E08000003", "E10000016"]}),
            ),
        ),
        Preset(
            name="smoke",
            description="one small run of every notebook (for tests and a quick check)",
            plan=(
                ("takeup_map.ipynb", {"measure": "sds_users", "year": _LAST, "kind": "hex"}),
                (
                    "regional_comparison.ipynb",
                    {"measure": "sds_users", "year": _LAST_COUNTS, "region": "London"},
                ),
                (
                    "variation_over_time.ipynb",
                    {"measure": "sds_users", "from_year": _FIRST, "to_year": _LAST},
                ),
                ("targets.ipynb", {"threshold": 70, "target_year": _LAST}),
                ("council_profile.ipynb", {"council": "E08000003"}),
            ),
        ),
        Preset(
            name="all-years",
            description="take-up maps for every ASCOF measure x every year x polygons and hexes",
            plan=(
                (
                    "takeup_map.ipynb",
                    {"measure": _MEASURES, "year": _YEARS, "kind": ["polygons", "hex"]},
                ),
            ),
        ),
        Preset(
            name="all-regions",
            description="regional comparison for every region x every year (sds_users, dp_users)",
            plan=(
                (
                    "regional_comparison.ipynb",
                    {"measure": ["sds_users", "dp_users"], "year": _YEARS, "region": _REGIONS},
                ),
            ),
        ),
        Preset(
            name="all-councils",
            description="a profile of every council in the shipped cube",
            plan=(("council_profile.ipynb", {"council": _COUNCILS}),),
        ),
    )
}


# --------------------------------------------------------------------------- planning


def resolve_notebook(notebook: str | os.PathLike[str]) -> Path:
    """The notebook file: an existing path, or a name in the notebooks folder.

    ``"takeup_map"`` and ``"takeup_map.ipynb"`` both find
    ``personalisation._paths.notebooks_dir() / "takeup_map.ipynb"``.

    Raises
    ------
    DataNotFoundError
        Naming the notebook, where it was looked for, and the notebooks available there.

    Examples
    --------
    >>> resolve_notebook("no_such_notebook")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    DataNotFoundError: notebook 'no_such_notebook' not found
    """
    from personalisation import _paths

    path = Path(notebook)
    if path.is_file():
        return path.resolve()
    folder = _paths.notebooks_dir()
    for candidate in (folder / path.name, folder / f"{path.name}.ipynb"):
        if path.parent == Path(".") and candidate.is_file():
            return candidate.resolve()
    available = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    raise DataNotFoundError(
        f"notebook {str(notebook)!r} not found: not a file, and not in the notebooks folder "
        f"{folder} (available: {', '.join(available) or 'none'})"
    )


@dataclass(frozen=True)
class PlannedRun:
    """One run to execute: the notebook, its parameters, and its folder in the batch."""

    notebook: Path
    parameters: dict[str, Any]
    output: str

    @property
    def executed(self) -> str:
        """The executed notebook, relative to the batch folder."""
        return f"{self.output}/{self.notebook.name}"


def _parameter_list(grid_or_param_list: Any, where: str) -> list[dict[str, Any]]:
    if grid_or_param_list is None:
        return [{}]
    if isinstance(grid_or_param_list, Mapping):
        return expand_grid(grid_or_param_list)
    if isinstance(grid_or_param_list, Sequence) and not isinstance(grid_or_param_list, str):
        runs = []
        for i, parameters in enumerate(grid_or_param_list):
            if not isinstance(parameters, Mapping):
                raise TypeError(
                    f"{where}: item {i} of the parameter list is {type(parameters).__name__}, "
                    "not a mapping name -> value"
                )
            runs.append(_check_parameters(parameters, f"{where}, item {i}"))
        return runs
    raise TypeError(
        f"{where}: parameters must be a grid (mapping) or a list of mappings, "
        f"not {type(grid_or_param_list).__name__}"
    )


def plan_runs(
    notebooks: Sequence[str | os.PathLike[str]] | Mapping[str | os.PathLike[str], Any],
    grid_or_param_list: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> list[PlannedRun]:
    """The runs of a batch, in a deterministic order, each with its own folder.

    Parameters
    ----------
    notebooks
        Notebook paths or names in the notebooks folder (every one runs over
        ``grid_or_param_list``), or a mapping notebook -> its own grid or parameter list
        (then ``grid_or_param_list`` must be None).
    grid_or_param_list
        A grid for :func:`expand_grid`, or an explicit list of parameter dicts.

    Raises
    ------
    DataNotFoundError
        An unknown notebook.
    ValueError, TypeError
        Bad parameters, two notebooks with the same file name, the same run twice, or no runs.

    Examples
    --------
    >>> import nbformat, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(), path)
    >>> [run.output for run in plan_runs([path], {"year": [2015, 2016]})]
    ['demo/year-2015', 'demo/year-2016']
    """
    if isinstance(notebooks, Mapping):
        if grid_or_param_list is not None:
            raise TypeError("give per-notebook grids in the mapping, or one grid, not both")
        items = list(notebooks.items())
    elif isinstance(notebooks, str | os.PathLike):
        items = [(notebooks, grid_or_param_list)]
    else:
        items = [(notebook, grid_or_param_list) for notebook in notebooks]
    if not items:
        raise ValueError("no notebooks to run")

    runs: list[PlannedRun] = []
    stems: dict[str, Path] = {}
    for notebook, grid in items:
        path = resolve_notebook(notebook)
        if stems.setdefault(path.stem, path) != path:
            raise ValueError(
                f"two notebooks named {path.stem!r} ({stems[path.stem]} and {path}); "
                "their output folders would collide"
            )
        parameter_sets = _parameter_list(grid, f"notebook {path.name}")
        slugs = [parameter_slug(parameters) for parameters in parameter_sets]
        seen: dict[str, dict[str, Any]] = {}
        for parameters, slug in zip(parameter_sets, slugs, strict=True):
            if slug in seen and seen[slug] == parameters:
                raise ValueError(f"notebook {path.name}: the run {parameters} is listed twice")
            seen.setdefault(slug, parameters)
        clashing = {slug for slug in slugs if slugs.count(slug) > 1}
        for parameters, slug in zip(parameter_sets, slugs, strict=True):
            if slug in clashing:
                slug = f"{slug[: _MAX_SLUG - 13]}-{_digest(parameters)}"
            runs.append(PlannedRun(path, parameters, f"{path.stem}/{slug}"))
    if not runs:
        raise ValueError("the grid expands to no runs (a parameter has an empty list of values)")
    return runs


# --------------------------------------------------------------------------- one run


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


def _path_replacements(run_dir: Path, output_root: Path, notebook: Path) -> list[tuple[str, str]]:
    """Absolute paths of this machine and what they become in a saved notebook."""
    from personalisation import _paths

    pairs: list[tuple[Path | str, str]] = [
        (run_dir, "."),
        (output_root, Path(os.path.relpath(output_root, run_dir)).as_posix()),
        (notebook.parent, "<notebooks>"),
        (_paths.REPO_DIR, "<repo>"),
        (Path.cwd(), "<cwd>"),
        (sys.prefix, "<python>"),
        (sys.base_prefix, "<python>"),
        (sys.exec_prefix, "<python>"),
        (Path.home(), "~"),
    ]
    replacements: dict[str, str] = {}
    for path, new in pairs:
        for variant in {str(path), str(Path(path).resolve())}:
            if len(variant) > 1:  # never "/"
                replacements.setdefault(variant, new)
    return sorted(replacements.items(), key=lambda item: len(item[0]), reverse=True)


def _scrub(node: Any, pattern: re.Pattern[str], table: Mapping[str, str], key: str = "") -> Any:
    """Copy of a notebook's JSON tree with machine paths replaced (binary outputs kept)."""
    if isinstance(node, str):
        return pattern.sub(lambda match: table[match.group(0)], node)
    if isinstance(node, list):
        return [_scrub(item, pattern, table, key) for item in node]
    if isinstance(node, dict):
        return {
            k: v
            if k == "attachments" or k.startswith(_BINARY_MIME_PREFIXES)
            else _scrub(v, pattern, table, k)
            for k, v in node.items()
        }
    return node


def _clean_executed_notebook(
    executed: Path, run_dir: Path, output_root: Path, notebook: Path
) -> None:
    """Rewrite the executed notebook so no absolute path of this machine remains."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    papermill_meta = nb.get("metadata", {}).get("papermill")
    if isinstance(papermill_meta, dict):
        papermill_meta["input_path"] = notebook.name
        papermill_meta["output_path"] = executed.relative_to(output_root).as_posix()
        if isinstance(papermill_meta.get("parameters"), dict):
            papermill_meta["parameters"][OUTPUT_PARAMETER] = "."
    replacements = _path_replacements(run_dir, output_root, notebook)
    table = dict(replacements)
    # a path starts after a non-path character or right after an ANSI colour code ("\x1b[0;32m")
    pattern = re.compile(
        r"(?:(?<=\dm)|(?<![\w.-]))(?:"
        + "|".join(re.escape(old) for old, _ in replacements)
        + r")(?![\w.-])"
    )
    nb = _scrub(nb, pattern, table)
    executed.write_text(
        json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


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
    ``package_version``, ``data_version``.

    Examples
    --------
    >>> import tempfile
    >>> record = execute_run({"notebook": "/no/such.ipynb", "output_root": tempfile.mkdtemp(),
    ...                       "output": "such/default", "parameters": {}})
    >>> record["status"], record["error"].split(":")[0]
    ('failed', 'FileNotFoundError')
    """
    notebook = Path(task["notebook"])
    output_root = Path(task["output_root"])
    run_dir = output_root / task["output"]
    executed = run_dir / notebook.name
    parameters = dict(task["parameters"])
    kernel_name = task.get("kernel_name") or "python3"
    status, error = OK, ""
    start = time.perf_counter()
    try:
        if (run_dir / RUN_JSON).is_file():  # a folder of an earlier run: start clean
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        import papermill

        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={**parameters, OUTPUT_PARAMETER: str(run_dir)},
            cwd=str(run_dir),
            kernel_name=kernel_name,
            execution_timeout=task.get("timeout"),
            progress_bar=False,
            log_output=False,
            **_engine_options(kernel_name, notebook),
        )
    except Exception as exc:  # one failing run must not stop the batch
        status, error = FAILED, _error_summary(exc)
    seconds = round(time.perf_counter() - start, 3)
    if executed.is_file():
        try:
            _clean_executed_notebook(executed, run_dir, output_root, notebook)
        except Exception as exc:
            status = FAILED
            error = error or f"could not clean the executed notebook: {_error_summary(exc)}"
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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RunRecord:
    """What happened in one run (one row of ``index.csv``)."""

    notebook: str
    parameters: dict[str, Any]
    status: str
    error: str
    seconds: float
    output: str
    executed: str

    @property
    def ok(self) -> bool:
        """Whether the run passed."""
        return self.status == OK

    def as_row(self) -> dict[str, str]:
        """The run as an ``index.csv`` row."""
        return {
            "notebook": self.notebook,
            "parameters": json.dumps(self.parameters, ensure_ascii=False),
            "status": self.status,
            "error": self.error,
            "seconds": f"{self.seconds:.3f}",
            "output": self.output,
            "executed": self.executed,
        }


@dataclass(frozen=True)
class BatchResult:
    """The runs of a batch, in plan order, and where the index files are.

    Examples
    --------
    >>> result = BatchResult([], Path("out"), Path("out/index.csv"), Path("out/index.html"))
    >>> result.ok, result.failures
    (True, [])
    """

    records: list[RunRecord]
    output_dir: Path
    index_csv: Path
    index_html: Path

    @property
    def ok(self) -> bool:
        """True when every run passed."""
        return all(record.ok for record in self.records)

    @property
    def failures(self) -> list[RunRecord]:
        """The runs that failed."""
        return [record for record in self.records if not record.ok]

    def summary(self) -> str:
        """A short text: how many runs passed, and each failure with its error."""
        n, failed = len(self.records), self.failures
        lines = [f"{n - len(failed)} of {n} runs passed; outputs in {self.output_dir}"]
        if failed:
            lines.append(f"{len(failed)} failed:")
            for record in failed:
                lines.append(f"  {record.executed}: {record.error}")
        lines.append(f"index: {self.index_html}")
        return "\n".join(lines)


def _write_index_csv(records: Sequence[RunRecord], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(record.as_row())


def _run_files(output_root: Path, record: RunRecord) -> list[str]:
    """Files a run left in its folder (relative to the batch folder), executed notebook first."""
    run_dir = output_root / record.output
    if not run_dir.is_dir():
        return []
    files = sorted(p.relative_to(output_root).as_posix() for p in run_dir.rglob("*") if p.is_file())
    return [f for f in files if f != record.executed]


def _write_index_html(records: Sequence[RunRecord], output_root: Path, path: Path) -> None:
    esc = html.escape
    failed = sum(not r.ok for r in records)
    rows = []
    for record in records:
        params = ", ".join(f"{k}={v}" for k, v in record.parameters.items()) or "(defaults)"
        links = [f'<a href="{esc(record.executed)}">{esc(Path(record.executed).name)}</a>']
        files = _run_files(output_root, record)
        links += [
            f'<a href="{esc(f)}">{esc(f[len(record.output) + 1 :])}</a>'
            for f in files[:_MAX_LISTED_FILES]
        ]
        if len(files) > _MAX_LISTED_FILES:
            more = len(files) - _MAX_LISTED_FILES
            links.append(f'<a href="{esc(record.output)}/">... and {more} more</a>')
        rows.append(
            f'<tr class="{esc(record.status)}"><td>{esc(record.notebook)}</td>'
            f"<td>{esc(params)}</td><td>{esc(record.status)}</td>"
            f"<td>{record.seconds:.1f}</td><td>{'<br>'.join(links)}</td>"
            f"<td>{esc(record.error)}</td></tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>personalisation notebook batch</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
tr.failed td {{ background: #fde2e2; }}
</style>
</head>
<body>
<h1>Notebook batch</h1>
<p>{len(records) - failed} of {len(records)} runs passed; {failed} failed.
The runs are also listed in <a href="{INDEX_CSV}">{INDEX_CSV}</a>.</p>
<table>
<thead><tr><th>notebook</th><th>parameters</th><th>status</th><th>seconds</th><th>outputs</th><th>error</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------- batches


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
            record = execute_run(task)
            results[i] = record
            _advance(bar, record)
        return results  # type: ignore[return-value]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(execute_run, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                record = future.result()
            except Exception as exc:  # a dead worker fails its run only
                record = _failed_record(tasks[i], exc)
            results[i] = record
            _advance(bar, record)
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
                record = future.result()
            except Exception as exc:
                record = _failed_record(tasks[i], exc)
            results[i] = record
            _advance(bar, record)
    finally:
        if own_client:
            client.close()
    return results  # type: ignore[return-value]


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


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``personalisation run-notebooks``."""
    parser.description = (
        "Execute notebooks with papermill over a grid of parameters: one folder per run, "
        "index.csv and index.html in the output folder, exit code 1 if any run failed."
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="notebook paths, or names in the notebooks folder (e.g. takeup_map)",
    )
    parser.add_argument("--preset", metavar="NAME", help="a named batch (see --list-presets)")
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter; a comma list gives one run per value (repeatable; numbers parsed)",
    )
    parser.add_argument(
        "--grid",
        metavar="FILE",
        help="JSON or YAML file: a grid {name: [values]} or a list of parameter dicts",
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="batch folder (default: outputs/<preset name> or outputs/batch)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="dask.distributed scheduler address (e.g. tcp://host:8786) instead of local processes",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--kernel", default="python3", metavar="NAME", help="Jupyter kernel (default python3)"
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds allowed per cell")
    parser.add_argument("--list-presets", action="store_true", help="list the presets and exit")


def _read_grid_file(path: str) -> Any:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataNotFoundError(f"--grid {path}: cannot read the file ({exc})") from None
    try:
        if file.suffix.lower() in {".yaml", ".yml"}:
            import yaml

            content = yaml.safe_load(text)
        elif file.suffix.lower() == ".json":
            content = json.loads(text)
        else:
            raise ValueError("the file name must end in .json, .yaml or .yml")
    except ValueError as exc:
        raise ValueError(f"--grid {path}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        raise ValueError(f"--grid {path}: not valid YAML ({exc})") from None
    is_list = isinstance(content, list) and all(isinstance(item, Mapping) for item in content)
    if not isinstance(content, Mapping) and not is_list:
        raise ValueError(f"--grid {path}: expected a mapping name -> values or a list of mappings")
    return content


def _plan_from_args(args: argparse.Namespace) -> tuple[list[PlannedRun], Path]:
    """The runs and the output folder asked for on the command line (usage errors raise)."""
    overrides = parse_param_options(args.params)
    grid_file = _read_grid_file(args.grid) if args.grid else None
    if args.preset:
        if args.notebooks:
            raise ValueError("give notebooks or --preset, not both")
        if args.preset not in PRESETS:
            raise ValueError(f"unknown preset {args.preset!r} (known: {', '.join(PRESETS)})")
        if isinstance(grid_file, list):
            raise ValueError("--grid with --preset must be a mapping that overrides preset values")
        overrides = {**(grid_file or {}), **overrides}
        preset = PRESETS[args.preset]
        known = {name for _, grid in preset.plan for name in grid}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"preset {preset.name!r} has no parameter {', '.join(unknown)} "
                f"(its parameters: {', '.join(sorted(known))})"
            )
        spec: dict[Any, Any] = {}
        for notebook, preset_grid in preset.plan:
            spec[notebook] = {k: overrides.get(k, v) for k, v in preset_grid.items()}
        return plan_runs(spec), Path(args.output or Path("outputs") / preset.name)
    if not args.notebooks:
        raise ValueError("give one or more notebooks or --preset NAME (see --list-presets)")
    if isinstance(grid_file, list):
        grid: Any = [{**item, **extra} for item in grid_file for extra in expand_grid(overrides)]
    else:
        grid = {**(grid_file or {}), **overrides}
    return plan_runs(args.notebooks, grid), Path(args.output or Path("outputs") / "batch")


def _describe_presets() -> str:
    lines = []
    for preset in PRESETS.values():
        lines.append(f"{preset.name}: {preset.description}")
        for notebook, grid in preset.plan:
            values = ", ".join(f"{k}={v!r}" for k, v in grid.items())
            lines.append(f"    {notebook}  {values}")
    return "\n".join(lines)


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``personalisation run-notebooks``; 0 if every run passed, 1 if any failed, 2 on usage errors."""
    if args.list_presets:
        print(_describe_presets())
        return 0
    try:
        runs, output_dir = _plan_from_args(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"personalisation run-notebooks: error: {exc}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("personalisation run-notebooks: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        result = _run_planned(
            runs,
            output_dir,
            jobs=args.jobs,
            scheduler=args.scheduler,
            kernel_name=args.kernel,
            progress=not args.no_progress,
            timeout=args.timeout,
        )
    except (ImportError, OSError, TimeoutError) as exc:  # no dask, scheduler unreachable, ...
        print(f"personalisation run-notebooks: error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1
