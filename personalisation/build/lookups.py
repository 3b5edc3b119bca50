"""CASSR (3-digit) <-> GSS code pairs from the published lookups, for the readers and the register.

Files that identify councils only by their 3-digit CASSR code (PSS-EX1) are recoded with
:func:`cassr_code_lookup`, which the build passes into the reader; the council register
takes every published pair from :func:`cassr_pairs`.  Both read only registered raw files
(:mod:`personalisation.build.raw`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from personalisation.build import raw as _raw
from personalisation.build.readers.ascof import ascof_code_pairs
from personalisation.build.register_inputs import read_csv
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.schema import CASSR_CODE, COUNCIL_CODE, REGION_CODE

__all__ = ["LOOKUP_FILES", "cassr_code_lookup", "cassr_pairs"]

#: Registry ids of the real lookups used by :func:`cassr_code_lookup`, in precedence
#: order (earliest geography first).
LOOKUP_FILES: dict[str, str] = {
    "rds": "ascof_compiled_2014_19",
    "open_data": "ascof_open_data_2020_21",
    "ons_codes": "ascof_ons_codes",
}
_REGION_KEY = re.compile(r"^[A-Z]{1,2}$")


def cassr_code_lookup(raw_dir: str | Path) -> dict[str, str]:
    """CASSR code -> GSS code (and region abbreviation -> E12 code) from real lookups.

    Pairs are taken, in this order, from the compiled ASCOF stack (2014-15 to 2018-19,
    earliest year first), the official ASCOF 2020-21 open-data file and the compiled
    ``ons_codes.csv`` (2023-24 geography, columns ``LA Code `` and ``ONS Area Code``); a
    code already mapped keeps its first (earliest) GSS code.  That is the geography closest
    to the PSS-EX1 years: Somerset 905 is ``E10000027`` (not 2023's ``E06000066``), Dorset
    809 the county ``E10000009``, Bournemouth 810 and Poole 811 have codes.  Caveat: GSS
    codes are those of 2014-15 onwards, so Gateshead (106) is ``E08000037`` and
    Northumberland (104) ``E06000057`` in every year, although ONS recoded both after
    minor boundary changes (2013 and 2020).  Region abbreviations (``NE``, ``NW``, ``YH``,
    ``EM``, ``WM``, ``E``, ``L``, ``SE``, ``SW``) come from ``ons_codes.csv``.

    Nothing is cached: each call reads the files again (about 4 s, most of it the xlsx).

    Parameters
    ----------
    raw_dir
        The raw directory (holding ``indicators/...``).

    Returns
    -------
    dict of str to str
        ``{"306": "E08000003", ..., "NE": "E12000001", ...}``.

    Raises
    ------
    DataNotFoundError
        When the compiled ASCOF stack (the only lookup with the pre-2019 codes of
        Bournemouth, Poole and Dorset county) is absent.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped).

    >>> lookup = cassr_code_lookup(default_raw_dir())  # doctest: +SKIP
    >>> lookup["306"], lookup["905"], lookup["NE"]  # doctest: +SKIP
    ('E08000003', 'E10000027', 'E12000001')
    """
    raw = Path(raw_dir)
    rds = raw / _raw.entry(LOOKUP_FILES["rds"]).path
    if not rds.is_file():
        raise DataNotFoundError(
            f"CASSR code lookup: {rds} not found; it is the only real lookup holding the "
            "2014-15 GSS codes (Bournemouth, Poole, Dorset county council)"
        )
    lookup: dict[str, str] = {}

    def add(key: object, code: object) -> None:
        key, code = str(key).strip(), str(code).strip()
        council = CASSR_CODE.match(key) and COUNCIL_CODE.match(code)
        region = _REGION_KEY.match(key) and REGION_CODE.match(code)
        if (council or region) and key not in lookup:
            lookup[key] = code

    for name in ("rds", "open_data"):
        if (raw / _raw.entry(LOOKUP_FILES[name]).path).is_file():
            path = _raw.path(raw, LOOKUP_FILES[name])
            pairs = ascof_code_pairs(path).sort_values(["period", "cassr_code"], kind="mergesort")
            for key, code in zip(pairs["cassr_code"], pairs["council_code"], strict=True):
                add(key, code)
    if (raw / _raw.entry(LOOKUP_FILES["ons_codes"]).path).is_file():
        ons_codes = _raw.path(raw, LOOKUP_FILES["ons_codes"])
        table = pd.read_csv(ons_codes, dtype=str, keep_default_na=False)
        table.columns = [c.strip() for c in table.columns]
        if not {"LA Code", "ONS Area Code"} <= set(table.columns):
            raise SourceFormatError(
                f"{ons_codes}: expected columns 'LA Code ' and 'ONS Area Code', "
                f"found {list(table.columns)}"
            )
        for key, code in zip(table["LA Code"], table["ONS Area Code"], strict=True):
            add(key, code)
    return lookup


def cassr_pairs(raw_dir: str | Path) -> pd.DataFrame:
    """Every published 3-digit CASSR code <-> GSS code pair of an upper-tier council.

    From the compiled ``ons_codes.csv`` and the registered ASCOF open-data workbook.

    Returns
    -------
    pandas.DataFrame
        Columns ``cassr_code``, ``council_code``, ``name``, ``source`` (the registry id the
        pair came from), one row per distinct pair.

    Raises
    ------
    SourceFormatError
        When a GSS code has more than one CASSR code, or a column is missing.
    """
    rows = []
    path = _raw.path(raw_dir, "ascof_ons_codes")
    frame = read_csv(path, ("Geography", "LA Code", "ONS Area Code"))
    for _, rec in frame.iterrows():
        code, gss = rec["LA Code"], rec["ONS Area Code"]
        if CASSR_CODE.match(code) and COUNCIL_CODE.match(gss):
            rows.append((code, gss, rec["Geography"], "ascof_ons_codes"))
    published = ascof_code_pairs(_raw.path(raw_dir, "ascof_open_data_2020_21"))
    rows += [
        (str(code), str(gss), str(name), "ascof_nhsd_open_data")
        for code, gss, name in zip(
            published["cassr_code"],
            published["council_code"],
            published["council_name"],
            strict=True,
        )
        if CASSR_CODE.match(str(code)) and COUNCIL_CODE.match(str(gss))
    ]
    pairs = pd.DataFrame(rows, columns=["cassr_code", "council_code", "name", "source"])
    per_gss = pairs.groupby("council_code")["cassr_code"].nunique()
    clash = per_gss[per_gss > 1]
    if len(clash):
        raise SourceFormatError(
            f"GSS code(s) with more than one CASSR code in the lookups: {list(clash.index)}"
        )
    return pairs.drop_duplicates(["cassr_code", "council_code"]).reset_index(drop=True)
