"""Tests of :mod:`personalisation.geo._harmonise`.

Cubes are synthetic (random numbers from :func:`personalisation.testing.make_cube`) with
their council coordinate replaced by REAL register codes, so that the register's events
drive the harmonisation.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from personalisation.errors import SchemaError, UnknownCouncilError
from personalisation.geo._harmonise import apply_edges, crosswalk, harmonise
from personalisation.geo.register import councils, vintage_for_year
from personalisation.testing import make_cube, raise_if_dask_computes

MEASURES = ("sds_users", "dp_users", "dp_clients")  # two rates and a count


def real_cube(
    years, measures=MEASURES, *, seed: int = 0, missing_fraction: float = 0.0
) -> xr.Dataset:
    """A random cube on the real councils of each year's geography (NaN when not in force)."""
    years = list(years)
    per_year = {y: set(councils(vintage_for_year(y))["council_code"]) for y in years}
    codes = sorted(set().union(*per_year.values()))
    cube = make_cube(
        n_councils=len(codes),
        years=years,
        measures=measures,
        seed=seed,
        missing_fraction=missing_fraction,
    )
    cube = cube.assign_coords(
        council=codes, geography_vintage=("year", [vintage_for_year(y) for y in years])
    )
    valid = xr.DataArray(
        np.array([[c in per_year[y] for y in years] for c in codes]), dims=("council", "year")
    )
    for name in ("numerator", "denominator", "value"):
        cube[name] = cube[name].where(valid)
    cube["status"] = xr.where(valid, cube["status"], "missing").transpose(*cube["value"].dims)
    return cube


def england(ds: xr.Dataset, name: str) -> np.ndarray:
    return ds[name].sum("council").values


def small_cube(codes, years, vintages, measures=("dp_users", "dp_clients")) -> xr.Dataset:
    cube = make_cube(n_councils=len(codes), years=years, measures=measures, seed=3)
    cube["status"] = cube["status"].astype("<U13")
    return cube.assign_coords(council=list(codes), geography_vintage=("year", list(vintages)))


# ----------------------------------------------------------------------------- conservation
@pytest.mark.parametrize("target", ["2008", "2013", "2019", "2021", "2023", "2025"])
def test_england_totals_conserved_exactly_real_codes(target: str) -> None:
    cube = real_cube(range(2009, 2027, 3))
    out = harmonise(cube, to=target)
    for name in ("numerator", "denominator"):
        np.testing.assert_array_equal(england(out, name), england(cube, name))
    counts = cube["kind"] == "count"
    np.testing.assert_array_equal(
        england(out, "value").T[counts.values], england(cube, "value").T[counts.values]
    )
    assert (out["geography_vintage"] == target).all()
    assert out.attrs["geography_vintage"] == target
    assert set(out["status"].values.ravel()) == {"published"}
    # rates are recomputed from the sums, never averaged
    summed = out["derivation"].str.startswith("sum of")
    rate = (out["kind"] == "rate") & summed
    expected = 100 * out["numerator"] / out["denominator"]
    np.testing.assert_allclose(out["value"].where(rate), expected.where(rate), equal_nan=True)


def test_england_totals_conserved_synthetic_codes() -> None:
    cube = make_cube(n_councils=12, years=[2015, 2016], measures=list(MEASURES))
    out = harmonise(cube, to=2023)
    assert out.council.values.tolist() == cube.council.values.tolist()
    for name in ("numerator", "denominator", "value"):
        xr.testing.assert_equal(
            out[name].reset_coords(drop=True), cube[name].reset_coords(drop=True)
        )
    assert set(out["derivation"].values.ravel()) == {"as published"}


