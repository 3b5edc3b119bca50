"""The council register: English councils with adult social services responsibilities
(CASSRs), their reorganisation events, and the geography vintages.

Everything in the shipped files ``geo/councils.csv``, ``geo/events.csv`` and
``geo/register_metadata.json`` is derived from raw published lookups by
:func:`write_register` (no council code, name, date or region is typed into this module):

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

import csv
import datetime as _dt
import difflib
import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from personalisation import _paths
from personalisation._provenance import (
    NHS_ATTRIBUTION,
    OGL_V3,
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    file_record,
    write_json,
)
from personalisation.errors import SourceFormatError, UnknownCouncilError

__all__ = [
    "COUNCIL_COLUMNS",
    "COUNCIL_TYPES",
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "REGISTER_START",
    "VINTAGES",  # noqa: F822 - provided lazily by the module __getattr__
    "build_events",
    "build_register",
    "councils",
    "events",
    "lineage",
    "resolve_vintage",
    "successors",
    "codes_in_force",
    "vintage_for_codes",
    "vintage_for_year",
    "vintage_start",
    "write_register",
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

_ENTITY_TYPE = {
    "E06": "unitary authority",
    "E08": "metropolitan district",
    "E09": "London borough",
    "E10": "county",
}
_UPPER_TIER = re.compile(r"^E(06|08|09|10)\d{6}$")
_LOCAL_AUTHORITY = re.compile(r"^E(06|07|08|09|10)\d{6}$")
_GSS = re.compile(r"^[EWSN]\d{8}$")
_CASSR = re.compile(r"^\d{3}$")
_CASSR_PREFIX = "cassr:"


# --------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class _Source:
    id: str
    path: str  # relative to the raw dir (a glob for the NHS Digital xlsx)
    publisher: str
    title: str
    licence: str
    attribution: str
    notes: str = ""


_MYSOC_ATTR = (
    "Contains data from mySociety, UK local authority names and codes "
    "(https://github.com/mysociety/uk_local_authority_names_and_codes), licensed under CC BY 4.0."
)
_BOUNDARY_ATTR = ONS_ATTRIBUTION + " " + OS_ATTRIBUTION.format(year="2011-2014")

_SOURCES: tuple[_Source, ...] = (
    _Source(
        "mysociety_la_register",
        "geo/mysociety-la-names-codes/uk_local_authorities_current.csv",
        "mySociety",
        "uk_local_authority_names_and_codes: uk_local_authorities_current.csv",
        "CC BY 4.0",
        _MYSOC_ATTR,
        "names, local-authority-type, start-date, former-gss-codes",
    ),
    _Source(
        "onsvisual_changes",
        "geo/onsvisual-uk-topojson/changes.csv",
        "ONS Data Visualisation team (ONSvisual/uk-topojson)",
        "uk-topojson input/changes.csv: local authority code and geography changes 2018-2025",
        OGL_V3,
        ONS_ATTRIBUTION,
        "district-level mergers, terminations and new codes",
    ),
    _Source(
        "onsvisual_ltla14_lookup",
        "geo/onsvisual-uk-topojson/ltla14-lookup.csv",
        "ONS Data Visualisation team (ONSvisual/uk-topojson)",
        "uk-topojson input/ltla14-lookup.csv: 2014 districts to county and region",
        OGL_V3,
        ONS_ATTRIBUTION,
        "region of every council in the 2013 vintage",
    ),
    _Source(
        "ons_ltla_utla_2016",
        "geo/bengoodair-care-markets/"
        "Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2016)_Lookup_in_EW.csv",
        "Office for National Statistics",
        "Lower Tier Local Authority to Upper Tier Local Authority (December 2016) Lookup in EW",
        OGL_V3,
        ONS_ATTRIBUTION,
        "used for shire districts -> county only (this edition maps metropolitan districts "
        "and London boroughs to E11/E13 areas)",
    ),
    _Source(
        "ons_ltla_utla_2019",
        "geo/tomwhite-covid-19-uk-data/"
        "Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_April_2019_Lookup_in_England_and_Wales.csv",
        "Office for National Statistics",
        "Lower Tier Local Authority to Upper Tier Local Authority (April 2019) Lookup in EW",
        OGL_V3,
        ONS_ATTRIBUTION,
    ),
    _Source(
        "ons_ltla_utla_2022",
        "geo/bengoodair-two-child-limit/"
        "Lower_Tier_Local_Authority_to_Upper_Tier_Local_Authority_(December_2022)_Lookup_in_England_and_Wales.csv",
        "Office for National Statistics",
        "Lower Tier Local Authority to Upper Tier Local Authority (December 2022) Lookup in EW",
        OGL_V3,
        ONS_ATTRIBUTION,
    ),
    _Source(
        "ascof_ons_codes",
        "indicators/ascof_compiled_acbockmuehl/ons_codes.csv",
        "NHS Digital / NHS England (compiled by acbockmuehl/ascof-repos)",
        "CASSR lookup ons_codes.csv (Geography, Council type, Council region, LA Code, ONS Area Code)",
        OGL_V3 + " (underlying NHS Digital data; the compilation states no licence)",
        NHS_ATTRIBUTION,
        "3-digit CASSR code <-> GSS code pairs",
    ),
    _Source(
        "ascof_nhsd_open_data",
        "indicators/ascof_nhsd/*.xlsx",
        "NHS Digital",
        "Measures from the Adult Social Care Outcomes Framework, England: open-data file",
        OGL_V3,
        NHS_ATTRIBUTION,
        "3-digit CASSR code <-> GSS code pairs (columns Geographical Code, ONS Code)",
    ),
    _Source(
        "pss_ex1_2008_09",
        "indicators/pss_ex1_activity/pers-soc-serv-exp-unit-cost-eng-2008-09-data.csv",
        "NHS Information Centre",
        "Personal Social Services Expenditure and Unit Costs, England 2008-09: Activity Data by CASSR",
        OGL_V3,
        NHS_ATTRIBUTION,
        "the CASSRs of 2008-09 (codes and names), incl. Bedfordshire and Cheshire",
    ),
    _Source(
        "ons_lad_2011",
        "geo/henryjameslau-geoportal-topojson/outputs/Local_Authority_Districts_December_2011_GB_BGC_2022.json",
        "Office for National Statistics (TopoJSON conversion by henryjameslau)",
        "Local Authority Districts (December 2011) GB BGC",
        OGL_V3,
        _BOUNDARY_ATTR,
        "codes only: dates the 2013 recodes",
    ),
    _Source(
        "ons_lmctyua_2012",
        "geo/henryjameslau-geoportal-topojson/outputs/LMCTYUA_2012_EW_BSC.json",
        "Office for National Statistics (TopoJSON conversion by henryjameslau)",
        "Counties, metropolitan counties and unitary authorities 2012 EW BSC",
        OGL_V3,
        _BOUNDARY_ATTR,
        "codes only: dates the 2013 recodes",
    ),
    _Source(
        "ons_lmctyua_2013",
        "geo/henryjameslau-geoportal-topojson/outputs/LMCTYUA_2013_EW_BSC.json",
        "Office for National Statistics (TopoJSON conversion by henryjameslau)",
        "Counties, metropolitan counties and unitary authorities 2013 EW BSC",
        OGL_V3,
        _BOUNDARY_ATTR,
        "codes only: dates the 2013 recodes",
    ),
    _Source(
        "martinjc_lad_2013",
        "geo/martinjc-uk-geojson/topo_lad.json",
        "Martin Chorley (martinjc/UK-GeoJSON), from ONS/OS data",
        "English local authority districts 2013 (LAD13CD) TopoJSON",
        "CC BY 4.0",
        "Martin Chorley, UK-GeoJSON, CC BY 4.0. " + OS_ATTRIBUTION.format(year="2014"),
        "codes only: dates the 2013 recodes",
    ),
)

# The boundary products that date recodes: (source id, year of the product).
_DATING_PRODUCTS: tuple[tuple[str, int], ...] = (
    ("ons_lad_2011", 2011),
    ("ons_lmctyua_2012", 2012),
    ("ons_lmctyua_2013", 2013),
    ("martinjc_lad_2013", 2013),
)
# LTLA -> UTLA lookups: (source id, geography year, code column prefix).
_UTLA_LOOKUPS: tuple[tuple[str, int, str], ...] = (
    ("ons_ltla_utla_2016", 2016, "16"),
    ("ons_ltla_utla_2019", 2019, "19"),
    ("ons_ltla_utla_2022", 2022, "22"),
)


def _source(source_id: str) -> _Source:
    for src in _SOURCES:
        if src.id == source_id:
            return src
    raise KeyError(source_id)


def _paths_of(raw_dir: Path, source_id: str) -> list[Path]:
    src = _source(source_id)
    if any(ch in src.path for ch in "*?["):
        found = sorted(raw_dir.glob(src.path))
    else:
        found = [raw_dir / src.path] if (raw_dir / src.path).is_file() else []
    if not found:
        raise SourceFormatError(f"raw file for {source_id!r} not found: {raw_dir / src.path}")
    return found


def _path(raw_dir: Path, source_id: str) -> Path:
    return _paths_of(raw_dir, source_id)[0]


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}")
    return frame.apply(lambda col: col.str.strip())


def _read_topo_codes(path: Path) -> set[str]:
    """Every GSS-looking property value of every geometry in a TopoJSON file."""
    topo = json.loads(path.read_text(encoding="utf-8"))
    if "objects" not in topo:
        raise SourceFormatError(f"{path}: not a TopoJSON file (no 'objects')")
    codes: set[str] = set()
    for obj in topo["objects"].values():
        for geom in obj.get("geometries", []):
            for value in (geom.get("properties") or {}).values():
                if isinstance(value, str) and _GSS.match(value.strip()):
                    codes.add(value.strip())
    return codes


# --------------------------------------------------------------------------- readers
def _read_mysociety(raw_dir: Path) -> pd.DataFrame:
    path = _path(raw_dir, "mysociety_la_register")
    frame = _read_csv(
        path,
        (
            "gss-code",
            "official-name",
            "nice-name",
            "start-date",
            "end-date",
            "local-authority-type",
            "former-gss-codes",
        ),
    )
    return frame[frame["gss-code"].str.match(_UPPER_TIER.pattern)].reset_index(drop=True)


def _read_utla_lookups(raw_dir: Path) -> dict[int, pd.DataFrame]:
    """year -> DataFrame(ltla, ltla_name, utla, utla_name) on the adult-social-care upper tier."""
    out = {}
    for source_id, year, suffix in _UTLA_LOOKUPS:
        path = _path(raw_dir, source_id)
        cols = (f"LTLA{suffix}CD", f"LTLA{suffix}NM", f"UTLA{suffix}CD", f"UTLA{suffix}NM")
        frame = _read_csv(path, cols)
        frame = frame.rename(
            columns=dict(zip(cols, ("ltla", "ltla_name", "utla", "utla_name"), strict=True))
        )
        frame = frame[frame["ltla"].str.startswith("E")][
            ["ltla", "ltla_name", "utla", "utla_name"]
        ].copy()
        # Metropolitan districts and London boroughs are their own adult-social-care upper
        # tier (the 2016 edition maps them to E11 metropolitan counties / E13 Inner-Outer London).
        own = frame["ltla"].str.match(_UPPER_TIER.pattern)
        frame.loc[own, "utla"] = frame.loc[own, "ltla"]
        frame.loc[own, "utla_name"] = frame.loc[own, "ltla_name"]
        bad = frame[~frame["utla"].str.match(_UPPER_TIER.pattern)]
        if len(bad):
            raise SourceFormatError(
                f"{path}: district(s) {bad['ltla'].tolist()} map to non-upper-tier codes"
            )
        out[year] = frame.reset_index(drop=True)
    return out


def _read_cassr_pairs(raw_dir: Path) -> pd.DataFrame:
    """3-digit CASSR code <-> GSS code pairs (cassr_code, council_code, name, source)."""
    rows = []
    path = _path(raw_dir, "ascof_ons_codes")
    frame = _read_csv(path, ("Geography", "LA Code", "ONS Area Code"))
    for _, rec in frame.iterrows():
        code, gss = rec["LA Code"], rec["ONS Area Code"]
        if _CASSR.match(code) and _UPPER_TIER.match(gss):
            rows.append((code, gss, rec["Geography"], "ascof_ons_codes"))
    for path in _paths_of(raw_dir, "ascof_nhsd_open_data"):
        rows += _published_pairs(str(path))
    pairs = pd.DataFrame(rows, columns=["cassr_code", "council_code", "name", "source"])
    per_gss = pairs.groupby("council_code")["cassr_code"].nunique()
    clash = per_gss[per_gss > 1]
    if len(clash):
        raise SourceFormatError(
            f"GSS code(s) with more than one CASSR code in the lookups: {list(clash.index)}"
        )
    return pairs.drop_duplicates(["cassr_code", "council_code"]).reset_index(drop=True)


def _published_pairs(path: str) -> list[tuple[str, str, str, str]]:
    """CASSR <-> GSS pairs of one ASCOF open-data workbook (the parsed workbook is cached
    by the ASCOF reader, per file version)."""
    from personalisation.sources.ascof import ascof_code_pairs

    published = ascof_code_pairs(path)
    return [
        (str(code), str(gss), str(name), "ascof_nhsd_open_data")
        for code, gss, name in zip(
            published["cassr_code"],
            published["council_code"],
            published["council_name"],
            strict=True,
        )
        if _CASSR.match(str(code)) and _UPPER_TIER.match(str(gss))
    ]


def _read_pss_2008_09(raw_dir: Path) -> dict[str, str]:
    """CASSR code -> name, from the rows of the 2008-09 PSS-EX1 activity table."""
    path = _path(raw_dir, "pss_ex1_2008_09")
    out: dict[str, str] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) >= 2 and _CASSR.match(row[0].strip()):
                out[row[0].strip()] = row[1].strip()
    if len(out) < 100:
        raise SourceFormatError(f"{path}: expected ~150 CASSR rows 'NNN,Name', found {len(out)}")
    return out


def _norm_name(name: str) -> str:
    text = name.lower().replace("&", " and ")
    text = re.sub(r"\b(ua|council|city of|county of|county)\b", " ", text)
    text = re.sub(r"[^a-z]+", " ", text)
    return " ".join(text.split())


def _day_before(date: str) -> str:
    return (_dt.date.fromisoformat(date) - _dt.timedelta(days=1)).isoformat()


# --------------------------------------------------------------------------- events
def _district_pairs(raw_dir: Path, lookups: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Upper-tier pairs from the ONSvisual district changes, one row per (pair, district)."""
    path = _path(raw_dir, "onsvisual_changes")
    changes = _read_csv(path, ("oldcd", "oldnm", "newcd", "newnm", "type", "start"))
    years = sorted(lookups)
    rows = []
    for idx, rec in changes.iterrows():
        kind, old, new = rec["type"], rec["oldcd"], rec["newcd"]
        if not _LOCAL_AUTHORITY.match(old) or kind == "new_geo":
            continue  # Scotland / Wales; combined authorities (E47) and their membership
        if not rec["start"].isdigit():
            raise SourceFormatError(f"{path}: row {idx + 2}: start {rec['start']!r} is not a year")
        year = int(rec["start"])
        if kind == "termination":
            continue  # the area is accounted for by its districts' rows (checked below)
        if kind == "new_code":
            if _UPPER_TIER.match(old) and _UPPER_TIER.match(new):
                rows.append((year, old, new, "recode", "", rec["oldnm"], rec["newnm"]))
            continue
        if kind != "merger":
            raise SourceFormatError(f"{path}: row {idx + 2}: unknown change type {kind!r}")
        before = [y for y in years if y < year]
        after = [y for y in years if y >= year]
        if not before:
            raise SourceFormatError(f"{path}: row {idx + 2}: no LTLA->UTLA lookup before {year}")

        where = f"{path}: row {idx + 2}"
        old_ut = _upper_tier_of(old, lookups, before[-1], where)
        new_ut = _upper_tier_of(new, lookups, after[0] if after else None, where)
        if old_ut != new_ut:
            district = "" if _UPPER_TIER.match(old) else f"{rec['oldnm']} ({old})"
            rows.append((year, old_ut, new_ut, "district", district, "", ""))
    pairs = pd.DataFrame(
        rows, columns=["year", "pred", "succ", "how", "district", "old_name", "new_name"]
    )
    # every terminated upper-tier council must be accounted for by its districts
    for _, rec in changes[changes["type"] == "termination"].iterrows():
        if rec["oldcd"].startswith("E") and not (pairs["pred"] == rec["oldcd"]).any():
            raise SourceFormatError(
                f"{path}: terminated {rec['oldcd']} has no successor via its districts"
            )
    return pairs


