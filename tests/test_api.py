"""The public API is declared statically and ``import personalisation`` stays light."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import personalisation as pz

INIT = Path(pz.__file__)


def _module_tree() -> ast.Module:
    return ast.parse(INIT.read_text(encoding="utf-8"))


def _literal_all() -> list[str]:
    for node in _module_tree().body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return ast.literal_eval(node.value)  # raises unless a literal
    raise AssertionError(f"{INIT} has no literal __all__")


def _type_checking_names() -> set[str]:
    names: set[str] = set()
    for node in _module_tree().body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.unparse(stmt)
                names.update(alias.asname or alias.name for alias in stmt.names)
    return names


def test_all_is_a_sorted_literal_list_and_every_name_resolves():
    names = _literal_all()
    assert names == pz.__all__
    assert names == sorted(names), "keep __all__ sorted"
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(pz, name) is not None, name
    assert {"load_cube", "harmonise", "stats", "plot", "geo"} <= set(names)


def test_type_checkers_see_every_public_name():
    assert _type_checking_names() == set(_literal_all()) - {"__version__"}


def test_lazy_names_are_the_defining_objects():
    from personalisation import cube, geo, measures

    assert pz.load_cube is cube.load_cube
    assert pz.harmonise is geo.harmonise
    assert pz.registry is measures.registry
    assert pz.stats is importlib.import_module("personalisation.stats")


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        pz.no_such_name


def test_version_comes_from_the_installed_metadata():
    assert pz.__version__ == importlib.metadata.version("personalisation")
    assert pz.__version__ != "0+unknown"


def test_py_typed_marker_ships_with_the_package():
    assert (INIT.parent / "py.typed").is_file()


def test_import_is_light_and_reads_nothing():
    code = (
        "import sys, builtins, io\n"
        "opened = []\n"
        "real_open = io.open\n"
        "def spy(file, *a, **k):\n"
        "    opened.append(str(file))\n"
        "    return real_open(file, *a, **k)\n"
        "builtins.open = io.open = spy\n"
        "import personalisation\n"
        "heavy = sorted(m for m in ('numpy', 'pandas', 'xarray', 'geopandas', 'matplotlib')"
        " if m in sys.modules)\n"
        "ours = sorted(m for m in sys.modules if m.startswith('personalisation.'))\n"
        "data = [f for f in opened if f.endswith(('.csv', '.json', '.topojson', '.parquet'))]\n"
        "print(heavy, ours, data)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[] [] []"
