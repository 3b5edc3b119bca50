"""Build the shipped data (``data/``) and geography (``geo/``) from the raw published files.

``personalisation build-data [--raw DIR] [--out DIR]`` runs :func:`build_all`.  The build is
deterministic: the same raw files give byte-identical outputs (sorted rows, fixed number
formatting, no timestamps), and ``data/metadata.json`` lists every raw file used with its
sha256, publisher, title, licence and attribution.

Overlaps between sources are resolved by a fixed precedence (official open-data file, then
the compiled stack with numerators and denominators, then the outcome-only trend file), and
every overlap is cross-checked: the number of figures compared and the number that differ
are recorded in the metadata (``cross_checks``).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from personalisation import _paths
from personalisation import measures as measure_registry
from personalisation._provenance import (
    DHSC_ATTRIBUTION,
    NHS_ATTRIBUTION,
    OGL_URL,
    OGL_V3,
    ONS_ATTRIBUTION,
    file_record,
    write_json,
)
from personalisation.errors import DataNotFoundError, PersonalisationError, UnknownCouncilError
from personalisation.sources.schema import KEY_COLUMNS, TIDY_COLUMNS, validate_tidy

INDICATORS_FILE = "indicators.csv"
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Source:
    """One raw file the build reads."""

    id: str
    path: str  # relative to the raw directory
    reader: str  # "module:function" in personalisation.sources
    publisher: str
    title: str
    priority: int  # lower wins when two sources give the same figure
    licence: str = OGL_V3
    attribution: str = NHS_ATTRIBUTION
    notes: str = ""


_IND = "indicators"
_PSS = f"{_IND}/pss_ex1_activity"
_MYE = f"{_IND}/ons_mye"
_PSS_TITLE = "Personal Social Services: Expenditure and Unit Costs, England {p}: Activity Data by CASSR (PSS-EX1)"
_MYE_TITLE = "Population estimates for the UK, England and Wales, Scotland and Northern Ireland: mid-{y} (MYE2)"

SOURCES: tuple[Source, ...] = (
    Source(
        "ascof_open_data_2020_21",
        f"{_IND}/ascof_nhsd/meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx",
        "ascof:read_ascof_open_data",
        "NHS Digital",
        "Measures from the Adult Social Care Outcomes Framework, England 2020-21 (open-data file)",
        priority=0,
    ),
    Source(
        "ascof_compiled_2014_19",
        f"{_IND}/ascof_compiled_ojpreston/ascof_14_19.rds",
        "ascof:read_ascof_rds",
        "NHS Digital (compiled by OJPreston/ASCOF)",
        "Measures from the ASCOF, England 2014-15 to 2018-19 (open-data CSVs stacked into one R data frame)",
        priority=1,
        notes="Third-party compilation of the official open-data files; values are NHS Digital's (OGL v3).",
    ),
    Source(
        "ascof_trend_2017_24",
        f"{_IND}/ascof_compiled_acbockmuehl/trend_data.csv",
        "ascof:read_ascof_trend",
        "NHS Digital / NHS England (compiled by acbockmuehl/ascof-repos)",
        "ASCOF outcome values 2017-18 to 2023-24 (Measure Type = Outcome, Disaggregation = Total only)",
        priority=2,
        notes="Third-party compilation; no numerators or denominators.",
    ),
    Source(
        "ascof_dhsc_2024_25",
        f"{_IND}/ascof_dhsc/ascof_2024_25.ods",
        "ascof_dhsc:read_ascof_dhsc",
        "Department of Health and Social Care (CLD-based measures from NHS England client level data)",
        "Measures from the adult social care outcomes framework (ASCOF), England - time series of "
        "aggregated measures, 2015 to 2016 to 2024 to 2025 (Tables 3d(1a), 3d(2a))",
        priority=0,
        attribution=DHSC_ATTRIBUTION,
        notes=(
            "2024-25 3D is official statistics in development, derived from CLD, not comparable "
            "with 2023-24 or earlier; 3d(1b)/3d(2b) for carers not published for 2024-25."
        ),
    ),
    *(
        Source(
            f"pss_ex1_{p.replace('-', '_')}",
            f"{_PSS}/{name}",
            "pss_ex1:read_pss_ex1",
            "NHS Information Centre / HSCIC",
            _PSS_TITLE.format(p=p),
            priority=0,
        )
        for p, name in (
            ("2008-09", "pers-soc-serv-exp-unit-cost-eng-2008-09-data.csv"),
            ("2009-10", "Final_Council Level_ActivityData_2009-10.csv"),
            ("2010-11", "Final_Council_Level_Activity_Data_2010-11.csv"),
            ("2011-12", "Final_Council_Level_Activity_Data_2011_12.csv"),
            ("2012-13", "Annex_Fin_CASSR_Level_Activity_Data_2012_13.csv"),
            ("2013-14", "Annex_Final_CASSR_Level_Activity_Data_2013_14.csv"),
            ("2014-15", "pss-exp-eng-14-15-fin-coun-lev-act-data.csv"),
        )
    ),
    *(
        Source(
            f"ons_mye_{y}",
            f"{_MYE}/{name}",
            "population:read_mid_year_estimates",
            "Office for National Statistics",
            _MYE_TITLE.format(y=y),
            priority=0,
            attribution=ONS_ATTRIBUTION,
        )
        for y, name in (
            (2015, "MYE2_population_by_sex_and_age_for_local_authorities_UK_2015.xls"),
            (2016, "ukmidyearestimates2016.xls"),
            (2017, "ukmidyearestimates2017finalversion.xls"),
            (2018, "ukmidyearestimates20182019ladcodes.xls"),
            (2019, "ukmidyearestimates20192020ladcodes.xls"),
            (2020, "ukpopestimatesmid2020on2021geography.xls"),
            (2021, "ukpopestimatesmid2021on2021geographyfinal.xls"),
        )
    ),
    Source(
        "salt_t38_2021_22",
        f"{_IND}/salt_ascfr/ASCFR and SALT Data Tables 2021-22.xlsx",
        "salt:read_salt_t38",
        "NHS Digital",
        "Adult Social Care Activity and Finance: England 2021-22 - Data Tables, T38 (SALT "
        "LTS001b: long-term support at the end of the year by age band and support setting)",
        priority=0,
        notes="Counts rounded to the nearest 5; [c] under 5; [x] not submitted.",
    ),
    Source(
        "salt_t47_2021_22",
        f"{_IND}/salt_ascfr/ASCFR and SALT Data Tables 2021-22.xlsx",
        "salt:read_salt_t47",
        "NHS Digital",
        "Adult Social Care Activity and Finance: England 2021-22 - Data Tables, T47 (SALT "
        "LTS003: support provided to carers during the year by type of support)",
        priority=0,
        notes="Held as published; does not reproduce ASCOF 1C parts 1B/2B.",
    ),
    Source(
        "ons_mye_2022",
        f"{_MYE}/mye22final.xlsx",
        "population:read_mid_year_estimates",
        "Office for National Statistics",
        "Population estimates for the UK, England, Wales, Scotland and Northern Ireland: "
        "mid-2022 (MYE2 - Persons; 2023 geography)",
        priority=0,
        attribution=ONS_ATTRIBUTION,
        notes=(
            "Original mid-2022 release, re-saved by a user (cell values identical to a second "
            "copy); ONS later revised mid-2022 (see ons_mye4_2011_2023)."
        ),
    ),
    Source(
        "ons_mye_2023",
        f"{_MYE}/mye23tablesew.xlsx",
        "population:read_mid_year_estimates",
        "Office for National Statistics",
        "Mid-Year Population Estimates, England and Wales, June 2023 (MYE2 - Persons; 2023 "
        "geography)",
        priority=0,
        attribution=ONS_ATTRIBUTION,
    ),
    Source(
        "ons_mye4_2011_2023",
        f"{_MYE}/mye23tablesew.xlsx",
        "population:read_mye4_series",
        "Office for National Statistics",
        "Mid-Year Population Estimates, England and Wales, June 2023: MYE4 all-ages summary "
        "mid-2011 to mid-2023 (2023 boundaries)",
        priority=0,
        attribution=ONS_ATTRIBUTION,
    ),
)

CITATION = (
    "personalisation developers (2026). personalisation: council indicators of personal budgets, "
    "self-directed support and direct payments in English adult social care, version {version}. "
    "Data: NHS Digital / NHS England and DHSC ASCOF; NHS Information Centre PSS-EX1; ONS mid-year "
    "estimates (OGL v3)."
)


def _reader(spec: str) -> Callable[..., pd.DataFrame]:
    import importlib

    module_name, _, function = spec.partition(":")
    module = importlib.import_module(f"personalisation.sources.{module_name}")
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
                from personalisation.sources.pss_ex1 import cassr_code_lookup

                code_lookup = cassr_code_lookup(raw_dir)
            kwargs["code_lookup"] = code_lookup
        frames[source.id] = reader(raw_dir / source.path, **kwargs)
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
    and denominator are derived (:func:`personalisation.sources.salt.ascof_counts_from_t38`)
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
    from personalisation.sources.salt import ascof_counts_from_t38

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
    >>> build_data("../shared/data/raw", "/tmp/data")   # doctest: +SKIP
    """
    import personalisation

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from personalisation.geo.register import build_events, build_register

    frames = read_sources(raw_dir, progress=progress)
    events = build_events(raw_dir)
    frames = {name: codes_in_force(frame, events) for name, frame in frames.items()}
    check_council_codes(frames, set(build_register(raw_dir)["council_code"]))
    tidy, checks = combine_sources(frames)
    tidy, salt_counts = derive_counts_from_salt(tidy, frames["salt_t38_2021_22"])
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
        "built_by": f"personalisation {personalisation.__version__} (personalisation build-data)",
        "licence": f"{OGL_V3} ({OGL_URL})",
        "attribution": " ".join(dict.fromkeys(s.attribution for s in SOURCES if s.attribution)),
        "citation": CITATION.format(version=personalisation.__version__),
        "schema": {c: t for c, t in TIDY_COLUMNS.items()},
        "sources": [
            file_record(
                raw_dir / s.path,
                raw_dir,
                source_id=s.id,
                publisher=s.publisher,
                title=s.title,
                licence=s.licence,
                attribution=s.attribution,
                notes=s.notes,
            )
            | {"rows": int(len(frames[s.id]))}
            for s in SOURCES
        ],
        "precedence": [s.id for s in sorted(SOURCES, key=lambda s: (s.priority, s.id))],
        "cross_checks": checks,
        "derived_counts": salt_counts,
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
        f"(schema in `personalisation/sources/schema.py`). Data version `{metadata['data_version']}` "
        f"(sha256 `{metadata['indicators_sha256']}`).",
        f"`{METADATA_FILE}`: every raw file used (path, sha256, publisher, title, licence), source "
        "precedence and cross-checks between overlapping sources, coverage, gaps and the measure registry.",
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
        "## Not held (never filled by guessing)",
        "",
        *(f"- **{g['what']}** ({g['periods']}): {g['why']}" for g in metadata["gaps"]),
        "",
    ]
    return "\n".join(lines)


