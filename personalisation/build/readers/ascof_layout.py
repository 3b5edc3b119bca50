"""The ASCOF published layouts: column names and codes by layout, and the helpers that open the
files and turn their columns, periods, measure codes, cells and geographies into tidy parts.

Used by :mod:`personalisation.build.readers.ascof` (the public readers).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from personalisation.build.readers.cells import (
    cell_text,
    check_text_file,
    parse_published_number,
)
from personalisation.errors import DataNotFoundError, SourceFormatError, UnknownMeasureError
from personalisation.measures import (
    ASCOF_MEASURES,
    get,
    measure_for_code,
    period_to_year,
    year_to_period,
)
from personalisation.schema import ENGLAND_CODE, validate_tidy

#: Sheet of the open-data workbook that holds the data.
OPEN_DATA_SHEET = "in"

# Internal column name -> accepted published names (compared after _column_key).
_OPEN_DATA_COLUMNS: dict[str, tuple[str, ...]] = {
    "geo_code": ("Geographical Code",),
    "geo_name": ("Geographical Description",),
    "geo_level": ("Geographical Level",),
    "ons_code": ("ONS Code", "ONS Area Code"),
    "code": ("ASCOF Measure Code",),
    "disaggregation": ("Disaggregation Level",),
    "measure_type": ("Measure Type",),
    "measure_value": ("Measure Value",),
    "group": ("Measure Group",),
}
_OPEN_DATA_OPTIONAL: dict[str, tuple[str, ...]] = {
    "year": ("Return Year", "Year", "Financial Year"),
}
_TREND_COLUMNS: dict[str, tuple[str, ...]] = {
    "year": ("Year",),
    "geo_name": ("Geographical Description",),
    "geo_level": ("Geographical Level",),
    "ons_code": ("ONS Code", "ONS Area Code"),
    "group": ("Measure Group",),
    "measure_value": ("Measure Value",),
}
_TREND_OPTIONAL: dict[str, tuple[str, ...]] = {
    "disaggregation": ("Disaggregation Level",),
    "measure_type": ("Measure Type",),
}
_PAIR_COLUMNS: dict[str, tuple[str, ...]] = {
    "geo_code": ("Geographical Code",),
    "geo_name": ("Geographical Description",),
    "geo_level": ("Geographical Level",),
    "ons_code": ("ONS Code", "ONS Area Code"),
}

#: Published geographical levels (lower case) -> tidy geography_level.
_GEOGRAPHY_LEVELS: dict[str, str] = {
    "council": "council",
    "region": "region",
    "council type": "council_type",
    "england": "england",
}

#: Suffix of a disaggregated ASCOF code (after the measure group) -> disaggregation label.
_DISAGGREGATION_SUFFIXES: dict[str, str] = {
    "": "Total",
    "1864": "18-64",
    "65OV": "65 and over",
    "64U": "64 and under",
    "6584": "65-84",
    "85OV": "85 and over",
}
_FIGURE_TYPES: dict[str, str] = {
    "numerator": "numerator",
    "denominator": "denominator",
    "outcome": "outcome",
}
_IGNORED_TYPES: frozenset[str] = frozenset({"base", "margin of error"})

#: Council-type labels that the publisher spells differently between years -> one spelling,
#: so that ``type:<name>`` ids are stable across years.
_COUNCIL_TYPE_NAMES: dict[str, str] = {
    "metropolitan districts": "Metropolitan District",
    "unitary authorities": "Unitary Authority",
    "districts": "District",
}
_BLANK_CODES: frozenset[str] = frozenset({"", "-", "0", "nan", "none", "<na>"})

#: Every code under which the registry's ASCOF measures were ever published (any year).
_REGISTRY_CODES: frozenset[str] = frozenset(
    code for measure in ASCOF_MEASURES for code in get(measure).codes.values()
)

_TIDY_SORT = ["year", "measure", "geography_level", "council_code", "disaggregation"]


# --------------------------------------------------------------------------------------
# helpers shared by all readers
# --------------------------------------------------------------------------------------


def _read_table(path: Path, *, suffixes: Iterable[str]) -> tuple[pd.DataFrame, int]:
    """Read an xlsx (sheet ``"in"``), csv or rds file as text-like cells.

    Returns the frame and the row number (as a user would count it in the file) of its
    first data row.
    """
    suffixes = tuple(suffixes)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise SourceFormatError(
            f"{path}: expected a {' / '.join(suffixes)} file, got {suffix or 'no extension'!r}"
        )
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    if suffix == ".csv":
        return _read_csv(path), 2
    # the workbook and the rds take seconds to parse and are read by several readers in one
    # build (figures, CASSR code pairs for PSS-EX1 and the register): parse each once per
    # file version and hand out copies
    stat = path.stat()
    cached = _read_slow_file(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return cached.copy(), (1 if suffix == ".rds" else 2)


@functools.lru_cache(maxsize=4)
def _read_slow_file(path: str, size: int, mtime_ns: int) -> pd.DataFrame:
    """Parsed xlsx (sheet ``"in"``) or rds, cached per file version (size, mtime)."""
    if path.lower().endswith(".rds"):
        return _read_rds(Path(path))
    return _read_xlsx(Path(path))


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            if OPEN_DATA_SHEET not in book.sheet_names:
                raise SourceFormatError(
                    f"{path}: no sheet {OPEN_DATA_SHEET!r} (the open-data sheet); sheets: "
                    f"{book.sheet_names}"
                )
            return pd.read_excel(book, sheet_name=OPEN_DATA_SHEET, dtype=object)
    except SourceFormatError:
        raise
    except Exception as exc:  # zip / xml errors from a file that is not a workbook
        raise SourceFormatError(f"{path}: not a readable xlsx workbook ({exc})") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    check_text_file(path)
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError as exc:
            last_error = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceFormatError(f"{path}: not a readable CSV file ({exc})") from exc
    raise SourceFormatError(f"{path}: not a readable CSV file ({last_error})")


def _read_rds(path: Path) -> pd.DataFrame:
    try:
        import pyreadr
    except ImportError as exc:
        raise ImportError(
            "reading the compiled ASCOF .rds file needs pyreadr: pip install personalisation[rds]"
        ) from exc
    try:
        result = pyreadr.read_r(str(path), encoding="cp1252")
    except Exception as exc:  # pyreadr's LibrdataError / PyreadrError
        raise SourceFormatError(f"{path}: not a readable R data file ({exc})") from exc
    frames = [f for f in result.values() if isinstance(f, pd.DataFrame)]
    if len(frames) != 1:
        raise SourceFormatError(f"{path}: expected one data frame, found {len(frames)}")
    return frames[0]


def _column_key(name: object) -> str:
    """Column name compared without case, dots, underscores or repeated spaces."""
    return re.sub(r"[\s._]+", " ", str(name)).strip().lower()


def _resolve_columns(
    raw: pd.DataFrame,
    required: Mapping[str, tuple[str, ...]],
    optional: Mapping[str, tuple[str, ...]],
    *,
    where: str,
) -> pd.DataFrame:
    """The needed columns of ``raw`` under internal names; a missing column is named."""
    by_key = {_column_key(c): c for c in raw.columns}
    chosen: dict[str, object] = {}
    for internal, names in {**required, **optional}.items():
        found = next((by_key[_column_key(n)] for n in names if _column_key(n) in by_key), None)
        if found is not None:
            chosen[internal] = found
        elif internal in required:
            raise SourceFormatError(
                f"{where}: missing column {names[0]!r}; columns found: {list(raw.columns)}"
            )
    table = raw.loc[:, list(chosen.values())]
    table.columns = list(chosen)
    return table.reset_index(drop=True)


def _keep_registry_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose Measure Group is one of the registry's ASCOF codes in some year."""
    groups = table["group"]
    texts = pd.Series(pd.unique(groups))
    wanted = texts[texts.map(lambda g: cell_text(g) in _REGISTRY_CODES)]
    return table.loc[groups.isin(wanted)].copy()


