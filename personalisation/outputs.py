"""Writing a notebook's outputs: figures (PNG and PDF), tables (CSV) and a record of how they were made.

Every output carries the package version, the data version (hash of the shipped table) and the
parameters it was made with: figures in their metadata, tables in a sidecar
``<table>.csv-metadata.json`` (the CSV itself stays plain), and the output folder in
``record.json``.  Notebooks also use :func:`check_parameters` in
their first cells so that a bad parameter fails the run at once with a clear message.

Examples
--------
>>> import personalisation as pz
>>> from personalisation import outputs
>>> cube = pz.load_cube(measures=["sds_users"])
>>> outputs.check_parameters(cube, measure="sds_users", year=2021, council="Manchester")
{'measure': 'sds_users', 'year': 2021, 'council': 'E08000003'}
>>> outputs.check_parameters(cube, measure="sds_users", year=2030)
Traceback (most recent call last):
...
personalisation.errors.MissingYearError: no data for year 2030; years with data: [2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from personalisation.errors import MissingYearError, UnknownMeasureError


def provenance(
    cube: xr.Dataset | None = None, parameters: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Package version, data version and parameters, as a flat JSON-able dict."""
    import personalisation

    record: dict[str, Any] = {"package_version": personalisation.__version__}
    if cube is not None:
        record["data_version"] = str(cube.attrs.get("data_version", "unknown"))
        record["geography_vintage"] = _geography_vintage(cube, parameters or {})
    if parameters is not None:
        record["parameters"] = {k: _jsonable(v) for k, v in parameters.items()}
    return record


def _geography_vintage(cube: xr.Dataset, parameters: Mapping[str, Any]) -> str:
    """The geography the outputs are on: the cube's (harmonised) vintage, else that of the
    years named in the parameters, else every vintage the cube's years span."""
    if cube.attrs.get("geography_vintage"):
        return str(cube.attrs["geography_vintage"])
    if "geography_vintage" not in cube.coords:
        return "unknown"
    by_year = dict(
        zip(cube.year.values.tolist(), cube.geography_vintage.values.tolist(), strict=True)
    )
    named = [parameters.get(k) for k in ("year", "target_year", "from_year", "to_year")]
    vintages = {str(by_year[int(y)]) for y in named if y is not None and int(y) in by_year}
    return ", ".join(sorted(vintages or {str(v) for v in by_year.values()}))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def check_parameters(
    cube: xr.Dataset,
    *,
    measure: str | None = None,
    year: int | None = None,
    years: tuple[int, ...] | list[int] | None = None,
    council: str | None = None,
    region: str | None = None,
    kind: str | None = None,
    allowed_kinds: tuple[str, ...] = ("polygons", "hex"),
) -> dict[str, Any]:
    """Check notebook parameters against the cube; raise a clear error for any unknown value.

    Returns the resolved values (e.g. a council name resolved to its code, a region name to
    its code).

    Raises
    ------
    UnknownMeasureError, MissingYearError, UnknownCouncilError, ValueError
        Naming the bad value and listing the valid ones.
    """
    resolved: dict[str, Any] = {}
    if measure is not None:
        known = [str(m) for m in cube.measure.values]
        if measure not in known:
            raise UnknownMeasureError(f"unknown measure {measure!r}; choose one of {known}")
        resolved["measure"] = measure
    wanted_years = list(years or []) + ([year] if year is not None else [])
    have = [int(y) for y in cube.year.values]
    for y in wanted_years:
        if int(y) not in have:
            raise MissingYearError(f"no data for year {y}; years with data: {have}")
        if measure is not None:
            cell = cube.value.sel(year=int(y), measure=measure)
            if int(cell.notnull().sum()) == 0:
                with_data = [
                    int(v)
                    for v in cube.year.values
                    if int(cube.value.sel(year=v, measure=measure).notnull().sum())
                ]
                raise MissingYearError(
                    f"{measure} has no published figure for {y}; years with figures: {with_data}"
                )
    if year is not None:
        resolved["year"] = int(year)
    if council is not None:
        resolved["council"] = resolve_council(cube, council)
    if region is not None:
        resolved["region"] = resolve_region(cube, region)
    if kind is not None:
        if kind not in allowed_kinds:
            raise ValueError(f"kind must be one of {allowed_kinds}, not {kind!r}")
        resolved["kind"] = kind
    return resolved