def test_apportion_conserves_totals_and_marks_estimated() -> None:
    cube = real_cube(
        [2020, 2022, 2024], measures=("dp_users", "dp_clients", "population_18plus"), seed=5
    )
    out = harmonise(cube, to=2023, method="apportion", weight="population_18plus")
    for name in ("numerator", "denominator"):
        np.testing.assert_allclose(england(out, name), england(cube, name), rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        england(out, "value").T[2], england(cube, "value").T[2], rtol=0, atol=1e-6
    )
    # 2020 Northamptonshire shared between North and West by their adult population in
    # 2022, the year nearest the split with a value
    pop = cube["value"].sel(measure="population_18plus", year=2022)
    share = pop.sel(council="E06000061") / (
        pop.sel(council="E06000061") + pop.sel(council="E06000062")
    )
    got = out["value"].sel(council="E06000061", year=2020, measure="dp_clients")
    want = share * cube["value"].sel(council="E10000021", year=2020, measure="dp_clients")
    assert float(got) == pytest.approx(float(want), rel=1e-12)
    cell = dict(council="E06000061", year=2020)
    assert set(out["status"].sel(**cell).values) == {"estimated"}
    assert set(out["derivation"].sel(**cell).values) == {
        "apportioned from E10000021 by population_18plus"
    }
    # the rate of an apportioned piece is the predecessor's rate (recomputed)
    rate = out["value"].sel(**cell, measure="dp_users")
    src = cube.sel(council="E10000021", year=2020, measure="dp_users")
    assert float(rate) == pytest.approx(100 * float(src.numerator) / float(src.denominator))
    # untouched councils stay as published
    assert out["status"].sel(council="E08000003", year=2020).values.tolist() == ["published"] * 3
    assert "E10000021" not in out.council.values


def test_apportion_with_dataarray_weight_and_errors() -> None:
    cube = real_cube([2020, 2022], measures=("dp_clients",), seed=2)
    weight = xr.DataArray(
        [1.0, 3.0, 2.0, 2.0],
        dims="council",
        coords={"council": ["E06000061", "E06000062", "E06000063", "E06000064"]},
        name="w",
    )
    out = harmonise(cube, to=2023, method="apportion", weight=weight)
    src = float(cube["value"].sel(council="E10000021", year=2020, measure="dp_clients"))
    assert float(
        out["value"].sel(council="E06000062", year=2020, measure="dp_clients")
    ) == pytest.approx(0.75 * src)
    assert out["derivation"].sel(council="E06000062", year=2020, measure="dp_clients").item() == (
        "apportioned from E10000021 by w"
    )
    with pytest.raises(ValueError, match="needs a weight"):
        harmonise(cube, to=2023, method="apportion")
    with pytest.raises(ValueError, match="not a measure"):
        harmonise(cube, to=2023, method="apportion", weight="population_18plus")
    with pytest.raises(ValueError, match="cannot apportion to E06000062"):
        harmonise(cube, to=2023, method="apportion", weight=weight.drop_sel(council="E06000062"))
    with pytest.raises(ValueError, match="only used with method='apportion'"):
        harmonise(cube, to=2023, weight="dp_clients")


# ----------------------------------------------------------------------------- by hand
def test_rates_recomputed_not_averaged_hand_example() -> None:
    cube = small_cube(["E06000061", "E06000062"], [2022], ["2021"], measures=("dp_users",))
    cube["numerator"][:] = [[[30.0]], [[10.0]]]
    cube["denominator"][:] = [[[100.0]], [[300.0]]]
    cube["value"][:] = [[[30.0]], [[10.0 / 3 * 10]]]
    out = harmonise(cube, to=2019)
    assert out.council.values.tolist() == ["E10000021"]
    assert out["numerator"].item() == 40.0 and out["denominator"].item() == 400.0
    assert out["value"].item() == 10.0  # 100 * 40 / 400, not the mean of 30 and 3.33
    assert out["council_name"].item() == "Northamptonshire"
    assert out["council_type"].item() == "county"
    assert out["region_name"].item() == "East Midlands"


