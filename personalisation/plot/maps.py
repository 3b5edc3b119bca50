"""Maps of one measure by council: choropleth, hex map and small multiples over years.

Every map colours councils by class (:mod:`personalisation.plot.classify`, breaks pooled
over all the years drawn), hatches councils without a value and lists them under
"no data" in the legend, and prints the source and boundary attribution underneath.
Geometry comes from :func:`personalisation.geo.boundaries` / :func:`personalisation.geo.hexes`
for the year's geography vintage unless an explicit ``geometry=`` GeoDataFrame is given
(columns ``council_code``, ``geometry`` and, for the London inset, ``region_code``).

Drawn collections carry their content for inspection: the coloured councils are the
collection with gid ``"councils"`` and the missing ones gid ``"no data"``; each has
``council_codes`` (drawing order) and the former ``classes`` (the pooled
:class:`~personalisation.plot.classify.Classes`).  The London inset axes has the label
``"london_inset"``.

Figures are :class:`personalisation.plot.figure.Figure` objects (matplotlib Figures not
registered with pyplot): they display inline when returned from a notebook cell; save them
with ``fig.savefig``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation.geo.frames import aligned_values as _aligned_values
from personalisation.geo.frames import council_names as _council_names
from personalisation.geo.frames import geometry_for_year as _geometry_for_year
from personalisation.geo.frames import is_london as _is_london
from personalisation.geo.frames import values_of as _values
from personalisation.plot import style
from personalisation.plot.classify import DEFAULT_K, DEFAULT_SCHEME, Classes, pooled_classes
from personalisation.plot.figure import Figure, new_figure
from personalisation.plot.polygons import draw_polygons
from personalisation.schema import _status_names

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr
    from matplotlib.axes import Axes

#: Where the London inset sits, in main-axes fraction (the North Sea, off Yorkshire).
LONDON_INSET_BOUNDS = (0.74, 0.74, 0.26, 0.26)
#: Councils named in the "no data" legend entry before it switches to a count.
MAX_LISTED_MISSING = 8
_LAYOUTS = ("boundaries", "hexes")


# --------------------------------------------------------------------------- geometry
# --------------------------------------------------------------------------- drawing
def _draw_panel(
    ax: Axes,
    geometry: gpd.GeoDataFrame,
    values: np.ndarray,
    classes: Classes,
    colours: np.ndarray,
    *,
    edgecolor: Any,
    linewidth: float,
    rows: np.ndarray | None = None,
) -> None:
    """Draw councils coloured by class and the missing ones hatched, on ``ax``."""
    geoms = geometry.geometry.to_numpy()
    codes = geometry["council_code"].astype(str).to_numpy()
    if rows is not None:
        geoms, codes, values = geoms[rows], codes[rows], values[rows]
    index = classes.assign(values)
    have = index >= 0
    coloured = draw_polygons(
        ax,
        geoms[have],
        facecolors=colours[index[have]],
        edgecolor=edgecolor,
        linewidth=linewidth,
        gid="councils",
        council_codes=codes[have],
    )
    coloured.classes = classes  # type: ignore[attr-defined]  # the class breaks, on the artist
    draw_polygons(
        ax,
        geoms[~have],
        facecolors=style.NO_DATA_FACE,
        edgecolor=style.NO_DATA_EDGE,
        linewidth=linewidth,
        hatch=style.NO_DATA_HATCH,
        gid="no data",
        council_codes=codes[~have],
    )
    ax.set_aspect("equal")
    ax.set_axis_off()


def _legend_handles(
    classes: Classes, colours: np.ndarray, fmt: str, missing_names: Sequence[str]
) -> list[Any]:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=colour, edgecolor="none", label=label)
        for colour, label in zip(colours, classes.labels(fmt), strict=True)
    ]
    if len(missing_names):
        handles.append(
            Patch(
                facecolor=style.NO_DATA_FACE,
                edgecolor=style.NO_DATA_EDGE,
                hatch=style.NO_DATA_HATCH,
                label=_no_data_label(missing_names),
            )
        )
    return handles


def _no_data_label(names: Sequence[str]) -> str:
    """``'no data: A, B'`` (wrapped), or ``'no data (23 councils)'`` when there are many."""
    names = sorted(set(names))
    if len(names) > MAX_LISTED_MISSING:
        return f"{style.NO_DATA_LABEL} ({len(names)} councils)"
    return "\n".join(textwrap.wrap(f"{style.NO_DATA_LABEL}: {', '.join(names)}", 34))


def _london_inset(
    ax: Axes,
    geometry: gpd.GeoDataFrame,
    values: np.ndarray,
    classes: Classes,
    colours: np.ndarray,
    london: np.ndarray,
) -> Axes:
    from matplotlib.patches import Rectangle

    inset = ax.inset_axes(LONDON_INSET_BOUNDS)
    inset.set_label("london_inset")
    _draw_panel(
        inset,
        geometry,
        values,
        classes,
        colours,
        edgecolor=style.BOUNDARY_EDGE,
        linewidth=style.BOUNDARY_WIDTH,
        rows=np.flatnonzero(london),
    )
    # a plain frame rather than spines: an axis-off inset skips all tick machinery
    frame = Rectangle(
        (0, 0),
        1,
        1,
        transform=inset.transAxes,
        fill=False,
        edgecolor=style.NO_DATA_EDGE,
        linewidth=0.6,
        clip_on=False,
    )
    frame.set_gid("london_frame")
    inset.add_artist(frame)
    inset.set_title("London", fontsize=8, pad=2, y=1.0)
    return inset


def _classes_for(
    cube: xr.Dataset,
    measure: str,
    years: Sequence[int],
    scheme: str,
    k: int,
    classification_kwds: Mapping[str, Any] | None,
) -> tuple[Classes, np.ndarray]:
    panels = [_values(cube, measure, y).to_numpy() for y in years]
    if all(np.isnan(np.asarray(p, dtype=float)).all() for p in panels):
        statuses = (
            sorted(
                set(
                    np.asarray(
                        _status_names(cube["status"].sel(measure=measure, year=list(years)))
                    ).ravel()
                )
            )
            if "status" in cube
            else []
        )
        raise ValueError(
            f"no data to map: measure {measure!r} has no value for any council in "
            f"{', '.join(str(y) for y in years)} (statuses: {statuses})"
        )
    classes = pooled_classes(
        panels,
        scheme=scheme,
        k=k,
        **dict(classification_kwds or {}),
    )
    return classes, style.class_colours(classes.k)


def _single_map(
    cube: xr.Dataset,
    measure: str,
    year: int,
    *,
    geometry: Any,
    layout: str,
    scheme: str,
    k: int,
    pool_years: Sequence[int] | None,
    london_inset: bool,
    figsize: tuple[float, float],
    classification_kwds: Mapping[str, Any] | None,
    label_column: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    style.check_measure(cube, measure)
    (year,) = style.check_years(cube, [year])
    pooled = style.check_years(cube, sorted({year, *(pool_years or [])}))
    shapes, vintage = _geometry_for_year(cube, year, geometry, layout, {}, measure)
    values = _aligned_values(cube, measure, year, shapes, vintage)
    classes, colours = _classes_for(cube, measure, pooled, scheme, k, classification_kwds)

    fig, ax, own = style.figure_and_axes(ax, figsize)
    if own:
        fig.subplots_adjust(left=0.02, right=0.98, top=0.93, bottom=0.09)
    hexes = layout == "hexes"
    _draw_panel(
        ax,
        shapes,
        values,
        classes,
        colours,
        edgecolor=style.BOUNDARY_EDGE,
        linewidth=1.0 if hexes else style.BOUNDARY_WIDTH,
    )
    if label_column is not None:
        _label_shapes(ax, shapes, label_column)
    london = _is_london(cube, shapes)
    if london_inset and london.any():
        _london_inset(ax, shapes, values, classes, colours, london)

    missing = _council_names(cube, shapes)[~np.isfinite(values)]
    ax.legend(
        handles=_legend_handles(classes, colours, style.number_format(cube, measure), missing),
        title=style.unit_title(cube, measure),
        loc="center left",
        fontsize=7,
        title_fontsize=8,
        frameon=False,
    )
    ax.set_title(
        "\n".join(textwrap.wrap(style.figure_title(cube, measure, year), 70)), fontsize=11, y=1.0
    )
    style.add_source_note(
        fig,
        style.source_note(
            cube, measure=measure, years=[year], maps=True, geometry=shapes, vintage=vintage
        ),
        own=own,
    )
    return fig


def _label_shapes(ax: Axes, shapes: gpd.GeoDataFrame, column: str) -> None:
    if column not in shapes.columns:
        raise ValueError(f"label_column {column!r} is not a column of the geometry")
    points = shapes.geometry.representative_point()
    for x, y, text in zip(points.x, points.y, shapes[column].astype(str), strict=True):
        ax.annotate(text, (x, y), ha="center", va="center", fontsize=5)


# --------------------------------------------------------------------------- public
def choropleth(
    cube: xr.Dataset,
    measure: str,
    year: int,
    *,
    geometry: gpd.GeoDataFrame | None = None,
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_K,
    pool_years: Sequence[int] | None = None,
    london_inset: bool = True,
    figsize: tuple[float, float] = (7.5, 9.0),
    classification_kwds: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Choropleth of one measure in one year, on that year's council boundaries.

    Parameters
    ----------
    cube
        Council x year x measure cube (:func:`personalisation.load_cube`).
    measure
        Measure id, e.g. ``"sds_users"``.
    year
        Data year (year in which the financial year ends: 2021 is 2020-21).
    geometry
        Council polygons (``council_code``, ``geometry``, ``region_code``...) to draw on;
        default :func:`personalisation.geo.boundaries` of the year's geography vintage.
    scheme, k
        Classification (any :func:`mapclassify.classify` scheme) and number of classes.
    pool_years
        Further years whose values enter the class breaks, so that separate maps of
        those years share colours (the drawn year is always included).
    london_inset
        Add an inset of the London boroughs (region ``E12000007``) when there are any.
    figsize
        Figure size in inches (when a figure is made).
    classification_kwds
        Extra arguments for :func:`mapclassify.classify` (e.g. ``{"bins": [...]}`` with
        ``scheme="UserDefined"``).
    ax
        Draw into this Axes (its figure is returned, its layout left alone); default a
        new figure.

    Returns
    -------
    personalisation.plot.figure.Figure
        One map axes (plus the London inset axes), legend of classes and "no data",
        source and boundary attribution underneath.

    Raises
    ------
    UnknownMeasureError, MissingYearError
        When the measure or year is not in the cube.
    UnknownCouncilError
        When councils with values have no geometry (the cube is on another geography).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> fig = pz.plot.choropleth(cube, "sds_users", 2021)
    >>> fig.axes[0].get_title()
    'Service users receiving self-directed support, 2020-21'
    """
    return _single_map(
        cube,
        measure,
        int(year),
        geometry=geometry,
        layout="boundaries",
        scheme=scheme,
        k=k,
        pool_years=pool_years,
        london_inset=london_inset,
        figsize=figsize,
        classification_kwds=classification_kwds,
        ax=ax,
    )


