"""Reader for the DHSC ASCOF time-series workbook (``.ods``), tables 3d(1a) / 3d(2a).

From 2024-25 the Department of Health and Social Care publishes ASCOF as one workbook,
"Measures from the adult social care outcomes framework (ASCOF), England - time series of
aggregated measures", with one sheet per measure (``Table_1a`` ... ``Table_6b``).  The
self-directed support and direct payment measures are tables 3d(1a) (users, SDS) and
3d(2a) (users, DP); the carers' parts 3d(1b) / 3d(2b) were not published for 2024-25.
From 2024-25 they are derived from the client level data collection (CLD), not SALT.

Each table is found by its **title** (``Table 3d(1a): the proportion of care users who
receive self-directed support ...``) and read by its **column titles** (``Local authority
code``, ``Local authority``, ``ONS area code``, then ``2024 to 2025 - numerator``,
``... - denominator``, ``... - outcome`` for every year held), never by position, so a
later edition with more year blocks reads unchanged.  A sheet whose title or columns do
not match is refused with an error naming the sheet.

Cell markers: ``[x]`` no data available (``not-collected``), ``[c]`` suppressed,
``[z]`` not applicable (treated as withheld, ``suppressed``).  Note 10 of the workbook:
if a council's numerator or denominator is under 5 both are suppressed while the outcome
stays published; regional and national numerators and denominators are rounded to the
nearest 5 and outcomes are computed before rounding.

Examples
--------
Skipped as doctests: they need the raw published files (not shipped).

>>> from personalisation.build.readers.ascof_dhsc import read_ascof_dhsc
>>> tidy = read_ascof_dhsc("ascof_2024_25.ods")  # doctest: +SKIP
>>> tidy.query("council_code == 'E08000003'")[["measure", "numerator", "value"]]  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.build.readers.ascof_layout import _COUNCIL_TYPE_NAMES
from personalisation.build.readers.cells import parse_published_number
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.measures import get, period_to_year
from personalisation.schema import ENGLAND_CODE, validate_tidy

__all__ = ["DHSC_TABLES", "DhscTable", "read_ascof_dhsc"]


@dataclass(frozen=True)
class DhscTable:
    """One ASCOF table of the DHSC workbook that this package reads.

    Attributes
    ----------
    table
        The table's label in its title, e.g. ``"3d(1a)"``.
    measure
        Canonical measure id it is read into.
    phrase
        Words the title must contain (lower case), so that a relabelled table is refused.
    """

    table: str
    measure: str
    phrase: str


#: The tables read, in order.  The carers' parts are read when a later edition has them.
DHSC_TABLES: tuple[DhscTable, ...] = (
    DhscTable("3d(1a)", "sds_users", "care users who receive self-directed support"),
    DhscTable("3d(2a)", "dp_users", "care users who receive direct payments"),
    DhscTable("3d(1b)", "sds_carers", "carers who receive self-directed support"),
    DhscTable("3d(2b)", "dp_carers", "carers who receive direct payments"),
)
#: Tables that must be present (the carers' parts were not published for 2024-25).
REQUIRED_TABLES: tuple[str, ...] = ("3d(1a)", "3d(2a)")

_GEO_COLUMNS = {
    "la_code": "local authority code",
    "la_name": "local authority",
    "ons_code": "ons area code",
}
_YEAR_COLUMN = re.compile(r"^(\d{4}) to (\d{4}) - (numerator|denominator|outcome)$")
_TITLE = re.compile(r"^table\s+(\S+?)\s*:\s*(.*)$", re.IGNORECASE)
_COUNCIL_PREFIXES = ("E06", "E08", "E09", "E10")


def _key(cell: object) -> str:
    """Header cell compared without case or repeated spaces (en dashes read as hyphens)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return " ".join(str(cell).replace("\u2013", "-").split()).lower()


def _text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, (float, np.floating)) and float(cell).is_integer():
        return str(int(cell))
    return str(cell).strip()


@functools.lru_cache(maxsize=2)
def _sheets(path: str, size: int, mtime_ns: int) -> dict[str, pd.DataFrame]:
    """Every sheet of the workbook as raw cells (parsed once per file version)."""
    try:
        with pd.ExcelFile(path, engine="odf") as book:
            return {
                name: pd.read_excel(book, sheet_name=name, header=None, dtype=object)
                for name in book.sheet_names
                if name.lower().startswith("table_3d")
            }
    except ImportError as exc:
        raise ImportError(
            "reading the DHSC ASCOF .ods workbook needs odfpy: pip install personalisation[build]"
        ) from exc
    except Exception as exc:  # zip / xml errors from a file that is not a workbook
        raise SourceFormatError(f"{path}: not a readable OpenDocument spreadsheet ({exc})") from exc


