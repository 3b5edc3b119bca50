"""Colour classes for maps, with breaks pooled across years.

When several years are drawn (small multiples, or single maps meant to be compared), the
class breaks are computed once on the values of all those years stacked together, so a
colour means the same range in every panel (as :class:`mapclassify.Pooled` does).  The
breaks come from :func:`mapclassify.classify`; this module only stacks, classifies and
labels.

Examples
--------
>>> import numpy as np
>>> classes = pooled_classes([np.array([1.0, 2.0, np.nan]), np.array([3.0, 4.0])],
...                          scheme="EqualInterval", k=3)
>>> classes.breaks.round(2).tolist()
[2.0, 3.0, 4.0]
>>> classes.assign(np.array([1.0, 3.5, np.nan])).tolist()
[0, 2, -1]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_SCHEME = "Quantiles"
DEFAULT_K = 5


@dataclass(frozen=True)
class Classes:
    """Class breaks shared by every panel of a figure.

    Attributes
    ----------
    breaks
        Upper bound of each class, increasing (mapclassify's ``bins``).
    minimum
        Smallest pooled value (lower bound of the first class).
    scheme
        The mapclassify scheme used (``"Quantiles"``, ``"FisherJenks"``...).
    n_values
        Number of non-missing values the breaks were computed on.
    """

    breaks: np.ndarray
    minimum: float
    scheme: str
    n_values: int

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.breaks)

    def assign(self, values: Any) -> np.ndarray:
        """Class index of each value (``-1`` for missing), as mapclassify does:
        class ``i`` holds ``breaks[i-1] < value <= breaks[i]``.

        Raises
        ------
        ValueError
            For a value outside ``[minimum, breaks[-1]]``: the classes were not pooled
            over the values being drawn.
        """
        values = np.asarray(values, dtype=float)
        index = np.searchsorted(self.breaks, values, side="left")
        finite = np.isfinite(values)
        outside = finite & ((values < self.minimum) | (index >= self.k))
        if outside.any():
            raise ValueError(
                f"values {values[outside][:5].tolist()} fall outside the pooled classes "
                f"[{self.minimum}, {self.breaks[-1]}]; pool the breaks over every year drawn"
            )
        return np.where(finite, index, -1).astype(int)

    def labels(self, fmt: str = ".1f") -> list[str]:
        """Legend text of each class: ``'10.0 – 25.0'``."""
        lower = [self.minimum, *self.breaks[:-1]]
        return [f"{lo:{fmt}} – {hi:{fmt}}" for lo, hi in zip(lower, self.breaks, strict=True)]


def pooled_classes(
    values: Iterable[Any],
    *,
    scheme: str = DEFAULT_SCHEME,
    k: int = DEFAULT_K,
    **classification_kwds: Any,
) -> Classes:
    """Class breaks computed on the values of all panels stacked together.

    Parameters
    ----------
    values
        One array-like of values per panel (year); NaN (no data) is ignored.
    scheme
        Any scheme of :func:`mapclassify.classify` (``"Quantiles"``, ``"NaturalBreaks"``,
        ``"FisherJenks"``, ``"EqualInterval"``, ``"UserDefined"`` with ``bins=``...).
        ``"Quantiles"`` (the default), ``"FisherJenks"`` and ``"EqualInterval"`` are
        deterministic; ``"NaturalBreaks"`` uses random starts.
    k
        Number of classes (mapclassify may return fewer when values tie).
    **classification_kwds
        Passed on to :func:`mapclassify.classify` (e.g. ``bins`` for ``UserDefined``).

    Returns
    -------
    Classes

    Raises
    ------
    ValueError
        When no panel holds any value.

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.arange(10.0), np.arange(10.0, 20.0)
    >>> pooled_classes([a, b], k=4).breaks.tolist()
    [4.75, 9.5, 14.25, 19.0]
    """
    import warnings

    import mapclassify

    arrays = [np.asarray(v, dtype=float).ravel() for v in values]
    stacked = np.concatenate(arrays) if arrays else np.array([], dtype=float)
    stacked = stacked[np.isfinite(stacked)]
    if stacked.size == 0:
        raise ValueError("no values to classify: every council is missing in every panel")
    if scheme.lower().replace("_", "") != "userdefined":
        classification_kwds.setdefault("k", min(k, np.unique(stacked).size))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(duplicate|Not enough unique).*")
        classifier = mapclassify.classify(stacked, scheme, **classification_kwds)
    breaks = np.unique(np.asarray(classifier.bins, dtype=float))
    return Classes(
        breaks=breaks, minimum=float(stacked.min()), scheme=scheme, n_values=int(stacked.size)
    )