def test_aggregate_replaces_split_successors_by_predecessor() -> None:
    cube = real_cube([2020, 2022], seed=1)
    out = harmonise(cube, to=2023)
    codes = set(out.council.values.tolist())
    assert "E10000021" in codes and not {"E06000061", "E06000062"} & codes
    assert "E10000006" in codes and not {"E06000063", "E06000064"} & codes  # Cumbria 2023
    assert {"E06000065", "E06000066"} <= codes  # N. Yorkshire, Somerset: whole-area changes
    deriv = out["derivation"].sel(measure="dp_clients")
    assert deriv.sel(council="E10000021", year=2022).item() == "sum of E06000061+E06000062"
    assert deriv.sel(council="E10000021", year=2020).item() == "as published"
    assert deriv.sel(council="E10000006", year=2022).item() == "as published"
    assert deriv.sel(council="E06000065", year=2020).item() == "recode of E10000023"
    total = cube.sel(council=["E06000061", "E06000062"], year=2022, measure="dp_clients")[
        "value"
    ].sum()
    assert float(out["value"].sel(council="E10000021", year=2022, measure="dp_clients")) == float(
        total
    )
    assert len(out.council) == len(councils(2023)) - 2


def test_many_to_many_dorset_unit() -> None:
    cube = real_cube([2018, 2020], seed=4)
    out = harmonise(cube, to=2019)
    unit = "E06000058+E06000059"
    assert unit in out.council.values
    assert (
        out["council_name"].sel(council=unit).item()
        == "Bournemouth, Christchurch and Poole + Dorset"
    )
    assert out["derivation"].sel(council=unit, year=2018, measure="dp_users").item() == (
        "sum of E06000028+E06000029+E10000009"
    )
    assert (
        out["derivation"].sel(council=unit, year=2020, measure="dp_users").item()
        == "sum of E06000058+E06000059"
    )
    # apportion cannot use council weights for a non-pure split: aggregated the same way
    pop = real_cube([2018, 2020], measures=("dp_clients", "population_18plus"))
    out2 = harmonise(pop, to=2019, method="apportion", weight="population_18plus")
    assert unit in out2.council.values
    assert "E10000002" in out2.council.values  # Buckinghamshire CC until 2020


def test_round_trip_of_a_recode() -> None:
    cube = real_cube([2011, 2012], seed=7, missing_fraction=0.1)
    there = harmonise(cube, to=2013)
    assert "E08000037" in there.council.values and "E08000020" not in there.council.values
    deriv = there["derivation"].sel(council="E08000037", year=2012).values
    assert set(deriv.tolist()) == {"recode of E08000020"}
    back = harmonise(there, to=2009)
    assert set(back["derivation"].sel(council="E08000020").values.ravel().tolist()) == {
        "recode of E08000037"
    }
    original = cube.sel(council=back.council.values)
    for name in ("numerator", "denominator", "value", "status"):
        xr.testing.assert_equal(
            back[name].reset_coords(drop=True), original[name].reset_coords(drop=True)
        )


# ----------------------------------------------------------------------------- missing values
def test_missing_component_makes_the_sum_missing() -> None:
    cube = small_cube(["E06000061", "E06000062"], [2022], ["2021"])
    cube["numerator"].loc[dict(council="E06000062")] = np.nan
    cube["value"].loc[dict(council="E06000062")] = np.nan
    cube["status"].loc[dict(council="E06000062")] = "suppressed"
    out = harmonise(cube, to=2019)
    assert np.isnan(out["value"].values).all() and np.isnan(out["numerator"].values).all()
    assert set(out["status"].values.ravel().tolist()) == {"missing"}
    assert not np.isnan(out["denominator"].sel(measure="dp_users").values).any()
    # all components suppressed: the common status is kept
    cube["status"][:] = "suppressed"
    for name in ("numerator", "value"):
        cube[name][:] = np.nan
    out = harmonise(cube, to=2019)
    assert set(out["status"].values.ravel().tolist()) == {"suppressed"}
    # a component absent from the cube is missing too
    only_north = small_cube(["E06000061"], [2022], ["2021"])
    out = harmonise(only_north, to=2019)
    assert np.isnan(out["value"].values).all()
    assert set(out["status"].values.ravel().tolist()) == {"missing"}