def build_geo(
    raw_dir: str | Path, out_dir: str | Path, *, progress: Callable[[str], None] | None = None
) -> None:
    """Rebuild the council register, boundaries and hex layouts in ``out_dir`` (``geo/``).

    The boundaries and hexes are labelled from the register, so the register is written
    first and the later steps read *that* register (``out_dir``), not the shipped one.
    """
    import os

    from personalisation.geo import _boundaries, _hexes, register

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("geo: register")
    register.write_register(raw_dir, out_dir)
    previous = os.environ.get("PERSONALISATION_GEO_DIR")
    os.environ["PERSONALISATION_GEO_DIR"] = str(out_dir)
    _boundaries._assemble.cache_clear()
    try:
        if progress:
            progress("geo: boundaries")
        _boundaries.build_boundaries(raw_dir, out_dir / "boundaries")
        if progress:
            progress("geo: hexes")
        _hexes.build_hexes(raw_dir, out_dir / "hexes")
    finally:
        if previous is None:
            os.environ.pop("PERSONALISATION_GEO_DIR", None)
        else:
            os.environ["PERSONALISATION_GEO_DIR"] = previous
        _boundaries._assemble.cache_clear()
    (out_dir / "README.md").write_text(geo_readme(out_dir), encoding="utf-8")


