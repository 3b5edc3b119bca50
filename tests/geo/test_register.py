"""Tests of the council register and the reorganisation events.

Shipped-file tests read ``geo/councils.csv`` / ``geo/events.csv``; the ``raw_dir`` tests
rebuild them from the raw lookups and check them against independent raw files (ONS
upper-tier lookups, the ONSvisual multi-year TopoJSON, PSS-EX1 CASSR lists, the compiled
ASCOF stack).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from personalisation._provenance import sha256_file
from personalisation.build import register as build_register_module
from personalisation.errors import UnknownCouncilError
from personalisation.geo import register
from personalisation.geo.register import (
    COUNCIL_COLUMNS,
    COUNCIL_TYPES,
    EVENT_COLUMNS,
    EVENT_TYPES,
    councils,
    events,
    lineage,
    resolve_vintage,
    successors,
    vintage_for_year,
)

EXPECTED_COUNTS = {
    "2008": 150,
    "2009": 152,
    "2013": 152,
    "2019": 151,
    "2020": 151,
    "2021": 152,
    "2023": 153,
    "2025": 153,
}


# ----------------------------------------------------------------------------- shipped files
def test_vintages_and_counts() -> None:
    assert register.vintages() == tuple(EXPECTED_COUNTS)
    for vintage, count in EXPECTED_COUNTS.items():
        assert len(councils(vintage)) == count, vintage
    # the expectation, year by year: 152 for 2009..2018, 151 for 2019-20,
    # 152 for 2021-22, 153 from 2023
    for year in range(2009, 2019):
        assert len(councils(year)) == 152, year
    assert [len(councils(y)) for y in (2019, 2020, 2021, 2022, 2023, 2024)] == [
        151,
        151,
        152,
        152,
        153,
        153,
    ]


def test_resolve_vintage_and_vintage_for_year() -> None:
    assert resolve_vintage(2017) == "2013"
    assert resolve_vintage("2017") == "2013"
    assert resolve_vintage("2019") == "2019"
    assert resolve_vintage(2008) == "2008"
    assert resolve_vintage(2030) == "2025"
    assert [vintage_for_year(y) for y in (2009, 2010, 2015, 2020, 2024)] == [
        "2008",
        "2009",
        "2013",
        "2019",
        "2023",
    ]
    assert vintage_for_year(2019) == "2013"  # 2018-19 figures: at 31 March 2019, before BCP
    with pytest.raises(ValueError, match="before the register starts"):
        resolve_vintage(2007)
    with pytest.raises(ValueError, match="before the register starts"):
        vintage_for_year(2008)
    with pytest.raises(ValueError, match="must be a year"):
        resolve_vintage("2019-20")
    with pytest.raises(ValueError, match="integer"):
        vintage_for_year("soon")


def test_register_content() -> None:
    reg = councils()
    assert tuple(reg.columns) == COUNCIL_COLUMNS
    assert reg["council_code"].is_unique
    assert reg["council_code"].is_monotonic_increasing
    pattern = re.compile(r"^(E(06|08|09|10)\d{6}|cassr:\d{3})$")
    assert reg["council_code"].map(lambda c: bool(pattern.match(c))).all()
    assert set(reg["council_type"]) == set(COUNCIL_TYPES)
    assert reg["region_code"].str.match(r"^E1200000[1-9]$").all()
    assert reg["region_name"].ne("").all()
    assert reg["cassr_code"].map(lambda c: c == "" or bool(re.fullmatch(r"\d{3}", c))).all()
    for column in ("valid_from", "valid_to"):
        filled = reg.loc[reg[column] != "", column]
        assert filled.map(lambda d: dt.date.fromisoformat(d).isoformat() == d).all()
    # the two CASSRs abolished in 2009 before GSS codes, read from the 2008-09 table
    cassr = reg[reg["council_code"].str.startswith("cassr:")].set_index("council_code")
    assert list(cassr.index) == ["cassr:320", "cassr:610"]
    assert cassr.loc["cassr:610", "council_name"] == "Bedfordshire"
    assert cassr.loc["cassr:320", "council_name"] == "Cheshire"
    assert (cassr["valid_to"] == "2009-03-31").all()
    assert (cassr["council_type"] == "county").all()
    # City of London and the Isles of Scilly are in every vintage
    for vintage in register.vintages():
        codes = set(councils(vintage)["council_code"])
        assert {"E09000001", "E06000053"} <= codes
    by_code = reg.set_index("council_code")
    assert by_code.loc["E09000001", "council_type"] == "London borough"
    assert by_code.loc["E06000053", "council_name"] == "Isles of Scilly"
    # types follow the GSS entity code; regions are ONS's, not mySociety's
    assert by_code.loc["E10000007", "region_name"] == "East Midlands"  # Derbyshire
    assert by_code.loc["E10000019", "region_name"] == "East Midlands"  # Lincolnshire
    # every vintage has one council per CASSR code at most
    for vintage in register.vintages():
        sub = councils(vintage)
        filled = sub.loc[sub["cassr_code"] != "", "cassr_code"]
        assert filled.is_unique, vintage


def test_vintage_membership_of_reorganised_councils() -> None:
    def codes(v: str) -> set[str]:
        return set(councils(v)["council_code"])

    assert {"cassr:610", "cassr:320"} <= codes("2008")
    assert not {"E06000055", "E06000056", "E06000049", "E06000050"} & codes("2008")
    assert {"E06000055", "E06000056", "E06000049", "E06000050", "E08000020", "E06000048"} <= codes(
        "2009"
    )
    assert {"E08000037", "E06000057"} <= codes("2013") and "E08000020" not in codes("2013")
    assert {"E06000058", "E06000059", "E10000002"} <= codes("2019")
    assert not {"E06000028", "E06000029", "E10000009"} & codes("2019")
    assert "E06000060" in codes("2020") and "E10000002" not in codes("2020")
    assert {"E06000061", "E06000062"} <= codes("2021") and "E10000021" not in codes("2021")
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes("2023")
    assert not {"E10000006", "E10000023", "E10000027"} & codes("2023")
    assert {"E08000038", "E08000039"} <= codes("2025") and "E08000016" not in codes("2025")


def test_events_content_and_consistency() -> None:
    ev = events()
    assert tuple(ev.columns) == EVENT_COLUMNS
    assert set(ev["type"]) <= set(EVENT_TYPES)
    assert not ev.duplicated(["predecessor_code", "successor_code"]).any()
    assert ev["description"].str.len().gt(20).all() and ev["citation"].ne("").all()
    assert (ev["date"].str[5:] == "04-01").all()
    reg = councils().set_index("council_code")
    assert set(ev["predecessor_code"]) | set(ev["successor_code"]) <= set(reg.index)
    for _, rec in ev.iterrows():
        day_before = (dt.date.fromisoformat(rec["date"]) - dt.timedelta(days=1)).isoformat()
        assert reg.loc[rec["predecessor_code"], "valid_to"] == day_before
        assert reg.loc[rec["successor_code"], "valid_from"] == rec["date"]
    # one event id per date-component, typed per pair
    nth = ev[ev["predecessor_code"] == "E10000021"]
    assert nth["successor_code"].tolist() == ["E06000061", "E06000062"]
    assert set(nth["type"]) == {"split"} and nth["event_id"].nunique() == 1
    dorset = ev[ev["event_id"] == ev.loc[ev["successor_code"] == "E06000059", "event_id"].iloc[0]]
    assert set(
        zip(dorset["predecessor_code"], dorset["successor_code"], dorset["type"], strict=True)
    ) == {
        ("E06000028", "E06000058", "merge"),
        ("E06000029", "E06000058", "merge"),
        ("E10000009", "E06000058", "split"),
        ("E10000009", "E06000059", "split"),
    }
    assert (
        "Christchurch"
        in dorset.loc[dorset["successor_code"] == "E06000058"].iloc[-1]["description"]
    )
    recodes = ev[ev["type"] == "recode"]
    assert set(zip(recodes["predecessor_code"], recodes["successor_code"], strict=True)) >= {
        ("E08000020", "E08000037"),
        ("E06000048", "E06000057"),
    }
    assert ev.loc[ev["predecessor_code"] == "E08000020", "date"].item() == "2013-04-01"
    bucks = ev[ev["predecessor_code"] == "E10000002"]
    assert bucks[["successor_code", "type", "date"]].values.tolist() == [
        ["E06000060", "merge", "2020-04-01"]
    ]


def test_successors() -> None:
    assert successors("E08000020", at=2015) == ["E08000037"]
    assert successors("E08000020", at=2012) == ["E08000020"]
    assert successors("E10000021", at=2023) == ["E06000061", "E06000062"]
    assert successors("E10000021", at="2021-03-31") == ["E10000021"]
    assert successors("E10000021", at="2021-04-01") == ["E06000061", "E06000062"]
    assert successors("E10000009", at="2019") == ["E06000058", "E06000059"]
    assert successors("cassr:610", at=2010) == ["E06000055", "E06000056"]
    assert successors("E08000016") == ["E08000038"]
    assert successors("E06000053", at=2016) == ["E06000053"]
    with pytest.raises(ValueError, match="did not exist"):
        successors("E06000058", at=2015)


def test_unknown_code_suggests_close_matches() -> None:
    with pytest.raises(UnknownCouncilError, match="E1000021") as info:
        successors("E1000021")
    assert "E10000021" in str(info.value)
    with pytest.raises(UnknownCouncilError, match="E10000001"):
        lineage("E10000001")
    with pytest.raises(UnknownCouncilError, match="E10000021"):
        successors("Northamptonshire")  # a name is not a code, but it is suggested


def test_lineage() -> None:
    bcp = lineage("E06000058")
    assert len(bcp) == 4 and set(bcp["date"]) == {"2019-04-01"}
    nnt = lineage("E06000061")
    assert nnt[["predecessor_code", "successor_code"]].values.tolist() == [
        ["E10000021", "E06000061"],
        ["E10000021", "E06000062"],
    ]
    gateshead = lineage("E08000020")
    assert gateshead["successor_code"].tolist() == ["E08000037"]
    assert lineage("E06000053").empty
    assert lineage("cassr:320")["successor_code"].tolist() == ["E06000049", "E06000050"]


# ----------------------------------------------------------------------------- raw files
@pytest.fixture(scope="module")
def built(rebuilt: Path) -> Path:
    """The register files of the one build per test run (``rebuilt``, tests/conftest.py)."""
    return rebuilt / "geo"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.raw
def test_shipped_files_are_the_build(built: Path) -> None:
    shipped = register._paths.geo_dir()
    for name in ("councils.csv", "events.csv", "register_metadata.json"):
        assert (built / name).read_bytes() == (shipped / name).read_bytes(), name


@pytest.mark.raw
def test_write_register_is_byte_identical(raw_dir: Path, built: Path, tmp_path: Path) -> None:
    build_register_module.write_register(raw_dir, tmp_path)
    for name in ("councils.csv", "events.csv", "register_metadata.json"):
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name
    build = build_register_module.build_register(raw_dir)
    pd.testing.assert_frame_equal(build, _read(built / "councils.csv"))


@pytest.mark.raw
def test_metadata_records_every_raw_file(raw_dir: Path, built: Path) -> None:
    meta = json.loads((built / "register_metadata.json").read_text(encoding="utf-8"))
    assert meta["councils_per_vintage"] == EXPECTED_COUNTS
    ids = {f["id"] for f in meta["files"]}
    assert {
        "mysociety_la_register",
        "onsvisual_changes",
        "ascof_ons_codes",
        "pss_ex1_2008_09",
    } <= ids
    for record in meta["files"]:
        path = raw_dir / record["path"]
        assert path.is_file()
        assert record["sha256"] == sha256_file(path)
        assert (
            record["publisher"] and record["title"] and record["licence"] and record["attribution"]
        )
    mysoc = next(f for f in meta["files"] if f["id"] == "mysociety_la_register")
    assert mysoc["licence"] == "CC BY 4.0"


def _utla_set(path: Path, suffix: str, *, asc_tier: bool) -> set[str]:
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    out = set()
    for ltla, utla in zip(frame[f"LTLA{suffix}CD"], frame[f"UTLA{suffix}CD"], strict=True):
        if asc_tier and ltla[:3] in ("E08", "E09"):
            out.add(ltla)
        elif re.match(r"^E(06|08|09|10)", utla):
            out.add(utla)
    return out


@pytest.mark.raw
def test_vintages_match_ons_upper_tier_lookups(raw_dir: Path, built: Path) -> None:
    reg = _read(built / "councils.csv")
    geo = raw_dir / "geo"

    def codes(vintage: str) -> set[str]:
        date = f"{vintage}-04-01"
        ok = ((reg["valid_from"] == "") | (reg["valid_from"] <= date)) & (
            (reg["valid_to"] == "") | (reg["valid_to"] >= date)
        )
        return set(reg.loc[ok, "council_code"])

    lookup16 = next((geo / "bengoodair-care-markets").glob("*December_2016*.csv"))
    lookup19 = next((geo / "tomwhite-covid-19-uk-data").glob("*April_2019*.csv"))
    lookup22 = next((geo / "bengoodair-two-child-limit").glob("*December_2022*.csv"))
    assert _utla_set(lookup16, "16", asc_tier=True) == codes("2013")
    assert _utla_set(lookup19, "19", asc_tier=True) == codes("2019")
    assert _utla_set(lookup22, "22", asc_tier=True) == codes("2021")


@pytest.mark.raw
def test_vintages_match_onsvisual_topojson_by_year(raw_dir: Path) -> None:
    """The ONSvisual utla layer (start/end years per area) is an independent source."""
    topo = json.loads((raw_dir / "geo/onsvisual-uk-topojson/topo.json").read_text(encoding="utf-8"))
    areas = [g["properties"] for g in topo["objects"]["utla"]["geometries"]]
    for year in range(2014, 2026):
        expected = {
            a["areacd"]
            for a in areas
            if re.match(r"^E(06|08|09|10)", a["areacd"])
            and a.get("start", 0) <= year
            and a.get("end", 9999) >= year
        }
        assert set(councils(year)["council_code"]) == expected, year


def _pss_codes(path: Path) -> set[str]:
    """CASSR codes of a PSS-EX1 table: rows 'NNN,Name' or 'NNN-Name' / 'NNN - Name'."""
    out = set()
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            first = row[0].strip() if row else ""
            dashed = re.match(r"^(\d{3})\s*-\s*[A-Za-z]", first)
            if dashed:
                out.add(dashed.group(1))
            elif re.fullmatch(r"\d{3}", first) and len(row) > 1 and row[1].strip()[:1].isalpha():
                out.add(first)
    return out


@pytest.mark.raw
def test_cassr_codes_match_pss_ex1_lists(raw_dir: Path) -> None:
    """The CASSRs of each PSS-EX1 table are the register's councils of that year."""
    pss = raw_dir / "indicators/pss_ex1_activity"
    cases = {
        "2008": "pers-soc-serv-exp-unit-cost-eng-2008-09-data.csv",
        "2009": "Final_Council Level_ActivityData_2009-10.csv",
        "2013": "Annex_Final_CASSR_Level_Activity_Data_2013_14.csv",
    }
    for vintage, name in cases.items():
        expected = _pss_codes(pss / name)
        assert len(expected) == EXPECTED_COUNTS[vintage], (name, len(expected))
        assert set(councils(vintage)["cassr_code"]) == expected, name


