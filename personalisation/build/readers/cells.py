"""Shared parsing of published cells: numbers with thousands separators, and markers.

Every reader turns a published cell into ``(number, status)`` here, so that what counts as
"withheld" or "not collected" is decided in one place.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["NOT_COLLECTED_MARKERS", "SUPPRESSED_MARKERS", "cell_text", "parse_published_number"]

#: Cell contents that publishers use for "withheld" (suppressed) ...
SUPPRESSED_MARKERS: frozenset[str] = frozenset({"[c]", "*", "c", "[z]"})
#: ... and for "not available / not collected".
NOT_COLLECTED_MARKERS: frozenset[str] = frozenset(
    {"..", "[x]", "x", "-", "", ":", "n/a", "N/A", "NA", "nan", "[u]"}
)


def parse_published_number(cell: object) -> tuple[float, str]:
    """Parse one published cell into ``(number, status)``.

    Handles comma thousands separators, suppression markers and blank cells.

    Parameters
    ----------
    cell
        The raw cell (string, number or missing).

    Returns
    -------
    tuple of (float, str)
        The number (NaN when not published) and its status.

    Raises
    ------
    ValueError
        When the cell is text that is neither a number nor a known marker.

    Examples
    --------
    >>> parse_published_number("3,515")
    (3515.0, 'published')
    >>> parse_published_number("[c]")
    (nan, 'suppressed')
    >>> parse_published_number("..")
    (nan, 'not-collected')
    """
    if cell is None or (np.ndim(cell) == 0 and pd.isna(cell)):
        return float("nan"), "not-collected"
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        number = float(cell)
    else:
        text = str(cell).strip()
        if text in SUPPRESSED_MARKERS:
            return float("nan"), "suppressed"
        if text in NOT_COLLECTED_MARKERS:
            return float("nan"), "not-collected"
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"not a number or a known marker: {text!r}")
        number = float(text.replace(",", ""))
    if not np.isfinite(number):
        raise ValueError(f"not a finite number: {cell!r}")
    return number, "published"


#: A published number: optional sign, digits with optional comma thousands, optional decimals.
_NUMBER = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[-+]?\.\d+")


def cell_text(cell: object) -> str:
    """A cell as stripped text; integral floats lose their ``.0``; missing -> ``""``."""
    if cell is None or cell is pd.NA or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, (float, np.floating)) and float(cell).is_integer():
        return str(int(cell))
    return str(cell).strip()
