"""Figures: maps and charts of the cube, as matplotlib Figures.

Public names: :func:`choropleth`, :func:`hexmap`, :func:`small_multiples` (maps, in
:mod:`personalisation.plot.maps`), :func:`trajectories`, :func:`funnel`, :func:`regions`
(charts, in :mod:`personalisation.plot.charts`), :func:`deprivation`, :func:`national` and
:func:`council_spread` (the national story, in :mod:`personalisation.plot.story`).  House style, attribution and the
"no data" hatch live in :mod:`personalisation.plot.style`; pooled class breaks in
:mod:`personalisation.plot.classify`.  Plotting parses no files and computes no statistics
beyond calling :mod:`personalisation.stats`.

Every function returns a :class:`personalisation.plot.figure.Figure`: a matplotlib Figure,
not registered with pyplot, that displays inline when it is the value of a notebook cell
(JupyterLab, Notebook, VS Code, papermill) with no ``%matplotlib`` magic, and only once even
when pyplot is imported too.  Save it with ``fig.savefig``.

Examples
--------
>>> import personalisation as pz
>>> cube = pz.load_cube(measures=["sds_users"])
>>> fig = pz.plot.choropleth(cube, "sds_users", 2021)
>>> [t.get_gid() for t in fig.texts]  # title, legend, London inset and this source note
['source_note']
"""

from __future__ import annotations

from personalisation.plot.charts import regions, trajectories
from personalisation.plot.deprivation import deprivation
from personalisation.plot.funnels import funnel
from personalisation.plot.maps import choropleth, hexmap, small_multiples
from personalisation.plot.story import council_spread, national

__all__ = [
    "choropleth",
    "council_spread",
    "deprivation",
    "funnel",
    "hexmap",
    "national",
    "regions",
    "small_multiples",
    "trajectories",
]
