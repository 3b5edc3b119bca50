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
    table = stats.regional(cube, "sds_users", [2014, 2015, 2016])
    expected = 100 * table.loc[table.group_type == "England", "pooled_rate"].to_numpy()
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
def test_funnel_limits_points_and_outlier_labels(cube):
    fig = funnel(cube, "sds_users", 2015, highlight=["Council 2"])
    (ax,) = fig.axes
    table = stats.funnel(cube, "sds_users", 2015, overdispersion=None)
    used = table[np.isfinite(table.rate)]
    (points,) = _by_gid(ax.collections, "councils")
    assert len(points.get_offsets()) == len(used)
    np.testing.assert_allclose(points.get_offsets()[:, 1], 100 * used.rate.to_numpy())

    for label in ("95", "998"):
        lines = _by_gid(ax.lines, f"limit_{label}")
        assert len(lines) == 2  # lower and upper
        x = lines[0].get_xdata()
        limits = stats.funnel_limits(table.attrs["target"], x)
        np.testing.assert_allclose(lines[0].get_ydata(), 100 * limits[f"lower_{label}"])
        np.testing.assert_allclose(lines[1].get_ydata(), 100 * limits[f"upper_{label}"])
    (target,) = _by_gid(ax.lines, "target")
    assert target.get_ydata()[0] == pytest.approx(100 * table.attrs["pooled_rate"])

    flagged = set(used.loc[used.flag_998 != "inside", "council_name"]) - {"Council 2"}
    labelled = {t.get_text() for t in _by_gid(ax.texts, "outlier_label")}
    assert flagged and labelled == flagged
    (marker,) = _by_gid(ax.lines, "E06000002")
    row = table.set_index("council").loc["E06000002"]
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (row.denominator, 100 * row.rate)
    assert ax.get_xlabel() == "Denominator (people)"
    assert "(%)" in ax.get_ylabel()
    assert ax.get_title() == "Service users receiving self-directed support, 2014-15: funnel plot"
    missing = int((~np.isfinite(table.rate)).sum())
    assert missing > 0
    (excluded,) = _by_gid(ax.texts, "excluded_note")
    assert f"{missing} council(s) without counts" in excluded.get_text().replace("\n", " ")
    assert "synthetic" in _note(fig)


def test_funnel_overdispersion_passed_to_stats(cube):
    fig = funnel(cube, "sds_users", 2016, overdispersion="additive")
    (ax,) = fig.axes
    table = stats.funnel(cube, "sds_users", 2016, overdispersion="additive")
    assert table.attrs["tau2_used"] > 0
    flagged = set(table.loc[table.flag_998.isin(["above", "below"]), "council_name"])
    assert {t.get_text() for t in _by_gid(ax.texts, "outlier_label")} == flagged
    (upper,) = _by_gid(ax.lines, "limit_998")[1:]
    limits = stats.funnel_limits(
        table.attrs["target"], upper.get_xdata(), tau2=table.attrs["tau2_used"]
    )
    np.testing.assert_allclose(upper.get_ydata(), 100 * limits["upper_998"])
    assert any("additive overdispersion" in t.get_text() for t in ax.get_legend().get_texts())


def test_funnel_year_without_counts(cube):
    with pytest.raises(MissingYearError):
        funnel(_without_counts(cube, 2015), "sds_users", 2015)


# --------------------------------------------------------------------------- regions
def test_regions_points_pooled_rates_and_england(cube):
    fig = regions(cube, "sds_users", 2016, highlight=["Council 5"])
    (ax,) = fig.axes
    table = stats.regional(cube, "sds_users", 2016)
    groups = table[table.group_type == "region"]
    assert [t.get_text() for t in ax.get_yticklabels()] == groups.group_name.tolist()
    (diamonds,) = [line for line in _by_gid(ax.lines, "pooled") if line.get_marker() == "D"]
    np.testing.assert_allclose(diamonds.get_xdata(), 100 * groups.pooled_rate.to_numpy())
    (england,) = _by_gid(ax.lines, "England")
    england_rate = table.loc[table.group_type == "England", "pooled_rate"].item()
    assert england.get_xdata()[0] == pytest.approx(100 * england_rate)

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
