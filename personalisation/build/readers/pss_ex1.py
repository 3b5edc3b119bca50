"""PSS-EX1 activity tables by CASSR (2008-09 to 2014-15) as a tidy table.

The NHS Information Centre / HSCIC published, with each year's *Personal Social Services:
Expenditure and Unit Costs, England* (PSS-EX1), an annex of activity data by council with
adult social services responsibilities (CASSR).  Councils are named by their old 3-digit
CASSR code (``306 - Manchester``).  Two layouts exist:

* **wide** (2008-09 to 2013-14): one row per council plus ``TOTAL England``, one column
  per figure, under a title line that names the year and four to six header rows (section,
  group, label, sub-label, reference code such as ``A4.18``).  The header block starts
  one row lower in 2010-11; 2008-09 puts the CASSR code and the name in two columns
  (``204``, ``Barnsley``) and calls the England row ``England``.  Counts are rounded to
  the nearest 5 and carry comma thousands separators.
* **transposed** (2014-15): councils are columns (``102 - Cumbria``), with a row of region
  abbreviations (``NW``, ``NE`` ... ``Eng``) above them, then region and ``ENGLAND``
  columns; rows are labelled by support type, age, primary support reason, setting and
  provision.  The file has no title line; its year is read from the file name
  (``...-14-15-...``).

What is extracted (measure ids are those of :mod:`personalisation.measures`):

* ``dp_clients``: clients receiving direct payments at 31 March, only from columns
  labelled "Direct payments": ``Total`` (all ages), ``18-64``, ``65 and over`` or, where
  65+ is published in bands, ``65-74``, ``75-84``, ``85 and over``;
* ``dp_pb_clients``: columns labelled "Existing / new Direct payments and Personal
  Budgets" (2009-10, 2010-11), same disaggregations;
* ``home_care_clients`` and ``day_care_clients``: clients receiving home care / day care
  at 31 March, ``Total`` and ``65 and over``;
* ``dp_carers_count``: carers (caring for adults) receiving direct payments *during the
  year*, by the published age bands ``16-17``, ``18-64``, ``65-74``, ``75-84``,
  ``85 and over`` (no total is published, so there is no ``Total``);
* ``dp_carers_count_31march``: carers receiving direct payments *at 31 March*, ``Total``
  (2009-10 to 2013-14);
* ``long_term_residential_weeks`` and ``long_term_nursing_weeks`` (2014-15 only): weeks
  of long-term residential / nursing care, total provision, by
  ``<age>: <primary support reason>`` (``18-64: Physical support``).

The 2014-15 annex holds no client counts at all (direct payments, home and day care moved
to SALT); it is read for the long-term care weeks only.  Hourly home-care rates, short-term
support, capital charges and the "Number of SALT Clients" row are not extracted, nor are
the client-group splits (physical disability, learning disability, mental health) of the
wide files.  No total is ever computed: a 65 and over figure appears only where the file
publishes one.

``published_code`` is the column (or row) label exactly as published, stripped of
surrounding spaces; for the carers' age bands, whose label alone does not say what is
counted, it is the group label and the band joined by ``" | "``; for 2014-15 it is the
five row labels joined by ``" | "``.

Councils are mapped from CASSR codes to GSS codes with a lookup (see
:func:`personalisation.build.lookups.cassr_code_lookup`).  Bedfordshire (610) and Cheshire (320) county councils,
abolished on 1 April 2009 before GSS codes existed, appear in 2008-09 as ``cassr:610`` and
``cassr:320`` with their published names.  Any other code missing from the lookup raises
:class:`~personalisation.errors.UnknownCouncilError`.  ``TOTAL England`` becomes
``E92000001`` (geography level ``england``).  Region columns (2014-15 only) become level
``region`` with their E12 code when the lookup maps the published abbreviation (``NE``) to
one, as :func:`personalisation.build.lookups.cassr_code_lookup` does from ``ons_codes.csv``; with a lookup that lacks them
the region columns are skipped.

Cell markers: ``..`` and blank (not available), ``:`` (2014-15, mandatory data
unavailable) give status ``not-collected``; ``*`` gives ``suppressed``.  ``-`` gives
``not-collected`` except in files whose notes define it as "greater than 0 and less than or
equal to 5" (2009-10), where it is a withheld small number, status ``suppressed``.  The
2008-09 file uses ``-`` without defining it and is read with the default.  England rows are
read as published: they are rounded to 5 like every figure, and "England totals include
estimates for missing data items" (2012-13 and 2013-14 notes), so they are not always the
sum of the council rows.

Two files in the raw folder are *not* activity tables and are refused with
:class:`~personalisation.errors.SourceFormatError`: the 2008-09 *unit costs* table (its
"Number of adults ... receiving direct payments at 31 March" is a unit-cost denominator in
client-weeks, about 52 times the head count) and anything without a PSS-EX1 activity
title or council rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from personalisation.build.readers.cells import check_text_file, parse_published_number
from personalisation.errors import SourceFormatError, UnknownCouncilError
from personalisation.measures import period_to_year
from personalisation.schema import ENGLAND_CODE, flag_inconsistent, validate_tidy

#: Value of the tidy ``definition`` column for the wide files (client counts from RAP) ...
DEFINITION = "PSS-EX1 (RAP)"
#: ... and for the transposed 2014-15 file (care weeks from the PSS-EX1 return itself).
DEFINITION_2014_15 = "PSS-EX1"
#: GSS code of England.
#: County councils abolished on 1 April 2009, before GSS codes existed: CASSR code -> name.
ABOLISHED_BEFORE_GSS: dict[str, str] = {"320": "Cheshire", "610": "Bedfordshire"}
#: Last year in which the councils of :data:`ABOLISHED_BEFORE_GSS` reported.
ABOLISHED_LAST_YEAR = 2009

_COUNCIL_GSS = re.compile(r"^E(?:06|08|09|10)\d{6}$")
_REGION_GSS = re.compile(r"^E12\d{6}$")
_CASSR_KEY = re.compile(r"^\d{3}$")
_REGION_KEY = re.compile(r"^[A-Z]{1,2}$")

_CODE_NAME = re.compile(r"^\s*(\d{3})\s*-\s*(\S.*?)\s*$")
_CODE_ONLY = re.compile(r"^\s*(\d{3})\s*$")
_ENGLAND_ROW = re.compile(r"^\s*(?:total\s+)?england\s*$", re.IGNORECASE)
_TITLE_PERIOD = re.compile(r"\b(20\d\d)-(\d\d)\b")
_NAME_PERIODS = (
    re.compile(r"(?<!\d)(20\d\d)[-_ ](\d\d)(?!\d)"),
    re.compile(r"(?<!\d)(\d\d)-(\d\d)(?!\d)"),
)
_REF_CODE = re.compile(r"^[A-Z]\d+(?:\.\d+)?[A-Z]?$")
_SMALL_DASH_NOTE = re.compile(r"^-\s*means greater than 0", re.IGNORECASE)

# Wide-layout column labels.  2009-10 onwards: "Total all ages, Direct payments (sum of RAP
# P2s ...)"; 2008-09: "Table P2s Pages 2 + 4 + 6 line 11 col 1 (all ages direct payments)".
_TOTAL_LABEL = re.compile(
    r"^Total (all ages|18-64|65 and over|65-74|75-84|85 and over), (.+?)\s*\((?:sum of )?RAP\b",
    re.IGNORECASE,
)
_TABLE_LABEL = re.compile(
    r"\((all ages|18-64 total|65\+|65-74|75-84|85\+) (home care|day care|meals|direct payments)\)\s*$",
    re.IGNORECASE,
)
_CARERS_BAND = re.compile(
    r"^(?:Young carers|Carers)\s*\(?aged (16-17|18-64|65-74|75-84|85 and over)\)?$", re.IGNORECASE
)
_CARERS_31MARCH = re.compile(r"^Carers receiving direct payments at 31 March(?: \d{4})?$", re.I)
_AGE_BANDS = {
    "all ages": "Total",
    "18-64": "18-64",
    "18-64 total": "18-64",
    "65 and over": "65 and over",
    "65+": "65 and over",
    "65-74": "65-74",
    "75-84": "75-84",
    "85 and over": "85 and over",
    "85+": "85 and over",
    "16-17": "16-17",
}

# Transposed layout (2014-15).
_TRANSPOSED_HEADER = ("Support type", "Age category")
_LEVEL_ORDER = {"england": 0, "region": 1, "council": 2}


@dataclass(frozen=True)
class _Column:
    """One wanted column (wide layout) or row (transposed layout) of a file."""

    index: int
    measure: str
    disaggregation: str
    published_code: str


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


def read_pss_ex1(
    path: str | Path,
    *,
    code_lookup: Mapping[str, str],
    source_id: str | None = None,
    expected_figures: Mapping[str, Collection[tuple[str, str]]] | None = None,
) -> pd.DataFrame:
    """Read one PSS-EX1 activity table (any year 2008-09 to 2014-15) into the tidy schema.

    The year is read from the title line (from the file name for the untitled 2014-15
    file) and the layout (wide or transposed) from the content; see the module docstring
    for the measures, disaggregations, markers and codes.

    Parameters
    ----------
    path
        The CSV as published.
    code_lookup
        CASSR code (``"306"``) -> GSS code (``"E08000003"``), and optionally region
        abbreviation (``"NE"``) -> E12 code, from
        :func:`personalisation.build.lookups.cassr_code_lookup` (passed in: the reader does
        not look for lookups itself).
    source_id
        Value of the ``source`` column; default ``pss_ex1_<yyyy>_<yy>`` (``pss_ex1_2012_13``).
    expected_figures
        Period -> the (measure, band) pairs a file of that year must hold (the build passes
        :data:`personalisation.build.readers.expected.PSS_EX1_FIGURES`).  When given, a
        file of an undeclared year, or one lacking a declared figure (a renamed or deleted
        column), is refused naming the figures; ``None`` (default) checks nothing.

    Returns
    -------
    pandas.DataFrame
        A tidy table (validated with :func:`~personalisation.schema.validate_tidy`),
        counts in ``value``, ``numerator`` and ``denominator`` NaN, sorted by geography
        level, council code, measure and disaggregation.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    SourceFormatError
        When the file is not a PSS-EX1 activity table, a cell of a wanted column is text
        that is neither a number nor a known marker, or a council appears twice; the message
        names the file, the row and the column.
    UnknownCouncilError
        When a CASSR code is neither in the lookup nor one of :data:`ABOLISHED_BEFORE_GSS`.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped) and take seconds.

    >>> from personalisation._paths import default_raw_dir
    >>> from personalisation.build import raw
    >>> from personalisation.build.lookups import cassr_code_lookup
    >>> lookup = cassr_code_lookup(default_raw_dir())  # doctest: +SKIP
    >>> tidy = read_pss_ex1(raw.path(default_raw_dir(), "pss_ex1_2013_14"),
    ...                     code_lookup=lookup)  # doctest: +SKIP
    >>> tidy.query("council_code == 'E08000003' and measure == 'dp_clients'"
    ...            " and disaggregation == 'Total'")["value"].item()  # doctest: +SKIP
    520.0
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    rows = _read_rows(path)
    layout, anchor = _detect_layout(rows, path)
    if layout == "transposed":
        period = _period_from_name(path)
    else:
        period = _period_from_title(rows, path)
    year = period_to_year(period)
    if source_id is None:
        source_id = f"pss_ex1_{period.replace('-', '_')}"
    if layout == "transposed":
        from personalisation.build.readers.pss_ex1_transposed import read_transposed

        records = read_transposed(rows, anchor, path, year, code_lookup)
    else:
        records = _read_wide(rows, anchor, path, year, code_lookup)
    tidy = pd.DataFrame.from_records(records)
    if expected_figures is not None:
        _check_expected(tidy, period, expected_figures, path)
    tidy["period"] = period
    tidy["year"] = year
    tidy["numerator"] = float("nan")
    tidy["denominator"] = float("nan")
    tidy["definition"] = DEFINITION_2014_15 if layout == "transposed" else DEFINITION
    tidy["source"] = source_id
    tidy = tidy.assign(_level=tidy["geography_level"].map(_LEVEL_ORDER)).sort_values(
        ["_level", "council_code", "measure", "disaggregation"], kind="mergesort"
    )
    # a band above its own total is withheld (status "inconsistent"), its numbers kept
    tidy, inconsistent = flag_inconsistent(tidy.drop(columns="_level"))
    out = validate_tidy(tidy, where=str(path))
    out.attrs["inconsistent"] = inconsistent
    return out


