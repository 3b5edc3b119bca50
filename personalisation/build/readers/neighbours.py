"""Reader for the DfE children's services statistical neighbours (2021 and 2025 models).

Both files give, for each local authority identified by its **DfE 3-digit LA number**
(Manchester 352; not the CASSR code 306 of the NHS tables, not a GSS code), its ten
nearest statistical neighbours (``SN1``..``SN10`` / ``SN_1``..``SN_10``, by LA number)
with a closeness label.  The 2021 file ends with an "Old SNs:" section for the areas before
local government reorganisation, which is not read.

:func:`dfe_number_lookup` turns LA numbers into GSS codes through a real lookup: the
``old-ons-la-code`` column of the mySociety register of local authorities (its DfE / ONS
three-digit code).  Councils created after that column was filled (Bournemouth,
Christchurch and Poole 839, Dorset 838, North and West Northamptonshire 940 / 941,
Cumberland 942, Westmorland and Furness 943) are matched by their exact name in the
neighbour file, and only when the check passes: one council of that name in force, without a
mySociety number, and the LA number not used for another council.  Unitary councils that
replaced a county on the same area (Buckinghamshire, North Yorkshire, Somerset) keep the
county's number.  Every pair records how it was matched.

The groupings were built for **children's services**, not adult social care.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from personalisation.errors import DataNotFoundError, SourceFormatError

__all__ = ["dfe_number_lookup", "read_neighbours"]

CAVEAT = (
    "DfE statistical neighbours were built for children's services (benchmarking of "
    "children's social care and education), not adult social care"
)


def _norm(name: str) -> str:
    return " ".join(str(name).replace("&", "and").replace(",", " ").lower().split())


def read_neighbours(path: str | Path, *, model: str) -> pd.DataFrame:
    """Read one DfE statistical-neighbour file into a long table.

    Parameters
    ----------
    path
        ``New_Statistical_Neighbour_Groupings_April_2021.csv`` or ``sn_model_2025_wide.csv``.
    model
        ``"DfE 2021"`` or ``"DfE 2025"`` (the layout differs).

    Returns
    -------
    pandas.DataFrame
        ``model, la_number, la_name, rank`` (1..10), ``neighbour_la_number, closeness,
        row`` (line in the file).

    Raises
    ------
    SourceFormatError
        Missing columns, a non-numeric LA number, a row without ten neighbours, an LA twice.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: no such file")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", header=None)
    header = [str(c).strip() for c in raw.iloc[0]]
    body = raw.iloc[1:]
    if model == "DfE 2021":
        code_col, name_col = header.index("LA num"), header.index("LA Name")
        sn_cols = [header.index(f"SN{i}") for i in range(1, 11)] if "SN10" in header else []
    elif model == "DfE 2025":
        if "old_la_code" not in header:
            raise SourceFormatError(f"{path}: no column 'old_la_code'; header {header[:6]}")
        code_col, name_col = header.index("old_la_code"), header.index("la_name")
        sn_cols = [header.index(f"SN_{i}") for i in range(1, 11)] if "SN_10" in header else []
    else:
        raise ValueError(f"model must be 'DfE 2021' or 'DfE 2025', not {model!r}")
    if len(sn_cols) != 10:
        raise SourceFormatError(f"{path}: neighbour columns SN1..SN10 not found; header {header}")
    rows = []
    for i, line in body.iterrows():
        first = line.iat[code_col].strip()
        if not first and line.iat[name_col].strip().lower().startswith("old sns"):
            break  # the pre-reorganisation section of the 2021 file
        if not first:
            continue
        if not re.fullmatch(r"\d{3}", first):
            raise SourceFormatError(f"{path}: row {i + 1}: LA number {first!r} is not 3 digits")
        for rank, j in enumerate(sn_cols, start=1):
            neighbour = line.iat[j].strip()
            if not re.fullmatch(r"\d{3}", neighbour):
                raise SourceFormatError(
                    f"{path}: row {i + 1} ({line.iat[name_col]}): neighbour {rank} is {neighbour!r}"
                )
            rows.append(
                {
                    "model": model,
                    "la_number": first,
                    "la_name": line.iat[name_col].strip(),
                    "rank": rank,
                    "neighbour_la_number": neighbour,
                    "closeness": line.iat[j + 1].strip(),
                    "row": i + 1,
                }
            )
    table = pd.DataFrame(rows)
    if table.duplicated(["la_number", "rank"]).any():
        raise SourceFormatError(f"{path}: an LA number appears twice")
    return table


def dfe_number_lookup(
    mysociety: pd.DataFrame, register: pd.DataFrame, events: pd.DataFrame, names: pd.DataFrame
) -> pd.DataFrame:
    """DfE LA number -> GSS code of the councils in force, with how each pair was found.

    Parameters
    ----------
    mysociety
        ``uk_local_authorities_current.csv`` (columns ``gss-code``, ``old-ons-la-code``).
    register
        The councils in force in the model's vintage (``council_code``, ``council_name``).
    events
        The register's reorganisation events.
    names
        ``la_number, la_name`` as the neighbour file gives them.

    Returns
    -------
    pandas.DataFrame
        ``la_number, council_code, council_name, method``.

    Raises
    ------
    SourceFormatError
        An LA number of the file that cannot be matched, or matched twice.
    """
    in_force = dict(zip(register["council_code"], register["council_name"], strict=True))
    numbered = mysociety.dropna(subset=["old-ons-la-code"])
    numbered = numbered[numbered["gss-code"].str.match(r"^E(06|08|09|10)\d{6}$", na=False)]
    same_area = {
        e.predecessor_code: e.successor_code
        for e in events.itertuples(index=False)
        if e.type == "recode" or "(same area)" in str(e.description)
    }
    found: dict[str, tuple[str, str]] = {}
    for row in numbered.itertuples(index=False):
        code = row[list(numbered.columns).index("gss-code")]
        number = row[list(numbered.columns).index("old-ons-la-code")]
        method = "mySociety old-ons-la-code"
        while code not in in_force and code in same_area:
            code, method = same_area[code], "mySociety old-ons-la-code, same-area successor"
        if code in in_force:
            found.setdefault(str(number), (code, method))
    used = {code for code, _ in found.values()}
    unnumbered = {_norm(n): c for c, n in in_force.items() if c not in used}
    out = []
    for number, name in names.drop_duplicates("la_number").itertuples(index=False):
        if number in found:
            code, method = found[number]
        else:
            code = unnumbered.get(_norm(name))
            if code is None:
                raise SourceFormatError(
                    f"DfE LA number {number} ({name}) has no mySociety code and no council of "
                    "that exact name without one"
                )
            method = "exact name, checked: the only council of that name without a DfE number"
            del unnumbered[_norm(name)]
        out.append(
            {
                "la_number": number,
                "council_code": code,
                "council_name": in_force[code],
                "method": method,
            }
        )
    table = pd.DataFrame(out)
    if table["council_code"].duplicated().any():
        raise SourceFormatError(
            f"two DfE LA numbers map to one council: "
            f"{table[table['council_code'].duplicated(keep=False)].to_dict('records')}"
        )
    return table
