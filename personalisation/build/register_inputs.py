"""Readers of the raw lookups behind the council register (mySociety, ONS, ONSvisual, PSS-EX1).

Each function reads one registered raw file (:mod:`personalisation.build.raw`) and returns
a small table or set that :mod:`personalisation.build.register` turns into events and the
register.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import json
import re
from pathlib import Path

import pandas as pd

from personalisation.build import raw as _raw
from personalisation.build.readers.cells import check_text_file, decode_error
from personalisation.errors import SourceFormatError
from personalisation.schema import CASSR_CODE as _CASSR
from personalisation.schema import COUNCIL_CODE as _UPPER_TIER
from personalisation.schema import GSS_CODE as _GSS
from personalisation.schema import LOCAL_AUTHORITY_CODE as _LOCAL_AUTHORITY

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


def read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    check_text_file(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise decode_error(path, exc) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceFormatError(f"{path}: missing column(s) {missing}; found {list(frame.columns)}")
    return frame.apply(lambda col: col.str.strip())


def read_topo_codes(path: Path) -> set[str]:
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
    path = _raw.path(raw_dir, "mysociety_la_register")
    frame = read_csv(
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
        path = _raw.path(raw_dir, source_id)
        cols = (f"LTLA{suffix}CD", f"LTLA{suffix}NM", f"UTLA{suffix}CD", f"UTLA{suffix}NM")
        frame = read_csv(path, cols)
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


def _read_pss_2008_09(raw_dir: Path) -> dict[str, str]:
    """CASSR code -> name, from the rows of the 2008-09 PSS-EX1 activity table."""
    path = _raw.path(raw_dir, "pss_ex1_2008_09")
    out: dict[str, str] = {}
    check_text_file(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 2 and _CASSR.match(row[0].strip()):
                    out[row[0].strip()] = row[1].strip()
    except UnicodeDecodeError as exc:
        raise decode_error(path, exc) from None
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
    path = _raw.path(raw_dir, "onsvisual_changes")
    changes = read_csv(path, ("oldcd", "oldnm", "newcd", "newnm", "type", "start"))
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
        codes = _read_topo_codes_cached(str(_raw.path(raw_dir, source_id)))
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
    return frozenset(read_topo_codes(Path(path)))
