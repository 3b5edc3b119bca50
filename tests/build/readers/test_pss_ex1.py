"""Tests of :mod:`personalisation.build.readers.pss_ex1` (PSS-EX1 activity tables by CASSR).

Two halves: the real files in ``../shared/data/raw/indicators/pss_ex1_activity`` (spot
checks against figures read off the files, PROVENANCE.md section 4; skipped when the raw
files are absent), and tiny synthetic files written in ``tmp_path`` for the layout rules
and bad input.  Synthetic files use made-up councils ("Alphashire") and made-up codes.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personalisation import measures
from personalisation.build.lookups import cassr_code_lookup
from personalisation.build.readers.pss_ex1 import (
    parse_council_label,
    read_pss_ex1,
)
from personalisation.errors import DataNotFoundError, SourceFormatError, UnknownCouncilError
from personalisation.schema import TIDY_COLUMNS, validate_tidy

# --------------------------------------------------------------------------- real files

PSS_FILES: dict[str, str] = {
    "2008-09": "pers-soc-serv-exp-unit-cost-eng-2008-09-data.csv",
    "2009-10": "Final_Council Level_ActivityData_2009-10.csv",
    "2010-11": "Final_Council_Level_Activity_Data_2010-11.csv",
    "2011-12": "Final_Council_Level_Activity_Data_2011_12.csv",
    "2012-13": "Annex_Fin_CASSR_Level_Activity_Data_2012_13.csv",
    "2013-14": "Annex_Final_CASSR_Level_Activity_Data_2013_14.csv",
    "2014-15": "pss-exp-eng-14-15-fin-coun-lev-act-data.csv",
}
UNIT_COSTS_2008_09 = "pers-soc-serv-exp-unit-cost-eng-2008-09-units (1).csv"
MANCHESTER, SOMERSET, ENGLAND = "E08000003", "E10000027", "E92000001"

#: (period, measure, disaggregation, council code, value as published).  All-ages DP and
#: DP+PB figures from PROVENANCE.md section 4; the others read off the raw CSVs by hand.
SPOT_CHECKS: list[tuple[str, str, str, str, float]] = [
    ("2008-09", "dp_clients", "Total", MANCHESTER, 585),
    ("2008-09", "dp_clients", "Total", SOMERSET, 735),
    ("2008-09", "dp_clients", "Total", ENGLAND, 67685),
    ("2009-10", "dp_pb_clients", "Total", MANCHESTER, 3515),
    ("2009-10", "dp_pb_clients", "Total", SOMERSET, 895),
    ("2009-10", "dp_pb_clients", "Total", ENGLAND, 130900),
    ("2010-11", "dp_pb_clients", "Total", MANCHESTER, 560),
    ("2010-11", "dp_pb_clients", "Total", ENGLAND, 114090),
    ("2012-13", "dp_clients", "Total", MANCHESTER, 585),
    ("2012-13", "dp_clients", "Total", SOMERSET, 1640),
    ("2012-13", "dp_clients", "Total", ENGLAND, 115930),
    ("2013-14", "dp_clients", "Total", MANCHESTER, 520),
    ("2013-14", "dp_clients", "Total", SOMERSET, 1060),
    ("2013-14", "dp_clients", "Total", ENGLAND, 122380),
    # 65+ published in bands (2008-09) and the 2009-10 DP-only bands
    ("2008-09", "dp_clients", "65-74", MANCHESTER, 75),
    ("2008-09", "dp_clients", "85 and over", "cassr:610", 105),
    ("2009-10", "dp_clients", "75-84", MANCHESTER, 955),
    ("2009-10", "dp_clients", "85 and over", ENGLAND, 27595),
    # home care and day care at 31 March
    ("2008-09", "home_care_clients", "Total", MANCHESTER, 3395),
    ("2008-09", "home_care_clients", "Total", ENGLAND, 357970),
    ("2009-10", "home_care_clients", "Total", SOMERSET, 4010),
    ("2012-13", "home_care_clients", "Total", MANCHESTER, 2635),
    ("2012-13", "home_care_clients", "Total", SOMERSET, 3830),
    ("2012-13", "home_care_clients", "Total", ENGLAND, 282285),
    ("2012-13", "day_care_clients", "Total", MANCHESTER, 750),
    ("2012-13", "day_care_clients", "Total", ENGLAND, 106220),
    # carers receiving DP during the year (by age) and at 31 March
    ("2008-09", "dp_carers_count", "18-64", MANCHESTER, 745),
    ("2008-09", "dp_carers_count", "18-64", ENGLAND, 18970),
    ("2012-13", "dp_carers_count", "18-64", MANCHESTER, 3060),
    ("2012-13", "dp_carers_count", "18-64", ENGLAND, 42035),
    ("2009-10", "dp_carers_count_31march", "Total", MANCHESTER, 0),
    ("2009-10", "dp_carers_count_31march", "Total", ENGLAND, 19580),
    ("2012-13", "dp_carers_count_31march", "Total", SOMERSET, 5),
    # 2014-15 (transposed): weeks of long-term care, total provision
    ("2014-15", "long_term_residential_weeks", "65 and over: Physical support", MANCHESTER, 41644),
    ("2014-15", "long_term_residential_weeks", "65 and over: Physical support", SOMERSET, 47779.57),
    (
        "2014-15",
        "long_term_residential_weeks",
        "65 and over: Physical support",
        ENGLAND,
        3524078.32,
    ),
    (
        "2014-15",
        "long_term_residential_weeks",
        "18-64: Learning disability support",
        MANCHESTER,
        6972,
    ),
    ("2014-15", "long_term_nursing_weeks", "65 and over: Physical support", MANCHESTER, 15859),
    ("2014-15", "long_term_nursing_weeks", "18-64: Physical support", ENGLAND, 153465.42),
]


@pytest.fixture(scope="module")
def lookup(raw_dir: Path) -> dict[str, str]:
    """The CASSR lookup built once from the real files."""
    return cassr_code_lookup(raw_dir)


@pytest.fixture(scope="module")
def pss(raw_dir: Path, lookup: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Each real activity table read once: period -> tidy table."""
    folder = raw_dir / "indicators" / "pss_ex1_activity"
    return {p: read_pss_ex1(folder / name, code_lookup=lookup) for p, name in PSS_FILES.items()}


