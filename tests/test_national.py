"""England's national series (personalisation.stats.national) and the reported level."""

from __future__ import annotations

import numpy as np
import pytest

import personalisation as pz
from personalisation.reported_figures import citation
from personalisation.stats.national import (
    national_dp_series,
    national_series,
    population_for_year,
)


def test_reported_is_its_own_level_and_cites_every_row():
    table = pz.reported()
    assert set(table.level) == {"reported"}
    assert (table.reported_by != "").all() and (table.row >= 2).all()
    first = table.iloc[0]
    text = citation(first)
    assert "Community Care" in text and "row 2" in text
    with pytest.raises(KeyError, match="known"):
        pz.reported("no_such_figure")
    # never pooled: the council tidy table holds no reported figure
    assert "reported" not in set(pz.load_tidy().geography_level)
    assert pz.targets().threshold_percent.tolist() == [30.0, 100.0, 70.0]


def test_national_take_up_series_with_definitions_and_breaks():
    table = national_series()
    by = table.set_index("period")
    assert by.loc["2009-10", "value"] == 13.0 and by.loc["2009-10", "source"] == "reported"
    assert by.loc["2009-10", "series"] == "NI 130 (reported)"
    assert by.loc["2012-13", "value"] == 55.6
    assert np.isnan(by.loc["2013-14", "value"])  # nothing held for 2013-14
    assert by.loc["2014-15", "value"] == 83.7 and by.loc["2014-15", "source"] == "published"
    assert by.loc["2024-25", "value"] == 82.4 and "CLD" in by.loc["2024-25", "series"]
    assert "RAP" in by.loc["2014-15", "series_break"]
    assert "client level data" in by.loc["2024-25", "series_break"]
    assert by.loc["2010-11", "series_break"].startswith("new series")
    assert by.loc["2016-17", "series_break"] == ""
    assert "Community Care" in by.loc["2010-11", "citation"]
    assert list(table.year) == sorted(table.year) and table.year.min() == 2010


def test_surveys_are_a_series_apart():
    table = national_series(surveys=True)
    survey = table[table.as_at != ""]
    assert survey.value.tolist() == [35.0, 53.0]
    assert survey.series_break.str.startswith("separate series").all()
    yearly = table[table.as_at == ""]
    assert yearly.set_index("period").loc["2011-12", "series_break"] == ""  # same series


def test_national_dp_series_counts_and_per_100k():
    table = national_dp_series().set_index("period")
    assert table.loc["2008-09", "count"] == 67685  # PSS-EX1 England
    assert table.loc["2009-10", "count_measure"] == "dp_pb_clients"
    assert table.loc["2014-15", "count"] == 120855
    assert table.loc["2021-22", "count"] == 116865  # derived from SALT LTS001b
    assert table.loc["2024-25", "count"] == 117655
    # per 100,000 adults: 2022-23's population is mid-2022; 2021-22 against mid-2021
    assert table.loc["2021-22", "population_period"] == "mid-2021"
    assert table.loc["2021-22", "per_100k_adults"] == pytest.approx(1e5 * 116865 / 44774763)
    assert table.loc["2024-25", "population_period"] == "mid-2023"
    assert "mid-2024 not held" in table.loc["2024-25", "population_note"]
    assert np.isnan(table.loc["2012-13", "per_100k_adults"])  # no adult estimate mid-2012
    assert np.isnan(table.loc["2019-20", "count"]) and table.loc["2019-20", "rate"] == 27.9


def test_population_rule():
    assert population_for_year(2016, [2015, 2016]) == (2015, "")
    assert population_for_year(2026, [2023])[0] == 2023
    assert population_for_year(2014, [2015])[0] is None
