"""Scrubbing executed notebooks: no absolute path of this machine remains (binary outputs kept)."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from personalisation.batch.grid import OUTPUT_PARAMETER

#: Output mime types holding base64 data, never rewritten by the path scrubber.
_BINARY_MIME_PREFIXES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def _path_replacements(run_dir: Path, output_root: Path, notebook: Path) -> list[tuple[str, str]]:
    """Absolute paths of this machine and what they become in a saved notebook."""
    from personalisation import _paths

    pairs: list[tuple[Path | str, str]] = [
        (run_dir, "."),
        (output_root, Path(os.path.relpath(output_root, run_dir)).as_posix()),
        (notebook.parent, "<notebooks>"),
        (_paths.REPO_DIR, "<repo>"),
        (Path.cwd(), "<cwd>"),
        (sys.prefix, "<python>"),
        (sys.base_prefix, "<python>"),
        (sys.exec_prefix, "<python>"),
        (Path.home(), "~"),
    ]
    replacements: dict[str, str] = {}
    for path, new in pairs:
        for variant in {str(path), str(Path(path).resolve())}:
            if len(variant) > 1:  # never "/"
                replacements.setdefault(variant, new)
    return sorted(replacements.items(), key=lambda item: len(item[0]), reverse=True)


def _scrub(node: Any, pattern: re.Pattern[str], table: Any, key: str = "") -> Any:
    """Copy of a notebook's JSON tree with machine paths replaced (binary outputs kept)."""
    if isinstance(node, str):
        if isinstance(table, str):
            return pattern.sub(table, node)
        return pattern.sub(lambda match: table[match.group(0)], node)
    if isinstance(node, list):
        return [_scrub(item, pattern, table, key) for item in node]
    if isinstance(node, dict):
        return {
            k: v
            if k == "attachments" or k.startswith(_BINARY_MIME_PREFIXES)
            else _scrub(v, pattern, table, k)
            for k, v in node.items()
        }
    return node


_IPYKERNEL_FILES = re.compile(
    r"(?<![\w.-])" + re.escape(tempfile.gettempdir().rstrip("/")) + r"/ipykernel_\d+/"
)


def _clean_executed_notebook(
    executed: Path, run_dir: Path, output_root: Path, notebook: Path
) -> None:
    """Rewrite the executed notebook so no absolute path of this machine remains."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    papermill_meta = nb.get("metadata", {}).get("papermill")
    if isinstance(papermill_meta, dict):
        papermill_meta["input_path"] = notebook.name
        papermill_meta["output_path"] = executed.relative_to(output_root).as_posix()
        if isinstance(papermill_meta.get("parameters"), dict):
            papermill_meta["parameters"][OUTPUT_PARAMETER] = "."
    replacements = _path_replacements(run_dir, output_root, notebook)
    table = dict(replacements)
    # a path starts after a non-path character or right after an ANSI colour code ("\x1b[0;32m")
    pattern = re.compile(
        r"(?:(?<=\dm)|(?<![\w.-]))(?:"
        + "|".join(re.escape(old) for old, _ in replacements)
        + r")(?![\w.-])"
    )
    nb = _scrub(nb, pattern, table)
    # ipykernel names each cell's code file after the kernel's pid (tracebacks, warnings):
    # "/tmp/ipykernel_4242/123.py" becomes "<ipykernel>/123.py", the same for every kernel
    nb = _scrub(nb, _IPYKERNEL_FILES, "<ipykernel>/")
    executed.write_text(
        json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
