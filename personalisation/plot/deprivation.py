"""Figure: take-up against deprivation, one panel per year (scatter, fitted line, labels)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from personalisation.plot import style
from personalisation.plot.figure import Figure, new_figure

__all__ = ["deprivation"]

_VARIABLE_LABELS = {
    "imd_average_score": "IMD average score (higher = more deprived)",
    "imd_rank_of_average_score": "IMD rank of average score (1 = most deprived)",
    "imd_extent": "IMD extent (share of population in deprived areas)",
    "imd_share_lsoas_most_deprived_10pc": "share of LSOAs in the most deprived 10%",
}


def deprivation(
    result,
    years: Sequence[int] | None = None,
    *,
    label: int = 4,
    highlight: Sequence[str] = (),
    figsize: tuple[float, float] | None = None,
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
        Figure size; default grows with the number of panels.

    Returns
    -------
    Figure
        One axes per year; points have gid ``"councils"``, the line ``"fitted"``, labels
        ``"council_label"``; titles give the Spearman correlation and its interval.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])                           # doctest: +SKIP
    >>> fig = pz.plot.deprivation(pz.stats.deprivation(cube, "sds_users", [2019, 2025]))  # doctest: +SKIP
    """
    summary = result.summary.set_index("year")
    chosen = list(years) if years is not None else list(summary.index)[-6:]
    missing = [y for y in chosen if y not in summary.index]
    if missing:
        raise ValueError(f"years {missing} are not in the result; it holds {list(summary.index)}")
    n = len(chosen)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig = new_figure(figsize or (4.2 * cols, 3.8 * rows + 0.6))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    level = int(round(100 * result.attrs.get("level", 0.95)))
    for ax, year in zip(axes, chosen, strict=False):
        part = result.councils[(result.councils["year"] == year) & result.councils["included"]]
        row = summary.loc[year]
        points = ax.scatter(
            part["deprivation"], part["rate"], s=12, color=style.HIGHLIGHT_COLOURS[0], alpha=0.7
        )
        points.set_gid("councils")
        if np.isfinite(row["slope"]):
            xs = np.linspace(part["deprivation"].min(), part["deprivation"].max(), 50)
            (line,) = ax.plot(xs, row["intercept"] + row["slope"] * xs, color="#333333", lw=1.2)
            line.set_gid("fitted")
        far = part.reindex(part["residual"].abs().sort_values(ascending=False).index).head(label)
        marked = part[part["council"].isin(list(highlight))]
        for _, c in pd.concat([far, marked]).drop_duplicates("council").iterrows():
            text = ax.annotate(
                c["council_name"],
                (c["deprivation"], c["rate"]),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
            text.set_gid("council_label")
        ax.set_title(
            f"{row['period']} ({row['edition']}): Spearman {row['spearman']:.2f} "
            f"[{level}% CI {row['ci_low']:.2f} to {row['ci_high']:.2f}], n={int(row['n'])}",
            fontsize=7,
        )
        ax.set_xlabel(_VARIABLE_LABELS.get(result.variable, result.variable), fontsize=7)
        ax.set_ylabel(f"{result.measure} (%)", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(
        f"{result.measure} against deprivation, by year (fitted least-squares line)", fontsize=9
    )
    fig.text(
        0.01,
        0.005,
        "Deprivation: English indices of deprivation 2015 / 2019, File 11 (DCLG / MHCLG, OGL v3); "
        "councils whose boundaries changed since the IMD's geography are left out.",
        fontsize=5.5,
    )
    return fig
