"""The transposed PSS-EX1 layout (2014-15): one column per council, long-term care weeks by
support type, age band and setting, read into the records of :func:`read_pss_ex1`.

Part of :mod:`personalisation.build.readers.pss_ex1` (which calls :func:`read_transposed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from personalisation.build.readers.pss_ex1 import (
    _REGION_GSS,
    ENGLAND_CODE,
    _Column,
    _council_code,
    _dash_status,
    _parse_cell,
    parse_council_label,
)
from personalisation.errors import SourceFormatError

__all__ = ["read_transposed"]

_TRANSPOSED_AGES = {"Age 18 to 64": "18-64", "Age 65 and over": "65 and over"}
_TRANSPOSED_SETTINGS = {
    "Residential": "long_term_residential_weeks",
    "Nursing": "long_term_nursing_weeks",
}


def read_transposed(
    rows: list[list[str]], header: int, path: Path, year: int, lookup: Mapping[str, str]
) -> list[dict[str, object]]:
    labels = rows[header]
    regions = rows[header - 1] if header > 0 else [""] * len(labels)
    n_labels = 5
    areas: list[tuple[int, str, str, str]] = []  # (column, code, name, level)
    seen: dict[str, int] = {}
    for j in range(n_labels, len(labels)):
        text = labels[j].strip()
        where = f"{path}: column {j + 1}"
        parsed = parse_council_label(text)
        if parsed:
            cassr, name = parsed
            if cassr in seen:
                raise SourceFormatError(
                    f"{where}: council {cassr} ({name}) appears twice (columns {seen[cassr] + 1} "
                    f"and {j + 1})"
                )
            seen[cassr] = j
            areas.append((j, _council_code(cassr, name, year, lookup, where), name, "council"))
        elif text.upper() == "ENGLAND" or regions[j].strip() == "Eng":
            areas.append((j, ENGLAND_CODE, text, "england"))
        elif text:
            e12 = lookup.get(regions[j].strip())
            if e12 and _REGION_GSS.match(str(e12)):
                areas.append((j, str(e12), text, "region"))
            # else: no real lookup gives this region an E12 code; the column is skipped.
        elif any(rows[i][j].strip() for i in range(header + 1, len(rows))):
            raise SourceFormatError(f"{where}: figures under a blank area heading")
    if not seen:
        raise SourceFormatError(f"{path}: no council columns ('102 - Cumbria') in row {header + 1}")

    wanted: list[_Column] = []
    for i in range(header + 1, len(rows)):
        cells = [c.strip() for c in rows[i][:n_labels]]
        support, age, reason, setting, provision = cells
        if support != "Long term" or setting not in _TRANSPOSED_SETTINGS:
            continue
        if provision != "Total provision":
            continue
        if age not in _TRANSPOSED_AGES:
            raise SourceFormatError(f"{path}: row {i + 1}: unexpected age category {age!r}")
        wanted.append(
            _Column(
                i,
                _TRANSPOSED_SETTINGS[setting],
                f"{_TRANSPOSED_AGES[age]}: {reason}",
                " | ".join(cells),
            )
        )
    if not wanted:
        raise SourceFormatError(
            f"{path}: no 'Long term ... Residential/Nursing ... Total provision' rows"
        )
    dash = _dash_status(rows)
    records: list[dict[str, object]] = []
    for row_spec in wanted:
        for j, code, name, level in areas:
            where = f"{path}: row {row_spec.index + 1} ({row_spec.published_code!r}), column {j + 1} ({name})"
            value, status = _parse_cell(rows[row_spec.index][j], dash, where)
            records.append(
                {
                    "council_code": code,
                    "council_name": name,
                    "geography_level": level,
                    "measure": row_spec.measure,
                    "published_code": row_spec.published_code,
                    "disaggregation": row_spec.disaggregation,
                    "value": value,
                    "status": status,
                }
            )
    return records
