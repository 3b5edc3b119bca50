"""Build the shipped geography (``geo/``): the council register, boundaries and hex layouts.

The register is written first; boundaries and hexes are then labelled from *that*
register (the output folder), not the shipped one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["build_geo", "geo_readme"]


def build_geo(
    raw_dir: str | Path, out_dir: str | Path, *, progress: Callable[[str], None] | None = None
) -> None:
    """Rebuild the council register, boundaries and hex layouts in ``out_dir`` (``geo/``).

    The boundaries and hexes are labelled from the register, so the register is written
    first and the later steps read *that* register (``out_dir``), not the shipped one.
    """
    from personalisation.build import boundaries as _boundaries
    from personalisation.build import hexes as _hexes
    from personalisation.build import register

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("geo: register")
    register.write_register(raw_dir, out_dir)
    previous = os.environ.get("PERSONALISATION_GEO_DIR")
    os.environ["PERSONALISATION_GEO_DIR"] = str(out_dir)
    _boundaries._assemble.cache_clear()
    try:
        if progress:
            progress("geo: boundaries")
        _boundaries.build_boundaries(raw_dir, out_dir / "boundaries")
        if progress:
            progress("geo: hexes")
        _hexes.build_hexes(raw_dir, out_dir / "hexes")
        if progress:
            progress("geo: House of Commons hex cartograms")
        _hexes.build_hoc_hexes(raw_dir, out_dir / "hexes")
    finally:
        if previous is None:
            os.environ.pop("PERSONALISATION_GEO_DIR", None)
        else:
            os.environ["PERSONALISATION_GEO_DIR"] = previous
        _boundaries._assemble.cache_clear()
    (out_dir / "README.md").write_text(geo_readme(out_dir), encoding="utf-8")


def geo_readme(geo_dir: str | Path) -> str:
    """A human-readable note for ``geo/`` built from its three metadata files."""
    geo_dir = Path(geo_dir)
    register_meta = json.loads((geo_dir / "register_metadata.json").read_text(encoding="utf-8"))
    parts = {
        "Council register and reorganisation events (`councils.csv`, `events.csv`)": register_meta,
        "Boundaries (`boundaries/`)": json.loads(
            (geo_dir / "boundaries" / "metadata.json").read_text(encoding="utf-8")
        ),
        "Hex layouts (`hexes/`)": json.loads(
            (geo_dir / "hexes" / "metadata.json").read_text(encoding="utf-8")
        ),
        "House of Commons Library hex cartograms (`hexes/hoc/`)": json.loads(
            (geo_dir / "hexes" / "hoc" / "metadata.json").read_text(encoding="utf-8")
        ),
    }
    counts = register_meta.get("councils_per_vintage", {})
    lines = [
        "# geo/ (built by `personalisation build-data`; do not edit by hand)",
        "",
        "Councils with adult social services responsibilities by geography vintage (from 1 April):",
        "",
        "| vintage | " + " | ".join(counts) + " |",
        "|---|" + "---|" * len(counts),
        "| councils | " + " | ".join(str(n) for n in counts.values()) + " |",
        "",
    ]
    for heading, meta in parts.items():
        lines += [
            f"## {heading}",
            "",
            f"{meta.get('title', '')}",
            "",
            f"**Licence:** {meta.get('licence', '')}",
            "",
            f"**Attribution:** {meta.get('attribution', '')}",
            "",
            "Raw files used (sha256 in the metadata file beside it): "
            + ", ".join(
                dict.fromkeys(
                    f"`{f.get('path', f.get('id', ''))}`"
                    for f in [*meta.get("sources", []), *meta.get("files", [])]
                    if isinstance(f, dict)
                )
            ),
            "",
        ]
    return "\n".join(lines)
