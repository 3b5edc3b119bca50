"""What each published file holds, declared per file and year: a missing or renamed column is an error.

The readers check a file against these declarations when the build passes them in
(``expected_figures=``), so a column the publisher renamed ("Home care" spelt "Homecare")
or deleted is refused with its measure and band named, never read as "not collected".
"""

from __future__ import annotations

from collections.abc import Iterable


def _figures(measures: dict[str, Iterable[str]]) -> tuple[tuple[str, str], ...]:
    """The sorted (measure, band) pairs of ``{measure: bands}``."""
    return tuple(sorted((measure, band) for measure, bands in measures.items() for band in bands))


# Declared once, from the published files: the figures the 2008-09 to 2013-14 tables all
# hold (day care and home care of people 65 and over, carers' direct payments by age) ...
_PSS_EX1_EVERY_YEAR: dict[str, tuple[str, ...]] = {
    "day_care_clients": ("65 and over", "Total"),
    "dp_carers_count": ("16-17", "18-64", "65-74", "75-84", "85 and over"),
    "home_care_clients": ("65 and over", "Total"),
}
# ... the carers' direct payments at 31 March, from 2009-10 on ...
_PSS_EX1_CARERS_31MARCH: dict[str, tuple[str, ...]] = {"dp_carers_count_31march": ("Total",)}
# ... and the client direct payments (and personal budgets), whose bands change with the year.
_PSS_EX1_CLIENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "2008-09": {"dp_clients": ("18-64", "65-74", "75-84", "85 and over", "Total")},
    "2009-10": {
        "dp_clients": ("75-84", "85 and over"),
        "dp_pb_clients": ("18-64", "65-74", "Total"),
    },
    "2010-11": {"dp_clients": ("65 and over",), "dp_pb_clients": ("18-64", "Total")},
    "2011-12": {"dp_clients": ("18-64", "65 and over", "Total")},
    "2012-13": {"dp_clients": ("18-64", "65 and over", "Total")},
    "2013-14": {"dp_clients": ("18-64", "65 and over", "Total")},
}
# 2014-15 (the first SALT-era table): long-term care weeks by age band and primary support reason.
_PSS_EX1_2014_15_BANDS = tuple(
    f"{age}: {reason}"
    for age in ("18-64", "65 and over")
    for reason in (
        "Learning disability support",
        "Mental health support",
        "Physical support",
        "Sensory support",
        "Support with memory and cognition",
    )
)

#: The figures each published PSS-EX1 activity table holds (measure, band), declared per
#: year from the published files: a file of a declared year that lacks one (a renamed or
#: deleted column) is refused by :func:`personalisation.build.readers.pss_ex1.read_pss_ex1` when given expected_figures.
PSS_EX1_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    **{
        period: _figures(
            {
                **_PSS_EX1_EVERY_YEAR,
                **(_PSS_EX1_CARERS_31MARCH if period != "2008-09" else {}),
                **clients,
            }
        )
        for period, clients in _PSS_EX1_CLIENTS.items()
    },
    "2014-15": _figures(
        {
            "long_term_nursing_weeks": _PSS_EX1_2014_15_BANDS,
            "long_term_residential_weeks": _PSS_EX1_2014_15_BANDS,
        }
    ),
}
