"""Reader for the figures reported at the time (2009-2013), as transcribed in ``reported/``.

No council file of NI 130 or of ASCOF 1C for 2010-11 to 2013-14 survives in reach; what
survives is what the releases said, as reported by the social-care press and the sector's
bodies.  ``reported/personal_budgets_reported_2009_2013.csv`` holds one reported figure per
row (period or as-at month, geography, figure, value, unit, qualifier, basis, original
source, the article that reported it); ``reported/targets.csv`` the national targets of the
period.  :func:`read_reported` and :func:`read_targets` check those columns, the codes,
units and dates, and add the raw file's row number (``row``), so every use can cite its
row.  The figures are kept apart from the council tidy table: they are their own level.

Examples
--------
Skipped as doctests: they need the raw published files (not shipped).

>>> from personalisation.build.readers.reported import read_reported
>>> table = read_reported("personal_budgets_reported_2009_2013.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.measures import period_to_year

__all__ = ["REPORTED_COLUMNS", "TARGET_COLUMNS", "read_reported", "read_targets"]

#: Columns of the reported-figures file, in order.
REPORTED_COLUMNS: tuple[str, ...] = (
    "period",
    "as_at",
    "geography_code",
    "geography_name",
    "figure",
    "value",
    "unit",
    "qualifier",
    "basis",
    "original_source",
    "reported_by",
    "reported_title",
    "reported_date",
    "url",
)
#: Columns of the targets file, in order.
TARGET_COLUMNS: tuple[str, ...] = (
    "target_id",
    "set_on",
    "set_by",
    "applies_to",
    "threshold_percent",
    "deadline",
    "status",
    "notes",
    "reported_by",
    "reported_title",
    "reported_date",
    "url",
)
UNITS: frozenset[str] = frozenset({"percent", "people", "councils"})
_CODE = re.compile(r"^E(92|12|06|08|09|10)\d{6}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(-\d{2})?$")


def _read(path: str | Path, columns: tuple[str, ...]) -> tuple[Path, pd.DataFrame]:
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise SourceFormatError(f"{path}: expected a .csv file, got {path.suffix!r}")
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(f"{path}: not a readable UTF-8 CSV file ({exc})") from exc
    if tuple(table.columns) != columns:
        raise SourceFormatError(f"{path}: columns {list(table.columns)}; expected {list(columns)}")
    table = table.apply(lambda c: c.str.strip())
    table.insert(0, "row", np.arange(len(table), dtype=np.int64) + 2)  # the file's line
    for column in ("reported_by", "reported_title"):
        blank = table[column] == ""
        if blank.any():
            raise SourceFormatError(
                f"{path}: row {table.loc[blank, 'row'].iloc[0]}: no {column} (every figure "
                "must cite the article that reported it)"
            )
    return path, table


def read_reported(path: str | Path) -> pd.DataFrame:
    """Read ``personal_budgets_reported_2009_2013.csv``.

    Returns
    -------
    pandas.DataFrame
        The file's columns plus ``row`` (line in the file, for citing), ``year`` (the year
        in which the financial year ends; for an ``as_at`` month, the financial year it
        closes or falls in: 2011-04 and 2012-03 -> 2011 and 2012) and ``value`` as float.

    Raises
    ------
    SourceFormatError
        Wrong columns; a row without a citation; a row with neither or both of ``period``
        and ``as_at``; a bad code, unit, value or date.
    """
    path, table = _read(path, REPORTED_COLUMNS)
    years = []
    for row in table.itertuples(index=False):
        at = f"{path}: row {row.row}"
        if bool(row.period) == bool(row.as_at):
            raise SourceFormatError(f"{at}: give exactly one of period and as_at")
        if row.period:
            try:
                years.append(period_to_year(row.period))
            except ValueError:
                raise SourceFormatError(
                    f"{at}: period {row.period!r} is not like '2010-11'"
                ) from None
        else:
            month = _MONTH.match(row.as_at)
            if month is None or not 1 <= int(month.group(2)) <= 12:
                raise SourceFormatError(f"{at}: as_at {row.as_at!r} is not YYYY-MM")
            year, mon = int(month.group(1)), int(month.group(2))
            years.append(year if mon <= 4 else year + 1)
        if not _CODE.match(row.geography_code):
            raise SourceFormatError(f"{at}: geography code {row.geography_code!r} is not English")
        if row.unit not in UNITS:
            raise SourceFormatError(f"{at}: unit {row.unit!r} not one of {sorted(UNITS)}")
        try:
            value = float(row.value)
        except ValueError:
            raise SourceFormatError(f"{at}: value {row.value!r} is not a number") from None
        if not np.isfinite(value) or value < 0 or (row.unit == "percent" and value > 100):
            raise SourceFormatError(f"{at}: value {row.value!r} out of range for {row.unit}")
        if not row.qualifier:
            raise SourceFormatError(f"{at}: no qualifier ('as reported', 'about', ...)")
        if row.reported_date and not _DATE.match(row.reported_date):
            raise SourceFormatError(f"{at}: reported_date {row.reported_date!r} is not a date")
    table["year"] = np.array(years, dtype=np.int64)
    table["value"] = table["value"].astype(float)
    duplicated = table.duplicated(["period", "as_at", "geography_code", "figure"], keep=False)
    if duplicated.any():
        raise SourceFormatError(
            f"{path}: the same figure twice, rows {table.loc[duplicated, 'row'].tolist()}"
        )
    return table


def read_targets(path: str | Path) -> pd.DataFrame:
    """Read ``targets.csv``: the national personal-budget targets of the period.

    Returns
    -------
    pandas.DataFrame
        The file's columns plus ``row``; ``threshold_percent`` as float; ``deadline`` as
        text ``YYYY-MM-DD``.

    Raises
    ------
    SourceFormatError
        Wrong columns, a row without a citation, a bad threshold or deadline, an id twice.
    """
    path, table = _read(path, TARGET_COLUMNS)
    for row in table.itertuples(index=False):
        at = f"{path}: row {row.row}"
        try:
            threshold = float(row.threshold_percent)
        except ValueError:
            raise SourceFormatError(
                f"{at}: threshold {row.threshold_percent!r} not a number"
            ) from None
        if not 0 < threshold <= 100:
            raise SourceFormatError(f"{at}: threshold {threshold} is not a percentage")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.deadline):
            raise SourceFormatError(f"{at}: deadline {row.deadline!r} is not YYYY-MM-DD")
    if table["target_id"].duplicated().any():
        raise SourceFormatError(f"{path}: a target_id appears twice")
    table["threshold_percent"] = table["threshold_percent"].astype(float)
    return table
