"""The tidy table for other software: Stata ``.dta`` and Parquet, each with a codebook.

:func:`to_stata` writes variable labels and value labels (``status`` is a labelled integer,
so ``tab status`` shows the names); :func:`to_parquet` keeps pandas dtypes and stores the
codebook in the file's metadata.  Both also write ``<file>.codebook.csv`` beside the data:
one row per variable with its label, type and, for ``status``, the code of every value, so
the file can be read without this package.  Provenance (package and data version, sources)
goes into the codebook's header rows, never into the data.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> import personalisation as pz
>>> from personalisation import export
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = pathlib.Path(tmp)
...     path = export.to_stata(pz.load_tidy(), folder / "indicators.dta")
...     back = pd.read_stata(path)
...     sorted(p.name for p in folder.iterdir())
['indicators.codebook.csv', 'indicators.dta']
>>> back["status"].cat.categories[:2].tolist()
['published', 'suppressed']
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from personalisation import schema

__all__ = ["COLUMN_LABELS", "codebook", "to_parquet", "to_stata"]

#: Short labels of the tidy columns (Stata allows 80 characters).
COLUMN_LABELS: dict[str, str] = {
    "council_code": "GSS code as published (cassr:NNN for pre-2009 councils)",
    "council_name": "Council (or region, council type, England) name as published",
    "geography_level": "council, region, council_type or england",
    "period": "Financial year as published (2014-15), or mid-year (mid-2015)",
    "year": "Year in which the financial year ends (2015 for 2014-15)",
    "measure": "Canonical measure id (personalisation.measures.registry())",
    "published_code": "The code or column label exactly as published",
    "disaggregation": "Total or the published band (18-64, 65 and over)",
    "numerator": "Numerator as published (missing when not published)",
    "denominator": "Denominator as published (missing when not published)",
    "value": "Published figure: percent for rates, count for counts",
    "status": "Status of the figure (value labels); missing is never zero",
    "definition": "Indicator definition (ASCOF 1C, ASCOF 3D, PSS-EX1 (RAP), ONS MYE)",
    "source": "Id of the raw file (data/metadata.json)",
}


def _status_values() -> list[str]:
    """The status names in code order: Stata's value labels are the cube's int8 codes."""
    return sorted(schema.STATUS_CODES, key=schema.STATUS_CODES.__getitem__)


def codebook(tidy: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``tidy``: name, label, type and the codes of ``status``.

    Examples
    --------
    >>> import personalisation as pz
    >>> book = codebook(pz.load_tidy())
    >>> book.set_index("variable").loc["status", "values"].split("; ")[:2]
    ['0 = published', '1 = suppressed']
    """
    rows = []
    for column in tidy.columns:
        values = ""
        if column == "status":
            values = "; ".join(f"{schema.STATUS_CODES[name]} = {name}" for name in _status_values())
        rows.append(
            {
                "variable": column,
                "label": COLUMN_LABELS.get(column, ""),
                "type": str(tidy[column].dtype),
                "values": values,
            }
        )
    return pd.DataFrame(rows, columns=["variable", "label", "type", "values"])


def _check(tidy: pd.DataFrame) -> None:
    unknown = sorted(set(tidy["status"].dropna()) - set(_status_values()))
    if unknown:
        raise ValueError(f"status values {unknown} have no code; known: {_status_values()}")


def _provenance(tidy: pd.DataFrame) -> dict[str, str]:
    import personalisation

    return {
        "package_version": personalisation.__version__,
        "data_version": str(tidy.attrs.get("data_version", "see data/metadata.json")),
        "licence": "Open Government Licence v3.0 (see data/README.md)",
    }


def _write_codebook(tidy: pd.DataFrame, path: Path) -> Path:
    target = path.with_name(path.stem + ".codebook.csv")
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["variable", "label", "type", "values"])
        writer.writerows(codebook(tidy).itertuples(index=False))
    return target


def to_stata(tidy: pd.DataFrame, path: str | Path) -> Path:
    """Write ``tidy`` as a Stata 118 ``.dta`` with variable and value labels, and its codebook.

    ``status`` becomes a labelled integer (codes in :func:`codebook`); text columns stay
    text; missing numbers are Stata missing (``.``), never zero.

    Parameters
    ----------
    tidy
        The tidy table (:func:`personalisation.load_tidy`), or any subset of its rows.
    path
        Where to write; ``<stem>.codebook.csv`` is written beside it.

    Returns
    -------
    pathlib.Path
        The ``.dta`` path.
    """
    _check(tidy)
    path = Path(path)
    frame = tidy.copy()
    frame["status"] = pd.Categorical(frame["status"].astype(object), categories=_status_values())
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]) and column != "status":
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    labels = {c: COLUMN_LABELS[c] for c in frame.columns if c in COLUMN_LABELS}
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        variable_labels=labels,
        data_label="personalisation tidy indicators",
        time_stamp=pd.Timestamp("2000-01-01"),  # reproducible bytes
    )
    _write_codebook(tidy, path)
    return path


def to_parquet(tidy: pd.DataFrame, path: str | Path) -> Path:
    """Write ``tidy`` as Parquet (needs ``pyarrow``) with the codebook in its metadata.

    Parameters
    ----------
    tidy
        The tidy table (:func:`personalisation.load_tidy`), or any subset of its rows.
    path
        Where to write; ``<stem>.codebook.csv`` is written beside it.

    Returns
    -------
    pathlib.Path
        The ``.parquet`` path.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ImportError(
            "to_parquet needs pyarrow: pip install 'personalisation[parquet]'"
        ) from error
    _check(tidy)
    path = Path(path)
    table = pa.Table.from_pandas(tidy.reset_index(drop=True), preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"personalisation.codebook"] = codebook(tidy).to_json(orient="records").encode()
    meta[b"personalisation.provenance"] = json.dumps(_provenance(tidy)).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
    _write_codebook(tidy, path)
    return path
