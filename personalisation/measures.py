"""The measure registry: canonical measure ids and what was published under them.

One table (:func:`registry`) records, for each canonical measure, its label, units,
definition, the published code for every year, the collection it came from and the
series breaks.  Readers translate published codes with :func:`measure_for_code`, which
refuses codes from the wrong framework year (2023-24's ``1C`` is carer-reported quality
of life, and the pre-2023 ``3D`` was "ease of finding information": neither is
self-directed support).

Examples
--------
>>> from personalisation.measures import measure_for_code, published_code
>>> measure_for_code("1C(1A)", "2014-15")
'sds_users'
>>> measure_for_code("3D2A", "2023-24")
'dp_users'
>>> published_code("sds_users", "2023-24")
'3D1A'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from personalisation.errors import UnknownMeasureError


@dataclass(frozen=True)
class Measure:
    """One canonical measure.

    Attributes
    ----------
    id
        Canonical id used in the tidy table and the cube (``sds_users``).
    label
        Human label for tables and figure titles.
    units
        Units of ``value``: ``"%"`` for rates, ``"people"`` for counts.
    kind
        ``"rate"`` (value = 100 * numerator / denominator) or ``"count"``.
    definition
        Definition text, paraphrasing the publisher.
    codes
        Published code (or column label) by period, e.g. ``{"2014-15": "1C(1A)"}``.
    framework
        Indicator definition by period (``ASCOF 1C``, ``ASCOF 3D``, ``PSS-EX1 (RAP)``...).
    collection
        Underlying data collection by period (``RAP``, ``SALT``, ``CLD``...).
    breaks
        Series breaks: period -> explanation.  A break at period P means values from P
        on are not comparable with values before P.
    """

    id: str
    label: str
    units: str
    kind: str
    definition: str
    codes: dict[str, str] = field(default_factory=dict)
    framework: dict[str, str] = field(default_factory=dict)
    collection: dict[str, str] = field(default_factory=dict)
    breaks: dict[str, str] = field(default_factory=dict)


def _periods(first: int, last: int) -> list[str]:
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


_ASCOF_PERIODS = _periods(2015, 2024)


def _ascof_codes(part: str) -> dict[str, str]:
    """Published codes of one 1C part ('1A', '1B', '2A', '2B') by year."""
    codes = {}
    for period in _ASCOF_PERIODS:
        year = period_to_year(period)
        if year <= 2016:
            codes[period] = f"1C({part})"
        elif year <= 2023:
            codes[period] = f"1C{part}"
        else:
            codes[period] = f"3D{part}"
    return codes


_ASCOF_FRAMEWORK = {
    p: ("ASCOF 3D" if period_to_year(p) >= 2024 else "ASCOF 1C") for p in _ASCOF_PERIODS
}
_ASCOF_COLLECTION = dict.fromkeys(_ASCOF_PERIODS, "SALT")
_ASCOF_BREAKS = {
    "2014-15": (
        "Denominator changed from RAP-based clients to SALT 'clients receiving long-term "
        "community support at 31 March'; not comparable with 2010-11..2013-14 (which are not "
        "held here in any case)."
    ),
    "2023-24": (
        "ASCOF refresh: the measure was renamed 3D (formerly 1C) with the same concept; "
        "code 1C now means carer-reported quality of life."
    ),
}

_PSS_PERIODS = _periods(2009, 2015)
_PSS_FRAMEWORK = dict.fromkeys(_PSS_PERIODS, "PSS-EX1 (RAP)")
_PSS_COLLECTION = dict.fromkeys(_PSS_PERIODS, "RAP")

_MYE_PERIODS = [f"mid-{y}" for y in range(2015, 2022)]

MEASURES: tuple[Measure, ...] = (
    Measure(
        id="sds_users",
        label="Service users receiving self-directed support",
        units="%",
        kind="rate",
        definition=(
            "ASCOF 1C part 1A (3D part 1A from 2023-24): the proportion of people who use "
            "services who receive self-directed support (personal budget or direct payment), "
            "of clients receiving long-term community support at 31 March."
        ),
        codes=_ascof_codes("1A"),
        framework=_ASCOF_FRAMEWORK,
        collection=_ASCOF_COLLECTION,
        breaks=_ASCOF_BREAKS,
    ),
    Measure(
        id="sds_carers",
        label="Carers receiving self-directed support",
        units="%",
        kind="rate",
        definition=(
            "ASCOF 1C part 1B (3D part 1B from 2023-24): the proportion of carers who receive "
            "self-directed support."
        ),
        codes=_ascof_codes("1B"),
        framework=_ASCOF_FRAMEWORK,
        collection=_ASCOF_COLLECTION,
        breaks=_ASCOF_BREAKS,
    ),
    Measure(
        id="dp_users",
        label="Service users receiving direct payments",
        units="%",
        kind="rate",
        definition=(
            "ASCOF 1C part 2A (3D part 2A from 2023-24): the proportion of people who use "
            "services who receive direct payments."
        ),
        codes=_ascof_codes("2A"),
        framework=_ASCOF_FRAMEWORK,
        collection=_ASCOF_COLLECTION,
        breaks=_ASCOF_BREAKS,
    ),
    Measure(
        id="dp_carers",
        label="Carers receiving direct payments",
        units="%",
        kind="rate",
        definition=(
            "ASCOF 1C part 2B (3D part 2B from 2023-24): the proportion of carers who receive "
            "direct payments for support direct to the carer."
        ),
        codes=_ascof_codes("2B"),
        framework=_ASCOF_FRAMEWORK,
        collection=_ASCOF_COLLECTION,
        breaks=_ASCOF_BREAKS,
    ),
    Measure(
        id="dp_clients",
        label="Adults receiving direct payments at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Number of adult clients receiving direct payments at 31 March, from RAP P2s as "
            "published in the PSS-EX1 activity annex by CASSR."
        ),
        codes={p: "Total all ages, Direct payments" for p in _PSS_PERIODS},
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={
            "2009-10": (
                "2009-10 and 2010-11 publish 'Existing / new Direct payments and Personal "
                "Budgets' instead; those figures are held as dp_pb_clients, not here."
            ),
        },
    ),
    Measure(
        id="dp_pb_clients",
        label="Adults receiving direct payments and personal budgets at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Published in 2009-10 and 2010-11 as 'Existing / new Direct payments and Personal "
            "Budgets' (RAP P2s). The 2010-11 figures are close to DP-only levels; check the "
            "RAP P2s guidance before treating any year as DP plus personal budgets."
        ),
        codes={
            p: "Total all ages, Existing / new Direct payments and Personal Budgets"
            for p in ("2009-10", "2010-11")
        },
        framework={p: "PSS-EX1 (RAP)" for p in ("2009-10", "2010-11")},
        collection={p: "RAP" for p in ("2009-10", "2010-11")},
        breaks={},
    ),
    Measure(
        id="dp_carers_count",
        label="Carers receiving direct payments (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Carers (caring for adults) receiving direct payments, as published in the PSS-EX1 "
            "activity annex; the 2008-09 header says this count was used for NI 130."
        ),
        codes={p: "Carers receiving direct payments" for p in _PSS_PERIODS},
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="home_care_clients",
        label="Clients receiving home care at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition="Clients receiving home care at 31 March, PSS-EX1 activity annex (RAP P2s).",
        codes={p: "Home care" for p in _PSS_PERIODS},
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="day_care_clients",
        label="Clients receiving day care at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition="Clients receiving day care / day services at 31 March, PSS-EX1 activity annex.",
        codes={p: "Day care" for p in _PSS_PERIODS},
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="population_18plus",
        label="Resident population aged 18 and over (ONS mid-year estimate)",
        units="people",
        kind="count",
        definition="ONS mid-year population estimate, persons aged 18 to 90+, summed over single years of age.",
        codes={p: "MYE2 persons 18-90+" for p in _MYE_PERIODS},
        framework=dict.fromkeys(_MYE_PERIODS, "ONS MYE"),
        collection=dict.fromkeys(_MYE_PERIODS, "ONS MYE"),
        breaks={"mid-2021": "Mid-2021 estimates are Census 2021-based."},
    ),
    Measure(
        id="population_65plus",
        label="Resident population aged 65 and over (ONS mid-year estimate)",
        units="people",
        kind="count",
        definition="ONS mid-year population estimate, persons aged 65 to 90+, summed over single years of age.",
        codes={p: "MYE2 persons 65-90+" for p in _MYE_PERIODS},
        framework=dict.fromkeys(_MYE_PERIODS, "ONS MYE"),
        collection=dict.fromkeys(_MYE_PERIODS, "ONS MYE"),
        breaks={"mid-2021": "Mid-2021 estimates are Census 2021-based."},
    ),
)

#: Documented gaps: figures that exist in the world but not in any file this package reads.
GAPS: tuple[dict[str, str], ...] = (
    {
        "what": "NI 130 (social care clients receiving self-directed support) by council",
        "periods": "2008-09, 2009-10",
        "why": "No council-level NI 130 file was found; PSS-EX1 gives only RAP components.",
    },
    {
        "what": "ASCOF 1C by council",
        "periods": "2010-11 to 2013-14",
        "why": "No council-level file for these years was found.",
    },
    {
        "what": "ASCOF 1C numerators and denominators",
        "periods": "2019-20, 2021-22, 2022-23, 2023-24",
        "why": "Only the compiled outcome-only trend file covers these years; rates only.",
    },
    {
        "what": "ONS mid-year population estimates",
        "periods": "mid-2008 to mid-2014, mid-2022 onwards",
        "why": "Not among the raw files.",
    },
)

_BY_ID = {m.id: m for m in MEASURES}
_BY_CODE: dict[tuple[str, str], str] = {
    (code, period): m.id for m in MEASURES for period, code in m.codes.items()
}
ASCOF_MEASURES: tuple[str, ...] = ("sds_users", "sds_carers", "dp_users", "dp_carers")


def get(measure: str) -> Measure:
    """The :class:`Measure` with this id.

    Raises
    ------
    UnknownMeasureError
        Listing the known ids.
    """
    try:
        return _BY_ID[measure]
    except KeyError:
        raise UnknownMeasureError(
            f"unknown measure {measure!r}; known measures: {', '.join(_BY_ID)}"
        ) from None


def measure_for_code(code: str, period: str) -> str:
    """Canonical id of a published ASCOF code in a given year.

    Parameters
    ----------
    code
        Published code, e.g. ``"1C(1A)"``, ``"1C2A"``, ``"3D1A"``.
    period
        Financial year, e.g. ``"2014-15"``.

    Raises
    ------
    UnknownMeasureError
        When the code does not mean one of the registry's measures in that year (for
        example ``"3D1A"`` before 2023-24, or ``"1C"`` in 2023-24).
    """
    key = (str(code).strip(), str(period).strip())
    if key in _BY_CODE:
        return _BY_CODE[key]
    raise UnknownMeasureError(
        f"published code {code!r} is not a self-directed support / direct payment measure in "
        f"{period}; in {period} those are "
        + ", ".join(f"{m.codes[period]} ({m.id})" for m in MEASURES if period in m.codes)
    )


def published_code(measure: str, period: str) -> str:
    """The code under which ``measure`` was published in ``period``."""
    entry = get(measure)
    try:
        return entry.codes[period]
    except KeyError:
        raise UnknownMeasureError(
            f"{measure} was not published in {period}; published in {', '.join(entry.codes)}"
        ) from None


def registry() -> pd.DataFrame:
    """The registry as a table, one row per measure and period.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure, label, units, kind, period, year, published_code, framework,
        collection, series_break, definition``.

    Examples
    --------
    >>> table = registry()
    >>> table.query("measure == 'sds_users' and period == '2023-24'")["published_code"].item()
    '3D1A'
    """
    rows = []
    for m in MEASURES:
        for period, code in m.codes.items():
            rows.append(
                {
                    "measure": m.id,
                    "label": m.label,
                    "units": m.units,
                    "kind": m.kind,
                    "period": period,
                    "year": period_to_year(period),
                    "published_code": code,
                    "framework": m.framework.get(period, ""),
                    "collection": m.collection.get(period, ""),
                    "series_break": m.breaks.get(period, ""),
                    "definition": m.definition,
                }
            )
    return pd.DataFrame(rows)
