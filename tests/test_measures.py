"""Tests of :mod:`personalisation.measures`, the measure registry.

The key rule: a published ASCOF code means one of our measures only in the framework
years where it did.  ``1C`` is carer-reported quality of life from 2023-24; ``3D`` was
"ease of finding information" before 2023-24.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from personalisation import measures
from personalisation.errors import UnknownMeasureError
from personalisation.measures import (
    ASCOF_MEASURES,
    MEASURES,
    get,
    measure_for_code,
    period_to_year,
    published_code,
    registry,
    year_to_period,
)

HYPOTHESIS = settings(derandomize=True, database=None, deadline=None, max_examples=100)

ASCOF_PERIODS = [f"{y - 1}-{str(y)[-2:]}" for y in range(2015, 2025)]
PRE_REFRESH = [p for p in ASCOF_PERIODS if p != "2023-24"]
PARTS = {"sds_users": "1A", "sds_carers": "1B", "dp_users": "2A", "dp_carers": "2B"}

# -------------------------------------------------------------- measure_for_code


@pytest.mark.parametrize("code", ["1C", "1C1A", "1C2A", "1C(1A)", "1C(2A)", "1C1B", "1C2B"])
def test_1c_codes_are_refused_in_2023_24(code):
    with pytest.raises(UnknownMeasureError, match="2023-24") as info:
        measure_for_code(code, "2023-24")
    message = str(info.value)
    assert repr(code) in message
    assert "3D1A (sds_users)" in message  # points to what the code is called that year


@pytest.mark.parametrize("period", PRE_REFRESH)
@pytest.mark.parametrize("code", ["3D1", "3D", "3D1A", "3D1B", "3D2A", "3D2B"])
def test_3d_codes_are_refused_before_2023_24(code, period):
    with pytest.raises(UnknownMeasureError, match=period):
        measure_for_code(code, period)


@pytest.mark.parametrize("measure", ASCOF_MEASURES)
@pytest.mark.parametrize("period", ASCOF_PERIODS)
def test_ascof_codes_by_framework_year(measure, period):
    part = PARTS[measure]
    year = period_to_year(period)
    if year <= 2016:
        code = f"1C({part})"
    elif year <= 2023:
        code = f"1C{part}"
    else:
        code = f"3D{part}"
    assert measure_for_code(code, period) == measure
    assert measure_for_code(f"  {code} ", f" {period}") == measure
    assert published_code(measure, period) == code
    assert get(measure).framework[period] == ("ASCOF 3D" if year == 2024 else "ASCOF 1C")


@pytest.mark.parametrize("period", ["2009-10", "2013-14", "2024-25", "mid-2015"])
def test_ascof_codes_outside_the_ascof_years_are_refused(period):
    with pytest.raises(UnknownMeasureError):
        measure_for_code("1C(1A)", period)


@HYPOTHESIS
@given(
    pair=st.sampled_from(
        [(m.id, period, code) for m in MEASURES for period, code in m.codes.items()]
    )
)
def test_every_registered_code_round_trips(pair):
    measure, period, code = pair
    assert measure_for_code(code, period) == measure
    assert published_code(measure, period) == code


def test_no_code_means_two_measures_in_one_period():
    pairs = Counter((code, period) for m in MEASURES for period, code in m.codes.items())
    assert [pair for pair, n in pairs.items() if n > 1] == []


def test_unknown_measure_error_is_a_readable_key_error():
    with pytest.raises(KeyError) as info:
        get("personal_budgets")
    assert isinstance(info.value, UnknownMeasureError)
    message = str(info.value)
    assert message.startswith("unknown measure 'personal_budgets'")
    for measure in measures._BY_ID:
        assert measure in message


def test_published_code_outside_its_years():
    with pytest.raises(UnknownMeasureError, match="sds_users was not published in 2009-10"):
        published_code("sds_users", "2009-10")


def test_registry_table_agrees_with_the_measures():
    table = registry()
    assert len(table) == sum(len(m.codes) + len(m.not_collected) for m in MEASURES)
    assert not table.duplicated(["measure", "period"]).any()
    for row in table.itertuples():
        if row.not_collected:
            assert row.published_code == ""
            with pytest.raises(UnknownMeasureError):
                published_code(row.measure, row.period)
            continue
        assert published_code(row.measure, row.period) == row.published_code
        assert row.year == period_to_year(row.period)
        assert row.kind in ("rate", "count")
        assert (row.units == "%") == (row.kind == "rate"), (row.measure, row.units)
    for m in MEASURES:
        assert set(m.codes) <= set(m.framework), m.id
        assert set(m.breaks) <= set(m.codes) | set(m.not_collected), m.id
        assert not set(m.codes) & set(m.not_collected), m.id


def test_ascof_2024_25_is_cld_with_a_break_and_no_carers():
    table = registry().set_index(["measure", "period"])
    for measure in ("sds_users", "dp_users"):
        row = table.loc[(measure, "2024-25")]
        assert row.collection == "CLD"
        assert row.framework == "ASCOF 3D"
        assert "official statistics in development" in row.series_break
        assert "82.4" in row.series_break
        assert table.loc[(measure, "2023-24")].collection == "SALT"
    for measure in ("sds_carers", "dp_carers"):
        row = table.loc[(measure, "2024-25")]
        assert row.published_code == ""
        assert "unpaid carers" in row.not_collected
    assert measure_for_code("3D1A", "2024-25") == "sds_users"
    assert measure_for_code("3D2A", "2024-25") == "dp_users"
    with pytest.raises(UnknownMeasureError):
        measure_for_code("3D1B", "2024-25")


def test_population_measures_cover_the_mid_year_files():
    for measure, low in (("population_18plus", 18), ("population_65plus", 65)):
        entry = get(measure)
        assert entry.kind == "count"
        assert sorted(period_to_year(p) for p in entry.codes) == list(range(2015, 2024))
        assert set(entry.codes.values()) == {f"MYE2 persons {low}-90+"}


# -------------------------------------------------------- period_to_year / year_to_period


@HYPOTHESIS
@given(year=st.integers(min_value=1001, max_value=9999))
def test_year_period_round_trip(year):
    period = year_to_period(year)
    assert period_to_year(period) == year
    start, end = period.split("-")
    assert int(start) == year - 1 and end == f"{year % 100:02d}"
    assert period_to_year(f"{year - 1}-{year}") == year  # four-digit end
    assert period_to_year(f"mid-{year}") == year


@HYPOTHESIS
@given(start=st.integers(min_value=1000, max_value=9998))
def test_period_year_round_trip(start):
    period = f"{start}-{(start + 1) % 100:02d}"
    assert year_to_period(period_to_year(period)) == period


def test_century_turn():
    assert period_to_year("1999-00") == 2000
    assert year_to_period(2000) == "1999-00"
    assert period_to_year("2099-00") == 2100


@HYPOTHESIS
@given(
    start=st.integers(min_value=1000, max_value=9998),
    gap=st.integers(-98, 100).filter(lambda g: g != 1),
)
def test_periods_that_are_not_one_year_raise(start, gap):
    end = start + gap  # never start + 1, and no two-digit end equal to start + 1's
    for period in (f"{start}-{end % 100:02d}", f"{start}-{end}"):
        with pytest.raises(ValueError, match="not a financial year"):
            period_to_year(period)


@pytest.mark.parametrize("period", ["2014/15", "14-15", "2014", "2014-5", "201-15", "FY2015", ""])
def test_malformed_periods_raise(period):
    with pytest.raises(ValueError, match="not a financial year"):
        period_to_year(period)


@pytest.mark.parametrize("period", ["mid-", "mid-20x5"])
def test_malformed_mid_year_raises(period):
    with pytest.raises(ValueError):
        period_to_year(period)


def test_mye4_series_is_its_own_measure():
    entry = get("population_all_ages")
    assert entry.kind == "count" and entry.units == "people"
    assert sorted(period_to_year(p) for p in entry.codes) == list(range(2011, 2024))
    assert entry.codes["mid-2011"] == "MYE4 Mid-2011 (all ages)"
    assert "2023 council boundaries" in entry.definition or "2023 council" in entry.definition
