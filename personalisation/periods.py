"""Financial years: the labels the publishers use (``"2014-15"``, ``"mid-2016"``) and the year ints.

The package names a financial year by the calendar year in which it ends (2015 for 2014-15);
ONS mid-year estimates by their year (``"mid-2016"`` is 2016).
"""

from __future__ import annotations

__all__ = ["period_to_year", "periods", "year_to_period"]


def periods(first: int, last: int) -> list[str]:
    """Financial-year labels from the year ending ``first`` to ``last``: 2015 -> '2014-15'."""
    return [f"{y - 1}-{str(y)[-2:]}" for y in range(first, last + 1)]


def period_to_year(period: str) -> int:
    """Calendar year in which a financial year ends.

    Examples
    --------
    >>> period_to_year("2014-15")
    2015
    >>> period_to_year("mid-2016")
    2016
    """
    text = str(period).strip()
    if text.startswith("mid-"):
        return int(text[4:])
    start, _, end = text.partition("-")
    if not (start.isdigit() and end.isdigit() and len(start) == 4 and len(end) in (2, 4)):
        raise ValueError(f"not a financial year like '2014-15': {period!r}")
    century = int(start) // 100 * 100
    year = int(end) if len(end) == 4 else century + int(end)
    if year != int(start) + 1:
        if year + 100 == int(start) + 1:  # 1999-00
            year += 100
        else:
            raise ValueError(f"not a financial year like '2014-15': {period!r}")
    return year


def year_to_period(year: int) -> str:
    """Financial-year label for the year ending in ``year``: 2015 -> ``'2014-15'``."""
    return f"{int(year) - 1}-{str(int(year))[-2:]}"
