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
from personalisation.schema import CUBE_STATUS_VALUES

__all__ = ["HARMONISED_STATUS_VALUES", "METHODS", "apply_edges", "crosswalk", "harmonise"]

#: Status values understood: the cube's (see :data:`CUBE_STATUS_VALUES`).
HARMONISED_STATUS_VALUES: tuple[str, ...] = CUBE_STATUS_VALUES
METHODS: tuple[str, ...] = ("aggregate", "apportion")
_STATUS_CODE = {name: i for i, name in enumerate(HARMONISED_STATUS_VALUES)}
_PUBLISHED, _MISSING, _ESTIMATED, _NOT_COMPUTABLE = (
    _STATUS_CODE[s] for s in ("published", "missing", "estimated", "not-computable")
)


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


# --------------------------------------------------------------------------- the kernel
def _reduce_edges(
    array: xr.DataArray,
    src: np.ndarray,
    starts: np.ndarray,
    n_units: int,
    *,
    weights: np.ndarray | None = None,
    ufunc: np.ufunc = np.add,
    dtype: type = np.float64,
) -> xr.DataArray:
    """Segmented reduction over target-sorted edges along ``council``.

    ``out[..., u] = ufunc.reduce(weights[e] * array[..., src[e]] for e in segment u)``,
    where segment ``u`` runs from ``starts[u]`` to ``starts[u + 1]``.  NaN propagates
    (a sum with a missing component is NaN).  Works on numpy and dask arrays.
    """

    def kernel(block: np.ndarray) -> np.ndarray:
        gathered = np.take(block, src, axis=-1)
        if weights is not None:
            gathered = gathered * weights
        return ufunc.reduceat(gathered, starts, axis=-1).astype(dtype, copy=False)

    return xr.apply_ufunc(
        kernel,
        array,
        input_core_dims=[["council"]],
        output_core_dims=[["unit"]],
        exclude_dims={"council"},
        dask="parallelized",
        output_dtypes=[dtype],
        dask_gufunc_kwargs={"output_sizes": {"unit": n_units}, "allow_rechunk": True},
    )


def _encode_status(status: xr.DataArray) -> xr.DataArray:
    table = np.array(HARMONISED_STATUS_VALUES)

    def encode(block: np.ndarray) -> np.ndarray:
        flat = np.asarray(block, dtype=str)
        codes = np.searchsorted(np.sort(table), flat)
        order = np.argsort(table)
        codes = np.clip(codes, 0, len(table) - 1)
        found = np.sort(table)[codes] == flat
        if not found.all():
            bad = sorted(set(flat[~found].ravel().tolist()))
            raise SchemaError(
                f"unknown status value(s) {bad}; expected one of {HARMONISED_STATUS_VALUES}"
            )
        return order[codes].astype(np.int16)

    return xr.apply_ufunc(encode, status, dask="parallelized", output_dtypes=[np.int16])


