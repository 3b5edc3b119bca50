"""The relation between two geography vintages: which councils of one become which of the other.

:func:`crosswalk` is the public table; :func:`_relation` and :func:`_components` are what
:func:`personalisation.geo.harmonise` plans its units with.  Built from the shipped
register's events (:mod:`personalisation.geo.register`).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from personalisation.errors import SchemaError
from personalisation.geo import register

__all__ = ["crosswalk"]


# --------------------------------------------------------------------------- the relation
def crosswalk(source: str | int, target: str | int) -> pd.DataFrame:
    """Which councils of vintage ``source`` overlap which councils of vintage ``target``.

    Parameters
    ----------
    source, target
        Vintages or years (resolved with :func:`register.resolve_vintage`).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_code``, ``target_code``, one row per overlapping pair (a council
        unchanged between the vintages pairs with itself), sorted.

    Examples
    --------
    >>> cw = crosswalk(2020, 2023)
    >>> cw[cw.source_code == "E10000021"].target_code.tolist()
    ['E06000061', 'E06000062']
    """
    rel = _relation(register.resolve_vintage(source), register.resolve_vintage(target))
    rows = sorted((a, b) for a, bs in rel.items() for b in bs)
    return pd.DataFrame(rows, columns=["source_code", "target_code"])


def _forward(codes: list[str], start: str, end: str) -> dict[str, set[str]]:
    """Follow events dated in (start, end] forward from each code."""
    ev = register.events()
    ev = ev[(ev["date"] > start) & (ev["date"] <= end)]
    by_date: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for date, pred, succ in zip(
        ev["date"], ev["predecessor_code"], ev["successor_code"], strict=True
    ):
        by_date[date][pred].add(succ)
    steps = [by_date[d] for d in sorted(by_date)]
    out = {}
    for code in codes:
        current = {code}
        for step in steps:
            if current & step.keys():
                current = set().union(*(step.get(c, {c}) for c in current))
        out[code] = current
    return out


def _relation(source: str, target: str) -> dict[str, set[str]]:
    """source-vintage code -> set of overlapping target-vintage codes."""
    src_codes = list(register.councils(source)["council_code"])
    tgt_codes = set(register.councils(target)["council_code"])
    if source <= target:
        rel = _forward(src_codes, f"{source}-04-01", f"{target}-04-01")
    else:
        back = _forward(sorted(tgt_codes), f"{target}-04-01", f"{source}-04-01")
        rel = {a: {b for b, succ in back.items() if a in succ} for a in src_codes}
    covered = set().union(*rel.values())
    if covered != tgt_codes or any(not v for v in rel.values()):
        raise SchemaError(  # pragma: no cover - a broken register
            f"register inconsistency between vintages {source} and {target}: "
            f"unmapped {sorted(tgt_codes - covered)}"
        )
    return rel


def _components(rel: dict[str, set[str]]) -> list[tuple[set[str], set[str]]]:
    """Connected components (sources, targets) of a relation."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, bs in rel.items():
        for b in bs:
            ra, rb = find(("s", a)), find(("t", b))
            if ra != rb:
                parent[ra] = rb
    groups: dict[tuple[str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for a, bs in rel.items():
        groups[find(("s", a))][0].add(a)
        for b in bs:
            groups[find(("t", b))][1].add(b)
    return list(groups.values())
