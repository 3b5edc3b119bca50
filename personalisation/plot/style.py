"""House style of every figure: colours, the "no data" hatch, titles, unit labels and the
source / attribution note.

Nothing here computes statistics; text is built from the cube's own labels and ``attrs``.

Examples
--------
>>> from personalisation.testing import make_cube
>>> from personalisation.plot import style
>>> cube = make_cube(years=[2021])
>>> style.figure_title(cube, "sds_users", 2021)
'Service users receiving self-directed support, 2020-21'
>>> style.value_label(cube, "sds_users")
'Service users receiving self-directed support (%)'
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation._provenance import ONS_ATTRIBUTION, OS_ATTRIBUTION
from personalisation.errors import MissingYearError, UnknownMeasureError
from personalisation.measures import year_to_period

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

#: Sequential colour map of every choropleth / hex map (colour-blind safe, prints in grey).
CMAP = "YlGnBu"
#: Face, edge and hatch of councils without a published value.
NO_DATA_FACE = "#f0f0f0"
NO_DATA_EDGE = "#8c8c8c"
NO_DATA_HATCH = "////"
NO_DATA_LABEL = "no data"
#: Outline of council polygons and hexagons.
BOUNDARY_EDGE = "#ffffff"
BOUNDARY_WIDTH = 0.3
#: Background councils in charts, the England line and highlighted councils.
CONTEXT_COLOUR = "#b0b0b0"
ENGLAND_COLOUR = "#000000"
HIGHLIGHT_COLOURS = ("#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1b9e77")
#: Unit names shown on axes and legends, by the cube's ``units`` coordinate.
UNIT_NAMES = {"%": "%", "people": "people"}
SOURCE_NOTE_WIDTH = 160
SOURCE_NOTE_SIZE = 6.0


def class_colours(n: int) -> np.ndarray:
    """``n`` RGBA colours of the house colour map, light (low) to dark (high).

    Examples
    --------
    >>> class_colours(5).shape
    (5, 4)
    """
    import matplotlib as mpl

    if n < 1:
        raise ValueError(f"need at least one class, got {n}")
    cmap = mpl.colormaps[CMAP]
    return cmap(np.linspace(0.15, 1.0, n) if n > 1 else np.array([0.6]))


def check_measure(cube: xr.Dataset, measure: str) -> None:
    """Raise :class:`UnknownMeasureError` when ``measure`` is not in the cube."""
    if measure not in cube["measure"].values:
        raise UnknownMeasureError(
            f"measure {measure!r} is not in the cube; it holds {list(map(str, cube['measure'].values))}"
        )


def check_years(cube: xr.Dataset, years: Iterable[int] | np.ndarray) -> list[int]:
    """The years as ints; raise :class:`MissingYearError` for any not in the cube."""
    have = [int(y) for y in cube["year"].values]
    years = [int(y) for y in years]
    absent = [y for y in years if y not in have]
    if absent:
        raise MissingYearError(f"year(s) {absent} not in the cube; years held: {have}")
    return years


def years_with_values(cube: xr.Dataset, measure: str) -> list[int]:
    """The years in which ``measure`` has a value for at least one council (the default years
    of a figure over time)."""
    held = cube["value"].sel(measure=measure).notnull().any("council")
    return [int(y) for y in cube["year"].values[held.values]]


def measure_label(cube: xr.Dataset, measure: str) -> str:
    """Human label of a measure, from the cube's ``measure_label`` coordinate."""
    check_measure(cube, measure)
    if "measure_label" in cube.coords:
        return str(cube["measure_label"].sel(measure=measure).item())
    return measure


def units(cube: xr.Dataset, measure: str) -> str:
    """Units of ``value`` for a measure: ``"%"`` for rates, ``"people"`` for counts."""
    check_measure(cube, measure)
    unit = str(cube["units"].sel(measure=measure).item()) if "units" in cube.coords else ""
    return UNIT_NAMES.get(unit, unit)


def period(cube: xr.Dataset, year: int) -> str:
    """Financial-year label of a data year (``2021`` -> ``'2020-21'``), from the cube."""
    if "period" in cube.coords and int(year) in cube["year"].values:
        return str(cube["period"].sel(year=int(year)).item())
    return year_to_period(int(year))


