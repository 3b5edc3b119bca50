"""Figures of the national story: England's series with the targets, and councils' spread by year.

:func:`national` draws :func:`personalisation.national_series` as it is: one line per series
(reported figures dashed, published ones solid), the ADASS / TLAP survey points apart, a dotted
vertical at every series break, and the national targets (:func:`personalisation.targets`) as
lines ending at their deadlines.  :func:`council_spread` draws the councils' published values
as one box per year, beside the councils' extremes reported at the time
(:func:`personalisation.reported`) for the years before council files exist: shown as what they
are, two reported councils, never as a distribution.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.periods import year_to_period
from personalisation.plot import style
from personalisation.plot.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["council_spread", "national"]

#: Colour of targets and reported council extremes.
TARGET_COLOUR = "#b2182b"
_REPORTED_SOURCES = (
    "Reported figures: Community Care, Think Local Act Personal (cited row by row in "
    "pz.reported()); published: NHS Digital / NHS England / DHSC ASCOF (OGL v3)."
)


def _label(measure: str) -> str:
    from personalisation import measures

    return measures.get(measure).label


def national(
    series: pd.DataFrame,
    measure: str,
    *,
    targets: pd.DataFrame | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (8.5, 4.8),
) -> Figure:
    """England's figures over the years, one line per series, with breaks and targets.

    Parameters
    ----------
    series
        :func:`personalisation.national_series` (rows with ``as_at`` are survey points).
    measure
        The measure of ``series`` (``"sds_users"`` or ``"dp_users"``).
    targets
        :func:`personalisation.targets`, drawn for ``sds_users`` (the targets were set for
        personal budgets); ``None`` draws none.
    ax
        Draw into this Axes (its figure is returned); default a new figure.
    figsize
        Size of a new figure, in inches.

    Returns
    -------
    personalisation.plot.figure.Figure
        Lines labelled by series (gid ``"series"``), survey points (gid ``"survey"``),
        breaks (gid ``"series_break"``), targets (gid ``"target"``), a source note.

    Examples
    --------
    >>> import personalisation as pz
    >>> series = pz.national_series("sds_users", surveys=True, start=2010)
    >>> fig = pz.plot.national(series, "sds_users", targets=pz.targets())
    >>> [line.get_label() for line in fig.axes[0].lines if line.get_gid() == "series"][-1]
    'ASCOF 3D (CLD)'
    """
    fig, ax, own = style.figure_and_axes(ax, figsize)
    yearly = series[series["as_at"] == ""]
    drawn = yearly[yearly["series"] != ""]
    for i, (name, part) in enumerate(drawn.groupby("series", sort=False)):
        published = part["source"].iloc[0] == "published"
        (line,) = ax.plot(
            part["year"], part["value"], "o-" if published else "s--", label=name, color=f"C{i}"
        )
        line.set_gid("series")
    survey = series[series["as_at"] != ""]
    if len(survey):
        (points,) = ax.plot(
            survey["year"],
            survey["value"],
            "D",
            color="grey",
            label="ADASS / TLAP survey (eligible base)",
        )
        points.set_gid("survey")
    for year, why in zip(yearly["year"], yearly["series_break"], strict=True):
        if why:
            ax.axvline(year - 0.5, color="#777777", linestyle=":", linewidth=1).set_gid(
                "series_break"
            )
    first, last = int(series["year"].min()), int(series["year"].max())
    if targets is not None and measure == "sds_users":
        for target in targets.itertuples():
            deadline = target.deadline.year  # April of the deadline year ends a financial year
            ax.hlines(
                target.threshold_percent, first, deadline, colors=TARGET_COLOUR, linestyles="-."
            ).set_gid("target")
            ax.annotate(
                f"{target.threshold_percent:.0f}% by {target.deadline:%b %Y}",
                (deadline, target.threshold_percent),
                fontsize=7,
                color=TARGET_COLOUR,
                ha="right",
                va="bottom",
            )
    ax.set_xlim(first - 0.7, last + 0.7)
    ax.set_ylim(0, 105)
    ax.set_xlabel("year ending 31 March")
    ax.set_ylabel("\n".join(textwrap.wrap(f"{_label(measure)} (%)", 45)))
    if own:
        ax.set_title(
            f"England: {_label(measure)}, {year_to_period(first)} to {year_to_period(last)}",
            fontsize=9,
        )
    ax.legend(fontsize=6, loc="lower right")
    style.add_source_note(fig, _REPORTED_SOURCES, own=own)
    return fig


def council_spread(
    cube: xr.Dataset,
    measure: str,
    years: Sequence[int] | None = None,
    *,
    reported: pd.DataFrame | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (8.5, 4.6),
) -> Figure:
    """Councils' published values as one box per year, with the extremes reported earlier.

    Parameters
    ----------
    cube
        The cube.
    measure
        Rate measure.
    years
        Years of the axis (default every year of the cube from the first reported or
        published one); a box is drawn for each year with published council values.
    reported
        :func:`personalisation.reported` rows (``personal_budget_takeup``); the council rows
        (GSS council codes) are drawn as marked, labelled points for ``sds_users``.
    ax
        Draw into this Axes (its figure is returned); default a new figure.
    figsize
        Size of a new figure, in inches.

    Returns
    -------
    personalisation.plot.figure.Figure
        The boxes, reported points (gid ``"reported_council"``) and a source note.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> reported = pz.reported("personal_budget_takeup")
    >>> fig = pz.plot.council_spread(cube, "sds_users", range(2010, 2026), reported=reported)
    >>> sorted({t.get_text().split(" ")[0] for t in fig.axes[0].texts})
    ['Manchester', 'Somerset']
    """
    style.check_measure(cube, measure)
    values = cast(
        pd.DataFrame, cube["value"].sel(measure=measure).transpose("council", "year").to_pandas()
    )
    axis_years = (
        [int(y) for y in years] if years is not None else [int(y) for y in cube["year"].values]
    )
    published = [y for y in axis_years if y in values.columns and values[y].notna().any()]
    fig, ax, own = style.figure_and_axes(ax, figsize)
    if published:
        ax.boxplot(
            [values[y].dropna().to_numpy() for y in published],
            positions=published,
            widths=0.6,
            showfliers=True,
            manage_ticks=False,
        )
    if reported is not None and measure == "sds_users":
        councils = reported[reported["geography_code"].str.match(r"^E(06|08|09|10)")]
        stacked = {"v": 0, "^": 0}  # labels of the same kind step apart, never overlap
        for row in councils.sort_values("year").itertuples():
            if axis_years[0] <= row.year <= axis_years[-1]:
                marker = "v" if row.value < 30 else "^"
                (point,) = ax.plot(row.year, row.value, marker, color=TARGET_COLOUR)
                point.set_gid("reported_council")
                step = stacked[marker]
                stacked[marker] += 1
                ax.annotate(
                    f"{row.geography_name} {row.value:g}% (reported)",
                    (row.year, row.value),
                    fontsize=6,
                    xytext=(4, 8 * step if marker == "v" else -8 * step),
                    textcoords="offset points",
                )
    ax.set_xticks(axis_years, labels=[str(y) for y in axis_years])
    ax.tick_params(axis="x", labelsize=7, rotation=45)
    ax.set_xlim(axis_years[0] - 0.7, axis_years[-1] + 0.7)
    ax.set_ylim(0, 105)
    ax.set_xlabel("year ending 31 March")
    ax.set_ylabel("\n".join(textwrap.wrap(f"{_label(measure)} (%)", 45)))
    if own:
        ax.set_title(
            "Council figures: reported extremes only before 2014-15; published distribution after",
            fontsize=9,
        )
    n = int(np.isfinite(values[published].to_numpy()).sum()) if published else 0
    style.add_source_note(
        fig, f"{_REPORTED_SOURCES} {n} published council-years.", reserve=0.55, own=own
    )
    return fig
