"""Statistics on the cube: the questions researchers ask of it, one function each.

Every function takes the cube (or a cut of it) plus ``measure=`` and ``year=`` where they
apply, checks its inputs (see :mod:`personalisation.stats._validate`) and returns labelled
xarray or tidy pandas.  Conventions:

* rates are **proportions** in [0, 1]; a council's rate is its published value / 100;
* group rates (regions, council types, England) are **pooled**: summed numerators over
  summed denominators, never averaged; the unweighted mean of council rates is given
  separately as ``unweighted_mean``;
* statistics needing counts (pooled rates, :func:`wilson`, :func:`funnel`,
  :func:`eligibility`) give NaN with a ``reason`` in years without numerators and
  denominators (2019-20, 2021-22..2023-24), and raise
  :class:`~personalisation.errors.MissingYearError` when one such year is asked and
  nothing can be computed;
* councils without a finite value are left out and counted, with the reason (their
  status: ``suppressed``, ``not-collected``, ``missing``...).

Public functions
----------------
In short (see each function for its parameters and result)::

    variation(cube, measure, year=None) -> xarray.Dataset
    regional(cube, measure, year=None, *, by="region", level=0.95, england=True) -> DataFrame
    targets(cube, measure, year, threshold=0.3, *, lower=None, by="region") -> TargetResult
    wilson(cube, measure, year=None, *, level=0.95, method="wilson") -> DataFrame
    funnel(cube, measure, year, *, overdispersion="additive", winsor=0.1,
           levels=(0.95, 0.998), target=None) -> DataFrame
    funnel_limits(pooled_rate, denominators, *, levels=(0.95, 0.998), phi=1.0, tau2=0.0)
    change(cube, measure, start=None, end=None) -> DataFrame
    convergence(cube, measure, start=None, end=None) -> ConvergenceResult
    dp_mix(cube, year=None, *, by="council", numerator="dp_users", denominator="sds_users")
    eligibility(cube, measure, year=None, fraction=0.7, *, threshold=None) -> DataFrame
    moran(cube, measure, year, *, boundaries=None, weights="queen", permutations=999,
          seed=12345, significance=0.05, islands="drop") -> MoranResult

Examples
--------
>>> from personalisation import stats
>>> from personalisation.testing import make_cube
>>> cube = make_cube(n_councils=12, n_regions=3)
>>> table = stats.regional(cube, measure="sds_users", year=2015)
>>> list(table.group_name)
['North East', 'North West', 'Yorkshire and The Humber', 'England']
"""

from __future__ import annotations

from personalisation.errors import InvalidCountsError
from personalisation.stats.change import ConvergenceResult, change, convergence
from personalisation.stats.eligibility import eligibility
from personalisation.stats.mix import dp_mix
from personalisation.stats.regional import pool, regional
from personalisation.stats.spatial import MoranResult, moran
from personalisation.stats.targets import TargetResult, targets
from personalisation.stats.uncertainty import (
    estimate_overdispersion,
    exact_interval,
    funnel,
    funnel_limits,
    wilson,
    wilson_interval,
)
from personalisation.stats.variation import between_share, gini, variation

__all__ = [
    "ConvergenceResult",
    "InvalidCountsError",
    "MoranResult",
    "TargetResult",
    "between_share",
    "change",
    "convergence",
    "dp_mix",
    "eligibility",
    "estimate_overdispersion",
    "exact_interval",
    "funnel",
    "funnel_limits",
    "gini",
    "moran",
    "pool",
    "regional",
    "targets",
    "variation",
    "wilson",
    "wilson_interval",
]
