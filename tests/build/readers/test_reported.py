"""The figures reported at the time (reported/*.csv): reader checks and row-by-row citation."""

from __future__ import annotations

from pathlib import Path

import pytest

from personalisation.build.readers.reported import (
    REPORTED_COLUMNS,
    read_reported,
    read_targets,
)
from personalisation.errors import SourceFormatError

REPORTED = "reported/personal_budgets_reported_2009_2013.csv"
TARGETS = "reported/targets.csv"


@pytest.mark.raw
def test_reported_figures_as_in_the_file(raw_dir: Path):
    table = read_reported(raw_dir / REPORTED)
    assert len(table) == 21
    england = table[
        (table.figure == "personal_budget_takeup") & (table.geography_code == "E92000001")
    ]
    assert england[["period", "value"]].values.tolist() == [
        ["2009-10", 13.0],
        ["2010-11", 29.2],
        ["2011-12", 43.0],
        ["2012-13", 55.6],
    ]
    extremes = table[(table.period == "2009-10") & (table.geography_code != "E92000001")]
    assert dict(zip(extremes.geography_name, extremes.value, strict=True)) == {
        "Somerset": 3.3,
        "Manchester": 58.7,
    }
    holders = table[(table.figure == "personal_budget_holders") & (table.as_at == "2011-04")]
    assert holders.iloc[0].value == 338000 and holders.iloc[0].qualifier == "more than"
    assert holders.iloc[0].year == 2011 and holders.iloc[0].row == 16  # line 16 of the file
    assert (table.reported_by != "").all()


@pytest.mark.raw
def test_targets_as_in_the_file(raw_dir: Path):
    table = read_targets(raw_dir / TARGETS)
    assert table[["target_id", "threshold_percent", "deadline"]].values.tolist() == [
        ["pb_30_2011", 30.0, "2011-04-01"],
        ["pb_100_2013", 100.0, "2013-04-01"],
        ["pb_70_2013", 70.0, "2013-04-01"],
    ]
    assert table.loc[2, "set_on"] == "2012-10-26"


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "r.csv"
    lines = [",".join(REPORTED_COLUMNS)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_GOOD = [
    "2009-10",
    "",
    "E92000001",
    "England",
    "takeup",
    "13",
    "percent",
    "as reported",
    "basis",
    "NHS IC",
    "Community Care",
    "Title",
    "2012-03-28",
    "",
]


def test_reader_refuses_bad_rows(tmp_path):
    assert read_reported(_write(tmp_path, [_GOOD])).iloc[0].year == 2010
    for change, message in (
        ({1: "2011-04"}, "exactly one of period and as_at"),
        ({2: "W92000004"}, "not English"),
        ({6: "pounds"}, "unit 'pounds'"),
        ({5: "lots"}, "value 'lots'"),
        ({5: "130"}, "out of range"),
        ({10: ""}, "row 2: no reported_by"),
        ({7: ""}, "no qualifier"),
    ):
        row = list(_GOOD)
        for i, v in change.items():
            row[i] = v
        with pytest.raises(SourceFormatError, match=message):
            read_reported(_write(tmp_path, [row]))
    with pytest.raises(SourceFormatError, match="the same figure twice"):
        read_reported(_write(tmp_path, [_GOOD, _GOOD]))
    bad = tmp_path / "cols.csv"
    bad.write_text("period,value\n2009-10,13\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="expected"):
        read_reported(bad)
