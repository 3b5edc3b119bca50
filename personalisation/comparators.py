"""A council against its statistical neighbours: the comparator table of a council profile.

:func:`compare_with_neighbours` picks the newest DfE statistical-neighbour model that holds the
council (the 2025 model on the 2023 councils, else the 2021 model on the 2021 councils; see
:func:`personalisation.neighbours`), joins the neighbours' published figures for the latest
year in which the council has a value, and says in one sentence where the council sits.  A
council in neither model (one abolished before 2021) gets an empty table and a sentence that
says so, never an error: a profile of any council runs to the end.

**Caveat:** the DfE groupings were built for children's services, not adult social care; they
are a comparator set, not a claim that the councils face the same adult care needs.

Examples
--------
>>> import personalisation as pz
>>> cube = pz.load_cube(measures=["sds_users", "dp_users"])
>>> near = pz.compare_with_neighbours(cube, "Manchester")
>>> near.model, near.year, len(near.table)
('DfE 2025', 2025, 10)
>>> near.table.columns.tolist()[:4]
['rank', 'neighbour_code', 'neighbour_name', 'closeness']
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from personalisation import units as u
from personalisation.periods import year_to_period

__all__ = ["MODELS", "NeighbourComparison", "compare_with_neighbours"]

#: Neighbour models tried, newest first.
MODELS: tuple[str, ...] = ("DfE 2025", "DfE 2021")


@dataclass(frozen=True)
class NeighbourComparison:
    """A council's figures against its statistical neighbours' in one year.

    Attributes
    ----------
    council, council_name
        The council (GSS code and name).
    model
        The neighbour model used (``""`` when no model holds the council).
    year
        The year compared (the latest in which the council has a value of the first
        measure; ``None`` when it has none).
    measures
        The measures compared (rates in percent).
    table
        One row per neighbour: ``rank`` (1 = closest), ``neighbour_code``,
        ``neighbour_name``, ``closeness``, then one column per measure (the published
        value, NaN where the neighbour has none); empty when no model holds the council.
    own
        The council's own values that year (measure -> value).
    summary
        One sentence: the council against the neighbours' median, with the caveat.
    """

    council: str
    council_name: str
    model: str
    year: int | None
    measures: tuple[str, ...]
    table: pd.DataFrame
    own: dict[str, float]
    summary: str

    def to_frame(self) -> pd.DataFrame:
        """A copy of the neighbour table."""
        return self.table.copy()

    def __repr__(self) -> str:
        return f"{self.summary}\n{self.table.to_string(index=False)}"

    def _repr_html_(self) -> str:
        body = self.table.to_html(index=False, na_rep="–", border=0, float_format="{:.1f}".format)
        return f"<p>{html.escape(self.summary)}</p>{body}"


def compare_with_neighbours(
    cube: xr.Dataset,
    council: str,
    *,
    measures: Sequence[str] = ("sds_users", "dp_users"),
    year: int | None = None,
    models: Sequence[str] = MODELS,
) -> NeighbourComparison:
    """The council's published figures against its statistical neighbours' in one year.

    Parameters
    ----------
    cube
        A cube holding the council and ``measures``.
    council
        GSS code or name (:func:`personalisation.geo.council_code_in`).
    measures
        Measures to compare; the first one chooses the default year and the summary.
    year
        Year to compare; default the latest in which the council has a value of the first
        measure.
    models
        Neighbour models to try, in order (default newest first).

    Returns
    -------
    NeighbourComparison

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> gone = pz.compare_with_neighbours(cube, "E10000002", measures=["sds_users"])
    >>> gone.model, len(gone.table)  # Buckinghamshire county council, abolished in 2020
    ('', 0)
    """
    from personalisation.covariate_tables import NEIGHBOURS_CAVEAT, neighbours
    from personalisation.geo.find import council_code_in, latest_year

    code = council_code_in(cube, council)
    measures = tuple(measures)
    name = str(cube["council_name"].sel(council=code).item())
    first = measures[0]
    if year is None:
        year = latest_year(cube, code, first)
    columns = ["rank", "neighbour_code", "neighbour_name", "closeness", *measures]
    own: dict[str, float] = {}
    if year is not None:
        own = {m: float(cube["value"].sel(council=code, year=year, measure=m)) for m in measures}
    for model in models:
        try:
            near = neighbours(code, model=model)
        except KeyError:
            continue
        table = near[["rank", "neighbour_code", "neighbour_name", "closeness"]].copy()
        in_cube = set(map(str, cube["council"].values))
        for m in measures:
            values = (
                cube["value"].sel(measure=m, year=year).to_series()
                if year is not None
                else pd.Series(dtype=float)
            )
            table[m] = [
                float(values.get(c, np.nan)) if c in in_cube else np.nan
                for c in table["neighbour_code"]
            ]
        median = float(table[first].median()) if table[first].notna().any() else np.nan
        when = f"in {year_to_period(year)}" if year is not None else "(no year with a value)"
        summary = (
            f"{name} {when} ({model} neighbours): {first} {u.format_rate(own.get(first, np.nan))} "
            f"against a neighbour median of {u.format_rate(median)}; {NEIGHBOURS_CAVEAT}."
        )
        return NeighbourComparison(
            code, name, model, year, measures, table.reset_index(drop=True), own, summary
        )
    summary = (
        f"{name} has no statistical neighbours in the {' or '.join(models)} models (they cover "
        "the councils of the 2023 and 2021 geographies): no comparator set."
    )
    return NeighbourComparison(
        code, name, "", year, measures, pd.DataFrame(columns=columns), own, summary
    )
