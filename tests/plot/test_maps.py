"""Maps: content of the drawn figure (polygons, colours by class, no data, inset, legend, text)."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from personalisation.errors import MissingYearError, UnknownCouncilError, UnknownMeasureError
from personalisation.plot import choropleth, hexmap, small_multiples, style
from personalisation.schema import LONDON_REGION_CODE

LONDON = LONDON_REGION_CODE


def _collection(ax, gid):
    (found,) = [c for c in ax.collections if c.get_gid() == gid]
    return found


def _main_axes(fig):
    return [ax for ax in fig.axes if ax.get_label() != "london_inset"]


def _insets(fig):
    return [
        child for ax in fig.axes for child in ax.child_axes if child.get_label() == "london_inset"
    ]


def _colour_of(collection):
    """Council code -> RGBA face colour as drawn."""
    return dict(zip(collection.council_codes, map(tuple, collection.get_facecolors()), strict=True))


def _expected_colours(values, bins, fig_legend):
    """Council -> colour of the legend entry of its class, classes from mapclassify bins."""
    handles = [h for h in fig_legend.legend_handles if not h.get_label().startswith("no data")]
    assert len(handles) == len(bins)
    out = {}
    for code, value in values.items():
        if np.isfinite(value):
            out[code] = tuple(
                handles[int(np.searchsorted(bins, value, side="left"))].get_facecolor()
            )
    return out


def _with_missing(cube, code, year, measure="sds_users"):
    cube = cube.copy(deep=True)
    for var in ("numerator", "denominator", "value"):
        cube[var].loc[{"council": code, "year": year, "measure": measure}] = np.nan
    cube["status"].loc[{"council": code, "year": year, "measure": measure}] = "missing"
    return cube


def test_choropleth_draws_one_polygon_per_council(london_cube, squares):
    fig = choropleth(london_cube, "sds_users", 2016, geometry=squares(london_cube))
    (ax,) = _main_axes(fig)
    coloured, missing = _collection(ax, "councils"), _collection(ax, "no data")
    assert len(coloured.get_paths()) + len(missing.get_paths()) == london_cube.sizes["council"]
    assert sorted(coloured.council_codes + missing.council_codes) == sorted(
        london_cube.council.values
    )


def test_choropleth_colours_each_council_by_its_class(london_cube, squares):
    fig = choropleth(london_cube, "sds_users", 2016, geometry=squares(london_cube), k=4)
    (ax,) = _main_axes(fig)
    values = london_cube.value.sel(measure="sds_users", year=2016).to_series()
    bins = mapclassify.Quantiles(values.to_numpy(), k=4).bins
    expected = _expected_colours(values, bins, ax.get_legend())
    assert _colour_of(_collection(ax, "councils")) == expected
    # classes really differ: at least 4 distinct colours on 12 councils
    assert len(set(expected.values())) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()][0].startswith(f"{values.min():.1f}")


def test_missing_council_is_hatched_and_listed_as_no_data(london_cube, squares):
    code = str(london_cube.council.values[2])
    name = str(london_cube.council_name.sel(council=code).item())
    cube = _with_missing(london_cube, code, 2016)
    fig = choropleth(cube, "sds_users", 2016, geometry=squares(cube))
    (ax,) = _main_axes(fig)
    missing = _collection(ax, "no data")
    assert missing.council_codes == (code,)
    assert missing.get_hatch() == style.NO_DATA_HATCH
    assert code not in _collection(ax, "councils").council_codes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    no_data = [label for label in labels if label.startswith(style.NO_DATA_LABEL)]
    assert len(no_data) == 1 and name in no_data[0]
    (handle,) = [h for h in ax.get_legend().legend_handles if h.get_label() == no_data[0]]
    assert handle.get_hatch() == style.NO_DATA_HATCH


def test_council_absent_from_geometry_is_no_data(london_cube, squares):
    geometry = squares(london_cube)
    geometry = geometry.iloc[:-1]
    extra = london_cube.council.values[-1]
    cube = _with_missing(london_cube, extra, 2016)
    fig = choropleth(cube, "sds_users", 2016, geometry=geometry)
    (ax,) = _main_axes(fig)
    assert extra not in _collection(ax, "councils").council_codes
    with pytest.raises(UnknownCouncilError, match=str(extra)):
        choropleth(london_cube, "sds_users", 2016, geometry=geometry)


def test_london_inset_holds_only_london(london_cube, squares):
    geometry = squares(london_cube)
    fig = choropleth(london_cube, "sds_users", 2017, geometry=geometry)
    (inset,) = _insets(fig)
    drawn = (
        _collection(inset, "councils").council_codes + _collection(inset, "no data").council_codes
    )
    london = geometry.loc[geometry.region_code == LONDON, "council_code"].tolist()
    assert sorted(drawn) == sorted(london) and len(london) > 0
    (ax,) = _main_axes(fig)
    main_colours = _colour_of(_collection(ax, "councils"))
    for code, colour in _colour_of(_collection(inset, "councils")).items():
        assert colour == main_colours[code]
    no_london = geometry[geometry.region_code != LONDON]
    cube = london_cube.sel(council=no_london.council_code.values)
    assert _insets(choropleth(cube, "sds_users", 2017, geometry=no_london)) == []


def test_title_units_and_attribution(london_cube, squares):
    from personalisation._provenance import NHS_ATTRIBUTION, OGL_V3

    cube = london_cube.copy()
    cube.attrs.update(
        sources="NHS Digital: Adult Social Care Outcomes Framework",
        licence=OGL_V3,
        attribution=NHS_ATTRIBUTION,
    )
    fig = choropleth(cube, "sds_users", 2016, geometry=squares(cube))
    (ax,) = _main_axes(fig)
    assert ax.get_title() == "Service users receiving self-directed support, 2015-16"
    assert ax.get_legend().get_title().get_text() == "Rate (%)"
    (note,) = [t for t in fig.texts if t.get_gid() == "source_note"]
    text = note.get_text().replace("\n", " ")
    assert "Source: NHS Digital: Adult Social Care Outcomes Framework" in text
    assert "Open Government Licence v3.0" in text
    vintage = str(cube.geography_vintage.sel(year=2016).item())  # the 2013 geography
    assert f"Contains OS data © Crown copyright and database right {vintage}" in text
    assert "Office for National Statistics" in text


def test_count_measure_legend_in_people(squares):
    from personalisation.testing import make_cube

    cube = make_cube(n_councils=8, years=[2012], measures=["dp_clients"])
    fig = choropleth(cube, "dp_clients", 2012, geometry=squares(cube))
    (ax,) = _main_axes(fig)
    assert ax.get_legend().get_title().get_text() == "Count (people)"
    assert ax.get_title().endswith("2011-12")


def test_pool_years_share_breaks_between_single_maps(london_cube, squares):
    geometry = squares(london_cube)
    figs = [
        choropleth(london_cube, "sds_users", y, geometry=geometry, pool_years=[2015, 2016, 2017])
        for y in (2015, 2017)
    ]
    breaks = [_collection(_main_axes(f)[0], "councils").classes.breaks for f in figs]
    np.testing.assert_array_equal(breaks[0], breaks[1])
    single = _collection(
        _main_axes(choropleth(london_cube, "sds_users", 2015, geometry=geometry))[0], "councils"
    )
    assert not np.array_equal(single.classes.breaks, breaks[0])


def test_small_multiples_pool_breaks_across_panels(london_cube, squares):
    geometry = squares(london_cube)
    years = [2015, 2016, 2017]
    fig = small_multiples(london_cube, "sds_users", years, geometry=geometry, k=5)
    panels = _main_axes(fig)
    assert [ax.get_title() for ax in panels] == ["2014-15", "2015-16", "2016-17"]
    values = london_cube.value.sel(measure="sds_users").transpose("council", "year").to_numpy()
    bins = mapclassify.Pooled(values, classifier="Quantiles", k=5).global_classifier.bins
    (legend,) = fig.legends
    for ax, year in zip(panels, years, strict=True):
        coloured = _collection(ax, "councils")
        np.testing.assert_allclose(coloured.classes.breaks, bins)
        year_values = london_cube.value.sel(measure="sds_users", year=year).to_series()
        assert _colour_of(coloured) == _expected_colours(year_values, bins, legend)
        assert len(coloured.get_paths()) == london_cube.sizes["council"]
    assert (
        "Service users receiving self-directed support, 2014-15 to 2016-17"
        == fig._suptitle.get_text()
    )


def test_small_multiples_lists_missing_council_years(london_cube, squares):
    code = str(london_cube.council.values[5])
    cube = _with_missing(london_cube, code, 2017)
    fig = small_multiples(cube, "sds_users", geometry=squares(cube), ncols=2)
    panels = _main_axes(fig)
    assert len(panels) == 3  # the empty 4th grid cell is removed
    assert _collection(panels[2], "no data").council_codes == (code,)
    assert _collection(panels[0], "no data").council_codes == ()
    (legend,) = fig.legends
    name = str(cube.council_name.sel(council=code).item())
    assert any(f"{name} (2016-17)" in t.get_text() for t in legend.get_texts())


def test_hexmap_one_hexagon_per_council(london_cube, hexagons):
    geometry = hexagons(london_cube)
    fig = hexmap(london_cube, "dp_users", 2015, geometry=geometry, label_column="council_name")
    (ax,) = fig.axes
    assert _insets(fig) == []  # no London inset on hex maps
    coloured = _collection(ax, "councils")
    assert len(coloured.get_paths()) == 12
    assert all(len(p.vertices) == 7 for p in coloured.get_paths())  # 6 corners + close
    values = london_cube.value.sel(measure="dp_users", year=2015).to_series()
    bins = mapclassify.Quantiles(values.to_numpy(), k=5).bins
    assert _colour_of(coloured) == _expected_colours(values, bins, ax.get_legend())
    assert ax.get_title() == "Service users receiving direct payments, 2014-15"
    assert len(ax.texts) == 12


def test_default_geometry_comes_from_geo(monkeypatch, london_cube, squares):
    import personalisation.geo as geo

    asked = []
    # patch the package namespace itself (the lazy geo namespace would import the real modules)
    monkeypatch.setitem(
        vars(geo),
        "boundaries",
        lambda vintage: asked.append(("b", vintage)) or squares(london_cube),
    )
    monkeypatch.setitem(
        vars(geo), "hexes", lambda vintage: asked.append(("h", vintage)) or squares(london_cube)
    )
    choropleth(london_cube, "sds_users", 2016)
    hexmap(london_cube, "sds_users", 2015)
    small_multiples(london_cube, "sds_users", [2015, 2016])
    vintage = {y: str(london_cube.geography_vintage.sel(year=y).item()) for y in (2015, 2016)}
    assert vintage == {2015: "2013", 2016: "2013"}  # data years on the April 2013 geography
    # small multiples read each distinct vintage once: 2015 and 2016 share the 2013 geography
    assert asked == [("b", vintage[2016]), ("h", vintage[2015]), ("b", vintage[2015])]


def test_user_defined_classes(london_cube, squares):
    fig = choropleth(
        london_cube,
        "sds_users",
        2016,
        geometry=squares(london_cube),
        scheme="UserDefined",
        classification_kwds={"bins": [70.0, 80.0, 90.0, 100.0]},
    )
    coloured = _collection(_main_axes(fig)[0], "councils")
    np.testing.assert_array_equal(coloured.classes.breaks, [70.0, 80.0, 90.0, 100.0])


def test_clear_errors(london_cube, squares):
    geometry = squares(london_cube)
    with pytest.raises(UnknownMeasureError, match="dp_carers"):
        choropleth(london_cube, "dp_carers", 2016, geometry=geometry)
    with pytest.raises(MissingYearError, match="2030"):
        choropleth(london_cube, "sds_users", 2030, geometry=geometry)
    with pytest.raises(ValueError, match="council_code"):
        choropleth(
            london_cube,
            "sds_users",
            2016,
            geometry=geometry.rename(columns={"council_code": "code"}),
        )
    with pytest.raises(ValueError, match="layout"):
        small_multiples(london_cube, "sds_users", geometry=geometry, layout="dots")


def test_colour_of_class_is_house_colour_map():
    colours = style.class_colours(5)
    assert colours.shape == (5, 4)
    assert to_rgba(colours[0]) != to_rgba(colours[-1])


def test_figures_published_on_a_later_geography_are_drawn_on_it():
    """ONS published mid-2020 estimates on the April 2021 councils (North/West Northamptonshire)."""
    import personalisation as pz

    cube = pz.load_cube(measures=["population_18plus"], years=[2020])
    fig = choropleth(cube, "population_18plus", 2020, london_inset=False)
    (councils,) = [c for c in fig.axes[0].collections if c.get_gid() == "councils"]
    assert {"E06000061", "E06000062"} <= set(councils.council_codes)
    assert "E10000021" not in set(councils.council_codes)


def test_a_map_with_no_data_names_the_measure_and_year() -> None:
    import numpy as np

    import personalisation as pz

    cube = pz.load_cube(measures="sds_users", years=[2021]).copy(deep=True)
    cube["value"].values[:] = np.nan
    cube["status"].values[:] = pz.encode_status("suppressed")
    for draw in (pz.plot.choropleth, pz.plot.hexmap):
        with pytest.raises(
            ValueError, match=r"no data to map: measure 'sds_users' .* 2021 .*suppressed"
        ):
            draw(cube, measure="sds_users", year=2021)


def test_maps_draw_into_given_axes(london_cube, squares):
    from matplotlib.figure import Figure

    geometry = squares(london_cube)
    host = Figure(figsize=(12, 4))
    one, two, three, four = host.subplots(1, 4)
    assert choropleth(london_cube, "sds_users", 2016, geometry=geometry, ax=one) is host
    assert _collection(one, "councils") is not None
    assert (
        small_multiples(london_cube, "sds_users", [2015, 2016], geometry=geometry, ax=[two, three])
        is host
    )
    assert [two.get_title(), three.get_title()] == ["2014-15", "2015-16"]
    assert len([t for t in host.texts if t.get_gid() == "source_note"]) == 1
    with pytest.raises(ValueError, match="one per year"):
        small_multiples(london_cube, "sds_users", [2015, 2016], geometry=geometry, ax=[four])
    with pytest.raises(TypeError, match="matplotlib Axes"):
        choropleth(london_cube, "sds_users", 2016, geometry=geometry, ax="left")
