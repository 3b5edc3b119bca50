"""Readers for the NHS Digital "Adult Social Care Activity and Finance" data tables (SALT).

The workbook ``ASCFR and SALT Data Tables 2021-22.xlsx`` holds one council-level table per
sheet (``T1`` ... ``T55``): a title row (``Table 38: Number of clients accessing long term
support at the end of the year, by age band and support setting, 2021-22``), a header of
``Geography code``, ``LA code``, ``LA name``, ``Region code``, ``Region name`` and one or
two rows of column titles, then England, the regions and the 152 councils.  Counts are
rounded to the nearest 5; ``[c]`` is under 5 (``suppressed``), ``[x]`` not submitted
(``not-collected``).

Two tables are read, found by their titles and column titles, never by position:

* **T38** (SALT LTS001b): clients in long-term support at 31 March by age band and
  setting.  The four community settings are the components of ASCOF 1C parts 1A and 2A
  and are held as measures of their own (:data:`T38_MEASURES`), for ``18-64`` and
  ``65 and over`` as published, and ``Total`` (all ages) as the sum of the two where
  both are published (``published_code`` says it is derived).
  :func:`ascof_counts_from_t38` derives the 1C numerators and denominator from them.
* **T47** (SALT LTS003): carers supported during the year by type of support, held as
  published (measure ``carers_support_salt``, one disaggregation per type).  It does not
  reproduce ASCOF 1C parts 1B/2B exactly (England 88.3 against the published 89.3), so
  nothing is derived from it.

Examples
--------
Skipped as doctests: they need the raw published files (not shipped).

>>> from personalisation.build.readers.salt import read_salt_t38
>>> tidy = read_salt_t38("ASCFR and SALT Data Tables 2021-22.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.build.readers.cells import parse_published_number
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.measures import period_to_year
from personalisation.schema import ENGLAND_CODE, validate_tidy

__all__ = [
    "T38_MEASURES",
    "T47_MEASURE",
    "ascof_counts_from_t38",
    "read_salt_t38",
    "read_salt_t47",
]

#: T38 community setting (column title after "Community") -> measure id.
T38_MEASURES: dict[str, str] = {
    "direct payment only": "lts_dp_only",
    "part direct payment": "lts_part_dp",
    "cassr managed personal budget": "lts_council_managed_pb",
    "cassr commissioned support only": "lts_commissioned_only",
}
#: T38 age bands as published -> tidy disaggregation.
T38_BANDS: dict[str, str] = {"18 to 64": "18-64", "65 and over": "65 and over"}
#: Tidy measure of table T47.
T47_MEASURE = "carers_support_salt"
#: T47 column titles (lower case) -> tidy disaggregation.
T47_TYPES: dict[str, str] = {
    "direct payment": "Direct Payment",
    "part direct payment": "Part Direct Payment",
    "cassr managed personal budget": "CASSR Managed Personal Budget",
    "cassr commissioned support only": "CASSR Commissioned Support Only",
    "information, advice and other universal services/signposting": (
        "Information, Advice and other Universal Services/Signposting"
    ),
    "no direct support to carer": "No Direct Support to Carer",
    "total": "Total",
}
DEFINITION_T38 = "SALT LTS001b"
DEFINITION_T47 = "SALT LTS003"

_T38_TITLE = re.compile(
    r"^table 38: number of clients accessing long term support at the end of the year, "
    r"by age band and support setting, (\d{4}-\d{2})$"
)
_T47_TITLE = re.compile(
    r"^table 47: support provided to carers during the year, by type of support provided, "
    r"(\d{4}-\d{2})$"
)
_GEO = ("geography code", "la code", "la name", "region code", "region name")
_COUNCIL = re.compile(r"^E(06|08|09|10)\d{6}$")


def _key(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return " ".join(str(cell).split()).lower()


def _text(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return str(cell).strip()


@functools.lru_cache(maxsize=2)
def _sheets(path: str, size: int, mtime_ns: int) -> dict[str, pd.DataFrame]:
    """The T38 and T47 sheets (and any other sheet whose title may be theirs), raw cells."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            return {
                name: pd.read_excel(book, sheet_name=name, header=None, dtype=object)
                for name in book.sheet_names
                if re.fullmatch(r"T\d+", name)
            }
    except Exception as exc:  # zip / xml errors from a file that is not a workbook
        raise SourceFormatError(f"{path}: not a readable xlsx workbook ({exc})") from exc