def _value(tidy: pd.DataFrame, measure: str, band: str, code: str) -> pd.Series:
    rows = tidy[
        (tidy["measure"] == measure)
        & (tidy["disaggregation"] == band)
        & (tidy["council_code"] == code)
    ]
    assert len(rows) == 1, (measure, band, code, len(rows))
    return rows.iloc[0]


@pytest.mark.raw
def test_lookup_uses_the_earliest_real_geography(lookup: dict[str, str]) -> None:
    assert lookup["306"] == MANCHESTER
    assert lookup["905"] == SOMERSET  # not the 2023 unitary E06000066
    assert lookup["809"] == "E10000009"  # Dorset county, not the 2019 unitary
    assert lookup["810"] == "E06000028" and lookup["811"] == "E06000029"  # Bournemouth, Poole
    assert lookup["NE"] == "E12000001" and lookup["L"] == "E12000007"
    assert "610" not in lookup and "320" not in lookup  # abolished 2009, no GSS code
    for key, code in lookup.items():
        assert re.fullmatch(r"\d{3}", key) or re.fullmatch(r"[A-Z]{1,2}", key), key
        assert re.fullmatch(r"E(06|08|09|10|12)\d{6}", code), (key, code)


@pytest.mark.raw
def test_lookup_needs_the_compiled_stack(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="ascof_14_19.rds"):
        cassr_code_lookup(tmp_path)


@pytest.mark.raw
@pytest.mark.parametrize(("period", "measure", "band", "code", "expected"), SPOT_CHECKS)
def test_spot_checks(
    pss: dict[str, pd.DataFrame], period: str, measure: str, band: str, code: str, expected: float
) -> None:
    row = _value(pss[period], measure, band, code)
    assert row["status"] == "published"
    assert row["value"] == pytest.approx(expected, abs=1e-9)
    assert np.isnan(row["numerator"]) and np.isnan(row["denominator"])


