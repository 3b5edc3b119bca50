"""Councils by name or code, at a date: :func:`find_council` and the :class:`Council` record.

Names are matched without regard to case, punctuation or the publishers' inverted forms
("Kingston upon Hull, City of" is found as "kingston upon hull"; "&" is "and").  Because
councils are reorganised, a name can belong to several councils over time (North Yorkshire
county council until March 2023, the unitary North Yorkshire after): ``at`` says when.
Every place in the package that takes a council (stats, plots, notebook parameters) resolves
it through this one function.

Examples
--------
>>> from personalisation.geo import find_council
>>> find_council("North Yorkshire", at=2024).code
'E06000065'
>>> find_council("north yorkshire", at=2020).code
'E10000023'
>>> find_council("kingston upon hull").name
'Kingston upon Hull, City of'
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import html
import re

import pandas as pd
import xarray as xr

from personalisation.errors import UnknownCouncilError
from personalisation.geo import register

__all__ = ["Council", "council_code_in", "council_series", "find_council", "latest_year"]

_INVERTED = re.compile(r",\s*(city|county|royal borough|borough) of\s*$")
_GSS_OR_CASSR = re.compile(r"^(E\d{8}|cassr:\d{3})$", re.IGNORECASE)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclasses.dataclass(frozen=True)
class Council:
    """One council of the register, with what came before and after it.

    Attributes
    ----------
    code, name, type, region_code, region_name, cassr_code
        As in :func:`personalisation.geo.councils`.
    valid_from, valid_to
        ISO dates of the council's first and last day as a CASSR; ``""`` when it existed
        before the register starts (April 2008) or is still in force.
    predecessors, successors
        Codes of the councils it was made from, and that it became (reorganisation events,
        :func:`personalisation.geo.events`); empty when none.
    """

    code: str
    name: str
    type: str
    region_code: str
    region_name: str
    cassr_code: str
    valid_from: str
    valid_to: str
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]

    @property
    def dates(self) -> str:
        """The council's life as text: ``"2008 - 2023-03-31"``, ``"2023-04-01 -"``."""
        return f"{self.valid_from or 'before 2008-04-01'} - {self.valid_to or 'today'}"

    def in_force(self, date: str) -> bool:
        """Whether the council existed on the ISO ``date``."""
        return (not self.valid_from or self.valid_from <= date) and (
            not self.valid_to or self.valid_to >= date
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.code}), {self.type}, {self.region_name}, {self.dates}"

    def _repr_html_(self) -> str:
        rows = [
            ("code", self.code),
            ("type", self.type),
            ("region", f"{self.region_name} ({self.region_code})"),
            ("CASSR code", self.cassr_code),
            ("in force", self.dates),
            ("predecessors", ", ".join(self.predecessors) or "none"),
            ("successors", ", ".join(self.successors) or "none"),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>{html.escape(self.name)}</caption>{body}</table>"


def _key(name: str) -> str:
    """A name as compared: case, punctuation, '&' and inverted ', City of' forms folded."""
    text = str(name).casefold().strip()
    text = _INVERTED.sub("", text)
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _date_of(at: object) -> str | None:
    """``at`` as an ISO date: a date string as given, a year (the year in which the financial
    year ends, as everywhere in the package) or ``"2023-24"`` as the first day of the
    geography its figures are published on."""
    if at is None:
        return None
    if isinstance(at, _dt.date):
        return at.isoformat()
    if isinstance(at, bool) or not isinstance(at, (int, str)):
        raise TypeError(f"at must be a year (2024), a period ('2023-24') or a date, not {at!r}")
    text = str(at).strip()
    if _DATE.match(text):
        _dt.date.fromisoformat(text)
        return text
    period = _PERIOD.match(text)
    if period:
        year = int(period.group(1)) + 1
    elif text.isdigit() and len(text) == 4:
        year = int(text)
    else:
        raise ValueError(f"at must be a year (2024), a period ('2023-24') or a date, not {at!r}")
    return register.vintage_start(register.vintage_for_year(year))


def _record(row: pd.Series, ev: pd.DataFrame) -> Council:
    code = str(row["council_code"])
    return Council(
        code=code,
        name=str(row["council_name"]),
        type=str(row["council_type"]),
        region_code=str(row["region_code"]),
        region_name=str(row["region_name"]),
        cassr_code=str(row["cassr_code"]),
        valid_from=str(row["valid_from"]),
        valid_to=str(row["valid_to"]),
        predecessors=tuple(sorted(set(ev.loc[ev["successor_code"] == code, "predecessor_code"]))),
        successors=tuple(sorted(set(ev.loc[ev["predecessor_code"] == code, "successor_code"]))),
    )


def _listing(records: list[Council]) -> str:
    return "; ".join(str(r) for r in records)


def find_council(name_or_code: str, at: object = None) -> Council:
    """The council called ``name_or_code`` (or with that code), as it was at ``at``.

    Parameters
    ----------
    name_or_code
        A GSS code (``"E06000065"``), a register code of a pre-2009 council
        (``"cassr:320"``) or a name, matched without regard to case, punctuation, ``&``
        and the inverted ``", City of"`` forms.
    at
        When: ``None`` (today's councils), a year in which a financial year ends (``2024``
        means 2023-24, whose figures are on the councils of April 2023), a period
        (``"2023-24"``) or an ISO date (``"2020-06-30"``).

    Returns
    -------
    Council
        The record: code, name, type, region, dates, predecessors and successors.

    Raises
    ------
    UnknownCouncilError
        For a name or code the register does not know (with close matches); for a name
        that belonged to several councils at once (listing them with their dates); for a
        name whose council had been replaced by ``at`` (naming its successors) or did not
        exist yet (naming the dates).

    Examples
    --------
    >>> find_council("North Yorkshire", at=2024).code
    'E06000065'
    >>> find_council("North Yorkshire", at="2019-20").code
    'E10000023'
    >>> find_council("E10000023").successors
    ('E06000065',)
    >>> find_council("Cumbria")
    Traceback (most recent call last):
    ...
    personalisation.errors.UnknownCouncilError: Cumbria (E10000006) was replaced on 2023-04-01 by Cumberland (E06000063), Westmorland and Furness (E06000064); for Cumbria's own years pass at= a year up to 2023, or its code 'E10000006'
    """
    reg = register.councils()
    ev = register.events()
    text = str(name_or_code).strip()
    date = _date_of(at)
    names = dict(zip(reg["council_code"], reg["council_name"], strict=True))

    if _GSS_OR_CASSR.match(text):
        code = text.lower() if text.lower().startswith("cassr:") else text.upper()
        rows = reg[reg["council_code"] == code]
        if rows.empty:
            close = difflib.get_close_matches(code, list(reg["council_code"]), n=5, cutoff=0.7)
            raise UnknownCouncilError(
                f"unknown council code {text!r}: not in the register; close codes: "
                f"{', '.join(close) or 'none'}"
            )
        record = _record(rows.iloc[0], ev)
        if date is not None and not record.in_force(date):
            raise UnknownCouncilError(_not_in_force(record, date, names))
        return record

    key = _key(text)
    matches = [_record(row, ev) for _, row in reg.iterrows() if _key(row["council_name"]) == key]
    if not matches:
        pool = {_key(n): n for n in reg["council_name"]}
        close = difflib.get_close_matches(key, list(pool), n=5, cutoff=0.6)
        raise UnknownCouncilError(
            f"unknown council {text!r}: no council of that name in the register; close matches: "
            f"{', '.join(repr(pool[c]) for c in close) or 'none'}"
        )
    when = date or "9999-12-31"
    current = [m for m in matches if m.in_force(when)]
    if len(current) == 1:
        return current[0]
    if len(current) > 1:
        raise UnknownCouncilError(
            f"{text!r} names {len(current)} councils on {date or 'today'}: "
            f"{_listing(current)}; pass the code"
        )
    return _raise_for_retired(text, matches, date, names)


def _not_in_force(record: Council, date: str, names: dict[str, str]) -> str:
    if record.valid_from and record.valid_from > date:
        return (
            f"{record.name} ({record.code}) did not exist yet on {date}: it starts "
            f"{record.valid_from}; its predecessors are "
            f"{_named(record.predecessors, names) or 'not in the register'}"
        )
    latest = register.successors(record.code, at=date)
    return (
        f"{record.name} ({record.code}) was replaced on {_day_after(record.valid_to)} by "
        f"{_named(tuple(latest), names)}"
    )


def _raise_for_retired(
    text: str, matches: list[Council], date: str | None, names: dict[str, str]
) -> Council:
    if len(matches) == 1:
        record = matches[0]
        message = _not_in_force(record, date or "9999-12-31", names)
        if not (record.valid_from and date and record.valid_from > date):
            last_year = int(record.valid_to[:4]) if record.valid_to else None
            message += (
                f"; for {record.name}'s own years pass at= a year up to {last_year}, or its "
                f"code {record.code!r}"
            )
        raise UnknownCouncilError(message)
    raise UnknownCouncilError(
        f"no council called {text!r} was in force on {date or 'today'}; the councils of that "
        f"name: {_listing(matches)}"
    )


def _day_after(iso: str) -> str:
    return (_dt.date.fromisoformat(iso) + _dt.timedelta(days=1)).isoformat()


def _named(codes: tuple[str, ...], names: dict[str, str]) -> str:
    return ", ".join(f"{names.get(c, c)} ({c})" for c in codes)


def council_code_in(cube: xr.Dataset, council: str) -> str:
    """The code under which ``cube`` holds ``council`` (a code or a name).

    The one rule for every function that takes a council: a code of the cube is taken as it
    is; a name is matched to the cube's ``council_name`` (case, punctuation and inverted
    forms folded), else resolved with :func:`find_council` (today's council of that name, or
    the only council ever so called) and checked against the cube.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> council_code_in(cube, "kingston upon hull")
    'E06000010'
    >>> council_code_in(cube, "Cumbria")   # retired in 2023, but the cube holds its years
    'E10000006'
    """
    codes = [str(c) for c in cube["council"].values]
    text = str(council).strip()
    if text in codes:
        return text
    coords = getattr(cube, "coords", {})
    if "council_name" in coords:
        key = _key(text)
        named = [
            c
            for c, n in zip(codes, cube["council_name"].values, strict=True)
            if _key(str(n)) == key
        ]
        if len(named) == 1:
            return named[0]
    try:
        code = find_council(text).code
    except UnknownCouncilError as error:
        key = _key(text)
        reg = register.councils()
        ever = [
            c
            for c, n in zip(reg["council_code"], reg["council_name"], strict=True)
            if _key(n) == key and c in codes
        ]
        if len(ever) == 1:
            return ever[0]
        raise UnknownCouncilError(
            f"{error} (and the cube holds no single council of that name)"
        ) from None
    if code not in codes:
        raise UnknownCouncilError(
            f"{text!r} is {code} ({find_council(code).name}), which this cube does not hold; "
            f"its councils run from {codes[0]!r} to {codes[-1]!r}"
        )
    return code


def council_series(cube: xr.Dataset, council: str) -> tuple[xr.Dataset, Council | None]:
    """The cube on which one council's whole series can be read, and the council's record.

    A council in force today that was made by a reorganisation (the unitary North Yorkshire
    of April 2023, say) has its predecessors' figures under their own codes: the cube is
    then harmonised onto today's geography (:func:`personalisation.geo.harmonise`, summing
    counts through the events), so that its series runs over every year.  Any other council
    (one unchanged, or one since abolished, whose own years are the series) gets the cube
    as it is.

    Parameters
    ----------
    cube
        A cube from :func:`personalisation.load_cube`.
    council
        A code or a name (:func:`council_code_in`).

    Returns
    -------
    (xarray.Dataset, Council or None)
        The cube to read the series from, and the register record (``None`` for a unit
        of an already harmonised cube that is not itself a council of the register).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> series, found = council_series(cube, "North Yorkshire")
    >>> found.code, series.attrs["geography_vintage"]
    ('E06000065', '2025')
    >>> years_held = int(series.value.sel(council="E06000065").notnull().sum())
    >>> years_held == series.sizes["year"]  # every year since 2014-15, across the 2023 merger
    True
    """
    code = council_code_in(cube, council)
    try:
        record = find_council(code)
    except UnknownCouncilError:
        return cube, None
    latest = register.vintages()[-1]
    if (
        record.predecessors
        and record.in_force(register.vintage_start(latest))
        and not cube.attrs.get("geography_vintage")
    ):
        from personalisation.geo import harmonise

        harmonised = harmonise(cube, to=latest)
        if code in [str(c) for c in harmonised["council"].values]:
            return harmonised, record
    return cube, record


def latest_year(
    cube: xr.Dataset, council: str, measure: str, *, counts: bool = False
) -> int | None:
    """The latest year in which a council has a value (or, with ``counts``, a denominator).

    Parameters
    ----------
    cube
        A cube from :func:`personalisation.load_cube`.
    council
        A code or a name (:func:`council_code_in`).
    measure
        Measure id.
    counts
        Ask for a published numerator and denominator, not only a value.

    Returns
    -------
    int or None
        The year (the year in which the financial year ends), ``None`` if there is none.

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures=["sds_users"])
    >>> latest_year(cube, "Manchester", "sds_users"), latest_year(cube, "E10000023", "sds_users")
    (2025, 2023)
    """
    code = council_code_in(cube, council)
    cell = cube.sel(council=code, measure=measure)
    held = cell["value"].notnull()
    if counts:
        held = held & cell["numerator"].notnull() & (cell["denominator"] > 0)
    years = [int(y) for y in cube["year"].values[held.values]]
    return max(years) if years else None
