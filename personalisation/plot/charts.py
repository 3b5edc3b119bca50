"""Charts of one measure across councils: trajectories over years and regions.

Statistics (pooled rates, intervals, funnel limits, outlier flags) all come from
:mod:`personalisation.stats`; this module only draws them.  Artists carry gids so the
content can be checked: council lines ``"councils"``, the England line ``"England"``,
highlighted councils their council code, series breaks ``"series_break"``.  The funnel plot
is in :mod:`personalisation.plot.funnels`.

Figures are :class:`personalisation.plot.figure.Figure` objects (matplotlib Figures not
registered with pyplot) that display inline when returned from a notebook cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from personalisation import measures as measure_registry
from personalisation.plot import style
from personalisation.plot.figure import Figure

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes


def _resolve_councils(cube: xr.Dataset, councils: Sequence[str]) -> list[str]:
    """Council codes for codes or names (:func:`personalisation.geo.find.council_code_in`)."""
    from personalisation.geo.find import council_code_in

    if isinstance(councils, str):
        councils = [councils]
    return [council_code_in(cube, council) for council in councils]


def _council_name(cube: xr.Dataset, code: str) -> str:
    if "council_name" in cube.coords:
        return str(cube["council_name"].sel(council=code).item())
    return code


def _wrapped(text: str, width: int = 45) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _side_note(ax: Axes, text: str, gid: str) -> None:
    """A small note right of the axes, under the legend."""
    ax.text(
        1.02,
        0.0,
        _wrapped(text, 34),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=6,
        color="#444444",
        gid=gid,
    )


def _finish(
    fig: Figure,
    ax: Axes,
    cube: xr.Dataset,
    title: str,
    measure: str,
    years: Sequence[int],
    reserve: float = 0.75,
    own: bool = True,
) -> None:
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(title, 80)), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    style.add_source_note(
        fig, style.source_note(cube, measure=measure, years=years), reserve=reserve, own=own
    )


# --------------------------------------------------------------------------- trajectories
def _england_series(
    cube: xr.Dataset, measure: str, years: list[int], england: Any
) -> tuple[pd.Series | None, str]:
    """England values by year in the measure's units, and their legend label."""
    import xarray as xr

    if england is False:
        return None, ""
    kind = str(cube["kind"].sel(measure=measure).item()) if "kind" in cube.coords else "rate"
    if england is None or england is True:
        if kind != "rate":
            if england is True:
                raise ValueError(
                    f"{measure} is a count: there is no pooled England rate to draw; pass the "
                    "published England figures as england=<Series or Dataset> or england=False"
                )
            return None, ""
        from personalisation import stats

        table = stats.regional(cube, measure, years, england=True).table
        rows = table[table["group_type"] == "England"]
        series = pd.Series(rows["pooled_rate"].to_numpy(), index=rows["year"].astype(int))
        return series.reindex(years), "England (councils pooled)"
    if isinstance(england, xr.Dataset):
        values = england["value"].sel(measure=measure)
        if "council" in values.dims:
            if values.sizes["council"] != 1:
                raise ValueError(
                    f"england= Dataset must hold one geography (England), not "
                    f"{values.sizes['council']}: {list(values['council'].values[:5])}"
                )
            values = values.isel(council=0)
        series = values.to_series()
        series.index = series.index.astype(int)
        return series.reindex(years), "England (published)"
    if isinstance(england, pd.Series):
        series = england.copy()
        series.index = series.index.astype(int)
        return series.reindex(years), "England"
    raise TypeError(
        f"england must be True/False/None, an England Dataset or a Series, not {type(england)}"
    )