@pytest.mark.raw
@pytest.mark.parametrize("period", list(PSS_FILES))
def test_every_table_is_tidy_and_labelled(pss: dict[str, pd.DataFrame], period: str) -> None:
    tidy = pss[period]
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    validate_tidy(tidy)
    assert set(tidy["period"]) == {period}
    assert set(tidy["year"]) == {measures.period_to_year(period)}
    assert set(tidy["source"]) == {f"pss_ex1_{period.replace('-', '_')}"}
    expected_definition = "PSS-EX1" if period == "2014-15" else "PSS-EX1 (RAP)"
    assert set(tidy["definition"]) == {expected_definition}
    for measure_id in set(tidy["measure"]):
        entry = measures.get(measure_id)  # every measure is in the registry ...
        assert period in entry.codes, (measure_id, period)  # ... for this year
    england = tidy[tidy["geography_level"] == "england"]
    assert set(england["council_code"]) == {ENGLAND}


@pytest.mark.raw
@pytest.mark.parametrize("period", list(PSS_FILES))
def test_council_rows_and_codes(pss: dict[str, pd.DataFrame], period: str) -> None:
    councils = pss[period].query("geography_level == 'council'")
    codes = set(councils["council_code"])
    assert 150 <= len(codes) <= 152
    for code in codes:
        assert re.fullmatch(r"E(06|08|09|10)\d{6}|cassr:\d{3}", code), code
    abolished = {c for c in codes if c.startswith("cassr:")}
    assert abolished == ({"cassr:320", "cassr:610"} if period == "2008-09" else set())
    # one row per council and figure: every council has every extracted column
    per_council = councils.groupby("council_code").size()
    assert per_council.nunique() == 1


@pytest.mark.raw
def test_abolished_councils_keep_their_names(pss: dict[str, pd.DataFrame]) -> None:
    names = pss["2008-09"].drop_duplicates("council_code").set_index("council_code")["council_name"]
    assert names["cassr:610"] == "Bedfordshire"
    assert names["cassr:320"] == "Cheshire"


@pytest.mark.raw
def test_published_codes_are_the_column_labels(pss: dict[str, pd.DataFrame]) -> None:
    dp_pb = _value(pss["2009-10"], "dp_pb_clients", "Total", MANCHESTER)["published_code"]
    assert dp_pb == (
        "Total all ages, Existing / new Direct payments and Personal Budgets "
        "(sum of RAP P2s Pages 2, 4 and 6, column 1, row 11)"
    )
    # 2010-11: the 65+ column is labelled "Direct payments" only, so it is dp_clients
    dp65 = _value(pss["2010-11"], "dp_clients", "65 and over", MANCHESTER)
    assert dp65["published_code"] == (
        "Total 65 and over, Direct payments (RAP P2s Page 4, column 1, row 11)"
    )
    assert not (
        pss["2010-11"]["measure"].eq("dp_clients") & pss["2010-11"]["disaggregation"].eq("Total")
    ).any()
    # no 65+ sum is invented where 65+ is published in bands
    for period in ("2008-09", "2009-10"):
        assert not (
            pss[period]["disaggregation"].eq("65 and over")
            & pss[period]["measure"].str.startswith("dp_")
        ).any()
    carers = _value(pss["2008-09"], "dp_carers_count", "18-64", MANCHESTER)["published_code"]
    assert (
        carers
        == "Carers receiving direct payments during year (used for NI 130) | Carers (aged 18-64)"
    )
    # the registry's code for each year is the published all-ages column label
    for period, tidy in pss.items():
        for measure_id in ("dp_clients", "dp_pb_clients", "home_care_clients", "day_care_clients"):
            total = tidy[(tidy["measure"] == measure_id) & (tidy["disaggregation"] == "Total")]
            if len(total):
                assert set(total["published_code"]) == {measures.published_code(measure_id, period)}