@pytest.mark.raw
def test_cassr_codes_match_compiled_ascof_stack(raw_dir: Path) -> None:
    pytest.importorskip("pyreadr", reason="the build extra is not installed (no pyreadr)")
    from personalisation.build.readers.ascof import ascof_code_pairs

    pairs = ascof_code_pairs(raw_dir / "indicators/ascof_compiled_ojpreston/ascof_14_19.rds")
    reg = councils().set_index("council_code")
    for cassr, gss in set(zip(pairs["cassr_code"], pairs["council_code"], strict=True)):
        assert reg.loc[gss, "cassr_code"] == cassr, gss


@pytest.mark.raw
def test_regions_and_names_match_raw(raw_dir: Path) -> None:
    lookup = pd.read_csv(raw_dir / "indicators/ascof_compiled_acbockmuehl/ons_codes.csv", dtype=str)
    lookup.columns = [c.strip() for c in lookup.columns]
    lookup = lookup[lookup["ONS Area Code"].str.match(r"^E(06|08|09|10)", na=False)]
    reg = councils().set_index("council_code")
    for gss, region in zip(lookup["ONS Area Code"], lookup["Council region"], strict=True):
        assert reg.loc[gss, "region_name"].lower() == region.lower(), gss
    mysoc = pd.read_csv(
        raw_dir / "geo/mysociety-la-names-codes/uk_local_authorities_current.csv",
        dtype=str,
        keep_default_na=False,
    )
    ends = mysoc[mysoc["gss-code"].isin(reg.index) & (mysoc["end-date"] != "")]
    assert len(ends) >= 8
    for gss, end in zip(ends["gss-code"], ends["end-date"], strict=True):
        gap = dt.date.fromisoformat(end) - dt.date.fromisoformat(reg.loc[gss, "valid_to"])
        assert gap.days in (0, 1), (gss, end)  # mySociety mixes 31 March and 1 April