def as_percent(value: Any, name: str) -> float:
    """A percentage parameter as a float in [0, 100], or a clear error naming the parameter.

    Examples
    --------
    >>> as_percent("70", "threshold")
    70.0
    >>> as_percent("abc", "threshold")
    Traceback (most recent call last):
    ...
    ValueError: threshold must be a percentage between 0 and 100, not 'abc'
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 <= number <= 100:
        raise ValueError(f"{name} must be a percentage between 0 and 100, not {value!r}")
    return number


def resolve_council(cube: xr.Dataset, council: str) -> str:
    """A council code of the cube from a code or a name, through
    :func:`personalisation.geo.find.council_code_in` (the package's one rule)."""
    from personalisation.geo.find import council_code_in

    return council_code_in(cube, council)


def resolve_region(cube: xr.Dataset, region: str) -> str:
    """A region code (E12...) from a code or a name present in the cube."""
    pairs = dict(
        zip(cube.region_code.values.tolist(), cube.region_name.values.tolist(), strict=True)
    )
    if region in pairs:
        return region
    by_name = {str(n).casefold(): c for c, n in pairs.items()}
    if str(region).casefold() in by_name:
        return by_name[str(region).casefold()]
    raise ValueError(f"unknown region {region!r}; choose one of {sorted(set(pairs.values()))}")


def save_figure(
    fig: Any, output_dir: str | Path, name: str, record: Mapping[str, Any] | None = None
) -> list[Path]:
    """Save a matplotlib figure as ``<name>.png`` (150 dpi) and ``<name>.pdf`` with provenance.

    Both files are cropped to the figure's content (one tight bounding box); a package
    figure then shows the saved PNG inline.
    """
    from personalisation.plot.figure import save_png_and_pdf

    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    description = json.dumps(dict(record or {}), sort_keys=True)
    png, pdf = folder / f"{name}.png", folder / f"{name}.pdf"
    save_png_and_pdf(
        fig,
        png,
        pdf,
        dpi=150,
        png_metadata={"Software": "personalisation", "Description": description},
        pdf_metadata={"Creator": "personalisation", "Subject": description, "CreationDate": None},
    )
    return [png, pdf]


#: Suffix of the metadata file written beside every table (W3C CSV on the Web convention).
TABLE_METADATA_SUFFIX = "-metadata.json"


def _csvw_datatype(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


def save_table(
    table: Any, output_dir: str | Path, name: str, record: Mapping[str, Any] | None = None
) -> Path:
    """Save a table as plain ``<name>.csv`` and its provenance as ``<name>.csv-metadata.json``.

    The CSV has one header row and nothing else (R ``read.csv``, Stata ``import delimited``
    and pandas read it with no options).  The sidecar follows the W3C CSV on the Web
    metadata layout: the columns with their datatypes, and the provenance ``record``
    (package and data version, geography, parameters) under ``"personalisation:record"``.
    ``table`` is a DataFrame or a statistics result (:class:`personalisation.stats.Result`,
    saved as its tidy table; rates are in percent).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     table = pd.DataFrame({"council": ["E08000003"], "value": [90.1]})
    ...     path = save_table(table, folder, "rates", {"parameters": {"year": 2021}})
    ...     path.read_text(), table_record(path)["parameters"]
    ('council,value\\nE08000003,90.1\\n', {'year': 2021})
    """
    if hasattr(table, "to_frame") and not isinstance(table, pd.DataFrame):
        table = table.to_frame()
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    metadata = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": path.name,
        "dialect": {"header": True, "encoding": "utf-8"},
        "tableSchema": {
            "columns": [
                {
                    "name": str(column),
                    "titles": str(column),
                    "datatype": _csvw_datatype(table[column]),
                }
                for column in table.columns
            ]
        },
        "personalisation:record": dict(record or {}),
    }
    sidecar = folder / f"{path.name}{TABLE_METADATA_SUFFIX}"
    sidecar.write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`save_table` (a plain CSV)."""
    return pd.read_csv(path)


def table_record(path: str | Path) -> dict[str, Any]:
    """The provenance record of a table written by :func:`save_table` (from its sidecar)."""
    sidecar = Path(f"{path}{TABLE_METADATA_SUFFIX}")
    try:
        return dict(json.loads(sidecar.read_text(encoding="utf-8"))["personalisation:record"])
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{sidecar} is missing: the table has no provenance record"
        ) from None


def write_record(
    output_dir: str | Path, record: Mapping[str, Any], outputs: list[str | Path] | None = None
) -> Path:
    """Write ``record.json`` (parameters, versions, list of outputs) into the output folder."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    body = dict(record)
    if outputs is not None:
        body["outputs"] = sorted(Path(p).name for p in outputs)
    path = folder / "record.json"
    path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
