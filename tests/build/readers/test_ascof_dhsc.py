"""Tests for the DHSC ASCOF workbook reader (personalisation.build.readers.ascof_dhsc).

The ``raw`` tests compare the reader with figures read off ``ascof_2024_25.ods`` (tables
3d(1a) and 3d(2a)); the bad-input tests write tiny ``.ods`` workbooks in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from personalisation.build.readers.ascof_dhsc import read_ascof_dhsc
from personalisation.errors import DataNotFoundError, SourceFormatError
from personalisation.schema import TIDY_COLUMNS

pytest.importorskip("odf")

ODS = "indicators/ascof_dhsc/ascof_2024_25.ods"


@pytest.fixture(scope="module")
def dhsc(raw_dir: Path) -> pd.DataFrame:
    return read_ascof_dhsc(raw_dir / ODS, source_id="ascof_dhsc_2024_25")


def _row(tidy: pd.DataFrame, code: str, measure: str) -> pd.Series:
    hit = tidy[(tidy.council_code == code) & (tidy.measure == measure)]
    assert len(hit) == 1, (code, measure)
    return hit.iloc[0]


@pytest.mark.raw
@pytest.mark.parametrize(
    ("code", "measure", "numerator", "denominator", "value"),
    [
        # ascof_2024_25.ods, Table_3d(1a) / Table_3d(2a), as printed in the sheets
        ("E92000001", "sds_users", 395670, 480105, 82.4),
        ("E92000001", "dp_users", 117655, 480105, 24.5),
        ("E08000003", "sds_users", 1037, 4122, 25.2),
        ("E08000003", "dp_users", 591, 4122, 14.3),
        ("E06000066", "sds_users", 4903, 4990, 98.3),
        ("E06000066", "dp_users", 1764, 4990, 35.4),
        ("E06000063", "sds_users", 389, 2524, 15.4),
        ("E06000064", "sds_users", 468, 1969, 23.8),
        ("E06000062", "dp_users", 847, 2668, 31.7),
        ("E12000002", "sds_users", 52980, 76710, 69.1),
        ("type:Shire Counties", "sds_users", 128610, 156265, 82.3),
        ("type:Metropolitan District", "dp_users", 27425, 111635, 24.6),
    ],
)
def test_spot_checks(dhsc, code, measure, numerator, denominator, value):
    row = _row(dhsc, code, measure)
    assert (row.numerator, row.denominator, row.value) == (numerator, denominator, value)
    assert row.status == "published"
    assert (row.period, row.year) == ("2024-25", 2025)
    assert row.definition == "ASCOF 3D"
    assert row.source == "ascof_dhsc_2024_25"


@pytest.mark.raw
def test_shape_levels_and_markers(dhsc):
    assert list(dhsc.columns) == list(TIDY_COLUMNS)
    assert set(dhsc.measure) == {"sds_users", "dp_users"}  # carers not published in 2024-25
    for measure in ("sds_users", "dp_users"):
        part = dhsc[dhsc.measure == measure]
        counts = part.geography_level.value_counts().to_dict()
        assert counts == {"council": 153, "region": 9, "council_type": 5, "england": 1}
        councils = part[part.geography_level == "council"]
        assert councils.council_code.str.match(r"^E(06|08|09|10)\d{6}$").all()
        assert (councils.status == "published").sum() == 152
        scilly = _row(part, "E06000053", measure)  # [x] in every column
        assert scilly.status == "not-collected"
        assert np.isnan(scilly.value) and np.isnan(scilly.numerator)
    # 2023 geography: the Somerset, North Yorkshire and Cumbria successors, no predecessors
    codes = set(dhsc.council_code)
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= codes
    assert not {"E10000027", "E10000023", "E10000006"} & codes


@pytest.mark.raw
def test_outcomes_agree_with_counts(dhsc):
    # DHSC computes outcomes before rounding the regional/national counts to 5 (note 10)
    ok = dhsc[dhsc.status == "published"]
    recomputed = 100 * ok.numerator / ok.denominator
    assert (recomputed - ok.value).abs().max() <= 0.06


# --------------------------------------------------------------------------------------
# bad input, on tiny workbooks
# --------------------------------------------------------------------------------------

_HEADER = [
    "Local authority code",
    "Local authority",
    "ONS area code",
    "2024 to 2025 - numerator",
    "2024 to 2025 - denominator",
    "2024 to 2025 - outcome",
]
_TITLES = {
    "Table_3d(1a)": "Table 3d(1a): the proportion of care users who receive self-directed support",
    "Table_3d(2a)": "Table 3d(2a): the proportion of care users who receive direct payments",
}


def _sheet(title: str, header: list[str], rows: list[list[object]]) -> pd.DataFrame:
    width = len(header)
    lines = [[title] + [None] * (width - 1), ["notes"] + [None] * (width - 1), header, *rows]
    return pd.DataFrame(lines)


def _write(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


_ROWS = [
    ["England", "England", "E92000001", 100, 200, 50.0],
    ["M", "Metropolitan Districts", "[z]", 40, 80, 50.0],
    ["NW", "North West", "E12000002", 40, 80, 50.0],
    ["306", "Manchester", "E08000003", "[c]", "[c]", 75.0],
    ["906", "Isles of Scilly", "E06000053", "[x]", "[x]", "[x]"],
]


def _good(tmp_path: Path, **changes: pd.DataFrame) -> Path:
    sheets = {name: _sheet(title, _HEADER, _ROWS) for name, title in _TITLES.items()}
    sheets.update(changes)
    return _write(tmp_path / "ascof.ods", sheets)


def test_tiny_workbook(tmp_path):
    tidy = read_ascof_dhsc(_good(tmp_path))
    manchester = _row(tidy, "E08000003", "sds_users")
    assert manchester.status == "published" and manchester.value == 75.0
    assert np.isnan(manchester.numerator) and np.isnan(manchester.denominator)  # [c]
    assert _row(tidy, "E06000053", "dp_users").status == "not-collected"  # [x]
    assert _row(tidy, "type:Metropolitan District", "sds_users").geography_level == ("council_type")
    assert set(tidy.source) == {"ascof"}


def test_later_edition_with_more_year_blocks(tmp_path):
    header = [*_HEADER, *(f"2025 to 2026 - {f}" for f in ("numerator", "denominator", "outcome"))]
    rows = [[*r, *r[3:]] for r in _ROWS]
    sheets = {name: _sheet(title, header, rows) for name, title in _TITLES.items()}
    tidy = read_ascof_dhsc(_write(tmp_path / "next.ods", sheets))
    assert sorted(tidy.period.unique()) == ["2024-25", "2025-26"]
    assert set(tidy[tidy.period == "2025-26"].year) == {2026}


def test_refuses_a_retitled_table(tmp_path):
    wrong = _sheet("Table 3d(1a): proportion of carers feeling included", _HEADER, _ROWS)
    with pytest.raises(SourceFormatError, match=r"sheet 'Table_3d\(1a\)'.*self-directed support"):
        read_ascof_dhsc(_good(tmp_path, **{"Table_3d(1a)": wrong}))


def test_refuses_unknown_columns(tmp_path):
    header = [*_HEADER[:5], "2024 to 2025 - margin"]
    wrong = _sheet(_TITLES["Table_3d(2a)"], header, _ROWS)
    with pytest.raises(SourceFormatError, match=r"sheet 'Table_3d\(2a\)'.*2024 to 2025 - margin"):
        read_ascof_dhsc(_good(tmp_path, **{"Table_3d(2a)": wrong}))


def test_refuses_a_missing_geography_column(tmp_path):
    header = ["Local authority code", "Local authority", "GSS code", *_HEADER[3:]]
    wrong = _sheet(_TITLES["Table_3d(2a)"], header, _ROWS)
    with pytest.raises(SourceFormatError, match=r"sheet 'Table_3d\(2a\)'.*ONS area code"):
        read_ascof_dhsc(_good(tmp_path, **{"Table_3d(2a)": wrong}))


def test_refuses_a_missing_table(tmp_path):
    sheets = {"Table_3d(1a)": _sheet(_TITLES["Table_3d(1a)"], _HEADER, _ROWS)}
    with pytest.raises(SourceFormatError, match=r"no sheet titled 'Table 3d\(2a\)"):
        read_ascof_dhsc(_write(tmp_path / "one.ods", sheets))


def test_refuses_text_and_foreign_codes(tmp_path):
    bad = [*_ROWS, ["999", "Cardiff", "W06000015", 1, 2, 50.0]]
    wrong = _sheet(_TITLES["Table_3d(1a)"], _HEADER, bad)
    with pytest.raises(SourceFormatError, match=r"row 9.*W06000015"):
        read_ascof_dhsc(_good(tmp_path, **{"Table_3d(1a)": wrong}))
    bad = [*_ROWS[:3], ["306", "Manchester", "E08000003", "lots", 10, 50.0]]
    wrong = _sheet(_TITLES["Table_3d(1a)"], _HEADER, bad)
    with pytest.raises(SourceFormatError, match=r"row 7, 2024-25 numerator.*'lots'"):
        read_ascof_dhsc(_good(tmp_path, **{"Table_3d(1a)": wrong}))


def test_refuses_other_files(tmp_path):
    with pytest.raises(SourceFormatError, match="expected an .ods"):
        read_ascof_dhsc(tmp_path / "x.xlsx")
    with pytest.raises(DataNotFoundError):
        read_ascof_dhsc(tmp_path / "absent.ods")
    junk = tmp_path / "junk.ods"
    junk.write_text("not a workbook")
    with pytest.raises(SourceFormatError, match="not a readable OpenDocument"):
        read_ascof_dhsc(junk)
