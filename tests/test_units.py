"""One unit for rates (percent), one place where percent and proportion meet."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from personalisation import units

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("70%", 70.0),
        ("70 %", 70.0),
        (" 70 percent ", 70.0),
        ("0.7 proportion", 70.0),
        (units.proportion(0.7), 70.0),
        (units.percent(0.5), 0.5),
        ("0.5%", 0.5),
        (70, 70.0),
        (70.0, 70.0),
        (0, 0.0),
        ("100%", 100.0),
    ],
)
def test_rates_with_their_unit(given, expected):
    assert units.parse_rate(given) == pytest.approx(expected)


@pytest.mark.parametrize("given", [0.7, 1, 1.0, "0.3", np.float64(0.25)])
def test_a_bare_number_up_to_one_is_ambiguous_and_the_error_says_how_to_write_it(given):
    with pytest.raises(ValueError, match=r"ambiguous: write '\d+(\.\d+)?%' \(or proportion"):
        units.parse_rate(given, "threshold")


@pytest.mark.parametrize("given", ["seventy", "70 people", None, True, "150%", -5, float("nan")])
def test_unreadable_or_out_of_range_rates(given):
    with pytest.raises(ValueError, match="threshold="):
        units.parse_rate(given)


def test_conversions_round_trip():
    values = np.array([0.0, 12.5, 100.0])
    np.testing.assert_array_equal(units.to_percent(units.to_proportion(values)), values)
    assert float(units.ratio_to_percent(1, 4)) == 25.0
    assert np.isnan(units.ratio_to_percent(1, 0))
    assert units.format_rate(48.04) == "48.0%"


def test_no_module_converts_percent_by_hand():
    """Outside units.py, stats, plots, outputs, the CLI and the notebooks never * or / 100."""
    pattern = re.compile(r"(\*\s*100(\.0*)?\b|\b100(\.0*)?\s*\*|/\s*100(\.0*)?\b)")
    files = [
        *sorted((ROOT / "personalisation" / "stats").glob("*.py")),
        *sorted((ROOT / "personalisation" / "plot").glob("*.py")),
        ROOT / "personalisation" / "outputs.py",
        ROOT / "personalisation" / "cli.py",
        *sorted((ROOT / "notebooks").glob("*.py")),
    ]
    offenders = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
