"""Benchmark report writer: the console table, ``results.md`` and ``results.json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.3g} {unit}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[value]


def format_table(rows: list[dict[str, Any]]) -> str:
    """The results as a plain-text table for the console."""
    header = ("benchmark", "name", "measured", "baseline", "ratio", "target", "met")
    lines = [
        (
            r["benchmark"],
            r["name"],
            fmt(r["measured"], r["unit"]),
            fmt(r["baseline"], r["unit"]),
            "-" if r["ratio"] is None else f"{r['ratio']:.2f}",
            r["target"] or "-",
            _met(r["met"]).replace("*", ""),
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in [header, tuple("-" * w for w in widths), *lines]
    )


def format_markdown(report: dict[str, Any], suites: Sequence[Any] = ()) -> str:
    """The results as markdown (for the README's Performance section).

    A suite module with a ``markdown(rows) -> list[str]`` function adds its own lines
    (a scaling table, a note) after the common tables, given that suite's rows.
    """
    meta = report["meta"]
    rows = report["results"]
    busy = ""
    load = meta.get("loadavg_before")
    if load and meta["cpu_count"] and max(load[0], meta["loadavg_after"][0]) > meta["cpu_count"]:
        busy = (
            " The machine was busy (load average above the number of cores), so ratios that "
            "involve parallel speed-up or process start-up are pessimistic."
        )
    out = [
        f"Measured by `python benchmarks/run.py{' --quick' if meta['mode'] == 'quick' else ''}` "
        f"on {meta['date']}: Python {meta['python']}, {meta['platform']}, "
        f"{meta['cpu_count']} CPU core(s), load average (1/5/15 min) {meta['loadavg_before']} "
        f"before and {meta['loadavg_after']} after; {meta['duration_s']:.0f} s in all.{busy} "
        "Ratio = measured / baseline, both measured in the same run (lower is better); "
        "times are medians of the repetitions; peak memory is the process maximum RSS or "
        "the tracemalloc peak of one extra run."
        + (
            f" Merged: the suites run then replaced their rows; the others are {meta['merged_into']}."
            if meta.get("merged_into")
            else ""
        ),
        "",
        "| benchmark | measured | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        baseline = (
            f"{fmt(r['baseline'], r['unit'])}: {r['baseline_what']}"
            if r["baseline"] is not None
            else "-"
        )
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        if "machine_ceiling" in r:
            ratio += (
                f" (speed-up {r['speedup']:.2f}x; two CPU-bound processes got "
                f"{r['machine_ceiling']:.2f}x on this machine at the time)"
            )
        out.append(
            f"| **{r['name']}**: {r['what']} | {fmt(r['measured'], r['unit'])} | {baseline} "
            f"| {ratio} | {r['target'] or '-'} | {_met(r['met'])} |"
        )
    memory = [r for r in rows if r.get("peak_mb") is not None and "detail" not in r]
    if memory:
        out += [
            "",
            "Peak memory:",
            "",
            "| benchmark | package | baseline | how |",
            "|---|---|---|---|",
        ]
        for r in memory:
            base = r.get("baseline_peak_mb")
            how = (
                "tracemalloc peak (Python and numpy allocations; not matplotlib's C++ buffers)"
                if r["benchmark"] == "plot"
                else "maximum RSS of the process"
            )
            out.append(
                f"| {r['name']} | {r['peak_mb']:.0f} MiB "
                f"| {'-' if base is None else f'{base:.0f} MiB'} | {how} |"
            )
    for module in suites:
        extra = getattr(module, "markdown", None)
        if extra is not None:
            out += extra([r for r in rows if r["benchmark"] == module.NAME])
    return "\n".join(out) + "\n"


def write_results(report: dict[str, Any], folder: Path, suites: Sequence[Any] = ()) -> None:
    """Write ``results.json`` (every number) and ``results.md`` (the tables) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8"
    )
    (folder / "results.md").write_text(format_markdown(report, suites), encoding="utf-8")
