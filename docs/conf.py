"""Sphinx configuration of the personalisation documentation site.

One job: configure the build (numpydoc + autosummary for the API reference, myst-nb for
the user guide and the gallery of executed notebooks) and generate, before reading, the
pages that come from the package itself:

* ``api/generated/<module>.rst``: one page per public module, listing the names in its
  ``__all__`` (or, for modules without one, the public functions and classes defined
  there), so the reference follows the code without a hand-kept list;
* ``gallery/generated/<notebook>.ipynb``: copies of the shipped notebooks
  (``notebooks/*.ipynb``), which myst-nb executes with their default parameters in a
  temporary folder (their ``output_dir`` files land there, not in the repository).

The build is offline (no intersphinx, no remote images) and is run, warnings as errors, by::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
from pathlib import Path

import personalisation

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
NOTEBOOKS = ROOT / "notebooks"

project = "personalisation"
author = "personalisation developers"
copyright = "personalisation developers; data Crown copyright (Open Government Licence v3.0)"
version = release = personalisation.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
templates_path = ["_templates"]

# -- API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

#: Public modules documented in the API reference, in reading order (data flows down).
API_MODULES = [
    "personalisation",
    "personalisation.schema",
    "personalisation.measures",
    "personalisation.cube",
    "personalisation.geo",
    "personalisation.stats",
    "personalisation.plot",
    "personalisation.outputs",
    "personalisation.batch",
    "personalisation.errors",
    "personalisation.testing",
]


def public_names(module_name: str) -> list[str]:
    """The names a module offers: its ``__all__``, or the public functions and classes it defines.

    Submodules listed in a package's ``__all__`` and re-exports of names documented on
    another page (``personalisation.harmonise`` is ``personalisation.geo.harmonise``)
    are left to that page, so each object is described once.
    """
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        source = inspect.getsource(module)
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (
                (
                    (inspect.isfunction(obj) or inspect.isclass(obj))
                    and obj.__module__ == module_name
                )
                # constants assigned here (the vocabulary of schema.py), not imported ones
                or (name.isupper() and re.search(rf"^{name}\s*[:=]", source, re.M))
            )
        ]
    kept = []
    for name in names:
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        home = getattr(obj, "__module__", module_name) or module_name
        # a re-export of a name whose own module (or its package) has a page of its own
        owner = next(
            (
                m
                for m in API_MODULES
                if m != module_name and (home == m or home.startswith(m + "."))
            ),
            None,
        )
        if module_name == "personalisation" and owner is not None and owner != "personalisation":
            continue
        kept.append(name)
    return kept


def reexports() -> list[tuple[str, str]]:
    """Top-level names that are re-exports: (name, the module page that documents it)."""
    module = personalisation
    out = []
    for name in module.__all__:
        if name.startswith("_") or name in public_names("personalisation"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        out.append((name, obj.__module__))
    return out


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_api_pages() -> None:
    """Write ``api/generated/<module>.rst`` for every module of :data:`API_MODULES`."""
    out = DOCS / "api" / "generated"
    documented = {f"{m}.rst" for m in API_MODULES}
    documented |= {f"{m}.{name}.rst" for m in API_MODULES for name in public_names(m)}
    for stale in out.glob("*.rst"):  # stubs of names that are gone (renamed, removed)
        if stale.name not in documented:
            stale.unlink()
    for module_name in API_MODULES:
        names = public_names(module_name)
        title = f"``{module_name}``"
        lines = [
            title,
            "=" * len(title),
            "",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "",
        ]
        lines += [f".. currentmodule:: {module_name}", ""]
        if module_name == "personalisation":
            pairs = reexports()
            if pairs:
                lines += [
                    "Also importable from the top level (documented on their module's page):",
                    "",
                ]
                for name, home in pairs:
                    lines.append(f"- ``personalisation.{name}``: :obj:`{home}.{name}`")
                lines.append("")
        functions = [
            n
            for n in names
            if not inspect.isclass(getattr(importlib.import_module(module_name), n))
        ]
        classes = [n for n in names if n not in functions]
        for heading, group in (("Functions and values", functions), ("Classes", classes)):
            if not group:
                continue
            lines += [heading, "-" * len(heading), "", ".. autosummary::", "   :toctree: .", ""]
            lines += [f"   {name}" for name in group]
            lines.append("")
        _write_if_changed(out / f"{module_name}.rst", "\n".join(lines))


def copy_notebooks() -> None:
    """Copy the shipped notebooks, without outputs, into ``gallery/generated/``."""
    out = DOCS / "gallery" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    if not wanted:
        raise FileNotFoundError(f"no notebooks found in {NOTEBOOKS}: the gallery would be empty")
    for stale in out.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    entries = []
    for name in sorted(wanted):
        text = (NOTEBOOKS / name).read_text()
        _write_if_changed(out / name, text)
        entries.append(_summary(Path(name).stem, json.loads(text)))
    _write_if_changed(out / "summaries.txt", "\n".join(entries))


def _summary(stem: str, notebook: dict) -> str:
    """A gallery entry: the notebook's title (its first heading) and first paragraph, linked."""
    markdown = next(
        ("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"), ""
    )
    lines = markdown.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"notebooks/{stem}.ipynb: the first cell must be a '# Title' heading")
    title = lines[0][2:].strip()
    paragraph = " ".join(markdown.strip().split("\n\n")[1].split()) if "\n\n" in markdown else ""
    parameters = next(
        (
            "".join(c["source"])
            for c in notebook["cells"]
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        "",
    )
    return (
        f"## {{doc}}`{title} <generated/{stem}>`\n\n{paragraph}\n\n"
        f"Default parameters (`notebooks/{stem}.py`):\n\n```python\n{parameters.strip()}\n```\n"
    )


write_api_pages()
copy_notebooks()

# -- notebooks (myst-nb) --------------------------------------------------------------------
#: ``PERSONALISATION_DOCS_EXECUTE=off`` skips executing (a quick build of the prose and the API).
nb_execution_mode = os.environ.get("PERSONALISATION_DOCS_EXECUTE", "force")
nb_execution_in_temp = True  # notebooks write their outputs (output_dir) into a temporary folder
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "personalisation"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False
