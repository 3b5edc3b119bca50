"""Join the cube to geometry: an xvec geometry coordinate, and long GeoDataFrames.

:func:`attach_geometry` gives a cube a ``geometry`` coordinate on ``council`` (boundaries in
EPSG:27700, or hexagons on an abstract grid) indexed with :class:`xvec.GeometryIndex`.
:func:`to_geodataframe` flattens one or more years and measures into a long GeoDataFrame
for plotting or GeoPackage export.

Councils are never dropped silently: a council in the cube with no geometry in the vintage
keeps an empty geometry, and a council in the geometry with no data in the cube is left
out of the cube; both are named in a :class:`GeometryMismatchWarning` and listed in
``attrs`` (``councils_without_geometry``, ``geometry_without_data``).

Examples
--------
>>> from personalisation.geo import attach_geometry, boundaries
>>> from personalisation.testing import make_cube
>>> cube = make_cube(n_councils=3, years=[2016, 2017])
>>> cube = cube.assign_coords(council=list(boundaries("2013").council_code[:3]))
>>> with_geom = attach_geometry(cube)
>>> with_geom.attrs["geometry_vintage"], with_geom.xindexes["geometry"].crs.to_epsg()
('2013', 27700)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from personalisation.errors import MissingYearError, PersonalisationError, UnknownMeasureError
from personalisation.schema import _is_coded, _status_names, decode_status

if TYPE_CHECKING:  # pragma: no cover
    import geopandas
    import xarray as xr

KINDS = ("boundaries", "hexes")
LABEL_COLUMNS = ("council_name", "council_type", "region_code", "region_name")
DATA_VARIABLES = ("numerator", "denominator", "value", "status")


class MixedVintageError(PersonalisationError, ValueError):
    """The cube's years are on more than one geography vintage (harmonise it first)."""


class GeometryMismatchWarning(UserWarning):
    """Councils in the data without geometry, or in the geometry without data."""


def _vintage_of_years(cube: xr.Dataset, years: Sequence[int]) -> str:
    from personalisation.geo.register import resolve_vintage, vintage_for_year

    found: dict[str, list[int]] = {}
    for year in years:
        label = None
        if "geography_vintage" in cube.coords:
            text = str(cube["geography_vintage"].sel(year=year).item())
            if text and text.lower() != "unknown":
                label = resolve_vintage(text)
        if label is None:
            label = vintage_for_year(int(year))
        found.setdefault(label, []).append(int(year))
    if len(found) != 1:
        detail = "; ".join(f"vintage {v}: years {ys}" for v, ys in sorted(found.items()))
        raise MixedVintageError(
            f"the cube's years are on {len(found)} geography vintages ({detail}); harmonise "
            "it onto one first (personalisation.geo.harmonise(cube, to=VINTAGE)) or pass "
            "vintage= explicitly"
        )
    return next(iter(found))


def _geometry_table(vintage: str | int, kind: str) -> geopandas.GeoDataFrame:
    if kind == "boundaries":
        from personalisation.geo._boundaries import boundaries

        return boundaries(vintage)
    if kind == "hexes":
        from personalisation.geo._hexes import hexes

        return hexes(vintage)
    raise ValueError(f"unknown geometry kind {kind!r}; use one of {KINDS}")


