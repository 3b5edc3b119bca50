"""The layers hold: run time never imports ``personalisation.build`` nor reads the raw files.

Each check runs in a fresh interpreter (a subprocess), so modules imported by other tests
cannot hide an import.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import personalisation
from personalisation import _paths

PACKAGE = Path(personalisation.__file__).resolve().parent

RUN_TIME = """
import json, sys
import personalisation as pz
from personalisation import cube, geo, stats, plot
import personalisation.geo.register, personalisation.geo.join
import personalisation.geo._boundaries, personalisation.geo._hexes, personalisation.geo._harmonise
try:
    import personalisation.batch
except ImportError:
    pass
c = pz.load_cube()
geo.boundaries("2023"); geo.hexes("2023"); geo.hexes("2021", layout="hoc")
geo.harmonise(c.sel(year=[2019, 2020, 2021]), to="2023")
geo.councils("2019"); geo.events()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("personalisation"))))
"""


def _run(code: str, **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_run_time_never_imports_build_nor_reads_raw(tmp_path: Path) -> None:
    # the raw directory points nowhere: any run-time read of it would fail
    loaded = _run(RUN_TIME, PERSONALISATION_RAW=str(tmp_path / "no-raw-here"))
    assert "personalisation.cube" in loaded and "personalisation.geo._hexes" in loaded
    build = [
        m for m in loaded if m.startswith(("personalisation.build", "personalisation.sources"))
    ]
    assert build == [], f"run time imported build-time modules: {build}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


RUN_TIME_MODULES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if p.relative_to(PACKAGE).parts[0] not in ("build", "sources") and p.name not in ("cli.py",)
)


@pytest.mark.parametrize("path", RUN_TIME_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_run_time_module_names_build_or_raw(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    imported = _imports(path)
    assert not any(
        m.startswith(("personalisation.build", "personalisation.sources")) for m in imported
    )
    assert "default_raw_dir" not in text or path.name == "_paths.py", "run time reads raw files"


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_every_module_opens_with_a_docstring(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 5, f"{path} has no docstring saying its job"


def test_shipped_geography_holds_what_hexes_need() -> None:
    hoc = _paths.geo_dir() / "hexes" / "hoc"
    assert sorted(p.name for p in hoc.glob("*.geojson")) == [
        f"{v}.geojson" for v in ("2013", "2019", "2020", "2021", "2023")
    ]
