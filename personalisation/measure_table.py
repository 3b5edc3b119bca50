"""The declared measures: one :class:`Measure` per canonical measure, with every published code,
framework, collection, series break, not-collected period and rounding note, and the gaps
(figures that exist nowhere in the raw files).  :mod:`personalisation.measures` queries them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from personalisation.periods import period_to_year
from personalisation.periods import periods as _periods

__all__ = ["GAPS", "MEASURES", "Measure"]


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
    not_collected
        Periods in the measure's run for which the publisher published nothing, with the
        publisher's reason (the cube gives such cells the status ``not-collected``).
    rounded
        Periods whose published council numerators and denominators were rounded by the
        publisher (period -> note); the published rate is the authority there, and
        statistics flag those rows (see :mod:`personalisation.stats`).
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
    not_collected: dict[str, str] = field(default_factory=dict)
    rounded: dict[str, str] = field(default_factory=dict)


_ASCOF_PERIODS = _periods(2015, 2025)
#: Years of ASCOF 3D derived from the client level data collection (CLD), not SALT.
_CLD_PERIODS = ("2024-25",)
#: The carers' parts were not published from CLD (see :data:`_CARERS_NOT_COLLECTED`).
_CARERS_PERIODS = _periods(2015, 2024)


def _ascof_codes(part: str) -> dict[str, str]:
    """Published codes of one 1C part ('1A', '1B', '2A', '2B') by year."""
    codes = {}
    for period in _ASCOF_PERIODS if part.endswith("A") else _CARERS_PERIODS:
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
_ASCOF_COLLECTION = {p: ("CLD" if p in _CLD_PERIODS else "SALT") for p in _ASCOF_PERIODS}
_CLD_BREAK = (
    "Source changed from SALT to the client level data collection (CLD), with significant "
    "methodological changes; DHSC designates 2024-25 as official statistics in development and "
    "says figures from 2024-25 cannot be compared with previous years (England 3D(1a) falls "
    "from 92.2% in 2023-24 to 82.4% because the source changed, not the councils; DHSC note 15 "
    "attributes low council figures to CLD data quality)."
)
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
    "2024-25": _CLD_BREAK,
}
_CARERS_NOT_COLLECTED = {
    "2024-25": (
        "Not published for 2024-25: DHSC left out 3D(1b) and 3D(2b) because the national "
        "number of unpaid carers in CLD was much lower than the SALT count the year before "
        "(ASCOF 2024-25 Cover sheet and comparability log)."
    ),
}

_ASCOF_ROUNDED = {
    "2014-15": (
        "the ASCOF 2014-15 open data publish council numerators and denominators rounded to "
        "the nearest 5 (rates were computed before rounding)"
    ),
}

_PSS_PERIODS = _periods(2009, 2015)
_PSS_FRAMEWORK = dict.fromkeys(_PSS_PERIODS, "PSS-EX1 (RAP)")
_PSS_COLLECTION = dict.fromkeys(_PSS_PERIODS, "RAP")

_MYE_PERIODS = [f"mid-{y}" for y in range(2015, 2024)]
_MYE4_PERIODS = [f"mid-{y}" for y in range(2011, 2024)]
_MYE_BREAKS = {
    "mid-2021": "Mid-2021 estimates are Census 2021-based.",
    "mid-2022": (
        "Mid-2022 and mid-2023 are on the 2023 council geography (Cumberland, Westmorland and "
        "Furness, North Yorkshire and Somerset unitaries); mid-2022 is ONS's original release "
        "(ONS later revised it: see population_all_ages)."
    ),
}

MEASURES: tuple[Measure, ...] = (
    Measure(
        id="sds_users",
        label="Service users receiving self-directed support",
        units="%",
        kind="rate",
        definition=(
            "ASCOF 1C part 1A (3D part 1A from 2023-24): the proportion of people who use "
            "services who receive self-directed support (personal budget or direct payment), "
            "of clients receiving long-term community support at 31 March (from SALT to "
            "2023-24; from the client level data collection, CLD, from 2024-25)."
        ),
        codes=_ascof_codes("1A"),
        framework=_ASCOF_FRAMEWORK,
        collection=_ASCOF_COLLECTION,
        breaks=_ASCOF_BREAKS,
        rounded=_ASCOF_ROUNDED,
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
        not_collected=_CARERS_NOT_COLLECTED,
        rounded=_ASCOF_ROUNDED,
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
        rounded=_ASCOF_ROUNDED,
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
        not_collected=_CARERS_NOT_COLLECTED,
        rounded=_ASCOF_ROUNDED,
    ),
    Measure(
        id="dp_clients",
        label="Adults receiving direct payments at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Number of adult clients receiving direct payments at 31 March, from RAP P2s as "
            "published in the PSS-EX1 activity annex by CASSR; only columns labelled 'Direct "
            "payments'. Disaggregations as published: Total (all ages), 18-64, and 65 and "
            "over or its bands 65-74, 75-84, 85 and over (no 65+ sum is derived). Codes below "
            "are the all-ages column where one is labelled 'Direct payments'."
        ),
        codes={
            "2008-09": "Table P2s Pages 2 + 4 + 6 line 11 col 1 (all ages direct payments)",
            "2009-10": (
                "Total 75-84, Number of clients receiving Direct payments (RAP P2s Page 7, box 1)"
            ),
            "2010-11": "Total 65 and over, Direct payments (RAP P2s Page 4, column 1, row 11)",
            **dict.fromkeys(
                ("2011-12", "2012-13", "2013-14"),
                "Total all ages, Direct payments (sum of RAP P2s Pages 2 and 4, column 1, row 11)",
            ),
        },
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={
            "2009-10": (
                "No all-ages or 18-64 direct-payment-only column in 2009-10 and 2010-11: those "
                "columns are labelled 'Existing / new Direct payments and Personal Budgets' and "
                "are held as dp_pb_clients. Only 75-84 and 85 and over (2009-10) and 65 and over "
                "(2010-11) are labelled direct payments and are held here."
            ),
            "2011-12": (
                "All-ages direct payments published again, now summing RAP P2s pages 2 and 4 "
                "(2008-09: pages 2, 4 and 6); check the RAP P2s guidance before comparing "
                "with 2008-09. Not published in the 2014-15 annex (moved to SALT)."
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
            "Budgets' (RAP P2s): Total (all ages), 18-64, and 65-74 (2009-10 only). The 2010-11 "
            "figures are close to DP-only levels, and the 2010-11 all-ages sum includes a 65 "
            "and over column labelled direct payments only; check the RAP P2s guidance before "
            "treating any year as DP plus personal budgets."
        ),
        codes=dict.fromkeys(
            ("2009-10", "2010-11"),
            "Total all ages, Existing / new Direct payments and Personal Budgets "
            "(sum of RAP P2s Pages 2, 4 and 6, column 1, row 11)",
        ),
        framework=dict.fromkeys(("2009-10", "2010-11"), "PSS-EX1 (RAP)"),
        collection=dict.fromkeys(("2009-10", "2010-11"), "RAP"),
        breaks={},
    ),
    Measure(
        id="dp_carers_count",
        label="Carers receiving direct payments during the year (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Carers (caring for adults) receiving direct payments at any time during the year, "
            "as published in the PSS-EX1 activity annex by age of carer: 16-17, 18-64, 65-74, "
            "75-84, 85 and over. No total is published (so there is no 'Total' "
            "disaggregation). The 2008-09 header says this count was used for NI 130. "
            "Published codes are '<group> | <band>', e.g. 'Carers receiving direct payments "
            "during year | Carers aged 18-64'."
        ),
        codes={
            "2008-09": "Carers receiving direct payments during year (used for NI 130)",
            **dict.fromkeys(
                ("2009-10", "2010-11", "2011-12", "2012-13", "2013-14"),
                "Carers receiving direct payments during year",
            ),
        },
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="dp_carers_count_31march",
        label="Carers receiving direct payments at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Carers (caring for adults) receiving direct payments at 31 March, one all-ages "
            "figure (disaggregation 'Total'), PSS-EX1 activity annex 2009-10 to 2013-14. "
            "Many councils, and the England total from 2011-12, are '..' (not available). "
            "The 2010-11 file labels the column 'at 31 March 2010' as published."
        ),
        codes={
            "2009-10": "Carers receiving direct payments at 31 March 2010",
            "2010-11": "Carers receiving direct payments at 31 March 2010",
            "2011-12": "Carers receiving direct payments at 31 March 2012",
            "2012-13": "Carers receiving direct payments at 31 March",
            "2013-14": "Carers receiving direct payments at 31 March",
        },
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="home_care_clients",
        label="Clients receiving home care at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Clients receiving home care at 31 March, PSS-EX1 activity annex (RAP P2s): Total "
            "(all ages) and 65 and over."
        ),
        codes={
            "2008-09": "Table P2s Pages 1 + 3 + 5 line 11 col 2 (all ages home care)",
            **dict.fromkeys(
                ("2009-10", "2010-11"),
                "Total all ages, Home care (sum of RAP P2s Pages 1, 3 and 5, column 2, row 11)",
            ),
            **dict.fromkeys(
                ("2011-12", "2012-13", "2013-14"),
                "Total all ages, Home care (sum of RAP P2s Pages 1 and 3, column 2, row 11)",
            ),
        },
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="day_care_clients",
        label="Clients receiving day care at 31 March (PSS-EX1)",
        units="people",
        kind="count",
        definition=(
            "Clients receiving day care / day services at 31 March, PSS-EX1 activity annex "
            "(RAP P2s): Total (all ages) and 65 and over."
        ),
        codes={
            "2008-09": "Table P2s Pages 1 + 3 + 5 line 11 col 3 (all ages day care)",
            **dict.fromkeys(
                ("2009-10", "2010-11"),
                "Total all ages, Day care (sum of RAP P2s Pages 1, 3 and 5, column 3, row 11)",
            ),
            **dict.fromkeys(
                ("2011-12", "2012-13", "2013-14"),
                "Total all ages, Day care (sum of RAP P2s Pages 1 and 3, column 3, row 11)",
            ),
        },
        framework=_PSS_FRAMEWORK,
        collection=_PSS_COLLECTION,
        breaks={},
    ),
    Measure(
        id="long_term_residential_weeks",
        label="Weeks of long-term residential care during the year (PSS-EX1 2014-15)",
        units="weeks",
        kind="count",
        definition=(
            "Weeks of long-term residential care supported by the council during 2014-15, "
            "total provision (in house plus external), from the transposed PSS-EX1 2014-15 "
            "activity annex; disaggregation '<age>: <primary support reason>' (ages 18-64, "
            "65 and over; no total is published). Published code pattern: 'Long term | Age 18 "
            "to 64 | Physical support | Residential | Total provision'."
        ),
        codes={
            "2014-15": "Long term | <age> | <primary support reason> | Residential | Total provision"
        },
        framework={"2014-15": "PSS-EX1"},
        collection={"2014-15": "PSS-EX1"},
        breaks={},
    ),
    Measure(
        id="long_term_nursing_weeks",
        label="Weeks of long-term nursing care during the year (PSS-EX1 2014-15)",
        units="weeks",
        kind="count",
        definition=(
            "Weeks of long-term nursing care supported by the council during 2014-15, total "
            "provision, from the transposed PSS-EX1 2014-15 activity annex; disaggregation "
            "'<age>: <primary support reason>' as for long_term_residential_weeks."
        ),
        codes={
            "2014-15": "Long term | <age> | <primary support reason> | Nursing | Total provision"
        },
        framework={"2014-15": "PSS-EX1"},
        collection={"2014-15": "PSS-EX1"},
        breaks={},
    ),
    *(
        Measure(
            id=measure_id,
            label=f"Community clients in long-term support at 31 March: {what} (SALT LTS001b)",
            units="people",
            kind="count",
            definition=(
                f"Clients accessing long-term support in the community at 31 March whose support "
                f"was delivered as {what}, SALT LTS001b as published in NHS Digital's ASCFR and "
                "SALT data tables (T38), rounded to the nearest 5 ([c] under 5, [x] not "
                "submitted). Bands 18-64 and 65 and over as published; Total is their sum where "
                "both are published (derived). One of the four components of ASCOF 1C parts 1A "
                "and 2A (prison settings excluded, as in ASCOF)."
            ),
            codes={"2021-22": f"T38 Community | {column}"},
            framework={"2021-22": "SALT LTS001b"},
            collection={"2021-22": "SALT"},
            breaks={},
        )
        for measure_id, what, column in (
            ("lts_dp_only", "direct payment only", "Direct Payment Only"),
            ("lts_part_dp", "part direct payment", "Part Direct Payment"),
            (
                "lts_council_managed_pb",
                "a council-managed personal budget",
                "CASSR Managed Personal Budget",
            ),
            (
                "lts_commissioned_only",
                "council-commissioned support only (no personal budget)",
                "CASSR Commissioned Support Only",
            ),
        )
    ),
    Measure(
        id="carers_support_salt",
        label="Carers supported during the year by type of support (SALT LTS003)",
        units="people",
        kind="count",
        definition=(
            "Carers supported during the year by the type of support provided, SALT LTS003 as "
            "published in the ASCFR and SALT data tables (T47), rounded to 5: disaggregations "
            "Direct Payment, Part Direct Payment, CASSR Managed Personal Budget, CASSR "
            "Commissioned Support Only, Information, Advice and other Universal "
            "Services/Signposting, No Direct Support to Carer and Total. Held as published: it "
            "does not reproduce ASCOF 1C parts 1B/2B (England recomputed SDS 88.3% against the "
            "published 89.3%), so no carers' rate is derived from it."
        ),
        codes={"2021-22": "T47 (type of support)"},
        framework={"2021-22": "SALT LTS003"},
        collection={"2021-22": "SALT"},
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
        breaks=_MYE_BREAKS,
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
        breaks=_MYE_BREAKS,
    ),
    Measure(
        id="population_all_ages",
        label="Resident population, all ages (ONS MYE4 series, 2023 boundaries)",
        units="people",
        kind="count",
        definition=(
            "ONS mid-year population estimates, all ages, mid-2011 to mid-2023, from the MYE4 "
            "summary of the mid-2023 England and Wales release: ONS's revised back series on "
            "the 2023 council boundaries (reorganised councils reported back to 2011 on their "
            "new codes). No age split: it cannot stand in for the adult population."
        ),
        codes={p: f"MYE4 Mid-{p[4:]} (all ages)" for p in _MYE4_PERIODS},
        framework=dict.fromkeys(_MYE4_PERIODS, "ONS MYE"),
        collection=dict.fromkeys(_MYE4_PERIODS, "ONS MYE"),
        breaks={},
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
        "periods": "2019-20, 2022-23, 2023-24 (2021-22 for councils with a suppressed SALT cell)",
        "why": (
            "Only the compiled outcome-only trend file covers these years; rates only. For "
            "2021-22 the counts are derived from SALT LTS001b (T38) where no cell is suppressed."
        ),
    },
    {
        "what": "ASCOF 3D parts 1B and 2B (carers) by council",
        "periods": "2024-25",
        "why": (
            "Not published by DHSC: the CLD count of unpaid carers was much lower than the "
            "SALT count the year before."
        ),
    },
    {
        "what": "ONS mid-year population estimates",
        "periods": "by age: mid-2008 to mid-2014; all ages: mid-2008 to mid-2010; mid-2024 on",
        "why": (
            "Not among the raw files (the MYE4 series of the mid-2023 release gives all ages "
            "only, from mid-2011)."
        ),
    },
)
