"""Readers for the Adult Social Care Outcomes Framework (ASCOF) files.

Three published layouts hold the self-directed support and direct payment measures
(ASCOF 1C parts 1A/1B/2A/2B, which became 3D parts 1A/1B/2A/2B in 2023-24):

* the NHS Digital **open-data layout** (:func:`read_ascof_open_data`): one row per
  geography, measure code and measure type (Numerator / Denominator / Outcome / Base /
  Margin of Error), as an xlsx (sheet ``"in"``) or the CSV of the same layout;
* the **compiled stack** of those open-data files for 2014-15 to 2018-19, saved as an R
  data frame (:func:`read_ascof_rds`; column names with dots, codes ``1C(1A)`` before
  2016-17);
* the **outcome-only trend file** 2017-18 to 2023-24 (:func:`read_ascof_trend`; Outcome and
  Total only, so numerators and denominators stay NaN).

Every reader keeps only the rows that the measure registry maps to ``sds_users``,
``sds_carers``, ``dp_users`` or ``dp_carers`` *in that year* (2023-24's ``1C`` is carer
quality of life and the older ``3D1``/``3D2`` were "finding information": neither is
kept), and returns a tidy table checked by
:func:`personalisation.schema.validate_tidy`.

:func:`ascof_code_pairs` gives the published pairs of old 3-digit CASSR codes and GSS
(ONS) codes, which other readers use to recode files that only carry the CASSR code.

Examples
--------
>>> from personalisation.build.readers.ascof import read_ascof_open_data
>>> tidy = read_ascof_open_data("meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx")  # doctest: +SKIP
>>> tidy.query("council_code == 'E08000003' and measure == 'sds_users'")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
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
from personalisation.schema import validate_tidy

__all__ = [
    "ascof_code_pairs",
    "read_ascof_open_data",
    "read_ascof_rds",
    "read_ascof_trend",
]

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
ENGLAND_CODE = "E92000001"

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
# public readers
# --------------------------------------------------------------------------------------


def read_ascof_open_data(
    path: str | Path, *, period: str | None = None, source_id: str | None = None
) -> pd.DataFrame:
    """Read an NHS Digital ASCOF open-data file (xlsx sheet ``"in"`` or CSV).

    Keeps the self-directed support and direct payment measures (1C1A, 1C1B, 1C2A, 1C2B;
    3D1A..3D2B in 2023-24) with all their published disaggregations, one row per figure:
    the Numerator, Denominator and Outcome rows of a figure are pivoted into one row
    (Base and Margin of Error rows are ignored).

    Parameters
    ----------
    path
        The ``.xlsx`` workbook (data on sheet ``"in"``) or ``.csv`` file.
    period
        Financial year of the file, e.g. ``"2020-21"``.  Needed only when the file has no
        year column; if omitted it is inferred from the file name (``...-2021-...`` ->
        ``"2020-21"``).  When the file has a year column it must agree.
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table (see :mod:`personalisation.schema`).  ``value`` is the published
        Outcome (a percentage); ``published_code`` the ASCOF Measure Code as published
        (``1C1A1864``); ``council_code`` the ONS code (``E92000001`` for England, ``E12...``
        for regions, ``type:<council type>`` for council-type aggregates without a code).

    Raises
    ------
    SourceFormatError
        Wrong file type, no sheet ``"in"``, a missing column, an unknown geographical level
        or measure type, duplicated figures, text in Measure Value, or no year.
    SchemaError
        When the result breaks the tidy schema.

    Examples
    --------
    >>> tidy = read_ascof_open_data(
    ...     "meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx"
    ... )  # doctest: +SKIP
    >>> tidy["period"].unique().tolist()  # doctest: +SKIP
    ['2020-21']
    """
    path = Path(path)
    raw, first_row = _read_table(path, suffixes=(".xlsx", ".xlsm", ".csv"))
    return _tidy_from_open_data(
        raw,
        where=str(path),
        first_row=first_row,
        period=period,
        file_name=path.name,
        source_id=source_id or path.stem,
    )


def read_ascof_rds(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Read the compiled ASCOF open-data stack 2014-15 to 2018-19 (an R ``.rds`` file).

    The file is the NHS Digital open-data CSVs of five years bound together, with dotted
    column names (``Return.Year``, ``ASCOF.Measure.Code`` ...) and strings in cp1252.  Codes
    are ``1C(1A)``, ``1C(1A)1864`` ... in 2014-15 and 2015-16 and ``1C1A``, ``1C1A1864`` from
    2016-17.  Needs the optional dependency pyreadr (``pip install personalisation[rds]``).

    Parameters
    ----------
    path
        The ``.rds`` file.
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table, as :func:`read_ascof_open_data`, with the period of each row taken
        from ``Return.Year``.

    Raises
    ------
    ImportError
        When pyreadr is not installed.
    SourceFormatError, SchemaError
        As :func:`read_ascof_open_data`.

    Examples
    --------
    >>> tidy = read_ascof_rds("ascof_14_19.rds")  # doctest: +SKIP
    >>> sorted(tidy["period"].unique())  # doctest: +SKIP
    ['2014-15', '2015-16', '2016-17', '2017-18', '2018-19']
    """
    path = Path(path)
    raw, first_row = _read_table(path, suffixes=(".rds",))
    return _tidy_from_open_data(
        raw,
        where=str(path),
        first_row=first_row,
        period=None,
        file_name=path.name,
        source_id=source_id or path.stem,
    )


