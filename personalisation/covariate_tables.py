"""Covariates of councils: the indices of deprivation (IMD 2015, IMD 2019), joined to the register.

``data/covariates.csv`` (built by ``personalisation build-data`` from the IoD File 11
upper-tier summaries) holds, for each edition, every upper-tier area of the edition's own
geography (IMD 2015: the 2013 councils, 152; IMD 2019: the 2019 councils, 151) and its
average score, average rank, extent, local concentration and share of LSOAs in the most
deprived 10% nationally, with their ranks (1 = most deprived).

:func:`covariates` gives them on the edition's geography, or carried onto another council
geography (``vintage=``) by the council register's reorganisation events, with the same
lineage as the cube:

* a **recode**, or a county and its districts replaced by one unitary council of the
  **same area** (North Yorkshire, Somerset 2023; Buckinghamshire 2020), carries the value
  unchanged (``status`` ``"same-area"``);
* any other merge or split (Bournemouth, Christchurch and Poole and Dorset 2019; North and
  West Northamptonshire 2021; Cumberland and Westmorland and Furness 2023) gives NaN with
  status ``"not-computable"``: deprivation summaries are not additive over areas and
  ranks cannot be averaged.

**What a harmonised IMD rank means:** the rank the area had among the areas of the
edition's own geography, carried to the same area under its new code.  It is not a rank
among the councils of the target geography, which the publisher never computed.

Examples
--------
>>> import personalisation as pz
>>> imd = pz.covariates("IMD 2019")
>>> imd.query("council_code == 'E08000003'").set_index("variable").loc[
...     "imd_rank_of_average_rank", "value"]
np.float64(2.0)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from personalisation import _paths
from personalisation.errors import DataNotFoundError

__all__ = ["COVARIATES_FILE", "EDITIONS", "covariates", "edition_for_year", "neighbours"]

COVARIATES_FILE = "covariates.csv"
#: Edition -> the council geography (vintage) it was published on.
EDITIONS: dict[str, str] = {"IMD 2015": "2013", "IMD 2019": "2019"}
HARMONISED_RANK = (
    "a harmonised IMD rank is the rank the same area had among the areas of the edition's "
    "own geography, carried to its new code; it is not a rank among the target geography's "
    "councils, and areas whose boundaries changed have none"
)


def edition_for_year(year: int) -> str:
    """The latest IMD edition published by the end of a data year (2015..2019: IMD 2015).

    Examples
    --------
    >>> edition_for_year(2017), edition_for_year(2020), edition_for_year(2025)
    ('IMD 2015', 'IMD 2019', 'IMD 2019')
    """
    return "IMD 2019" if int(year) >= 2020 else "IMD 2015"


def _load(data_dir: str | Path | None) -> pd.DataFrame:
    folder = Path(data_dir) if data_dir is not None else _paths.data_dir()
    path = folder / COVARIATES_FILE
    if not path.is_file():
        raise DataNotFoundError(
            f"{path} not found: rebuild the shipped data with `personalisation build-data`"
        )
    table = pd.read_csv(path, dtype={"council_code": str, "geography": str, "row": "int64"})
    return table


def _carry(table: pd.DataFrame, source: str, target: str) -> pd.DataFrame:
    """Carry one edition's rows from vintage ``source`` to ``target`` along the events."""
    from personalisation.geo import register

    if int(target) < int(source):
        raise ValueError(
            f"the IMD is on the {source} geography; it can be carried forward to later "
            f"geographies only, not back to {target}"
        )
    events = register.events()
    dates = pd.to_datetime(events["date"])
    window = events[
        (dates > pd.Timestamp(f"{source}-04-01")) & (dates <= pd.Timestamp(f"{target}-04-01"))
    ]
    values = {code: (part, "published", "") for code, part in table.groupby("council_code")}
    for _, group in window.sort_values("date", kind="stable").groupby("event_id", sort=False):
        predecessors = sorted(set(group["predecessor_code"]))
        for successor in sorted(set(group["successor_code"])):
            feeding = sorted(
                set(group.loc[group["successor_code"] == successor, "predecessor_code"])
            )
            kind = group.loc[group["successor_code"] == successor, "type"].iloc[0]
            text = " ".join(group.loc[group["successor_code"] == successor, "description"])
            same = len(feeding) == 1 and (kind == "recode" or "(same area)" in text)
            if same and feeding[0] in values:
                part, status, note = values[feeding[0]]
                values[successor] = (
                    part,
                    "same-area" if status != "not-computable" else status,
                    (f"{note}; " if note else "")
                    + f"{kind} {feeding[0]} -> {successor} (same area)",
                )
            else:
                values[successor] = (
                    None,
                    "not-computable",
                    f"{kind} of {', '.join(feeding)} -> {successor}: boundaries changed, "
                    "IMD summaries are not additive",
                )
        for code in predecessors:
            values.pop(code, None)
    in_force = register.codes_in_force(target)
    names = register.councils(target).set_index("council_code")["council_name"]
    variables = sorted(table["variable"].unique())
    rows = []
    for code in sorted(in_force):
        part, status, note = values.get(code, (None, "not-computable", "no IMD area leads here"))
        for variable in variables:
            if part is not None:
                hit = part[part["variable"] == variable].iloc[0]
                value, title = float(hit["value"]), hit["published_title"]
            else:
                value, title = float("nan"), ""
            rows.append(
                {
                    "council_code": code,
                    "council_name": names.get(code, ""),
                    "edition": table["edition"].iloc[0],
                    "geography": source,
                    "vintage": target,
                    "variable": variable,
                    "published_title": title,
                    "value": value,
                    "status": status,
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def covariates(
    edition: str | None = None,
    *,
    vintage: str | int | None = None,
    variables: list[str] | None = None,
    wide: bool = False,
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The deprivation covariates of councils, on the edition's geography or carried to another.

    Parameters
    ----------
    edition
        ``"IMD 2015"`` or ``"IMD 2019"``; default both (only without ``vintage``).
    vintage
        Council geography to carry the values to (``"2023"``; a year is resolved by the
        register); default the edition's own (2013 for IMD 2015, 2019 for IMD 2019).
    variables
        Keep these variables (``imd_average_score``, ``imd_rank_of_average_score``, ...).
    wide
        One row per council, one column per variable (plus ``status``).
    data_dir
        Folder of the shipped data.

    Returns
    -------
    pandas.DataFrame
        Long: ``council_code, council_name, edition, geography, vintage, variable,
        published_title, value, status`` (``published``, ``same-area``,
        ``not-computable``) and ``note``.  ``attrs["harmonised_rank"]`` states what a
        carried rank means.

    Raises
    ------
    KeyError
        An unknown edition or variable.
    ValueError
        A vintage before the edition's geography.
    """
    table = _load(data_dir)
    if edition is not None and edition not in EDITIONS:
        raise KeyError(f"unknown IMD edition {edition!r}; editions: {list(EDITIONS)}")
    if variables is not None:
        unknown = sorted(set(variables) - set(table["variable"]))
        if unknown:
            raise KeyError(
                f"unknown variable(s) {unknown}; known: {sorted(set(table['variable']))}"
            )
        table = table[table["variable"].isin(variables)]
    editions = [edition] if edition is not None else list(EDITIONS)
    if vintage is not None and edition is None:
        raise ValueError("pass edition= with vintage= (each edition is on its own geography)")
    parts = []
    for name in editions:
        part = table[table["edition"] == name]
        if vintage is None:
            part = part.assign(vintage=part["geography"], status="published", note="")
            part = part[
                [
                    "council_code",
                    "council_name",
                    "edition",
                    "geography",
                    "vintage",
                    "variable",
                    "published_title",
                    "value",
                    "status",
                    "note",
                ]
            ]
        else:
            from personalisation.geo.register import resolve_vintage

            part = _carry(part, EDITIONS[name], resolve_vintage(vintage))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if wide:
        values = out.pivot_table(
            index=["council_code", "council_name", "edition", "vintage", "status"],
            columns="variable",
            values="value",
            dropna=False,
        ).reset_index()
        values.columns.name = None
        out = values
    out.attrs["harmonised_rank"] = HARMONISED_RANK
    return out


NEIGHBOURS_FILE = "neighbours.csv"
NEIGHBOURS_CAVEAT = (
    "DfE statistical neighbours were built for children's services, not adult social care: "
    "they compare areas on the characteristics that predict children's outcomes"
)


def neighbours(
    council: str | None = None,
    *,
    model: str = "DfE 2025",
    data_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The DfE statistical neighbours of a council (or of every council), by GSS code.

    Parameters
    ----------
    council
        GSS code of a council in force in the model's geography (2021 for ``"DfE 2021"``,
        2023 for ``"DfE 2025"``); default every council.
    model
        ``"DfE 2025"`` (default) or ``"DfE 2021"``.
    data_dir
        Folder of the shipped data.

    Returns
    -------
    pandas.DataFrame
        ``model, vintage, council_code, council_name, la_number, rank`` (1 = closest),
        ``neighbour_code, neighbour_name, neighbour_la_number, closeness, lookup_method``
        (how the DfE LA number was matched to the GSS code), ``row``;
        ``attrs["caveat"]`` says what the groupings were built for.

    Raises
    ------
    KeyError
        An unknown model or a council without neighbours in that model.

    Examples
    --------
    >>> import personalisation as pz
    >>> near = pz.neighbours("E08000003")  # Manchester's ten statistical neighbours
    >>> len(near), near["model"].iloc[0]
    (10, 'DfE 2025')
    >>> near["neighbour_name"].head(3).tolist()
    ['Nottingham', 'Birmingham', 'Newcastle upon Tyne']
    """
    folder = Path(data_dir) if data_dir is not None else _paths.data_dir()
    path = folder / NEIGHBOURS_FILE
    if not path.is_file():
        raise DataNotFoundError(
            f"{path} not found: rebuild the shipped data with `personalisation build-data`"
        )
    table = pd.read_csv(path, dtype=str)
    table["rank"] = table["rank"].astype("int64")
    table["row"] = table["row"].astype("int64")
    models = sorted(table["model"].unique())
    if model not in models:
        raise KeyError(f"unknown neighbour model {model!r}; models: {models}")
    table = table[table["model"] == model]
    if council is not None:
        part = table[table["council_code"] == council]
        if part.empty:
            raise KeyError(
                f"{council} has no neighbours in the {model} model (councils of the "
                f"{table['vintage'].iloc[0]} geography only)"
            )
        table = part
    out = table.sort_values(["council_code", "rank"]).reset_index(drop=True)
    out.attrs["caveat"] = NEIGHBOURS_CAVEAT
    return out