def hexmap(
    cube: xr.Dataset,
    measure: str,
    year: int,
    *,
    geometry: gpd.GeoDataFrame | None = None,
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_K,
    pool_years: Sequence[int] | None = None,
    label_column: str | None = None,
    figsize: tuple[float, float] = (7.5, 9.0),
    classification_kwds: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Hex map of one measure in one year: one equal-area hexagon per council.

    Same classes, legend and attribution as :func:`choropleth`, drawn on the hex layout
    :func:`personalisation.geo.hexes` of the year's vintage (or ``geometry=``).  Hexes
    give London boroughs their full weight, so there is no inset.

    Parameters
    ----------
    cube, measure, year, scheme, k, pool_years, figsize, classification_kwds, ax
        As for :func:`choropleth`.
    geometry
        Hexagons with ``council_code`` and ``geometry``; default ``geo.hexes(vintage)``.
    label_column
        Column of ``geometry`` written in the middle of each hex (e.g. a short name).

    Returns
    -------
    personalisation.plot.figure.Figure

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["dp_users"])
    >>> fig = pz.plot.hexmap(cube, "dp_users", 2021)
    >>> fig.axes[0].get_title()
    'Service users receiving direct payments, 2020-21'
    """
    return _single_map(
        cube,
        measure,
        int(year),
        geometry=geometry,
        layout="hexes",
        scheme=scheme,
        k=k,
        pool_years=pool_years,
        london_inset=False,
        figsize=figsize,
        classification_kwds=classification_kwds,
        label_column=label_column,
        ax=ax,
    )


def small_multiples(
    cube: xr.Dataset,
    measure: str,
    years: Sequence[int] | None = None,
    *,
    geometry: gpd.GeoDataFrame | Mapping[int, gpd.GeoDataFrame] | None = None,
    layout: str = "boundaries",
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_K,
    ncols: int = 3,
    london_inset: bool = False,
    panel_size: tuple[float, float] = (3.2, 3.8),
    classification_kwds: Mapping[str, Any] | None = None,
    ax: Sequence[Axes] | None = None,
) -> Figure:
    """One map panel per year with a shared colour scale (breaks pooled over the years).

    Parameters
    ----------
    cube, measure
        As for :func:`choropleth`.
    years
        Years to draw (default every year in the cube with at least one value).
    geometry
        One GeoDataFrame for every year, a mapping year -> GeoDataFrame, or ``None`` for
        each year's own vintage from :mod:`personalisation.geo`.
    layout
        ``"boundaries"`` (polygons) or ``"hexes"`` (hex layout) when geometry is loaded.
    scheme, k, classification_kwds
        Classification, computed once on the values of all ``years`` stacked.
    ncols
        Panels per row.
    london_inset
        Add a London inset to every boundary panel.
    panel_size
        Width and height of one panel in inches (when a figure is made).
    ax
        Axes to draw the panels into, one per year, all in one figure (its layout is left
        alone); default a new figure.

    Returns
    -------
    personalisation.plot.figure.Figure
        One axes per year (titled with its period), one legend, source note.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> fig = pz.plot.small_multiples(cube, "sds_users", [2015, 2018, 2021])
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['2014-15', '2017-18', '2020-21']
    """
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, not {layout!r}")
    style.check_measure(cube, measure)
    if years is None:
        years = style.years_with_values(cube, measure)
    years = style.check_years(cube, years)
    if not years:
        raise ValueError(f"no year of {measure} has any value to draw")
    classes, colours = _classes_for(cube, measure, years, scheme, k, classification_kwds)

    own = ax is None
    if own:
        ncols = max(1, min(ncols, len(years)))
        nrows = math.ceil(len(years) / ncols)
        fig = new_figure((panel_size[0] * ncols + 2.2, panel_size[1] * nrows + 1.2))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        fig.subplots_adjust(
            left=0.01, right=1 - 2.2 / fig.get_figwidth(), top=0.9, bottom=0.08, wspace=0.02
        )
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.size < len(years):
            raise ValueError(
                f"ax= holds {axes.size} Axes for {len(years)} years: give one per year"
            )
        figures = {id(a.figure) for a in axes}
        if len(figures) != 1:
            raise ValueError("ax= must hold Axes of one figure")
        fig = axes[0].figure
    cache: dict[str, Any] = {}
    missing_names: list[str] = []
    vintages: list[str] = []
    last_shapes = None
    for panel, year in zip(axes, years, strict=False):
        shapes, vintage = _geometry_for_year(cube, year, geometry, layout, cache, measure)
        values = _aligned_values(cube, measure, year, shapes, vintage)
        _draw_panel(
            panel,
            shapes,
            values,
            classes,
            colours,
            edgecolor=style.BOUNDARY_EDGE,
            linewidth=0.8 if layout == "hexes" else 0.2,
        )
        london = _is_london(cube, shapes)
        if london_inset and layout == "boundaries" and london.any():
            _london_inset(panel, shapes, values, classes, colours, london)
        panel.set_title(style.period(cube, year), fontsize=9, y=1.0)
        missing_names += [
            f"{name} ({style.period(cube, year)})"
            for name in _council_names(cube, shapes)[~np.isfinite(values)]
        ]
        vintages += [vintage] if vintage else []
        last_shapes = shapes
    if own:
        for spare in axes[len(years) :]:
            fig.delaxes(spare)

    fig.legend(
        handles=_legend_handles(
            classes, colours, style.number_format(cube, measure), missing_names
        ),
        title=style.unit_title(cube, measure),
        loc="center right",
        fontsize=7,
        title_fontsize=8,
        frameon=False,
    )
    if own:
        fig.suptitle(
            "\n".join(textwrap.wrap(style.figure_title(cube, measure, years), 90)), fontsize=11
        )
    note = style.source_note(
        cube,
        measure=measure,
        years=years,
        maps=True,
        geometry=last_shapes,
        vintage=max(vintages) if vintages else None,
    )
    style.add_source_note(fig, note, own=own)
    return fig