def _upper_tier_of(
    code: str, lookups: dict[int, pd.DataFrame], lookup_year: int | None, where: str
) -> str:
    """The adult-social-care upper-tier council of a district (itself for a unitary)."""
    if _UPPER_TIER.match(code):
        return code
    if lookup_year is None:
        raise SourceFormatError(f"{where}: no LTLA->UTLA lookup for the year of {code}")
    frame = lookups[lookup_year]
    hit = frame.loc[frame["ltla"] == code, "utla"]
    if len(hit) != 1:
        raise SourceFormatError(
            f"{where}: district {code} not in the {lookup_year} LTLA->UTLA lookup"
        )
    return hit.iloc[0]


def _recode_year(raw_dir: Path, old: str, new: str) -> int:
    """Year of a recode: first dating product carrying ``new``, after the last carrying ``old``."""
    years_old, years_new = [], []
    for source_id, year in _DATING_PRODUCTS:
        codes = _read_topo_codes_cached(str(_path(raw_dir, source_id)))
        if old in codes:
            years_old.append(year)
        if new in codes:
            years_new.append(year)
    if not years_new or not years_old or max(years_old) >= min(years_new):
        raise SourceFormatError(
            f"cannot date the recode {old} -> {new} from the boundary products "
            f"(old code in {years_old}, new code in {years_new})"
        )
    return min(years_new)