@pytest.mark.raw
def test_markers(pss: dict[str, pd.DataFrame]) -> None:
    # 2009-10 notes say "- means greater than 0 and less than or equal to 5": withheld
    hartlepool = _value(pss["2009-10"], "dp_carers_count", "65-74", "E06000001")
    assert hartlepool["status"] == "suppressed" and np.isnan(hartlepool["value"])
    # ".." is not available; the England carers-at-31-March total is ".." from 2011-12
    england = _value(pss["2012-13"], "dp_carers_count_31march", "Total", ENGLAND)
    assert england["status"] == "not-collected" and np.isnan(england["value"])
    manchester = _value(pss["2012-13"], "dp_carers_count_31march", "Total", MANCHESTER)
    assert manchester["status"] == "not-collected"
    for tidy in pss.values():
        unpublished = tidy[tidy["status"] != "published"]
        assert unpublished["value"].isna().all()


@pytest.mark.raw
@pytest.mark.parametrize("period", [p for p in PSS_FILES if p != "2014-15"])
def test_england_against_the_sum_of_councils(pss: dict[str, pd.DataFrame], period: str) -> None:
    """England and every council figure are rounded to the nearest 5 (file notes).

    When every council is published, England (the rounded sum of unrounded figures) can
    differ from the sum of rounded council figures by at most 2.5 per council plus 2.5 for
    England's own rounding.  When some councils are not published, "England totals include
    estimates for missing data items" (2012-13 / 2013-14 notes), so England may exceed the
    sum of published councils by more, but not fall below it by more than the rounding.
    """
    tidy = pss[period]
    councils = tidy[tidy["geography_level"] == "council"]
    england = tidy[(tidy["geography_level"] == "england") & (tidy["status"] == "published")]
    checked = 0
    for _, row in england.iterrows():
        part = councils[
            (councils["measure"] == row["measure"])
            & (councils["disaggregation"] == row["disaggregation"])
        ]
        rounding = 2.5 * (len(part) + 1)
        total = part["value"].sum()
        if (part["status"] == "published").all():
            assert abs(row["value"] - total) <= rounding, (row["measure"], row["disaggregation"])
            checked += 1
        else:
            assert row["value"] >= total - rounding, (row["measure"], row["disaggregation"])
    assert checked >= 3


@pytest.mark.raw
def test_2014_15_england_and_regions(pss: dict[str, pd.DataFrame]) -> None:
    """2014-15 weeks carry two decimals; England is the sum of unrounded council figures."""
    tidy = pss["2014-15"]
    regions = tidy[tidy["geography_level"] == "region"]
    assert sorted(set(regions["council_code"])) == [f"E1200000{i}" for i in range(1, 10)]
    north_east = _value(
        tidy, "long_term_residential_weeks", "65 and over: Physical support", "E12000001"
    )
    assert north_east["value"] == pytest.approx(240668.18)
    assert north_east["council_name"] == "North East"
    councils = tidy[tidy["geography_level"] == "council"]
    sums = councils.groupby(["measure", "disaggregation"])["value"].sum()
    england = tidy[tidy["geography_level"] == "england"].set_index(["measure", "disaggregation"])
    assert len(england) == 20
    n = councils["council_code"].nunique()
    diff = (england["value"] - sums.reindex(england.index)).abs()
    assert (diff <= 0.005 * (n + 1)).all(), diff.max()


@pytest.mark.raw
def test_unit_costs_table_is_refused(raw_dir: Path) -> None:
    path = raw_dir / "indicators" / "pss_ex1_activity" / UNIT_COSTS_2008_09
    with pytest.raises(SourceFormatError, match="unit-costs table"):
        read_pss_ex1(path, code_lookup={})


@pytest.mark.raw
def test_the_lookup_is_passed_in_not_discovered(
    raw_dir: Path, pss: dict[str, pd.DataFrame]
) -> None:
    path = raw_dir / "indicators" / "pss_ex1_activity" / PSS_FILES["2013-14"]
    with pytest.raises(TypeError, match="code_lookup"):
        read_pss_ex1(path)  # type: ignore[call-arg]
    fresh = read_pss_ex1(path, code_lookup=cassr_code_lookup(raw_dir))
    pd.testing.assert_frame_equal(fresh, pss["2013-14"])


# --------------------------------------------------------------------------- synthetic