def period_range(cube: xr.Dataset, years: Sequence[int]) -> str:
    """``'2014-15'`` for one year, ``'2014-15 to 2019-20'`` for several."""
    years = sorted(int(y) for y in years)
    if len(years) == 1:
        return period(cube, years[0])
    return f"{period(cube, years[0])} to {period(cube, years[-1])}"


def figure_title(cube: xr.Dataset, measure: str, years: int | Sequence[int]) -> str:
    """Title naming the measure and the period: ``'<label>, 2020-21'``."""
    years = [years] if isinstance(years, int | np.integer) else list(years)
    return f"{measure_label(cube, measure)}, {period_range(cube, years)}"


def value_label(cube: xr.Dataset, measure: str) -> str:
    """Axis / legend label with units: ``'<label> (%)'`` or ``'<label> (people)'``."""
    return f"{measure_label(cube, measure)} ({units(cube, measure)})"


def unit_title(cube: xr.Dataset, measure: str) -> str:
    """Legend title naming the units: ``'Rate (%)'`` or ``'Count (people)'``."""
    unit = units(cube, measure)
    return f"Rate ({unit})" if unit == "%" else f"Count ({unit})"


def boundary_attribution(geometry: Any = None, vintage: str | int | None = None) -> str:
    """Attribution of boundaries / hexes: the GeoDataFrame's own ``attrs['attribution']``
    when it has one, else ONS (OGL v3) and Ordnance Survey Crown copyright."""
    attrs = getattr(geometry, "attrs", None) or {}
    if attrs.get("attribution"):
        return f"Boundaries: {attrs['attribution']}"
    year = str(vintage)[:4] if vintage is not None and str(vintage)[:4].isdigit() else ""
    os_text = OS_ATTRIBUTION.format(year=year) if year else OS_ATTRIBUTION.replace(" {year}", "")
    return f"Boundaries: {ONS_ATTRIBUTION} {os_text}"


#: Words that tie a source entry to a measure's framework (matched case-insensitively).
FRAMEWORK_KEYWORDS = {
    "ASCOF": ("ascof", "adult social care outcomes framework"),
    "PSS-EX1": ("pss-ex1", "pss_ex1"),
    "ONS MYE": ("mye", "population estimates"),
}


def _years_covered(entry: str) -> set[int]:
    """Data years an entry's title names: '2014-15 to 2018-19' -> 2015..2019, 'mid-2016' -> 2016."""
    import re

    years = [int(a) + 1 for a in re.findall(r"\b(\d{4})-\d{2}\b", entry)]
    years += [int(a) for a in re.findall(r"\bmid-(\d{4})\b", entry)]
    if not years:
        return set()
    if " to " in entry and len(years) >= 2:
        return set(range(min(years), max(years) + 1))
    return set(years)


def relevant_sources(
    cube: xr.Dataset, measure: str | None = None, years: Sequence[int] | None = None
) -> list[str]:
    """The entries of ``cube.attrs['sources']`` behind one measure in some years.

    Entries are kept when they belong to the measure's framework (ASCOF, PSS-EX1, ONS
    mid-year estimates, from the measure registry) and, when their title names years,
    when those overlap ``years``.  When nothing matches, every entry is kept (never an
    empty source line).

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(years=[2021])
    >>> cube.attrs["sources"] = ("NHS Digital: ASCOF, England 2020-21 [a]; "
    ...     "NHS Digital: ASCOF, England 2014-15 to 2018-19 [b]; ONS: Population estimates mid-2020 [c]")
    >>> relevant_sources(cube, "sds_users", [2021])
    ['NHS Digital: ASCOF, England 2020-21 [a]']
    """
    from personalisation import measures as measure_registry

    entries = [e.strip() for e in str(cube.attrs.get("sources", "")).split("; ") if e.strip()]
    if measure is None or not entries:
        return entries
    try:
        frameworks = set(measure_registry.get(measure).framework.values())
    except KeyError:
        return entries
    keywords = [
        word
        for family, words in FRAMEWORK_KEYWORDS.items()
        if any(family in f for f in frameworks)
        for word in words
    ]
    kept = [e for e in entries if any(word in e.lower() for word in keywords)]
    if years is not None:
        wanted = {int(y) for y in years}
        kept = [e for e in kept if not _years_covered(e) or _years_covered(e) & wanted]
    return kept or entries


