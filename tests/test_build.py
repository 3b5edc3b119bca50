"""build-data: rebuilding from the raw files reproduces what is shipped, byte for byte."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from personalisation import _paths, build
from personalisation.cli import main


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".gitkeep"
    }


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, raw_dir) -> Path:
    out = tmp_path_factory.mktemp("rebuild")
    assert main(["build-data", "--raw", str(raw_dir), "--out", str(out)]) == 0
    return out


def test_rebuilt_data_equals_shipped(rebuilt):
    shipped, fresh = _tree(_paths.data_dir()), _tree(rebuilt / "data")
    assert sorted(fresh) == sorted(shipped)
    differing = [name for name in shipped if shipped[name] != fresh[name]]
    assert not differing, f"rebuilt files differ from the shipped ones: {differing}"


def test_rebuilt_geo_equals_shipped(rebuilt):
    shipped, fresh = _tree(_paths.geo_dir()), _tree(rebuilt / "geo")
    assert sorted(fresh) == sorted(shipped)
    differing = [name for name in shipped if shipped[name] != fresh[name]]
    assert not differing, f"rebuilt files differ from the shipped ones: {differing}"


def test_build_is_deterministic(rebuilt, raw_dir, tmp_path):
    build.build_data(raw_dir, tmp_path)
    assert filecmp.cmp(
        tmp_path / "indicators.csv", rebuilt / "data" / "indicators.csv", shallow=False
    )
    assert filecmp.cmp(
        tmp_path / "metadata.json", rebuilt / "data" / "metadata.json", shallow=False
    )


def test_metadata_names_every_raw_file(rebuilt, raw_dir):
    metadata = json.loads((rebuilt / "data" / "metadata.json").read_text())
    paths = {s["path"] for s in metadata["sources"]}
    assert paths == {s.path for s in build.SOURCES}
    for source in metadata["sources"]:
        assert (raw_dir / source["path"]).is_file()


def test_missing_raw_file_is_named(tmp_path):
    (tmp_path / "indicators").mkdir()
    with pytest.raises(FileNotFoundError, match="ascof_14_19.rds"):
        build.build_data(tmp_path, tmp_path / "out")


def test_missing_raw_directory_exit_code(tmp_path, capsys):
    assert main(["build-data", "--raw", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "not found" in capsys.readouterr().out