LOOKUP = {"101": "E10000901", "102": "E06000902", "NE": "E12000001"}
WIDE_TITLE = (
    "Personal Social Services: Expenditure and Unit Costs, England - 2012-13, Final Release: "
    "Activity Data by CASSR"
)
WIDE_HEADER = [
    [
        "",
        "ASSESSMENTS, REVIEWS AND SERVICES",
        "",
        "",
        "DIRECT PAYMENTS - Carers, caring for adults",
        "",
    ],
    [
        "",
        "People receiving services at 31 March",
        "",
        "",
        "Carers receiving direct payments during year",
        "",
    ],
    [
        "",
        "Total all ages, Home care (sum of RAP P2s Pages 1 and 3, column 2, row 11)",
        "Total 65 and over, Direct payments (RAP P2s Page 4, column 1, row 11)",
        "Total all ages, Direct payments (sum of RAP P2s Pages 2 and 4, column 1, row 11)",
        "Carers aged 18-64",
        "Carers receiving direct payments at 31 March",
    ],
    ["", "A4.15", "A4.14", "A4.18", "H3.2", "H4"],
]


def _write(path: Path, rows: list[list[str]], encoding: str = "cp1252") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def _wide(
    tmp_path: Path,
    body: list[list[str]] | None = None,
    *,
    title: str = WIDE_TITLE,
    notes: list[list[str]] | None = None,
    name: str = "activity.csv",
) -> Path:
    if body is None:
        body = [
            ["101 - Alphashire ", "1,234", "..", "*", "15", "-"],
            ["102-Betaborough", "20", "5", "10", "0", "5"],
            ["TOTAL England", "1,255", "5", "10", "15", ".."],
        ]
    rows = [[title], *WIDE_HEADER, *body, [""], *(notes or [[".. means data not available"]])]
    return _write(tmp_path / name, rows)


def test_parse_council_label() -> None:
    assert parse_council_label("306-Manchester") == ("306", "Manchester")
    assert parse_council_label(" 102 - Cumbria ") == ("102", "Cumbria")
    assert parse_council_label("TOTAL England") is None


def test_wide_layout(tmp_path: Path) -> None:
    tidy = read_pss_ex1(_wide(tmp_path), code_lookup=LOOKUP, source_id="test")
    validate_tidy(tidy)
    assert set(tidy["period"]) == {"2012-13"} and set(tidy["year"]) == {2013}
    assert set(tidy["source"]) == {"test"}
    got = tidy.set_index(["council_code", "measure", "disaggregation"])
    alpha = got.loc["E10000901"]
    assert alpha.loc[("home_care_clients", "Total"), "value"] == 1234.0  # comma thousands
    assert alpha.loc[("dp_clients", "65 and over"), "status"] == "not-collected"  # ".."
    assert alpha.loc[("dp_clients", "Total"), "status"] == "suppressed"  # "*"
    assert np.isnan(alpha.loc[("dp_clients", "Total"), "value"])
    assert alpha.loc[("dp_carers_count", "18-64"), "value"] == 15.0
    assert alpha.loc[("dp_carers_count_31march", "Total"), "status"] == "not-collected"  # "-"
    assert alpha["council_name"].iloc[0] == "Alphashire"
    assert got.loc[("E06000902", "dp_carers_count", "18-64"), "value"] == 0.0  # zero stays zero
    england = got.loc[("E92000001", "home_care_clients", "Total")]
    assert england["geography_level"] == "england" and england["value"] == 1255.0
    assert got.loc[("E10000901", "dp_carers_count", "18-64"), "published_code"] == (
        "Carers receiving direct payments during year | Carers aged 18-64"
    )
    assert got.loc[("E10000901", "dp_clients", "Total"), "published_code"] == WIDE_HEADER[2][3]
    assert len(tidy) == 3 * 5


def test_dash_means_one_to_five_when_the_notes_say_so(tmp_path: Path) -> None:
    notes = [["- means greater than 0 and less than or equal to 5"], [".. means data is missing"]]
    tidy = read_pss_ex1(_wide(tmp_path, notes=notes), code_lookup=LOOKUP)
    row = tidy.query("council_code == 'E10000901' and measure == 'dp_carers_count_31march'")
    assert row["status"].item() == "suppressed"


