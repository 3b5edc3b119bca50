"""Figure: the funnel plot of one measure in one year, drawn from :func:`personalisation.stats.funnel`.

Artists carry gids so the content can be checked: councils ``"councils"``, the target line,
limits ``"limit_95"`` / ``"limit_998"``, outlier labels ``"outlier_label"``, highlighted
councils their council code, and the notes on councils left out or not in force.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation.plot import style
from personalisation.plot.charts import (
    _council_name,
    _finish,
    _level_text,
    _resolve_councils,
    _side_note,
    _wrapped,
)
from personalisation.plot.figure import Figure

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

__all__ = ["funnel"]


def _stacked_offsets(
    x: np.ndarray, y: np.ndarray, *, near_x: float = 0.12, near_y: float = 0.02
) -> list[float]:
    """Downward offsets (points) so labels of nearby points (x, y in 0..1) do not overprint.

    Points are taken in the given order; a label within ``near_x`` and ``near_y`` of an
    earlier label is moved 7 points below the lowest of them.
    """
    placed: list[tuple[float, float, float]] = []
    offsets = []
    for xi, yi in zip(x, y, strict=True):
        clash = [o for (px, py, o) in placed if abs(px - xi) < near_x and abs(py - yi) < near_y]
        offset = max(clash) + 7.0 if clash else 0.0
        placed.append((xi, yi, offset))
        offsets.append(offset)
    return offsets


def funnel(
    cube: xr.Dataset,
    measure: str,
    year: int | None = None,
    *,
    result: Any = None,
    label_level: float | None = None,
    highlight: Sequence[str] = (),
    figsize: tuple[float, float] = (8.0, 5.5),
    ax: Axes | None = None,
    **options: Any,
) -> Figure:
    """Funnel plot: each council's rate against its denominator, with control limits.

    Draws a :class:`personalisation.stats.FunnelResult`: the one given as ``result=``, or
    ``stats.funnel(cube, measure, year, **options)`` with the statistics' own defaults
    (additive overdispersion, arcsine scale, exact binomial limits for small
    denominators).  Points, limits and flags are the result's numbers; nothing is
    recomputed with other settings.

    Parameters
    ----------
    cube, measure, year
        Cube, rate measure id and one year (default the last year with counts).
    result
        A result of :func:`personalisation.stats.funnel` for this cube, measure and year.
    label_level
        Councils flagged outside the limits of this level are labelled with their name
        (default the outermost level).
    highlight
        Council codes or names to draw in colour and label whatever their position.
    figsize
        Figure size in inches (when a figure is made).
    ax
        Draw into this Axes (its figure is returned); default a new figure.
    **options
        Passed to :func:`personalisation.stats.funnel` (``overdispersion``, ``scale``,
        ``exact_below``, ``winsor``, ``levels``, ``target``); not with ``result=``.

    Returns
    -------
    personalisation.plot.figure.Figure
        One axes: council points (gid ``"councils"``), target line (``"target"``), limit
        curves (``"limit_95"``, ``"limit_998"``: lower and upper), outlier labels
        (``"outlier_label"``), highlighted councils (gid = code), source note and a note
        of councils without counts (gid ``"excluded_note"``).

    Raises
    ------
    MissingYearError
        When no council has counts in that year (e.g. 2019-20).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> result = pz.stats.funnel(cube, "sds_users", 2018)
    >>> fig = pz.plot.funnel(cube, "sds_users", 2018, result=result)
    >>> fig.axes[0].get_title()
    'Service users receiving self-directed support, 2017-18: funnel plot'
    """
    from personalisation import stats
    from personalisation import units as u

    style.check_measure(cube, measure)
    if result is None:
        result = stats.funnel(cube, measure, year, **options)
    elif options:
        raise TypeError(
            f"give either result= or options for stats.funnel, not both: {sorted(options)}"
        )
    if result.measure != measure or (year is not None and result.year != int(year)):
        raise ValueError(f"result= is for {result.measure} {result.year}, not {measure} {year}")
    year = result.year
    levels = list(result.levels)
    label_level = levels[-1] if label_level is None else float(label_level)
    if label_level not in levels:
        raise ValueError(f"label_level {label_level} is not one of levels {levels}")
    chosen = _resolve_councils(cube, highlight)
    table = result.table
    used = table[np.isfinite(table["denominator"]) & np.isfinite(table["rate"])]
    grid = np.linspace(
        max(1.0, 0.8 * used["denominator"].min()), 1.05 * used["denominator"].max(), 300
    )
    limits = result.limits(grid)
    lower_columns = [c for c in limits.columns if c.startswith("lower_")]
    flag_columns = [c for c in table.columns if c.startswith("flag_")]
    labels = [c.removeprefix("lower_") for c in lower_columns]

    fig, ax, own = style.figure_and_axes(ax, figsize)
    if own:
        fig.subplots_adjust(left=0.1, right=0.78, top=0.9, bottom=0.17)
    points = ax.scatter(
        used["denominator"],
        used["rate"],
        s=14,
        color="#4a6f8a",
        alpha=0.8,
        edgecolor="none",
        zorder=3,
        label=f"Councils ({len(used)})",
    )
    points.set_gid("councils")
    points.council_codes = tuple(used["council"])  # type: ignore[attr-defined]
    given_target = "target" in options and options["target"] is not None
    target_line = ax.axhline(
        result.target,
        color=style.ENGLAND_COLOUR,
        linewidth=1.2,
        zorder=2,
        label=(
            f"Target {u.format_rate(result.target)}"
            if given_target or result.target != result.pooled_rate
            else f"Councils pooled {u.format_rate(result.target)}"
        ),
    )
    target_line.set_gid("target")
    adjusted = result.phi_used != 1.0 or result.tau2_used != 0.0
    how = f"{result.scale} scale" + (
        f", {result.overdispersion} overdispersion" if adjusted else ""
    )
    for i, (level, label, lower) in enumerate(zip(levels, labels, lower_columns, strict=True)):
        linestyle = "-" if i == len(levels) - 1 else "--"
        text = f"{_level_text(level)} limits\n({how})"
        for column, legend in ((lower, text), (f"upper_{label}", None)):
            (line,) = ax.plot(
                limits["denominator"],
                limits[column],
                color="#666666",
                linewidth=1.0,
                linestyle=linestyle,
                zorder=1,
                label=legend,
            )
            line.set_gid(f"limit_{label}")

    flag_column = flag_columns[levels.index(label_level)]
    outliers = used[used[flag_column].isin(["above", "below"]) & ~used["council"].isin(chosen)]
    outliers = outliers.sort_values(["rate", "denominator"], ascending=[False, True])
    offsets = _stacked_offsets(
        outliers["denominator"].to_numpy(dtype=float) / max(float(grid[-1]), 1.0),
        u.to_proportion(outliers["rate"].to_numpy(dtype=float)),
    )
    for row, dy in zip(outliers.itertuples(), offsets, strict=True):
        note = ax.annotate(
            row.council_name,
            (row.denominator, row.rate),
            xytext=(3, 3 - dy),
            textcoords="offset points",
            fontsize=6,
            color="#333333",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.4} if dy else None,
        )
        note.set_gid("outlier_label")
    absent = []
    for i, code in enumerate(chosen):
        colour = style.HIGHLIGHT_COLOURS[i % len(style.HIGHLIGHT_COLOURS)]
        rows = table[table["council"] == code]
        if rows.empty or (rows["reason"] == "not-in-geography").all():
            absent.append(f"{_council_name(cube, code)} ({code})")  # e.g. an abolished council
            continue
        row = rows.iloc[0]
        (marker,) = ax.plot(
            [row["denominator"]],
            [row["rate"]],
            marker="o",
            markersize=7,
            linestyle="none",
            color=colour,
            zorder=5,
            label=_council_name(cube, code),
        )
        marker.set_gid(code)
        if np.isfinite(row["rate"]):
            ax.annotate(
                _council_name(cube, code),
                (row["denominator"], row["rate"]),
                xytext=(4, -8),
                textcoords="offset points",
                fontsize=7,
                color=colour,
            ).set_gid("highlight_label")

    excluded = int(
        (~table["council"].isin(used["council"]) & (table["reason"] != "not-in-geography")).sum()
    )
    notes = []
    if excluded:
        notes.append(f"Not shown: {excluded} council(s) without counts ({result.excluded}).")
    if absent:
        notes.append(f"Not a council in {year}: {', '.join(absent)}.")
    if notes:
        _side_note(ax, " ".join(notes), "excluded_note" if excluded else "absent_note")
    ax.set_xlabel("Denominator (people)")
    ax.set_ylabel(_wrapped(style.value_label(cube, measure)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    ax.set_xlim(0, grid[-1])
    _finish(
        fig,
        ax,
        cube,
        f"{style.figure_title(cube, measure, year)}: funnel plot",
        measure,
        [year],
        own=own,
    )
    return fig


# --------------------------------------------------------------------------- regions
