"""Re-express a council cube on one geography vintage, conserving counts.

Council indicators compare over time only if the councils are the same councils.
:func:`harmonise` puts every year of a cube on the councils of one vintage by following
the reorganisation events of :mod:`personalisation.geo.register`:

* **recodes and whole-area changes** (Gateshead 2013, Buckinghamshire 2020, ...): the
  figures move to the new code unchanged (``derivation`` "recode of X");
* **merges** (Bournemouth + Poole -> BCP): numerators, denominators and counts are
  **summed**; rate values are recomputed as ``100 * numerator / denominator``, never
  averaged ("sum of A+B");
* **splits** (Northamptonshire 2021, Cumbria 2023, Bedfordshire and Cheshire 2009):

  - ``method="aggregate"`` (default, exact): the successors of the target vintage are
    replaced by their predecessor, and the later years are summed back into it; e.g.
    harmonising 2015-2024 data to the 2023 vintage gives one unit ``E10000021``
    (Northamptonshire) instead of North and West Northamptonshire.  When no single code
    covers the union (the 2019 Dorset change moved Christchurch from Dorset CC to BCP,
    so only BCP + Dorset UA = Bournemouth + Poole + Dorset CC), the unit's code joins
    the target codes with ``+`` (``"E06000058+E06000059"``);
  - ``method="apportion"``: a predecessor's figures are shared among its successors in
    proportion to a weight (a count measure of the cube such as ``population_18plus``,
    or a DataArray over council), and the values get status ``"estimated"``.  Splits
    that are not pure (a successor also receives another predecessor, as in Dorset 2019)
    cannot be apportioned with council weights and are aggregated as above.

Missing values are strict: a sum with any missing component is NaN, with status
``"missing"`` (or the components' common status, e.g. all ``"suppressed"``), never a
partial sum presented as whole.  Units whose source councils are all absent from the cube
are dropped; a unit with some sources absent is NaN / ``"missing"``.

The implementation is an *edge table* (source council, target unit, weight) per source
vintage, applied by vectorised indexing and a segmented (groupby) sum along the council
axis (:func:`numpy.add.reduceat` over target-sorted edges; no council x council matrix),
inside :func:`xarray.apply_ufunc` so that it runs unchanged, lazily, on dask arrays.

Examples
--------
>>> from personalisation.testing import make_cube
>>> cube = make_cube(n_councils=3, years=[2015])
>>> out = harmonise(cube, to=2023)
>>> out.attrs["geography_vintage"], sorted(set(out.derivation.values.ravel().tolist()))
('2023', ['as published'])
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.errors import SchemaError, UnknownCouncilError
from personalisation.geo import register
from personalisation.geo._crosswalk import _components, _forward, _relation, crosswalk
from personalisation.geo._edges import (
    HARMONISED_STATUS_VALUES,
    apply_edges,
)
from personalisation.schema import STATUS_CODES, _is_coded, encode_status

METHODS: tuple[str, ...] = ("aggregate", "apportion")

__all__ = ["HARMONISED_STATUS_VALUES", "METHODS", "apply_edges", "crosswalk", "harmonise"]


# --------------------------------------------------------------------------- units and edges
def _source_vintages(cube: xr.Dataset) -> list[str]:
    years = [int(y) for y in cube["year"].values]
    if "geography_vintage" in cube.coords:
        return [register.resolve_vintage(v) for v in cube["geography_vintage"].values]
    return [register.vintage_for_year(y) for y in years]


def _unit_code(group: frozenset[str], target: str, reg: pd.DataFrame) -> str:
    """A register code whose area is exactly the union of ``group`` (else codes joined by +).

    A council ``c`` of an earlier vintage qualifies when its successors at ``target`` are
    exactly ``group`` and no other council of its vintage contributes to ``group``.
    """
    start = f"{target}-04-01"
    older = reg[(reg["valid_to"] != "") & (reg["valid_to"] < start)]
    fwd = _forward(list(older["council_code"]), register.REGISTER_START, start)
    hits = []
    for code, succ in fwd.items():
        if succ != set(group):
            continue
        last_day = older.set_index("council_code").loc[code, "valid_to"]
        year = int(last_day[:4]) - (1 if last_day[5:] < "04-01" else 0)
        vintage = register.resolve_vintage(year)  # the vintage in force on its last day
        rel = _relation(vintage, target)
        if {a for a, bs in rel.items() if bs & group} == {code}:
            hits.append(code)
    if hits:
        valid_to = reg.set_index("council_code")["valid_to"]
        return max(hits, key=lambda c: (valid_to[c], c))
    return "+".join(sorted(group))


def _weights_for(
    cube: xr.Dataset, weight: str | xr.DataArray, codes: list[str], forward: bool
) -> dict[str, float]:
    """Weight of each code: from the year nearest the split in which it is not NaN."""
    if isinstance(weight, str):
        if weight not in [str(m) for m in cube["measure"].values]:
            raise ValueError(
                f"weight {weight!r} is not a measure of the cube; measures: {list(cube.measure.values)}"
            )
        data = cube["value"].sel(measure=weight)
        label = weight
    elif isinstance(weight, xr.DataArray):
        if "council" not in weight.dims:
            raise ValueError("a weight DataArray must have a 'council' dimension")
        data = weight
        label = str(weight.name or "weight")
    else:
        raise TypeError(
            f"weight must be a measure id or an xarray.DataArray, got {type(weight).__name__}"
        )
    present = [c for c in codes if c in set(data["council"].values.tolist())]
    sub = data.sel(council=present).load() if present else None
    out = {}
    for code in codes:
        values = np.array([], dtype=float)
        if sub is not None and code in present:
            one = sub.sel(council=code)
            if "year" in one.dims:
                one = one.sortby("year", ascending=forward)
            values = np.atleast_1d(np.asarray(one.values, dtype=float))
        good = values[np.isfinite(values) & (values >= 0)]
        if good.size == 0:
            raise ValueError(
                f"cannot apportion to {code}: no {label} value for it in the cube (pass a weight "
                "DataArray over council, or use method='aggregate')"
            )
        out[code] = float(good[0])
    return out


def _plan(
    cube: xr.Dataset,
    target: str,
    method: str,
    weight: str | xr.DataArray | None,
    vintages: list[str],
) -> tuple[list[str], dict[str, list[tuple[str, str, float]]], dict[str, str]]:
    """Target units and, per source vintage, the edge list (source, unit, weight)."""
    relations = {s: _relation(s, target) for s in vintages}
    present = set(cube["council"].values.tolist())
    # target-side grouping
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    pure_splits: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for s, rel in relations.items():
        for sources, targets in _components(rel):
            pure = len(sources) == 1 and len(targets) > 1
            if method == "apportion" and pure:
                pure_splits[s].append((next(iter(sources)), targets))
                continue
            if len(targets) > 1:
                first, *rest = sorted(targets)
                for other in rest:
                    parent[find(other)] = find(first)
    groups: dict[str, set[str]] = defaultdict(set)
    for b in register.councils(target)["council_code"]:
        groups[find(b)].add(b)
    reg = register.councils()
    unit_of = {}
    for members in groups.values():
        code = (
            next(iter(members))
            if len(members) == 1
            else _unit_code(frozenset(members), target, reg)
        )
        for b in members:
            unit_of[b] = code
    # weights for the pure splits
    weights: dict[str, float] = {}
    if method == "apportion":
        if weight is None:
            raise ValueError(
                "method='apportion' needs a weight (a measure id or a DataArray over council)"
            )
        needed = sorted(
            {b for splits in pure_splits.values() for _, targets in splits for b in targets}
        )
        forward = any(s < target for s in pure_splits)
        if needed:
            weights = _weights_for(cube, weight, needed, forward)
    edges: dict[str, list[tuple[str, str, float]]] = {}
    used_units: set[str] = set()
    for s, rel in relations.items():
        rows = []
        for a, targets in sorted(rel.items()):
            shares: defaultdict[str, float] = defaultdict(float)
            for b in targets:
                shares[unit_of[b]] += weights.get(b, 0.0)
            if len(shares) == 1:
                rows.append((a, next(iter(shares)), 1.0))
            else:
                total = sum(shares.values())
                if not total > 0:
                    raise ValueError(
                        f"cannot apportion {a}: the weights of {sorted(targets)} sum to {total}"
                    )
                rows += [(a, u, w / total) for u, w in sorted(shares.items())]
            if a in present:
                used_units |= set(shares)
        edges[s] = rows
    label = weight if isinstance(weight, str) else str(getattr(weight, "name", None) or "weight")
    return sorted(used_units), edges, {"weight_label": label}


def _unit_attrs(units: list[str]) -> pd.DataFrame:
    reg = register.councils().set_index("council_code")
    rows = []
    for unit in units:
        parts = unit.split("+")
        sub = reg.loc[parts]
        rows.append(
            {
                "council": unit,
                "council_name": " + ".join(sub["council_name"]),
                "council_type": " + ".join(dict.fromkeys(sub["council_type"])),
                "region_code": " + ".join(dict.fromkeys(sub["region_code"])),
                "region_name": " + ".join(dict.fromkeys(sub["region_name"])),
            }
        )
    return pd.DataFrame(rows).set_index("council")


def _check_cube(cube: xr.Dataset) -> None:
    if isinstance(cube, xr.DataArray):
        raise TypeError(
            f"harmonise needs the whole cube (an xarray.Dataset with numerator, denominator, "
            f"value and status), not the DataArray {cube.name!r}: rates are recomputed from "
            "numerators and denominators; pass the Dataset and select the variable afterwards"
        )
    if not isinstance(cube, xr.Dataset):
        raise TypeError(f"harmonise needs a council cube (xarray.Dataset), got {type(cube)!r}")
    missing = [
        v for v in ("numerator", "denominator", "value", "status") if v not in cube.data_vars
    ]
    if missing or not {"council", "year", "measure"} <= set(cube.dims) or "kind" not in cube.coords:
        raise SchemaError(
            f"not a council cube: missing variables {missing} or dims council/year/measure or "
            "coord 'kind' (see personalisation.testing.make_cube)"
        )
    empty = [d for d in ("council", "year", "measure") if cube.sizes[d] == 0]
    if empty:
        raise SchemaError(
            f"cannot harmonise an empty cube: no {' / '.join(empty)} selected "
            f"(sizes {dict(cube.sizes)})"
        )
    known = set(register.councils()["council_code"])
    unknown = [c for c in cube["council"].values.tolist() if c not in known]
    if unknown:
        more = " ..." if len(unknown) > 10 else ""
        raise UnknownCouncilError(f"council code(s) not in the register: {unknown[:10]}{more}")


def _load_small_parts(cube: xr.Dataset) -> tuple[xr.Dataset, np.ndarray]:
    """The cube with its small (council-free) coordinates in memory, and which cells hold a
    figure (council x year x measure), computed together in ONE pass over a dask-backed cube
    (the plan needs both; the figures themselves stay lazy)."""
    small = [n for n in cube.coords if n not in cube.dims and "council" not in cube[n].dims]
    present = (
        cube[["numerator", "denominator", "value"]]
        .notnull()
        .to_array("variable")
        .any("variable")
        .transpose("council", "year", "measure")
        .reset_coords(drop=True)
    )
    parts = xr.Dataset({**{n: cube[n].reset_coords(drop=True) for n in small}, "present": present})
    loaded = parts.compute()
    return cube.assign_coords({n: loaded[n] for n in small}), loaded["present"].values


def _cell_vintages(cube: xr.Dataset, has: np.ndarray) -> np.ndarray:
    """Source vintage of every (year, measure): the year's geography, unless the measure's
    figures that year are on another one.

    Some files are published on a later geography than the year's (ONS mid-2018
    population estimates on 2019 council codes, for instance).  When the councils with
    figures for a measure in a year are not all in force in the year's vintage, the
    nearest vintage in which they all are is used (the later one on a tie); if there is
    none, the cube is inconsistent and a :class:`SchemaError` names the councils.
    """
    default = _source_vintages(cube)
    codes = cube["council"].values.tolist()
    known = register.vintages()
    fits = {}
    for vintage in known:
        valid = set(register.councils(vintage)["council_code"])
        outside = np.array([c not in valid for c in codes], dtype=bool)
        fits[vintage] = ~has[outside].any(axis=0)  # (year, measure)
    cells = np.empty(has.shape[1:], dtype=object)
    for y_i, year_default in enumerate(default):
        for m_i in range(has.shape[2]):
            if fits[year_default][y_i, m_i]:
                cells[y_i, m_i] = year_default
                continue
            here = known.index(year_default)
            ok = [v for v in known if fits[v][y_i, m_i]]
            if not ok:
                stray = [c for c, h in zip(codes, has[:, y_i, m_i], strict=True) if h]
                raise SchemaError(
                    f"year {cube['year'].values[y_i]}, measure {cube['measure'].values[m_i]}: "
                    f"the councils with figures are not the councils of any one geography "
                    f"vintage (year's vintage {year_default}; e.g. {stray[:6]})"
                )
            cells[y_i, m_i] = min(ok, key=lambda v: (abs(known.index(v) - here), -known.index(v)))
    return cells.astype(str)


# --------------------------------------------------------------------------- harmonise
def harmonise(
    cube: xr.Dataset,
    to: str | int,
    *,
    method: str = "aggregate",
    weight: str | xr.DataArray | None = None,
) -> xr.Dataset:
    """Re-express every year of a council cube on the councils of one vintage.

    Parameters
    ----------
    cube
        A council cube (see :mod:`personalisation.testing` for the contract).  The
        geography of each year is ``cube.geography_vintage`` (resolved with
        :func:`register.resolve_vintage`), else :func:`register.vintage_for_year`; a
        measure whose figures in a year are on another geography (ONS population
        estimates come on later council codes) is read on the nearest vintage its
        councils fit, and ``attrs["harmonisation"]`` lists such cells.
    to
        Target vintage or year (``2023``, ``"2019"``; any year maps to the vintage in
        force on 1 April of that year).
    method
        ``"aggregate"`` (exact: splits are undone by summing the successors back into the
        predecessor) or ``"apportion"`` (splits shared out by ``weight``; status
        ``"estimated"``).
    weight
        For ``"apportion"``: a count measure of the cube (``"population_18plus"``) or a
        DataArray over ``council`` (optionally also ``year``).  Each successor's weight is
        its value in the year nearest the split in which it is not NaN.

    Returns
    -------
    xarray.Dataset
        Same variables, years and measures; ``council`` = the target units; an extra
        variable ``derivation`` (str per council-year-measure: ``"as published"``,
        ``"recode of X"``, ``"sum of A+B"``, ``"apportioned from X by W"``); coordinates
        ``council_name`` / ``council_type`` / ``region_*`` from the register,
        ``geography_vintage`` = target on every year; attrs copied, with
        ``geography_vintage`` and ``harmonisation`` added.  Lazy (dask) in, lazy out.

    Raises
    ------
    ValueError
        Unknown vintage or method; missing or unusable weight.
    UnknownCouncilError
        A council code the register does not know.
    SchemaError
        Not a cube, unknown status values, or figures for a council in a year whose
        geography does not contain it.

    Notes
    -----
    See :func:`apply_edges` for the arithmetic and the status rules: a whole-source unit
    keeps its published value and status; every other unit has rates recomputed from the
    summed numerator and denominator (never an average of rates) and status
    ``"published"`` (``"estimated"`` if any part was apportioned or estimated) or, when
    NaN, the components' common status if they share one, else ``"missing"``.
    "recode of X" also covers a whole-area change of code (Buckinghamshire CC ->
    Buckinghamshire Council).

    Examples
    --------
    >>> import numpy as np
    >>> from personalisation.testing import make_cube
    >>> from personalisation.geo.register import vintage_for_year
    >>> cube = make_cube(n_councils=2, years=[2022], measures=["dp_users"]).assign_coords(
    ...     council=["E06000061", "E06000062"], geography_vintage=("year", [vintage_for_year(2022)])
    ... )
    >>> out = harmonise(cube, to=2019)  # North + West Northamptonshire -> Northamptonshire
    >>> out.council.values.tolist(), out.derivation.values.ravel().tolist()
    (['E10000021'], ['sum of E06000061+E06000062'])
    >>> bool(out.numerator.item() == cube.numerator.sum().item())
    True
    >>> bool(out.value.item() == 100 * out.numerator.item() / out.denominator.item())
    True
    """
    target = register.resolve_vintage(to)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "aggregate" and weight is not None:
        raise ValueError("weight is only used with method='apportion'")
    _check_cube(cube)
    cube, has = _load_small_parts(cube)  # one compute on a dask-backed cube
    cells = _cell_vintages(cube, has)  # (year, measure) -> source vintage
    vintages = sorted(set(cells.ravel().tolist()))
    units, edges, info = _plan(cube, target, method, weight, vintages)
    unit_set = set(units)
    years_all = cube["year"].values.tolist()
    coded = _is_coded(cube["status"])
    # cells of other vintages are replaced below; an int8 status must not turn float (NaN)
    fill: dict[str, float] = {"status": STATUS_CODES["missing"] if coded else np.nan}
    out = None
    for vintage in vintages:
        year_idx = np.flatnonzero((cells == vintage).any(axis=1))
        table = pd.DataFrame(edges[vintage], columns=["source", "target", "weight"])
        # keep every edge of a source that reaches at least one target unit (one vectorised
        # isin and a grouped "any", not a Python function per source)
        reaches = table["target"].isin(unit_set)
        table = table[reaches.groupby(table["source"]).transform("any").to_numpy(dtype=bool)]
        piece = apply_edges(cube.isel(year=year_idx), table, weight_label=info["weight_label"])
        piece = piece.reindex(council=units, year=years_all, fill_value=fill).drop_vars(
            [c for c in piece.coords if c not in ("council", "year", "measure")]
        )
        if out is None:
            out = piece
        else:
            mask = xr.DataArray(
                cells == vintage,
                dims=("year", "measure"),
                coords={"year": years_all, "measure": cube["measure"].values},
            )
            out = xr.where(mask, piece, out)
    assert out is not None
    # the cube's status dtype: int8 codes (load_cube), or names (small cubes, make_cube)
    out["status"] = encode_status(out["status"]) if coded else out["status"].astype(str)
    out["derivation"] = out["derivation"].astype(str)
    out = out.transpose("council", "year", "measure")
    attrs = _unit_attrs(units)
    keep_coords = {
        name: (cube.coords[name].dims, cube.coords[name].values)
        for name in cube.coords
        if name not in cube.dims and set(cube.coords[name].dims) <= {"year", "measure"}
    }
    out = out.assign_coords(keep_coords)
    for name in cube.data_vars:  # e.g. the cube's ``definition`` (year x measure): unchanged
        if "council" not in cube[name].dims and name not in out:
            out[name] = cube[name]
    out = out.assign_coords(
        measure=cube["measure"].values,
        council_name=("council", attrs["council_name"].tolist()),
        council_type=("council", attrs["council_type"].tolist()),
        region_code=("council", attrs["region_code"].tolist()),
        region_name=("council", attrs["region_name"].tolist()),
        geography_vintage=("year", [target] * len(years_all)),
    )
    out.attrs = dict(cube.attrs)
    out.attrs["geography_vintage"] = target
    out.attrs["harmonisation"] = (
        f"personalisation.geo.harmonise(to={target!r}, method={method!r}"
        + (f", weight={info['weight_label']!r}" if method == "apportion" else "")
        + f"): councils re-expressed on the {target} geography by summing numerators, "
        "denominators and counts along the register's events (rates recomputed, never averaged)"
    )
    default = _source_vintages(cube)
    moved = [
        f"{cube['measure'].values[m]} {years_all[y]} on {cells[y, m]}"
        for y, m in zip(*np.nonzero(cells != np.array(default, dtype=str)[:, None]), strict=True)
    ]
    if moved:
        out.attrs["harmonisation"] += (
            "; figures read on another geography than their year's: " + ", ".join(moved)
        )
    for name in ("numerator", "denominator", "value", "status"):
        out[name].attrs = dict(cube[name].attrs)
    return out
