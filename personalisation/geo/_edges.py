"""The harmonisation kernel: segmented sums over council -> unit edges, on numpy or dask.

:func:`apply_edges` applies an edge table (source council, target unit, weight) to every
year of a cube; statuses travel as the cube's int8 codes
(:func:`personalisation.schema.encode_status`), names are encoded on the way in.
Used by :func:`personalisation.geo.harmonise`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from personalisation.schema import (
    CUBE_STATUS_VALUES,
    STATUS_CODES,
    STATUS_DTYPE,
    _is_coded,
    decode_status,
    encode_status,
)

__all__ = ["HARMONISED_STATUS_VALUES", "apply_edges"]

#: Status values understood: the cube's (see :data:`CUBE_STATUS_VALUES`).
HARMONISED_STATUS_VALUES: tuple[str, ...] = CUBE_STATUS_VALUES
_PUBLISHED, _MISSING, _ESTIMATED, _NOT_COMPUTABLE = (
    STATUS_CODES[s] for s in ("published", "missing", "estimated", "not-computable")
)


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
    coded = _is_coded(cube["status"])
    data = cube[["numerator", "denominator", "value", "status"]]
    data = data.assign(status=encode_status(data["status"])).reindex(
        council=sources, fill_value={"status": _MISSING}
    )
    src = sources.get_indexer(table["source"].to_numpy()).astype(np.intp)
    weighted = wts if apportioned.any() else None
    num = _reduce_edges(data["numerator"], src, starts, n_units, weights=weighted)
    den = _reduce_edges(data["denominator"], src, starts, n_units, weights=weighted)
    total = _reduce_edges(data["value"], src, starts, n_units, weights=weighted)
    codes = data["status"]
    lo = _reduce_edges(codes, src, starts, n_units, ufunc=np.minimum, dtype=STATUS_DTYPE.type)
    hi = _reduce_edges(codes, src, starts, n_units, ufunc=np.maximum, dtype=STATUS_DTYPE.type)
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
    status = encode_status(xr.where(whole_da, lo, computed).astype(STATUS_DTYPE))
    if not coded:  # names in, names out
        status = decode_status(status)

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
