"""Planning a batch: resolve notebooks, expand their grids, give every run its own folder."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personalisation.batch.grid import (
    _MAX_SLUG,
    _check_parameters,
    _digest,
    expand_grid,
    parameter_slug,
)
from personalisation.errors import DataNotFoundError

__all__ = ["PlannedRun", "check_parameters", "declared_parameters", "plan_runs", "resolve_notebook"]


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
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "demo.ipynb"
    ...     nbformat.write(nbformat.v4.new_notebook(), path)
    ...     [run.output for run in plan_runs([path], {"year": [2015, 2016]})]
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


_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int, float),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook's ``parameters`` cell declares (papermill's inspection).

    Returns name -> ``{"inferred_type_name": ..., "default": ...}``; empty when the
    notebook has no cell tagged ``parameters``.
    """
    import papermill

    return dict(papermill.inspect_notebook(str(notebook)))


def _declared_type(spec: Mapping[str, Any]) -> str:
    """``int``, ``str``, ... from the annotation papermill found, else from the default."""
    import ast

    kind = str(spec.get("inferred_type_name", "None")).split("[")[0].strip()
    if kind not in ("None", ""):
        return kind
    try:
        default = ast.literal_eval(str(spec.get("default")))
    except (ValueError, SyntaxError):
        return "None"
    return "None" if default is None else type(default).__name__


def check_parameters(runs: Sequence[PlannedRun]) -> None:
    """Refuse, before anything runs, a parameter a notebook does not declare or of the wrong type.

    Raises
    ------
    ValueError
        A parameter name the notebook's ``parameters`` cell does not declare, listing
        the declared ones (papermill would only warn, and run with the default).
    TypeError
        A value whose type differs from the declared parameter's, from its annotation or
        else its default (numbers are accepted for numbers; a parameter whose default is
        None, or not a literal, accepts anything).
    """
    from personalisation.batch.grid import OUTPUT_PARAMETER

    declared: dict[Path, dict[str, dict[str, Any]]] = {}
    for run in runs:
        if run.notebook not in declared:
            declared[run.notebook] = declared_parameters(run.notebook)
        known = declared[run.notebook]
        unknown = sorted(set(run.parameters) - set(known))
        if unknown:
            listed = ", ".join(n for n in known if n != OUTPUT_PARAMETER) or "none"
            raise ValueError(
                f"notebook {run.notebook.name} declares no parameter {', '.join(unknown)} "
                f"(its parameters: {listed}); nothing was run"
            )
        for name, value in run.parameters.items():
            kind = _declared_type(known[name])
            allowed = _TYPES.get(kind)
            if value is None or allowed is None:
                continue
            wrong = not isinstance(value, allowed) or (kind != "bool" and isinstance(value, bool))
            if wrong:
                kind = "number" if kind in ("int", "float") else kind
                raise TypeError(
                    f"notebook {run.notebook.name}: parameter {name} expects a {kind} "
                    f"(default {known[name].get('default')}), got {type(value).__name__} "
                    f"{value!r}; nothing was run"
                )
