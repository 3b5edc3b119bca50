"""Spatial dependence of council rates: global Moran's I and local LISA clusters.

Neighbours are contiguous councils: with the default ``weights="queen"`` two councils
are neighbours when their boundaries share at least one point (an edge or a corner);
``"rook"`` needs a shared edge.  Weights are row-standardised.  Rates can be the
published ones or empirical-Bayes standardised rates (Assuncao & Reis 1999, esda's
``Moran_Rate``), which shrink councils with small denominators (the Isles of Scilly's
11-22 clients) so that they do not drive the statistic.

geopandas, libpysal and esda are imported inside :func:`moran` only; libpysal and esda come
with the ``spatial`` extra (``pip install 'personalisation[spatial]'``).

References
----------
Assuncao RM, Reis EA (1999). A new proposal to adjust Moran's I for population density.
*Statistics in Medicine* 18:2147-2162.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation._optional import require
from personalisation.errors import MissingYearError, SchemaError
from personalisation.schema import Years
from personalisation.stats import _validate as v
from personalisation.stats._result import Result

#: LISA quadrant labels (esda's q: 1 HH, 2 LH, 3 LL, 4 HL).
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT, ISLAND, NO_DATA = "not significant", "island", "no data"


@dataclass(frozen=True, repr=False, kw_only=True)
class MoranResult(Result):
    """Result of :func:`moran`.

    ``table`` (the local statistics) has one row per council in the data: ``council,
    council_name, region_name, rate`` (published, percent), ``n_neighbours, local_I,
    p_value, quadrant, reason``.  ``quadrant`` is ``'HH'``, ``'LL'``, ``'HL'``, ``'LH'``
    (significant at ``significance``), ``'not significant'``, ``'island'`` (no
    neighbour with data) or ``'no data'`` (no rate or no boundary; ``reason`` says
    which).  ``p_value`` is esda's conditional randomisation pseudo p-value (one-sided,
    in the direction of the local statistic).

    Attributes
    ----------
    I, expected_I
        Global Moran's I and its expectation under no autocorrelation (``-1 / (n - 1)``).
    p_sim
        Pseudo p-value from ``permutations`` random permutations (seeded, so repeatable;
        esda's ``p_sim``, one-sided in the direction of the observed I).
    z_sim
        I standardised by the permutation mean and standard deviation.
    n
        Councils in the analysis (a rate, a boundary and at least one neighbour).
    year, weights, rates, permutations, seed, significance
        What was asked (``rates`` is ``"published"`` or ``"empirical Bayes"``).
    """

    I: float = np.nan  # noqa: E741 - the statistic's name
    expected_I: float = np.nan
    p_sim: float = np.nan
    z_sim: float = np.nan
    n: int = 0
    year: int = 0
    weights: str = "queen"
    rates: str = "published"
    permutations: int = 999
    seed: int = 12345
    significance: float = 0.05
    kind: ClassVar[str] = "Moran's I"
    shown: ClassVar[tuple[str, ...] | None] = (
        "council_name",
        "region_name",
        "rate",
        "n_neighbours",
        "local_I",
        "p_value",
        "quadrant",
        "reason",
    )

    @property
    def local(self) -> pd.DataFrame:
        """The local table (same as :attr:`table`)."""
        return self.table

    def _caption_extra(self) -> str:
        return (
            f"I = {self.I:.3f} (expected {self.expected_I:.3f}, pseudo p = {self.p_sim:.3f}); "
            f"{self.weights} contiguity, {self.rates} rates, {self.n} councils analysed"
        )


def _code_column(boundaries: Any, code_column: str | None) -> pd.Index:
    if code_column is not None:
        if code_column not in boundaries.columns:
            raise SchemaError(f"boundaries have no column {code_column!r}")
        return pd.Index(boundaries[code_column].astype(str))
    for name in ("council", "council_code", "code", "gss_code"):
        if name in boundaries.columns:
            return pd.Index(boundaries[name].astype(str))
    return pd.Index(boundaries.index.astype(str))


def moran(
    cube: xr.Dataset | xr.DataArray,
    measure: str | None = None,
    year: Years = None,
    *,
    boundaries: Any = None,
    weights: str = "queen",
    permutations: int = 999,
    seed: int = 12345,
    significance: float = 0.05,
    islands: str = "drop",
    code_column: str | None = None,
    rates: str = "published",
) -> MoranResult:
    """Global Moran's I and local (LISA) clusters of council rates in one year.

    Councils without a finite rate, or without a boundary, are left out before the
    weights are built (so they are nobody's neighbour) and labelled ``'no data'``.
    Councils then left with no land neighbour (the Isles of Scilly, or a council whose
    only neighbours have no data) are labelled ``'island'`` and, with ``islands="drop"``,
    left out of both statistics; with ``islands="nearest"`` each island is joined to its
    nearest council (by distance between boundaries) in both directions and kept.

    Parameters
    ----------
    cube
        The cube or a cut of it (values are enough).
    measure
        Measure id.
    year
        One year; default the last year with values (with counts for ``rates="eb"``).
    boundaries
        GeoDataFrame of council polygons; the council code is read from ``code_column``,
        else a ``council``, ``council_code``, ``code`` or ``gss_code`` column, else the index.  Default:
        ``personalisation.geo.boundaries(personalisation.geo.vintage_for_year(year))``.
    weights
        ``"queen"`` or ``"rook"`` contiguity.
    permutations
        Permutations for the pseudo p-values (global and local).
    seed
        Seed of the permutations (same seed, same p-values).
    significance
        Level under which a local statistic is called significant.
    islands
        ``"drop"`` or ``"nearest"`` (see above).
    code_column
        Column of ``boundaries`` holding council codes.
    rates
        ``"published"`` (the published rates) or ``"eb"`` (empirical-Bayes standardised
        rates from the numerators and denominators: esda's ``Moran_Rate`` and
        ``Moran_Local_Rate`` with ``adjusted=True``; needs a year with counts, councils
        without counts are left out).

    Returns
    -------
    MoranResult
        Global statistic and the per-council ``local`` table.

    Raises
    ------
    MissingYearError
        No year, or fewer than three councils left to analyse.
    ImportError
        When esda or libpysal is not installed (the ``spatial`` extra).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=9)
    >>> grid = gpd.GeoDataFrame(
    ...     {"council": cube.council.values},
    ...     geometry=[box(i % 3, i // 3, i % 3 + 1, i // 3 + 1) for i in range(9)])
    >>> result = moran(cube, "sds_users", 2015, boundaries=grid, permutations=99)
    >>> quadrants = {"HH", "HL", "LH", "LL", "not significant"}
    >>> result.n, set(result.local.quadrant) <= quadrants
    (9, True)
    """
    if weights not in ("queen", "rook"):
        raise ValueError(f"weights must be 'queen' or 'rook', not {weights!r}")
    if islands not in ("drop", "nearest"):
        raise ValueError(f"islands must be 'drop' or 'nearest', not {islands!r}")
    if rates not in ("published", "eb"):
        raise ValueError(f"rates must be 'published' or 'eb', not {rates!r}")
    if v._is_sequence(year):
        raise MissingYearError("moran needs one year (year=2020, say)")
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    eb = rates == "eb"
    if year is None:
        whole = v.prepare(cube, measure)
        usable = (v.reasons(whole, counts=eb) == v.OK).any("council").values
        held = [y for y, k in zip(v.years_of(whole), usable, strict=True) if k]
        if not held:
            raise MissingYearError(
                f"{whole.attrs['measure']}: no year has "
                + ("numerators and denominators" if eb else "values")
            )
        year = held[-1]
    ds = v.prepare(cube, measure, year, require_single_year=True)
    year_int = v.years_of(ds)[0]
    if boundaries is None:
        from personalisation import geo

        boundaries = geo.boundaries(geo.vintage_for_year(year_int))

    with warnings.catch_warnings():
        # esda imports tqdm.auto, which warns in Jupyter when ipywidgets is absent ("TqdmWarning:
        # IProgress not found"): nothing a caller of moran() can act on (the jupyter extra
        # installs ipywidgets, which removes the cause)
        warnings.filterwarnings("ignore", message="IProgress not found")
        esda = require("esda", extra="spatial", purpose="stats.moran")
    lw = require("libpysal.weights", extra="spatial", purpose="stats.moran")

    codes = [str(c) for c in ds["council"].values]
    rate = v.rates(ds).values[:, 0]
    why_all = v.reasons(ds, counts=eb)
    why = why_all.values[:, 0].astype(object)
    events, base = v.counts(ds, why_all.values == v.OK)
    events, base = events[:, 0], base[:, 0]
    polygon_codes = _code_column(boundaries, code_column)
    if polygon_codes.has_duplicates:
        raise SchemaError("boundaries hold more than one row for some council codes")
    has_polygon = np.array([c in polygon_codes for c in codes])
    why[(why == v.OK) & ~has_polygon] = "no boundary for this council"
    keep = why == v.OK

    table = pd.DataFrame(
        {
            "council": codes,
            "council_name": [str(n) for n in ds["council_name"].values],
            "region_name": [str(n) for n in ds["region_name"].values],
            "rate": np.where(keep, rate, np.nan),
            "n_neighbours": 0,
            "local_I": np.nan,
            "p_value": np.nan,
            "quadrant": NO_DATA,
            "reason": why.astype(str),
        }
    )
    kept_codes = [c for c, k in zip(codes, keep, strict=True) if k]
    shapes = boundaries.reset_index(drop=True).copy()
    shapes.index = polygon_codes
    shapes = shapes.loc[kept_codes]
    builder = lw.Queen if weights == "queen" else lw.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands; handled below
        w = builder.from_dataframe(shapes, ids=kept_codes, use_index=False)
    neighbours = {k: list(n) for k, n in w.neighbors.items()}
    isolated = [c for c in kept_codes if not neighbours.get(c)]
    if islands == "nearest" and isolated:
        for code in isolated:
            others = shapes.drop(index=code)
            if others.empty:
                continue
            nearest = others.geometry.distance(shapes.geometry.loc[code]).idxmin()
            neighbours[code] = [nearest]
            neighbours[nearest] = sorted(set(neighbours[nearest]) | {code})
        isolated = []
    analysed = [c for c in kept_codes if c not in isolated]
    position = {c: i for i, c in enumerate(codes)}
    for code in isolated:
        table.loc[position[code], "quadrant"] = ISLAND
        table.loc[position[code], "reason"] = "no neighbour with data"
    if len(analysed) < 3:
        raise MissingYearError(
            f"{ds.attrs['measure']} {year_int}: only {len(analysed)} councils with a rate, a "
            "boundary and a neighbour; Moran's I needs at least three"
        )
    w = lw.W(
        {c: [n for n in neighbours[c] if n in set(analysed)] for c in analysed},
        id_order=analysed,
        silence_warnings=True,
    )
    w.transform = "r"
    y = np.array([rate[position[c]] for c in analysed])
    state = np.random.get_state()  # noqa: NPY002 - esda draws from the global RNG
    try:
        np.random.seed(seed)  # noqa: NPY002
        with warnings.catch_warnings():
            # esda warns that its default ("directed") local alternative will change
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            if eb:
                e = np.array([events[position[c]] for c in analysed])
                b = np.array([base[position[c]] for c in analysed])
                glob = esda.Moran_Rate(e, b, w, adjusted=True, permutations=permutations)
                local = esda.Moran_Local_Rate(
                    e, b, w, adjusted=True, permutations=permutations, seed=seed, n_jobs=1
                )
            else:
                glob = esda.Moran(y, w, permutations=permutations)
                local = esda.Moran_Local(y, w, permutations=permutations, seed=seed, n_jobs=1)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    for i, code in enumerate(analysed):
        row = position[code]
        table.loc[row, "n_neighbours"] = len(w.neighbors[code])
        table.loc[row, "local_I"] = float(local.Is[i])
        table.loc[row, "p_value"] = float(local.p_sim[i])
        significant = local.p_sim[i] < significance
        table.loc[row, "quadrant"] = QUADRANTS[int(local.q[i])] if significant else NOT_SIGNIFICANT
    return MoranResult(
        table=table,
        units={"rate": v.value_units(ds), "local_I": u.DIMENSIONLESS},
        I=float(glob.I),
        expected_I=float(glob.EI),
        p_sim=float(glob.p_sim),
        z_sim=float(glob.z_sim),
        n=len(analysed),
        year=year_int,
        weights=weights,
        rates="empirical Bayes" if eb else "published",
        permutations=permutations,
        seed=seed,
        significance=significance,
        **v.census(ds, np.where(table["council"].isin(analysed), v.OK, table["reason"])[:, None]),
    )