def test_2008_09_code_and_name_columns_and_abolished_councils(tmp_path: Path) -> None:
    title = "Personal Social Services Expenditure and Unit Cost - England ... 2008-09: Activity Data (Final)"
    header = [[""] + row for row in WIDE_HEADER]  # one more label column: code, name
    body = [
        ["101", "Alphashire", "1,234", "5", "10", "15", "0"],
        ["610", "Bedfordshire", "40", "5", "10", "15", "0"],
        ["", "England", " 1,274 ", " 10 ", " 20 ", " 30 ", " 0 "],
    ]
    path = _write(tmp_path / "a.csv", [["", title], *header, *body], encoding="utf-8-sig")
    tidy = read_pss_ex1(path, code_lookup=LOOKUP)
    assert set(tidy["period"]) == {"2008-09"}
    assert set(tidy["council_code"]) == {"E10000901", "cassr:610", "E92000001"}
    bedfordshire = tidy[tidy["council_code"] == "cassr:610"]
    assert set(bedfordshire["council_name"]) == {"Bedfordshire"}
    england = tidy.query("geography_level == 'england' and measure == 'home_care_clients'")
    assert england["value"].item() == 1274.0
    # the same code in a later year is not excused
    later = [[WIDE_TITLE], *WIDE_HEADER, ["610 - Bedfordshire", "1", "1", "1", "1", "1"]]
    later += [["TOTAL England", "1", "1", "1", "1", "1"]]
    with pytest.raises(UnknownCouncilError, match="'610'"):
        read_pss_ex1(_write(tmp_path / "b.csv", later), code_lookup=LOOKUP)


def test_text_in_a_numeric_column(tmp_path: Path) -> None:
    body = [
        ["101 - Alphashire", "1,234", "5", "n/k", "15", "5"],
        ["TOTAL England", "1,234", "5", "10", "15", "5"],
    ]
    with pytest.raises(SourceFormatError) as info:
        read_pss_ex1(_wide(tmp_path, body), code_lookup=LOOKUP)
    message = str(info.value)
    assert "row 6" in message and "column 4" in message and "'n/k'" in message
    assert "Total all ages, Direct payments" in message and "activity.csv" in message


def test_unknown_council_code(tmp_path: Path) -> None:
    body = [["999 - Nowhere", "1", "1", "1", "1", "1"], ["TOTAL England", "1", "1", "1", "1", "1"]]
    with pytest.raises(UnknownCouncilError) as info:
        read_pss_ex1(_wide(tmp_path, body), code_lookup=LOOKUP)
    assert (
        "'999'" in str(info.value) and "Nowhere" in str(info.value) and "row 6" in str(info.value)
    )


def test_duplicated_council_rows(tmp_path: Path) -> None:
    body = [
        ["101 - Alphashire", "1", "1", "1", "1", "1"],
        ["101 - Alphashire", "2", "2", "2", "2", "2"],
        ["TOTAL England", "3", "3", "3", "3", "3"],
    ]
    with pytest.raises(
        SourceFormatError, match=r"101 \(Alphashire\) appears twice \(rows 6 and 7\)"
    ):
        read_pss_ex1(_wide(tmp_path, body), code_lookup=LOOKUP)


def test_a_row_with_figures_but_no_council(tmp_path: Path) -> None:
    body = [["Alphashire", "1", "1", "1", "1", "1"], ["TOTAL England", "1", "1", "1", "1", "1"]]
    with pytest.raises(SourceFormatError, match="neither a council"):
        read_pss_ex1(
            _wide(tmp_path, [["101 - Alphashire", "1", "1", "1", "1", "1"], *body]),
            code_lookup=LOOKUP,
        )


def test_not_a_pss_ex1_table(tmp_path: Path) -> None:
    other = _write(tmp_path / "other.csv", [["Code", "Name", "Value"], ["306", "Manchester", "1"]])
    with pytest.raises(SourceFormatError, match="not a PSS-EX1 activity table"):
        read_pss_ex1(other, code_lookup=LOOKUP)
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(SourceFormatError, match="binary"):
        read_pss_ex1(binary, code_lookup=LOOKUP)
    with pytest.raises(FileNotFoundError):
        read_pss_ex1(tmp_path / "absent.csv", code_lookup=LOOKUP)