def _load(path: str | Path) -> tuple[Path, dict[str, pd.DataFrame]]:
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise SourceFormatError(f"{path}: expected an .xlsx workbook, got {path.suffix!r}")
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    stat = path.stat()
    return path, _sheets(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _find(
    sheets: dict[str, pd.DataFrame], title: re.Pattern, label: str, where: str
) -> tuple[str, pd.DataFrame, int, str]:
    """(sheet, cells, title row, period) of the table whose title matches."""
    hits = []
    for name, cells in sheets.items():
        for i in range(min(len(cells), 10)):
            text = _key(cells.iat[i, 0]) if cells.shape[1] else ""
            match = title.match(text)
            if match:
                hits.append((name, cells, i, match.group(1)))
                break
            if text.startswith(f"table {label}:"):
                raise SourceFormatError(
                    f"{where}: sheet {name!r}: title {cells.iat[i, 0]!r} is not the expected "
                    f"Table {label} (pattern {title.pattern!r})"
                )
    if len(hits) != 1:
        raise SourceFormatError(
            f"{where}: expected one sheet titled 'Table {label}: ...', found "
            f"{[h[0] for h in hits] or 'none'}"
        )
    name, cells, row, period = hits[0]
    try:
        period_to_year(period)
    except ValueError:
        raise SourceFormatError(f"{where}: sheet {name!r}: {period!r} is not a year") from None
    return hits[0]


def _header(
    cells: pd.DataFrame, start: int, sheet: str, where: str
) -> tuple[int, list[str], list[str]]:
    """Row of ``Geography code``, every column's title (group | title) compared in lower
    case, and the same titles as published (for ``published_code``)."""
    for i in range(start, min(len(cells), start + 10)):
        keys = [_key(c) for c in cells.iloc[i]]
        if keys[: len(_GEO)] == list(_GEO):
            break
    else:
        raise SourceFormatError(
            f"{where}: sheet {sheet!r}: no header row starting {', '.join(_GEO)}"
        )
    groups, group = [], ""
    for j, cell in enumerate(cells.iloc[i]):
        if j >= len(_GEO) and _key(cell):
            group = _key(cell)
        groups.append(group if j >= len(_GEO) else "")
    own = [_key(c) for c in cells.iloc[i]]
    below = [_key(c) for c in cells.iloc[i + 1]]
    # a column with no title of its own in either row (T47's "and also") has no title
    titles = [
        " | ".join(t for t in (g, b) if t) if (b or o) else ""
        for g, b, o in zip(groups, below, own, strict=True)
    ]
    shown_groups, shown = [], ""
    for j, cell in enumerate(cells.iloc[i]):
        if j >= len(_GEO) and _key(cell):
            shown = " ".join(str(cell).split())
        shown_groups.append(shown if j >= len(_GEO) else "")
    labels = [
        " | ".join(t for t in (g, " ".join(_text(c).split())) if t) if title else ""
        for g, c, title in zip(shown_groups, cells.iloc[i + 1], titles, strict=True)
    ]
    return i, titles, labels


def _geography(line: pd.Series, at: str) -> tuple[str, str, str] | None:
    """(level, code, name) of a data row; None for blank or note rows."""
    code, name = _text(line.iat[0]), _text(line.iat[2])
    region, region_name = _text(line.iat[3]), _text(line.iat[4])
    if code:
        if not _COUNCIL.match(code):
            raise SourceFormatError(f"{at}: geography code {code!r} is not an English council")
        return "council", code, name
    if region == ENGLAND_CODE:
        return "england", region, region_name
    if region.startswith("E12") and not name:
        return "region", region, region_name
    if region or name:
        raise SourceFormatError(f"{at}: a row with region {region!r} and name {name!r}")
    return None


def _rows(cells: pd.DataFrame, header: int, sheet: str, where: str):
    for i in range(header + 2, len(cells)):
        line = cells.iloc[i]
        first = _text(line.iat[0])
        if first and not _COUNCIL.match(first) and all(_text(c) == "" for c in line.iloc[1:]):
            continue  # a note under the table
        at = f"{where}: sheet {sheet!r}, row {i + 1}"
        geo = _geography(line, at)
        if geo is not None:
            yield i + 1, at, geo, line


def _parse(cell: object, at: str, title: str) -> tuple[float, str]:
    try:
        return parse_published_number(cell)
    except ValueError:
        raise SourceFormatError(f"{at}, column {title!r}: {cell!r} is not a count") from None


def _finish(rows: list[dict], where: str, source_id: str) -> pd.DataFrame:
    tidy = pd.DataFrame(rows)
    tidy["year"] = [period_to_year(p) for p in tidy["period"]]
    tidy["numerator"] = np.nan
    tidy["denominator"] = np.nan
    tidy["source"] = source_id
    tidy = tidy.sort_values(
        ["measure", "geography_level", "council_code", "disaggregation"], kind="stable"
    ).reset_index(drop=True)
    return validate_tidy(tidy, where=where)


def read_salt_t38(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Community clients in long-term support at 31 March by delivery (SALT LTS001b, T38).

    Parameters
    ----------
    path
        The ASCFR and SALT data tables workbook (``.xlsx``).
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table of the measures in :data:`T38_MEASURES` (counts, rounded to 5 by the
        publisher) for England, regions and councils; disaggregations ``18-64`` and
        ``65 and over`` as published, and ``Total`` = their sum where both are published
        (``suppressed`` / ``not-collected`` otherwise, from the band that is not).

    Raises
    ------
    SourceFormatError
        No sheet titled Table 38, header or column titles not as expected (naming the
        sheet), a cell that is not a count, an unknown geography.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> tidy = read_salt_t38("ASCFR and SALT Data Tables 2021-22.xlsx")  # doctest: +SKIP
    >>> tidy.query("council_code == 'E08000003' and disaggregation == 'Total'")  # doctest: +SKIP
    """
    path, sheets = _load(path)
    where = str(path)
    sheet, cells, title_row, period = _find(sheets, _T38_TITLE, "38", where)
    header, titles, labels = _header(cells, title_row + 1, sheet, where)
    columns: dict[tuple[str, str], int] = {}
    for j, title in enumerate(titles):
        band, _, setting = title.partition(" | ")
        if band in T38_BANDS and setting.startswith("community "):
            kind = setting.removeprefix("community ")
            if kind not in T38_MEASURES:
                raise SourceFormatError(
                    f"{where}: sheet {sheet!r}: unknown community setting column {title!r}"
                )
            columns[(T38_MEASURES[kind], T38_BANDS[band])] = j
    expected = {(m, b) for m in T38_MEASURES.values() for b in T38_BANDS.values()}
    if set(columns) != expected:
        absent = sorted(expected - set(columns))
        raise SourceFormatError(
            f"{where}: sheet {sheet!r}: community columns missing {absent}; column titles "
            f"found: {[t for t in titles if t]}"
        )
    rows: list[dict] = []
    for _, at, geo, line in _rows(cells, header, sheet, where):
        for measure in T38_MEASURES.values():
            parts = {}
            for band in T38_BANDS.values():
                j = columns[(measure, band)]
                parts[band] = _parse(line.iat[j], at, titles[j])
                rows.append(_row(geo, period, measure, band, parts[band], f"T38 {labels[j]}"))
            statuses = [s for _, s in parts.values()]
            if all(s == "published" for s in statuses):
                total, status = sum(v for v, _ in parts.values()), "published"
            else:
                total = np.nan
                status = "suppressed" if "suppressed" in statuses else "not-collected"
            derived = f"T38 sum of 18 to 64 and 65 and over (derived): {measure}"
            rows.append(_row(geo, period, measure, "Total", (total, status), derived))
    return _finish(rows, where, source_id or path.stem)


def _row(
    geo: tuple[str, str, str],
    period: str,
    measure: str,
    band: str,
    figure: tuple[float, str],
    published: str,
) -> dict[str, object]:
    """One tidy row: ``geo`` is (level, code, name), ``figure`` (value, status); the
    definition follows from the measure (T38 or T47)."""
    level, code, name = geo
    value, status = figure
    return {
        "council_code": code,
        "council_name": name,
        "geography_level": level,
        "period": period,
        "measure": measure,
        "published_code": published,
        "disaggregation": band,
        "value": value,
        "status": status,
        "definition": DEFINITION_T47 if measure == T47_MEASURE else DEFINITION_T38,
    }


def read_salt_t47(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Carers supported during the year by type of support (SALT LTS003, T47), as published.

    Parameters
    ----------
    path
        The ASCFR and SALT data tables workbook (``.xlsx``).
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table of measure ``carers_support_salt``, one row per geography and type of
        support (:data:`T47_TYPES`; ``Total`` is the published total).  The column
        "Support Involving Cared for Person" (a subset) is not read.

    Raises
    ------
    SourceFormatError
        As :func:`read_salt_t38`.
    """
    path, sheets = _load(path)
    where = str(path)
    sheet, cells, title_row, period = _find(sheets, _T47_TITLE, "47", where)
    header, titles, labels = _header(cells, title_row + 1, sheet, where)
    columns: dict[str, int] = {}
    for j, title in enumerate(titles):
        last = title.rsplit(" | ", 1)[-1]
        if title.startswith("support involving cared for person"):
            continue
        if last in T47_TYPES and title:
            if T47_TYPES[last] in columns:
                raise SourceFormatError(f"{where}: sheet {sheet!r}: column {title!r} twice")
            columns[T47_TYPES[last]] = j
    if set(columns) != set(T47_TYPES.values()):
        raise SourceFormatError(
            f"{where}: sheet {sheet!r}: columns missing "
            f"{sorted(set(T47_TYPES.values()) - set(columns))}; titles: {[t for t in titles if t]}"
        )
    rows: list[dict] = []
    for _, at, geo, line in _rows(cells, header, sheet, where):
        for band, j in columns.items():
            figure = _parse(line.iat[j], at, titles[j])
            rows.append(_row(geo, period, T47_MEASURE, band, figure, f"T47 {labels[j]}"))
    return _finish(rows, where, source_id or path.stem)


def ascof_counts_from_t38(t38: pd.DataFrame) -> pd.DataFrame:
    """ASCOF 1C(1A) / 1C(2A) numerators and denominator derived from the T38 components.

    Numerator of ``sds_users`` = direct payment only + part direct payment + council-managed
    personal budget; numerator of ``dp_users`` = direct payment only + part direct payment;
    denominator = those three + council-commissioned support only; each summed over 18-64
    and 65 and over.  Only where all eight cells are published (no ``[c]`` / ``[x]``); the
    counts are sums of figures rounded to 5.

    Parameters
    ----------
    t38
        The output of :func:`read_salt_t38`.

    Returns
    -------
    pandas.DataFrame
        Columns ``council_code, geography_level, year, measure, numerator, denominator``
        (two rows per geography with complete cells).

    Examples
    --------
    >>> rows = [dict(council_code="E1", geography_level="council", year=2022, measure=m,
    ...              disaggregation=b, value=v, status="published")
    ...         for m, v in (("lts_dp_only", 10.0), ("lts_part_dp", 5.0),
    ...                      ("lts_council_managed_pb", 80.0), ("lts_commissioned_only", 5.0))
    ...         for b in ("18-64", "65 and over")]
    >>> ascof_counts_from_t38(pd.DataFrame(rows))[["measure", "numerator", "denominator"]]
         measure  numerator  denominator
    0   dp_users       30.0        200.0
    1  sds_users      190.0        200.0
    """
    bands = t38[t38["disaggregation"].isin(list(T38_BANDS.values()))]
    key = ["council_code", "geography_level", "year"]
    complete = bands.groupby(key)["status"].agg(lambda s: bool((s == "published").all()))
    counts = bands.groupby([*key, "measure"])["value"].sum().unstack("measure")
    counts = counts[complete.reindex(counts.index).fillna(False).to_numpy(dtype=bool)]
    n_cells = bands.groupby(key).size()
    counts = counts[n_cells.reindex(counts.index).to_numpy() == 2 * len(T38_MEASURES)]
    dp = counts["lts_dp_only"] + counts["lts_part_dp"]
    sds = dp + counts["lts_council_managed_pb"]
    denominator = sds + counts["lts_commissioned_only"]
    out = pd.concat(
        [
            pd.DataFrame({"measure": "dp_users", "numerator": dp, "denominator": denominator}),
            pd.DataFrame({"measure": "sds_users", "numerator": sds, "denominator": denominator}),
        ]
    ).reset_index()
    out = out[out["denominator"] > 0]
    return out.sort_values([*key, "measure"], kind="stable").reset_index(drop=True)
