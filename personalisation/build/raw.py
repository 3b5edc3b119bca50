"""The one registry of raw published inputs: what the build may read, and where it is.

Every raw file the build reads is listed once in ``personalisation/build/registry.json``
(path relative to the raw directory, sha256, size in bytes, publisher, title, licence,
attribution), in the manner of pooch's ``registry.txt``.  Builders ask this module for a
file by its id (:func:`path`) and for its provenance record (:func:`record`); nothing else
in the package names a raw path.

Examples
--------
>>> from personalisation.build import raw
>>> raw.entry("mysociety_la_register").publisher
'mySociety'
>>> raw.entry("ascof_compiled_2014_19").path
'indicators/ascof_compiled_ojpreston/ascof_14_19.rds'
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from personalisation._provenance import file_record
from personalisation.errors import DataNotFoundError

__all__ = ["REGISTRY_FILE", "RawFile", "entries", "entry", "path", "record"]

#: The registry file (JSON, written deterministically).
REGISTRY_FILE = Path(__file__).resolve().parent / "registry.json"


@dataclass(frozen=True)
class RawFile:
    """One raw published file the build reads."""

    id: str
    path: str  # relative to the raw directory, POSIX separators
    sha256: str
    bytes: int
    publisher: str
    title: str
    licence: str
    attribution: str
    notes: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The entry as a plain dict (the registry file's layout)."""
        return asdict(self)


@functools.cache
def _load(registry_file: str) -> tuple[RawFile, ...]:
    document = json.loads(Path(registry_file).read_text(encoding="utf-8"))
    files = tuple(RawFile(**item) for item in document["files"])
    ids = [f.id for f in files]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{registry_file}: raw file id(s) listed twice: {duplicated}")
    return files


def entries() -> tuple[RawFile, ...]:
    """Every registered raw file, in registry order."""
    return _load(str(REGISTRY_FILE))


def entry(file_id: str) -> RawFile:
    """The registry entry of one raw file.

    Raises
    ------
    KeyError
        Naming the id and the registered ids.
    """
    for item in entries():
        if item.id == file_id:
            return item
    raise KeyError(
        f"raw file id {file_id!r} is not in the registry {REGISTRY_FILE}; "
        f"registered: {[f.id for f in entries()]}"
    )


def path(raw_dir: str | Path, file_id: str) -> Path:
    """Where a registered raw file is under ``raw_dir``.

    Raises
    ------
    DataNotFoundError
        When the file is absent (naming the id and the path).
    """
    item = entry(file_id)
    found = Path(raw_dir) / item.path
    if not found.is_file():
        raise DataNotFoundError(f"raw file for {file_id!r} not found: {found}")
    return found


def record(raw_dir: str | Path, file_id: str, *, notes: str | None = None) -> dict[str, Any]:
    """The provenance record of a registered raw file, for a ``metadata.json``.

    Parameters
    ----------
    raw_dir
        The raw directory.
    file_id
        The registry id.
    notes
        What the file is used for in this output (default: the registry's notes).
    """
    item = entry(file_id)
    return file_record(
        path(raw_dir, file_id),
        raw_dir,
        source_id=item.id,
        publisher=item.publisher,
        title=item.title,
        licence=item.licence,
        attribution=item.attribution,
        notes=item.notes if notes is None else notes,
    )
