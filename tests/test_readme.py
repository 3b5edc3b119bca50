"""The README's Python quickstart runs as written."""

from __future__ import annotations

import csv
import math
import re

import matplotlib
import numpy as np

from personalisation import _paths


def test_quickstart_runs():
    readme = (_paths.REPO_DIR / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quickstart") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    matplotlib.use("Agg")
    namespace: dict = {}
    exec(compile(code, "README quickstart", "exec"), namespace)
    cube, on_2023 = namespace["cube"], namespace["on_2023"]

    # independent expectation: the shipped tidy table read with the csv module
    with open(_paths.data_dir() / "indicators.csv", newline="", encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["geography_level"] == "council" and r["disaggregation"] == "Total"
        ]
    assert set(cube["council"].values) == {r["council_code"] for r in rows}
    assert set(cube["measure"].values) == {r["measure"] for r in rows}

    manchester = {
        int(r["year"]): float(r["value"]) if r["value"] else math.nan
        for r in rows
        if r["council_code"] == "E08000003" and r["measure"] == "sds_users"
    }
    assert manchester[2021] == 90.1  # read off the ASCOF 2020-21 open-data file (1C1A)
    got = namespace["manchester"].to_series().dropna().to_dict()
    assert got == {y: v for y, v in manchester.items() if not math.isnan(v)}

    dp_2021 = sum(
        float(r["numerator"])
        for r in rows
        if r["year"] == "2021" and r["measure"] == "dp_users" and r["numerator"]
    )
    assert dp_2021 > 0 and float(namespace["dp_2021"]) == dp_2021

    # harmonise puts every year on the April 2023 councils without losing a count
    assert on_2023.attrs["geography_vintage"] == "2023"
    assert on_2023.sizes["council"] < cube.sizes["council"]
    np.testing.assert_allclose(
        float(on_2023.numerator.sel(year=2021, measure="dp_users").sum()), dp_2021
    )

    published_2021 = sum(
        1 for r in rows if r["year"] == "2021" and r["measure"] == "sds_users" and r["value"]
    )
    assert int(namespace["spread"].row()["n_councils"]) == published_2021
    assert namespace["fig"].axes  # the map is drawn (its content: tests/plot/test_maps.py)
