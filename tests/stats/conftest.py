"""Tiny hand-made cubes for the stats tests (synthetic numbers, never real data)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import xarray as xr

from personalisation.testing import make_cube


def cube_from(
    numerator: Sequence | np.ndarray | None = None,
    denominator: Sequence | np.ndarray | None = None,
    *,
    value: Sequence | np.ndarray | None = None,
    status: Sequence | np.ndarray | None = None,
    years: Sequence[int] = (2015,),
    measure: str = "sds_users",
    n_regions: int = 2,
    extra_measures: Sequence[str] = (),
) -> xr.Dataset:
    """A cube whose ``measure`` holds the given (council, year) arrays.

    Councils are ``E06000001..``; council i is in region ``i % n_regions`` and has type
    ``COUNCIL_TYPES[i % 4]`` (see :func:`personalisation.testing.make_cube`).  A 1-D input
    is one year.  ``value`` defaults to ``100 * numerator / denominator`` (unrounded).
    """

    def as2d(a):
        a = np.asarray(a, dtype=float if a is None or np.asarray(a).dtype.kind != "U" else str)
        return a[:, None] if a.ndim == 1 else a

    num = as2d(numerator) if numerator is not None else None
    den = as2d(denominator) if denominator is not None else None
    shape = (num if num is not None else as2d(value)).shape
    cube = make_cube(
        n_councils=shape[0],
        years=years,
        measures=[measure, *extra_measures],
        n_regions=n_regions,
    )
    nan = np.full(shape, np.nan)
    num = nan if num is None else num
    den = nan if den is None else den
    if value is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            val = 100 * num / den
    else:
        val = as2d(value)
    if status is None:
        stat = np.where(np.isfinite(val), "published", "missing")
    else:
        stat = np.asarray(status, dtype=str)
        stat = stat[:, None] if stat.ndim == 1 else stat
    where = {"measure": measure}
    cube["numerator"].loc[where] = num
    cube["denominator"].loc[where] = den
    cube["value"].loc[where] = val
    cube["status"] = cube["status"].astype(object)
    cube["status"].loc[where] = stat
    cube["status"] = cube["status"].astype(str)
    return cube


@pytest.fixture(scope="session")
def build() -> Callable[..., xr.Dataset]:
    """The :func:`cube_from` factory."""
    return cube_from
