"""ONS mid-year population estimates (MYE2, persons by single year of age) as a tidy table.

The Office for National Statistics publishes, each year, a workbook of mid-year
population estimates for local authorities in the UK.  Its MYE2 persons sheet holds one
row per area (country, region, county, unitary authority, district) and one column per
single year of age, 0 to 89, then ``90`` (or ``90+``), which counts everyone aged 90 and
over.  The layout drifts between releases:

* the persons sheet is called ``Persons UK`` (mid-2015), ``MYE2 - All`` (mid-2016,
  mid-2017), ``MYE2-All`` (mid-2018) or ``MYE2 - Persons`` (mid-2019 onwards);
* the header row (``Code``, ``Name``, [``Geography``], ``All ages``, ages...) sits on
  sheet row 2, 4 or 7, under a title that names the mid-year (``..., mid-2015``);
* age labels are numbers (``18.0``) or text (``"18"``, ``"90+"``).

:func:`read_mid_year_estimates` therefore finds the persons sheet and its header row by
content, and reads the mid-year from the sheet's title.  It keeps the areas that matter
for adult social care: councils with adult social services responsibilities (unitary
authorities ``E06``, metropolitan districts ``E08``, London boroughs ``E09`` and counties
``E10``; not shire districts ``E07``, nor Wales, Scotland or Northern Ireland), the
English regions (``E12``) and England (``E92000001``).  For each it sums the single years
of age into two count measures, ``population_18plus`` (ages 18 to 90+) and
``population_65plus`` (ages 65 to 90+).

:func:`read_mye4_series` reads the MYE4 summary sheet of the mid-2023 England and Wales
release: all-ages population by local authority, mid-2011 to mid-2023, as ONS revised it
on the 2023 boundaries (reorganised councils such as Somerset ``E06000066`` reported back
to mid-2011 on their new codes).  It is held as its own measure, ``population_all_ages``,
because its mid-2022 figures are the revised ones, not those of the original mid-2022
release read by :func:`read_mid_year_estimates`.

Which population goes with which financial year: ASCOF and PSS-EX1 figures for financial
year ``YYYY-1``-``YY`` (``year`` YYYY in the tidy table, counts at 31 March YYYY) are set
against the mid-``YYYY-1`` estimate, the mid-year inside the financial year (2022-23
against mid-2022).  :func:`personalisation.stats.per_100k` and the national series
follow this rule.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.errors import SourceFormatError, UnknownMeasureError
from personalisation.measures import published_code
from personalisation.schema import ENGLAND_CODE, validate_tidy

#: GSS code prefixes of councils with adult social services responsibilities (CASSRs):
#: unitary authorities, metropolitan districts, London boroughs, counties.
COUNCIL_PREFIXES: tuple[str, ...] = ("E06", "E08", "E09", "E10")
#: GSS code prefix of the English regions.
REGION_PREFIX = "E12"
#: GSS code of England.
#: The oldest age column of MYE2; it counts everyone of that age and over.
TOP_AGE = 90
#: Lowest age summed into each measure (up to and including :data:`TOP_AGE`).
MEASURE_MIN_AGE: dict[str, int] = {"population_18plus": 18, "population_65plus": 65}
#: Value of the tidy ``definition`` column.
DEFINITION = "ONS MYE"

#: How many rows at the top of a sheet are searched for the header row.
_HEADER_SEARCH_ROWS = 40
_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
_AGE_LABEL = re.compile(r"^(\d{1,3})(?:\.0+)?\s*(\+?)$")
_MID_YEAR = re.compile(r"\bmid[-\s]?(\d{4})\b", re.IGNORECASE)
_PERSONS = re.compile(r"\bpersons\b", re.IGNORECASE)
_ONE_SEX = re.compile(r"\b(?:males|females)\b", re.IGNORECASE)
_LEVEL_ORDER = {"england": 0, "region": 1, "council": 2}


def read_mid_year_estimates(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Read an ONS mid-year estimates workbook into the tidy schema.

    Parameters
    ----------
    path
        An ONS workbook holding an MYE2 persons sheet by single year of age (``.xls``, as
        published 2015-2021; ``.xlsx`` is read as well).
    source_id
        Value of the tidy ``source`` column; defaults to the file name.

    Returns
    -------
    pandas.DataFrame
        Tidy table (see :mod:`personalisation.schema`), two rows per area
        (measures ``population_18plus`` and ``population_65plus``): councils with adult
        social services (``geography_level`` ``"council"``), regions (``"region"``) and
        England (``"england"``).  ``period`` is ``"mid-YYYY"`` and ``year`` is YYYY;
        ``disaggregation`` is ``"Total"``; ``value`` is the count of persons;
        ``numerator`` and ``denominator`` are NaN; ``status`` is ``"published"``;
        ``definition`` is ``"ONS MYE"``.  Names are as published (regions and England in
        capitals in these files).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    SourceFormatError
        When the file is not an Excel workbook, has no persons sheet with a ``Code``
        column and single-year age columns 18..90(+), does not name its mid-year, has
        no English council or England row, or holds a non-numeric or missing count in a
        row that is read.
    SchemaError
        When the result breaks the tidy schema (for example a council listed twice).

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> from personalisation._paths import default_raw_dir
    >>> path = default_raw_dir() / "indicators/ons_mye/ukmidyearestimates2016.xls"
    >>> tidy = read_mid_year_estimates(path)  # doctest: +SKIP
    >>> tidy.query("council_code == 'E08000003'")[["period", "measure", "value"]]  # doctest: +SKIP
            period            measure     value
    ...   mid-2016  population_18plus  421438.0
    ...   mid-2016  population_65plus   50244.0
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    book = _open_workbook(path)
    with book:
        sheet, frame, header_row = _find_persons_sheet(book, path)
    year = _mid_year(frame.iloc[:header_row], path, sheet)
    columns = _header_columns(frame.iloc[header_row], path, sheet, header_row)
    body = frame.iloc[header_row + 1 :]
    codes = body.iloc[:, columns["code"]].map(_clean_text)
    levels = codes.map(_geography_level)
    kept = body.loc[levels.notna()]
    if not (levels == "council").any():
        raise SourceFormatError(
            f"{path}: sheet {sheet!r} has no rows for English councils with adult social "
            f"services (codes starting {', '.join(COUNCIL_PREFIXES)})"
        )
    if not (levels == "england").any():
        raise SourceFormatError(f"{path}: sheet {sheet!r} has no row for England ({ENGLAND_CODE})")
    counts = _age_counts(kept, columns["ages"], codes.loc[kept.index], path, sheet)

    period = f"mid-{year}"
    pieces = []
    for measure, min_age in MEASURE_MIN_AGE.items():
        ages = [age for age in columns["ages"] if age >= min_age]
        pieces.append(
            pd.DataFrame(
                {
                    "council_code": codes.loc[kept.index].to_numpy(),
                    "council_name": kept.iloc[:, columns["name"]].map(_clean_text).to_numpy(),
                    "geography_level": levels.loc[kept.index].to_numpy(),
                    "period": period,
                    "year": year,
                    "measure": measure,
                    "published_code": _published_code(measure, period, min_age),
                    "disaggregation": "Total",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "value": counts[ages].sum(axis=1).to_numpy(),
                    "status": "published",
                    "definition": DEFINITION,
                    "source": source_id if source_id is not None else path.name,
                }
            )
        )
    tidy = pd.concat(pieces, ignore_index=True)
    tidy = tidy.sort_values(
        ["measure", "geography_level", "council_code"],
        key=lambda col: col.map(_LEVEL_ORDER) if col.name == "geography_level" else col,
        kind="stable",
    )
    return validate_tidy(tidy, where=str(path))


#: Tidy measure of the MYE4 all-ages series.
MYE4_MEASURE = "population_all_ages"
_MYE4_TITLE = re.compile(r"^MYE4\b.*summary", re.IGNORECASE)
_MYE4_YEAR = re.compile(r"^mid-(\d{4})$", re.IGNORECASE)


def read_mye4_series(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Read the MYE4 all-ages series (mid-2011 onwards, latest boundaries) of an ONS workbook.

    The sheet is found by its title (``MYE4: Population estimates: Summary for ...``) and
    its columns by their titles (``Code``, ``Name``, ``Mid-2023``, ``Mid-2022``, ...), not
    by position.

    Parameters
    ----------
    path
        ``mye23tablesew.xlsx`` (or a later release with the same sheet).
    source_id
        Value of the tidy ``source`` column; defaults to the file name.

    Returns
    -------
    pandas.DataFrame
        Tidy table, measure ``population_all_ages``, one row per area (councils with adult
        social services, regions, England) and mid-year; ``period`` ``"mid-YYYY"``;
        ``published_code`` ``"MYE4 Mid-YYYY (all ages)"``; ``definition`` ``"ONS MYE"``.

    Raises
    ------
    SourceFormatError
        No MYE4 summary sheet, no ``Code`` / ``Name`` / ``Mid-YYYY`` columns, a count that
        is not a number, no England row.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> tidy = read_mye4_series("mye23tablesew.xlsx")  # doctest: +SKIP
    >>> sorted(tidy["year"].unique())[:2]  # doctest: +SKIP
    [2011, 2012]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    book = _open_workbook(path)
    with book:
        found = None
        for sheet in book.sheet_names:
            top = _read_sheet(book, sheet, nrows=_HEADER_SEARCH_ROWS)
            header_row = _header_row(top)
            if header_row is None:
                continue
            if any(_MYE4_TITLE.match(text) for text in _texts(top.iloc[:header_row])):
                found = sheet, _read_sheet(book, sheet), header_row
                break
        if found is None:
            raise SourceFormatError(
                f"{path}: no sheet titled 'MYE4: Population estimates: Summary ...' above a "
                f"'Code' header; sheets: {book.sheet_names}"
            )
    sheet, frame, header_row = found
    where = f"{path}: sheet {sheet!r}"
    labels = [_clean_text(c) for c in frame.iloc[header_row]]
    lowered = [label.lower() for label in labels]
    if "name" not in lowered:
        raise SourceFormatError(f"{where}, header row {header_row + 1}: no 'Name' column")
    code_col, name_col = lowered.index("code"), lowered.index("name")
    years = {int(m.group(1)): j for j, label in enumerate(labels) if (m := _MYE4_YEAR.match(label))}
    if not years:
        raise SourceFormatError(
            f"{where}, header row {header_row + 1}: no 'Mid-YYYY' columns; header: "
            f"{[label for label in labels if label]}"
        )
    body = frame.iloc[header_row + 1 :]
    codes = body.iloc[:, code_col].map(_clean_text)
    levels = codes.map(_geography_level)
    kept = body.loc[levels.notna()]
    if not (levels == "england").any():
        raise SourceFormatError(f"{where}: no row for England ({ENGLAND_CODE})")
    pieces = []
    for year, column in sorted(years.items()):
        counts = pd.to_numeric(kept.iloc[:, column], errors="coerce").astype(float)
        bad = ~np.isfinite(counts.to_numpy())
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            raise SourceFormatError(
                f"{where}, row {kept.index[i] + 1} ({codes.loc[kept.index[i]]}): Mid-{year} "
                f"count is not a number: {kept.iat[i, column]!r}"
            )
        pieces.append(
            pd.DataFrame(
                {
                    "council_code": codes.loc[kept.index].to_numpy(),
                    "council_name": kept.iloc[:, name_col].map(_clean_text).to_numpy(),
                    "geography_level": levels.loc[kept.index].to_numpy(),
                    "period": f"mid-{year}",
                    "year": year,
                    "measure": MYE4_MEASURE,
                    "published_code": f"MYE4 {labels[column]} (all ages)",
                    "disaggregation": "Total",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "value": counts.to_numpy(),
                    "status": "published",
                    "definition": DEFINITION,
                    "source": source_id if source_id is not None else path.name,
                }
            )
        )
    tidy = pd.concat(pieces, ignore_index=True)
    tidy = tidy.sort_values(
        ["year", "geography_level", "council_code"],
        key=lambda col: col.map(_LEVEL_ORDER) if col.name == "geography_level" else col,
        kind="stable",
    )
    return validate_tidy(tidy, where=str(path))


def _open_workbook(path: Path) -> pd.ExcelFile:
    """Open ``path`` as an Excel workbook, or raise :class:`SourceFormatError`."""
    try:
        with warnings.catch_warnings():
            # pandas 3 marks its xlrd engine as deprecated; xlrd is still the only
            # installed reader of the legacy .xls files ONS published.
            warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated.*")
            return pd.ExcelFile(path)
    except Exception as exc:  # xlrd, openpyxl and zipfile raise assorted types
        raise SourceFormatError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})"
        ) from exc


def _read_sheet(book: pd.ExcelFile, sheet: str, nrows: int | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated.*")
        return pd.read_excel(book, sheet_name=sheet, header=None, nrows=nrows, dtype=object)


def _find_persons_sheet(book: pd.ExcelFile, path: Path) -> tuple[str, pd.DataFrame, int]:
    """The persons sheet (read in full) and the position of its header row.

    A sheet is the persons sheet when one of its first rows holds a ``Code`` cell and
    its name or the title rows above that header say "persons" but not "males" or
    "females".
    """
    seen = []
    for sheet in book.sheet_names:
        top = _read_sheet(book, sheet, nrows=_HEADER_SEARCH_ROWS)
        header_row = _header_row(top)
        if header_row is None:
            continue
        title = " ".join([sheet, *_texts(top.iloc[:header_row])])
        seen.append(sheet)
        if _PERSONS.search(title) and not _ONE_SEX.search(title):
            return sheet, _read_sheet(book, sheet), header_row
    raise SourceFormatError(
        f"{path}: no MYE2 persons sheet (a sheet whose name or title says 'Persons' above a "
        f"header row with a 'Code' column) among sheets {book.sheet_names}"
        + (f"; sheets with a 'Code' header: {seen}" if seen else "")
    )


def _header_row(frame: pd.DataFrame) -> int | None:
    """Position of the first row holding a cell that reads ``Code``, or None."""
    for position in range(len(frame)):
        if any(_clean_text(cell).lower() == "code" for cell in frame.iloc[position]):
            return position
    return None


def _header_columns(header: pd.Series, path: Path, sheet: str, row: int) -> dict:
    """Positions of the code and name columns and of each single year of age in the header.

    Returns ``{"code": int, "name": int, "ages": {age: position}}``; the age columns are
    checked to run from 18 without a gap to :data:`TOP_AGE`, the open-ended top group.
    """
    where = f"{path}: sheet {sheet!r}, header row {row + 1}"
    labels = [_clean_text(cell).lower() for cell in header]
    found: dict = {"ages": {}}
    for position, label in enumerate(labels):
        if label in ("code", "name") and label not in found:
            found[label] = position
            continue
        match = _AGE_LABEL.match(label)
        if match:
            age = int(match.group(1))
            if age in found["ages"]:
                raise SourceFormatError(f"{where}: age {age} appears twice")
            found["ages"][age] = position
    if "name" not in found:
        raise SourceFormatError(f"{where}: no 'Name' column next to 'Code'")
    ages = found["ages"]
    wanted = range(min(MEASURE_MIN_AGE.values()), TOP_AGE + 1)
    missing = [age for age in wanted if age not in ages]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise SourceFormatError(
            f"{where}: single-year age columns {wanted.start}..{TOP_AGE}(+) expected; "
            f"missing ages {shown}"
        )
    if max(ages) != TOP_AGE:
        raise SourceFormatError(
            f"{where}: the oldest age column is {max(ages)}, expected {TOP_AGE} (or "
            f"'{TOP_AGE}+'), the open-ended top group"
        )
    return found


def _age_counts(
    rows: pd.DataFrame, ages: dict[int, int], codes: pd.Series, path: Path, sheet: str
) -> pd.DataFrame:
    """Counts by single year of age (columns = ages) for ``rows``; every cell a number."""
    counts = rows.iloc[:, list(ages.values())].copy()
    counts.columns = list(ages)
    numeric = counts.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(numeric.to_numpy())
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise SourceFormatError(
            f"{path}: sheet {sheet!r}, row {rows.index[row] + 1} ({codes.iloc[row]}): age "
            f"{numeric.columns[col]} count is not a number: {counts.iat[row, col]!r}"
        )
    return numeric


def _mid_year(title_rows: pd.DataFrame, path: Path, sheet: str) -> int:
    """The year named as ``mid-YYYY`` in the title rows above the header."""
    years = {int(m) for text in _texts(title_rows) for m in _MID_YEAR.findall(text)}
    if len(years) != 1:
        problem = "does not name" if not years else f"names several ({sorted(years)})"
        raise SourceFormatError(
            f"{path}: the title of sheet {sheet!r} {problem} a mid-year like 'mid-2015'"
        )
    return years.pop()


def _geography_level(code: str) -> str | None:
    """``council``, ``region`` or ``england`` for the codes kept, else None."""
    if not _GSS_CODE.match(code):
        return None
    if code == ENGLAND_CODE:
        return "england"
    if code.startswith(REGION_PREFIX):
        return "region"
    if code.startswith(COUNCIL_PREFIXES):
        return "council"
    return None


def _published_code(measure: str, period: str, min_age: int) -> str:
    """The registry's label for this measure, or the same pattern for a year it lacks."""
    try:
        return published_code(measure, period)
    except UnknownMeasureError:
        return f"MYE2 persons {min_age}-{TOP_AGE}+"


def _texts(frame: pd.DataFrame) -> list[str]:
    """Non-blank text of every cell in ``frame``, row by row."""
    values = (_clean_text(cell) for cell in frame.to_numpy().ravel())
    return [text for text in values if text]


def _clean_text(cell: object) -> str:
    """A cell as stripped text; blank for missing cells."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    return str(cell).strip()
