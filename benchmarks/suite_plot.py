"""The ``plot`` suite: package maps against ``GeoDataFrame.plot`` of the same values."""

from __future__ import annotations

from functools import partial
from typing import Any

from harness import (
    median_time,
    row,
    traced_peak_mb,
    worker,
)

_worker = partial(worker, __name__)

NAME = "plot"
#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {"full": {"plot_reps": 5}, "quick": {"plot_reps": 2}}


def _render(fig: Any) -> None:
    import io

    fig.savefig(io.BytesIO(), format="png", dpi=100)


def _w_plot(reps: int) -> dict[str, Any]:
    """Package maps against GeoDataFrame.plot of the same values on the same polygons."""
    import mapclassify
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.figure import Figure

    import personalisation as pz
    from personalisation.geo import boundaries, vintage_for_year
    from personalisation.testing import make_cube

    measure, year = "sds_users", 2021
    cube = pz.load_cube(measures=[measure])
    gdf = boundaries(vintage_for_year(year))
    values = cube["value"].sel(measure=measure, year=year).to_series()

    def package_map() -> None:
        _render(pz.plot.choropleth(cube, measure, year, geometry=gdf))

    def package_map_no_inset() -> None:
        _render(pz.plot.choropleth(cube, measure, year, geometry=gdf, london_inset=False))

    from matplotlib.text import Text

    drawn = pz.plot.choropleth(cube, measure, year, geometry=gdf, london_inset=False)
    _render(drawn)
    texts = [  # title, legend, source and licence note: the package figure's words
        (t.get_text(), t.get_fontsize())
        for t in drawn.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]

    def plain_map(with_text: bool = False) -> None:
        frame = gdf.assign(v=gdf["council_code"].map(values).astype(float))
        fig = Figure(figsize=(7.5, 9.0))
        ax = fig.add_subplot()
        frame.plot(
            column="v",
            ax=ax,
            scheme="Quantiles",
            k=5,
            legend=True,
            edgecolor="white",
            linewidth=0.2,
            missing_kwds={"color": "lightgrey", "hatch": "///"},
        )
        ax.set_axis_off()
        if with_text:
            for i, (text, size) in enumerate(texts):
                fig.text(0.01, 0.01 + 0.03 * i, text, fontsize=size)
        _render(fig)

    # 12 years of synthetic values on the same (real) polygons, vintage of the polygons
    years = list(range(2013, 2025))
    codes = gdf["council_code"].astype(str).tolist()
    synthetic = make_cube(n_councils=len(codes), years=years, measures=[measure], seed=3)
    synthetic = synthetic.assign_coords(
        council=codes, geography_vintage=("year", [vintage_for_year(year)] * len(years))
    )
    table = synthetic["value"].sel(measure=measure).to_pandas()  # council x year

    def package_multiples() -> None:
        _render(pz.plot.small_multiples(synthetic, measure, years, geometry=gdf, ncols=4))

    def plain_multiples() -> None:
        bins = mapclassify.Quantiles(table.to_numpy().ravel(), k=5).bins
        frame = gdf.join(table, on="council_code")
        fig = Figure(figsize=(3.2 * 4 + 2.2, 3.8 * 3 + 1.2))
        axes = fig.subplots(3, 4).ravel()
        for i, (ax, y) in enumerate(zip(axes, years, strict=True)):
            frame.plot(
                column=y,
                ax=ax,
                scheme="UserDefined",
                classification_kwds={"bins": list(bins)},
                legend=i == len(years) - 1,
                edgecolor="white",
                linewidth=0.2,
            )
            ax.set_title(str(y))
            ax.set_axis_off()
        _render(fig)

    for func in (package_map, package_map_no_inset, plain_map, package_multiples, plain_multiples):
        func()  # warm-up: font cache, first-draw costs
    out: dict[str, Any] = {
        "glyphs": sum(len(t) for t, _ in texts),
        "polygons": len(gdf),
        "vertices": int(np.sum([len(g.exterior.coords) for g in gdf.geometry.explode().geometry])),
    }
    for name, func in (
        ("package_map", package_map),
        ("package_map_no_inset", package_map_no_inset),
        ("plain_map", plain_map),
        ("plain_map_text", lambda: plain_map(with_text=True)),
        ("package_multiples", package_multiples),
        ("plain_multiples", plain_multiples),
    ):
        out[name], out[f"{name}_all"] = median_time(func, reps)
        out[f"{name}_peak_mb"] = traced_peak_mb(func)
    return out


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Choropleth and 12-panel small multiples against plain ``GeoDataFrame.plot``."""
    reps = settings["plot_reps"]
    r = _worker("plot", reps=reps)
    shapes = f"{r['polygons']} council polygons, {r['vertices']:,} vertices"
    return [
        row(
            "plot",
            "choropleth",
            r["package_map"],
            r["plain_map"],
            what=(
                "`plot.choropleth(cube, 'sds_users', 2021, geometry=gdf)` + PNG at 100 dpi "
                f"(real values, {shapes}; with London inset, legend, source note)"
            ),
            baseline_what="`GeoDataFrame.plot(column, scheme='Quantiles', k=5, legend=True)` + PNG",
            target="ratio <= 1.5",
            met=bool(r["package_map"] / r["plain_map"] <= 1.5),
            reps=reps,
            peak_mb=r["package_map_peak_mb"],
            baseline_peak_mb=r["plain_map_peak_mb"],
        ),
        row(
            "plot",
            "choropleth, no London inset",
            r["package_map_no_inset"],
            r["plain_map"],
            what="the same with `london_inset=False` (the plain baseline draws no inset)",
            baseline_what="`GeoDataFrame.plot(column, scheme='Quantiles', k=5, legend=True)` + PNG",
            reps=reps,
        ),
        row(
            "plot",
            "choropleth, no inset, vs plain + same text",
            r["package_map_no_inset"],
            r["plain_map_text"],
            what="the same, against a baseline that also writes the package figure's text",
            baseline_what=(
                f"the plain map plus the same title, legend and source/licence text "
                f"({r['glyphs']:,} characters) via `fig.text`"
            ),
            reps=reps,
        ),
        row(
            "plot",
            "small multiples, 12 panels",
            r["package_multiples"],
            r["plain_multiples"],
            what=(
                "`plot.small_multiples(cube, measure, 12 years, geometry=gdf)` + PNG "
                "(synthetic values, pooled classes)"
            ),
            baseline_what="12 x `GeoDataFrame.plot` with shared UserDefined bins + PNG",
            target="ratio <= 1.5",
            met=bool(r["package_multiples"] / r["plain_multiples"] <= 1.5),
            reps=reps,
            peak_mb=r["package_multiples_peak_mb"],
            baseline_peak_mb=r["plain_multiples_peak_mb"],
        ),
    ]
