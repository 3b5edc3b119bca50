"""Every statistics result: one small type, tidy table, named metadata, units, rich display."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from personalisation import stats
from personalisation.testing import make_cube

gpd = pytest.importorskip("geopandas")
from shapely.geometry import box  # noqa: E402


@pytest.fixture(scope="module")
def cube():
    return make_cube(n_councils=9, years=[2016, 2017], n_regions=3, seed=2, missing_fraction=0.1)


def _grid(cube):
    return gpd.GeoDataFrame(
        {"council": cube.council.values},
        geometry=[box(i % 3, i // 3, i % 3 + 1, i // 3 + 1) for i in range(cube.sizes["council"])],
    )


def _results(cube):
    results = {
        "variation": stats.variation(cube, "sds_users"),
        "regional": stats.regional(cube, "sds_users", 2016),
        "targets": stats.targets(cube, "sds_users", threshold="50%"),
        "wilson": stats.wilson(cube, "sds_users", 2016),
        "funnel": stats.funnel(cube, "sds_users", 2016),
        "change": stats.change(cube, "sds_users"),
        "convergence": stats.convergence(cube, "sds_users"),
        "dp_mix": stats.dp_mix(cube, "dp_users", 2016, by="region"),
        "eligibility": stats.eligibility(cube, "sds_users", 2016, fraction="80%"),
    }
    if importlib.util.find_spec("esda") is not None:  # moran is the spatial extra's
        results["moran"] = stats.moran(
            cube, "sds_users", 2016, boundaries=_grid(cube), permutations=9
        )
    return results


def test_every_result_is_one_documented_type_with_a_tidy_table(cube):
    for name, result in _results(cube).items():
        assert isinstance(result, stats.Result), name
        frame = result.to_frame()
        assert isinstance(frame, pd.DataFrame) and frame.attrs == {}, name
        assert frame is not result.table and frame.equals(result.table), name
        assert result.measure and result.years and result.geography, name
        assert len(result.n_used) == len(result.years) == len(result.n_in_force), name
        assert set(result.units) <= set(frame.columns), name
        assert set(result.units.values()) <= {"percent", "1", "people"}, name
        assert type(result).__doc__, name


def test_no_column_is_named_like_a_dataframe_or_dataset_method(cube):
    reserved = {n for n in dir(pd.DataFrame) if not n.startswith("_")}
    reserved |= {n for n in dir(xr.Dataset) if not n.startswith("_")}
    for name, result in _results(cube).items():
        clash = set(map(str, result.to_frame().columns)) & reserved
        assert not clash, (name, clash)


def test_rates_are_percent_in_every_result(cube):
    published = cube.value.sel(measure="sds_users", year=2016)
    results = _results(cube)
    for name in ("wilson", "funnel", "eligibility"):
        table = results[name].table
        got = table.set_index("council")["rate"].dropna()
        np.testing.assert_array_equal(got, published.sel(council=list(got.index)).to_numpy())
        assert results[name].units["rate"] == "percent"
    assert results["regional"].units["pooled_rate"] == "percent"
    assert results["funnel"].units["upper_95"] == "percent"
    assert results["variation"].units["gini"] == "1"


def test_html_display_caption_and_number_formats(cube):
    for name, result in _results(cube).items():
        page = result._repr_html_()
        assert page.startswith("<div") and "<table" in page, name
        caption = result.caption()
        assert result.measure in caption and "geography" in caption, name
        assert re.search(r"\d+(-\d+)? of \d+(-\d+)? councils in force", caption), name
        assert "Data variables" not in page and not re.search(r"\de[-+]\d", page), name
    wilson = _results(cube)["wilson"]
    page = wilson._repr_html_()
    assert "rate (%)" in page and "ci_low (%)" in page
    # rates with one decimal, counts as integers
    row = wilson.table.dropna(subset=["numerator"]).iloc[0]
    assert f"<td>{row.rate:.1f}</td>" in page
    assert f"<td>{row.numerator:.0f}</td>" in page
    assert "2015-16" in wilson.caption() and "of 9 councils in force that year" in wilson.caption()


def test_caption_counts_exclusions_with_reasons(build):
    cube = build(
        [10, 20, np.nan, 40],
        [100, 100, np.nan, 100],
        status=["published", "published", "suppressed", "not-in-geography"],
        years=[2016],
    )
    caption = stats.wilson(cube, "sds_users", 2016).caption()
    assert "2 of 3 councils in force that year used" in caption
    assert "left out: suppressed: 1" in caption


def test_long_tables_are_cut_in_the_display_but_not_in_the_frame():
    cube = make_cube(n_councils=40, years=[2016])
    result = stats.wilson(cube, "sds_users", 2016)
    page = result._repr_html_()
    assert "40 rows" in page and page.count("<tr>") < 30
    assert len(result.to_frame()) == 40
