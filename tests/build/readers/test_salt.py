"""SALT 2021-22 tables T38 (LTS001b) and T47 (LTS003), and the ASCOF counts derived from T38.

Expected figures are the cells of ``ASCFR and SALT Data Tables 2021-22.xlsx`` and the
checks in ``indicators/PROVENANCE.md`` section 7.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from personalisation.build.readers.salt import ascof_counts_from_t38, read_salt_t38, read_salt_t47
from personalisation.errors import SourceFormatError

SALT = "indicators/salt_ascfr/ASCFR and SALT Data Tables 2021-22.xlsx"


@pytest.fixture(scope="module")
def t38(raw_dir: Path) -> pd.DataFrame:
    return read_salt_t38(raw_dir / SALT)


@pytest.fixture(scope="module")
def t47(raw_dir: Path) -> pd.DataFrame:
    return read_salt_t47(raw_dir / SALT)


def _cell(tidy, code, measure, band="Total"):
    row = tidy[
        (tidy.council_code == code) & (tidy.measure == measure) & (tidy.disaggregation == band)
    ]
    assert len(row) == 1, (code, measure, band)
    return row.iloc[0]


@pytest.mark.raw
@pytest.mark.parametrize(
    ("measure", "england"),
    [
        ("lts_dp_only", 90400),
        ("lts_part_dp", 26465),
        ("lts_council_managed_pb", 296665),
        ("lts_commissioned_only", 24150),
    ],
)
def test_t38_england_components(t38, measure, england):
    assert _cell(t38, "E92000001", measure).value == england


@pytest.mark.raw
def test_t38_council_cells_and_markers(t38):
    # Manchester (E08000003), as printed in T38
    assert _cell(t38, "E08000003", "lts_dp_only", "18-64").value == 375
    assert _cell(t38, "E08000003", "lts_dp_only", "65 and over").value == 195
    assert _cell(t38, "E08000003", "lts_council_managed_pb", "18-64").value == 1450
    assert _cell(t38, "E08000003", "lts_commissioned_only", "65 and over").value == 80
    assert _cell(t38, "E08000003", "lts_part_dp").value == 70 + 10
    # North Somerset: [c] in commissioned-only 18-64, so no all-ages sum
    cell = _cell(t38, "E06000024", "lts_commissioned_only", "18-64")
    assert cell.status == "suppressed" and np.isnan(cell.value)
    assert _cell(t38, "E06000024", "lts_commissioned_only").status == "suppressed"
    assert t38.groupby("geography_level").council_code.nunique().to_dict() == {
        "council": 152,
        "england": 1,
        "region": 9,
    }
    assert set(t38.period) == {"2021-22"} and set(t38.year) == {2022}
    assert set(t38.definition) == {"SALT LTS001b"}
    assert (t38.value.dropna() % 5 == 0).all()  # rounded to 5


@pytest.mark.raw
def test_derived_ascof_counts_reproduce_the_published_rates(t38):
    counts = ascof_counts_from_t38(t38).set_index(["council_code", "measure"])
    england_sds = counts.loc[("E92000001", "sds_users")]
    assert (england_sds.numerator, england_sds.denominator) == (413530, 437680)
    assert round(100 * england_sds.numerator / england_sds.denominator, 1) == 94.5
    england_dp = counts.loc[("E92000001", "dp_users")]
    assert round(100 * england_dp.numerator / england_dp.denominator, 1) == 26.7
    manchester = counts.loc[("E08000003", "sds_users")]
    assert (manchester.numerator, manchester.denominator) == (3535, 4005)
    assert round(100 * 650 / 4005, 1) == 16.2
    assert counts.loc[("E08000003", "dp_users")].numerator == 650
    somerset = counts.loc[("E10000027", "sds_users")]
    assert (somerset.numerator, somerset.denominator) == (4095, 4240)
    councils = counts.reset_index()
    councils = councils[councils.geography_level == "council"]
    assert councils.council_code.nunique() == 66  # PROVENANCE: 66 with no suppressed cell
    assert "E06000024" not in set(councils.council_code)


@pytest.mark.raw
def test_t47_as_published(t47):
    assert _cell(t47, "E92000001", "carers_support_salt", "Direct Payment").value == 71710
    assert _cell(t47, "E92000001", "carers_support_salt", "Part Direct Payment").value == 6535
    assert _cell(t47, "E92000001", "carers_support_salt", "Total").value == 380725
    assert _cell(t47, "E08000003", "carers_support_salt", "Direct Payment").status == "suppressed"
    assert _cell(t47, "E08000003", "carers_support_salt", "Part Direct Payment").value == 1625
    assert len(set(t47.disaggregation)) == 7
    assert set(t47.definition) == {"SALT LTS003"}


def _book(path: Path, title: str, rows: list[list[object]], setting: str = "Direct Payment Only"):
    book = Workbook()
    sheet = book.active
    sheet.title = "T38"
    sheet.append([None])
    sheet.append(["Return to contents"])
    sheet.append([title])
    sheet.append(
        [
            "Geography code",
            "LA code",
            "LA name",
            "Region code ",
            "Region name",
            "18 to 64",
            None,
            None,
            None,
            "65 and over",
        ]
    )
    settings = [
        f"Community\n{s}"
        for s in (
            setting,
            "Part Direct Payment",
            "CASSR Managed Personal Budget",
            "CASSR Commissioned Support Only",
        )
    ]
    sheet.append([None] * 5 + settings + settings)
    for row in rows:
        sheet.append(row)
    sheet.append(["[c] indicates data less than 5."])
    book.save(path)
    return path


_T38 = (
    "Table 38: Number of clients accessing long term support at the end of the year, "
    "by age band and support setting, 2021-22"
)
_ROWS = [
    [" ", None, None, "E92000001", "England", 10, 5, 80, 5, 10, 5, 80, 5],
    ["E08000003", 306, "Manchester", "E12000002", "North West", 10, "[c]", 80, 5, 10, 5, 80, 5],
]


def test_tiny_t38(tmp_path):
    tidy = read_salt_t38(_book(tmp_path / "s.xlsx", _T38, _ROWS))
    assert _cell(tidy, "E92000001", "lts_council_managed_pb").value == 160
    assert _cell(tidy, "E08000003", "lts_part_dp").status == "suppressed"
    counts = ascof_counts_from_t38(tidy)
    assert set(counts.council_code) == {"E92000001"}  # Manchester has a [c]


def test_t38_refuses_wrong_titles_and_columns(tmp_path):
    with pytest.raises(SourceFormatError, match="one sheet titled 'Table 38"):
        read_salt_t38(_book(tmp_path / "a.xlsx", "Table 39: something else, 2021-22", _ROWS))
    with pytest.raises(SourceFormatError, match=r"sheet 'T38'.*not the expected Table 38"):
        read_salt_t38(_book(tmp_path / "b.xlsx", "Table 38: Number of clients, 2021-22", _ROWS))
    with pytest.raises(SourceFormatError, match=r"sheet 'T38'.*unknown community setting"):
        read_salt_t38(_book(tmp_path / "c.xlsx", _T38, _ROWS, setting="Vouchers"))
    bad = [*_ROWS, ["W06000015", 1, "Cardiff", "W92", "Wales", *[1] * 8]]
    with pytest.raises(SourceFormatError, match=r"row 8.*W06000015"):
        read_salt_t38(_book(tmp_path / "d.xlsx", _T38, bad))
    bad = [_ROWS[0], ["E08000003", 306, "Manchester", "E12000002", "NW", "lots", *[5] * 7]]
    with pytest.raises(SourceFormatError, match=r"row 7, column '18 to 64 \| community"):
        read_salt_t38(_book(tmp_path / "e.xlsx", _T38, bad))
