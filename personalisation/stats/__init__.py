"""Statistics on the cube: the questions researchers ask of it, one function each.

Every function has the signature ``f(cube, measure, year=None, *, options)``, checks its
inputs (see :mod:`personalisation.stats._validate`) and returns one small result type
(:mod:`personalisation.stats._result`): a tidy table (``.table``, ``.to_frame()``) with
named metadata fields and the units of its columns (``.units``), shown in Jupyter as a
compact HTML table under a one-line caption.  Conventions:

* rates are in **percent** everywhere (:mod:`personalisation.units`): a council's rate is
  its published value, the authority; rate parameters take ``"70%"``,
  ``units.proportion(0.7)`` or a bare ``70``;
* group rates (regions, council types, England) are **pooled**: summed numerators over
  summed denominators, never averaged; the unweighted mean of council rates is given
  separately as ``unweighted_mean``;
* statistics needing counts (pooled rates, :func:`wilson`, :func:`funnel`,
  :func:`eligibility`, ``moran(rates="eb")``) give NaN with a ``reason`` in years
  without numerators and denominators (2019-20, 2021-22..2023-24), and raise
  :class:`~personalisation.errors.MissingYearError` when one such year is asked and
  nothing can be computed; rows whose counts the publisher rounded (2014-15) are flagged
  ``counts_rounded`` and their intervals are approximate;
* councils without a usable value are left out and counted, with the reason (their
  status: ``suppressed``, ``not-collected``, ``missing``...); a suppressed cell is never
  used; councils not in force in a year are not exclusions.

Public functions
----------------
In short (see each function for its parameters and result)::

    variation(cube, measure, year=None) -> VariationResult
    regional(cube, measure, year=None, *, by="region", level=0.95, england=True) -> RegionalResult
    targets(cube, measure, year=None, *, threshold="30%", lower=None, by="region") -> TargetResult
    wilson(cube, measure, year=None, *, level=0.95, method="wilson") -> IntervalResult
    funnel(cube, measure, year=None, *, overdispersion="additive", scale="arcsine",
           exact_below=100, winsor=0.1, levels=(0.95, 0.998), target=None) -> FunnelResult
    funnel_limits(target, denominators, *, levels, phi, tau2, scale, exact_below) -> DataFrame
    change(cube, measure, year=None, *, breaks="warn") -> ChangeResult
    convergence(cube, measure, year=None, *, scale="percent", breaks="warn") -> ConvergenceResult
    dp_mix(cube, measure="dp_users", year=None, *, of="sds_users", by="council") -> MixResult
    eligibility(cube, measure, year=None, *, fraction="70%", threshold=None) -> EligibilityResult
    deprivation(cube, measure, year=None, *, variable="imd_average_score") -> DeprivationResult
    moran(cube, measure, year=None, *, boundaries=None, weights="queen", rates="published",
          permutations=999, seed=12345, significance=0.05, islands="drop") -> MoranResult

Examples
--------
>>> from personalisation import stats
>>> from personalisation.testing import make_cube
>>> cube = make_cube(n_councils=12, n_regions=3)
>>> result = stats.regional(cube, measure="sds_users", year=2015)
>>> list(result["group_name"])
['North East', 'North West', 'Yorkshire and The Humber', 'England']
"""

from __future__ import annotations

from personalisation.errors import InvalidCountsError, SeriesBreakWarning
from personalisation.stats._result import Result
from personalisation.stats.change import ChangeResult, ConvergenceResult, change, convergence
from personalisation.stats.deprivation import DeprivationResult, deprivation, spearman_interval
from personalisation.stats.eligibility import EligibilityResult, eligibility
from personalisation.stats.funnels import (
    FunnelResult,
    estimate_overdispersion,
    exact_limits,
    funnel,
    funnel_limits,
)
from personalisation.stats.mix import MixResult, dp_mix
from personalisation.stats.regional import (
    RegionalResult,
    overdispersed_interval,
    pool,
    regional,
)
from personalisation.stats.spatial import MoranResult, moran
from personalisation.stats.targets import TargetResult, targets
from personalisation.stats.uncertainty import (
    IntervalResult,
    exact_interval,
    wilson,
    wilson_interval,
)
from personalisation.stats.variation import VariationResult, between_share, gini, variation

__all__ = [
    "ChangeResult",
    "ConvergenceResult",
    "DeprivationResult",
    "EligibilityResult",
    "FunnelResult",
    "IntervalResult",
    "InvalidCountsError",
    "MixResult",
    "MoranResult",
    "RegionalResult",
    "Result",
    "SeriesBreakWarning",
    "TargetResult",
    "VariationResult",
    "between_share",
    "change",
    "convergence",
    "deprivation",
    "dp_mix",
    "eligibility",
    "estimate_overdispersion",
    "exact_interval",
    "exact_limits",
    "funnel",
    "funnel_limits",
    "gini",
    "moran",
    "overdispersed_interval",
    "pool",
    "regional",
    "spearman_interval",
    "targets",
    "variation",
    "wilson",
    "wilson_interval",
]
