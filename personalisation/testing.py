"""Small synthetic cubes with the exact shape of :func:`personalisation.load_cube`.

For tests, examples and benchmarks only: the numbers are random draws, labelled as such in
``attrs["title"]``, and never written into shipped data.

The cube contract (what ``load_cube()`` returns):

* dims ``council`` (GSS code, str), ``year`` (int, year in which the financial year ends),
  ``measure`` (canonical id, str);
* data variables ``numerator``, ``denominator``, ``value`` (float64, NaN when not
  published; ``value`` is a percentage for rate measures and a count for count measures)
  and ``status`` (int8 codes with CF ``flag_values`` / ``flag_meanings``, see
  :func:`personalisation.decode_status`; :func:`make_cube` holds the names, ``str``, and
  every function of the package accepts either);
* coordinates ``council_name``, ``council_type``, ``region_code``, ``region_name`` on
  ``council``; ``period`` and ``geography_vintage`` on ``year``; ``measure_label``,
  ``units`` and ``kind`` on ``measure``;
* ``attrs``: ``title``, ``sources``, ``licence``, ``attribution``, ``citation``,
  ``data_version``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import xarray as xr

from personalisation import measures as measure_registry

COUNCIL_TYPES: tuple[str, ...] = (
    "London borough",
    "metropolitan district",
    "unitary authority",
    "county",
)

_REGIONS = (
    ("E12000001", "North East"),
    ("E12000002", "North West"),
    ("E12000003", "Yorkshire and The Humber"),
    ("E12000004", "East Midlands"),
    ("E12000005", "West Midlands"),
    ("E12000006", "East of England"),
    ("E12000007", "London"),
    ("E12000008", "South East"),
    ("E12000009", "South West"),
)


def _vintages(years: Sequence[int]) -> list[str]:
    """Geography vintage of each data year from the shipped register ("unknown" without it)."""
    try:
        from personalisation.geo.register import vintage_for_year

        return [vintage_for_year(y) for y in years]
    except (ImportError, FileNotFoundError, ValueError, KeyError):
        return ["unknown" for _ in years]


def make_cube(
    n_councils: int = 12,
    years: Sequence[int] = (2015, 2016, 2017),
    measures: Sequence[str] = ("sds_users", "dp_users"),
    *,
    n_regions: int = 3,
    seed: int = 0,
    missing_fraction: float = 0.0,
) -> xr.Dataset:
    """A random cube with the shape and labels of the real one.

    Parameters
    ----------
    n_councils, years, measures
        Sizes and labels of the three dimensions.  Measures must be registry ids.
    n_regions
        Number of regions councils are spread over (1..9).
    seed
        Seed of the random generator (same seed, same cube).
    missing_fraction
        Share of council-year-measure cells set to NaN with status ``missing``.

    Examples
    --------
    >>> cube = make_cube(n_councils=4, years=[2015, 2016])
    >>> dict(cube.sizes)
    {'council': 4, 'year': 2, 'measure': 2}
    >>> bool((cube.numerator <= cube.denominator).all())
    True
    """
    rng = np.random.default_rng(seed)
    years = [int(y) for y in years]
    shape = (n_councils, len(years), len(measures))
    codes = [f"E06{i:06d}" for i in range(1, n_councils + 1)]
    regions = [_REGIONS[i % n_regions] for i in range(n_councils)]
    kinds = [measure_registry.get(m).kind for m in measures]

    denominator = rng.integers(200, 20000, size=shape).astype(float)
    share = rng.beta(8, 2, size=shape)
    numerator = np.floor(denominator * share)
    value = np.round(100 * numerator / denominator, 1)
    for k, kind in enumerate(kinds):
        if kind == "count":
            value[..., k] = numerator[..., k]
            numerator[..., k] = np.nan
            denominator[..., k] = np.nan
    status = np.full(shape, "published", dtype=object)
    if missing_fraction > 0:
        hole = rng.random(shape) < missing_fraction
        for array in (numerator, denominator, value):
            array[hole] = np.nan
        status[hole] = "missing"

    dims = ("council", "year", "measure")
    cube = xr.Dataset(
        {
            "numerator": (dims, numerator),
            "denominator": (dims, denominator),
            "value": (dims, value),
            "status": (dims, status.astype(str)),
        },
        coords={
            "council": codes,
            "year": years,
            "measure": list(measures),
            "council_name": ("council", [f"Council {i}" for i in range(1, n_councils + 1)]),
            "council_type": ("council", [COUNCIL_TYPES[i % 4] for i in range(n_councils)]),
            "region_code": ("council", [r[0] for r in regions]),
            "region_name": ("council", [r[1] for r in regions]),
            "period": ("year", [measure_registry.year_to_period(y) for y in years]),
            "geography_vintage": ("year", _vintages(years)),
            "measure_label": ("measure", [measure_registry.get(m).label for m in measures]),
            "units": ("measure", [measure_registry.get(m).units for m in measures]),
            "kind": ("measure", kinds),
        },
        attrs={
            "title": "SYNTHETIC test cube (random numbers, not real data)",
            "sources": "synthetic",
            "licence": "none",
            "attribution": "synthetic data made by personalisation.testing.make_cube",
            "citation": "",
            "data_version": f"synthetic-seed-{seed}",
        },
    )
    return cube


class _CountingScheduler:
    """A dask scheduler that counts the computes it is asked for and refuses one too many."""

    def __init__(self, max_computes: int) -> None:
        self.max_computes = max_computes
        self.computes = 0

    def __call__(self, dsk: Any, keys: Any, **kwargs: Any) -> Any:
        import dask

        self.computes += 1
        if self.computes > self.max_computes:
            raise RuntimeError(
                f"dask computed {self.computes} time(s); at most {self.max_computes} allowed"
            )
        return dask.get(dsk, keys, **kwargs)


def raise_if_dask_computes(max_computes: int = 0) -> AbstractContextManager[Any]:
    """A context in which dask raises :class:`RuntimeError` on more than ``max_computes``
    computes: proof that code on a dask-backed cube stays lazy (needs dask).

    Examples
    --------
    >>> import dask.array as da
    >>> lazy = da.ones(4, chunks=2)
    >>> with raise_if_dask_computes():
    ...     doubled = lazy * 2  # building the graph computes nothing
    >>> with raise_if_dask_computes():
    ...     doubled.sum().compute()
    Traceback (most recent call last):
    ...
    RuntimeError: dask computed 1 time(s); at most 0 allowed
    """
    import dask

    return dask.config.set(scheduler=_CountingScheduler(max_computes))
