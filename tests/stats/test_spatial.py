"""Moran's I and LISA on synthetic grid polygons (with an island and a council without data)."""

from __future__ import annotations

import numpy as np
import pytest

gpd = pytest.importorskip("geopandas")
pytest.importorskip("esda", reason="the spatial extra is not installed")
pytest.importorskip("libpysal", reason="the spatial extra is not installed")
from shapely.geometry import box  # noqa: E402

from personalisation import stats  # noqa: E402
from personalisation.errors import MissingYearError  # noqa: E402

SIDE = 4  # a 4 x 4 grid: councils 1..16; council 17 is an island, 18 has no polygon


def _grid(n_cells: int = SIDE * SIDE, island: bool = True):
    cells = [box(i % SIDE, i // SIDE, i % SIDE + 1, i // SIDE + 1) for i in range(n_cells)]
    if island:
        cells.append(box(10, 10, 11, 11))
    codes = [f"E06{i:06d}" for i in range(1, len(cells) + 1)]
    return gpd.GeoDataFrame({"council_code": codes}, geometry=cells, crs="EPSG:27700")


def _values():
    # columns rise from west to east, with a little noise; cell 16 (NE corner) has no value
    rng = np.random.default_rng(7)
    grid = [10 + 20 * (i % SIDE) + rng.uniform(0, 5) for i in range(SIDE * SIDE)]
    grid[15] = np.nan
    return [*grid, 50.0, 40.0]  # island, no polygon


def _hand_moran(values, neighbours):
    """I = sum_ij w_ij z_i z_j / sum_i z_i**2 with row-standardised w (S0 = n)."""
    z = values - values.mean()
    lag = np.array([z[list(n)].mean() for n in neighbours])
    return float(np.sum(z * lag) / np.sum(z**2))


def test_global_and_local_against_hand_computation(build):
    value = _values()
    status = ["published"] * 15 + ["missing", "published", "published"]
    cube = build(value=value, status=status)
    result = stats.moran(cube, "sds_users", 2015, boundaries=_grid(), permutations=199, seed=1)
    assert result.n == 15
    # queen neighbours among cells 0..14 (cell 15 has no value)
    kept = list(range(15))
    neighbours = []
    for i in kept:
        r, c = divmod(i, SIDE)
        around = [j for j in kept if j != i and abs(j // SIDE - r) <= 1 and abs(j % SIDE - c) <= 1]
        neighbours.append(around)
    expected = _hand_moran(np.array(value[:15]) / 100, neighbours)
    assert result.I == pytest.approx(expected, rel=1e-10)
    assert result.I > 0.5 and result.p_sim < 0.05
    assert result.expected_I == pytest.approx(-1 / 14)

    local = result.local.set_index("council")
    assert local.loc["E06000016", "quadrant"] == "no data"
    assert local.loc["E06000016", "reason"] == "missing"
    assert local.loc["E06000017", "quadrant"] == "island"
    assert local.loc["E06000017", "reason"] == "no neighbour with data"
    assert local.loc["E06000018", "quadrant"] == "no data"
    assert local.loc["E06000018", "reason"] == "no boundary for this council"
    assert local.loc["E06000012", "n_neighbours"] == 4  # lost its NaN neighbour 16
    # quadrants agree with the sign of the value and of its spatial lag
    rates = np.array(value[:15]) / 100
    mean = rates.mean()
    for i in kept:
        quadrant = local.iloc[i]["quadrant"]
        if quadrant in ("HH", "LL", "HL", "LH"):
            lag = rates[neighbours[i]].mean()
            own = "H" if rates[i] > mean else "L"
            around = "H" if lag > mean else "L"
            assert quadrant == own + around
    assert set(local["quadrant"]) >= {"HH", "LL"}


def test_checkerboard_rook_gives_minus_one(build):
    value = [10.0 if (i % SIDE + i // SIDE) % 2 else 20.0 for i in range(SIDE * SIDE)]
    cube = build(value=value)
    result = stats.moran(
        cube, "sds_users", 2015, boundaries=_grid(island=False), weights="rook", permutations=99
    )
    assert result.I == pytest.approx(-1.0)
    assert not (result.local["quadrant"] == "island").any()


def test_seeded_permutations_are_repeatable(build):
    cube = build(value=_values())
    grid = _grid()
    first = stats.moran(cube, "sds_users", 2015, boundaries=grid, permutations=99, seed=5)
    second = stats.moran(cube, "sds_users", 2015, boundaries=grid, permutations=99, seed=5)
    assert first.p_sim == second.p_sim and first.z_sim == second.z_sim
    assert first.local["p_value"].equals(second.local["p_value"])
    # the global numpy random state is left as it was
    np.random.seed(0)  # noqa: NPY002
    before = np.random.random()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002
    stats.moran(cube, "sds_users", 2015, boundaries=grid, permutations=9)
    assert np.random.random() == before  # noqa: NPY002


def test_islands_joined_to_nearest(build):
    cube = build(value=_values())
    result = stats.moran(
        cube, "sds_users", 2015, boundaries=_grid(), permutations=9, islands="nearest"
    )
    assert result.n == 16
    local = result.local.set_index("council")
    assert local.loc["E06000017", "quadrant"] != "island"
    assert local.loc["E06000017", "n_neighbours"] == 1


def test_default_boundaries_come_from_geo(build, monkeypatch):
    import personalisation.geo as geo

    asked = []
    monkeypatch.setattr(
        geo, "vintage_for_year", lambda year: asked.append(year) or "2015", raising=False
    )
    monkeypatch.setattr(geo, "boundaries", lambda vintage: _grid(), raising=False)
    result = stats.moran(build(value=_values()), "sds_users", 2015, permutations=9)
    assert asked == [2015] and result.n == 15


def test_bad_inputs(build):
    cube = build(value=[10.0, 20.0, np.nan, np.nan])
    grid = _grid(n_cells=4, island=False)
    with pytest.raises(MissingYearError, match="needs at least three"):
        stats.moran(cube, "sds_users", 2015, boundaries=grid, permutations=9)
    with pytest.raises(ValueError, match="queen"):
        stats.moran(cube, "sds_users", 2015, boundaries=grid, weights="knn")
    with pytest.raises(MissingYearError, match="one year"):
        stats.moran(cube, "sds_users", [2015, 2016], boundaries=grid)
    with pytest.raises(ValueError, match="rates must be"):
        stats.moran(cube, "sds_users", 2015, boundaries=grid, rates="smoothed")


def _assuncao_reis(e, n):
    """Empirical-Bayes standardised rates (Assuncao & Reis 1999), written out by hand."""
    y = e / n
    b = e.sum() / n.sum()
    s2 = np.sum(n * (y - b) ** 2) / n.sum()
    a = s2 - b / (n.sum() / len(e))
    v = a + b / n
    v = np.where(v < 0, b / n, v)
    return (y - b) / np.sqrt(v)


def test_empirical_bayes_rates_against_hand_computation(build):
    rng = np.random.default_rng(3)
    n = rng.integers(15, 3000, SIDE * SIDE).astype(float)
    n[0] = 11  # a tiny council, as the Isles of Scilly
    rate = np.array([0.3 + 0.1 * (i % SIDE) for i in range(SIDE * SIDE)])
    e = np.round(rate * n)
    e[0] = 11  # 100% of 11 clients
    cube = build(e, n, years=[2016])
    grid = _grid(island=False)
    result = stats.moran(cube, "sds_users", 2016, boundaries=grid, permutations=99, rates="eb")
    neighbours = []
    for i in range(SIDE * SIDE):
        r, c = divmod(i, SIDE)
        neighbours.append(
            [
                j
                for j in range(SIDE * SIDE)
                if j != i and abs(j // SIDE - r) <= 1 and abs(j % SIDE - c) <= 1
            ]
        )
    expected = _hand_moran(_assuncao_reis(e, n), neighbours)
    assert result.I == pytest.approx(expected, rel=1e-10)
    assert result.rates == "empirical Bayes" and "queen contiguity" in result.caption()
    raw = stats.moran(cube, "sds_users", 2016, boundaries=grid, permutations=99)
    assert raw.I != pytest.approx(result.I)
    # without counts the EB rates cannot be computed: every council is left out
    gap = build(value=[10.0 + i for i in range(SIDE * SIDE)], years=[2020])
    with pytest.raises(MissingYearError, match="numerators and denominators"):
        stats.moran(gap, "sds_users", boundaries=grid, permutations=9, rates="eb")