def _find_tables(
    sheets: dict[str, pd.DataFrame], where: str
) -> dict[str, tuple[str, pd.DataFrame]]:
    """Table label -> (sheet name, raw cells), found by the title in the first cell."""
    found: dict[str, tuple[str, pd.DataFrame]] = {}
    wanted = {t.table: t for t in DHSC_TABLES}
    for name, cells in sheets.items():
        title = _key(cells.iat[0, 0]) if cells.shape[0] and cells.shape[1] else ""
        match = _TITLE.match(title)
        sheet_label = name.lower().removeprefix("table_")
        if match is None:
            if sheet_label in wanted:
                raise SourceFormatError(
                    f"{where}: sheet {name!r}: first cell {cells.iat[0, 0]!r} is not a table "
                    f"title 'Table {sheet_label}: ...'"
                )
            continue
        label, rest = match.group(1).lower(), match.group(2)
        if label != sheet_label and sheet_label in wanted:
            raise SourceFormatError(
                f"{where}: sheet {name!r} holds table {label!r}, not {sheet_label!r}"
            )
        if label not in wanted:
            continue
        spec = wanted[label]
        if spec.phrase not in rest:
            raise SourceFormatError(
                f"{where}: sheet {name!r}: title {cells.iat[0, 0]!r} does not describe "
                f"{spec.measure} (expected the words {spec.phrase!r})"
            )
        if label in found:
            raise SourceFormatError(
                f"{where}: table {label} appears on two sheets ({found[label][0]!r}, {name!r})"
            )
        found[label] = (name, cells)
    absent = [t for t in REQUIRED_TABLES if t not in found]
    if absent:
        raise SourceFormatError(
            f"{where}: no sheet titled 'Table {absent[0]}: ...' (tables required: "
            f"{', '.join(REQUIRED_TABLES)}); sheets read: {sorted(sheets)}"
        )
    return found


def _header(cells: pd.DataFrame, sheet: str, where: str) -> tuple[int, dict[str, int], dict]:
    """Header row, geography columns and year blocks ``period -> {figure: column}``."""
    for i in range(min(len(cells), 40)):
        keys = [_key(c) for c in cells.iloc[i]]
        if _GEO_COLUMNS["ons_code"] in keys:
            break
    else:
        raise SourceFormatError(
            f"{where}: sheet {sheet!r}: no header row with an 'ONS area code' column in the "
            "first 40 rows"
        )
    geo: dict[str, int] = {}
    for internal, title in _GEO_COLUMNS.items():
        hits = [j for j, k in enumerate(keys) if k == title]
        if len(hits) != 1:
            raise SourceFormatError(
                f"{where}: sheet {sheet!r}, row {i + 1}: expected one column {title!r}, found "
                f"{len(hits)}; header: {[c for c in cells.iloc[i] if _key(c)]}"
            )
        geo[internal] = hits[0]
    blocks: dict[str, dict[str, int]] = {}
    for j, k in enumerate(keys):
        if j in geo.values() or not k:
            continue
        match = _YEAR_COLUMN.match(k)
        if match is None:
            raise SourceFormatError(
                f"{where}: sheet {sheet!r}, row {i + 1}: column {cells.iat[i, j]!r} is not "
                "'<yyyy> to <yyyy> - numerator|denominator|outcome'"
            )
        start, end, figure = match.groups()
        if int(end) != int(start) + 1:
            raise SourceFormatError(
                f"{where}: sheet {sheet!r}: column {cells.iat[i, j]!r} is not a financial year"
            )
        period = f"{start}-{end[-2:]}"
        if figure in blocks.setdefault(period, {}):
            raise SourceFormatError(
                f"{where}: sheet {sheet!r}: column {cells.iat[i, j]!r} appears twice"
            )
        blocks[period][figure] = j
    for period, figures in blocks.items():
        if "outcome" not in figures:
            raise SourceFormatError(
                f"{where}: sheet {sheet!r}: year {period} has no '- outcome' column"
            )
    if not blocks:
        raise SourceFormatError(f"{where}: sheet {sheet!r}: no year columns")
    return i, geo, blocks