def _text_columns(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Convert ``columns`` to stripped Python strings (object dtype)."""
    table = table.copy()
    for column in columns:
        table[column] = pd.Series(
            [cell_text(c) for c in table[column].astype(object)], index=table.index, dtype=object
        )
    return table


def _period_from_name(file_name: str) -> str | None:
    """Financial year in a file name: ``2019-20`` as such, or ``-2021-`` -> ``2020-21``."""
    stem = Path(file_name).stem
    found = {
        f"{start}-{end}"
        for start, end in re.findall(r"(?<!\d)(20\d{2})[-_ ](\d{2})(?!\d)", stem)
        if (int(start) + 1) % 100 == int(end)
    }
    if not found:
        found = {year_to_period(int(y)) for y in re.findall(r"(?<!\d)(20\d{2})(?!\d)", stem)}
    return found.pop() if len(found) == 1 else None


def _periods_from_column(table: pd.DataFrame, *, where: str) -> pd.Series:
    """The year column, checked to hold financial years like ``2014-15``."""
    for text in pd.unique(table["year"]):
        try:
            period_to_year(text)
        except ValueError:
            row = table.loc[table["year"] == text].iloc[0]
            raise SourceFormatError(
                f"{where}: row {row['_row'] if '_row' in row else '?'}: year {text!r} is not a "
                "financial year like '2014-15'"
            ) from None
    return table["year"]


def _periods(
    table: pd.DataFrame, *, period: str | None, file_name: str | None, where: str
) -> pd.Series:
    """Period of each row: the year column, else ``period``, else the file name."""
    if period is not None:
        try:
            period_to_year(period)
        except ValueError as exc:
            raise SourceFormatError(f"{where}: {exc}") from None
    if "year" in table.columns:
        periods = _periods_from_column(table, where=where)
        if period is not None and set(pd.unique(periods)) - {period}:
            raise SourceFormatError(
                f"{where}: period={period!r} was given but the file's year column holds "
                f"{sorted(pd.unique(periods))}"
            )
        return periods
    if period is None and file_name is not None:
        period = _period_from_name(file_name)
    if period is None:
        raise SourceFormatError(
            f"{where}: the file has no year column and no financial year could be inferred "
            "from its name; pass period='2020-21' (for example)"
        )
    return pd.Series(period, index=table.index, dtype=object)


def _map_measures(table: pd.DataFrame, *, where: str = "") -> pd.DataFrame:
    """Add the canonical measure of every row.

    Rows of other ASCOF measures (2023-24's ``1C``, carer quality of life; the pre-2023
    ``3D1``, finding information) never reach here (see :func:`_keep_registry_groups`).  A
    code that is one of ours in *another* framework year (``3D1A`` in 2019-20, ``1C1A`` in
    2023-24) is a mislabelled file: it raises rather than being dropped or mapped.

    Raises
    ------
    SourceFormatError
        Naming the code, the year and how many rows carry it.
    """
    mapping: dict[tuple[str, str], str] = {}
    for group, period in table[["group", "period"]].drop_duplicates().itertuples(index=False):
        try:
            mapping[(group, period)] = measure_for_code(group, period)
        except UnknownMeasureError as exc:
            rows = int(((table["group"] == group) & (table["period"] == period)).sum())
            raise SourceFormatError(
                f"{where}: {rows} row(s) carry measure code {group!r} in {period}, which is not "
                f"how self-directed support / direct payments were coded that year: {exc}"
            ) from None
    measures = [mapping[k] for k in zip(table["group"], table["period"], strict=True)]
    return table.assign(measure=measures)


def _parse_values(table: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """Measure Value cells -> number and status, naming the row of any unreadable cell."""
    numbers, statuses = [], []
    for cell, row in zip(table["measure_value"], table["_row"], strict=True):
        try:
            number, status = parse_published_number(cell)
        except ValueError:
            at = table.loc[table["_row"] == row].iloc[0]
            code = at["code"] if "code" in at else at["group"]
            raise SourceFormatError(
                f"{where}: row {row}: Measure Value {cell!r} is not a number or a known marker "
                f"({code}, {at.get('measure_type', 'Outcome') or 'Outcome'}, {at['geo_name']}, "
                f"{at['period']})"
            ) from None
        numbers.append(number)
        statuses.append(status)
    return pd.DataFrame({"number": numbers, "status": statuses}, index=table.index)


def _geographies(table: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """geography_level and council_code of each row."""
    columns = ["geo_level", "ons_code", "geo_name"]
    if "geo_code" in table.columns:
        columns.append("geo_code")
    resolved: dict[tuple[str, ...], tuple[str, str]] = {}
    for combo in table[columns].drop_duplicates().itertuples(index=False):
        resolved[tuple(combo)] = _geography(*combo, where=where)
    pairs = [resolved[tuple(k)] for k in table[columns].itertuples(index=False)]
    return pd.DataFrame(pairs, columns=["geography_level", "council_code"], index=table.index)


def _geography(
    level: str, ons_code: str, name: str, cassr_code: str = "", *, where: str
) -> tuple[str, str]:
    """(geography_level, council_code) of one published geography."""
    tidy_level = _GEOGRAPHY_LEVELS.get(" ".join(level.lower().split()))
    if tidy_level is None:
        raise SourceFormatError(
            f"{where}: unknown Geographical Level {level!r} (for {name!r}); expected one of "
            "Council, Region, Council Type, England"
        )
    blank = ons_code.lower() in _BLANK_CODES
    if not blank:
        return tidy_level, ons_code
    if tidy_level == "england":
        return tidy_level, ENGLAND_CODE
    if tidy_level == "council_type":
        canonical = _COUNCIL_TYPE_NAMES.get(" ".join(name.lower().split()), name)
        return tidy_level, f"type:{canonical}"
    if tidy_level == "council" and cassr_code.isdigit():
        return tidy_level, f"cassr:{cassr_code}"
    raise SourceFormatError(f"{where}: {level} {name!r} has no ONS code")


def _check_duplicates(table: pd.DataFrame, key: list[str], *, where: str) -> None:
    """Raise naming the rows when two rows give the same figure."""
    duplicated = table.duplicated(key, keep=False)
    if duplicated.any():
        shown = table.loc[duplicated, [*key, "_row"]].sort_values([*key, "_row"]).head(6)
        raise SourceFormatError(
            f"{where}: duplicated figures (same geography, year, code and type):\n"
            f"{shown.to_string(index=False)}"
        )


def _finish(tidy: pd.DataFrame, *, where: str, source_id: str) -> pd.DataFrame:
    """Add year, definition and source; sort; validate against the tidy schema."""
    if tidy.empty:
        raise SourceFormatError(
            f"{where}: no self-directed support / direct payment rows (ASCOF 1C / 3D) found"
        )
    tidy = tidy.drop(columns="_row")
    tidy["year"] = [period_to_year(p) for p in tidy["period"]]
    frameworks = {
        (m, p): get(m).framework[p]
        for m, p in tidy[["measure", "period"]].drop_duplicates().itertuples(index=False)
    }
    tidy["definition"] = [frameworks[k] for k in zip(tidy["measure"], tidy["period"], strict=True)]
    tidy["source"] = source_id
    tidy = tidy.sort_values(_TIDY_SORT, kind="stable").reset_index(drop=True)
    return validate_tidy(tidy, where=where)