def _series_breaks(ax: Axes, measure: str, years: list[int]) -> None:
    """Dotted vertical lines at the measure's registered series breaks inside the range."""
    try:
        breaks = measure_registry.get(measure).breaks
    except KeyError:
        return
    for period in breaks:
        try:
            year = measure_registry.period_to_year(period)
        except ValueError:
            continue
        if years[0] < year <= years[-1]:
            line = ax.axvline(year - 0.5, color="#777777", linestyle=":", linewidth=1, zorder=1)
            line.set_gid("series_break")
            ax.annotate(
                "series break",
                (year - 0.5, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                ha="right",
                va="top",
                fontsize=6,
                color="#555555",
            )


def trajectories(
    cube: xr.Dataset,
    measure: str,
    *,
    highlight: Sequence[str] = (),
    years: Sequence[int] | None = None,
    england: bool | xr.Dataset | pd.Series | None = None,
    show_breaks: bool = True,
    figsize: tuple[float, float] = (8.0, 5.5),
    ax: Axes | None = None,
) -> Figure:
    """Every council's value over the years, with the England line and chosen councils.

    Parameters
    ----------
    cube
        Council x year x measure cube.
    measure
        Measure id.
    highlight
        Council codes (or names) drawn in colour and labelled; the rest are grey.
    years
        Years to show (default the years in which the measure has any value).
    england
        ``None`` (default): for rate measures the England rate pooled over the cube's
        councils (:func:`personalisation.stats.regional`; NaN, so a gap, in years without
        counts), none for counts.  ``True``: the same but required.  An England cube
        (``load_cube(geography_level="england")``) or a Series by year: the published
        England figures.  ``False``: no England line.
    show_breaks
        Mark the measure's registered series breaks (dotted vertical lines).
    figsize
        Figure size in inches (when a figure is made).
    ax
        Draw into this Axes (its figure is returned and its layout left alone); default
        a new figure.

    Returns
    -------
    personalisation.plot.figure.Figure
        One axes: a LineCollection of all councils (gid ``"councils"``), one Line2D per
        highlighted council (gid = its code, label = its name), the England line (gid
        ``"England"``), legend, source note.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> fig = pz.plot.trajectories(cube, "sds_users", highlight=["Manchester"])
    >>> [line.get_label() for line in fig.axes[0].lines][:2]
    ['England (councils pooled)', 'Manchester']
    """
    from matplotlib.collections import LineCollection

    style.check_measure(cube, measure)
    if years is None:
        years = style.years_with_values(cube, measure)
    years = sorted(style.check_years(cube, years))
    chosen = _resolve_councils(cube, highlight)
    values = cube["value"].sel(measure=measure, year=years).transpose("council", "year")
    codes = [str(c) for c in values["council"].values]
    data = values.to_numpy().astype(float)
    x = np.asarray(years, dtype=float)

    fig, ax, own = style.figure_and_axes(ax, figsize)
    if own:
        fig.subplots_adjust(left=0.1, right=0.78, top=0.9, bottom=0.2)
    segments = np.stack([np.broadcast_to(x, data.shape), data], axis=-1)
    context = LineCollection(
        list(segments), colors=style.CONTEXT_COLOUR, linewidths=0.6, alpha=0.7, zorder=2
    )
    context.set_gid("councils")
    context.set_label(f"Councils ({len(codes)})")
    context.council_codes = tuple(codes)  # type: ignore[attr-defined]  # council of each line
    ax.add_collection(context)

    england_values, england_label = _england_series(cube, measure, years, england)
    if england_values is not None:
        (line,) = ax.plot(
            x,
            england_values.to_numpy(dtype=float),
            color=style.ENGLAND_COLOUR,
            linewidth=2.4,
            marker="o",
            markersize=3,
            label=england_label,
            zorder=4,
        )
        line.set_gid("England")

    for i, code in enumerate(chosen):
        colour = style.HIGHLIGHT_COLOURS[i % len(style.HIGHLIGHT_COLOURS)]
        (line,) = ax.plot(
            x,
            data[codes.index(code)],
            color=colour,
            linewidth=1.8,
            marker="o",
            markersize=3,
            label=_council_name(cube, code),
            zorder=5,
        )
        line.set_gid(code)

    if show_breaks:
        _series_breaks(ax, measure, years)
    ax.autoscale_view()
    ax.set_xticks(x)
    ax.set_xticklabels([style.period(cube, y) for y in years], rotation=45, ha="right")
    ax.set_xlabel("Financial year")
    ax.set_ylabel(_wrapped(style.value_label(cube, measure)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    _finish(fig, ax, cube, style.figure_title(cube, measure, years), measure, years, 1.1, own)
    return fig


# --------------------------------------------------------------------------- funnel
def _level_text(level: float) -> str:
    """0.95 -> '95%', 0.998 -> '99.8%'."""
    from personalisation import units as u

    return f"{float(u.to_percent(level)):.6g}%"


def _overall_name(cube: xr.Dataset) -> str:
    """What the pooled row over all the cube's councils stands for: England, or the one
    region a cut of the cube holds (a London-only cut pools London, not England)."""
    regions = (
        sorted(set(cube["region_name"].values.tolist())) if "region_name" in cube.coords else []
    )
    return regions[0] if len(regions) == 1 else "England"


def regions(
    cube: xr.Dataset,
    measure: str,
    year: int,
    *,
    by: str = "region",
    level: float = 0.95,
    interval: str = "overdispersed",
    result: Any = None,
    highlight: Sequence[str] = (),
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 5.5),
    ax: Axes | None = None,
) -> Figure:
    """Councils as points per region, with each region's pooled rate and its interval.

    Draws a :class:`personalisation.stats.RegionalResult` (``result=``, or
    ``stats.regional(cube, measure, year, by=by, level=level)``): pooled rates, their
    intervals and the England row; council points are the published values.

    Parameters
    ----------
    cube, measure, year
        Cube, rate measure id and one year.
    by
        ``"region"`` or ``"council_type"``.
    level
        Confidence level of the pooled intervals.
    interval
        ``"overdispersed"`` (default: allows for councils differing more than binomial
        sampling, see :func:`personalisation.stats.overdispersed_interval`) or
        ``"wilson"`` (binomial sampling only: far narrower, as if each group's clients
        were one sample).
    result
        A result of :func:`personalisation.stats.regional` for this cube, measure and year.
    highlight
        Council codes or names drawn in colour and labelled.
    title
        Figure title; default the measure label and period (say which councils a cut of
        the cube holds, e.g. "London boroughs by council type").
    figsize
        Figure size in inches (when a figure is made).
    ax
        Draw into this Axes (its figure is returned); default a new figure.

    Returns
    -------
    personalisation.plot.figure.Figure
        One axes with a row per group (y tick labels = group names): council points
        (gid ``"councils"``, with ``council_codes``), pooled rates with intervals (gid
        ``"pooled"``), the England pooled rate line and band (gid ``"England"``),
        highlighted councils (gid = code).  In years without counts the pooled rates are
        missing and the figure says why (gid ``"pooled_note"``).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> fig = pz.plot.regions(cube, "sds_users", 2018)
    >>> [t.get_gid() for t in fig.texts]
    ['source_note']
    """
    from personalisation import stats
    from personalisation import units as u

    style.check_measure(cube, measure)
    (year,) = style.check_years(cube, [year])
    chosen = _resolve_councils(cube, highlight)
    if interval not in ("overdispersed", "wilson"):
        raise ValueError(f"interval must be 'overdispersed' or 'wilson', not {interval!r}")
    if result is None:
        result = stats.regional(cube, measure, year, by=by, level=level, england=True)
    if result.measure != measure or list(result.years) != [year]:
        raise ValueError(f"result= is for {result.measure} {result.years}, not {measure} {year}")
    by, level = result.by, result.level
    low_column, high_column = (
        ("od_ci_low", "od_ci_high") if interval == "overdispersed" else ("ci_low", "ci_high")
    )
    table = result.table
    groups = table[table["group_type"] != "England"].reset_index(drop=True)
    england = table[table["group_type"] == "England"].iloc[0]
    key_coord = "region_code" if by == "region" else "council_type"
    position = {str(g): i for i, g in enumerate(groups["group"])}

    values = cube["value"].sel(measure=measure, year=year)
    codes = np.array([str(c) for c in values["council"].values])
    keys = np.array([str(k) for k in cube[key_coord].values])
    data = values.to_numpy().astype(float)
    have = np.isfinite(data)
    y = np.array([position.get(k, np.nan) for k in keys], dtype=float)
    # spread the councils of a group over a thin band, in code order (deterministic)
    offset = np.zeros(len(codes))
    for key in position:
        members = np.flatnonzero(keys == key)
        offset[members] = np.linspace(-0.18, 0.18, len(members)) if len(members) > 1 else 0.0
    y = y + offset

    fig, ax, own = style.figure_and_axes(ax, figsize)
    if own:
        fig.subplots_adjust(left=0.28, right=0.78, top=0.9, bottom=0.14)
    points = ax.scatter(
        data[have],
        y[have],
        s=14,
        color=style.CONTEXT_COLOUR,
        edgecolor="none",
        zorder=2,
        label=f"Councils ({int(have.sum())})",
    )
    points.set_gid("councils")
    points.council_codes = tuple(codes[have])  # type: ignore[attr-defined]

    pooled = groups["pooled_rate"].to_numpy(dtype=float)
    low = groups[low_column].to_numpy(dtype=float)
    high = groups[high_column].to_numpy(dtype=float)
    # a group of one council has no overdispersion estimate: its Wilson interval is drawn
    low = np.where(np.isfinite(low), low, groups["ci_low"].to_numpy(dtype=float))
    high = np.where(np.isfinite(high), high, groups["ci_high"].to_numpy(dtype=float))
    bars = ax.errorbar(
        pooled,
        np.arange(len(groups)),
        xerr=np.vstack([pooled - low, high - pooled]),
        fmt="D",
        color=style.ENGLAND_COLOUR,
        markersize=5,
        capsize=3,
        zorder=4,
        label=(
            f"Pooled rate, {_level_text(level)} interval"
            + (" (between-council variation)" if interval == "overdispersed" else " (Wilson)")
        )
        if np.isfinite(pooled).any()
        else None,
    )
    for artist in bars.get_children():
        artist.set_gid("pooled")
    if np.isfinite(england["pooled_rate"]):
        line = ax.axvline(
            england["pooled_rate"],
            color=style.ENGLAND_COLOUR,
            linestyle="--",
            linewidth=1,
            zorder=1,
            label=f"{_overall_name(cube)} pooled {u.format_rate(england['pooled_rate'])}",
        )
        line.set_gid("England")
        band_low, band_high = england[low_column], england[high_column]
        if not np.isfinite(band_low):
            band_low, band_high = england["ci_low"], england["ci_high"]
        band = ax.axvspan(band_low, band_high, color="#dddddd", zorder=0)
        band.set_gid("England")
    if not np.isfinite(pooled).all():
        reasons = sorted({r for r in groups.loc[~np.isfinite(pooled), "reason"] if r})
        _side_note(ax, "Pooled rate not shown: " + "; ".join(reasons), "pooled_note")
    for i, code in enumerate(chosen):
        colour = style.HIGHLIGHT_COLOURS[i % len(style.HIGHLIGHT_COLOURS)]
        j = int(np.flatnonzero(codes == code)[0])
        (marker,) = ax.plot(
            [data[j]],
            [y[j]],
            marker="o",
            markersize=7,
            linestyle="none",
            color=colour,
            zorder=5,
            label=_council_name(cube, code),
        )
        marker.set_gid(code)

    ax.set_yticks(np.arange(len(groups)))
    ax.set_yticklabels(groups["group_name"].astype(str))
    ax.invert_yaxis()
    ax.set_xlabel(_wrapped(style.value_label(cube, measure)))
    ax.set_ylabel("Region" if by == "region" else "Council type")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    _finish(
        fig, ax, cube, title or style.figure_title(cube, measure, year), measure, [year], own=own
    )
    return fig
