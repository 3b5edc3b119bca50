"""Deprecated alias of :mod:`personalisation.schema` (moved there; this alias will be removed)."""

import warnings

from personalisation.build.readers.cells import (  # noqa: F401
    NOT_COLLECTED_MARKERS,
    SUPPRESSED_MARKERS,
    parse_published_number,
)
from personalisation.schema import *  # noqa: F403

warnings.warn(
    "personalisation.sources.schema moved to personalisation.schema; import from there",
    DeprecationWarning,
    stacklevel=2,
)
