"""The figure every :mod:`personalisation.plot` function returns, and how it shows in Jupyter.

:class:`Figure` is a plain :class:`matplotlib.figure.Figure` that knows how to show itself:
returned as the value of a notebook cell it renders inline as a PNG (JupyterLab, classic
Notebook, VS Code, and executed notebooks written by papermill or nbclient carry it as an
``image/png`` output), without ``%matplotlib inline`` and without touching pyplot.

Why a subclass: the package's figures are not registered with pyplot (no global figure
manager, nothing kept alive between cells, no backend switch on import), so IPython's inline
backend never sees them and, until pyplot is imported in the kernel, has no formatter for
Figures at all: the cell showed ``<Figure size 750x900 with 1 Axes>``.  A ``_repr_png_``
method is IPython's documented rich-display hook.  When the user has imported pyplot (the
inline backend then registers its own PNG formatter for every Figure) that formatter is used
instead of ours, once: a figure appears exactly once either way, because it is never in
pyplot's list of figures that the inline backend flushes at the end of a cell.

Examples
--------
>>> from personalisation.plot.figure import new_figure
>>> fig = new_figure((4, 3))
>>> _ = fig.add_subplot().plot([0, 1], [0, 1])
>>> fig._repr_png_()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure as _MatplotlibFigure

__all__ = ["Figure", "new_figure"]


class Figure(_MatplotlibFigure):
    """A matplotlib Figure that displays itself inline in Jupyter as a PNG.

    Everything else is :class:`matplotlib.figure.Figure`: save it with ``fig.savefig``, add
    axes, change it as usual.
    """

    def _repr_png_(self) -> bytes:
        """PNG bytes of the figure, cropped to its content, at the figure's own dpi."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
        return buffer.getvalue()


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A new, empty :class:`Figure` of ``figsize`` inches, not registered with pyplot."""
    return Figure(figsize=figsize)
