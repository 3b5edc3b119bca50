"""Results of a batch: run records, the batch result, and the index files (CSV and HTML)."""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["INDEX_COLUMNS", "BatchResult", "RunRecord", "write_index"]

OK = "ok"
FAILED = "failed"
#: A run cut short by SIGINT / SIGTERM (its folder may hold partial outputs).
INTERRUPTED = "interrupted"
RUN_JSON = "run.json"
INDEX_CSV = "index.csv"
INDEX_HTML = "index.html"
#: Columns of ``index.csv``; ``output`` and ``executed`` are relative to the batch folder.
INDEX_COLUMNS: tuple[str, ...] = (
    "notebook",
    "parameters",
    "status",
    "error",
    "seconds",
    "output",
    "executed",
    "resumed",
)
_MAX_LISTED_FILES = 40  # files linked per run in index.html


@dataclass(frozen=True)
class RunRecord:
    """What happened in one run (one row of ``index.csv``)."""

    notebook: str
    parameters: dict[str, Any]
    status: str
    error: str
    seconds: float
    output: str
    executed: str
    #: True when the run was skipped by ``resume`` (its earlier, complete record kept).
    resumed: bool = False

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> RunRecord:
        """A record from a task's result dict (unknown keys ignored)."""
        return cls(**{k: v for k, v in item.items() if k in cls.__dataclass_fields__})

    @property
    def ok(self) -> bool:
        """Whether the run passed."""
        return self.status == OK

    def as_row(self) -> dict[str, str]:
        """The run as an ``index.csv`` row."""
        return {
            "notebook": self.notebook,
            "parameters": json.dumps(self.parameters, ensure_ascii=False),
            "status": self.status,
            "error": self.error,
            "seconds": f"{self.seconds:.3f}",
            "output": self.output,
            "executed": self.executed,
            "resumed": "yes" if self.resumed else "",
        }


@dataclass(frozen=True)
class BatchResult:
    """The runs of a batch, in plan order, and where the index files are.

    Examples
    --------
    >>> result = BatchResult([], Path("out"), Path("out/index.csv"), Path("out/index.html"))
    >>> result.ok, result.failures
    (True, [])
    """

    records: list[RunRecord]
    output_dir: Path
    index_csv: Path
    index_html: Path

    @property
    def ok(self) -> bool:
        """True when every run passed."""
        return all(record.ok for record in self.records)

    @property
    def failures(self) -> list[RunRecord]:
        """The runs that failed."""
        return [record for record in self.records if not record.ok]

    def summary(self) -> str:
        """A short text: how many runs passed, and each failure with its error."""
        n, failed = len(self.records), self.failures
        lines = [f"{n - len(failed)} of {n} runs passed; outputs in {self.output_dir}"]
        resumed = sum(record.resumed for record in self.records)
        if resumed:
            lines.append(f"{resumed} of them resumed: complete in an earlier batch, not rerun")
        if failed:
            lines.append(f"{len(failed)} failed:")
            for record in failed:
                lines.append(f"  {record.executed}: {record.error}")
        lines.append(f"index: {self.index_html}")
        return "\n".join(lines)


def _write_index_csv(records: Sequence[RunRecord], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow(record.as_row())


def _run_files(output_root: Path, record: RunRecord) -> list[str]:
    """Files a run left in its folder (relative to the batch folder), executed notebook first."""
    run_dir = output_root / record.output
    if not run_dir.is_dir():
        return []
    files = sorted(p.relative_to(output_root).as_posix() for p in run_dir.rglob("*") if p.is_file())
    return [f for f in files if f != record.executed]


def _write_index_html(records: Sequence[RunRecord], output_root: Path, path: Path) -> None:
    esc = html.escape
    failed = sum(not r.ok for r in records)
    rows = []
    for record in records:
        params = ", ".join(f"{k}={v}" for k, v in record.parameters.items()) or "(defaults)"
        executed = Path(record.executed)
        page_html = executed.with_suffix(".html").as_posix()
        thumb = executed.with_name(executed.stem + ".thumbnail.png").as_posix()
        links = [f'<a href="{esc(record.executed)}">{esc(executed.name)}</a>']
        figure = ""
        if (output_root / page_html).is_file():
            links.insert(0, f'<a href="{esc(page_html)}">notebook as HTML</a>')
            if (output_root / thumb).is_file():
                figure = (
                    f'<a href="{esc(page_html)}"><img src="{esc(thumb)}" '
                    f'alt="first figure of {esc(executed.name)}" width="200" loading="lazy"></a>'
                )
        files = [f for f in _run_files(output_root, record) if f not in (page_html, thumb)]
        links += [
            f'<a href="{esc(f)}">{esc(f[len(record.output) + 1 :])}</a>'
            for f in files[:_MAX_LISTED_FILES]
        ]
        if len(files) > _MAX_LISTED_FILES:
            more = len(files) - _MAX_LISTED_FILES
            links.append(f'<a href="{esc(record.output)}/">... and {more} more</a>')
        rows.append(
            f'<tr class="{esc(record.status)}"><td>{esc(record.notebook)}</td>'
            f"<td>{esc(params)}</td><td>{esc(record.status)}</td>"
            f"<td>{record.seconds:.1f}</td><td>{figure}</td><td>{'<br>'.join(links)}</td>"
            f"<td>{esc(record.error)}</td></tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>personalisation notebook batch</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
tr.failed td {{ background: #fde2e2; }}
</style>
</head>
<body>
<h1>Notebook batch</h1>
<p>{len(records) - failed} of {len(records)} runs passed; {failed} failed.
The runs are also listed in <a href="{INDEX_CSV}">{INDEX_CSV}</a>.</p>
<table>
<thead><tr><th>notebook</th><th>parameters</th><th>status</th><th>seconds</th><th>first figure</th><th>outputs</th><th>error</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")


def write_index(records: Sequence[RunRecord], output_root: Path) -> None:
    """Write ``index.csv`` and ``index.html`` of a batch folder."""
    _write_index_csv(records, output_root / INDEX_CSV)
    _write_index_html(records, output_root, output_root / INDEX_HTML)
