"""Helpers shared by the test modules (importable because ``tests`` is on ``pythonpath``)."""

from __future__ import annotations

from typing import Any


def tidy_row(**overrides: Any) -> dict[str, Any]:
    """One valid row of the tidy table: Manchester's published ASCOF 1C(1A) for 2020-21
    (3,687 of 4,091 users, 90.1%), with ``overrides`` applied."""
    row: dict[str, Any] = dict(
        council_code="E08000003",
        council_name="Manchester",
        geography_level="council",
        period="2020-21",
        year=2021,
        measure="sds_users",
        published_code="1C1A",
        disaggregation="Total",
        numerator=3687.0,
        denominator=4091.0,
        value=90.1,
        status="published",
        definition="ASCOF 1C",
        source="ascof_trend_2017_24",
    )
    row.update(overrides)
    return row