def _geography(la_code: str, name: str, ons: str, where: str) -> tuple[str, str]:
    """(geography_level, council_code) of one row."""
    if ons == ENGLAND_CODE or la_code.lower() == "england":
        return "england", ENGLAND_CODE
    if ons.startswith("E12"):
        return "region", ons
    if ons.startswith(_COUNCIL_PREFIXES):
        return "council", ons
    if ons in ("[z]", ""):
        canonical = _COUNCIL_TYPE_NAMES.get(" ".join(name.lower().split()), name)
        return "council_type", f"type:{canonical}"
    raise SourceFormatError(f"{where}: {name!r} has ONS area code {ons!r}, not an English code")


def _number(cell: object, where: str) -> tuple[float, str]:
    try:
        return parse_published_number(cell)
    except ValueError:
        raise SourceFormatError(f"{where}: cell {cell!r} is not a number or a marker") from None


def _read_table(
    spec: DhscTable, sheet: str, cells: pd.DataFrame, where: str, source_id: str
) -> pd.DataFrame:
    header, geo, blocks = _header(cells, sheet, where)
    rows = []
    for i in range(header + 1, len(cells)):
        line = cells.iloc[i]
        la_code = _text(line.iat[geo["la_code"]])
        name = _text(line.iat[geo["la_name"]])
        ons = _text(line.iat[geo["ons_code"]])
        if not (la_code or name or ons):
            continue
        at = f"{where}: sheet {sheet!r}, row {i + 1}"
        level, code = _geography(la_code, name, ons, at)
        for period, figures in blocks.items():
            parsed = {f: _number(line.iat[j], f"{at}, {period} {f}") for f, j in figures.items()}
            value, status = parsed["outcome"]
            rows.append(
                {
                    "council_code": code,
                    "council_name": name,
                    "geography_level": level,
                    "period": period,
                    "measure": spec.measure,
                    "published_code": f"Table {spec.table}: {cells.iat[header, figures['outcome']]}",
                    "disaggregation": "Total",
                    "numerator": parsed.get("numerator", (np.nan, ""))[0],
                    "denominator": parsed.get("denominator", (np.nan, ""))[0],
                    "value": value,
                    "status": status,
                    "_row": i + 1,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        raise SourceFormatError(f"{where}: sheet {sheet!r}: no data rows under the header")
    key = ["council_code", "geography_level", "period"]
    dupes = table.duplicated(key, keep=False)
    if dupes.any():
        shown = table.loc[dupes, [*key, "council_name", "_row"]].head(6)
        raise SourceFormatError(
            f"{where}: sheet {sheet!r}: geographies listed twice:\n{shown.to_string(index=False)}"
        )
    return table


def read_ascof_dhsc(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Read tables 3d(1a) and 3d(2a) (and 3d(1b) / 3d(2b) when present) of the DHSC workbook.

    Parameters
    ----------
    path
        The ``.ods`` workbook (needs odfpy, in the ``build`` extra).
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table (:mod:`personalisation.schema`), one row per geography, year and
        measure, ``disaggregation == "Total"``; numerator and denominator as published
        (NaN where ``[c]``); ``published_code`` names the table and outcome column
        (``"Table 3d(1a): 2024 to 2025 - outcome"``); ``definition`` from the measure
        registry (``ASCOF 3D``).

    Raises
    ------
    SourceFormatError
        Not an ``.ods`` file; a required table missing; a sheet whose title or column
        titles do not match (the error names the sheet); a cell that is neither a number
        nor a marker; a geography listed twice.
    DataNotFoundError
        When the file does not exist.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> tidy = read_ascof_dhsc("ascof_2024_25.ods")  # doctest: +SKIP
    >>> tidy.query("geography_level == 'england'")[["measure", "value"]]  # doctest: +SKIP
    """
    path = Path(path)
    where = str(path)
    if path.suffix.lower() != ".ods":
        raise SourceFormatError(f"{where}: expected an .ods workbook, got {path.suffix!r}")
    if not path.is_file():
        raise DataNotFoundError(f"{where}: no such file")
    stat = path.stat()
    sheets = _sheets(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    found = _find_tables(sheets, where)
    source_id = source_id or path.stem
    frames = [
        _read_table(spec, *found[spec.table], where, source_id)
        for spec in DHSC_TABLES
        if spec.table in found
    ]
    tidy = pd.concat(frames, ignore_index=True).drop(columns="_row")
    tidy["year"] = [period_to_year(p) for p in tidy["period"]]
    tidy["definition"] = [
        get(m).framework.get(p, "ASCOF 3D")
        for m, p in zip(tidy["measure"], tidy["period"], strict=True)
    ]
    tidy["source"] = source_id
    tidy = tidy.sort_values(
        ["year", "measure", "geography_level", "council_code"], kind="stable"
    ).reset_index(drop=True)
    return validate_tidy(tidy, where=where)