def source_note(
    cube: xr.Dataset,
    *,
    measure: str | None = None,
    years: Sequence[int] | None = None,
    maps: bool = False,
    geometry: Any = None,
    vintage: str | int | None = None,
) -> str:
    """The source line printed under a figure.

    Built from ``cube.attrs``: the ``sources`` entries behind ``measure`` in ``years``
    (:func:`relevant_sources`; all entries when no measure is given), ``attribution``,
    ``licence`` (unless the attribution already names it) and ``data_version``; maps add
    :func:`boundary_attribution` (ONS, OGL v3, and "Contains OS data © Crown copyright
    and database right").

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> note = source_note(make_cube(), maps=True, vintage="2021")
    >>> "Contains OS data © Crown copyright and database right 2021" in note
    True
    """
    attrs = cube.attrs
    parts = []
    sources = relevant_sources(cube, measure, years)
    if sources:
        parts.append(f"Source: {'; '.join(sources)}.")
    if attrs.get("attribution"):
        parts.append(str(attrs["attribution"]))
    licence = str(attrs.get("licence", ""))
    licence_name = licence.split(" (")[0]
    if licence and licence.lower() != "none" and licence_name not in " ".join(parts):
        parts.append(f"Licence: {licence}.")
    if attrs.get("data_version"):
        parts.append(f"Data version {attrs['data_version']}.")
    if maps:
        parts.append(boundary_attribution(geometry, vintage))
    sentences = [p.strip() for p in parts if p.strip()]
    return " ".join(p if p.endswith((".", "!", "?")) else f"{p}." for p in sentences)


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Any, Axes, bool]:
    """The figure and Axes to draw into, and whether the figure is ours.

    ``ax=None``: a new :class:`personalisation.plot.figure.Figure` (not registered with
    pyplot) with one Axes, whose layout the plot function then sets.  An Axes: its own
    figure, whose layout is left to the caller (``figsize`` is ignored).

    Examples
    --------
    >>> fig, ax, own = figure_and_axes(None, (4, 3))
    >>> own, ax.figure is fig
    (True, True)
    >>> figure_and_axes(ax, (8, 8))[2]
    False
    """
    if ax is None:
        from personalisation.plot.figure import new_figure

        fig = new_figure(figsize)
        return fig, fig.add_subplot(), True
    from matplotlib.axes import Axes as _Axes

    if not isinstance(ax, _Axes):
        raise TypeError(f"ax= must be a matplotlib Axes, not {type(ax).__name__}")
    return ax.figure, ax, False


def add_source_note(
    fig: Figure, text: str, *, reserve: float = 0.1, own: bool = True
) -> Text | None:
    """Write ``text`` wrapped at the bottom left of ``fig`` (gid ``'source_note'``).

    The figure's bottom margin grows to fit the note plus ``reserve`` inches above it
    (room for tick labels and the x-axis label of charts), so the note never overlaps
    the plot.  For a caller's figure (``own=False``, a plot drawn with ``ax=``) the note
    is written once per figure, and the margin is changed only when the figure has no
    layout engine of its own.
    """
    if not own:
        if any(t.get_gid() == "source_note" for t in fig.texts):
            return None
        if fig.get_layout_engine() is not None:
            note = fig.text(
                0.01, 0.005, text, ha="left", va="bottom", fontsize=SOURCE_NOTE_SIZE,
                color="#444444", wrap=True,
            )  # fmt: skip
            note.set_gid("source_note")
            return note
    width = max(60, int(fig.get_figwidth() * 72 / (0.52 * SOURCE_NOTE_SIZE) * 0.95))
    lines = textwrap.wrap(text, width)
    note = fig.text(
        0.01,
        0.005,
        "\n".join(lines),
        ha="left",
        va="bottom",
        fontsize=SOURCE_NOTE_SIZE,
        color="#444444",
    )
    note.set_gid("source_note")
    needed = (len(lines) * SOURCE_NOTE_SIZE * 1.25 / 72 + 0.05 + reserve) / fig.get_figheight()
    if fig.subplotpars.bottom < needed:
        fig.subplots_adjust(bottom=min(needed, 0.6))
    return note


def number_format(cube: xr.Dataset, measure: str) -> str:
    """Format spec of values in legends: one decimal for rates, thousands for counts."""
    return ",.0f" if units(cube, measure) == "people" else ".1f"
