"""Units of rates: the one place where percent and proportion meet.

The convention of the whole package is **percent**:

* the cube holds what was published, and the published percentage is the authority
  (``value`` of a rate measure is in percent, e.g. ``48.0``); counts are counts;
* every rate, limit, interval, target and threshold that :mod:`personalisation.stats`
  returns or accepts is in percent, and every plot label shows that same number;
* differences of rates (changes, spreads: IQR, standard deviation) are in percentage
  points; ratios (CV, Gini, P90/P10) are dimensionless.

Units are stated in every result as CF-style units strings (UDUNITS spellings):
:data:`PERCENT` (``"percent"``), :data:`DIMENSIONLESS` (``"1"``) and the registry's units
of count measures (``"people"``).

Statistics that need proportions (binomial variances, logits, arcsines) convert on the
way in with :func:`to_proportion` and on the way out with :func:`to_percent`; no other
module multiplies or divides by 100.

Rate parameters (thresholds, targets, eligible fractions) are read by :func:`parse_rate`:

* a string with its unit: ``"70%"``, ``"70 %"``, ``"70 percent"``;
* an explicit proportion: ``proportion(0.7)`` (or the string ``"0.7 proportion"``);
* an explicit percentage: ``percent(70)``;
* a bare number is read as percent (the package's unit), so ``70`` is 70%; a bare number
  in (0, 1] is refused as ambiguous (is ``0.7`` 70% or 0.7%?), with an error that says
  how to write it.

Examples
--------
>>> parse_rate("70%"), parse_rate(proportion(0.7)), parse_rate(70)
(70.0, 70.0, 70.0)
>>> parse_rate(0.7)
Traceback (most recent call last):
...
ValueError: threshold=0.7 is ambiguous: write '70%' (or proportion(0.7)) for 70 percent, or '0.7%' for 0.7 percent
>>> float(to_percent(0.25)), float(to_proportion(25.0))
(25.0, 0.25)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

#: CF/UDUNITS units string of every rate in the package.
PERCENT = "percent"
#: CF units string of dimensionless numbers (ratios, proportions, Gini, log-odds).
DIMENSIONLESS = "1"
#: Description of differences of rates (changes, spreads).
PERCENTAGE_POINTS = "percent"

#: Units of the package's rate convention, as written in result captions.
RATE_UNITS = PERCENT

_HUNDRED = 100.0


@dataclass(frozen=True)
class Rate:
    """A rate with an explicit unit (see :func:`percent` and :func:`proportion`).

    Attributes
    ----------
    percent
        The rate in percent.
    """

    percent: float

    def __str__(self) -> str:
        return f"{self.percent:g}%"


def percent(value: float) -> Rate:
    """A rate given in percent: ``percent(70)`` is 70%.

    Examples
    --------
    >>> percent(70).percent
    70.0
    """
    return Rate(float(value))


def proportion(value: float) -> Rate:
    """A rate given as a proportion: ``proportion(0.7)`` is 70%.

    Examples
    --------
    >>> proportion(0.7).percent
    70.0
    """
    return Rate(float(to_percent(float(value))))


def to_percent(proportion_value: Any) -> Any:
    """Proportion(s) in [0, 1] to percent (array-like or scalar in, same out).

    Examples
    --------
    >>> to_percent(np.array([0.5, 1.0])).tolist()
    [50.0, 100.0]
    """
    return np.asarray(proportion_value, dtype=float) * _HUNDRED


def to_proportion(percent_value: Any) -> Any:
    """Percent to proportion(s) in [0, 1] (array-like or scalar in, same out).

    Examples
    --------
    >>> to_proportion(np.array([50.0, 100.0])).tolist()
    [0.5, 1.0]
    """
    return np.asarray(percent_value, dtype=float) / _HUNDRED


def ratio_to_percent(numerator: Any, denominator: Any) -> Any:
    """``100 * numerator / denominator`` (NaN where the denominator is not positive).

    Examples
    --------
    >>> float(ratio_to_percent(30, 40))
    75.0
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan) * _HUNDRED


def complement(rate_percent: Any) -> Any:
    """The rest of the whole, in percent: ``100 - rate`` (array-like or scalar in, same out).

    Examples
    --------
    >>> complement(np.array([30.0, 100.0])).tolist()
    [70.0, 0.0]
    """
    return _HUNDRED - np.asarray(rate_percent, dtype=float)


def percent_of(rate_percent: Any, denominator: Any) -> Any:
    """The count a rate in percent stands for: ``rate / 100 * denominator``.

    Examples
    --------
    >>> round(float(percent_of(46.2, 15)), 2)
    6.93
    """
    return np.asarray(rate_percent, dtype=float) / _HUNDRED * np.asarray(denominator, dtype=float)


_PATTERN = re.compile(
    r"^\s*(?P<number>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*"
    r"(?P<unit>%|percent|pct|proportion|1)?\s*$",
    re.IGNORECASE,
)


def parse_rate(value: Any, name: str = "threshold", *, allow_zero: bool = True) -> float:
    """Read a rate parameter and return it in percent, refusing ambiguous input.

    Parameters
    ----------
    value
        ``"70%"``, ``"70 percent"``, ``"0.7 proportion"``, :func:`percent` / :func:`proportion`
        objects, or a bare number read as percent (a bare number in (0, 1] is refused).
    name
        Parameter name, for the error message.
    allow_zero
        Accept 0%.

    Returns
    -------
    float
        The rate in percent, in [0, 100].

    Raises
    ------
    ValueError
        Unreadable, ambiguous or out-of-range rates, with how to write them.

    Examples
    --------
    >>> parse_rate("30 %", "target"), parse_rate("0.3 proportion"), parse_rate(percent(0.5))
    (30.0, 30.0, 0.5)
    >>> parse_rate("130%")
    Traceback (most recent call last):
    ...
    ValueError: threshold='130%' is outside 0% to 100%
    """
    if isinstance(value, Rate):
        result = value.percent
    elif isinstance(value, str):
        match = _PATTERN.match(value)
        if match is None:
            raise ValueError(
                f"{name}={value!r} is not a rate: write it as '70%' or proportion(0.7)"
            )
        number = float(match["number"])
        unit = (match["unit"] or "").lower()
        if unit in ("proportion", "1"):
            result = float(to_percent(number))
        elif unit in ("%", "percent", "pct"):
            result = number
        else:
            result = _bare(number, value, name)
    elif isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}={value!r} is not a rate: write it as '70%' or proportion(0.7)")
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name}={value!r} is not a rate: write it as '70%' or proportion(0.7)"
            ) from None
        result = _bare(number, value, name)
    if not np.isfinite(result) or result < 0 or result > _HUNDRED + 1e-9:
        raise ValueError(f"{name}={value!r} is outside 0% to 100%")
    if not allow_zero and result == 0:
        raise ValueError(f"{name}={value!r} must be above 0%")
    return float(result)


def _bare(number: float, value: Any, name: str) -> float:
    if 0 < number <= 1:
        shown = format(number * _HUNDRED, ".6g")
        raise ValueError(
            f"{name}={value!r} is ambiguous: write '{shown}%' (or proportion({number:g})) "
            f"for {shown} percent, or '{number:g}%' for {number:g} percent"
        )
    return number


def format_rate(value: float, decimals: int = 1) -> str:
    """A rate in percent as text with one decimal: ``48.04`` -> ``'48.0%'`` (``'–'`` for NaN).

    Examples
    --------
    >>> format_rate(48.04), format_rate(float("nan"))
    ('48.0%', '–')
    """
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:.{decimals}f}%"
