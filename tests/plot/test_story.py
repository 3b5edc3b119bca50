"""The national story's figures draw the series, breaks, targets and council spread as held."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import personalisation as pz


@pytest.fixture(scope="module")
def series():
    return pz.national_series("sds_users", surveys=True, start=2010)


def test_national_draws_each_series_survey_break_and_target(series):
    targets = pz.targets()
    fig = pz.plot.national(series, "sds_users", targets=targets)
    ax = fig.axes[0]
    yearly = series[series.as_at == ""]
    lines = {line.get_label(): line for line in ax.lines if line.get_gid() == "series"}
    assert set(lines) == set(yearly.loc[yearly.series != "", "series"])
    for name, line in lines.items():
        part = yearly[yearly.series == name]
        assert np.allclose(line.get_ydata(), part.value)  # the values as held
    survey = next(line for line in ax.lines if line.get_gid() == "survey")
    assert len(survey.get_xdata()) == int((series.as_at != "").sum())
    breaks = [line.get_xdata()[0] for line in ax.lines if line.get_gid() == "series_break"]
    assert breaks == [
        y - 0.5 for y, why in zip(yearly.year, yearly.series_break, strict=True) if why
    ]
    drawn = sorted(c.get_segments()[0][0][1] for c in ax.collections if c.get_gid() == "target")
    assert drawn == sorted(targets.threshold_percent)
    assert ax.get_ylabel().startswith("Service users receiving self-directed support")
    assert [t.get_gid() for t in fig.texts] == ["source_note"]


def test_national_without_targets_for_direct_payments_and_into_an_axes():
    series = pz.national_series("dp_users", start=2015)
    host = Figure()
    ax = host.subplots()
    assert pz.plot.national(series, "dp_users", targets=pz.targets(), ax=ax) is host
    assert not [c for c in ax.collections if c.get_gid() == "target"]  # set for sds only


def test_council_spread_one_box_per_published_year_and_the_reported_councils():
    cube = pz.load_cube(measures=["sds_users"])
    reported = pz.reported("personal_budget_takeup")
    fig = pz.plot.council_spread(cube, "sds_users", range(2010, 2026), reported=reported)
    ax = fig.axes[0]
    held = cube.value.sel(measure="sds_users").notnull().any("council")
    published = [int(y) for y in cube.year.values[held.values] if 2010 <= int(y) <= 2025]
    # every year of the axis is labelled at its own position (not the boxes' order)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in range(2010, 2026)]
    assert list(ax.get_xticks()) == list(range(2010, 2026))
    points = [line for line in ax.lines if line.get_gid() == "reported_council"]
    councils = reported[reported.geography_code.str.match(r"^E(06|08|09|10)")]
    assert sorted(p.get_ydata()[0] for p in points) == sorted(councils.value)
    # one box (a median line) per published year, at that year
    box_medians = [
        line for line in ax.lines if len(line.get_xdata()) == 2 and line.get_gid() is None
    ]
    centres = {round(float(np.mean(line.get_xdata())), 3) for line in box_medians}
    assert set(published) <= centres
