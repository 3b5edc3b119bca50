"""Deprecated alias of :mod:`personalisation.build.readers.pss_ex1` (moved there; this alias will be removed)."""

import warnings

from personalisation.build.lookups import cassr_code_lookup  # noqa: F401
from personalisation.build.readers.pss_ex1 import *  # noqa: F403

warnings.warn(
    "personalisation.sources.pss_ex1 moved to personalisation.build.readers.pss_ex1; import from there",
    DeprecationWarning,
    stacklevel=2,
)
