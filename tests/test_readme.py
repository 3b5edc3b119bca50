"""The README's Python quickstart runs as written."""

from __future__ import annotations

import re

import matplotlib

from personalisation import _paths


def test_quickstart_runs():
    readme = (_paths.REPO_DIR / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quickstart") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    matplotlib.use("Agg")
    namespace: dict = {}
    exec(compile(code, "README quickstart", "exec"), namespace)
    assert namespace["cube"].sizes["council"] > 150
    assert namespace["on_2023"].attrs["geography_vintage"] == "2023"