@functools.lru_cache(maxsize=16)
def _read_topo_codes_cached(path: str) -> frozenset[str]:
    return frozenset(_read_topo_codes(Path(path)))


def _cassr_of(pairs: pd.DataFrame) -> dict[str, str]:
    return dict(zip(pairs["council_code"], pairs["cassr_code"], strict=True))


def _split_2009(
    raw_dir: Path,
    mysoc: pd.DataFrame,
    pairs: pd.DataFrame,
    recodes: list[tuple[str, str]],
    explained: set[str],
) -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, str]]:
    """The splits of 2008-09 CASSRs that never had a GSS code (Bedfordshire, Cheshire).

    A 2008-09 CASSR (PSS-EX1 table) is *covered* when a council in force before the first
    post-2008 creation date carries its 3-digit code (CASSR lookups, carried over recodes)
    or, failing that, its name.  An uncovered CASSR was abolished: its successors are the
    councils created after 2008 that no other event explains, whose 3-digit code is new,
    in the same hundred as the abolished code and whose name shares its stem.

    Returns ``(pairs, names, extra_cassr)``: (date, ``cassr:NNN``, successor) pairs,
    ``cassr:NNN`` -> name, and GSS -> CASSR code for councils matched by name.
    """
    pss = _read_pss_2008_09(raw_dir)
    cassr_of = _cassr_of(pairs)
    for old, new in recodes:  # a recode keeps the council, so it keeps its CASSR code
        if new in cassr_of and old not in cassr_of:
            cassr_of[old] = cassr_of[new]
    start = dict(zip(mysoc["gss-code"], mysoc["start-date"], strict=True))
    nice = dict(zip(mysoc["gss-code"], mysoc["nice-name"], strict=True))
    former = {old for old, _ in recodes}
    created = {g for g, d in start.items() if d > REGISTER_START}
    first_creation = min(start[g] for g in created)
    # in force in 2008-09: not created, or created on the first creation date with a
    # CASSR code that already existed (a county that became unitary with the same area)
    early = {
        g
        for g in start
        if g not in created or (start[g] == first_creation and cassr_of.get(g) in pss)
    }
    early |= former
    covered = {cassr_of[g] for g in early if cassr_of.get(g) in pss}
    extra: dict[str, str] = {}
    candidates = {g: _norm_name(nice[g]) for g in early if g in nice and g not in cassr_of}
    for code, name in sorted(pss.items()):
        if code in covered:
            continue
        hits = [g for g, n in candidates.items() if n == _norm_name(name)]
        if len(hits) == 1:
            extra[hits[0]] = code
            covered.add(code)
    abolished = {code: name for code, name in pss.items() if code not in covered}
    new_councils = created - explained - early
    out = []
    for code, name in sorted(abolished.items()):
        stem = _norm_name(name)[:5]
        succ = sorted(
            g
            for g in new_councils
            if cassr_of.get(g, " ")[0] == code[0] and stem in _norm_name(nice[g])
        )
        if len(succ) < 2:
            raise SourceFormatError(
                f"2008-09 CASSR {code} {name!r} has no GSS code and no split into new councils "
                f"could be derived (candidates: {sorted(new_councils)})"
            )
        dates = {start[g] for g in succ}
        if len(dates) != 1:
            raise SourceFormatError(
                f"successors {succ} of CASSR {code} have different start dates {dates}"
            )
        date = dates.pop()
        out += [(date, _CASSR_PREFIX + code, g) for g in succ]
    unexplained = new_councils - {s for _, _, s in out}
    if unexplained:
        raise SourceFormatError(
            f"councils created after 2008 without a predecessor: {sorted(unexplained)}"
        )
    return out, {_CASSR_PREFIX + c: n for c, n in abolished.items()}, extra


