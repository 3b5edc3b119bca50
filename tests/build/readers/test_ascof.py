"""Tests for the ASCOF readers (personalisation.build.readers.ascof).

Real-file tests (marked ``raw``) load each raw file once per module and compare the
readers' output with figures read off the raw files; the bad-input tests build tiny files
in ``tmp_path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personalisation.build.readers.ascof import (
    ascof_code_pairs,
    read_ascof_open_data,
    read_ascof_rds,
    read_ascof_trend,
)
from personalisation.errors import SourceFormatError, UnknownMeasureError
from personalisation.measures import measure_for_code
from personalisation.schema import TIDY_COLUMNS, validate_tidy

OPEN_DATA = "indicators/ascof_nhsd/meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx"
RDS = "indicators/ascof_compiled_ojpreston/ascof_14_19.rds"
TREND = "indicators/ascof_compiled_acbockmuehl/trend_data.csv"
OUR_MEASURES = {"sds_users", "sds_carers", "dp_users", "dp_carers"}
ENGLAND = "E92000001"
MANCHESTER = "E08000003"
SOMERSET = "E10000027"


# --------------------------------------------------------------------------------------
# real files, each read once per module
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_data(raw_dir: Path) -> pd.DataFrame:
    return read_ascof_open_data(raw_dir / OPEN_DATA)


@pytest.fixture(scope="module")
def rds(raw_dir: Path) -> pd.DataFrame:
    pytest.importorskip("pyreadr")
    return read_ascof_rds(raw_dir / RDS)


@pytest.fixture(scope="module")
def trend(raw_dir: Path) -> pd.DataFrame:
    return read_ascof_trend(raw_dir / TREND)


@pytest.fixture(scope="module")
def rds_pairs(raw_dir: Path) -> pd.DataFrame:
    pytest.importorskip("pyreadr")
    return ascof_code_pairs(raw_dir / RDS)


@pytest.fixture(scope="module")
def open_data_pairs(raw_dir: Path) -> pd.DataFrame:
    return ascof_code_pairs(raw_dir / OPEN_DATA)


def _figure(
    tidy: pd.DataFrame,
    code: str,
    period: str,
    measure: str,
    disaggregation: str = "Total",
) -> pd.Series:
    rows = tidy[
        (tidy["council_code"] == code)
        & (tidy["period"] == period)
        & (tidy["measure"] == measure)
        & (tidy["disaggregation"] == disaggregation)
    ]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def _check(row: pd.Series, value: float, numerator: float, denominator: float) -> None:
    assert row["status"] == "published"
    assert row["value"] == pytest.approx(value)
    assert row["numerator"] == numerator
    assert row["denominator"] == denominator


@pytest.mark.raw
class TestOpenData2020:
    def test_schema_and_scope(self, open_data: pd.DataFrame) -> None:
        assert list(open_data.columns) == list(TIDY_COLUMNS)
        validate_tidy(open_data)
        assert set(open_data["measure"]) == OUR_MEASURES
        assert set(open_data["period"]) == {"2020-21"}
        assert set(open_data["year"]) == {2021}
        assert set(open_data["definition"]) == {"ASCOF 1C"}
        assert set(open_data["source"]) == {"meas-from-asc-of-eng-2021-open-data-csv_v2"}
        users = open_data[open_data["measure"].isin(["sds_users", "dp_users"])]
        carers = open_data[open_data["measure"].isin(["sds_carers", "dp_carers"])]
        assert set(users["disaggregation"]) == {"Total", "18-64", "65 and over"}
        assert set(carers["disaggregation"]) == {"Total", "64 and under", "65-84", "85 and over"}
        # 14 published codes x (151 councils + 9 regions + 5 council types + England)
        assert len(open_data) == 14 * (151 + 9 + 5 + 1)

    def test_spot_checks(self, open_data: pd.DataFrame) -> None:
        _check(_figure(open_data, MANCHESTER, "2020-21", "sds_users"), 90.1, 3687, 4091)
        _check(_figure(open_data, MANCHESTER, "2020-21", "dp_users"), 15.5, 633, 4091)
        _check(_figure(open_data, SOMERSET, "2020-21", "sds_users"), 68.7, 2943, 4281)
        _check(_figure(open_data, SOMERSET, "2020-21", "dp_users"), 35.5, 1521, 4281)
        _check(_figure(open_data, ENGLAND, "2020-21", "sds_users"), 92.2, 409504, 444128)
        assert _figure(open_data, ENGLAND, "2020-21", "dp_users")["value"] == pytest.approx(26.6)
        row = _figure(open_data, MANCHESTER, "2020-21", "sds_users", "18-64")
        _check(row, 84.4, 1851, 2194)
        assert row["published_code"] == "1C1A1864"
        _check(
            _figure(open_data, MANCHESTER, "2020-21", "dp_users", "65 and over"), 10.4, 197, 1897
        )
        _check(_figure(open_data, MANCHESTER, "2020-21", "dp_carers", "85 and over"), 53.7, 22, 41)
        metropolitan = _figure(open_data, "type:Metropolitan District", "2020-21", "sds_users")
        assert metropolitan["geography_level"] == "council_type"
        _check(metropolitan, 92.3, 98073, 106312)
        assert (
            _figure(open_data, "E12000007", "2020-21", "sds_users")["geography_level"] == "region"
        )

    def test_suppressed_council_is_nan_not_zero(self, open_data: pd.DataFrame) -> None:
        hackney = open_data[(open_data["council_code"] == "E09000012")]
        users = hackney[hackney["measure"].isin(["sds_users", "dp_users"])]
        assert len(users) == 6
        assert (users["status"] == "not-collected").all()  # published as "[x]"
        assert users[["numerator", "denominator", "value"]].isna().all().all()

    def test_council_counts(self, open_data: pd.DataFrame) -> None:
        total = open_data[(open_data["disaggregation"] == "Total")]
        councils = total[total["geography_level"] == "council"]
        per_measure = councils.groupby("measure")["council_code"].nunique()
        assert (per_measure == 151).all()
        published = councils[councils["status"] == "published"]
        assert published.groupby("measure")["council_code"].nunique()["sds_users"] == 150

    def test_england_is_council_sum_plus_the_one_unpublished_council(
        self, open_data: pd.DataFrame
    ) -> None:
        # Hackney is "[x]" in 2020-21 but counted in England (and London): England minus the
        # sum over the 150 published councils is one council's figure, the same in both
        # rates that share a denominator, and split consistently by age.
        councils = open_data[open_data["geography_level"] == "council"]
        london = {"E09"}  # London boroughs
        key = ["measure", "disaggregation"]
        sums = councils.groupby(key)[["numerator", "denominator"]].sum()
        london_sums = (
            councils[councils["council_code"].str[:3].isin(london)]
            .groupby(key)[["numerator", "denominator"]]
            .sum()
        )
        england = open_data[open_data["council_code"] == ENGLAND].set_index(key)
        region = open_data[open_data["council_code"] == "E12000007"].set_index(key)
        gap = england[["numerator", "denominator"]] - sums
        london_gap = region[["numerator", "denominator"]] - london_sums
        assert (gap.to_numpy() >= 0).all()
        assert (gap.to_numpy() > 0).all()  # not exact: the England figure includes Hackney
        pd.testing.assert_frame_equal(gap.sort_index(), london_gap.sort_index())
        for measures in (("sds_users", "dp_users"), ("sds_carers", "dp_carers")):
            a, b = (gap.loc[m, "denominator"] for m in measures)
            pd.testing.assert_series_equal(a, b)
        for measure in ("sds_users", "dp_users"):
            parts = gap.loc[measure]
            assert parts.loc["Total", "denominator"] == (
                parts.loc["18-64", "denominator"] + parts.loc["65 and over", "denominator"]
            )
        assert (gap["numerator"] <= gap["denominator"]).all()

    def test_equals_trend_file(self, open_data: pd.DataFrame, trend: pd.DataFrame) -> None:
        key = ["council_code", "geography_level", "period", "measure", "disaggregation"]
        both = open_data.merge(trend, on=key, suffixes=("", "_trend"))
        published = both[(both["status"] == "published") & (both["status_trend"] == "published")]
        council_pairs = published[published["geography_level"] == "council"]
        assert len(council_pairs) == 594  # PROVENANCE.md: 594 pairs, 0 differences
        np.testing.assert_array_equal(published["value"], published["value_trend"])
        # every level matches, council-type ids included
        assert set(published["geography_level"]) == {"council", "region", "council_type", "england"}


@pytest.mark.raw
class TestRds:
    def test_schema_and_scope(self, rds: pd.DataFrame) -> None:
        validate_tidy(rds)
        assert set(rds["measure"]) == OUR_MEASURES
        assert sorted(rds["period"].unique()) == [
            "2014-15",
            "2015-16",
            "2016-17",
            "2017-18",
            "2018-19",
        ]
        assert set(rds["source"]) == {"ascof_14_19"}
        codes = rds.groupby("period")["published_code"].agg(set)
        assert "1C(1A)1864" in codes["2014-15"] and "1C(2B)85OV" in codes["2015-16"]
        assert "1C1A1864" in codes["2016-17"] and not any("(" in c for c in codes["2018-19"])

    def test_council_counts(self, rds: pd.DataFrame) -> None:
        councils = rds[(rds["geography_level"] == "council") & (rds["disaggregation"] == "Total")]
        counts = councils.groupby(["period", "measure"])["council_code"].nunique()
        assert (counts == 152).all() and len(counts) == 5 * 4

    @pytest.mark.parametrize(
        ("code", "period", "measure", "value"),
        [
            (ENGLAND, "2014-15", "sds_users", 83.7),
            (ENGLAND, "2015-16", "sds_users", 86.9),
            (ENGLAND, "2016-17", "sds_users", 89.4),
            (ENGLAND, "2017-18", "sds_users", 89.7),
            (ENGLAND, "2018-19", "sds_users", 89.0),
            (MANCHESTER, "2014-15", "sds_users", 43.2),
            (MANCHESTER, "2015-16", "sds_users", 60.6),
            (SOMERSET, "2014-15", "sds_users", 23.8),
            (SOMERSET, "2016-17", "sds_users", 50.8),
            (ENGLAND, "2014-15", "dp_users", 26.3),
            (ENGLAND, "2015-16", "dp_users", 28.1),
            (MANCHESTER, "2014-15", "dp_users", 6.4),
            (MANCHESTER, "2015-16", "dp_users", 10.1),
        ],
    )
    def test_outcomes(
        self, rds: pd.DataFrame, code: str, period: str, measure: str, value: float
    ) -> None:
        row = _figure(rds, code, period, measure)
        assert row["status"] == "published"
        assert row["value"] == pytest.approx(value)

    def test_numerators_and_denominators(self, rds: pd.DataFrame) -> None:
        _check(_figure(rds, ENGLAND, "2014-15", "sds_users"), 83.7, 384150, 458690)
        _check(_figure(rds, MANCHESTER, "2014-15", "sds_users"), 43.2, 2990, 6920)
        _check(_figure(rds, MANCHESTER, "2015-16", "sds_users"), 60.6, 3161, 5212)
        _check(_figure(rds, MANCHESTER, "2016-17", "sds_users"), 61.7, 3394, 5498)
        _check(_figure(rds, MANCHESTER, "2016-17", "sds_users", "65 and over"), 78.6, 1753, 2231)
        _check(_figure(rds, MANCHESTER, "2016-17", "sds_carers"), 95.1, 2405, 2530)
        _check(_figure(rds, ENGLAND, "2017-18", "sds_carers"), 83.4, 90666, 108750)
        _check(_figure(rds, SOMERSET, "2017-18", "dp_users"), 32.9, 1465, 4452)
        _check(_figure(rds, SOMERSET, "2018-19", "sds_users"), 91.5, 3732, 4077)
        _check(_figure(rds, ENGLAND, "2018-19", "dp_users"), 28.3, 125949, 444990)
        row = _figure(rds, MANCHESTER, "2018-19", "sds_users")
        _check(row, 67.5, 3662, 5425)
        assert row["published_code"] == "1C1A"
        assert _figure(rds, MANCHESTER, "2014-15", "sds_users")["published_code"] == "1C(1A)"

    def test_unpublished_outcomes(self, rds: pd.DataFrame) -> None:
        # Somerset carers 2017-18: Outcome ":" with numerator and denominator 0 published
        row = _figure(rds, SOMERSET, "2017-18", "sds_carers")
        assert row["status"] == "not-collected" and np.isnan(row["value"])
        assert row["numerator"] == 0 and row["denominator"] == 0
        # Somerset carers 2014-15: all three cells blank
        row = _figure(rds, SOMERSET, "2014-15", "dp_carers")
        assert row["status"] == "not-collected"
        assert np.isnan([row["numerator"], row["denominator"], row["value"]]).all()

    def test_england_equals_council_sum(self, rds: pd.DataFrame) -> None:
        key = ["period", "measure", "disaggregation"]
        councils = rds[rds["geography_level"] == "council"]
        sums = councils.groupby(key)[["numerator", "denominator"]].sum()
        england = rds[rds["council_code"] == ENGLAND].set_index(key)[["numerator", "denominator"]]
        gap = (england - sums).sort_index()
        later = gap.drop(index="2014-15", level="period")
        # 2015-16 to 2018-19: every council published, England is the exact sum
        assert len(later) == 4 * 14 and (later.to_numpy() == 0).all()
        # 2014-15: small counts were suppressed and all counts rounded to 5, so England
        # only bounds the sum of the published councils from above
        early = gap.loc["2014-15"]
        assert (early.to_numpy() >= 0).all() and (early.to_numpy() > 0).any()
        early_counts = councils.loc[councils["period"] == "2014-15", ["numerator", "denominator"]]
        assert (early_counts.stack().dropna() % 5 == 0).all()
        later_counts = councils.loc[councils["period"] == "2016-17", "denominator"]
        assert (later_counts % 5 != 0).any()

    def test_england_age_bands_add_up(self, rds: pd.DataFrame) -> None:
        england = rds[(rds["council_code"] == ENGLAND) & (rds["measure"] == "sds_users")]
        by = england.set_index(["period", "disaggregation"])["denominator"]
        for period in ("2015-16", "2016-17", "2017-18", "2018-19"):
            assert by[(period, "Total")] == by[(period, "18-64")] + by[(period, "65 and over")]
        # 2014-15 counts are rounded to 5, so the bands add up only to within rounding
        total = by[("2014-15", "Total")]
        assert abs(total - by[("2014-15", "18-64")] - by[("2014-15", "65 and over")]) <= 5

    def test_equals_trend_file(self, rds: pd.DataFrame, trend: pd.DataFrame) -> None:
        key = ["council_code", "geography_level", "period", "measure", "disaggregation"]
        councils = rds[rds["geography_level"] == "council"]
        both = councils.merge(trend, on=key, suffixes=("", "_trend"))
        assert set(both["period"]) == {"2017-18", "2018-19"}
        published = both[(both["status"] == "published") & (both["status_trend"] == "published")]
        assert len(published) == 1210  # PROVENANCE.md: 1,210 pairs, 0 differences
        np.testing.assert_array_equal(published["value"], published["value_trend"])
        # and a figure the rds leaves unpublished is absent from the trend file, not invented
        hidden = both[both["status"] != "published"]
        assert (hidden["status_trend"] != "published").all()


@pytest.mark.raw
class TestTrend:
    def test_schema_and_scope(self, trend: pd.DataFrame) -> None:
        validate_tidy(trend)
        assert set(trend["measure"]) == OUR_MEASURES
        assert set(trend["disaggregation"]) == {"Total"}
        assert trend[["numerator", "denominator"]].isna().all().all()
        assert set(trend["source"]) == {"trend_data"}
        by_period = trend.groupby("period")["published_code"].agg(set)
        assert by_period["2023-24"] == {"3D1A", "3D1B", "3D2A", "3D2B"}
        for period in ("2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23"):
            assert by_period[period] == {"1C1A", "1C1B", "1C2A", "1C2B"}
        definitions = trend.groupby("period")["definition"].agg(set)
        assert definitions["2023-24"] == {"ASCOF 3D"} and definitions["2022-23"] == {"ASCOF 1C"}

    def test_other_measures_never_mapped(self, raw_dir: Path, trend: pd.DataFrame) -> None:
        raw = pd.read_csv(raw_dir / TREND, dtype=str, keep_default_na=False)
        # the raw file does hold the look-alike codes ...
        assert ((raw["Year"] == "2023-24") & (raw["Measure Group"] == "1C")).any()
        assert ((raw["Year"] == "2018-19") & (raw["Measure Group"] == "3D1")).any()
        assert ((raw["Year"] == "2018-19") & (raw["Measure Group"] == "3D2")).any()
        # ... and none of them reaches the tidy table
        assert not trend["published_code"].isin(["1C", "3D1", "3D2"]).any()
        assert (
            len(trend)
            == raw["Measure Group"]
            .isin(["1C1A", "1C1B", "1C2A", "1C2B", "3D1A", "3D1B", "3D2A", "3D2B"])
            .sum()
        )
        # the registry refuses them per year
        for code, period in (("1C", "2023-24"), ("3D1", "2018-19"), ("3D1A", "2018-19")):
            with pytest.raises(UnknownMeasureError):
                measure_for_code(code, period)
        # England 2023-24 carer quality of life (1C) is not a carers' SDS figure
        quality = raw[(raw["Year"] == "2023-24") & (raw["Measure Group"] == "1C")]
        england_quality = quality.loc[quality["ONS Code"] == ENGLAND, "Measure_Value"].astype(float)
        carers = trend[(trend["period"] == "2023-24") & (trend["council_code"] == ENGLAND)]
        assert not set(england_quality) & set(carers["value"])

    def test_council_counts(self, trend: pd.DataFrame) -> None:
        sds = trend[(trend["measure"] == "sds_users") & (trend["geography_level"] == "council")]
        counts = sds.groupby("period")["council_code"].nunique()
        assert counts.tolist() == [152, 152, 151, 150, 151, 151, 152]  # PROVENANCE.md

    @pytest.mark.parametrize(
        ("code", "period", "measure", "value"),
        [
            (MANCHESTER, "2023-24", "sds_users", 24.3),
            (ENGLAND, "2023-24", "dp_users", 25.5),
            ("E06000066", "2023-24", "dp_users", 37.7),  # Somerset's 2023 code
            ("E06000066", "2023-24", "sds_users", 97.9),
            (MANCHESTER, "2023-24", "dp_users", 14.1),
            (ENGLAND, "2023-24", "sds_users", 92.2),
            (MANCHESTER, "2019-20", "sds_users", 97.0),
            (SOMERSET, "2022-23", "sds_users", 97.6),
            (ENGLAND, "2021-22", "sds_users", 94.5),
            # 2019-20: the file labels 1C1B / 1C2B "people using social care"; codes are right
            (ENGLAND, "2019-20", "sds_carers", 86.9),
            (ENGLAND, "2019-20", "dp_carers", 77.1),
        ],
    )
    def test_outcomes(
        self, trend: pd.DataFrame, code: str, period: str, measure: str, value: float
    ) -> None:
        row = _figure(trend, code, period, measure)
        assert row["status"] == "published"
        assert row["value"] == pytest.approx(value)

    def test_somerset_code_follows_the_year(self, trend: pd.DataFrame) -> None:
        somerset = trend[trend["council_name"] == "Somerset"]
        codes = somerset.groupby("period")["council_code"].agg(set)
        assert codes["2022-23"] == {SOMERSET} and codes["2023-24"] == {"E06000066"}


@pytest.mark.raw
class TestCodePairs:
    def test_rds_pairs(self, rds_pairs: pd.DataFrame) -> None:
        assert list(rds_pairs.columns) == ["cassr_code", "council_code", "council_name", "period"]
        assert (rds_pairs.dtypes == "string").all()
        assert rds_pairs.groupby("period").size().tolist() == [152] * 5
        assert rds_pairs["cassr_code"].str.fullmatch(r"\d{3}").all()
        manchester = rds_pairs[rds_pairs["cassr_code"] == "306"]
        assert set(manchester["council_code"]) == {MANCHESTER}
        assert set(manchester["council_name"]) == {"Manchester"}

    def test_open_data_pairs(self, open_data_pairs: pd.DataFrame, rds_pairs: pd.DataFrame) -> None:
        assert set(open_data_pairs["period"]) == {"2020-21"}
        assert len(open_data_pairs) == 151
        somerset = open_data_pairs[open_data_pairs["council_code"] == SOMERSET]
        assert somerset["cassr_code"].tolist() == ["905"]
        # CASSR codes kept their GSS code between 2018-19 and 2020-21, except Dorset (809),
        # which became a unitary authority (E10000009 -> E06000059) in April 2019
        old = rds_pairs[rds_pairs["period"] == "2018-19"].set_index("cassr_code")["council_code"]
        new = open_data_pairs.set_index("cassr_code")["council_code"]
        common = old.index.intersection(new.index)
        changed = sorted(c for c in common if old[c] != new[c])
        assert changed == ["809"]
        assert (old["809"], new["809"]) == ("E10000009", "E06000059")

    def test_pairs_match_reader_output(self, rds_pairs: pd.DataFrame, rds: pd.DataFrame) -> None:
        councils = rds[rds["geography_level"] == "council"]
        from_reader = set(zip(councils["council_code"], councils["period"], strict=True))
        from_pairs = set(zip(rds_pairs["council_code"], rds_pairs["period"], strict=True))
        assert from_reader == from_pairs


# --------------------------------------------------------------------------------------
# tiny files made in the tests
# --------------------------------------------------------------------------------------

OPEN_COLUMNS = [
    "Geographical Code",
    "Geographical Description",
    "Geographical Level",
    "ONS Code",
    "ASCOF Measure Code",
    "Disaggregation Level",
    "Measure Type",
    "Measure Value",
    "Measure Group",
    "Measure Group Description",
]


def _open_rows(
    code: str = "1C1A",
    group: str = "1C1A",
    disaggregation: str = "Total",
    values: tuple[object, object, object] = ("50.0", "5", "10"),
    geo: tuple[str, str, str, str] = ("999", "Testshire", "Council", "E10000999"),
    description: str = "self-directed support",
) -> list[list[object]]:
    """Outcome, Numerator and Denominator rows of one figure (values made up for the test)."""
    return [
        [*geo, code, disaggregation, kind, value, group, description]
        for kind, value in zip(("Outcome", "Numerator", "Denominator"), values, strict=True)
    ]


def _write_csv(path: Path, rows: list[list[object]], columns: list[str] = OPEN_COLUMNS) -> Path:
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


TREND_COLUMNS = [
    "Year",
    "Geographical Description",
    "ONS Code",
    "Measure Group",
    "Measure Group Description",
    "Measure_Value",
    "Geographical Level",
    "Disaggregation Level",
    "Measure Type",
]


def _trend_row(
    year: str, group: str, value: str, name: str = "Testshire", ons: str = "E10000999"
) -> list[str]:
    return [year, name, ons, group, "made-up row", value, "Council", "Total", "Outcome"]


class TestOpenDataLayout:
    def test_pivot_markers_and_ignored_types(self, tmp_path: Path) -> None:
        rows = [
            *_open_rows(),
            *_open_rows("1C1A1864", disaggregation="18-64", values=("[c]", "[c]", "[c]")),
            *_open_rows("1C2A", "1C2A", values=("[x]", "3", "10")),
            [*_open_rows()[0][:6], "Base", "", "1C1A", "x"],
            [*_open_rows()[0][:6], "Margin of Error", "1.2", "1C1A", "x"],
            *_open_rows("1B", "1B", values=("70", "7", "10")),  # another ASCOF measure
        ]
        tidy = read_ascof_open_data(_write_csv(tmp_path / "open.csv", rows), period="2020-21")
        assert len(tidy) == 3
        total = _figure(tidy, "E10000999", "2020-21", "sds_users")
        assert (total["value"], total["numerator"], total["denominator"]) == (50.0, 5.0, 10.0)
        assert total["source"] == "open" and total["definition"] == "ASCOF 1C"
        band = _figure(tidy, "E10000999", "2020-21", "sds_users", "18-64")
        assert band["status"] == "suppressed" and np.isnan(band["value"])
        assert band["published_code"] == "1C1A1864"
        dp = _figure(tidy, "E10000999", "2020-21", "dp_users")
        assert dp["status"] == "not-collected" and np.isnan(dp["value"])
        assert dp["numerator"] == 3.0  # a published numerator is kept

    def test_xlsx_sheet_in(self, tmp_path: Path) -> None:
        path = tmp_path / "meas-from-asc-of-eng-2021-open-data.xlsx"
        rows = _open_rows(values=(50.0, 5, 10))
        pd.DataFrame(rows, columns=OPEN_COLUMNS).to_excel(path, sheet_name="in", index=False)
        tidy = read_ascof_open_data(path, source_id="test")
        assert tidy["period"].tolist() == ["2020-21"]  # from the file name
        assert tidy["source"].tolist() == ["test"]

    def test_geographies(self, tmp_path: Path) -> None:
        rows = [
            *_open_rows(geo=("England", "England", "England", "")),
            *_open_rows(geo=("NW", "North West", "Region", "E12000002")),
            *_open_rows(geo=("M", "Metropolitan Districts", "Council Type", "")),
            *_open_rows(geo=("U", "Unitary Authority", "Council type", "0")),
        ]
        tidy = read_ascof_open_data(_write_csv(tmp_path / "g.csv", rows), period="2018-19")
        got = dict(zip(tidy["council_code"], tidy["geography_level"], strict=True))
        assert got == {
            "E92000001": "england",
            "E12000002": "region",
            "type:Metropolitan District": "council_type",
            "type:Unitary Authority": "council_type",
        }

    def test_year_column_and_3d1_in_2018_19(self, tmp_path: Path) -> None:
        rows = [
            [*r, "2018-19"]
            for r in (
                *_open_rows(),
                *_open_rows("3D1", "3D1", values=("60", "6", "10")),  # finding information
            )
        ]
        path = _write_csv(tmp_path / "y.csv", rows, [*OPEN_COLUMNS, "Return Year"])
        tidy = read_ascof_open_data(path)
        assert tidy["published_code"].tolist() == ["1C1A"]
        assert tidy["measure"].tolist() == ["sds_users"]
        assert tidy["value"].tolist() == [50.0]
        with pytest.raises(SourceFormatError, match="2017-18"):
            read_ascof_open_data(path, period="2017-18")

    def test_our_code_from_another_framework_year_is_refused(self, tmp_path: Path) -> None:
        rows = [
            [*r, "2018-19"]
            for r in (
                *_open_rows(),
                *_open_rows("3D1A", "3D1A", values=("70", "7", "10")),  # ours only from 2023-24
            )
        ]
        path = _write_csv(tmp_path / "y.csv", rows, [*OPEN_COLUMNS, "Return Year"])
        with pytest.raises(SourceFormatError, match=r"'3D1A' in 2018-19"):
            read_ascof_open_data(path)

    def test_2023_codes(self, tmp_path: Path) -> None:
        rows = [
            *_open_rows("3D1A", "3D1A"),
            *_open_rows("1C", "1C", values=("7.5", "75", "10")),  # carer quality of life
        ]
        tidy = read_ascof_open_data(_write_csv(tmp_path / "z.csv", rows), period="2023-24")
        assert tidy[["measure", "published_code", "definition"]].values.tolist() == [
            ["sds_users", "3D1A", "ASCOF 3D"]
        ]

    def test_no_period(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "open.csv", _open_rows())
        with pytest.raises(SourceFormatError, match="period"):
            read_ascof_open_data(path)

    def test_period_from_financial_year_in_name(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "ascof-2019-20.csv", _open_rows())
        assert read_ascof_open_data(path)["period"].tolist() == ["2019-20"]

    def test_wrong_extension(self, tmp_path: Path) -> None:
        path = tmp_path / "open.txt"
        path.write_text("a,b\n1,2\n")
        with pytest.raises(SourceFormatError, match=r"\.txt"):
            read_ascof_open_data(path, period="2020-21")

    def test_not_a_workbook(self, tmp_path: Path) -> None:
        path = tmp_path / "open-2021.xlsx"
        path.write_text("Geographical Code,ONS Code\n")
        with pytest.raises(SourceFormatError, match="xlsx"):
            read_ascof_open_data(path)

    def test_missing_sheet(self, tmp_path: Path) -> None:
        path = tmp_path / "open-2021.xlsx"
        pd.DataFrame(_open_rows(), columns=OPEN_COLUMNS).to_excel(path, sheet_name="data")
        with pytest.raises(SourceFormatError, match="'in'"):
            read_ascof_open_data(path)

    def test_missing_column(self, tmp_path: Path) -> None:
        frame = pd.DataFrame(_open_rows(), columns=OPEN_COLUMNS).drop(columns="Measure Type")
        path = tmp_path / "open.csv"
        frame.to_csv(path, index=False)
        with pytest.raises(SourceFormatError, match="'Measure Type'"):
            read_ascof_open_data(path, period="2020-21")

    def test_text_in_value_cell(self, tmp_path: Path) -> None:
        rows = _open_rows(values=("50.0", "five", "10"))
        path = _write_csv(tmp_path / "open.csv", rows)
        with pytest.raises(SourceFormatError, match=r"row 3.*'five'.*1C1A.*Numerator"):
            read_ascof_open_data(path, period="2020-21")

    def test_duplicated_row(self, tmp_path: Path) -> None:
        rows = _open_rows()
        path = _write_csv(tmp_path / "open.csv", [*rows, rows[0]])
        with pytest.raises(SourceFormatError, match="duplicated"):
            read_ascof_open_data(path, period="2020-21")

    def test_unknown_geography_level(self, tmp_path: Path) -> None:
        rows = _open_rows(geo=("X1", "Somewhere", "Ward", "E05000001"))
        path = _write_csv(tmp_path / "open.csv", rows)
        with pytest.raises(SourceFormatError, match="'Ward'"):
            read_ascof_open_data(path, period="2020-21")

    def test_unknown_measure_type(self, tmp_path: Path) -> None:
        rows = [*_open_rows(), [*_open_rows()[0][:6], "Lower CI", "40", "1C1A", "x"]]
        path = _write_csv(tmp_path / "open.csv", rows)
        with pytest.raises(SourceFormatError, match="'Lower CI'"):
            read_ascof_open_data(path, period="2020-21")

    def test_code_and_disaggregation_disagree(self, tmp_path: Path) -> None:
        rows = _open_rows("1C1A1864", disaggregation="65 and over")
        path = _write_csv(tmp_path / "open.csv", rows)
        with pytest.raises(SourceFormatError, match="1C1A1864"):
            read_ascof_open_data(path, period="2020-21")

    def test_no_rows_of_ours(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "open.csv", _open_rows("1B", "1B"))
        with pytest.raises(SourceFormatError, match="no self-directed support"):
            read_ascof_open_data(path, period="2020-21")

    def test_numerator_above_denominator_is_refused(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "open.csv", _open_rows(values=("150", "15", "10")))
        with pytest.raises(ValueError, match="numerator above denominator"):
            read_ascof_open_data(path, period="2020-21")


class TestRdsLayout:
    def _write(self, path: Path, rows: list[list[object]]) -> Path:
        pyreadr = pytest.importorskip("pyreadr")
        columns = [c.replace(" ", ".") for c in OPEN_COLUMNS]
        columns[3] = "ONS.Area.Code"
        frame = pd.DataFrame(rows, columns=[*columns, "Return.Year"]).astype(str)
        pyreadr.write_rds(str(path), frame)
        return path

    def test_dotted_columns_and_old_codes(self, tmp_path: Path) -> None:
        rows = [
            [*r, "2014-15"]
            for r in _open_rows("1C(1A)65OV", "1C(1A)", "65 and over", ("", " ", ":"))
        ]
        rows += [[*r, "2016-17"] for r in _open_rows("1C2B", "1C2B", values=("40", "4", "10"))]
        rows += [[*r[:6], "Margin Of Error", "", *r[8:], "2016-17"] for r in _open_rows()[:1]]
        tidy = read_ascof_rds(self._write(tmp_path / "stack.rds", rows))
        assert tidy["source"].unique().tolist() == ["stack"]
        old = _figure(tidy, "E10000999", "2014-15", "sds_users", "65 and over")
        assert old["published_code"] == "1C(1A)65OV" and old["status"] == "not-collected"
        new = _figure(tidy, "E10000999", "2016-17", "dp_carers")
        assert new["value"] == 40.0

    def test_wrong_extension(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "stack.csv", _open_rows())
        with pytest.raises(SourceFormatError, match=r"\.rds"):
            read_ascof_rds(path)

    def test_not_an_rds(self, tmp_path: Path) -> None:
        pytest.importorskip("pyreadr")
        path = tmp_path / "stack.rds"
        path.write_bytes(b"not an R file")
        with pytest.raises(SourceFormatError, match="R data"):
            read_ascof_rds(path)

    def test_pyreadr_missing(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = tmp_path / "stack.rds"
        path.write_bytes(b"")
        monkeypatch.setitem(sys.modules, "pyreadr", None)
        with pytest.raises(ImportError, match=r"pip install personalisation\[rds\]"):
            read_ascof_rds(path)


class TestTrendLayout:
    def test_3d1_in_2018_19_is_not_sds(self, tmp_path: Path) -> None:
        rows = [
            _trend_row("2018-19", "1C1A", "55.5"),
            _trend_row("2018-19", "3D1", "66.6"),  # finding information
            _trend_row("2018-19", "3D2", "77.7"),
            _trend_row("2023-24", "1C", "7.7"),  # carer quality of life
            _trend_row("2023-24", "3D1B", "88.8"),
        ]
        path = _write_csv(tmp_path / "trend.csv", rows, TREND_COLUMNS)
        tidy = read_ascof_trend(path)
        got = tidy[["period", "measure", "published_code", "value"]].values.tolist()
        assert got == [
            ["2018-19", "sds_users", "1C1A", 55.5],
            ["2023-24", "sds_carers", "3D1B", 88.8],
        ]
        assert tidy[["numerator", "denominator"]].isna().all().all()

    def test_blank_disaggregation_and_type_read_as_total(self, tmp_path: Path) -> None:
        row = _trend_row("2023-24", "3D2A", "25.0")
        row[7:] = ["", ""]
        tidy = read_ascof_trend(_write_csv(tmp_path / "trend.csv", [row], TREND_COLUMNS))
        assert tidy["disaggregation"].tolist() == ["Total"]

    def test_non_total_row_refused(self, tmp_path: Path) -> None:
        row = _trend_row("2020-21", "1C1A", "25.0")
        row[7] = "18-64"
        path = _write_csv(tmp_path / "trend.csv", [row], TREND_COLUMNS)
        with pytest.raises(SourceFormatError, match="18-64"):
            read_ascof_trend(path)

    def test_text_value(self, tmp_path: Path) -> None:
        rows = [_trend_row("2020-21", "1C1A", "25.0"), _trend_row("2020-21", "1C2A", "n.a")]
        path = _write_csv(tmp_path / "trend.csv", rows, TREND_COLUMNS)
        with pytest.raises(SourceFormatError, match=r"row 3.*'n\.a'.*1C2A"):
            read_ascof_trend(path)

    def test_duplicated_row(self, tmp_path: Path) -> None:
        rows = [_trend_row("2020-21", "1C1A", "25.0"), _trend_row("2020-21", "1C1A", "26.0")]
        path = _write_csv(tmp_path / "trend.csv", rows, TREND_COLUMNS)
        with pytest.raises(SourceFormatError, match="duplicated"):
            read_ascof_trend(path)

    def test_missing_column(self, tmp_path: Path) -> None:
        rows = [_trend_row("2020-21", "1C1A", "25.0")]
        frame = pd.DataFrame(rows, columns=TREND_COLUMNS).drop(columns="ONS Code")
        frame.to_csv(tmp_path / "trend.csv", index=False)
        with pytest.raises(SourceFormatError, match="'ONS Code'"):
            read_ascof_trend(tmp_path / "trend.csv")

    def test_bad_year(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "t.csv", [_trend_row("2020", "1C1A", "1")], TREND_COLUMNS)
        with pytest.raises(SourceFormatError, match="'2020'"):
            read_ascof_trend(path)

    def test_council_without_code(self, tmp_path: Path) -> None:
        rows = [_trend_row("2020-21", "1C1A", "25.0", ons="")]
        path = _write_csv(tmp_path / "trend.csv", rows, TREND_COLUMNS)
        with pytest.raises(SourceFormatError, match="no ONS code"):
            read_ascof_trend(path)


class TestCodePairsLayout:
    def _frame(self, rows: list[tuple[object, str, str, str]]) -> pd.DataFrame:
        return pd.DataFrame(
            rows,
            columns=[
                "Geographical Code",
                "Geographical Description",
                "Geographical Level",
                "ONS Code",
            ],
        )

    def test_frame(self) -> None:
        frame = self._frame(
            [
                (999, "Testshire", "Council", "E10000999"),
                (999, "Testshire", "Council", "E10000999"),
                ("England", "England", "England", ENGLAND),
            ]
        )
        pairs = ascof_code_pairs(frame, period="2020-21")
        assert pairs.to_dict("records") == [
            {
                "cassr_code": "999",
                "council_code": "E10000999",
                "council_name": "Testshire",
                "period": "2020-21",
            }
        ]

    def test_clash(self) -> None:
        frame = self._frame(
            [(999, "Testshire", "Council", "E10000999"), (999, "Testshire", "Council", "E06000999")]
        )
        with pytest.raises(SourceFormatError, match="more than one"):
            ascof_code_pairs(frame, period="2020-21")

    def test_needs_period(self) -> None:
        frame = self._frame([(999, "Testshire", "Council", "E10000999")])
        with pytest.raises(SourceFormatError, match="period"):
            ascof_code_pairs(frame)

    def test_path(self, tmp_path: Path) -> None:
        path = _write_csv(tmp_path / "open-2019-20.csv", _open_rows())
        pairs = ascof_code_pairs(path)
        assert pairs[["cassr_code", "period"]].values.tolist() == [["999", "2019-20"]]