def read_ascof_trend(path: str | Path, *, source_id: str | None = None) -> pd.DataFrame:
    """Read the compiled outcome-only ASCOF trend file 2017-18 to 2023-24 (CSV).

    The compiler kept Measure Type = Outcome and Disaggregation = Total only, so the result
    has ``disaggregation == "Total"`` and NaN numerators and denominators.  Codes are
    mapped per year: ``1C1A``..``1C2B`` up to 2022-23 and ``3D1A``..``3D2B`` in 2023-24;
    2023-24's ``1C`` (carer-reported quality of life) and the older ``3D1``/``3D2``
    ("finding information") are never mapped.  The file's 2019-20 labels for 1C1B/1C2B
    are a compiler slip; the codes are right and are what is used.

    Parameters
    ----------
    path
        The ``.csv`` file (columns Year, Geographical Description, ONS Code, Measure Group,
        Measure Group Description, Measure_Value, Geographical Level, Disaggregation Level,
        Measure Type).
    source_id
        Id written to the ``source`` column; default: the file stem.

    Returns
    -------
    pandas.DataFrame
        Tidy table; ``published_code`` is the Measure Group (``3D1A``).

    Raises
    ------
    SourceFormatError
        Wrong file type, a missing column, an unknown geographical level, a row for our
        measures that is not Outcome / Total, text in Measure_Value, duplicated figures.
    SchemaError
        When the result breaks the tidy schema.

    Examples
    --------
    >>> tidy = read_ascof_trend("trend_data.csv")  # doctest: +SKIP
    >>> sorted(tidy.query("period == '2023-24'")["published_code"].unique())  # doctest: +SKIP
    ['3D1A', '3D1B', '3D2A', '3D2B']
    """
    path = Path(path)
    where = str(path)
    raw, first_row = _read_table(path, suffixes=(".csv",))
    table = _resolve_columns(raw, _TREND_COLUMNS, _TREND_OPTIONAL, where=where)
    table["_row"] = np.arange(len(table)) + first_row
    table = _keep_registry_groups(table)
    table = _text_columns(table, [c for c in table.columns if c not in ("_row", "measure_value")])
    table["period"] = _periods_from_column(table, where=where)
    table = _map_measures(table, where=where)

    for column, expected in (("disaggregation", "total"), ("measure_type", "outcome")):
        if column in table.columns:
            bad = ~table[column].str.lower().isin(["", expected])
            if bad.any():
                row = table.loc[bad].iloc[0]
                raise SourceFormatError(
                    f"{where}: row {row['_row']}: expected only {expected.title()} rows for "
                    f"{row['group']} (the trend file is outcome-only, Total only), found "
                    f"{column.replace('_', ' ')} {row[column]!r}"
                )
    table["disaggregation"] = "Total"

    values = _parse_values(table, where=where)
    geography = _geographies(table, where=where)
    tidy = pd.DataFrame(
        {
            "council_code": geography["council_code"].to_numpy(),
            "council_name": table["geo_name"].to_numpy(),
            "geography_level": geography["geography_level"].to_numpy(),
            "period": table["period"].to_numpy(),
            "measure": table["measure"].to_numpy(),
            "published_code": table["group"].to_numpy(),
            "disaggregation": table["disaggregation"].to_numpy(),
            "numerator": np.nan,
            "denominator": np.nan,
            "value": values["number"].to_numpy(),
            "status": values["status"].to_numpy(),
            "_row": table["_row"].to_numpy(),
        }
    )
    _check_duplicates(
        tidy,
        ["council_code", "geography_level", "period", "measure", "disaggregation"],
        where=where,
    )
    return _finish(tidy, where=where, source_id=source_id or path.stem)


