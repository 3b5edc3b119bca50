"""Input checks shared by every statistic."""

from __future__ import annotations

import numpy as np
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError, SchemaError, UnknownMeasureError
from personalisation.stats import _validate as v
from personalisation.testing import make_cube


def test_unknown_measure_names_the_measures_held():
    cube = make_cube(n_councils=3)
    with pytest.raises(UnknownMeasureError, match="sds_users, dp_users"):
        stats.variation(cube, "no_such_measure", 2015)


def test_measure_required_when_cube_holds_several():
    with pytest.raises(UnknownMeasureError, match="measure= is required"):
        stats.variation(make_cube(n_councils=3), year=2015)


def test_unknown_year_names_the_years_held():
    cube = make_cube(n_councils=3)
    with pytest.raises(MissingYearError, match="no year 2011.*2015, 2016, 2017"):
        stats.wilson(cube, "sds_users", 2011)


def test_financial_year_label_is_accepted():
    cube = make_cube(n_councils=3)
    by_label = stats.variation(cube, "sds_users", "2014-15").row()
    assert int(by_label["year"]) == 2015
    assert by_label["p50"] == stats.variation(cube, "sds_users", 2015).row()["p50"]
    with pytest.raises(MissingYearError, match="not a year"):
        stats.variation(cube, "sds_users", "last year")


@pytest.mark.parametrize(
    ("num", "den", "message"),
    [
        ([1, -2, 3], [10, 10, 10], "negative numerator for E06000002 \\(Council 2\\) 2015"),
        ([1, 2, 3], [10, -1, 10], "negative denominator"),
        ([1, np.inf, 3], [10, 10, 10], "infinite numerator"),
        ([1, 12, 3], [10, 10, 10], "numerator above denominator for E06000002"),
    ],
)
def test_impossible_counts_raise_naming_council_and_year(build, num, den, message):
    cube = build(num, den, value=[10.0, 20.0, 30.0])
    for call in (
        lambda: stats.wilson(cube, "sds_users", 2015),
        lambda: stats.variation(cube, "sds_users", 2015),
        lambda: stats.regional(cube, "sds_users", 2015),
    ):
        with pytest.raises(stats.InvalidCountsError, match=message):
            call()


def test_invalid_counts_error_is_a_value_error():
    assert issubclass(stats.InvalidCountsError, ValueError)
    assert issubclass(stats.InvalidCountsError, SchemaError)


def test_value_above_100_percent_raises(build):
    cube = build(value=[10.0, 120.0, 30.0])
    with pytest.raises(stats.InvalidCountsError, match="value above 100%"):
        stats.variation(cube, "sds_users", 2015)


def test_dataarray_without_status_is_refused():
    cube = make_cube(n_councils=4)
    with pytest.raises(SchemaError, match="lost each cell's status"):
        stats.variation(cube["value"].sel(measure="sds_users"), year=2015)


def test_dataarray_with_status_keeps_kind_status_and_gives_no_counts(build):
    cube = build(
        value=[10.0, np.nan, 30.0, np.nan],
        status=["published", "suppressed", "published", "not-in-geography"],
    )
    cut = (
        cube["value"]
        .sel(measure="sds_users")
        .assign_coords(status=cube["status"].sel(measure="sds_users"))
    )
    ds = v.prepare(cut, year=2015)
    assert (ds.attrs["measure"], ds.attrs["kind"]) == ("sds_users", "rate")
    assert ds.attrs["counts_given"].startswith("no")
    assert bool(ds["numerator"].isnull().all())
    # the council not in force that year is dropped, the suppressed one kept with its status
    assert ds["status"].values[:, 0].tolist() == ["published", "suppressed", "published"]
    result = stats.variation(cut, year=2015)
    # the council not in force is not an exclusion; the suppressed one is
    assert result.excluded == "suppressed: 1" and result.n_in_force == (3,)
    assert float(result.row()["highest"]) == 30.0


def test_dataarray_of_numerators_is_refused():
    cube = make_cube(n_councils=4)
    with pytest.raises(SchemaError, match="'numerator'"):
        stats.variation(cube["numerator"].sel(measure="sds_users"), year=2015)


def test_dataarray_without_labels_needs_a_measure_from_the_registry():
    cube = make_cube(n_councils=4)
    bare = (
        cube["value"]
        .sel(measure="sds_users")
        .assign_coords(status=cube["status"].sel(measure="sds_users"))
        .drop_vars(["kind", "measure", "units", "measure_label"])
    )
    with pytest.raises(UnknownMeasureError, match="measure= is required"):
        stats.variation(bare, year=2015)
    # the registry knows sds_users is a rate (value in percent, kept as published)
    expected = cube.value.sel(measure="sds_users", year=2015).max().item()
    assert float(stats.variation(bare, "sds_users", 2015).row()["highest"]) == expected
    with pytest.raises(SchemaError, match="kind"):
        stats.variation(bare, "not_in_registry", 2015)


def test_empty_and_all_nan_selections_raise_clearly(build):
    cube = make_cube(n_councils=4)
    with pytest.raises(SchemaError, match="holds no council"):
        stats.variation(cube.isel(council=[]), "sds_users", 2015)
    empty = build(value=[np.nan, np.nan], status=["suppressed", "missing"])
    for call in (stats.variation, stats.regional, stats.wilson, stats.targets):
        with pytest.raises(MissingYearError, match="no council in the selection has a value"):
            call(empty, "sds_users", 2015)


def test_not_an_xarray_object():
    with pytest.raises(TypeError, match="expected the cube"):
        stats.variation([1, 2, 3], "sds_users", 2015)


def test_reasons_report_status_and_missing_counts(build):
    cube = build(
        [1, np.nan, np.nan, np.nan, 0],
        [10, np.nan, np.nan, np.nan, 0],
        value=[10.0, np.nan, 20.0, np.nan, np.nan],
        status=["published", "suppressed", "published", "not-collected", "published"],
    )
    ds = v.prepare(cube, "sds_users", 2015)
    assert v.reasons(ds, counts=True).values[:, 0].tolist() == [
        "",
        "suppressed",
        "no numerator/denominator published",
        "not-collected",
        "denominator is zero",
    ]
    assert v.reasons(ds, counts=False).values[:, 0].tolist() == [
        "",
        "suppressed",
        "",
        "not-collected",
        "no published value",
    ]


def test_suppressed_or_missing_status_is_never_overridden_by_counts(build):
    # counts present, yet the status says suppressed / missing: never used (issue 12.5)
    cube = build(
        [10, 20, 30],
        [100, 100, 100],
        status=["published", "suppressed", "missing"],
    )
    ds = v.prepare(cube, "sds_users", 2015)
    assert v.reasons(ds, counts=True).values[:, 0].tolist() == ["", "suppressed", "missing"]
    assert v.reasons(ds, counts=False).values[:, 0].tolist() == ["", "suppressed", "missing"]
    assert stats.wilson(cube, "sds_users", 2015)["ci_low"].notna().tolist() == [True, False, False]
    england = stats.regional(cube, "sds_users", 2015).table.iloc[-1]
    assert england["numerator"] == 10 and england["n_counts"] == 1
    assert stats.variation(cube, "sds_users", 2015).row()["n_councils"] == 1


def test_thresholds_are_percent_with_explicit_units():
    assert v.check_threshold("30%", "threshold") == 30.0
    assert v.check_threshold(30, "threshold") == 30.0
    with pytest.raises(ValueError, match="ambiguous: write '30%'"):
        v.check_threshold(0.3, "threshold")
    with pytest.raises(ValueError, match="between 0 and 1"):
        v.proportion_level(95)
