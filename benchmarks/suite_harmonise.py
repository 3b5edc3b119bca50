"""The ``harmonise`` suite: the ``apply_edges`` kernel on synthetic LSOA-sized cubes, and ``harmonise`` of the real cube."""

from __future__ import annotations

import resource
import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

from harness import (
    median_time,
    row,
    traced_peak_mb,
    worker,
)

_worker = partial(worker, __name__)

NAME = "harmonise"
#: Sizes and repetitions of the full run and of ``--quick``.
SETTINGS: dict[str, dict[str, Any]] = {
    "full": {"harmonise_sizes": [5000, 10000, 20000, 35000], "harmonise_reps": 5},
    "quick": {"harmonise_sizes": [1000, 2000, 5000], "harmonise_reps": 2},
}


N_YEARS = 20
N_MEASURES = 10
HARMONISE_CHUNK = 5_000  # areas per dask chunk


def synthetic_problem(n_areas: int, seed: int = 0) -> tuple[Any, Any]:
    """A synthetic cube (n_areas x 20 years x 10 measures) and an edge table for it.

    Areas get LSOA-like codes; the edge table keeps 80% of areas unchanged, merges 10% in
    pairs and splits 10% in two (weights 0.6 / 0.4, so apportioned).  Numbers are random
    (:func:`personalisation.testing.make_cube`), never real.
    """
    import numpy as np
    import pandas as pd

    from personalisation import measures
    from personalisation.testing import make_cube

    ids = [m.id for m in measures.MEASURES][:N_MEASURES]
    cube = make_cube(
        n_councils=n_areas,
        years=range(2005, 2005 + N_YEARS),
        measures=ids,
        seed=seed,
        missing_fraction=0.02,
    )
    codes = np.array([f"E01{i:06d}" for i in range(n_areas)])
    cube = cube.assign_coords(council=codes)
    kind = np.random.default_rng(seed).random(n_areas)
    merge, split = kind < 0.10, (kind >= 0.10) & (kind < 0.20)
    same = ~(merge | split)
    merged_idx = np.flatnonzero(merge)
    split_idx = np.flatnonzero(split)
    frames = [
        pd.DataFrame({"source": codes[same], "target": codes[same], "weight": 1.0}),
        pd.DataFrame(
            {
                "source": codes[merged_idx],
                "target": [f"M{i // 2:06d}" for i in range(len(merged_idx))],
                "weight": 1.0,
            }
        ),
        pd.DataFrame({"source": codes[split_idx], "target": codes[split_idx] + "a", "weight": 0.6}),
        pd.DataFrame({"source": codes[split_idx], "target": codes[split_idx] + "b", "weight": 0.4}),
    ]
    return cube, pd.concat(frames, ignore_index=True)


def _long_table(cube: Any) -> Any:
    """The cube's three numeric variables as a plain long DataFrame (council, year, measure)."""
    import numpy as np
    import pandas as pd

    n_c, n_y, n_m = (cube.sizes[d] for d in ("council", "year", "measure"))
    columns = {
        "council": np.repeat(cube["council"].values.astype(object), n_y * n_m),
        "year": np.tile(np.repeat(cube["year"].values, n_m), n_c),
        "measure": np.tile(cube["measure"].values.astype(object), n_c * n_y),
    }
    for name in ("numerator", "denominator", "value"):
        columns[name] = cube[name].transpose("council", "year", "measure").values.ravel()
    return pd.DataFrame(columns)


def _pandas_groupby(long: Any, edges: Any) -> Any:
    """Plain baseline: merge the long table with the edges, weight, groupby-sum."""
    joined = long.merge(edges, left_on="council", right_on="source")
    for column in ("numerator", "denominator", "value"):
        joined[column] = joined[column] * joined["weight"]
    return joined.groupby(["target", "year", "measure"])[["numerator", "denominator", "value"]].sum(
        min_count=1
    )


def _apply_edges() -> Callable[..., Any]:
    """``apply_edges``: the edge-table kernel that ``harmonise`` runs per source vintage."""
    try:
        from personalisation.geo._harmonise import apply_edges
    except ImportError:  # the earlier layout, a public module
        from personalisation.geo.harmonise import apply_edges  # type: ignore[no-redef]
    return apply_edges


