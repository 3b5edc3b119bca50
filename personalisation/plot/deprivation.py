"""Figure: take-up against deprivation, one panel per year (scatter, fitted line, labels)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from personalisation import units as u
from personalisation.plot import style
from personalisation.plot.figure import Figure, new_figure

if TYPE_CHECKING:
    from personalisation.stats.deprivation import DeprivationResult

__all__ = ["deprivation"]

_VARIABLE_LABELS = {
    "imd_average_score": "IMD average score (higher = more deprived)",
    "imd_rank_of_average_score": "IMD rank of average score (1 = most deprived)",
    "imd_extent": "IMD extent (share of population in deprived areas)",
    "imd_share_lsoas_most_deprived_10pc": "share of LSOAs in the most deprived 10%",
}


def deprivation(
    result: DeprivationResult,
    years: Sequence[int] | None = None,
    *,
    label: int = 4,
    highlight: Sequence[str] = (),
    figsize: tuple[float, float] | None = None,
    ax: Any = None,
) -> Figure:
    """Scatter of council rates against deprivation with the fitted line, per year.

    Parameters
    ----------
    result
        A :class:`personalisation.stats.deprivation.DeprivationResult`.
    years
        Years to draw (default: every year of the result, at most six).
    label
        Label this many councils per panel: those furthest from the fitted line.
    highlight
        Council codes to mark and label in every panel.
    figsize
        Figure size; default grows with the number of panels (ignored with ``ax=``).
    ax
        Draw into these Axes instead of a new figure: one Axes per year (a single Axes
        for one year), all of one figure; the figure's layout is left to the caller.

    Returns
    -------
    Figure
        One axes per year; points have gid ``"councils"``, the line ``"fitted"``, labels
        ``"council_label"``; titles give the Spearman correlation and its interval.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> result = pz.stats.deprivation(cube, "sds_users", [2019, 2025])
    >>> fig = pz.plot.deprivation(result)
    >>> [a.get_title()[:16] for a in fig.axes]
    ['2018-19 (IMD 201', '2024-25 (IMD 201']
    """
    summary = result.summary.set_index("year")
    chosen = list(years) if years is not None else list(summary.index)[-6:]
    missing = [y for y in chosen if y not in summary.index]
    if missing:
        raise ValueError(f"years {missing} are not in the result; it holds {list(summary.index)}")
    n = len(chosen)
    own = ax is None
    if own:
        cols = min(n, 3)
        rows = int(np.ceil(n / cols))
        fig = new_figure(figsize or (4.2 * cols, 3.8 * rows + 0.6))
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.size != n:
            raise ValueError(f"ax= holds {axes.size} Axes for {n} years: give one per year")
        if len({id(a.figure) for a in axes}) != 1:
            raise ValueError("ax= must hold Axes of one figure")
        fig = axes[0].figure
    level = u.format_rate(float(u.to_percent(result.level)), 0)
    y_label = "\n".join(textwrap.wrap(f"{result.label or result.measure} (%)", 45))
    for panel, year in zip(axes, chosen, strict=False):
        part = result.councils[(result.councils["year"] == year) & result.councils["included"]]
        row = summary.loc[year]
        points = panel.scatter(
            part["deprivation"], part["rate"], s=12, color=style.HIGHLIGHT_COLOURS[0], alpha=0.7
        )
        points.set_gid("councils")
        if np.isfinite(row["slope"]):
            xs = np.linspace(part["deprivation"].min(), part["deprivation"].max(), 50)
            (line,) = panel.plot(xs, row["intercept"] + row["slope"] * xs, color="#333333", lw=1.2)
            line.set_gid("fitted")
        far = part.reindex(part["residual"].abs().sort_values(ascending=False).index).head(label)
        marked = part[part["council"].isin(list(highlight))]
        for _, c in pd.concat([far, marked]).drop_duplicates("council").iterrows():
            text = panel.annotate(
                c["council_name"],
                (c["deprivation"], c["rate"]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
            text.set_gid("council_label")
        panel.set_title(
            f"{row['period']} ({row['edition']}): Spearman {row['spearman']:.2f} "
            f"[{level} CI {row['ci_low']:.2f} to {row['ci_high']:.2f}], n={int(row['n'])}",
            fontsize=7,
        )
        panel.set_xlabel(_VARIABLE_LABELS.get(result.variable, result.variable), fontsize=7)
        panel.set_ylabel(y_label, fontsize=7)
        panel.tick_params(labelsize=6)
    if own:
        for spare in axes[n:]:
            spare.set_visible(False)
        fig.suptitle(
            f"{result.label or result.measure} against deprivation, by year "
            "(fitted least-squares line)",
            fontsize=9,
        )
    style.add_source_note(
        fig,
        "Deprivation: English indices of deprivation 2015 / 2019, File 11 (DCLG / MHCLG, OGL v3); "
        "councils whose boundaries changed since the IMD's geography are left out.",
        own=own,
    )
    return fig