def test_wide_file_without_direct_payments(tmp_path: Path) -> None:
    rows = [
        [WIDE_TITLE],
        ["", "Something else"],
        ["", "A1.1"],
        ["101 - Alphashire", "5"],
        ["TOTAL England", "5"],
    ]
    with pytest.raises(SourceFormatError, match="no all-ages direct-payment column"):
        read_pss_ex1(_write(tmp_path / "x.csv", rows), code_lookup=LOOKUP)


def _transposed(
    tmp_path: Path, name: str = "pss-exp-eng-14-15-act.csv", cell: str = "5050.57"
) -> Path:
    labels = [
        "Support type",
        "Age category",
        "Primary support reason",
        "Service delivery mechanism",
        "Provision",
    ]
    rows = [
        ["", "", "", "", "", "NE", "NW", "NE", "Eng"],
        [*labels, "101 - Alphashire", "102 - Betaborough", "North East", "ENGLAND"],
        [
            "Long term",
            "Age 18 to 64",
            "Physical support",
            "Residential",
            "In house provision",
            "1",
            "2",
            "1",
            "3",
        ],
        [
            "Long term",
            "Age 18 to 64",
            "Physical support",
            "Residential",
            "Total provision",
            cell,
            "0",
            "10",
            "5060.57",
        ],
        [
            "Long term",
            "Age 65 and over",
            "Physical support",
            "Nursing",
            "Total provision",
            "7",
            ":",
            "7",
            "7",
        ],
        [
            "",
            "Age 18 and over",
            "",
            "Internal home care provision",
            "Hourly rate",
            "26",
            "0",
            "20",
            "29.07",
        ],
        [""],
        [":  represents mandatory data that are unavailable."],
    ]
    return _write(tmp_path / name, rows)


def test_transposed_layout(tmp_path: Path) -> None:
    tidy = read_pss_ex1(_transposed(tmp_path), code_lookup=LOOKUP)
    validate_tidy(tidy)
    assert set(tidy["period"]) == {"2014-15"} and set(tidy["definition"]) == {"PSS-EX1"}
    got = tidy.set_index(["council_code", "measure", "disaggregation"])
    alpha = got.loc[("E10000901", "long_term_residential_weeks", "18-64: Physical support")]
    assert alpha["value"] == pytest.approx(5050.57)
    assert (
        alpha["published_code"]
        == "Long term | Age 18 to 64 | Physical support | Residential | Total provision"
    )
    beta = got.loc[("E06000902", "long_term_nursing_weeks", "65 and over: Physical support")]
    assert beta["status"] == "not-collected" and np.isnan(beta["value"])
    region = got.loc[("E12000001", "long_term_residential_weeks", "18-64: Physical support")]
    assert region["geography_level"] == "region" and region["council_name"] == "North East"
    assert (
        got.loc[("E92000001", "long_term_nursing_weeks", "65 and over: Physical support"), "value"]
        == 7
    )
    assert set(tidy["measure"]) == {"long_term_residential_weeks", "long_term_nursing_weeks"}
    assert len(tidy) == 2 * 4  # in-house rows and hourly rates are not read


def test_transposed_regions_are_skipped_without_a_lookup_for_them(tmp_path: Path) -> None:
    lookup = {k: v for k, v in LOOKUP.items() if k != "NE"}
    tidy = read_pss_ex1(_transposed(tmp_path), code_lookup=lookup)
    assert set(tidy["geography_level"]) == {"council", "england"}


def test_transposed_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match=r"row 4 .*column 6 \(Alphashire\)"):
        read_pss_ex1(_transposed(tmp_path, cell="lots"), code_lookup=LOOKUP)
    with pytest.raises(SourceFormatError, match="names no financial year"):
        read_pss_ex1(_transposed(tmp_path, name="activity.csv"), code_lookup=LOOKUP)
    with pytest.raises(UnknownCouncilError, match="'102'"):
        read_pss_ex1(_transposed(tmp_path), code_lookup={"101": "E10000901"})