def _decode_status(codes: xr.DataArray) -> xr.DataArray:
    # object array of references to the few status strings: 8 bytes a cell, not 64 (<U16)
    table = np.array(HARMONISED_STATUS_VALUES, dtype=object)
    return xr.apply_ufunc(
        lambda block: table[block],
        codes,
        dask="parallelized",
        output_dtypes=[object],
    )


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
    missing = [
        v for v in ("numerator", "denominator", "value", "status") if v not in cube.data_vars
    ]
    if missing or not {"council", "year", "measure"} <= set(cube.dims) or "kind" not in cube.coords:
        raise SchemaError(
            f"not a council cube: missing variables {missing} or dims council/year/measure or "
            "coord 'kind' (see personalisation.testing.make_cube)"
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
    known = register._vintages()
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


# --------------------------------------------------------------------------- edge tables
def apply_edges(
    cube: xr.Dataset, edges: pd.DataFrame, *, weight_label: str = "weight"
) -> xr.Dataset:
    """Apply an edge table (source council, target unit, weight) to every year of a cube.

    For every target ``u`` and variable ``x`` (numerator, denominator, and value of count
    measures): ``x[u] = sum(weight[e] * x[source[e]] for edges e into u)``, computed by
    vectorised indexing and a segmented (groupby) sum over the target-sorted edges; NaN
    propagates, so a sum with a missing component is missing.  Rate values are recomputed
    as ``100 * numerator / denominator``; a target fed by one whole source (weight 1)
    keeps that source's published value and status.

    Parameters
    ----------
    cube
        A council cube (``numerator``, ``denominator``, ``value``, ``status`` over
        council/year/measure, coordinate ``kind`` on measure); numpy or dask.
    edges
        Columns ``source``, ``target``, ``weight`` (0 < weight <= 1).  The weights of each
        source must sum to 1, so totals are conserved.  Sources missing from the cube are
        treated as missing (NaN, status ``"missing"``).
    weight_label
        Name of the apportioning weight, for the ``derivation`` text.

    Returns
    -------
    xarray.Dataset
        Dims ``council`` (the sorted targets), ``year``, ``measure``; variables
        ``numerator``, ``denominator``, ``value``, ``status``, ``derivation``; the cube's
        year and measure coordinates.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=3, years=[2015], measures=["dp_users"])
    >>> edges = pd.DataFrame(
    ...     {"source": ["E06000001", "E06000002", "E06000003"], "target": ["A", "A", "B"], "weight": 1.0}
    ... )
    >>> out = apply_edges(cube, edges)
    >>> bool(out.numerator.sel(council="A").item() == cube.numerator.sel(council=["E06000001", "E06000002"]).sum())
    True
    >>> out.derivation.sel(council="A").item()
    'sum of E06000001+E06000002'
    """
    table = pd.DataFrame(
        {
            "source": edges["source"].astype(str).to_numpy(),
            "target": edges["target"].astype(str).to_numpy(),
            "weight": edges["weight"].astype(float).to_numpy(),
        }
    )
    if table.empty:
        raise ValueError("empty edge table")
    bad = table[~((table["weight"] > 0) & (table["weight"] <= 1))]
    if len(bad):
        raise ValueError(f"edge weights must be in (0, 1]; got {bad.head(3).to_dict('records')}")
    if table.duplicated(["source", "target"]).any():
        raise ValueError("edge table has duplicate (source, target) pairs")
    per_source = table.groupby("source")["weight"].sum()
    leaky = per_source[(per_source - 1.0).abs() > 1e-9]
    if len(leaky):
        raise ValueError(
            f"the weights of each source must sum to 1 (totals conserved); not for {leaky.head(3).to_dict()}"
        )
    table = table.sort_values(["target", "source"], kind="stable").reset_index(drop=True)
    targets, tgt = np.unique(table["target"].to_numpy(), return_inverse=True)
    n_units = len(targets)
    counts = np.bincount(tgt, minlength=n_units)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    wts = table["weight"].to_numpy()
    apportioned = wts < 1.0
    n_apportioned = np.add.reduceat(apportioned.astype(np.int64), starts)
    whole = (counts == 1) & (n_apportioned == 0)

    sources = pd.Index(
        pd.unique(np.concatenate([cube["council"].values.astype(str), table["source"].to_numpy()]))
    )
    data = cube[["numerator", "denominator", "value", "status"]].reindex(
        council=sources, fill_value={"status": "missing"}
    )
    src = sources.get_indexer(table["source"].to_numpy()).astype(np.intp)
    weighted = wts if apportioned.any() else None
    num = _reduce_edges(data["numerator"], src, starts, n_units, weights=weighted)
    den = _reduce_edges(data["denominator"], src, starts, n_units, weights=weighted)
    total = _reduce_edges(data["value"], src, starts, n_units, weights=weighted)
    codes = _encode_status(data["status"])
    lo = _reduce_edges(codes, src, starts, n_units, ufunc=np.minimum, dtype=np.int16)
    hi = _reduce_edges(codes, src, starts, n_units, ufunc=np.maximum, dtype=np.int16)
    n_est = _reduce_edges(
        (codes == _ESTIMATED).astype(np.int16), src, starts, n_units, dtype=np.int16
    )

    is_count = (cube["kind"] == "count").reset_coords(drop=True)
    whole_da = xr.DataArray(whole, dims="unit")
    rate = xr.where(den > 0, 100.0 * num / den.where(den > 0), np.nan)
    value = xr.where(whole_da, total, xr.where(is_count, total, rate))
    common = xr.where(lo == hi, lo, _MISSING)
    # every part published but no value recomputable (rates without counts): say so
    common = xr.where((common == _PUBLISHED) | (common == _ESTIMATED), _NOT_COMPUTABLE, common)
    estimated = xr.DataArray(n_apportioned > 0, dims="unit") | (n_est > 0)
    computed = xr.where(value.notnull(), xr.where(estimated, _ESTIMATED, _PUBLISHED), common)
    status = _decode_status(xr.where(whole_da, lo, computed).astype(np.int16))

    # derivation text per target
    first = table["source"].to_numpy()[starts]
    part = np.where(
        apportioned, table["source"] + f" (apportioned by {weight_label})", table["source"]
    )
    joined = pd.Series(part).groupby(tgt).agg("+".join).to_numpy()
    text = np.where(
        whole,
        np.where(first == targets, "as published", "recode of " + first.astype(object)),
        np.where(
            counts == 1,
            "apportioned from " + first.astype(object) + f" by {weight_label}",
            "sum of " + joined,
        ),
    ).astype(str)
    out = xr.Dataset({"numerator": num, "denominator": den, "value": value, "status": status})
    out = out.rename({"unit": "council"}).assign_coords(council=targets.astype(str))
    out = out.transpose("council", "year", "measure")
    shape = (n_units, out.sizes["year"], out.sizes["measure"])
    out["derivation"] = (
        ("council", "year", "measure"),
        np.broadcast_to(text[:, None, None], shape),
    )
    return out


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
    out = None
    for vintage in vintages:
        year_idx = np.flatnonzero((cells == vintage).any(axis=1))
        table = pd.DataFrame(edges[vintage], columns=["source", "target", "weight"])
        keep = table.groupby("source")["target"].transform(lambda t: t.isin(unit_set).any())
        table = table[keep.astype(bool)]
        piece = apply_edges(cube.isel(year=year_idx), table, weight_label=info["weight_label"])
        piece = piece.reindex(council=units, year=years_all).drop_vars(
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
    out["status"] = out["status"].astype(str)  # the cube's dtype (small: one row per council)
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
