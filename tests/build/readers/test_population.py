"""Tests of :mod:`personalisation.build.readers.population` (ONS mid-year estimates, MYE2).

Two halves: the seven real ONS workbooks in ``../shared/data/raw/indicators/ons_mye``
(spot checks against figures read from the files, skipped when the raw files are absent),
and tiny synthetic workbooks written in ``tmp_path`` for the layout rules and bad input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from personalisation.build.readers.population import read_mid_year_estimates
from personalisation.errors import SchemaError, SourceFormatError
from personalisation.schema import TIDY_COLUMNS

# --------------------------------------------------------------------------- real files

#: File name -> mid-year (PROVENANCE.md section 5).
MYE_FILES: dict[str, int] = {
    "MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls": 2015,
    "ukmidyearestimates2016.xls": 2016,
    "ukmidyearestimates2017finalversion.xls": 2017,
    "ukmidyearestimates20182019ladcodes.xls": 2018,
    "ukmidyearestimates20192020ladcodes.xls": 2019,
    "ukpopestimatesmid2020on2021geography.xls": 2020,
    "ukpopestimatesmid2021on2021geographyfinal.xls": 2021,
}
YEARS = sorted(MYE_FILES.values())

#: Manchester (E08000003), persons aged 18 to 90+ (PROVENANCE.md, checked against the files).
MANCHESTER_18PLUS = dict(
    zip(YEARS, [413030, 421438, 424319, 425665, 429944, 431869, 423251], strict=True)
)
#: Manchester, persons aged 65 to 90+, summed from the MYE2 persons sheets by hand (xlrd).
MANCHESTER_65PLUS = dict(zip(YEARS, [49774, 50244, 50614, 50967, 51441, 51557, 52582], strict=True))
#: England (E92000001), 18 to 90+ and 65 to 90+, summed from the files by hand (xlrd);
#: PROVENANCE.md rounds the 18+ figures to 43.11m (2015) and 44.77m (2021).
ENGLAND_18PLUS = dict(
    zip(YEARS, [43108471, 43482790, 43752473, 44022560, 44263393, 44456850, 44774763], strict=True)
)
ENGLAND_65PLUS = dict(
    zip(YEARS, [9711572, 9882841, 10030511, 10179253, 10353716, 10464019, 10468153], strict=True)
)
#: Councils with adult social services (E06/E08/E09/E10) per year: Bournemouth, Poole
#: and Dorset merge in 2019 (mid-2018 file on 2019 codes), Buckinghamshire and
#: Northamptonshire become unitary (mid-2020 file on 2021 codes).
COUNCILS_PER_YEAR = dict(zip(YEARS, [152, 152, 152, 151, 151, 152, 152], strict=True))


@pytest.fixture(scope="module")
def mye(raw_dir: Path) -> dict[int, pd.DataFrame]:
    """Each real workbook read once: mid-year -> tidy table."""
    folder = raw_dir / "indicators" / "ons_mye"
    return {year: read_mid_year_estimates(folder / name) for name, year in MYE_FILES.items()}


def _values(tidy: pd.DataFrame, measure: str, level: str | None = None) -> pd.Series:
    rows = tidy[tidy["measure"] == measure]
    if level is not None:
        rows = rows[rows["geography_level"] == level]
    return rows.set_index("council_code")["value"]


@pytest.mark.raw
@pytest.mark.parametrize("year", YEARS)
def test_real_file_period_and_constant_columns(mye, year):
    tidy = mye[year]
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert set(tidy["period"]) == {f"mid-{year}"}
    assert set(tidy["year"]) == {year}
    assert set(tidy["measure"]) == {"population_18plus", "population_65plus"}
    assert set(tidy["disaggregation"]) == {"Total"}
    assert set(tidy["status"]) == {"published"}
    assert set(tidy["definition"]) == {"ONS MYE"}
    assert tidy["numerator"].isna().all() and tidy["denominator"].isna().all()
    assert tidy["value"].notna().all() and (tidy["value"] > 0).all()
    assert (tidy["value"] == tidy["value"].round()).all()  # whole people
    assert set(tidy["source"]) == {next(n for n, y in MYE_FILES.items() if y == year)}
    assert set(tidy["published_code"]) == {"MYE2 persons 18-90+", "MYE2 persons 65-90+"}


@pytest.mark.raw
@pytest.mark.parametrize("year", YEARS)
def test_real_file_geographies(mye, year):
    tidy = mye[year]
    for measure in ("population_18plus", "population_65plus"):
        rows = tidy[tidy["measure"] == measure]
        councils = rows[rows["geography_level"] == "council"]["council_code"]
        assert councils.is_unique
        assert len(councils) == COUNCILS_PER_YEAR[year]
        assert set(councils.str[:3]) == {"E06", "E08", "E09", "E10"}  # no E07, W, S, N
        regions = rows[rows["geography_level"] == "region"]["council_code"]
        assert sorted(regions) == [f"E1200000{i}" for i in range(1, 10)]
        england = rows[rows["geography_level"] == "england"]
        assert england["council_code"].tolist() == ["E92000001"]
        assert england["council_name"].str.upper().tolist() == ["ENGLAND"]
    # the named councils are where they should be
    manchester = tidy[tidy["council_code"] == "E08000003"]
    assert set(manchester["council_name"]) == {"Manchester"}
    assert set(manchester["geography_level"]) == {"council"}


@pytest.mark.raw
@pytest.mark.parametrize("year", YEARS)
def test_real_file_spot_checks(mye, year):
    tidy = mye[year]
    assert _values(tidy, "population_18plus")["E08000003"] == MANCHESTER_18PLUS[year]
    assert _values(tidy, "population_65plus")["E08000003"] == MANCHESTER_65PLUS[year]
    assert _values(tidy, "population_18plus")["E92000001"] == ENGLAND_18PLUS[year]
    assert _values(tidy, "population_65plus")["E92000001"] == ENGLAND_65PLUS[year]


@pytest.mark.raw
def test_real_file_england_rounded_as_in_provenance(mye):
    # PROVENANCE.md: "England 43.11m (2015) to 44.77m (2021)"; Somerset CC 436,207 ... 463,674
    assert round(_values(mye[2015], "population_18plus")["E92000001"] / 1e6, 2) == 43.11
    assert round(_values(mye[2021], "population_18plus")["E92000001"] / 1e6, 2) == 44.77
    assert _values(mye[2015], "population_18plus")["E10000027"] == 436207
    assert _values(mye[2021], "population_18plus")["E10000027"] == 463674


@pytest.mark.raw
@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("measure", ["population_18plus", "population_65plus"])
def test_real_file_england_is_sum_of_councils_and_of_regions(mye, year, measure):
    england = _values(mye[year], measure, "england")["E92000001"]
    assert _values(mye[year], measure, "council").sum() == england
    assert _values(mye[year], measure, "region").sum() == england


@pytest.mark.raw
@pytest.mark.parametrize("year", YEARS)
def test_real_file_65plus_below_18plus_everywhere(mye, year):
    adults = _values(mye[year], "population_18plus")
    older = _values(mye[year], "population_65plus")
    assert adults.index.equals(older.index)
    assert (older < adults).all()
    # and 65+ is a plausible share of adults: inner London boroughs are near 7%,
    # coastal counties near 30%
    share = older / adults
    assert share.between(0.05, 0.5).all(), share[~share.between(0.05, 0.5)]


@pytest.mark.raw
def test_real_file_source_id_override(raw_dir):
    path = raw_dir / "indicators" / "ons_mye" / "ukmidyearestimates2016.xls"
    tidy = read_mid_year_estimates(path, source_id="ons_mye_2016")
    assert set(tidy["source"]) == {"ons_mye_2016"}


# ----------------------------------------------------------------- synthetic workbooks
#
# Areas below are made up (codes in the unused 9999xx range, obviously synthetic names);
# their counts follow a simple formula so that the expected sums are computed, not typed.

SYNTHETIC_AREAS = [
    ("K02000001", "SYNTHETIC KINGDOM"),
    ("E92000001", "ENGLAND"),
    ("E12999991", "SYNTHETIC REGION"),
    ("E06999991", "Synthetic unitary"),
    ("E08999991", "Synthetic metropolitan district"),
    ("E09999991", "Synthetic London borough"),
    ("E10999991", "Synthetic county"),
    ("E07999991", "Synthetic shire district"),
    ("E11999991", "Synthetic metropolitan county"),
    ("W06999991", "Synthetic Welsh authority"),
    ("S12999991", "Synthetic Scottish council"),
    ("N09999991", "Synthetic NI district"),
]


_COUNCILS = [
    i for i, (code, _) in enumerate(SYNTHETIC_AREAS) if code[:3] in ("E06", "E08", "E09", "E10")
]


def _count(area_index: int, age: int) -> int:
    if area_index < len(SYNTHETIC_AREAS) and SYNTHETIC_AREAS[area_index][0] == "E92000001":
        # England is the sum of its (upper-tier) councils, as ONS publishes it
        return sum(_count(i, age) for i in _COUNCILS)
    return 100 * (area_index + 1) + age


def _age_label(age: int, style: str) -> object:
    if style == "int":
        return age
    if style == "float":
        return float(age)
    return f"{age}+" if age == 90 else str(age)  # "str", as in the mid-2020 file


def _write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _persons_sheet(
    *,
    title: str = "MYE2: Persons by single year of age and sex for local authorities in the UK, mid-2019",
    blank_rows: int = 3,
    ages: range = range(0, 91),
    style: str = "str",
    areas: list[tuple[str, str]] = SYNTHETIC_AREAS,
) -> list[list[object]]:
    header = ["Code", "Name", "Geography", "All ages", *[_age_label(a, style) for a in ages]]
    rows: list[list[object]] = [[title], *([[None]] * blank_rows), header]
    for i, (code, name) in enumerate(areas):
        counts = [_count(i, a) for a in ages]
        rows.append([code, name, "Synthetic", sum(counts), *counts])
    return rows


def _expected(area_index: int, min_age: int) -> int:
    return sum(_count(area_index, a) for a in range(min_age, 91))


@pytest.mark.parametrize("style", ["int", "float", "str"])
@pytest.mark.parametrize("blank_rows", [0, 1, 6])
def test_synthetic_layouts(tmp_path, style, blank_rows):
    path = _write_workbook(
        tmp_path / "mye.xlsx",
        {
            "Contents": [["Contents"], ["MYE2 - Persons"]],
            "MYE2 - Males": _persons_sheet(title="MYE2: Males by single year of age, mid-2019"),
            "MYE2 - Persons": _persons_sheet(style=style, blank_rows=blank_rows),
        },
    )
    tidy = read_mid_year_estimates(path)
    assert set(tidy["period"]) == {"mid-2019"} and set(tidy["year"]) == {2019}
    assert set(tidy["source"]) == {"mye.xlsx"}
    kept = {"E92000001": "england", "E12999991": "region"} | {
        code: "council" for code in ("E06999991", "E08999991", "E09999991", "E10999991")
    }
    for measure, min_age in (("population_18plus", 18), ("population_65plus", 65)):
        rows = tidy[tidy["measure"] == measure].set_index("council_code")
        assert rows["geography_level"].to_dict() == kept
        for i, (code, name) in enumerate(SYNTHETIC_AREAS):
            if code in kept:
                assert rows.loc[code, "value"] == _expected(i, min_age)
                assert rows.loc[code, "council_name"] == name


def test_synthetic_persons_sheet_found_by_title_not_name(tmp_path):
    # as in mid-2015, only the rows above the header say which sheet holds persons;
    # here the sheet names do not help at all
    rows = _persons_sheet(title="MYE2: Population estimates ... mid-2015", blank_rows=0)
    rows.insert(1, ["ALL PERSONS"])
    males = _persons_sheet(title="MYE2: Population estimates ... mid-2015", blank_rows=0)
    males.insert(1, ["MALES"])
    path = _write_workbook(tmp_path / "mye.xlsx", {"Sheet A": males, "Sheet B": rows})
    tidy = read_mid_year_estimates(path)
    assert set(tidy["period"]) == {"mid-2015"}
    england = tidy.query("council_code == 'E92000001' and measure == 'population_18plus'")
    assert england["value"].item() == _expected(1, 18)


def test_not_an_excel_file(tmp_path):
    path = tmp_path / "population.xls"
    path.write_text("Code,Name,All ages\nE92000001,ENGLAND,1\n")
    with pytest.raises(SourceFormatError, match=r"population\.xls.*not a readable Excel"):
        read_mid_year_estimates(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.xls"):
        read_mid_year_estimates(tmp_path / "nope.xls")


def test_no_persons_sheet(tmp_path):
    path = _write_workbook(
        tmp_path / "males_only.xlsx",
        {"MYE2 - Males": _persons_sheet(title="MYE2: Males by single year of age, mid-2019")},
    )
    with pytest.raises(SourceFormatError, match=r"males_only\.xlsx.*no MYE2 persons sheet"):
        read_mid_year_estimates(path)


def test_persons_sheet_without_age_columns(tmp_path):
    rows = [row[:4] for row in _persons_sheet()]  # Code, Name, Geography, All ages only
    path = _write_workbook(tmp_path / "no_ages.xlsx", {"MYE2 - Persons": rows})
    with pytest.raises(SourceFormatError, match=r"no_ages\.xlsx.*MYE2 - Persons.*missing ages 18"):
        read_mid_year_estimates(path)


def test_persons_sheet_with_gap_in_ages(tmp_path):
    path = _write_workbook(
        tmp_path / "gap.xlsx",
        {"MYE2 - Persons": _persons_sheet(ages=range(0, 91, 5))},
    )
    with pytest.raises(SourceFormatError, match=r"gap\.xlsx.*missing ages 18, 19"):
        read_mid_year_estimates(path)


def test_top_age_group_must_be_90(tmp_path):
    path = _write_workbook(
        tmp_path / "top.xlsx", {"MYE2 - Persons": _persons_sheet(ages=range(0, 101))}
    )
    with pytest.raises(SourceFormatError, match=r"top\.xlsx.*oldest age column is 100"):
        read_mid_year_estimates(path)


def test_title_without_mid_year(tmp_path):
    path = _write_workbook(
        tmp_path / "undated.xlsx",
        {"MYE2 - Persons": _persons_sheet(title="MYE2: Persons by single year of age")},
    )
    with pytest.raises(SourceFormatError, match=r"undated\.xlsx.*does not name a mid-year"):
        read_mid_year_estimates(path)


def test_title_with_two_mid_years(tmp_path):
    rows = _persons_sheet(title="MYE2: Persons, mid-2019")
    rows.insert(1, ["Revised from mid-2018 boundaries"])
    path = _write_workbook(tmp_path / "two.xlsx", {"MYE2 - Persons": rows})
    with pytest.raises(SourceFormatError, match=r"names several \(\[2018, 2019\]\)"):
        read_mid_year_estimates(path)


def test_non_numeric_count_names_row_and_code(tmp_path):
    rows = _persons_sheet()
    header_at = next(i for i, row in enumerate(rows) if row[:1] == ["Code"])
    unitary = next(i for i, row in enumerate(rows) if row[:1] == ["E06999991"])
    rows[unitary][rows[header_at].index("40")] = "[x]"
    path = _write_workbook(tmp_path / "text.xlsx", {"MYE2 - Persons": rows})
    with pytest.raises(
        SourceFormatError, match=rf"text\.xlsx.*row {unitary + 1} \(E06999991\).*age 40.*'\[x\]'"
    ):
        read_mid_year_estimates(path)


def test_blank_count_is_an_error_not_zero(tmp_path):
    rows = _persons_sheet()
    header_at = next(i for i, row in enumerate(rows) if row[:1] == ["Code"])
    england = next(i for i, row in enumerate(rows) if row[:1] == ["E92000001"])
    rows[england][rows[header_at].index("70")] = None
    path = _write_workbook(tmp_path / "blank.xlsx", {"MYE2 - Persons": rows})
    with pytest.raises(SourceFormatError, match=r"E92000001.*age 70 count is not a number"):
        read_mid_year_estimates(path)


def test_text_in_excluded_rows_is_ignored(tmp_path):
    # a Welsh row is not read, so its contents do not matter
    rows = _persons_sheet()
    welsh = next(i for i, row in enumerate(rows) if row[:1] == ["W06999991"])
    rows[welsh][10] = "[x]"
    path = _write_workbook(tmp_path / "welsh.xlsx", {"MYE2 - Persons": rows})
    assert "W06999991" not in set(read_mid_year_estimates(path)["council_code"])


def test_no_english_councils(tmp_path):
    areas = [a for a in SYNTHETIC_AREAS if not a[0].startswith(("E06", "E08", "E09", "E10"))]
    path = _write_workbook(
        tmp_path / "nocouncil.xlsx", {"MYE2 - Persons": _persons_sheet(areas=areas)}
    )
    with pytest.raises(SourceFormatError, match=r"nocouncil\.xlsx.*no rows for English councils"):
        read_mid_year_estimates(path)


def test_no_england_row(tmp_path):
    areas = [a for a in SYNTHETIC_AREAS if a[0] != "E92000001"]
    path = _write_workbook(tmp_path / "noeng.xlsx", {"MYE2 - Persons": _persons_sheet(areas=areas)})
    with pytest.raises(SourceFormatError, match=r"noeng\.xlsx.*no row for England"):
        read_mid_year_estimates(path)


def test_council_listed_twice_is_a_schema_error(tmp_path):
    areas = [*SYNTHETIC_AREAS, ("E06999991", "Synthetic unitary again")]
    path = _write_workbook(tmp_path / "dup.xlsx", {"MYE2 - Persons": _persons_sheet(areas=areas)})
    with pytest.raises(SchemaError, match=r"dup\.xlsx.*duplicated"):
        read_mid_year_estimates(path)


def test_values_are_float_counts_not_rounded_away(tmp_path):
    tidy = read_mid_year_estimates(
        _write_workbook(tmp_path / "mye.xlsx", {"MYE2 - Persons": _persons_sheet()})
    )
    assert tidy["value"].dtype == np.float64
    assert tidy["numerator"].isna().all() and tidy["denominator"].isna().all()