def _collect_pairs(raw_dir: Path) -> tuple[pd.DataFrame, dict]:
    """All predecessor -> successor pairs with their dates and evidence."""
    mysoc = _read_mysociety(raw_dir)
    lookups = _read_utla_lookups(raw_dir)
    cassr_pairs = _read_cassr_pairs(raw_dir)
    start = dict(zip(mysoc["gss-code"], mysoc["start-date"], strict=True))
    rows = []
    # 1. recodes recorded by mySociety as former GSS codes, dated by the boundary products
    recodes = []
    for _, rec in mysoc.iterrows():
        for old in (c.strip() for c in rec["former-gss-codes"].split(",")):
            if old:
                recodes.append((old, rec["gss-code"]))
    cite_recode = (
        "mySociety uk_local_authority_names_and_codes (former-gss-codes); dated by ONS LAD Dec 2011, "
        "LMCTYUA 2012/2013 and LAD 2013 boundary products"
    )
    for old, new in sorted(recodes):
        year = _recode_year(raw_dir, old, new)
        rows.append(
            dict(
                date=f"{year}-04-01",
                pred=old,
                succ=new,
                how="recode",
                district="",
                citation=cite_recode,
            )
        )
    # 2. district-level changes 2018- (ONSvisual), lifted to the upper tier
    district = _district_pairs(raw_dir, lookups)
    cite_changes = "ONSvisual uk-topojson input/changes.csv (ONS); ONS LTLA->UTLA lookups (Dec 2016, Apr 2019, Dec 2022)"
    for (year, pred, succ, how), grp in district.groupby(
        ["year", "pred", "succ", "how"], sort=True
    ):
        date = start.get(succ) or f"{year}-04-01"
        if not date.startswith(str(year)):
            raise SourceFormatError(
                f"{succ}: mySociety start-date {date} disagrees with changes.csv year {year}"
            )
        names = "; ".join(sorted(d for d in grp["district"] if d))
        citation = cite_changes + (
            "; mySociety uk_local_authority_names_and_codes (start-date)" if succ in start else ""
        )
        rows.append(
            dict(date=date, pred=pred, succ=succ, how=how, district=names, citation=citation)
        )
    # 3. 2009 splits of the CASSRs that never had a GSS code
    explained = {r["succ"] for r in rows}
    split_pairs, cassr_names, extra_cassr = _split_2009(
        raw_dir, mysoc, cassr_pairs, recodes, explained
    )
    cite_2009 = (
        "NHS IC PSS-EX1 2008-09 activity data by CASSR (CASSR list); mySociety "
        "uk_local_authority_names_and_codes (start-date); ASCOF CASSR<->ONS code lookups"
    )
    for date, pred, succ in split_pairs:
        rows.append(
            dict(date=date, pred=pred, succ=succ, how="cassr", district="", citation=cite_2009)
        )
    pairs = pd.DataFrame(rows)
    dup = pairs.duplicated(["pred", "succ"], keep=False)
    if dup.any():
        raise SourceFormatError(
            f"pair recorded twice: {pairs.loc[dup, ['pred', 'succ']].values.tolist()}"
        )
    context = dict(
        mysoc=mysoc,
        lookups=lookups,
        cassr_pairs=cassr_pairs,
        cassr_names=cassr_names,
        extra_cassr=extra_cassr,
        recodes=recodes,
        changes=_read_csv(
            _path(raw_dir, "onsvisual_changes"), ("oldcd", "oldnm", "newcd", "newnm")
        ),
        ltla14=_read_csv(
            _path(raw_dir, "onsvisual_ltla14_lookup"),
            ("ltlacd", "ltlanm", "ctycd", "ctynm", "rgncd", "rgnnm"),
        ),
    )
    return pairs, context


