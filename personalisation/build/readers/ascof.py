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
Skipped as doctests: they need the raw published files (not shipped).

>>> from personalisation.build.readers.ascof import read_ascof_open_data
>>> tidy = read_ascof_open_data("meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx")  # doctest: +SKIP
>>> tidy.query("council_code == 'E08000003' and measure == 'sds_users'")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.build.readers.ascof_layout import (
    _BLANK_CODES,
    _DISAGGREGATION_SUFFIXES,
    _FIGURE_TYPES,
    _IGNORED_TYPES,
    _OPEN_DATA_COLUMNS,
    _OPEN_DATA_OPTIONAL,
    _PAIR_COLUMNS,
    _TREND_COLUMNS,
    _TREND_OPTIONAL,
    _check_duplicates,
    _finish,
    _geographies,
    _keep_registry_groups,
    _map_measures,
    _parse_values,
    _periods,
    _periods_from_column,
    _read_table,
    _resolve_columns,
    _text_columns,
)
from personalisation.errors import SourceFormatError

__all__ = [
    "ascof_code_pairs",
    "read_ascof_open_data",
    "read_ascof_rds",
    "read_ascof_trend",
]


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
    Skipped as doctests: they need the raw published files (not shipped).

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
    Skipped as doctests: they need the raw published files (not shipped).

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
    Skipped as doctests: they need the raw published files (not shipped).

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