# ----------------------------------------------------------------------------- errors
def test_errors() -> None:
    cube = real_cube([2015])
    with pytest.raises(ValueError, match="before the register starts"):
        harmonise(cube, to=2005)
    with pytest.raises(ValueError, match="must be a year"):
        harmonise(cube, to="latest")
    with pytest.raises(ValueError, match="method must be one of"):
        harmonise(cube, to=2023, method="average")
    bad = cube.assign_coords(council=["E99999999", *cube.council.values[1:]])
    with pytest.raises(UnknownCouncilError, match="E99999999"):
        harmonise(bad, to=2023)
    # figures for Northamptonshire CC and North Northamptonshire in the same year and
    # measure: no geography has both
    both = small_cube(["E10000021", "E06000061"], [2020], ["2019"])
    with pytest.raises(SchemaError, match="E10000021"):
        harmonise(both, to=2023)
    with pytest.raises(SchemaError, match="not a council cube"):
        harmonise(cube.drop_vars("status"), to=2023)
    odd = cube.copy()
    odd["status"] = xr.full_like(odd["status"], "guessed")
    with pytest.raises(SchemaError, match="guessed"):
        harmonise(odd, to=2023).compute()


def test_crosswalk() -> None:
    cw = crosswalk(2008, 2023)
    assert cw[cw.source_code == "cassr:610"]["target_code"].tolist() == ["E06000055", "E06000056"]
    assert cw[cw.target_code == "E06000058"]["source_code"].tolist() == [
        "E06000028",
        "E06000029",
        "E10000009",
    ]
    back = crosswalk(2023, 2008)
    assert back[back.source_code == "E06000063"]["target_code"].tolist() == ["E10000006"]


# ----------------------------------------------------------------------------- dask
def test_dask_chunked_cube_matches_numpy() -> None:
    pytest.importorskip("dask")
    cube = real_cube([2018, 2020, 2022], seed=9, missing_fraction=0.05)
    lazy = cube.chunk({"council": 40, "year": 1})
    # one compute, and only of what the plan needs: which cells hold a figure, with the small
    # (council-free) coordinates; the figures themselves stay lazy
    with raise_if_dask_computes(max_computes=1):
        out_lazy = harmonise(lazy, to=2023)
    for name in ("numerator", "denominator", "value", "status"):
        assert out_lazy[name].chunks is not None, name  # still lazy
    out = harmonise(cube, to=2023)
    xr.testing.assert_identical(out_lazy.compute(), out)


# ----------------------------------------------------------------------------- edge tables
@settings(max_examples=40, deadline=None)
@given(
    n_sources=st.integers(1, 25),
    n_targets=st.integers(1, 8),
    seed=st.integers(0, 10_000),
    split_fraction=st.floats(0, 0.6),
)
def test_apply_edges_random_tables(
    n_sources: int, n_targets: int, seed: int, split_fraction: float
) -> None:
    rng = np.random.default_rng(seed)
    cube = make_cube(n_councils=n_sources, years=[2015, 2016], measures=list(MEASURES), seed=seed)
    rows = []
    for code in cube.council.values.tolist():
        if rng.random() < split_fraction and n_targets > 1:
            k = int(rng.integers(2, n_targets + 1))
            targets = rng.choice(n_targets, size=k, replace=False)
            shares = rng.dirichlet(np.ones(k))
            shares = shares / shares.sum()
            rows += [(code, f"T{t}", float(w)) for t, w in zip(targets, shares, strict=True)]
            rows[-1] = (rows[-1][0], rows[-1][1], 1.0 - sum(w for _, _, w in rows[-k:-1]))
        else:
            rows.append((code, f"T{int(rng.integers(n_targets))}", 1.0))
    edges = pd.DataFrame(rows, columns=["source", "target", "weight"])
    edges = edges[edges.weight > 0]
    if (edges.groupby("source").weight.sum() - 1).abs().max() > 1e-9:
        return  # rounding made a share vanish; nothing to test
    out = apply_edges(cube, edges)
    for name in ("numerator", "denominator"):
        np.testing.assert_allclose(england(out, name), england(cube, name), rtol=1e-12, atol=1e-9)
    # each target equals a plain loop over its edges
    for target, grp in edges.groupby("target"):
        parts = [
            cube["numerator"].sel(council=s) * w
            for s, w in zip(grp.source, grp.weight, strict=True)
        ]
        np.testing.assert_allclose(
            out["numerator"].sel(council=target).values, sum(parts).values, rtol=1e-12
        )
        split = (grp.weight < 1).any()
        status = set(out["status"].sel(council=target).values.ravel().tolist())
        assert status == ({"estimated"} if split else {"published"})
        if len(grp) == 1 and not split:
            src = cube.sel(council=grp.source.iloc[0])
            np.testing.assert_array_equal(
                out["value"].sel(council=target).values, src["value"].values
            )


