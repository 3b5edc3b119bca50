"""Browsable runs: an HTML rendering of each executed notebook and a thumbnail of its first figure.

``personalisation run-notebooks`` writes, beside every executed notebook, ``<stem>.html``
(nbconvert's HTML export, figures embedded) and ``<stem>.thumbnail.png`` (the first
``image/png`` output of the notebook, as it is), so that ``index.html`` can show and link
every run without Jupyter.
"""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path
from typing import Any

__all__ = ["THUMBNAIL_SUFFIX", "first_figure", "render_html"]

#: Suffix of the thumbnail written beside an executed notebook.
THUMBNAIL_SUFFIX = ".thumbnail.png"


def render_html(executed: Path) -> Path:
    """Write ``<stem>.html`` beside an executed notebook (nbconvert, ``lab`` template).

    Examples
    --------
    >>> import nbformat, pathlib, tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Demo")])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "demo.ipynb"
    ...     nbformat.write(nb, path)
    ...     html = render_html(path)
    ...     html.name, "Demo" in html.read_text()
    ('demo.html', True)
    """
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    body, _ = _exporter().from_notebook_node(nb)
    out = executed.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


_LOCAL = threading.local()


def _exporter() -> Any:
    """This thread's nbconvert HTML exporter (``lab`` template), made once: making one loads
    and compiles its templates, a third of the time of rendering a notebook."""
    exporter = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = _LOCAL.exporter = HTMLExporter(template_name="lab")
    return exporter


def first_figure(executed: Path) -> Path | None:
    """Write the notebook's first ``image/png`` output to ``<stem>.thumbnail.png``; None if none.

    Examples
    --------
    >>> import nbformat, pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "demo.ipynb"
    ...     nbformat.write(nbformat.v4.new_notebook(), path)
    ...     first_figure(path) is None  # a notebook without a figure
    True
    """
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("image/png")
            if data:
                text = "".join(data) if isinstance(data, list) else data
                out = executed.with_name(executed.stem + THUMBNAIL_SUFFIX)
                out.write_bytes(base64.b64decode(text))
                return out
    return None
