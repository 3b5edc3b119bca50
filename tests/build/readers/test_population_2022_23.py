"""ONS mid-2022 and mid-2023 (MYE2 persons) and the MYE4 all-ages series mid-2011..mid-2023.

Expectations are the figures in ``indicators/PROVENANCE.md`` sections 8 and 9, and sums
made here straight from the workbooks with openpyxl (independent of the reader).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from personalisation.build.readers.population import read_mid_year_estimates, read_mye4_series
from personalisation.errors import SourceFormatError

MYE22 = "indicators/ons_mye/mye22final.xlsx"
MYE23 = "indicators/ons_mye/mye23tablesew.xlsx"
SUCCESSORS = {"E06000063", "E06000064", "E06000065", "E06000066"}


@pytest.fixture(scope="module")
def mid2022(raw_dir: Path) -> pd.DataFrame:
    return read_mid_year_estimates(raw_dir / MYE22)


@pytest.fixture(scope="module")
def mid2023(raw_dir: Path) -> pd.DataFrame:
    return read_mid_year_estimates(raw_dir / MYE23)


@pytest.fixture(scope="module")
def mye4(raw_dir: Path) -> pd.DataFrame:
    return read_mye4_series(raw_dir / MYE23)


def _value(tidy: pd.DataFrame, code: str, measure: str, year: int | None = None) -> float:
    rows = tidy[(tidy.council_code == code) & (tidy.measure == measure)]
    if year is not None:
        rows = rows[rows.year == year]
    assert len(rows) == 1
    return float(rows.value.iloc[0])


def _hand_sum(path: Path, code: str, low: int) -> int:
    """Persons aged ``low``..90 for one area, summed from the MYE2 - Persons sheet."""
    sheet = load_workbook(path, read_only=True, data_only=True)["MYE2 - Persons"]
    rows = sheet.iter_rows(values_only=True)
    for header in rows:
        if header and header[0] == "Code":
            break
    ages = {str(h): j for j, h in enumerate(header) if h is not None}
    for row in rows:
        if row[0] == code:
            return int(sum(row[ages[str(a)]] for a in range(low, 90)) + row[ages["90+"]])
    raise AssertionError(code)


@pytest.mark.raw
@pytest.mark.parametrize(
    ("which", "code", "adults"),
    [
        ("mid2022", "E08000003", 440609),
        ("mid2022", "E06000066", 466340),
        ("mid2022", "E92000001", 45219492),
        ("mid2023", "E08000003", 450132),
        ("mid2023", "E06000066", 469541),
        ("mid2023", "E92000001", 45691677),
    ],
)
def test_adults_spot_checks(request, which, code, adults):
    tidy = request.getfixturevalue(which)
    assert _value(tidy, code, "population_18plus") == adults


@pytest.mark.raw
@pytest.mark.parametrize(("relative", "code"), [(MYE22, "E08000003"), (MYE23, "E06000065")])
def test_65plus_equals_a_hand_sum(raw_dir, mid2022, mid2023, relative, code):
    tidy = mid2022 if relative == MYE22 else mid2023
    assert _value(tidy, code, "population_65plus") == _hand_sum(raw_dir / relative, code, 65)


@pytest.mark.raw
@pytest.mark.parametrize("which", ["mid2022", "mid2023"])
def test_2023_geography_and_levels(request, which):
    tidy = request.getfixturevalue(which)
    year = 2022 if which == "mid2022" else 2023
    assert set(tidy.period) == {f"mid-{year}"} and set(tidy.year) == {year}
    adults = tidy[tidy.measure == "population_18plus"]
    assert adults.geography_level.value_counts().to_dict() == {
        "council": 153,
        "region": 9,
        "england": 1,
    }
    assert SUCCESSORS <= set(adults.council_code)
    assert not {"E10000027", "E10000023", "E10000006"} & set(adults.council_code)
    councils = adults[adults.geography_level == "council"].value.sum()
    assert councils == _value(adults, "E92000001", "population_18plus")


@pytest.mark.raw
def test_mye4_series(mye4):
    assert sorted(mye4.year.unique()) == list(range(2011, 2024))
    assert set(mye4.measure) == {"population_all_ages"}
    for code, first, last in (
        ("E08000003", 502902, 579917),
        ("E06000066", 531581, 581145),  # Somerset unitary, aggregated back by ONS
        ("E92000001", 53107169, 57690323),
    ):
        assert _value(mye4, code, "population_all_ages", 2011) == first
        assert _value(mye4, code, "population_all_ages", 2023) == last
    # the revised mid-2022 (PROVENANCE section 8 caveat), not the original release
    assert _value(mye4, "E92000001", "population_all_ages", 2022) == 57112542
    assert _value(mye4, "E08000003", "population_all_ages", 2022) == 566778
    per_year = mye4[mye4.geography_level == "council"].groupby("year").size()
    assert (per_year == 153).all()
    assert mye4.published_code[mye4.year == 2015].unique().tolist() == ["MYE4 Mid-2015 (all ages)"]


def _mye4_book(path: Path, title: str, header: list[object], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "MYE4"
    sheet.append([title])
    sheet.append(["notes"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


_TITLE = "MYE4: Population estimates: Summary for England and Wales, mid-2011 to mid-2023"
_HEAD = ["Code", "Name", "Geography", "Mid-2023", "Mid-2022"]
_ROWS = [
    ["E92000001", "ENGLAND", "Country", 10, 9],  # England = the sum of its councils
    ["E08000003", "Manchester", "Metropolitan District", 10, 9],
    ["E07000026", "Allerdale", "Non-metropolitan District", 1, 1],
]


def test_mye4_tiny_book(tmp_path):
    tidy = read_mye4_series(_mye4_book(tmp_path / "m.xlsx", _TITLE, _HEAD, _ROWS))
    assert sorted(tidy.year.unique()) == [2022, 2023]
    assert set(tidy.council_code) == {"E92000001", "E08000003"}  # districts are not CASSRs
    assert _value(tidy, "E08000003", "population_all_ages", 2022) == 9


def test_mye4_refuses_bad_books(tmp_path):
    with pytest.raises(SourceFormatError, match="no sheet titled 'MYE4"):
        read_mye4_series(_mye4_book(tmp_path / "a.xlsx", "MYE2: Persons", _HEAD, _ROWS))
    with pytest.raises(SourceFormatError, match="no 'Mid-YYYY' columns"):
        read_mye4_series(_mye4_book(tmp_path / "b.xlsx", _TITLE, _HEAD[:3] + ["2023"], _ROWS))
    rows = [*_ROWS[:1], ["E08000003", "Manchester", "MD", "n/a", 9]]
    with pytest.raises(SourceFormatError, match=r"row 5 \(E08000003\): Mid-2023"):
        read_mye4_series(_mye4_book(tmp_path / "c.xlsx", _TITLE, _HEAD, rows))
    with pytest.raises(SourceFormatError, match="no row for England"):
        read_mye4_series(_mye4_book(tmp_path / "d.xlsx", _TITLE, _HEAD, _ROWS[1:]))
