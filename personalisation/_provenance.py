"""Provenance records for shipped artefacts: which raw file, its hash, publisher and licence.

Every artefact written to ``data/`` or ``geo/`` is listed in a ``metadata.json`` beside it,
with one :func:`file_record` per raw file it was built from.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

OGL_V3 = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0."
)
DHSC_ATTRIBUTION = (
    "Contains public sector information from the Department of Health and Social Care "
    "(Adult Social Care Outcomes Framework 2024-25, from NHS England client level data) "
    "licensed under the Open Government Licence v3.0."
)
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right {year}."
NHS_ATTRIBUTION = (
    "Contains public sector information from NHS Digital / NHS England (Adult Social Care "
    "Outcomes Framework; Personal Social Services Expenditure and Unit Costs) licensed under "
    "the Open Government Licence v3.0."
)


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def file_record(
    path: str | Path,
    raw_dir: str | Path,
    *,
    source_id: str,
    publisher: str,
    title: str,
    licence: str = OGL_V3,
    attribution: str = "",
    notes: str = "",
) -> dict[str, Any]:
    """One raw file's provenance: id, path relative to the raw dir, size, sha256, publisher..."""
    path = Path(path)
    return {
        "id": source_id,
        # relative to the raw folder as given (not resolved: a raw folder of symlinks is fine)
        "path": Path(os.path.relpath(os.path.abspath(path), os.path.abspath(raw_dir))).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "publisher": publisher,
        "title": title,
        "licence": licence,
        "attribution": attribution,
        "notes": notes,
    }


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON deterministically (sorted keys, fixed indentation, trailing newline)."""
    Path(path).write_text(
        json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
