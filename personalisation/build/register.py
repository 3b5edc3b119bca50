"""Build the council register and its reorganisation events from the raw lookups.

Writes ``geo/councils.csv``, ``geo/events.csv`` and ``geo/register_metadata.json``
(:func:`write_register`); the method, the sources and the council counts per vintage are
described in :mod:`personalisation.geo.register`, which reads the shipped files at run time.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from personalisation import _paths
from personalisation._provenance import write_json
from personalisation.build import raw as _raw
from personalisation.build.lookups import cassr_pairs as _cassr_pairs
from personalisation.build.register_inputs import (
    _day_before,
    _district_pairs,
    _norm_name,
    _read_mysociety,
    _read_pss_2008_09,
    _read_utla_lookups,
    _recode_year,
    read_csv,
)
from personalisation.errors import SourceFormatError
from personalisation.geo.register import (
    COUNCIL_COLUMNS,
    EVENT_COLUMNS,
    REGISTER_START,
    _read_shipped,
    _valid_mask,
    _vintages_from,
)
from personalisation.schema import CASSR_PREFIX as _CASSR_PREFIX
from personalisation.schema import COUNCIL_TYPE_BY_PREFIX as _ENTITY_TYPE

__all__ = ["REGISTER_FILES", "build_events", "build_register", "write_register"]

#: The registered raw files the register is built from, with what each is used for.
REGISTER_FILES: dict[str, str] = {
    "mysociety_la_register": "names, local-authority-type, start-date, former-gss-codes",
    "onsvisual_changes": "district-level mergers, terminations and new codes",
    "onsvisual_ltla14_lookup": "region of every council in the 2013 vintage",
    "ons_ltla_utla_2016": (
        "used for shire districts -> county only (this edition maps metropolitan districts "
        "and London boroughs to E11/E13 areas)"
    ),
    "ons_ltla_utla_2019": "",
    "ons_ltla_utla_2022": "",
    "ascof_ons_codes": "3-digit CASSR code <-> GSS code pairs",
    "ascof_open_data_2020_21": (
        "3-digit CASSR code <-> GSS code pairs (columns Geographical Code, ONS Code)"
    ),
    "pss_ex1_2008_09": "the CASSRs of 2008-09 (codes and names), incl. Bedfordshire and Cheshire",
    "ons_lad_2011": "codes only: dates the 2013 recodes",
    "ons_lmctyua_2012": "codes only: dates the 2013 recodes",
    "ons_lmctyua_2013": "codes only: dates the 2013 recodes",
    "martinjc_lad_2013": "codes only: dates the 2013 recodes",
}


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
    cassr_pairs = _cassr_pairs(raw_dir)
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
        changes=read_csv(
            _raw.path(raw_dir, "onsvisual_changes"), ("oldcd", "oldnm", "newcd", "newnm")
        ),
        ltla14=read_csv(
            _raw.path(raw_dir, "onsvisual_ltla14_lookup"),
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
    Skipped as doctests: they need the raw published files (not shipped).

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
    Skipped as doctests: they need the raw published files (not shipped).

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
    ordered = sorted(codes)
    names = _names(codes, context)
    regions = _regions(ordered, ev, context)
    cassr = _cassr_of(context["cassr_pairs"])
    cassr.update(context["extra_cassr"])
    recodes = ev[ev["type"] == "recode"]
    for _ in range(3):  # a recode keeps the council and its CASSR code
        for old, new in zip(recodes["predecessor_code"], recodes["successor_code"], strict=True):
            if old in cassr and new not in cassr:
                cassr[new] = cassr[old]
            if new in cassr and old not in cassr:
                cassr[old] = cassr[new]
    for code in ordered:
        if code.startswith(_CASSR_PREFIX):
            cassr[code] = code[len(_CASSR_PREFIX) :]
    rows = []
    for code in ordered:
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
    Skipped as doctests: they need the raw published files (not shipped) and write a build.

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
    files = [_raw.record(raw, file_id, notes=notes) for file_id, notes in REGISTER_FILES.items()]
    meta = {
        "title": "Register of English councils with adult social services responsibilities, 2008-, "
        "and their reorganisation events",
        "built_by": "personalisation.build.register.write_register",
        "outputs": {
            "councils.csv": {"rows": len(reg), "columns": list(COUNCIL_COLUMNS)},
            "events.csv": {"rows": len(ev), "columns": list(EVENT_COLUMNS)},
        },
        "vintages": list(vintages),
        "councils_per_vintage": _counts_by_vintage(reg, vintages),
        "files": files,
        "licence": "Derived from data under the Open Government Licence v3.0 and CC BY 4.0 (mySociety); "
        "see each file's licence and attribution",
        "attribution": " ".join(sorted({_raw.entry(i).attribution for i in REGISTER_FILES})),
    }
    write_json(meta, paths["metadata"])
    _read_shipped.cache_clear()
    return paths