def parse_council_label(label: str) -> tuple[str, str] | None:
    """Split a published council label into CASSR code and name.

    Examples
    --------
    >>> parse_council_label("306-Manchester")
    ('306', 'Manchester')
    >>> parse_council_label("102 - Cumbria ")
    ('102', 'Cumbria')
    >>> parse_council_label("TOTAL England") is None
    True
    """
    match = _CODE_NAME.match(str(label))
    return (match.group(1), match.group(2)) if match else None


def _check_expected(
    tidy: pd.DataFrame,
    period: str,
    expected: Mapping[str, Collection[tuple[str, str]]],
    path: Path,
) -> None:
    if period not in expected:
        raise SourceFormatError(
            f"{path}: no figures are declared for a {period} PSS-EX1 file (declared: "
            f"{sorted(expected)}); declare them in personalisation.build.readers.expected"
        )
    found = set(zip(tidy.get("measure", []), tidy.get("disaggregation", []), strict=True))
    missing = sorted(set(expected[period]) - found)
    if missing:
        raise SourceFormatError(
            f"{path}: the {period} file should hold {len(missing)} figure(s) it lacks (a "
            f"renamed or deleted column?): " + ", ".join(f"{m} {d!r}" for m, d in missing)
        )


# --------------------------------------------------------------------------------------
# file, layout, year
# --------------------------------------------------------------------------------------