def _names(codes: set[str], context: dict) -> dict[str, str]:
    """Council name: ONS lookups (newest first), then ONSvisual, then mySociety, then PSS-EX1."""
    names: dict[str, str] = {}
    for year in sorted(context["lookups"], reverse=True):
        frame = context["lookups"][year]
        for code, name in zip(frame["utla"], frame["utla_name"], strict=True):
            names.setdefault(code, name)
    ltla14 = context["ltla14"]
    for code, name in zip(ltla14["ltlacd"], ltla14["ltlanm"], strict=True):
        names.setdefault(code, name)
    for code, name in zip(ltla14["ctycd"], ltla14["ctynm"], strict=True):
        if code:
            names.setdefault(code, name)
    changes = context["changes"]
    for col_cd, col_nm in (("newcd", "newnm"), ("oldcd", "oldnm")):
        for code, name in zip(changes[col_cd], changes[col_nm], strict=True):
            if code:
                names.setdefault(code, name)
    mysoc = context["mysoc"]
    for _, rec in mysoc.iterrows():
        names.setdefault(rec["gss-code"], rec["nice-name"])
        for old in (c.strip() for c in rec["former-gss-codes"].split(",")):
            if old:
                names.setdefault(old, rec["nice-name"])
    names.update({k: v for k, v in context["cassr_names"].items() if k not in names})
    missing = sorted(c for c in codes if not names.get(c))
    if missing:
        raise SourceFormatError(f"no name found in any source for {missing}")
    return {c: names[c] for c in codes}


