"""Deprecated alias of :mod:`personalisation.build.readers.ascof` (moved there; this alias will be removed)."""

import warnings

from personalisation.build.readers.ascof import *  # noqa: F403

warnings.warn(
    "personalisation.sources.ascof moved to personalisation.build.readers.ascof; import from there",
    DeprecationWarning,
    stacklevel=2,
)
