"""Deprecated alias of :mod:`personalisation.build.readers.population` (moved there; this alias will be removed)."""

import warnings

from personalisation.build.readers.population import *  # noqa: F403

warnings.warn(
    "personalisation.sources.population moved to personalisation.build.readers.population; import from there",
    DeprecationWarning,
    stacklevel=2,
)
