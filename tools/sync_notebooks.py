"""Write the shipped notebooks (``notebooks/*.ipynb``) from their text source (``notebooks/*.py``).

The source of every notebook is a jupytext "percent" script: ``# %%`` starts a code cell,
``# %% [markdown]`` a narrative cell, and the cell tagged ``parameters`` (``# %% tags=["parameters"]``)
holds what papermill and ``personalisation run-notebooks`` may set.  The scripts are reviewed,
diffed and linted (``ruff``) like the rest of the code; the ``.ipynb`` files are generated from them,
unexecuted, with stable cell ids, so regenerating an unchanged script changes no byte.

Usage::

    python tools/sync_notebooks.py            # write notebooks/*.ipynb from notebooks/*.py
    python tools/sync_notebooks.py --check    # exit 1, naming them, if any .ipynb is out of date

``tests/test_notebooks.py`` runs the check, so a script edited without regenerating fails the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def render(script: Path) -> str:
    """The ``.ipynb`` text generated from one percent script."""
    notebook = jupytext.read(script, fmt="py:percent")
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{script.stem[:20]}-{index:02d}"
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def out_of_date(folder: Path = NOTEBOOKS) -> list[str]:
    """Names of notebooks whose ``.ipynb`` differs from what their script generates (or is missing)."""
    stale = []
    for script in sorted(folder.glob("*.py")):
        target = script.with_suffix(".ipynb")
        if not target.exists() or target.read_text(encoding="utf-8") != render(script):
            stale.append(target.name)
    orphans = {p.stem for p in folder.glob("*.ipynb")} - {p.stem for p in folder.glob("*.py")}
    return stale + sorted(f"{name}.ipynb (no {name}.py source)" for name in orphans)


def write_all(folder: Path = NOTEBOOKS) -> list[Path]:
    """Write every ``.ipynb`` from its script; returns the paths written."""
    written = []
    for script in sorted(folder.glob("*.py")):
        target = script.with_suffix(".ipynb")
        target.write_text(render(script), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_date()
        for name in stale:
            print(f"out of date: notebooks/{name} (run: python tools/sync_notebooks.py)")
        return 1 if stale else 0
    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
