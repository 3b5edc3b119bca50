"""Property-based tests of the readers: whatever a publisher's file holds, every figure comes
back exactly, every marker comes back as NaN with its status, and nothing is dropped or zeroed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalisation.build.readers.ascof import read_ascof_open_data
from personalisation.build.readers.cells import NOT_COLLECTED_MARKERS, SUPPRESSED_MARKERS

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
GROUPS = {"1C1A": "sds_users", "1C1B": "sds_carers", "1C2A": "dp_users", "1C2B": "dp_carers"}
MARKERS = sorted({"[c]", "[x]", "..", "*"} & (SUPPRESSED_MARKERS | NOT_COLLECTED_MARKERS))


@st.composite
def figures(draw):
    """One council's published figure: a number triple or a marker, for one measure."""
    denominator = draw(st.integers(min_value=1, max_value=200_000))
    numerator = draw(st.integers(min_value=0, max_value=denominator))
    marker = draw(st.one_of(st.none(), st.sampled_from(MARKERS)))
    return numerator, denominator, marker


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    table=st.lists(
        st.tuples(st.sampled_from(sorted(GROUPS)), figures()),
        min_size=1,
        max_size=25,
    ),
    thousands=st.booleans(),
)
def test_open_data_figures_come_back_exactly(tmp_path_factory, table, thousands):
    rows, expected = [], {}
    for index, (group, (numerator, denominator, marker)) in enumerate(table):
        code = f"E06{900000 + index:06d}"
        key = (code, GROUPS[group])
        if key in expected:
            continue
        geo = [str(100 + index), f"Synthetic council {index}", "Council", code]
        if marker is None:
            value = round(100 * numerator / denominator, 1)
            cells = (
                f"{value}",
                f"{numerator:,}" if thousands else str(numerator),
                str(denominator),
            )
        else:
            cells = (marker, marker, marker)
        for kind, cell in zip(("Outcome", "Numerator", "Denominator"), cells, strict=True):
            rows.append([*geo, group, "Total", kind, cell, group, "made-up"])
        expected[key] = (numerator, denominator, marker)
    path = tmp_path_factory.mktemp("open") / "synthetic-open-data.csv"
    pd.DataFrame(rows, columns=OPEN_COLUMNS).to_csv(path, index=False)

    tidy = read_ascof_open_data(path, period="2020-21")

    assert len(tidy) == len(expected)  # nothing dropped, nothing invented
    for row in tidy.itertuples():
        numerator, denominator, marker = expected[(row.council_code, row.measure)]
        if marker is None:
            assert row.status == "published"
            assert (row.numerator, row.denominator) == (numerator, denominator)
            assert row.value == round(100 * numerator / denominator, 1)
        else:
            assert row.status in {"suppressed", "not-collected"}
            assert np.isnan(row.value) and np.isnan(row.numerator) and np.isnan(row.denominator)
            expected_status = "suppressed" if marker in SUPPRESSED_MARKERS else "not-collected"
            assert row.status == expected_status