def _w_harmonise_size(n_areas: int, reps: int, chunk: int) -> dict[str, Any]:
    """Time apply_edges (numpy, dask) and the pandas baseline at one size."""
    import dask

    apply_edges = _apply_edges()

    cube, edges = synthetic_problem(n_areas)
    small, small_edges = synthetic_problem(200, seed=1)
    apply_edges(small, small_edges)  # warm-up: first-call costs out of the timings
    dask.config.set(scheduler="threads")

    def numpy_path() -> Any:
        out = apply_edges(cube, edges)
        return out["status"].values, out["value"].values

    chunked = cube.chunk({"council": chunk})

    def dask_path() -> Any:
        return apply_edges(chunked, edges).compute()

    long = _long_table(cube)
    numpy_path()  # untimed first run at full size (page faults of the first allocation)
    before = resource.getrusage(resource.RUSAGE_SELF)
    numpy_s, numpy_all = median_time(numpy_path, reps)
    after = resource.getrusage(resource.RUSAGE_SELF)
    numpy_user = (after.ru_utime - before.ru_utime) / max(1, reps)
    numpy_sys = (after.ru_stime - before.ru_stime) / max(1, reps)
    dask_s, dask_all = median_time(dask_path, reps)
    plain_s, plain_all = median_time(lambda: _pandas_groupby(long, edges), reps)
    result = numpy_path()
    cells = cube.sizes["council"] * cube.sizes["year"] * cube.sizes["measure"]
    return {
        "areas": n_areas,
        "cells": int(cells),
        "edges": len(edges),
        "units": int(result[0].shape[0]),
        "numpy_s": numpy_s,
        "numpy_all": numpy_all,
        "numpy_user_s": numpy_user,
        "numpy_sys_s": numpy_sys,
        "dask_s": dask_s,
        "dask_all": dask_all,
        "pandas_s": plain_s,
        "pandas_all": plain_all,
        "numpy_peak_mb": traced_peak_mb(numpy_path),
        "pandas_peak_mb": traced_peak_mb(lambda: _pandas_groupby(long, edges)),
        "input_mb": sum(v.nbytes for v in cube.data_vars.values()) / 2**20,
    }