def ascof_code_pairs(
    frame_or_path: pd.DataFrame | str | Path, *, period: str | None = None
) -> pd.DataFrame:
    """Old 3-digit CASSR codes and the GSS (ONS) codes published beside them.

    Reads the council rows of an ASCOF open-data file (xlsx / CSV) or of the compiled
    ``.rds`` stack, or of a DataFrame in that layout, and returns each published pair once
    per year.

    Parameters
    ----------
    frame_or_path
        Path of an open-data ``.xlsx`` / ``.csv`` or the compiled ``.rds``; or a DataFrame
        with the open-data columns (spaces or dots in the names).
    period
        Financial year, for files without a year column; as in
        :func:`read_ascof_open_data` it is otherwise inferred from the file name.

    Returns
    -------
    pandas.DataFrame
        Columns ``cassr_code`` (the "Geographical Code" as published, e.g. ``"306"``),
        ``council_code`` (ONS code, ``"E08000003"``), ``council_name``, ``period``; string
        dtype, sorted by period and CASSR code.

    Raises
    ------
    SourceFormatError
        When a column is missing, a council has no ONS code, or one CASSR code has two ONS
        codes (or one ONS code two CASSR codes) in the same year.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {
    ...         "Geographical Code": [306, 306],
    ...         "Geographical Description": ["Manchester", "Manchester"],
    ...         "Geographical Level": ["Council", "Council"],
    ...         "ONS Code": ["E08000003", "E08000003"],
    ...     }
    ... )
    >>> ascof_code_pairs(frame, period="2020-21").to_dict("records")
    [{'cassr_code': '306', 'council_code': 'E08000003', 'council_name': 'Manchester', \
'period': '2020-21'}]
    """
    if isinstance(frame_or_path, pd.DataFrame):
        raw, where, file_name = frame_or_path, "DataFrame", None
    else:
        path = Path(frame_or_path)
        raw, _ = _read_table(path, suffixes=(".xlsx", ".xlsm", ".csv", ".rds"))
        where, file_name = str(path), path.name
    table = _resolve_columns(raw, _PAIR_COLUMNS, _OPEN_DATA_OPTIONAL, where=where)
    level = table["geo_level"].astype(str).str.strip().str.lower()
    table = table.loc[level == "council"].drop_duplicates()
    table = _text_columns(table, list(table.columns))
    table = table.drop_duplicates()
    table["period"] = _periods(table, period=period, file_name=file_name, where=where)
    table["council_code"] = table["ons_code"]
    blank = table["council_code"].str.lower().isin(_BLANK_CODES)
    if blank.any():
        row = table.loc[blank].iloc[0]
        raise SourceFormatError(
            f"{where}: council {row['geo_name']!r} (CASSR {row['geo_code']}) has no ONS code "
            f"in {row['period']}"
        )
    pairs = table[["geo_code", "council_code", "geo_name", "period"]].rename(
        columns={"geo_code": "cassr_code", "geo_name": "council_name"}
    )
    pairs = pairs.drop_duplicates(["cassr_code", "council_code", "period"])
    for one, other in (("cassr_code", "council_code"), ("council_code", "cassr_code")):
        clash = pairs.duplicated([one, "period"], keep=False)
        if clash.any():
            raise SourceFormatError(
                f"{where}: a {one} has more than one {other} in the same year:\n"
                f"{pairs.loc[clash].sort_values([one, 'period']).head(6).to_string(index=False)}"
            )
    pairs = pairs.sort_values(["period", "cassr_code"]).reset_index(drop=True)
    return pairs.astype("string")


# --------------------------------------------------------------------------------------
# the open-data layout: shared by the xlsx / csv reader and the rds reader
# --------------------------------------------------------------------------------------