def _read_rows(path: Path) -> list[list[str]]:
    """The CSV as rows of equal length (UTF-8 with or without BOM, else Windows-1252)."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        check_text_file(path)  # names the UTF-16 encoding
    if b"\x00" in data[:4096] or data[:2] == b"PK":
        raise SourceFormatError(f"{path}: not a text CSV (binary content); expected a PSS-EX1 CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise SourceFormatError(f"{path}: cannot be read as CSV: {exc}") from exc
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _title(rows: list[list[str]]) -> str:
    for row in rows[:3]:
        for cell in row[:3]:
            if cell.strip():
                return cell.strip()
    return ""


def _detect_layout(rows: list[list[str]], path: Path) -> tuple[str, int]:
    """``("transposed", header_row)`` or ``("wide", first_council_row)``."""
    title = _title(rows)
    if re.search(r"unit costs by cassr", title, re.IGNORECASE):
        raise SourceFormatError(
            f"{path}: this is the PSS-EX1 unit-costs table ({title!r}), not the activity "
            "table; its direct-payment 'number of adults' is a unit-cost denominator in "
            "client-weeks. Read the activity table of the same year instead."
        )
    for i, row in enumerate(rows[:20]):
        if tuple(c.strip() for c in row[:2]) == _TRANSPOSED_HEADER:
            return "transposed", i
    if re.search(r"personal social services", title, re.IGNORECASE) and re.search(
        r"activity data", title, re.IGNORECASE
    ):
        for i, row in enumerate(rows):
            if _council_of_row(row) is not None:
                return "wide", i
        raise SourceFormatError(
            f"{path}: PSS-EX1 activity title but no council rows ('306 - Manchester')"
        )
    raise SourceFormatError(
        f"{path}: not a PSS-EX1 activity table (no title naming 'Personal Social Services ... "
        f"Activity Data', no 'Support type, Age category' header); first cell {title[:80]!r}"
    )


def _period_from_title(rows: list[list[str]], path: Path) -> str:
    title = _title(rows)
    match = _TITLE_PERIOD.search(title)
    if not match:
        raise SourceFormatError(f"{path}: the title {title[:120]!r} names no year like '2012-13'")
    period = f"{match.group(1)}-{match.group(2)}"
    try:
        period_to_year(period)
    except ValueError as exc:
        raise SourceFormatError(f"{path}: title year {period!r}: {exc}") from None
    return period


def _period_from_name(path: Path) -> str:
    for pattern in _NAME_PERIODS:
        for match in pattern.finditer(path.name):
            start, end = match.group(1), match.group(2)
            start = start if len(start) == 4 else f"20{start}"
            period = f"{start}-{end}"
            try:
                period_to_year(period)
            except ValueError:
                continue
            return period
    raise SourceFormatError(
        f"{path}: the transposed (2014-15) layout has no title line, and the file name names "
        "no financial year like '14-15' or '2014-15'"
    )


# --------------------------------------------------------------------------------------
# councils and cells
# --------------------------------------------------------------------------------------


def _council_of_row(row: list[str]) -> tuple[str, str, int] | None:
    """``(cassr_code, name, first_value_column)`` of a wide-layout council row, else None."""
    parsed = parse_council_label(row[0]) if row else None
    if parsed:
        return parsed[0], parsed[1], 1
    if len(row) > 1 and _CODE_ONLY.match(row[0]) and row[1].strip():
        name = row[1].strip()
        if not re.match(r"^[\d,.\s]+$", name):
            return row[0].strip(), name, 2
    return None


def _council_code(cassr: str, name: str, year: int, lookup: Mapping[str, str], where: str) -> str:
    code = lookup.get(cassr)
    if code:
        return str(code)
    if cassr in ABOLISHED_BEFORE_GSS and year <= ABOLISHED_LAST_YEAR:
        return f"cassr:{cassr}"
    raise UnknownCouncilError(
        f"{where}: CASSR code {cassr!r} ({name}) is not in the code lookup "
        f"({len(lookup)} codes) and is not a council abolished before GSS codes existed "
        f"({', '.join(f'{k} {v}' for k, v in ABOLISHED_BEFORE_GSS.items())}, up to 2008-09)"
    )


def _parse_cell(cell: str, dash_status: str, where: str) -> tuple[float, str]:
    text = cell.strip()
    if text == "-":
        return float("nan"), dash_status
    try:
        return parse_published_number(text)
    except ValueError:
        raise SourceFormatError(
            f"{where}: {cell!r} is not a number nor a known marker ('..', '-', '*', ':', blank)"
        ) from None


def _dash_status(rows: list[list[str]]) -> str:
    """Status of a ``-`` cell: ``suppressed`` when the notes define it as 1 to 5."""
    for row in rows:
        if row and _SMALL_DASH_NOTE.match(row[0].strip()):
            return "suppressed"
    return "not-collected"


# --------------------------------------------------------------------------------------
# wide layout (2008-09 to 2013-14)
# --------------------------------------------------------------------------------------


def _wide_columns(header: list[list[str]], path: Path) -> list[_Column]:
    """The wanted columns of a wide file, found by their labels."""
    if not header:
        raise SourceFormatError(f"{path}: no header rows above the first council row")
    label_rows = header
    last = [c.strip() for c in header[-1]]
    filled = [c for c in last if c]
    if filled and sum(bool(_REF_CODE.match(c)) for c in filled) >= 0.8 * len(filled):
        label_rows = header[:-1]  # the reference-code row (A4.18, H4...)
    width = len(header[0])
    leaf: list[tuple[int, str]] = []  # (header row, label) of each column's lowest label
    for j in range(width):
        found = (-1, "")
        for r, row in enumerate(label_rows):
            if row[j].strip():
                found = (r, row[j].strip())
        leaf.append(found)

    columns: list[_Column] = []
    for j, (leaf_row, label) in enumerate(leaf):
        if not label:
            continue
        spec = _classify_label(label)
        if spec is not None:
            measure, band = spec
            columns.append(_Column(j, measure, band, label))
            continue
        band_match = _CARERS_BAND.match(label)
        if band_match:
            start = j
            while start > 0 and _CARERS_BAND.match(leaf[start - 1][1]):
                start -= 1
            group = ""
            for r in range(leaf_row - 1, -1, -1):
                if label_rows[r][start].strip():
                    group = label_rows[r][start].strip()
                    break
            if "during year" not in group.lower():
                raise SourceFormatError(
                    f"{path}: column {j + 1} ({label!r}) sits under {group!r}, not under "
                    "'Carers receiving direct payments during year'"
                )
            band = _AGE_BANDS[band_match.group(1).lower()]
            columns.append(_Column(j, "dp_carers_count", band, f"{group} | {label}"))
        elif _CARERS_31MARCH.match(label):
            columns.append(_Column(j, "dp_carers_count_31march", "Total", label))

    seen: dict[tuple[str, str], _Column] = {}
    for column in columns:
        key = (column.measure, column.disaggregation)
        if key in seen:
            raise SourceFormatError(
                f"{path}: columns {seen[key].index + 1} ({seen[key].published_code!r}) and "
                f"{column.index + 1} ({column.published_code!r}) both hold {key[0]} {key[1]}"
            )
        seen[key] = column
    if not any(
        c.measure in ("dp_clients", "dp_pb_clients") and c.disaggregation == "Total"
        for c in columns
    ):
        raise SourceFormatError(
            f"{path}: no all-ages direct-payment column ('Total all ages, Direct payments "
            "(...)' or '(all ages direct payments)') in the header rows"
        )
    return columns


def _classify_label(label: str) -> tuple[str, str] | None:
    """``(measure, disaggregation)`` of a client-count column label, else None."""
    match = _TOTAL_LABEL.match(label) or _TABLE_LABEL.search(label)
    if not match:
        return None
    band = _AGE_BANDS[match.group(1).lower()]
    product = match.group(2).lower()
    if "personal budget" in product:
        return "dp_pb_clients", band
    if "direct payment" in product:
        return "dp_clients", band
    if product == "home care":
        return "home_care_clients", band
    if product == "day care":
        return "day_care_clients", band
    return None


def _read_wide(
    rows: list[list[str]], first: int, path: Path, year: int, lookup: Mapping[str, str]
) -> list[dict[str, object]]:
    columns = _wide_columns(rows[1:first], path)
    dash = _dash_status(rows)
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    england_seen: int | None = None
    for i in range(first, len(rows)):
        row = rows[i]
        council = _council_of_row(row)
        if council is not None:
            cassr, name, _ = council
            where = f"{path}: row {i + 1}"
            if cassr in seen:
                raise SourceFormatError(
                    f"{where}: council {cassr} ({name}) appears twice (rows {seen[cassr] + 1} "
                    f"and {i + 1})"
                )
            seen[cassr] = i
            code = _council_code(cassr, name, year, lookup, where)
            level = "council"
        elif any(_ENGLAND_ROW.match(c) for c in row[:2]):
            if england_seen is not None:
                raise SourceFormatError(
                    f"{path}: two England rows (rows {england_seen + 1} and {i + 1})"
                )
            england_seen = i
            name = next(c.strip() for c in row[:2] if _ENGLAND_ROW.match(c))
            code, level = ENGLAND_CODE, "england"
        else:
            if any(row[c.index].strip() for c in columns):
                raise SourceFormatError(
                    f"{path}: row {i + 1} ({row[0].strip() or row[1].strip()!r}) has figures "
                    "but is neither a council ('306 - Manchester') nor 'TOTAL England'"
                )
            continue
        for column in columns:
            where = f"{path}: row {i + 1} ({name}), column {column.index + 1} ({column.published_code!r})"
            value, status = _parse_cell(row[column.index], dash, where)
            records.append(
                {
                    "council_code": code,
                    "council_name": name,
                    "geography_level": level,
                    "measure": column.measure,
                    "published_code": column.published_code,
                    "disaggregation": column.disaggregation,
                    "value": value,
                    "status": status,
                }
            )
    if england_seen is None:
        raise SourceFormatError(f"{path}: no 'TOTAL England' row")
    return records
