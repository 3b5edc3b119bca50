"""Shared parsing of published cells: numbers with thousands separators, and markers.

Every reader turns a published cell into ``(number, status)`` here, so that what counts as
"withheld" or "not collected" is decided in one place.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "NOT_APPLICABLE_MARKERS",
    "NOT_COLLECTED_MARKERS",
    "SUPPRESSED_MARKERS",
    "cell_text",
    "check_text_file",
    "decode_error",
    "parse_published_number",
]

#: Cell contents that publishers use for "withheld" (suppressed) ...
SUPPRESSED_MARKERS: frozenset[str] = frozenset({"[c]", "*", "c"})
#: ... for "not applicable" (the figure does not apply; the GSS ``[z]`` shorthand) ...
NOT_APPLICABLE_MARKERS: frozenset[str] = frozenset({"[z]"})
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
    >>> parse_published_number("[z]")
    (nan, 'not-applicable')
    """
    if cell is None or (np.ndim(cell) == 0 and pd.isna(cell)):  # type: ignore[arg-type]
        return float("nan"), "not-collected"
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        number = float(cell)
    else:
        text = str(cell).strip()
        if text in SUPPRESSED_MARKERS:
            return float("nan"), "suppressed"
        if text in NOT_APPLICABLE_MARKERS:
            return float("nan"), "not-applicable"
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


_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def check_text_file(path: str | Path) -> None:
    """Refuse a text file that is UTF-16/32 encoded or binary, naming the encoding.

    Raises
    ------
    SourceFormatError
        When the file starts with a UTF-16/32 byte-order mark or holds NUL bytes.
    """
    from personalisation.errors import SourceFormatError

    with open(path, "rb") as handle:
        head = handle.read(4096)
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            raise SourceFormatError(
                f"{path}: the file is {name} encoded text (byte-order mark {bom.hex()}); the "
                "published file is UTF-8: download it again or re-save it as UTF-8"
            )
    if b"\x00" in head:
        raise SourceFormatError(
            f"{path}: the file holds NUL bytes (binary, or UTF-16 without a byte-order mark); "
            "expected a UTF-8 text file"
        )


def decode_error(path: str | Path, exc: UnicodeDecodeError) -> Exception:
    """A :class:`~personalisation.errors.SourceFormatError` naming the file and the bad byte."""
    from personalisation.errors import SourceFormatError

    byte = exc.object[exc.start : exc.start + 1].hex()
    return SourceFormatError(
        f"{path}: not {exc.encoding} text: byte 0x{byte} at position {exc.start} "
        f"({exc.reason}); the file was probably re-saved in another encoding (cp1252?): "
        "download it again"
    )
