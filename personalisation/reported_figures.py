"""The figures reported at the time (2009-2013) and the national targets, as a level of their own.

What the NHS Information Centre / HSCIC releases and the ADASS / Think Local Act Personal
surveys said about personal budgets before any council-level file survives, as reported by
the articles named on every row.  They are secondary reports, with definitions that change
from year to year: they are shipped apart from the council indicators (``data/reported.csv``
and ``data/targets.csv``, built from ``reported/`` by ``personalisation build-data``), are
never pooled with council data, and every row carries its citation (``reported_by``,
``reported_title``, ``reported_date``, ``url``) and its line in the raw file (``row``).

Examples
--------
>>> import personalisation as pz
>>> table = pz.reported()
>>> table.query("figure == 'personal_budget_takeup' and geography_code == 'E92000001'")[
...     ["period", "value"]].values.tolist()
[['2009-10', 13.0], ['2010-11', 29.2], ['2011-12', 43.0], ['2012-13', 55.6]]
>>> pz.targets()["threshold_percent"].tolist()
[30.0, 100.0, 70.0]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from personalisation import _paths
from personalisation.errors import DataNotFoundError

__all__ = ["REPORTED_FILE", "TARGETS_FILE", "citation", "reported", "targets"]

REPORTED_FILE = "reported.csv"
TARGETS_FILE = "targets.csv"
#: The level these figures have: never ``council`` / ``region`` / ``england`` of the cube.
LEVEL = "reported"


def _read(name: str, data_dir: str | Path | None) -> pd.DataFrame:
    folder = Path(data_dir) if data_dir is not None else _paths.data_dir()
    path = folder / name
    if not path.is_file():
        raise DataNotFoundError(
            f"{path} not found: rebuild the shipped data with `personalisation build-data`"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def reported(
    figure: str | None = None,
    *,
    geography_code: str | None = None,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The figures reported at the time, one row per reported figure, each with its citation.

    Parameters
    ----------
    figure
        Keep one figure id (``"personal_budget_takeup"``, ``"personal_budget_holders"``,
        ``"share_managed_by_council"`` ...); default all.
    geography_code
        Keep one geography (``"E92000001"`` England, a region or a council code).
    data_dir
        Folder holding ``reported.csv`` (default: the shipped ``data/``).

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (line in ``reported/personal_budgets_reported_2009_2013.csv``),
        ``level`` (always ``"reported"``), ``period``, ``as_at``, ``year``,
        ``geography_code``, ``geography_name``, ``figure``, ``value`` (float), ``unit``,
        ``qualifier``, ``basis``, ``original_source``, ``reported_by``,
        ``reported_title``, ``reported_date``, ``url``.

    Raises
    ------
    KeyError
        An unknown figure id (naming the known ones).
    """
    table = _read(REPORTED_FILE, data_dir)
    table["row"] = table["row"].astype("int64")
    table["year"] = table["year"].astype("int64")
    table["value"] = table["value"].astype(float)
    if figure is not None:
        known = sorted(table["figure"].unique())
        if figure not in known:
            raise KeyError(f"unknown reported figure {figure!r}; known: {known}")
        table = table[table["figure"] == figure]
    if geography_code is not None:
        table = table[table["geography_code"] == geography_code]
    return table.reset_index(drop=True)


def targets(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The national personal-budget targets of the period (30% by April 2011; 100%, then 70%, by April 2013).

    Returns
    -------
    pandas.DataFrame
        Columns ``row, target_id, set_on, set_by, applies_to, threshold_percent`` (float),
        ``deadline`` (Timestamp), ``status, notes, reported_by, reported_title,
        reported_date, url``.
    """
    table = _read(TARGETS_FILE, data_dir)
    table["row"] = table["row"].astype("int64")
    table["threshold_percent"] = table["threshold_percent"].astype(float)
    table["deadline"] = pd.to_datetime(table["deadline"])
    return table


def citation(row: pd.Series) -> str:
    """One line citing a reported figure: article, date, URL, original source and raw row.

    Examples
    --------
    >>> import personalisation as pz
    >>> print(citation(pz.reported().iloc[0]))  # doctest: +ELLIPSIS
    Community Care, "Massive variations in personal budget take-up across councils" (2012-03-28), ...
    """
    parts = [f'{row["reported_by"]}, "{row["reported_title"]}"']
    if row.get("reported_date"):
        parts[0] += f" ({row['reported_date']})"
    if row.get("url"):
        parts.append(str(row["url"]))
    parts.append(f"citing {row['original_source']}")
    if "row" in row:
        parts.append(f"reported/personal_budgets_reported_2009_2013.csv row {row['row']}")
    return ", ".join(parts)