def _w_harmonise_random_merges(n_areas: int, reps: int) -> dict[str, Any]:
    """apply_edges with every area merged at random into one of n/3 units (many-to-one).

    The scenario of the former unit test ``test_apply_edges_scales`` (which asserted
    ``elapsed < 30`` s); here it is timed against the pandas baseline instead.
    """
    import numpy as np
    import pandas as pd

    from personalisation import measures
    from personalisation.testing import make_cube

    apply_edges = _apply_edges()
    ids = [m.id for m in measures.MEASURES][:N_MEASURES]
    cube = make_cube(n_councils=n_areas, years=range(2005, 2005 + N_YEARS), measures=ids, seed=1)
    rng = np.random.default_rng(1)
    targets = [f"U{i:05d}" for i in rng.integers(0, n_areas // 3, n_areas)]
    edges = pd.DataFrame({"source": cube.council.values, "target": targets, "weight": 1.0})
    apply_edges(cube.isel(council=slice(0, 200)), edges.iloc[:200])  # warm-up
    long = _long_table(cube)
    numpy_s, numpy_all = median_time(lambda: apply_edges(cube, edges), reps)
    plain_s, plain_all = median_time(lambda: _pandas_groupby(long, edges), reps)
    return {"areas": n_areas, "numpy_s": numpy_s, "pandas_s": plain_s, "all": numpy_all}


def _w_harmonise_real(reps: int) -> dict[str, Any]:
    """``harmonise(load_cube(), to=2023)`` on the shipped cube."""
    import personalisation as pz

    cube = pz.load_cube()
    pz.harmonise(cube, to=2023)  # warm-up (register, events read once)
    seconds, every = median_time(lambda: pz.harmonise(cube, to=2023), reps)
    return {"seconds": seconds, "all": every, "sizes": dict(cube.sizes)}


def run(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """apply_edges scaling on synthetic LSOA-sized cubes; harmonise on the real cube."""
    import math

    sizes = settings["harmonise_sizes"]
    reps = settings["harmonise_reps"]
    per_size = [
        _worker("harmonise_size", n_areas=n, reps=reps, chunk=HARMONISE_CHUNK) for n in sizes
    ]
    rows = []
    for s in per_size:
        rows.append(
            row(
                "harmonise",
                f"apply_edges, {s['areas']:,} areas",
                s["numpy_s"],
                s["pandas_s"],
                what=(
                    f"`apply_edges` on {s['areas']:,} areas x {N_YEARS} years x {N_MEASURES} "
                    f"measures ({s['edges']:,} edges -> {s['units']:,} units), numpy"
                ),
                baseline_what="pandas merge + groupby-sum of numerator, denominator, value",
                reps=reps,
                peak_mb=s["numpy_peak_mb"],
                baseline_peak_mb=s["pandas_peak_mb"],
                detail=s,
            )
        )
        rows.append(
            row(
                "harmonise",
                f"apply_edges dask, {s['areas']:,} areas",
                s["dask_s"],
                s["numpy_s"],
                what=f"the same on dask arrays chunked {HARMONISE_CHUNK:,} areas along council",
                baseline_what="the numpy path",
                reps=reps,
            )
        )
    first, last = per_size[0], per_size[-1]
    growth = (last["numpy_s"] / last["areas"]) / (first["numpy_s"] / first["areas"])
    dask_growth = (last["dask_s"] / last["areas"]) / (first["dask_s"] / first["areas"])
    xs = [math.log(s["areas"]) for s in per_size]
    ys = [math.log(s["numpy_s"]) for s in per_size]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    largest = f"{last['areas']:,}"
    full_size = last["areas"] >= 35_000
    rows.append(
        row(
            "harmonise",
            f"time at {largest} areas",
            last["numpy_s"],
            None,
            what=f"`apply_edges` at {largest} areas x {N_YEARS} years x {N_MEASURES} measures",
            baseline_what="",
            target="< 5 s at 35,000 areas",
            met=bool(last["numpy_s"] < 5) if full_size else None,
        )
    )
    rows.append(
        row(
            "harmonise",
            "linear growth (numpy)",
            last["numpy_s"] / last["areas"] * 1000,
            first["numpy_s"] / first["areas"] * 1000,
            what=f"seconds per 1,000 areas at {largest}",
            baseline_what=f"seconds per 1,000 areas at {first['areas']:,}",
            unit="s/1k areas",
            target="ratio <= 1.25",
            met=bool(growth <= 1.25),
            loglog_slope=slope,
        )
    )
    rows.append(
        row(
            "harmonise",
            "linear growth (numpy, user CPU)",
            last["numpy_user_s"] / last["areas"] * 1000,
            first["numpy_user_s"] / first["areas"] * 1000,
            what=(
                f"user CPU seconds per 1,000 areas at {largest} (mean per run; the wall time "
                "also holds the kernel's page-fault time for the new arrays, "
                f"{last['numpy_sys_s']:.2f} s system CPU per run at {largest})"
            ),
            baseline_what=f"the same at {first['areas']:,}",
            unit="s/1k areas",
        )
    )
    rows.append(
        row(
            "harmonise",
            "linear growth (dask)",
            last["dask_s"] / last["areas"] * 1000,
            first["dask_s"] / first["areas"] * 1000,
            what=f"seconds per 1,000 areas at {largest}, dask-chunked",
            baseline_what=f"seconds per 1,000 areas at {first['areas']:,}",
            unit="s/1k areas",
            target="ratio <= 1.25",
            met=bool(dask_growth <= 1.25),
        )
    )
    merges = _worker("harmonise_random_merges", n_areas=sizes[-1], reps=reps)
    rows.append(
        row(
            "harmonise",
            f"apply_edges, random merges, {merges['areas']:,} areas",
            merges["numpy_s"],
            merges["pandas_s"],
            what=(
                f"`apply_edges` on {merges['areas']:,} areas x {N_YEARS} years x {N_MEASURES} "
                f"measures, every area merged at random into one of {merges['areas'] // 3:,} "
                "units (the former unit test's timed scenario)"
            ),
            baseline_what="pandas merge + groupby-sum of the same variables",
            target="ratio <= 1",
            met=bool(merges["numpy_s"] / merges["pandas_s"] <= 1),
            reps=reps,
        )
    )
    real = _worker("harmonise_real", reps=reps)
    sizes_txt = " x ".join(str(v) for v in real["sizes"].values())
    rows.append(
        row(
            "harmonise",
            "harmonise(load_cube(), to=2023)",
            real["seconds"],
            None,
            what=f"full `harmonise` of the shipped cube ({sizes_txt}) onto the 2023 councils",
            baseline_what="",
            reps=reps,
            peak_mb=real["process_peak_mb"],
        )
    )
    return rows


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The scaling table of the harmonise suite (for ``results.md``)."""
    from report import fmt

    out: list[str] = []
    scaling = [r["detail"] for r in rows if "detail" in r]
    if scaling:
        out += [
            "",
            f"Harmonise scaling ({N_YEARS} years x {N_MEASURES} measures, synthetic edge "
            "table: 80% unchanged, 10% merged in pairs, 10% split in two and apportioned):",
            "",
            "| areas | cells | numpy | dask (chunked) | pandas groupby baseline "
            "| numpy per 1k areas | numpy CPU user / system per run "
            "| tracemalloc peak numpy / pandas | input size |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for s in scaling:
            out.append(
                f"| {s['areas']:,} | {s['cells']:,} | {fmt(s['numpy_s'])} | {fmt(s['dask_s'])} "
                f"| {fmt(s['pandas_s'])} | {fmt(s['numpy_s'] / s['areas'] * 1000)} "
                f"| {fmt(s['numpy_user_s'])} / {fmt(s['numpy_sys_s'])} "
                f"| {s['numpy_peak_mb']:.0f} / {s['pandas_peak_mb']:.0f} MiB "
                f"| {s['input_mb']:.0f} MiB |"
            )
    return out
