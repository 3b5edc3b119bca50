"""Packaging: one source of truth for the version (git tags) and the citation, shipped data
that carry a data version rather than the package version, and honest pyproject metadata."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import personalisation as pz
from personalisation import _paths

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?$")


def test_version_is_dynamic_from_git_tags_with_a_fallback():
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    hatch_version = PYPROJECT["tool"]["hatch"]["version"]
    assert hatch_version["source"] == "vcs"
    assert PEP440.match(hatch_version["fallback-version"])
    assert PEP440.match(pz.__version__), pz.__version__


def _hatchling_version(folder: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "hatchling", "version"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.slow
def test_a_clone_without_tags_and_a_tree_without_git_both_get_a_version(tmp_path):
    pytest.importorskip("hatchling")
    pytest.importorskip("hatch_vcs")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of the repository")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-tags", str(REPO), str(clone)], check=True)
    untagged = _hatchling_version(clone)
    assert PEP440.match(untagged) and ".dev" in untagged, untagged
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
    ).stdout.strip()
    assert f"+g{head}" in untagged  # the commit is named in the version
    tree = tmp_path / "tree"
    shutil.copytree(clone, tree, ignore=shutil.ignore_patterns(".git"))
    assert _hatchling_version(tree) == PYPROJECT["tool"]["hatch"]["version"]["fallback-version"]


def test_shipped_data_carry_the_data_version_not_the_package_version():
    metadata_text = (_paths.data_dir() / "metadata.json").read_text(encoding="utf-8")
    metadata = json.loads(metadata_text)
    assert re.fullmatch(r"[0-9a-f]{12}", metadata["data_version"])
    assert metadata["indicators_sha256"].startswith(metadata["data_version"])
    assert f"data version {metadata['data_version']}" in metadata["citation"]
    assert metadata["built_by"] == "personalisation build-data"
    assert pz.__version__ not in metadata_text
    readme = (_paths.data_dir() / "README.md").read_text(encoding="utf-8")
    assert pz.__version__ not in readme and metadata["citation"] in readme


def test_citation_cff_is_the_one_citation_and_agrees_with_pyproject():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "type", "license"):
        assert cff.get(key), key
    assert "version" not in cff, "the version is the git tag; do not repeat it in CITATION.cff"
    assert cff["license"] == PYPROJECT["project"]["license"]
    assert [a["name"] for a in cff["authors"]] == [
        a["name"] for a in PYPROJECT["project"]["authors"]
    ]
    metadata = json.loads((_paths.data_dir() / "metadata.json").read_text(encoding="utf-8"))
    assert cff["title"] in metadata["citation"]
    assert cff["authors"][0]["name"] in metadata["citation"]


def test_pyproject_metadata_is_honest():
    project = PYPROJECT["project"]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"] == ["LICENSE"] and (REPO / "LICENSE").is_file()
    assert "example.invalid" not in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    minimum = tuple(int(p) for p in project["requires-python"].removeprefix(">=").split("."))
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions and min(tuple(map(int, v.split("."))) for v in versions) == minimum
    assert "Typing :: Typed" in project["classifiers"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_runtime_dependencies_are_what_run_time_imports():
    core = _names(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    # build-time, batch-only and spatial-only packages are extras, not run-time dependencies
    for name in ("papermill", "nbformat", "ipykernel", "tqdm", "xlrd", "openpyxl", "odfpy"):
        assert name not in core, name
    assert {"esda", "libpysal"} <= _names(extras["spatial"]) and not {"esda", "libpysal"} & core
    assert {"papermill", "nbformat", "ipykernel", "tqdm"} <= _names(extras["batch"])
    assert {"xlrd", "openpyxl", "odfpy", "pyreadr", "topojson"} <= _names(extras["build"])
    assert "statsmodels" not in core  # only the tests use it, as an independent peer


def test_all_installs_every_extra():
    extras = PYPROJECT["project"]["optional-dependencies"]

    def reached(name: str) -> set[str]:
        out = {name}
        for requirement in extras[name]:
            if requirement.startswith("personalisation["):
                for inner in requirement.split("[")[1].rstrip("]").split(","):
                    out |= reached(inner)
        return out

    assert reached("all") == set(extras)
