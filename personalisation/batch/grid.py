"""Parameter grids: expand a grid into runs, parse command-line values, name run folders."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "OUTPUT_PARAMETER",
    "LazyValues",
    "expand_grid",
    "parameter_slug",
    "parse_param_options",
    "parse_value",
]

#: Parameter set by the runner for every run (the run's own folder).
OUTPUT_PARAMETER = "output_dir"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
_MAX_SLUG = 100


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

    A value made only of ASCII letters, digits and ``_.+-`` (not starting or ending with
    ``.`` or ``-``) is kept as it is.  Any other value is made safe (accents dropped, runs
    of other characters become ``-``: no ``..``, slash or control character survives) and
    the slug then ends with a digest of the parameters, so that distinct values never
    share a folder.  Long slugs are shortened and end with the digest too.  The mapping
    from folder to parameters is in the batch's ``index.csv``.

    Examples
    --------
    >>> parameter_slug({"measure": "sds_users", "year": 2015, "kind": "hex"})
    'measure-sds_users__year-2015__kind-hex'
    >>> parameter_slug({"region": "Yorkshire and The Humber"})
    'region-Yorkshire-and-The-Humber-b6502e0b918d'
    >>> parameter_slug({"x": ".."}) != parameter_slug({"x": "."})
    True
    >>> parameter_slug({})
    'default'
    """
    if not parameters:
        return "default"
    parts = []
    lossy = False
    for name, value in parameters.items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        clean = _SLUG_UNSAFE.sub("-", folded).strip("-.") or "_"
        lossy = lossy or clean != text
        parts.append(f"{name}-{clean}")
    slug = "__".join(parts)
    if len(slug) > _MAX_SLUG:
        slug = slug[: _MAX_SLUG - 13].rstrip("-_.") + "-" + _digest(parameters)
    elif lossy:
        slug = slug[: _MAX_SLUG - 13].rstrip("-_.") + "-" + _digest(parameters)
    return slug


def _digest(parameters: Mapping[str, Any]) -> str:
    text = json.dumps(parameters, sort_keys=True, ensure_ascii=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]