def geo_readme(geo_dir: str | Path) -> str:
    """A human-readable note for ``geo/`` built from its three metadata files."""
    import json

    geo_dir = Path(geo_dir)
    register_meta = json.loads((geo_dir / "register_metadata.json").read_text(encoding="utf-8"))
    parts = {
        "Council register and reorganisation events (`councils.csv`, `events.csv`)": register_meta,
        "Boundaries (`boundaries/`)": json.loads(
            (geo_dir / "boundaries" / "metadata.json").read_text(encoding="utf-8")
        ),
        "Hex layouts (`hexes/`)": json.loads(
            (geo_dir / "hexes" / "metadata.json").read_text(encoding="utf-8")
        ),
    }
    counts = register_meta.get("councils_per_vintage", {})
    lines = [
        "# geo/ (built by `personalisation build-data`; do not edit by hand)",
        "",
        "Councils with adult social services responsibilities by geography vintage (from 1 April):",
        "",
        "| vintage | " + " | ".join(counts) + " |",
        "|---|" + "---|" * len(counts),
        "| councils | " + " | ".join(str(n) for n in counts.values()) + " |",
        "",
    ]
    for heading, meta in parts.items():
        lines += [
            f"## {heading}",
            "",
            f"{meta.get('title', '')}",
            "",
            f"**Licence:** {meta.get('licence', '')}",
            "",
            f"**Attribution:** {meta.get('attribution', '')}",
            "",
            "Raw files used (sha256 in the metadata file beside it): "
            + ", ".join(
                dict.fromkeys(
                    f"`{f.get('path', f.get('id', ''))}`"
                    for f in [*meta.get("sources", []), *meta.get("files", [])]
                    if isinstance(f, dict)
                )
            ),
            "",
        ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``personalisation build-data``."""
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw directory (default: $PERSONALISATION_RAW or ../shared/data/raw)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output root holding data/ and geo/ (default: the repository checkout)",
    )
    parser.add_argument(
        "--only", choices=("data", "geo"), default=None, help="rebuild only data/ or only geo/"
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Run ``personalisation build-data`` with parsed arguments; returns the exit code."""
    raw_dir = args.raw or _paths.default_raw_dir()
    if not Path(raw_dir).is_dir():
        print(f"error: raw directory {raw_dir} not found (use --raw DIR or PERSONALISATION_RAW)")
        return 2
    out_root = args.out or _paths.REPO_DIR
    start = time.perf_counter()
    try:
        return _build(Path(raw_dir), Path(out_root), args.only, start)
    except PersonalisationError as exc:
        print(f"error: {exc}")
        return 2


def _build(raw_dir: Path, out_root: Path, only: str | None, start: float) -> int:
    """Rebuild ``data/`` and/or ``geo/`` under ``out_root``, printing progress."""

    def progress(step: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {step}", flush=True)

    if only in (None, "data"):
        path = build_data(raw_dir, Path(out_root) / "data", progress=progress)
        print(f"wrote {path}")
    if only in (None, "geo"):
        build_geo(raw_dir, Path(out_root) / "geo", progress=progress)
        print(f"wrote {Path(out_root) / 'geo'}")
    print(f"done in {time.perf_counter() - start:.1f}s")
    return 0