def _tidy_from_open_data(
    raw: pd.DataFrame,
    *,
    where: str,
    first_row: int,
    period: str | None,
    file_name: str | None,
    source_id: str,
) -> pd.DataFrame:
    """Open-data layout (one row per geography x code x measure type) -> tidy table."""
    table = _resolve_columns(raw, _OPEN_DATA_COLUMNS, _OPEN_DATA_OPTIONAL, where=where)
    table["_row"] = np.arange(len(table)) + first_row
    table = _keep_registry_groups(table)  # early: the rds holds every ASCOF measure
    table = _text_columns(table, [c for c in table.columns if c not in ("_row", "measure_value")])
    table["period"] = _periods(table, period=period, file_name=file_name, where=where)
    table = _map_measures(table, where=where)

    kind = table["measure_type"].str.lower()
    unknown = ~kind.isin(list(_FIGURE_TYPES) + list(_IGNORED_TYPES))
    if unknown.any():
        row = table.loc[unknown].iloc[0]
        raise SourceFormatError(
            f"{where}: row {row['_row']}: unknown Measure Type {row['measure_type']!r} for "
            f"{row['code']} ({row['period']}); expected Numerator, Denominator, Outcome, Base "
            "or Margin of Error"
        )
    table = table.loc[kind.isin(list(_FIGURE_TYPES))].copy()
    table["figure"] = table["measure_type"].str.lower().map(_FIGURE_TYPES)
    table["disaggregation"] = _disaggregations(table, where=where)

    figure_key = ["period", "geo_level", "geo_code", "ons_code", "geo_name", "code"]
    _check_duplicates(table, [*figure_key, "figure"], where=where)
    values = _parse_values(table, where=where)
    table["number"] = values["number"].to_numpy()
    table["status"] = values["status"].to_numpy()

    figures = table.drop_duplicates(figure_key)[
        [*figure_key, "group", "measure", "disaggregation", "_row"]
    ]
    for figure in ("numerator", "denominator", "outcome"):
        part = table.loc[table["figure"] == figure, [*figure_key, "number", "status"]]
        part = part.rename(columns={"number": figure, "status": f"{figure}_status"})
        figures = figures.merge(part, on=figure_key, how="left", validate="one_to_one")
    figures = figures.reset_index(drop=True)

    geography = _geographies(figures, where=where)
    outcome_status = figures["outcome_status"].fillna("missing")
    tidy = pd.DataFrame(
        {
            "council_code": geography["council_code"].to_numpy(),
            "council_name": figures["geo_name"].to_numpy(),
            "geography_level": geography["geography_level"].to_numpy(),
            "period": figures["period"].to_numpy(),
            "measure": figures["measure"].to_numpy(),
            "published_code": figures["code"].to_numpy(),
            "disaggregation": figures["disaggregation"].to_numpy(),
            "numerator": figures["numerator"].to_numpy(dtype=float),
            "denominator": figures["denominator"].to_numpy(dtype=float),
            "value": figures["outcome"].to_numpy(dtype=float),
            "status": outcome_status.to_numpy(),
            "_row": figures["_row"].to_numpy(),
        }
    )
    return _finish(tidy, where=where, source_id=source_id)


def _disaggregations(table: pd.DataFrame, *, where: str) -> pd.Series:
    """Disaggregation of each row, checked against the suffix of its ASCOF Measure Code."""
    combos = table[["code", "group", "disaggregation"]].drop_duplicates()
    resolved: dict[tuple[str, str, str], str] = {}
    for code, group, published in combos.itertuples(index=False):
        if not code.startswith(group):
            row = table.loc[(table["code"] == code) & (table["group"] == group)].iloc[0]
            raise SourceFormatError(
                f"{where}: row {row['_row']}: ASCOF Measure Code {code!r} does not belong to "
                f"Measure Group {group!r}"
            )
        from_code = _DISAGGREGATION_SUFFIXES.get(code[len(group) :])
        if published == "":
            if from_code is None:
                raise SourceFormatError(
                    f"{where}: blank Disaggregation Level for unknown code {code!r}"
                )
            resolved[(code, group, published)] = from_code
        elif from_code is not None and from_code.lower() != published.lower():
            raise SourceFormatError(
                f"{where}: ASCOF Measure Code {code!r} means {from_code!r} but the row says "
                f"Disaggregation Level {published!r}"
            )
        else:
            resolved[(code, group, published)] = published
    keys = zip(table["code"], table["group"], table["disaggregation"], strict=True)
    return pd.Series([resolved[k] for k in keys], index=table.index, dtype=object)


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
