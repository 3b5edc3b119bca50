"""Run-time queries of the shipped council register: English councils with adult social services responsibilities
(CASSRs), their reorganisation events, and the geography vintages.

This module only reads the shipped files ``geo/councils.csv``, ``geo/events.csv`` and
``geo/register_metadata.json``.  They are derived from raw published lookups at build
time by :func:`personalisation.build.register.write_register` (no council code, name,
date or region is typed into the package):

* mySociety ``uk_local_authorities_current.csv`` (CC BY 4.0): names, council types,
  creation dates and former GSS codes (the 2013 recodes);
* ONSvisual ``uk-topojson`` ``input/changes.csv``: district-level changes 2018-2025
  (the 2019, 2020, 2021, 2023 and 2025 changes); ``input/ltla14-lookup.csv``: district
  -> county -> region;
* ONS LTLA -> UTLA lookups (December 2016, April 2019, December 2022): which districts
  form which upper-tier council, before and after each change;
* CASSR (3-digit) <-> GSS pairs from the compiled ASCOF lookup ``ons_codes.csv`` and the
  NHS Digital ASCOF 2020-21 open-data file;
* the NHS IC PSS-EX1 2008-09 activity table (the CASSRs of 2008-09, including
  Bedfordshire and Cheshire county councils, abolished in April 2009 before GSS codes,
  which get the codes ``cassr:NNN``);
* four ONS boundary products (LAD December 2011, LMCTYUA 2012 and 2013, LAD 2013) that
  date the 2013 recodes.

Vintages
--------
A *vintage* is the geography in force from 1 April of its year until the day before the
next vintage.  The vintages are 2008 (start of the register) and every year with an
event.  Council counts per vintage, derived from the sources and checked by the tests:

========  =======  ==========================================================
vintage   councils  change on 1 April of that year
========  =======  ==========================================================
2008      150       (start: the 150 CASSRs of the 2008-09 PSS-EX1 table)
2009      152       Bedfordshire CC and Cheshire CC split into four unitaries
2013      152       Gateshead and Northumberland get new GSS codes
2019      151       Bournemouth, Poole and Dorset CC -> BCP and Dorset UA
2020      151       Buckinghamshire CC -> Buckinghamshire UA
2021      152       Northamptonshire CC -> North and West Northamptonshire
2023      153       Cumbria split; North Yorkshire and Somerset become unitaries
2025      153       Barnsley and Sheffield get new GSS codes
========  =======  ==========================================================

Data years are years in which a financial year ends (figures at 31 March), so the
2019-20 figures (year 2020) are on the 2019 vintage: :func:`vintage_for_year`.

Dates: an event's ``date`` is the day the new geography took effect (1 April; the ONS
products give only the year, mySociety gives the day where it has it); a council's
``valid_to`` is the day before its successor's ``date``.  An empty ``valid_from`` means
"in force before the register starts on 1 April 2008", an empty ``valid_to`` "still in
force".

Notes
-----
* Cornwall, Durham, Northumberland, Shropshire and Wiltshire became unitary on
  1 April 2009 with the same area and the same CASSR code as the county council before;
  for adult social care nothing changed, so the register carries their unitary GSS code
  from 2008 on (``council_type`` is that of the code: "unitary authority").
* City of London (sui generis) is typed "London borough", the only London type the cube
  contract knows.
* Regions come from the ONS lookups, not from mySociety's ``region`` column (which puts
  Derbyshire in the West Midlands and Lincolnshire in Yorkshire and The Humber).

Examples
--------
>>> from personalisation.geo.register import councils, vintage_for_year, successors
>>> vintage_for_year(2015)
'2013'
>>> len(councils("2023"))
153
>>> successors("E10000021", at=2023)
['E06000061', 'E06000062']
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from personalisation import _paths
from personalisation.errors import DataNotFoundError, UnknownCouncilError

__all__ = [
    "COUNCIL_COLUMNS",
    "COUNCIL_TYPES",
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "REGISTER_START",
    "codes_in_force",
    "councils",
    "events",
    "lineage",
    "resolve_vintage",
    "successors",
    "vintage_for_codes",
    "vintage_for_year",
    "vintage_start",
    "vintages",
]

COUNCIL_COLUMNS: tuple[str, ...] = (
    "council_code",
    "council_name",
    "council_type",
    "region_code",
    "region_name",
    "cassr_code",
    "valid_from",
    "valid_to",
)
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "date",
    "type",
    "predecessor_code",
    "successor_code",
    "description",
    "citation",
)
#: Event types.  ``type`` describes the role of one predecessor -> successor pair:
#: ``recode`` a new code for the same council; ``merge`` the predecessor passes whole into
#: the successor (which may receive other predecessors, or be a new unitary made of a
#: county and its districts); ``split`` the predecessor's area goes to more than one
#: successor.  ``boundary_change``, ``abolition`` and ``creation`` are reserved for events
#: the sources may record later; none of the current events needs them.
EVENT_TYPES: tuple[str, ...] = (
    "recode",
    "merge",
    "split",
    "boundary_change",
    "abolition",
    "creation",
)
COUNCIL_TYPES: tuple[str, ...] = (
    "London borough",
    "metropolitan district",
    "unitary authority",
    "county",
)
#: First day covered by the register (the 2008-09 financial year).
REGISTER_START = "2008-04-01"


# --------------------------------------------------------------------------- reading the shipped files
def _vintages_from(ev: pd.DataFrame) -> tuple[str, ...]:
    years = {REGISTER_START[:4]} | {d[:4] for d in ev["date"]}
    return tuple(sorted(years))


@functools.lru_cache(maxsize=4)
def _read_shipped(name: str, geo: str) -> pd.DataFrame:
    path = Path(geo) / name
    if not path.is_file():
        raise DataNotFoundError(
            f"{path} not found: rebuild geo/ with `personalisation build-data` "
            "(personalisation.build.register.write_register)"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _register() -> pd.DataFrame:
    return _read_shipped("councils.csv", str(_paths.geo_dir()))


def _events() -> pd.DataFrame:
    return _read_shipped("events.csv", str(_paths.geo_dir()))


def vintages() -> tuple[str, ...]:
    """The geography vintages of the shipped register, oldest first.

    A vintage is named by the year on whose 1 April it took effect: the start of the
    register (2008) and every year with a reorganisation event in ``geo/events.csv``.
    The file is read on the first call and the answer cached (per geography folder), so
    importing this module never touches the disk.

    Returns
    -------
    tuple of str
        The vintages, in order (``"2008"`` first).

    Raises
    ------
    DataNotFoundError
        If the shipped ``geo/events.csv`` is missing.

    Examples
    --------
    >>> from personalisation.geo.register import vintages
    >>> vintages()
    ('2008', '2009', '2013', '2019', '2020', '2021', '2023', '2025')
    >>> vintages()[-1]  # the geography in force now
    '2025'
    """
    return _vintages_at(str(_paths.geo_dir()))


@functools.lru_cache(maxsize=4)
def _vintages_at(geo: str) -> tuple[str, ...]:
    return _vintages_from(_read_shipped("events.csv", geo))


def vintage_start(vintage: str | int) -> str:
    """First day (ISO date) of a vintage: ``vintage_start("2019") == "2019-04-01"``."""
    return f"{resolve_vintage(vintage)}-04-01"


def resolve_vintage(vintage: str | int) -> str:
    """The vintage in force on 1 April of a year.

    Parameters
    ----------
    vintage
        A year (``2017`` or ``"2017"``) or a vintage name.

    Raises
    ------
    ValueError
        If the year is not a year, or is before the register starts (2008).

    Examples
    --------
    >>> resolve_vintage(2017)
    '2013'
    >>> resolve_vintage("2023")
    '2023'
    """
    text = str(vintage).strip()
    known = vintages()
    if not re.fullmatch(r"\d{4}", text):
        raise ValueError(
            f"geography vintage must be a year like '2019', got {vintage!r}; known: {known}"
        )
    if text < known[0]:
        raise ValueError(
            f"geography vintage {vintage!r} is before the register starts ({REGISTER_START}); "
            f"known vintages: {known}"
        )
    return [v for v in known if v <= text][-1]


def vintage_for_year(year: int) -> str:
    """Vintage of the figures of a data year (the year in which the financial year ends).

    Figures of year ``Y`` (financial year ``Y-1``-``Y``) are at 31 March of ``Y``, on the
    geography in force on that day: the vintage in force on 1 April of ``Y - 1``.

    Examples
    --------
    >>> [vintage_for_year(y) for y in (2009, 2010, 2015, 2020, 2024)]
    ['2008', '2009', '2013', '2019', '2023']
    """
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValueError(f"data year must be an integer like 2015, got {year!r}") from None
    return resolve_vintage(year - 1)


def vintage_for_codes(codes: Iterable[str], at_least: str | int) -> str | None:
    """The earliest vintage from ``at_least`` on in which every code was in force.

    Publishers sometimes put a year's figures on a later geography (ONS mid-2020
    estimates on the April 2021 councils); this finds the geography the codes fit.

    Examples
    --------
    >>> vintage_for_codes(["E06000061", "E06000062"], at_least="2019")
    '2021'
    >>> vintage_for_codes(["E06000028"], at_least="2019") is None
    True
    """
    wanted = {str(c) for c in codes}
    start = resolve_vintage(at_least)
    for vintage in (v for v in vintages() if v >= start):
        if wanted <= codes_in_force(vintage):
            return vintage
    return None


def codes_in_force(vintage: str | int) -> frozenset[str]:
    """The council codes of a vintage, as a set (cached per shipped register).

    Examples
    --------
    >>> "E06000058" in codes_in_force("2019"), "E06000058" in codes_in_force("2013")
    (True, False)
    """
    return _codes_in_force(resolve_vintage(vintage), str(_paths.geo_dir()))


@functools.lru_cache(maxsize=32)
def _codes_in_force(vintage: str, geo: str) -> frozenset[str]:
    return frozenset(councils(vintage)["council_code"])


def _valid_mask(register: pd.DataFrame, date: str) -> pd.Series:
    start_ok = (register["valid_from"] == "") | (register["valid_from"] <= date)
    end_ok = (register["valid_to"] == "") | (register["valid_to"] >= date)
    return start_ok & end_ok


def councils(vintage: str | int | None = None) -> pd.DataFrame:
    """The council register, or the councils in force in one vintage.

    Parameters
    ----------
    vintage
        ``None`` for every council since 2008, else a vintage or any year (resolved with
        :func:`resolve_vintage`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COUNCIL_COLUMNS`, sorted by ``council_code`` (a copy).

    Examples
    --------
    >>> [len(councils(v)) for v in ("2008", "2009", "2019", "2021", "2023")]
    [150, 152, 151, 152, 153]
    >>> councils(2016).set_index("council_code").loc["E10000021", "council_type"]
    'county'
    """
    reg = _register()
    if vintage is None:
        return reg.copy()
    mask = _valid_mask(reg, vintage_start(vintage))
    return reg[mask].reset_index(drop=True)


def events() -> pd.DataFrame:
    """The reorganisation events (columns :data:`EVENT_COLUMNS`), a copy.

    Examples
    --------
    >>> sorted(set(events()["type"]))
    ['merge', 'recode', 'split']
    """
    return _events().copy()


def _check_code(code: str) -> str:
    reg = _register()
    text = str(code).strip()
    if text in set(reg["council_code"]):
        return text
    pool = list(reg["council_code"]) + list(reg["council_name"])
    close = difflib.get_close_matches(text, pool, n=5, cutoff=0.6)
    by_name = reg.loc[reg["council_name"].str.lower() == text.lower(), "council_code"].tolist()
    hint = by_name or [
        reg.loc[reg["council_name"] == c, "council_code"].iloc[0]
        if c in set(reg["council_name"])
        else c
        for c in close
    ]
    hint = list(dict.fromkeys(hint))
    suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
    raise UnknownCouncilError(f"unknown council code {code!r}{suggestion}")


def lineage(code: str) -> pd.DataFrame:
    """Every event in a council's history: all its ancestors' and descendants' events.

    Examples
    --------
    >>> lineage("E06000061")[["date", "predecessor_code", "successor_code"]].values.tolist()
    [['2021-04-01', 'E10000021', 'E06000061'], ['2021-04-01', 'E10000021', 'E06000062']]
    """
    code = _check_code(code)
    ev = _events()
    seen_events: set[str] = set()
    for column, other in (
        ("successor_code", "predecessor_code"),
        ("predecessor_code", "successor_code"),
    ):
        frontier = {code}
        visited = {code}
        while frontier:
            hit = ev[ev[column].isin(frontier)]
            seen_events |= set(hit["event_id"])
            frontier = set(hit[other]) - visited
            visited |= frontier
    out = ev[ev["event_id"].isin(seen_events)]
    return out.sort_values(["date", "event_id", "predecessor_code", "successor_code"]).reset_index(
        drop=True
    )


def _as_date(at: str | int | None) -> str:
    if at is None:
        return "9999-12-31"
    text = str(at).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        _dt.date.fromisoformat(text)
        return text
    return vintage_start(text)


def successors(code: str, at: str | int | None = None) -> list[str]:
    """What a council had become by a date or vintage.

    Parameters
    ----------
    code
        A council code from the register.
    at
        An ISO date (``"2021-06-30"``), a vintage or year (its 1 April), or ``None``
        (today's councils).

    Returns
    -------
    list of str
        Sorted codes in force at ``at``; ``[code]`` if nothing happened to it.

    Raises
    ------
    UnknownCouncilError
        For a code the register does not know (with close matches).
    ValueError
        If the council did not exist yet at ``at``.

    Examples
    --------
    >>> successors("E08000020", at=2015)
    ['E08000037']
    >>> successors("E06000053")
    ['E06000053']
    """
    code = _check_code(code)
    date = _as_date(at)
    reg = _register().set_index("council_code")
    if reg.loc[code, "valid_from"] and reg.loc[code, "valid_from"] > date:
        raise ValueError(
            f"{code} ({reg.loc[code, 'council_name']}) did not exist on {date}: it starts "
            f"{reg.loc[code, 'valid_from']}; see lineage({code!r}) for its predecessors"
        )
    ev = _events()
    ev = ev[ev["date"] <= date]
    current = {code}
    while True:
        hit = ev[ev["predecessor_code"].isin(current)]
        if hit.empty:
            return sorted(current)
        current = (current - set(hit["predecessor_code"])) | set(hit["successor_code"])
