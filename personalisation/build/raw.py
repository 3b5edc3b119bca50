"""The one registry of raw published inputs: what the build may read, where, and that it is intact.

Every raw file the build reads is listed once in ``personalisation/build/registry.json``
(path relative to the raw directory, sha256, size in bytes, publisher, title, licence,
attribution), in the manner of pooch's ``registry.txt``.  Builders ask this module for a
file by its id (:func:`path`) and for its provenance record (:func:`record`); nothing else
in the package names a raw path.

:func:`path` verifies the file against the registry (size, then sha256) before handing it
out, so no reader ever sees a truncated download or an edited copy: a difference raises
:class:`~personalisation.errors.RawFileChangedError` naming the file.  A new release is
accepted deliberately with :func:`configure` (``accept_new=True``; the CLI's
``--accept-new-raw``) and :func:`save_accepted`, which writes the new hashes into the
registry file in use.

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

from personalisation._provenance import file_record, sha256_file
from personalisation.errors import DataNotFoundError, RawFileChangedError

__all__ = [
    "REGISTRY_FILE",
    "RawFile",
    "accepted",
    "configure",
    "entries",
    "entry",
    "path",
    "record",
    "registry_file",
    "save_accepted",
    "verify",
]

#: The registry file shipped with the package (JSON, written deterministically).
REGISTRY_FILE = Path(__file__).resolve().parent / "registry.json"

# the registry in use, whether changed files are accepted, and what was accepted
_STATE: dict[str, Any] = {"registry": REGISTRY_FILE, "accept_new": False}
_ACCEPTED: dict[str, tuple[str, int]] = {}
# (absolute path, size, mtime_ns) -> sha256, so a file is hashed once per version
_HASHED: dict[tuple[str, int, int], str] = {}


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


def registry_file() -> Path:
    """The registry file in use (:data:`REGISTRY_FILE` unless :func:`configure` changed it)."""
    return Path(_STATE["registry"])


def configure(*, registry: str | Path | None = None, accept_new: bool = False) -> None:
    """Choose the registry file and whether raw files that differ from it are accepted.

    Parameters
    ----------
    registry
        A registry file (same layout as :data:`REGISTRY_FILE`); ``None`` for the shipped one.
    accept_new
        Accept raw files whose size or sha256 differ (a new release); they are collected by
        :func:`accepted` and written to the registry by :func:`save_accepted`.
    """
    _STATE["registry"] = Path(registry) if registry is not None else REGISTRY_FILE
    _STATE["accept_new"] = bool(accept_new)
    _ACCEPTED.clear()


def accepted() -> dict[str, tuple[str, int]]:
    """Raw files accepted although they differ from the registry: id -> (sha256, bytes)."""
    return dict(_ACCEPTED)


def save_accepted() -> Path | None:
    """Write the accepted files' sha256 and size into the registry in use.

    Returns
    -------
    pathlib.Path or None
        The registry file written, or ``None`` when nothing was accepted.
    """
    if not _ACCEPTED:
        return None
    target = registry_file()
    document = json.loads(target.read_text(encoding="utf-8"))
    for item in document["files"]:
        if item["id"] in _ACCEPTED:
            item["sha256"], item["bytes"] = _ACCEPTED[item["id"]]
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _load.cache_clear()
    _ACCEPTED.clear()
    return target


def entries() -> tuple[RawFile, ...]:
    """Every registered raw file, in registry order."""
    return _load(str(registry_file()))


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
        f"raw file id {file_id!r} is not in the registry {registry_file()}; "
        f"registered: {[f.id for f in entries()]}"
    )


def _sha256(found: Path, size: int) -> str:
    key = (str(found.resolve()), size, found.stat().st_mtime_ns)
    if key not in _HASHED:
        _HASHED[key] = sha256_file(found)
    return _HASHED[key]


def verify(found: Path, item: RawFile) -> None:
    """Check one file against its registry entry: size first (a truncated download), then sha256.

    Raises
    ------
    RawFileChangedError
        Naming the file, what differs and how to accept a new release; unless changed files
        are accepted (:func:`configure`), in which case the new values are recorded.
    """
    size = found.stat().st_size
    digest = _sha256(found, size)
    if size == item.bytes and digest == item.sha256:
        return
    if _STATE["accept_new"]:
        _ACCEPTED[item.id] = (digest, size)
        return
    what = (
        f"size {size} bytes, expected {item.bytes} (truncated or partial download?)"
        if size != item.bytes
        else f"sha256 {digest[:16]}..., expected {item.sha256[:16]}... (same size, edited?)"
    )
    raise RawFileChangedError(
        f"{found}: raw file {item.id!r} differs from the registry {registry_file()}: {what}. "
        "It was not read. If this is a new release, accept it deliberately with "
        "`personalisation build-data --accept-new-raw` (which updates the registry), or "
        "restore the published file."
    )


def path(raw_dir: str | Path, file_id: str) -> Path:
    """Where a registered raw file is under ``raw_dir``, verified against the registry.

    Raises
    ------
    DataNotFoundError
        When the file is absent (naming the id and the path).
    RawFileChangedError
        When its size or sha256 differs from the registry (see :func:`verify`).
    """
    item = entry(file_id)
    found = Path(raw_dir) / item.path
    if not found.is_file():
        if found.exists():
            raise DataNotFoundError(f"raw file for {file_id!r} is not a file: {found}")
        raise DataNotFoundError(f"raw file for {file_id!r} not found: {found}")
    verify(found, item)
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
