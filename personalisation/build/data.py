"""Build the shipped indicator data (``data/indicators.csv`` and its metadata) from the raw files.

``personalisation build-data`` runs :func:`build_data` (and
:func:`personalisation.build.geo.build_geo`).  The build is deterministic: the same raw files give byte-identical outputs (sorted rows, fixed number
formatting, no timestamps), and ``data/metadata.json`` lists every raw file used with its
sha256, publisher, title, licence and attribution.

Overlaps between sources are resolved by a fixed precedence (official open-data file, then
the compiled stack with numerators and denominators, then the outcome-only trend file), and
every overlap is cross-checked: the number of figures compared and the number that differ
are recorded in the metadata (``cross_checks``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from personalisation import measures as measure_registry
from personalisation._provenance import OGL_URL, OGL_V3, write_json
from personalisation.build import raw as _raw
from personalisation.build.lookups import cassr_code_lookup
from personalisation.build.readers.expected import PSS_EX1_FIGURES
from personalisation.errors import DataNotFoundError, UnknownCouncilError
from personalisation.schema import KEY_COLUMNS, TIDY_COLUMNS, validate_tidy

INDICATORS_FILE = "indicators.csv"
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Source:
    """One raw indicator file the data build reads: its registry id, reader and precedence."""

    id: str  # the registry id (personalisation/build/registry.json)
    reader: str  # "module:function" in personalisation.build.readers
    priority: int  # lower wins when two sources give the same figure
    #: keep the codes as published: a back series on one later geography (ONS MYE4 on the
    #: 2023 boundaries), whose codes are not those in force in each year
    fixed_geography: bool = False
    #: registry id of the raw file when several sources read one file (default: ``id``)
    file: str = ""

    @property
    def entry(self) -> _raw.RawFile:
        """The registry entry (path, sha256, publisher, title, licence...)."""
        return _raw.entry(self.file or self.id)

    @property
    def path(self) -> str:
        """Path relative to the raw directory."""
        return self.entry.path


SOURCES: tuple[Source, ...] = (
    Source("ascof_open_data_2020_21", "ascof:read_ascof_open_data", priority=0),
    Source("ascof_compiled_2014_19", "ascof:read_ascof_rds", priority=1),
    Source("ascof_trend_2017_24", "ascof:read_ascof_trend", priority=2),
    *(
        Source(f"pss_ex1_{p}", "pss_ex1:read_pss_ex1", priority=0)
        for p in ("2008_09", "2009_10", "2010_11", "2011_12", "2012_13", "2013_14", "2014_15")
    ),
    Source("ascof_dhsc_2024_25", "ascof_dhsc:read_ascof_dhsc", priority=0),
    *(
        Source(f"ons_mye_{y}", "population:read_mid_year_estimates", priority=0)
        for y in range(2015, 2022)
    ),
    Source("salt_t38_2021_22", "salt:read_salt_t38", priority=0, file="salt_ascfr_2021_22"),
    Source("salt_t47_2021_22", "salt:read_salt_t47", priority=0, file="salt_ascfr_2021_22"),
    Source("ons_mye_2022", "population:read_mid_year_estimates", priority=0),
    Source("ons_mye_2023", "population:read_mid_year_estimates", priority=0),
    Source(
        "ons_mye4_2011_2023",
        "population:read_mye4_series",
        priority=0,
        fixed_geography=True,
        file="ons_mye_2023",
    ),
)

CITATION = (
    "personalisation developers (2026). personalisation: council indicators of personal budgets, "
    "self-directed support and direct payments in English adult social care, data version "
    "{data_version}. "
    "Data: NHS Digital / NHS England and DHSC ASCOF; NHS Information Centre PSS-EX1; ONS mid-year "
    "estimates (OGL v3)."
)


def _reader(spec: str) -> Callable[..., pd.DataFrame]:
    import importlib

    module_name, _, function = spec.partition(":")
    module = importlib.import_module(f"personalisation.build.readers.{module_name}")
    return getattr(module, function)


def read_sources(
    raw_dir: str | Path, *, progress: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """Read every raw file in :data:`SOURCES` with its reader.

    Raises
    ------
    DataNotFoundError
        Naming every expected raw file that is absent.
    """
    raw_dir = Path(raw_dir)
    absent = [s.path for s in SOURCES if not (raw_dir / s.path).is_file()]
    if absent:
        raise DataNotFoundError(f"raw files missing under {raw_dir}: {absent}")
    frames: dict[str, pd.DataFrame] = {}
    code_lookup = None
    for source in SOURCES:
        if progress:
            progress(source.id)
        reader = _reader(source.reader)
        kwargs: dict[str, Any] = {"source_id": source.id}
        if source.reader.startswith("pss_ex1:"):
            if code_lookup is None:
                code_lookup = cassr_code_lookup(raw_dir)
            kwargs["code_lookup"] = code_lookup
            kwargs["expected_figures"] = PSS_EX1_FIGURES
        frames[source.id] = reader(_raw.path(raw_dir, source.entry.id), **kwargs)
    return frames


def codes_in_force(tidy: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Give each figure the GSS code in force on 31 March of its year.

    Files that identify councils by their 3-digit CASSR code (PSS-EX1) are mapped through
    today's lookups, so Gateshead and Northumberland come out with their post-2013 codes even
    for 2009-10..2012-13.  Using the typed recode events of the council register, such rows
    are given back the code in force at the time (E08000020, E06000048), so that every value
    belongs to its own year's geography.

    Examples
    --------
    >>> events = pd.DataFrame({"date": ["2013-04-01"], "type": ["recode"],
    ...                        "predecessor_code": ["E08000020"], "successor_code": ["E08000037"]})
    >>> tidy = pd.DataFrame({"council_code": ["E08000037", "E08000037"], "year": [2013, 2014]})
    >>> codes_in_force(tidy, events)["council_code"].tolist()
    ['E08000020', 'E08000037']
    """
    out = tidy.copy()
    recodes = events[events["type"] == "recode"]
    for recode in recodes.itertuples(index=False):
        effective = pd.Timestamp(recode.date)
        as_at = pd.to_datetime(out["year"].astype(str) + "-03-31")
        before = (out["council_code"] == recode.successor_code) & (as_at < effective)
        out.loc[before, "council_code"] = recode.predecessor_code
    return out


