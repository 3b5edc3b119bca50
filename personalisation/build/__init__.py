"""Build time: everything that reads the raw published files or writes ``data/`` and ``geo/``.

Rooms (run time never imports this package; a test checks it):

* :mod:`~personalisation.build.raw`: the ONE registry of raw inputs (``registry.json``);
* :mod:`~personalisation.build.readers`: one reader per published format -> tidy table;
* :mod:`~personalisation.build.lookups`: CASSR <-> GSS code pairs, passed into readers;
* :mod:`~personalisation.build.data`: combine the readers' tables -> ``data/``;
* :mod:`~personalisation.build.register_inputs`, :mod:`~personalisation.build.register`:
  the council register and its events -> ``geo/councils.csv``, ``geo/events.csv``;
* :mod:`~personalisation.build.boundaries`, :mod:`~personalisation.build.hexes`,
  :mod:`~personalisation.build.topojson`: ``geo/boundaries/``, ``geo/hexes/``;
* :mod:`~personalisation.build.geo`: the geography build in order;
* :mod:`~personalisation.build.command`: ``personalisation build-data``.
"""

from __future__ import annotations

from personalisation.build.command import add_arguments, run_from_args
from personalisation.build.data import SOURCES, Source, build_data, combine_sources, read_sources
from personalisation.build.geo import build_geo

__all__ = [
    "SOURCES",
    "Source",
    "add_arguments",
    "build_data",
    "build_geo",
    "combine_sources",
    "read_sources",
    "run_from_args",
]
