"""Charts: trajectories, funnel plot and regional comparison draw what stats computes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from personalisation import stats
from personalisation.errors import MissingYearError, UnknownCouncilError
from personalisation.plot import funnel, regions, trajectories
from personalisation.testing import make_cube


@pytest.fixture(scope="module")
def cube():
    return make_cube(
        n_councils=40, years=[2014, 2015, 2016], n_regions=5, seed=7, missing_fraction=0.05
    )


def _by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


def _note(fig):
    (note,) = [t for t in fig.texts if t.get_gid() == "source_note"]
    return note.get_text()


def _without_counts(cube, year):
    cube = cube.copy(deep=True)
    for var in ("numerator", "denominator"):
        cube[var].loc[{"year": year}] = np.nan
    return cube


# --------------------------------------------------------------------------- trajectories
def test_trajectories_draws_every_council_england_and_highlights(cube):
    fig = trajectories(cube, "sds_users", highlight=["E06000004", "Council 9"])
    (ax,) = fig.axes
    (context,) = _by_gid(ax.collections, "councils")
    assert len(context.get_segments()) == cube.sizes["council"]
    assert context.council_codes == tuple(cube.council.values)

    (england,) = _by_gid(ax.lines, "England")
    table = stats.regional(cube, "sds_users", [2014, 2015, 2016]).table
    expected = table.loc[table.group_type == "England", "pooled_rate"].to_numpy()
    np.testing.assert_allclose(england.get_ydata(), expected)

    for code in ("E06000004", "E06000009"):
        (line,) = _by_gid(ax.lines, code)
        np.testing.assert_array_equal(
            line.get_ydata(), cube.value.sel(council=code, measure="sds_users").to_numpy()
        )
        assert line.get_label() == str(cube.council_name.sel(council=code).item())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["Councils (40)", "England (councils pooled)", "Council 4", "Council 9"]
    assert ax.get_ylabel().replace("\n", " ") == "Service users receiving self-directed support (%)"
    assert ax.get_xlabel() == "Financial year"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2013-14", "2014-15", "2015-16"]
    assert ax.get_title() == "Service users receiving self-directed support, 2013-14 to 2015-16"
    assert "synthetic" in _note(fig)
    (brk,) = _by_gid(ax.lines, "series_break")  # the 2014-15 ASCOF denominator change
    assert brk.get_xdata()[0] == 2014.5


def test_trajectories_england_options(cube):
    published = pd.Series([70.0, 71.0, 72.0], index=[2014, 2015, 2016])
    fig = trajectories(cube, "dp_users", england=published, show_breaks=False)
    (england,) = _by_gid(fig.axes[0].lines, "England")
    np.testing.assert_array_equal(england.get_ydata(), published.to_numpy())
    assert _by_gid(fig.axes[0].lines, "series_break") == []
    assert _by_gid(trajectories(cube, "dp_users", england=False).axes[0].lines, "England") == []

    counts = make_cube(n_councils=6, years=[2010, 2011], measures=["dp_clients"])
    fig = trajectories(counts, "dp_clients")
    assert _by_gid(fig.axes[0].lines, "England") == []
    assert fig.axes[0].get_ylabel().endswith("(people)")
    with pytest.raises(ValueError, match="count"):
        trajectories(counts, "dp_clients", england=True)
    with pytest.raises(UnknownCouncilError, match="Nowhere"):
        trajectories(cube, "sds_users", highlight=["Nowhere"])


# --------------------------------------------------------------------------- funnel
def test_funnel_draws_the_stats_result_with_its_defaults(cube):
    fig = funnel(cube, "sds_users", 2015, highlight=["Council 2"])
    (ax,) = fig.axes
    result = stats.funnel(cube, "sds_users", 2015)  # the same defaults, no other settings
    table = result.table
    used = table[np.isfinite(table.rate)]
    (points,) = _by_gid(ax.collections, "councils")
    assert len(points.get_offsets()) == len(used)
    # the points are the published values of the cube, the same numbers as in the table
    published = cube.value.sel(measure="sds_users", year=2015).sel(council=list(used.council))
    np.testing.assert_array_equal(points.get_offsets()[:, 1], published.to_numpy())
    np.testing.assert_array_equal(points.get_offsets()[:, 1], used.rate.to_numpy())

    for label in ("95", "998"):
        lines = _by_gid(ax.lines, f"limit_{label}")
        assert len(lines) == 2  # lower and upper
        x = lines[0].get_xdata()
        limits = stats.funnel_limits(
            result.target,
            x,
            tau2=result.tau2_used,
            phi=result.phi_used,
            scale=result.scale,
            exact_below=result.exact_below,
        )
        np.testing.assert_allclose(lines[0].get_ydata(), limits[f"lower_{label}"])
        np.testing.assert_allclose(lines[1].get_ydata(), limits[f"upper_{label}"])
    (target,) = _by_gid(ax.lines, "target")
    assert target.get_ydata()[0] == pytest.approx(result.pooled_rate)
    assert target.get_label() == f"Councils pooled {result.pooled_rate:.1f}%"

    flagged = set(used.loc[used.flag_998 != "inside", "council_name"]) - {"Council 2"}
    labelled = {t.get_text() for t in _by_gid(ax.texts, "outlier_label")}
    assert labelled == flagged
    (marker,) = _by_gid(ax.lines, "E06000002")
    row = table.set_index("council").loc["E06000002"]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (row.denominator, row.rate)
    assert ax.get_xlabel() == "Denominator (people)"
    assert "(%)" in ax.get_ylabel()
    assert ax.get_title() == "Service users receiving self-directed support, 2014-15: funnel plot"
    assert any("arcsine scale" in t.get_text() for t in ax.get_legend().get_texts())
    missing = int((~np.isfinite(table.rate)).sum())
    assert missing > 0
    (excluded,) = _by_gid(ax.texts, "excluded_note")
    assert f"{missing} council(s) without counts" in excluded.get_text().replace("\n", " ")
    assert "synthetic" in _note(fig)


def test_funnel_options_go_to_stats_or_a_result_is_drawn(cube):
    result = stats.funnel(cube, "sds_users", 2016, overdispersion=None, scale="proportion")
    fig = funnel(cube, "sds_users", 2016, result=result)
    (ax,) = fig.axes
    flagged = set(result.table.loc[result["flag_998"].isin(["above", "below"]), "council_name"])
    assert {t.get_text() for t in _by_gid(ax.texts, "outlier_label")} == flagged
    (upper,) = _by_gid(ax.lines, "limit_998")[1:]
    np.testing.assert_allclose(
        upper.get_ydata(), result.limits(upper.get_xdata())["upper_998"].to_numpy()
    )
    same = funnel(cube, "sds_users", 2016, overdispersion=None, scale="proportion")
    (again,) = _by_gid(same.axes[0].lines, "limit_998")[1:]
    np.testing.assert_allclose(again.get_ydata(), upper.get_ydata())
    with pytest.raises(TypeError, match="not both"):
        funnel(cube, "sds_users", 2016, result=result, scale="logit")
    with pytest.raises(ValueError, match="result= is for"):
        funnel(cube, "sds_users", 2015, result=result)


def test_every_chart_draws_into_a_given_axes(cube):
    from matplotlib.figure import Figure

    host = Figure(figsize=(12, 4))
    left, middle, right = host.subplots(1, 3)
    assert funnel(cube, "sds_users", 2016, ax=left) is host
    assert regions(cube, "sds_users", 2016, ax=middle) is host
    assert trajectories(cube, "sds_users", ax=right) is host
    assert _by_gid(left.collections, "councils") and _by_gid(middle.collections, "councils")
    assert _by_gid(right.collections, "councils")
    assert len(host.axes) == 3
    # one source note for the figure, whatever was drawn into it
    assert len([t for t in host.texts if t.get_gid() == "source_note"]) == 1


def test_funnel_year_without_counts(cube):
    with pytest.raises(MissingYearError):
        funnel(_without_counts(cube, 2015), "sds_users", 2015)


# --------------------------------------------------------------------------- regions
def test_regions_points_pooled_rates_and_england(cube):
    fig = regions(cube, "sds_users", 2016, highlight=["Council 5"])
    (ax,) = fig.axes
    table = stats.regional(cube, "sds_users", 2016).table
    groups = table[table.group_type == "region"]
    assert [t.get_text() for t in ax.get_yticklabels()] == groups.group_name.tolist()
    (diamonds,) = [line for line in _by_gid(ax.lines, "pooled") if line.get_marker() == "D"]
    np.testing.assert_allclose(diamonds.get_xdata(), groups.pooled_rate.to_numpy())
    (england,) = _by_gid(ax.lines, "England")
    england_row = table.loc[table.group_type == "England"].iloc[0]
    assert england.get_xdata()[0] == pytest.approx(england_row.pooled_rate)
    assert england.get_label() == f"England pooled {england_row.pooled_rate:.1f}%"
    # the default interval allows for between-council variation; the band is England's
    (band,) = _by_gid(ax.patches, "England")
    xs = (band.get_x(), band.get_x() + band.get_width())
    assert xs == (
        pytest.approx(england_row.od_ci_low),
        pytest.approx(england_row.od_ci_high),
    )
    assert any("between-council" in t.get_text() for t in ax.get_legend().get_texts())
    wilson = regions(cube, "sds_users", 2016, interval="wilson").axes[0]
    (band,) = _by_gid(wilson.patches, "England")
    assert band.get_x() == pytest.approx(england_row.ci_low)

    (points,) = _by_gid(ax.collections, "councils")
    values = cube.value.sel(measure="sds_users", year=2016)
    have = values.dropna("council")
    assert points.council_codes == tuple(have.council.values)
    row_of = {code: i for i, code in enumerate(groups.group)}
    for (x, y), code in zip(points.get_offsets(), points.council_codes, strict=True):
        assert x == values.sel(council=code).item()
        assert abs(y - row_of[str(cube.region_code.sel(council=code).item())]) <= 0.2
    assert _by_gid(ax.lines, "E06000005")
    assert ax.get_ylabel() == "Region"
    assert "(%)" in ax.get_xlabel()
    assert ax.get_title() == "Service users receiving self-directed support, 2015-16"
    assert "synthetic" in _note(fig)


def test_regions_by_council_type_and_year_without_counts(cube):
    fig = regions(_without_counts(cube, 2015), "sds_users", 2015, by="council_type")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Council type"
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(
        set(cube.council_type.values)
    )
    assert _by_gid(ax.lines, "England") == []
    (note,) = _by_gid(ax.texts, "pooled_note")
    assert "not computable" in note.get_text().replace("\n", " ")


def test_regions_without_counts_promises_no_pooled_rate_and_takes_a_title(cube):
    fig = regions(_without_counts(cube, 2015), "sds_users", 2015, title="Councils of one region")
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any(label.startswith("Pooled rate") for label in labels)
    assert ax.get_title() == "Councils of one region"
    with_counts = regions(cube, "sds_users", 2015).axes[0]
    assert any(t.get_text().startswith("Pooled rate") for t in with_counts.get_legend().get_texts())


def test_regions_of_a_one_region_cut_does_not_call_its_pooled_rate_england(cube):
    one = cube.sel(council=cube.region_code == cube.region_code.values[0])
    fig = regions(one, "sds_users", 2016, by="council_type")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    region = str(one.region_name.values[0])
    assert any(label.startswith(f"{region} pooled") for label in labels)
    assert not any(label.startswith("England") for label in labels)