def with_units(
    geometry: geopandas.GeoDataFrame, codes: Sequence[str], vintage: str | int
) -> geopandas.GeoDataFrame:
    """Add the areas of harmonised units to a vintage's geometry.

    :func:`personalisation.harmonise` keeps a split council whole (``E10000006``, Cumbria,
    on the 2023 geography) and joins councils that cannot be separated exactly
    (``E06000058+E06000059``).  For every code in ``codes`` that is not a council of the
    vintage, its parts (split on ``+``) are followed to their successors in force in the
    vintage, and their shapes are dissolved into one row; the successors it covers are
    dropped unless they are in ``codes`` themselves.  Codes with no successor in the
    vintage are left out (the join reports them).

    Parameters
    ----------
    geometry
        A vintage's boundaries or hexes (``council_code`` and ``geometry`` columns).
    codes
        The council codes of the (harmonised) cube.
    vintage
        The vintage ``geometry`` belongs to.

    Examples
    --------
    >>> from personalisation.geo import boundaries
    >>> shapes = with_units(boundaries("2023"), ["E10000006", "E06000065"], "2023")
    >>> sorted(set(shapes.council_code) & {"E10000006", "E06000063", "E06000064"})
    ['E10000006']
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from personalisation.errors import UnknownCouncilError
    from personalisation.geo import register

    have = set(geometry["council_code"].astype(str))
    wanted = [str(c) for c in codes]
    names = register.councils().drop_duplicates("council_code").set_index("council_code")
    indexed = geometry.set_index(geometry["council_code"].astype(str))
    rows, covered = [], set()
    for code in wanted:
        if code in have:
            continue
        members: list[str] = []
        for part in code.split("+"):
            try:
                members += [s for s in register.successors(part, at=str(vintage)) if s in have]
            except (UnknownCouncilError, ValueError):
                continue
        members = sorted(set(members))
        if not members:
            continue
        first = indexed.loc[members[0]]
        parts = [names["council_name"].get(p, p) for p in code.split("+")]
        rows.append(
            {
                **{c: first[c] for c in geometry.columns if c not in ("council_code", "geometry")},
                "council_code": code,
                "council_name": " + ".join(str(n) for n in parts),
                "geometry": shapely.union_all(list(indexed.loc[members, "geometry"])),
            }
        )
        covered.update(members)
    if not rows:
        return geometry
    keep = geometry[~geometry["council_code"].isin(covered - set(wanted))]
    units = gpd.GeoDataFrame(rows, geometry="geometry", crs=geometry.crs)[list(geometry.columns)]
    out = gpd.GeoDataFrame(pd.concat([keep, units], ignore_index=True), crs=geometry.crs)
    out.attrs = dict(geometry.attrs)
    return out


def _names(cube: xr.Dataset, codes: Sequence[str]) -> dict[str, str]:
    if "council_name" in cube.coords:
        names = dict(
            zip(
                cube["council"].values.astype(str),
                cube["council_name"].values.astype(str),
                strict=True,
            )
        )
    else:
        names = {}
    return {c: names.get(c, c) for c in codes}


def _listing(items: list[str], limit: int = 20) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"


def _councils_in_geography(cube: xr.Dataset) -> list[str]:
    """Councils with at least one cell that is not ``not-in-geography`` (i.e. in the data).

    The cube holds the councils of every year it covers; a council that did not exist in
    any of the selected years' geographies is not "in the data" and is not reported.
    """
    codes = [str(c) for c in cube["council"].values]
    if "status" not in cube:
        return codes
    absent = (_status_names(cube["status"]) == "not-in-geography").all(
        [d for d in cube["status"].dims if d != "council"]
    )
    return [c for c, gone in zip(codes, absent.values.tolist(), strict=True) if not gone]


def _match(
    cube: xr.Dataset, gdf: geopandas.GeoDataFrame, vintage: str, kind: str
) -> tuple[list[Any], list[str], list[str]]:
    """Geometry per cube council (empty when absent) and the two mismatch lists."""
    import shapely

    by_code = dict(zip(gdf["council_code"].astype(str), gdf.geometry, strict=True))
    gdf_names = dict(
        zip(gdf["council_code"].astype(str), gdf["council_name"].astype(str), strict=True)
    )
    codes = [str(c) for c in cube["council"].values]
    cube_names = _names(cube, codes)
    present = set(_councils_in_geography(cube))
    no_geometry = [f"{c} ({cube_names[c]})" for c in codes if c not in by_code and c in present]
    no_data = [f"{c} ({gdf_names[c]})" for c in sorted(by_code) if c not in set(codes)]
    if no_geometry:
        warnings.warn(
            f"{len(no_geometry)} council(s) in the data have no {kind} in vintage {vintage} "
            f"(kept with empty geometry): {_listing(no_geometry)}",
            GeometryMismatchWarning,
            stacklevel=3,
        )
    if no_data:
        warnings.warn(
            f"{len(no_data)} council(s) of vintage {vintage} have {kind} but no data in the "
            f"cube: {_listing(no_data)} (full list in attrs['geometry_without_data'])",
            GeometryMismatchWarning,
            stacklevel=3,
        )
    geoms = [by_code.get(c, shapely.Polygon()) for c in codes]
    return geoms, no_geometry, no_data


def attach_geometry(
    cube: xr.Dataset,
    vintage: str | int | None = None,
    *,
    kind: str = "boundaries",
    missing: str = "empty",
) -> xr.Dataset:
    """Give a cube a ``geometry`` coordinate on ``council``, indexed with xvec.

    Parameters
    ----------
    cube
        A cube with a ``council`` dimension of GSS codes (see
        :func:`personalisation.testing.make_cube` for the contract).
    vintage
        Geography vintage (or any year) of the geometry.  ``None``: the vintage of the
        cube's years (its ``geography_vintage`` coordinate, else
        :func:`~personalisation.geo.register.vintage_for_year`), which must be one.
    kind
        ``"boundaries"`` (EPSG:27700) or ``"hexes"`` (abstract grid, no CRS).
    missing
        Councils with data but no geometry in ``vintage``: ``"empty"`` (default) keeps
        them with an empty polygon; ``"drop"`` leaves them out (still listed in
        ``attrs["councils_without_geometry"]``), so that the result can be written to
        NetCDF with :func:`encode_cf` (CF geometry encoding cannot hold empty geometries).

    Returns
    -------
    xarray.Dataset
        A copy with coordinate ``geometry`` (dim ``council``, :class:`xvec.GeometryIndex`)
        and attrs ``geometry_vintage``, ``geometry_kind``, ``geometry_attribution``,
        ``councils_without_geometry`` and ``geometry_without_data`` (lists of
        ``"CODE (Name)"``).  Councils without geometry get an empty polygon.

    Raises
    ------
    MixedVintageError
        When ``vintage`` is ``None`` and the years span several vintages.
    ValueError
        For an unknown ``kind`` or ``missing``.

    Warns
    -----
    GeometryMismatchWarning
        Naming councils with data but no geometry, or geometry but no data.

    Notes
    -----
    ``geometry`` is a non-dimension coordinate on ``council``, so ``council`` stays the
    code index (``.sel(council="E06000001")`` works) and the xvec index tracks the CRS
    (``.xvec.to_crs(geometry=4326)``, ``da.xvec.to_geodataframe()``).  xvec's
    ``.xvec.query`` needs a geometry *dimension*: ``out.drop_indexes("geometry")
    .swap_dims(council="geometry").xvec.set_geom_indexes("geometry", crs=27700)``.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> cube = make_cube(n_councils=2, years=[2022])
    >>> cube = cube.assign_coords(council=["E06000061", "E06000062"])
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     hexed = attach_geometry(cube, kind="hexes")
    >>> [w.category.__name__ for w in caught]  # 150 other councils have hexes but no data
    ['GeometryMismatchWarning']
    >>> hexed.attrs["geometry_vintage"], len(hexed.attrs["geometry_without_data"])
    ('2021', 150)
    >>> hexed.attrs["geometry_without_data"][:1]
    ['E06000001 (Hartlepool)']
    """
    import xvec

    if "council" not in cube.dims:
        raise ValueError("attach_geometry: the cube has no 'council' dimension")
    if vintage is None:
        vintage = _vintage_of_years(cube, [int(y) for y in cube["year"].values])
    gdf = _geometry_table(vintage, kind)
    resolved = str(gdf.attrs["vintage"])
    if str(cube.attrs.get("geography_vintage", "")) == resolved:  # harmonised onto this vintage
        gdf = with_units(gdf, [str(c) for c in cube["council"].values], resolved)
    if missing not in ("empty", "drop"):
        raise ValueError(f"missing must be 'empty' or 'drop', not {missing!r}")
    geoms, no_geometry, no_data = _match(cube, gdf, resolved, kind)
    out = cube.drop_vars("geometry", errors="ignore")
    if missing == "drop" and no_geometry:
        keep = np.array([not g.is_empty for g in geoms])
        out = out.isel(council=np.flatnonzero(keep))
        geoms = [g for g, k in zip(geoms, keep, strict=True) if k]
    out = out.assign_coords(geometry=("council", np.array(geoms, dtype=object)))
    out = out.set_xindex("geometry", xvec.GeometryIndex, crs=gdf.crs)
    out.attrs = {
        **cube.attrs,
        "geometry_vintage": resolved,
        "geometry_kind": kind,
        "geometry_attribution": str(gdf.attrs.get("attribution", "")),
        "councils_without_geometry": no_geometry,
        "geometry_without_data": no_data,
    }
    return out


def encode_cf(cube: xr.Dataset) -> xr.Dataset:
    """CF-encode the ``geometry`` of :func:`attach_geometry` output for NetCDF (``xvec``).

    Raises
    ------
    ValueError
        When some councils have an empty geometry (no boundary in that vintage), which CF
        geometry encoding cannot hold: the message names them and the way out
        (``attach_geometry(..., missing="drop")``).

    Examples
    --------
    >>> import personalisation as pz
    >>> cube = pz.load_cube(measures="sds_users", years=2021)
    >>> with_geometry = attach_geometry(cube, "2020", missing="drop")
    >>> encoded = encode_cf(with_geometry)
    >>> encoded.sizes["council"], "geometry_container" in encoded
    (151, True)
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:  # the netcdf extra writes the file
    ...     path = Path(folder) / "sds_2021.nc"
    ...     encoded.to_netcdf(path)
    ...     path.stat().st_size > 0
    True
    """
    if "geometry" not in cube.coords:
        raise ValueError("encode_cf: the cube has no 'geometry' coordinate (attach_geometry)")
    empty = [
        str(code)
        for code, geom in zip(cube["council"].values, cube["geometry"].values, strict=True)
        if geom is None or geom.is_empty
    ]
    if empty:
        raise ValueError(
            f"{len(empty)} council(s) have no geometry in vintage "
            f"{cube.attrs.get('geometry_vintage', '?')} (empty polygons), which CF geometry "
            f"encoding cannot write: {empty[:10]}; use attach_geometry(..., missing='drop') "
            "or select councils with geometry before writing NetCDF"
        )
    return cube.xvec.encode_cf()


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | int | np.integer):
        return [value]
    return list(value)


def to_geodataframe(
    cube: xr.Dataset,
    year: int | Sequence[int],
    measure: str | Sequence[str],
    *,
    wide: bool = False,
    vintage: str | int | None = None,
    kind: str = "boundaries",
) -> geopandas.GeoDataFrame:
    """A long (or wide) GeoDataFrame of some years and measures, for maps and GeoPackages.

    Parameters
    ----------
    cube
        A cube (with or without a geometry coordinate).
    year, measure
        One or several years / measure ids.
    wide
        ``False``: one row per council, year and measure with columns ``council``,
        ``year``, ``measure``, ``numerator``, ``denominator``, ``value``, ``status``, the
        labels (``council_name``, ``council_type``, ``region_code``, ``region_name``,
        ``period``, ``measure_label``, ``units``, ``kind`` where the cube has them) and
        ``geometry``.  ``True``: one row per council, with a ``<variable>__<measure>__<year>``
        column per data variable, measure and year.
    vintage
        Geography vintage of the geometry; ``None``: the vintage of the chosen years.
    kind
        ``"boundaries"`` or ``"hexes"``.

    Returns
    -------
    geopandas.GeoDataFrame
        With the geometry's CRS (EPSG:27700 for boundaries) and attrs ``attribution``
        (data and geometry), ``geometry_vintage``, ``councils_without_geometry``,
        ``geometry_without_data``.  Councils without geometry have an empty geometry;
        cells whose council did not exist that year (status ``not-in-geography``) are
        not rows.

    Raises
    ------
    MissingYearError, UnknownMeasureError
        For a year or measure not in the cube.
    MixedVintageError
        When ``vintage`` is ``None`` and the years span several vintages.

    Examples
    --------
    >>> from personalisation.testing import make_cube
    >>> from personalisation.geo import boundaries
    >>> cube = make_cube(n_councils=3, years=[2016])
    >>> cube = cube.assign_coords(council=list(boundaries("2013").council_code[:3]))
    >>> gdf = to_geodataframe(cube, 2016, "sds_users")
    >>> list(gdf.columns[:7])
    ['council', 'year', 'measure', 'numerator', 'denominator', 'value', 'status']
    """
    import geopandas as gpd
    import pandas as pd

    years = [int(y) for y in _as_list(year)]
    measures = [str(m) for m in _as_list(measure)]
    known_years = {int(y) for y in cube["year"].values}
    missing_years = [y for y in years if y not in known_years]
    if missing_years:
        raise MissingYearError(
            f"year(s) {missing_years} not in the cube (it has {sorted(known_years)})"
        )
    known_measures = [str(m) for m in cube["measure"].values]
    missing_measures = [m for m in measures if m not in known_measures]
    if missing_measures:
        raise UnknownMeasureError(
            f"measure(s) {missing_measures} not in the cube (it has {known_measures})"
        )
    part = cube.sel(year=years, measure=measures)
    if vintage is None:
        vintage = _vintage_of_years(part, years)
    with_geom = attach_geometry(part.drop_vars("geometry", errors="ignore"), vintage, kind=kind)
    geometry = dict(
        zip(
            with_geom["council"].values.astype(str),
            with_geom["geometry"].values,
            strict=True,
        )
    )
    variables = [v for v in DATA_VARIABLES if v in part.data_vars]
    frame = part[variables].to_dataframe().reset_index()
    if "status" in frame:  # the names, not the cube's int8 codes: a table is read by people
        if _is_coded(frame["status"]):
            frame["status"] = decode_status(frame["status"].to_numpy())
    frame["council"] = frame["council"].astype(str)
    frame["year"] = frame["year"].astype("int64")
    frame["measure"] = frame["measure"].astype(str)
    frame = frame[["council", "year", "measure", *variables]]
    if "status" in frame:  # councils that did not exist that year are not rows of the table
        frame = frame[frame["status"] != "not-in-geography"]
    label_sets = {
        "council": [c for c in LABEL_COLUMNS if c in part.coords],
        "year": [c for c in ("period", "geography_vintage") if c in part.coords],
        "measure": [c for c in ("measure_label", "units", "kind") if c in part.coords],
    }
    if wide:
        pieces = {}
        for var in variables:
            table = frame.pivot(index="council", columns=["measure", "year"], values=var)
            for m, y in table.columns:
                pieces[f"{var}__{m}__{y}"] = table[(m, y)]
        frame = pd.DataFrame(pieces).reset_index()
        keyed = {"council": label_sets["council"]}
    else:
        keyed = label_sets
    for dim, names in keyed.items():
        if names:
            labels = part[names].to_dataframe().reset_index()[[dim, *names]]
            labels[dim] = labels[dim].astype(str if dim != "year" else "int64")
            frame = frame.merge(labels, on=dim, how="left")
    frame = frame.sort_values([c for c in ("council", "year", "measure") if c in frame.columns])
    frame = frame.reset_index(drop=True)
    gdf = gpd.GeoDataFrame(
        frame,
        geometry=[geometry[c] for c in frame["council"]],
        crs=with_geom.xindexes["geometry"].crs,  # type: ignore[attr-defined]  # xvec's GeometryIndex
    )
    data_attr = str(cube.attrs.get("attribution", ""))
    gdf.attrs = {
        "attribution": " ".join(
            a for a in (data_attr, with_geom.attrs["geometry_attribution"]) if a
        ),
        "geometry_vintage": with_geom.attrs["geometry_vintage"],
        "geometry_kind": kind,
        "councils_without_geometry": with_geom.attrs["councils_without_geometry"],
        "geometry_without_data": with_geom.attrs["geometry_without_data"],
    }
    return gdf