def check_council_codes(frames: dict[str, pd.DataFrame], known: set[str]) -> None:
    """Refuse council codes that the council register (built from the same raw files) lacks.

    Raises
    ------
    UnknownCouncilError
        Naming the source, the codes and their published names.
    """
    for source_id, frame in frames.items():
        councils = frame[frame["geography_level"] == "council"]
        unknown = councils[~councils["council_code"].isin(known)]
        if len(unknown):
            named = unknown.drop_duplicates("council_code")[
                ["council_code", "council_name", "period"]
            ]
            raise UnknownCouncilError(
                f"{source_id}: council code(s) not in the council register: "
                f"{named.head(10).to_dict(orient='records')}"
            )


def combine_sources(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Stack the readers' tables, keep one figure per key by source precedence, cross-check overlaps.

    Returns
    -------
    (tidy, cross_checks)
        The combined table (sorted by key) and, for each pair of sources that overlap, the
        number of figures compared and how many values differ by more than 0.05.
    """
    priority = {s.id: s.priority for s in SOURCES}
    stacked = pd.concat([f for f in frames.values() if len(f)], ignore_index=True)
    stacked["_priority"] = stacked["source"].map(priority).fillna(99)
    key = list(KEY_COLUMNS)

    checks: list[dict[str, Any]] = []
    dupes = stacked[stacked.duplicated(key, keep=False)]
    if len(dupes):
        for (winner_id, loser_id), pairs in _overlap_pairs(dupes, key).items():
            differ = (pairs["value_w"] - pairs["value_l"]).abs() > 0.05
            both = pairs["value_w"].notna() & pairs["value_l"].notna()
            checks.append(
                {
                    "kept": winner_id,
                    "dropped": loser_id,
                    "figures_compared": int(both.sum()),
                    "values_differing": int((differ & both).sum()),
                    "status_differing": int((pairs["status_w"] != pairs["status_l"]).sum()),
                }
            )
    tidy = (
        stacked.sort_values([*key, "_priority"], kind="mergesort")
        .drop_duplicates(key, keep="first")
        .drop(columns="_priority")
    )
    level_order = {"england": 0, "region": 1, "council_type": 2, "council": 3}
    tidy = tidy.assign(_level=tidy["geography_level"].map(level_order)).sort_values(
        ["measure", "year", "_level", "council_code", "disaggregation"], kind="mergesort"
    )
    tidy = tidy.drop(columns="_level").reset_index(drop=True)
    return validate_tidy(tidy, where="combined tidy table"), sorted(
        checks, key=lambda c: (c["kept"], c["dropped"])
    )


def _overlap_pairs(dupes: pd.DataFrame, key: list[str]) -> dict[tuple[str, str], pd.DataFrame]:
    ranked = dupes.sort_values([*key, "_priority"], kind="mergesort")
    winners = ranked.drop_duplicates(key, keep="first")
    losers = ranked[ranked.duplicated(key, keep="first")]
    merged = losers.merge(winners, on=key, suffixes=("_l", "_w"))
    return {k: g for k, g in merged.groupby(["source_w", "source_l"])}


#: Text appended to the published code of an ASCOF figure whose counts come from SALT.
SALT_DERIVED = (
    "numerator and denominator derived from SALT LTS001b (T38 community columns, rounded to 5)"
)


def derive_counts_from_salt(
    tidy: pd.DataFrame, t38: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Give the rate-only ASCOF 1C(1A)/1C(2A) figures of the SALT year their counts.

    Where every community cell of SALT T38 is published for a geography, the numerators
    and denominator are derived (:func:`personalisation.build.readers.salt.ascof_counts_from_t38`)
    and written into the ``sds_users`` / ``dp_users`` rows of that year that have none;
    the published value is kept, and ``published_code`` says the counts are derived.  The
    recomputed rates are compared with the published ones.

    Returns
    -------
    (tidy, report)
        The table, and for the metadata: figures filled, and the agreement of
        ``100 * numerator / denominator`` with the published value (maximum and median
        absolute difference, number differing by more than 0.5 points), by level.
    """
    from personalisation.build.readers.salt import ascof_counts_from_t38

    counts = ascof_counts_from_t38(t38).assign(disaggregation="Total")
    key = ["council_code", "geography_level", "year", "measure", "disaggregation"]
    merged = tidy.reset_index().merge(counts, on=key, how="inner", suffixes=("", "_salt"))
    merged = merged[merged["numerator"].isna() & merged["denominator"].isna()]
    out = tidy.copy()
    index = merged["index"].to_numpy()
    out.loc[index, "numerator"] = merged["numerator_salt"].to_numpy()
    out.loc[index, "denominator"] = merged["denominator_salt"].to_numpy()
    out.loc[index, "published_code"] = (
        merged["published_code"].astype(str) + f"; {SALT_DERIVED}"
    ).to_numpy()
    published = merged[merged["status"] == "published"]
    recomputed = 100 * published["numerator_salt"] / published["denominator_salt"]
    difference = (recomputed - published["value"]).abs()
    report: dict[str, Any] = {
        "what": (
            "ASCOF 1C(1A) sds_users and 1C(2A) dp_users numerators and denominators derived "
            "from SALT LTS001b (T38) where no community cell is suppressed; published rates kept"
        ),
        "years": sorted(int(y) for y in merged["year"].unique()),
        "figures_filled": int(len(merged)),
        "geographies_with_suppressed_cells": int(
            t38.loc[
                (t38["disaggregation"] != "Total") & (t38["status"] != "published"),
                "council_code",
            ].nunique()
        ),
        "agreement": [],
    }
    for (level, measure), part in published.assign(difference=difference).groupby(
        ["geography_level", "measure"]
    ):
        report["agreement"].append(
            {
                "geography_level": level,
                "measure": measure,
                "compared": int(len(part)),
                "max_abs_difference": round(float(part["difference"].max()), 3),
                "median_abs_difference": round(float(part["difference"].median()), 3),
                "differing_over_0_5": int((part["difference"] > 0.5).sum()),
            }
        )
    return validate_tidy(out, where="tidy table with SALT-derived counts"), report


#: Raw registry ids of the figures reported at the time and of the targets.
REPORTED_SOURCES: dict[str, tuple[str, str]] = {
    "reported.csv": ("reported_2009_2013", "read_reported"),
    "targets.csv": ("reported_targets", "read_targets"),
}


def write_reported(raw_dir: str | Path, out_dir: str | Path) -> list[dict[str, Any]]:
    """Write ``reported.csv`` and ``targets.csv`` (figures reported at the time) beside the table.

    They are a level of their own (:mod:`personalisation.reported`), never mixed into
    ``indicators.csv``.  Returns their provenance records for the metadata.
    """
    from personalisation.build.readers import reported as reader

    records = []
    for name, (file_id, function) in REPORTED_SOURCES.items():
        table = getattr(reader, function)(_raw.path(raw_dir, file_id))
        if "year" in table.columns:
            table["level"] = "reported"
            first = ["row", "level", "period", "as_at", "year"]
            table = table[[*first, *[c for c in table.columns if c not in first]]]
        table.to_csv(Path(out_dir) / name, index=False, lineterminator="\n")
        records.append(
            _raw.record(raw_dir, file_id) | {"rows": int(len(table)), "written_to": name}
        )
    return records


#: Raw registry ids of the IoD File 11 upper-tier summaries -> edition.
COVARIATE_SOURCES: dict[str, str] = {"imd_2015": "IMD 2015", "imd_2019": "IMD 2019"}


def write_covariates(raw_dir: str | Path, out_dir: str | Path) -> list[dict[str, Any]]:
    """Write ``covariates.csv`` (IMD 2015 and 2019 upper-tier summaries, long) beside the table.

    Every area code must be in the council register.  Returns the provenance records.
    """
    from personalisation.build.readers.imd import read_imd_summaries
    from personalisation.build.register import build_register

    known = set(build_register(raw_dir)["council_code"])
    parts, records = [], []
    for file_id, edition in COVARIATE_SOURCES.items():
        table = read_imd_summaries(_raw.path(raw_dir, file_id), edition=edition)
        unknown = sorted(set(table["council_code"]) - known)
        if unknown:
            raise UnknownCouncilError(f"{file_id}: codes not in the council register: {unknown}")
        parts.append(table)
        records.append(_raw.record(raw_dir, file_id) | {"rows": int(len(table))})
    out = pd.concat(parts, ignore_index=True)
    out.to_csv(Path(out_dir) / "covariates.csv", index=False, lineterminator="\n")
    return records


#: DfE statistical neighbour models: registry id -> (model, council vintage of the model).
NEIGHBOUR_SOURCES: dict[str, tuple[str, str]] = {
    "dfe_sn_2021": ("DfE 2021", "2021"),
    "dfe_sn_2025": ("DfE 2025", "2023"),
}


def write_neighbours(raw_dir: str | Path, out_dir: str | Path) -> list[dict[str, Any]]:
    """Write ``neighbours.csv``: DfE statistical neighbours joined to GSS codes by a real lookup."""
    from personalisation.build.readers.neighbours import dfe_number_lookup, read_neighbours
    from personalisation.build.register import build_events, build_register

    register = build_register(raw_dir)
    events = build_events(raw_dir)
    mysociety = pd.read_csv(_raw.path(raw_dir, "mysociety_la_register"), dtype=str)
    parts, records = [], []
    for file_id, (model, vintage) in NEIGHBOUR_SOURCES.items():
        table = read_neighbours(_raw.path(raw_dir, file_id), model=model)
        valid_from = pd.to_datetime(register["valid_from"], errors="coerce")
        valid_to = pd.to_datetime(register["valid_to"], errors="coerce")
        day = pd.Timestamp(f"{vintage}-04-01")
        in_force = register[
            (valid_from.isna() | (valid_from <= day)) & (valid_to.isna() | (valid_to > day))
        ].drop_duplicates("council_code")
        lookup = dfe_number_lookup(mysociety, in_force, events, table[["la_number", "la_name"]])
        codes = lookup.set_index("la_number")
        unknown = sorted(set(table["neighbour_la_number"]) - set(codes.index))
        if unknown:
            raise UnknownCouncilError(f"{file_id}: neighbour LA numbers not in the file: {unknown}")
        joined = table.assign(
            vintage=vintage,
            council_code=codes.loc[table["la_number"], "council_code"].to_numpy(),
            council_name=codes.loc[table["la_number"], "council_name"].to_numpy(),
            neighbour_code=codes.loc[table["neighbour_la_number"], "council_code"].to_numpy(),
            neighbour_name=codes.loc[table["neighbour_la_number"], "council_name"].to_numpy(),
            lookup_method=codes.loc[table["la_number"], "method"].to_numpy(),
        )
        parts.append(joined)
        records.append(_raw.record(raw_dir, file_id) | {"rows": int(len(table))})
    columns = [
        "model", "vintage", "council_code", "council_name", "la_number", "rank",
        "neighbour_code", "neighbour_name", "neighbour_la_number", "closeness",
        "lookup_method", "row",
    ]  # fmt: skip
    out = pd.concat(parts, ignore_index=True)[columns]
    out.to_csv(Path(out_dir) / "neighbours.csv", index=False, lineterminator="\n")
    return records


def write_tidy(tidy: pd.DataFrame, path: str | Path) -> None:
    """Write the tidy table as CSV, deterministically (LF endings, shortest round-trip floats)."""
    tidy.loc[:, list(TIDY_COLUMNS)].to_csv(
        path, index=False, lineterminator="\n", float_format=None
    )


def _summary(tidy: pd.DataFrame) -> list[dict[str, Any]]:
    councils = tidy[tidy["geography_level"] == "council"]
    table = (
        councils[councils["disaggregation"] == "Total"]
        .groupby(["measure", "period"])
        .agg(
            councils=("council_code", "nunique"),
            published=("status", lambda s: int((s == "published").sum())),
            with_denominator=("denominator", lambda s: int(s.notna().sum())),
            sources=("source", lambda s: ",".join(sorted(set(s)))),
        )
    )
    return [
        {
            "measure": m,
            "period": p,
            **{k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in row.items()},
        }
        for (m, p), row in table.iterrows()
    ]


def build_data(
    raw_dir: str | Path, out_dir: str | Path, *, progress: Callable[[str], None] | None = None
) -> Path:
    """Rebuild ``indicators.csv`` and ``metadata.json`` in ``out_dir`` from the raw files.

    Parameters
    ----------
    raw_dir
        The raw directory (layout of ``../shared/data/raw``).
    out_dir
        Where to write (created if needed), usually ``<repo>/data``.

    Returns
    -------
    pathlib.Path
        The written ``indicators.csv``.

    Examples
    --------
    Skipped as doctests: they need the raw published files (not shipped) and write a build.

    >>> build_data("../shared/data/raw", "/tmp/data")   # doctest: +SKIP
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from personalisation.build.register import build_events, build_register

    frames = read_sources(raw_dir, progress=progress)
    inconsistencies = sorted(
        (r for frame in frames.values() for r in frame.attrs.get("inconsistent", [])),
        key=lambda r: (r["source"], r["council_code"], r["measure"], r["disaggregation"]),
    )
    events = build_events(raw_dir)
    fixed = {s.id for s in SOURCES if s.fixed_geography}
    frames = {
        name: frame if name in fixed else codes_in_force(frame, events)
        for name, frame in frames.items()
    }
    check_council_codes(frames, set(build_register(raw_dir)["council_code"]))
    tidy, checks = combine_sources(frames)
    tidy, salt_counts = derive_counts_from_salt(tidy, frames["salt_t38_2021_22"])
    reported_files = write_reported(raw_dir, out_dir)
    covariate_files = write_covariates(raw_dir, out_dir)
    covariate_files += write_neighbours(raw_dir, out_dir)
    indicators = out_dir / INDICATORS_FILE
    # write beside, then move into place together, so a failed build never leaves the table and
    # its metadata out of step
    staged = out_dir / f".{INDICATORS_FILE}.new"
    write_tidy(tidy, staged)
    digest = hashlib.sha256(staged.read_bytes()).hexdigest()
    metadata = {
        "title": "Council indicators of self-directed support, direct payments and population, England",
        "data_version": digest[:12],
        "indicators_sha256": digest,
        # no package version here: a release must not change data/ (the data carry their own)
        "built_by": "personalisation build-data",
        "licence": f"{OGL_V3} ({OGL_URL})",
        "attribution": " ".join(
            dict.fromkeys(s.entry.attribution for s in SOURCES if s.entry.attribution)
        ),
        "citation": CITATION.format(data_version=digest[:12]),
        "schema": {c: t for c, t in TIDY_COLUMNS.items()},
        "sources": [
            _raw.record(raw_dir, s.entry.id) | {"source_id": s.id, "rows": int(len(frames[s.id]))}
            for s in SOURCES
        ],
        "precedence": [s.id for s in sorted(SOURCES, key=lambda s: (s.priority, s.id))],
        "cross_checks": checks,
        "derived_counts": salt_counts,
        "reported": reported_files,
        "covariates": covariate_files,
        "inconsistencies": inconsistencies,
        "gaps": list(measure_registry.GAPS),
        "coverage": _summary(tidy),
        "measures": measure_registry.registry()
        .drop(columns=["definition"])
        .to_dict(orient="records"),
    }
    staged_metadata = out_dir / f".{METADATA_FILE}.new"
    write_json(metadata, staged_metadata)
    staged.replace(indicators)
    staged_metadata.replace(out_dir / METADATA_FILE)
    (out_dir / "README.md").write_text(data_readme(metadata), encoding="utf-8")
    return indicators


def data_readme(metadata: dict[str, Any]) -> str:
    """A human-readable note for ``data/``: what the files are, sources, licence, gaps."""
    lines = [
        "# data/ (built by `personalisation build-data`; do not edit by hand)",
        "",
        f"`{INDICATORS_FILE}`: the tidy indicators table, one row per published figure "
        f"(schema in `personalisation/schema.py`). Data version `{metadata['data_version']}` "
        f"(sha256 `{metadata['indicators_sha256']}`).",
        f"`{METADATA_FILE}`: every raw file used (path, sha256, publisher, title, licence), source "
        "precedence and cross-checks between overlapping sources, coverage, gaps and the measure registry.",
        "`reported.csv`, `targets.csv`: figures reported at the time (2009-2013) and the national "
        "targets, transcribed in the raw `reported/` folder; their own level "
        "(`personalisation.reported()`), cited row by row, never pooled with council data.",
        "",
        f"**Licence:** {metadata['licence']}.",
        "",
        f"**Attribution:** {metadata['attribution']}",
        "",
        f"**Cite as:** {metadata['citation']}",
        "",
        "## Sources",
        "",
        "| id | publisher | title | licence |",
        "|---|---|---|---|",
        *(
            f"| `{s['id']}` | {s['publisher']} | {s['title']} | {s['licence']} |"
            for s in metadata["sources"]
        ),
        "",
        "## Withheld as inconsistent (the publisher's figure contradicts its own total)",
        "",
        *(
            f"- `{r['source']}` {r['council_code']} {r['period']} {r['measure']} "
            f"{r['disaggregation']}: published {r['published_value']:g}, total "
            f"{r['published_total']:g} ({r['why']})"
            for r in metadata.get("inconsistencies", [])
        ),
        *([] if metadata.get("inconsistencies") else ["- none"]),
        "",
        "## Not held (never filled by guessing)",
        "",
        *(f"- **{g['what']}** ({g['periods']}): {g['why']}" for g in metadata["gaps"]),
        "",
    ]
    return "\n".join(lines)