def _type_rows(pairs: pd.DataFrame) -> pd.Series:
    """Per-pair event type (see :data:`EVENT_TYPES`)."""
    out = []
    for _, rec in pairs.iterrows():
        same = pairs[pairs["date"] == rec["date"]]
        n_succ = (same["pred"] == rec["pred"]).sum()
        if rec["how"] == "recode":
            out.append("recode")
        elif n_succ > 1:
            out.append("split")
        else:
            out.append("merge")
    return pd.Series(out, index=pairs.index)


def _components(pairs: pd.DataFrame) -> list[list[int]]:
    """Connected components of the pair graph within each date (row indices)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for _, rec in pairs.iterrows():
        a, b = find(f"{rec['date']}|{rec['pred']}"), find(f"{rec['date']}|{rec['succ']}")
        if a != b:
            parent[a] = b
    groups: dict[str, list[int]] = defaultdict(list)
    for idx, rec in pairs.iterrows():
        groups[find(f"{rec['date']}|{rec['pred']}")].append(idx)
    return sorted(
        groups.values(), key=lambda rows: (pairs.loc[rows[0], "date"], min(pairs.loc[rows, "pred"]))
    )


def _describe(rec: pd.Series, kind: str, names: dict[str, str], same: pd.DataFrame) -> str:
    pred, succ = rec["pred"], rec["succ"]
    head = f"{names[pred]} ({pred}) -> {names[succ]} ({succ})"
    others_in = sorted(set(same.loc[same["succ"] == succ, "pred"]) - {pred})
    others_out = sorted(set(same.loc[same["pred"] == pred, "succ"]) - {succ})
    if kind == "recode":
        text = (
            "new GSS code for the same council (ONS issues a new code when an area's boundary "
            "changes; the sources do not record the size of any change)"
        )
    elif kind == "split":
        text = "area split between " + ", ".join(
            f"{names[c]} ({c})" for c in sorted([succ, *others_out])
        )
        if rec["district"]:
            text += f"; the part going to {names[succ]}: {rec['district']}"
    else:
        text = "passes whole into the successor"
        if others_in:
            text += ", together with " + ", ".join(f"{names[c]} ({c})" for c in others_in)
        elif rec["how"] == "district":
            text = "county council and its districts replaced by one unitary council (same area)"
        if others_in:
            split_preds = set(same.loc[same["type"] == "split", "pred"])
            text = "passes whole into the successor, together with " + ", ".join(
                ("part of " if c in split_preds else "") + f"{names[c]} ({c})" for c in others_in
            )
        if rec["district"]:
            text += f"; districts: {rec['district']}"
    if rec["pred"].startswith(_CASSR_PREFIX):
        text += "; the predecessor CASSR was abolished before GSS codes were issued"
    return f"{head}: {text}"


def build_events(raw_dir: str | Path | None = None) -> pd.DataFrame:
    """Typed reorganisation events, built from the raw lookups only.

    Parameters
    ----------
    raw_dir
        The raw published files (default :func:`personalisation._paths.default_raw_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EVENT_COLUMNS`, one row per predecessor -> successor pair; rows of
        one event (all pairs of one date that share a council) have the same ``event_id``
        (``YYYY-NN``).  Sorted by date, event id, predecessor, successor.

    Examples
    --------
    >>> ev = build_events()  # doctest: +SKIP
    >>> ev.loc[ev.predecessor_code == "E10000021", "successor_code"].tolist()  # doctest: +SKIP
    ['E06000061', 'E06000062']
    """
    raw = Path(raw_dir) if raw_dir is not None else _paths.default_raw_dir()
    pairs, context = _collect_pairs(raw)
    return _events_from_pairs(pairs, context)


def _events_from_pairs(pairs: pd.DataFrame, context: dict) -> pd.DataFrame:
    codes = set(pairs["pred"]) | set(pairs["succ"])
    names = _names(codes, context)
    pairs = pairs.copy()
    pairs["type"] = _type_rows(pairs)
    rows = []
    counter: dict[str, int] = defaultdict(int)
    for comp in _components(pairs):
        sub = pairs.loc[comp]
        year = sub["date"].iloc[0][:4]
        counter[year] += 1
        event_id = f"{year}-{counter[year]:02d}"
        for _, rec in sub.sort_values(["pred", "succ"]).iterrows():
            rows.append(
                {
                    "event_id": event_id,
                    "date": rec["date"],
                    "type": rec["type"],
                    "predecessor_code": rec["pred"],
                    "successor_code": rec["succ"],
                    "description": _describe(rec, rec["type"], names, sub),
                    "citation": rec["citation"],
                }
            )
    out = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    return out.sort_values(["date", "event_id", "predecessor_code", "successor_code"]).reset_index(
        drop=True
    )


def _regions(codes: list[str], ev: pd.DataFrame, context: dict) -> dict[str, tuple[str, str]]:
    """Region of each council: ONS 2014 lookup (directly, or via a county's districts),
    else the common region of its event neighbours."""
    ltla14 = context["ltla14"]
    ltla14 = ltla14[ltla14["rgncd"].str.startswith("E12")]
    region: dict[str, tuple[str, str]] = {}
    names = dict(zip(ltla14["rgncd"], ltla14["rgnnm"], strict=False))
    for col in ("ltlacd", "ctycd"):
        for code, grp in ltla14[ltla14[col] != ""].groupby(col):
            found = set(grp["rgncd"])
            if len(found) != 1:
                raise SourceFormatError(
                    f"ltla14-lookup: {code} lies in several regions {sorted(found)}"
                )
            rgn = found.pop()
            region[code] = (rgn, names[rgn])
    for _ in range(5):  # propagate along events (new councils from predecessors and back)
        for code in codes:
            if code in region:
                continue
            near = set(ev.loc[ev["predecessor_code"] == code, "successor_code"])
            near |= set(ev.loc[ev["successor_code"] == code, "predecessor_code"])
            found = {region[c] for c in near if c in region}
            if len(found) == 1:
                region[code] = found.pop()
            elif len(found) > 1:
                raise SourceFormatError(
                    f"{code}: event neighbours lie in several regions {sorted(found)}"
                )
    missing = [c for c in codes if c not in region]
    if missing:
        raise SourceFormatError(f"no region derivable for {missing}")
    return {c: region[c] for c in codes}


def build_register(raw_dir: str | Path | None = None) -> pd.DataFrame:
    """The council register (one row per council code), built from the raw lookups only.

    Parameters
    ----------
    raw_dir
        The raw published files (default :func:`personalisation._paths.default_raw_dir`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COUNCIL_COLUMNS` (all strings; empty string = none), sorted by
        ``council_code``: every English council with adult social services
        responsibilities from 1 April 2008 (E06, E08, E09, E10 codes, plus ``cassr:610``
        Bedfordshire and ``cassr:320`` Cheshire, abolished in 2009 before GSS codes).

    Examples
    --------
    >>> reg = build_register()  # doctest: +SKIP
    >>> reg.set_index("council_code").loc["E06000053", "council_name"]  # doctest: +SKIP
    'Isles of Scilly'
    """
    raw = Path(raw_dir) if raw_dir is not None else _paths.default_raw_dir()
    pairs, context = _collect_pairs(raw)
    ev = _events_from_pairs(pairs, context)
    return _register_from(ev, context)


def _register_from(ev: pd.DataFrame, context: dict) -> pd.DataFrame:
    mysoc = context["mysoc"]
    codes = set(mysoc["gss-code"]) | set(ev["predecessor_code"]) | set(ev["successor_code"])
    for frame in context["lookups"].values():
        codes |= set(frame["utla"])
    codes = sorted(codes)
    names = _names(set(codes), context)
    regions = _regions(codes, ev, context)
    cassr = _cassr_of(context["cassr_pairs"])
    cassr.update(context["extra_cassr"])
    recodes = ev[ev["type"] == "recode"]
    for _ in range(3):  # a recode keeps the council and its CASSR code
        for old, new in zip(recodes["predecessor_code"], recodes["successor_code"], strict=True):
            if old in cassr and new not in cassr:
                cassr[new] = cassr[old]
            if new in cassr and old not in cassr:
                cassr[old] = cassr[new]
    for code in codes:
        if code.startswith(_CASSR_PREFIX):
            cassr[code] = code[len(_CASSR_PREFIX) :]
    rows = []
    for code in codes:
        starts = sorted(set(ev.loc[ev["successor_code"] == code, "date"]))
        ends = sorted(set(ev.loc[ev["predecessor_code"] == code, "date"]))
        if len(starts) > 1 or len(ends) > 1:
            raise SourceFormatError(f"{code}: created {starts} / ended {ends}: more than one date")
        valid_from = starts[0] if starts else ""
        valid_to = _day_before(ends[0]) if ends else ""
        if valid_from and valid_to and valid_to < valid_from:
            raise SourceFormatError(f"{code}: valid_to {valid_to} before valid_from {valid_from}")
        ctype = "county" if code.startswith(_CASSR_PREFIX) else _ENTITY_TYPE[code[:3]]
        rows.append(
            {
                "council_code": code,
                "council_name": names[code],
                "council_type": ctype,
                "region_code": regions[code][0],
                "region_name": regions[code][1],
                "cassr_code": cassr.get(code, ""),
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    return pd.DataFrame(rows, columns=list(COUNCIL_COLUMNS))


def _counts_by_vintage(register: pd.DataFrame, vintages: tuple[str, ...]) -> dict[str, int]:
    return {v: int(_valid_mask(register, f"{v}-04-01").sum()) for v in vintages}


def write_register(
    raw_dir: str | Path | None = None, out_dir: str | Path | None = None
) -> dict[str, Path]:
    """Build the register and events from ``raw_dir`` and write them to ``out_dir``.

    Writes ``councils.csv``, ``events.csv`` and ``register_metadata.json`` (one
    :func:`personalisation._provenance.file_record` per raw file used, the council count
    per vintage).  The output is byte-identical on every run (sorted rows, strings only,
    no timestamps).

    Parameters
    ----------
    raw_dir
        The raw published files (default :func:`personalisation._paths.default_raw_dir`).
    out_dir
        Where to write (default :func:`personalisation._paths.geo_dir`).

    Returns
    -------
    dict
        ``{"councils": path, "events": path, "metadata": path}``.

    Examples
    --------
    >>> write_register("../shared/data/raw", "geo")  # doctest: +SKIP
    """
    raw = Path(raw_dir) if raw_dir is not None else _paths.default_raw_dir()
    out = Path(out_dir) if out_dir is not None else _paths.geo_dir()
    out.mkdir(parents=True, exist_ok=True)
    pairs, context = _collect_pairs(raw)
    ev = _events_from_pairs(pairs, context)
    reg = _register_from(ev, context)
    paths = {
        "councils": out / "councils.csv",
        "events": out / "events.csv",
        "metadata": out / "register_metadata.json",
    }
    reg.to_csv(paths["councils"], index=False, lineterminator="\n", encoding="utf-8")
    ev.to_csv(paths["events"], index=False, lineterminator="\n", encoding="utf-8")
    vintages = _vintages_from(ev)
    files = []
    for src in _SOURCES:
        for path in _paths_of(raw, src.id):
            files.append(
                file_record(
                    path,
                    raw,
                    source_id=src.id,
                    publisher=src.publisher,
                    title=src.title,
                    licence=src.licence,
                    attribution=src.attribution,
                    notes=src.notes,
                )
            )
    meta = {
        "title": "Register of English councils with adult social services responsibilities, 2008-, "
        "and their reorganisation events",
        "built_by": "personalisation.geo.register.write_register",
        "outputs": {
            "councils.csv": {"rows": len(reg), "columns": list(COUNCIL_COLUMNS)},
            "events.csv": {"rows": len(ev), "columns": list(EVENT_COLUMNS)},
        },
        "vintages": list(vintages),
        "councils_per_vintage": _counts_by_vintage(reg, vintages),
        "files": files,
        "licence": "Derived from data under the Open Government Licence v3.0 and CC BY 4.0 (mySociety); "
        "see each file's licence and attribution",
        "attribution": " ".join(sorted({src.attribution for src in _SOURCES})),
    }
    write_json(meta, paths["metadata"])
    _read_shipped.cache_clear()
    return paths


# --------------------------------------------------------------------------- reading the shipped files
def _vintages_from(ev: pd.DataFrame) -> tuple[str, ...]:
    years = {REGISTER_START[:4]} | {d[:4] for d in ev["date"]}
    return tuple(sorted(years))


@functools.lru_cache(maxsize=4)
def _read_shipped(name: str, geo: str) -> pd.DataFrame:
    path = Path(geo) / name
    if not path.is_file():
        from personalisation.errors import DataNotFoundError

        raise DataNotFoundError(
            f"{path} not found: build it with personalisation.geo.register.write_register(raw_dir, out_dir)"
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _register() -> pd.DataFrame:
    return _read_shipped("councils.csv", str(_paths.geo_dir()))


def _events() -> pd.DataFrame:
    return _read_shipped("events.csv", str(_paths.geo_dir()))


def _vintages() -> tuple[str, ...]:
    """The vintages of the shipped events (cached with them)."""
    return _vintages_from(_events())


def __getattr__(name: str) -> tuple[str, ...]:
    # ``VINTAGES`` is read from the shipped events on first use (module-level __getattr__),
    # so importing this module never touches the disk.
    if name == "VINTAGES":
        return _vintages()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    known = _vintages()
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
    for vintage in (v for v in _vintages() if v >= start):
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
