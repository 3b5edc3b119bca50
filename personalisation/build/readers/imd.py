"""Reader for the English indices of deprivation, File 11: upper-tier local authority summaries.

``File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx`` (DCLG, 2013 geography, 152
areas) and ``File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx``
(MHCLG, 2019 geography, 151 areas).  The ``IMD`` sheet has one row per upper-tier area
and one column per summary, found by title (``IMD - Average score``, ``IMD - Rank of
average score``, ``IMD - Proportion of LSOAs in most deprived 10% nationally``, ``IMD -
Extent`` / ``IMD 2019 - Extent``, ``... Local concentration`` and their ranks, ``IMD -
Average rank``).  Rank 1 is the most deprived.

Examples
--------
Skipped as doctests: they need the raw published files (not shipped).

>>> from personalisation.build.readers.imd import read_imd_summaries
>>> table = read_imd_summaries("File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from personalisation.errors import DataNotFoundError, SourceFormatError

__all__ = ["IMD_VARIABLES", "read_imd_summaries"]

#: Column title (after the ``IMD -`` / ``IMD 2019 -`` prefix, lower case) -> variable id.
IMD_VARIABLES: dict[str, str] = {
    "average rank": "imd_average_rank",
    "rank of average rank": "imd_rank_of_average_rank",
    "average score": "imd_average_score",
    "rank of average score": "imd_rank_of_average_score",
    "proportion of lsoas in most deprived 10% nationally": "imd_share_lsoas_most_deprived_10pc",
    "rank of proportion of lsoas in most deprived 10% nationally": (
        "imd_rank_of_share_lsoas_most_deprived_10pc"
    ),
    "extent": "imd_extent",
    "rank of extent": "imd_rank_of_extent",
    "local concentration": "imd_local_concentration",
    "rank of local concentration": "imd_rank_of_local_concentration",
}
_CODE_TITLE = re.compile(r"^upper tier local authority district code \((\d{4})\)$")
_PREFIX = re.compile(r"^imd(?: \d{4})? - ")
_COUNCIL = re.compile(r"^E(06|08|09|10)\d{6}$")


def _key(cell: object) -> str:
    return " ".join(str(cell).split()).lower() if pd.notna(cell) else ""


def read_imd_summaries(path: str | Path, *, edition: str | None = None) -> pd.DataFrame:
    """Read the ``IMD`` sheet of an IoD File 11 (upper tier) into a long table.

    Parameters
    ----------
    path
        The ``.xlsx`` file.
    edition
        ``"IMD 2015"`` or ``"IMD 2019"``; default inferred from the file name.

    Returns
    -------
    pandas.DataFrame
        Columns ``council_code, council_name, edition, geography`` (the year of the code
        column's title, 2013 or 2019), ``variable`` (see :data:`IMD_VARIABLES`),
        ``published_title`` (the column title as published), ``value`` (float), ``row``
        (line in the sheet).

    Raises
    ------
    SourceFormatError
        No ``IMD`` sheet, a code column without its geography year, a missing summary
        column, a non-English or duplicated code, a non-numeric value.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    if edition is None:
        found = re.findall(r"(?<!\d)(2015|2019)(?!\d)", path.name)
        if len(set(found)) != 1:
            raise SourceFormatError(
                f"{path}: cannot tell the IMD edition from the name; pass edition="
            )
        edition = f"IMD {found[0]}"
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            if "IMD" not in book.sheet_names:
                raise SourceFormatError(f"{path}: no sheet 'IMD'; sheets: {book.sheet_names}")
            cells = pd.read_excel(book, sheet_name="IMD", header=None, dtype=object)
    except SourceFormatError:
        raise
    except Exception as exc:
        raise SourceFormatError(f"{path}: not a readable xlsx workbook ({exc})") from exc
    where = f"{path}: sheet 'IMD'"
    titles = [_key(c) for c in cells.iloc[0]]
    match = _CODE_TITLE.match(titles[0]) if titles else None
    if match is None:
        raise SourceFormatError(
            f"{where}: first column {cells.iat[0, 0]!r} is not 'Upper Tier Local Authority "
            "District code (YYYY)'"
        )
    geography = int(match.group(1))
    columns: dict[str, int] = {}
    for j, title in enumerate(titles[2:], start=2):
        variable = IMD_VARIABLES.get(_PREFIX.sub("", title))
        if variable is None:
            raise SourceFormatError(f"{where}: unknown column {cells.iat[0, j]!r}")
        columns[variable] = j
    missing = sorted(set(IMD_VARIABLES.values()) - set(columns))
    if missing:
        raise SourceFormatError(f"{where}: columns missing for {missing}")
    rows = []
    for i in range(1, len(cells)):
        code = str(cells.iat[i, 0]).strip() if pd.notna(cells.iat[i, 0]) else ""
        if not code:
            continue
        if not _COUNCIL.match(code):
            raise SourceFormatError(
                f"{where}, row {i + 1}: code {code!r} is not an English upper-tier area"
            )
        for variable, j in columns.items():
            value = pd.to_numeric(cells.iat[i, j], errors="coerce")
            if not np.isfinite(value):
                raise SourceFormatError(
                    f"{where}, row {i + 1} ({code}): {cells.iat[0, j]!r} is not a number: "
                    f"{cells.iat[i, j]!r}"
                )
            rows.append(
                {
                    "council_code": code,
                    "council_name": str(cells.iat[i, 1]).strip(),
                    "edition": edition,
                    "geography": geography,
                    "variable": variable,
                    "published_title": " ".join(str(cells.iat[0, j]).split()),
                    "value": float(value),
                    "row": i + 1,
                }
            )
    table = pd.DataFrame(rows)
    if table.duplicated(["council_code", "variable"]).any():
        raise SourceFormatError(f"{where}: a code appears twice")
    return table.sort_values(["variable", "council_code"], kind="stable").reset_index(drop=True)