def test_apply_edges_rejects_leaky_tables() -> None:
    cube = make_cube(n_councils=2, years=[2015])
    edges = pd.DataFrame(
        {"source": ["E06000001", "E06000001"], "target": ["A", "B"], "weight": [0.5, 0.4]}
    )
    with pytest.raises(ValueError, match="sum to 1"):
        apply_edges(cube, edges)
    edges = pd.DataFrame({"source": ["E06000001"], "target": ["A"], "weight": [1.5]})
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        apply_edges(cube, edges)


@pytest.mark.slow
def test_apply_edges_scales() -> None:
    """35,000 areas x 20 years x 10 measures with random merges, in a few seconds."""
    n, years = 35_000, list(range(2005, 2025))
    measures = ["sds_users", "sds_carers", "dp_users", "dp_carers", "dp_clients", "dp_pb_clients",
                "dp_carers_count", "home_care_clients", "day_care_clients", "population_18plus"]  # fmt: skip
    cube = make_cube(n_councils=n, years=years, measures=measures, seed=1)
    rng = np.random.default_rng(1)
    edges = pd.DataFrame(
        {
            "source": cube.council.values,
            "target": [f"U{i:05d}" for i in rng.integers(0, n // 3, n)],
            "weight": 1.0,
        }
    )
    start = time.perf_counter()
    out = apply_edges(cube, edges)
    elapsed = time.perf_counter() - start
    np.testing.assert_array_equal(england(out, "numerator"), england(cube, "numerator"))
    assert elapsed < 30, elapsed  # a few seconds on a quiet machine; generous for a shared one


def test_measure_on_a_later_geography_is_read_on_it() -> None:
    """ONS mid-year estimates come on later council codes than the year's (mid-2019 on
    2020 codes): such cells are read on the geography their councils fit."""
    cube = real_cube([2020], measures=("dp_users", "population_18plus"), seed=8)
    pop = cube["value"].sel(measure="population_18plus")
    moved = pop.sel(council="E10000002").item()
    cube = cube.reindex(council=sorted([*cube.council.values.tolist(), "E06000060"]))
    cube["status"] = cube["status"].fillna("not-in-geography").astype("<U16")
    for name in ("value",):
        cube[name].loc[dict(council="E06000060", year=2020, measure="population_18plus")] = moved
        cube[name].loc[dict(council="E10000002", year=2020, measure="population_18plus")] = np.nan
    out = harmonise(cube, to=2020)
    cell = dict(council="E06000060", year=2020)
    assert out["value"].sel(**cell, measure="population_18plus").item() == moved
    assert out["derivation"].sel(**cell, measure="population_18plus").item() == "as published"
    assert out["derivation"].sel(**cell, measure="dp_users").item() == "recode of E10000002"
    assert "population_18plus 2020 on 2020" in out.attrs["harmonisation"]
    np.testing.assert_array_equal(england(out, "value")[:, 1], england(cube, "value")[:, 1])


def test_unsorted_years_keep_their_order() -> None:
    cube = real_cube([2022, 2015, 2020], seed=6)
    out = harmonise(cube, to=2023)
    assert out.year.values.tolist() == [2022, 2015, 2020]
    ordered = harmonise(cube.sortby("year"), to=2023).sel(year=[2022, 2015, 2020])
    for name in ("numerator", "denominator", "value", "status", "derivation"):
        xr.testing.assert_equal(out[name], ordered[name])


def test_package_level_names_are_the_functions_whatever_was_imported_first() -> None:
    import personalisation
    import personalisation.geo as geo
    import personalisation.geo._harmonise as module

    cube = make_cube(n_councils=2, years=[2015])
    for fn in (geo.harmonise, personalisation.harmonise, module.harmonise):
        assert fn(cube, to=2019).attrs["geography_vintage"] == "2019"
    assert geo.harmonise is module.harmonise
