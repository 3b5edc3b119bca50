"""build-data: rebuilding from the raw files reproduces what is shipped, byte for byte."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pytest

from personalisation import _paths, build
from personalisation.build import raw as raw_registry
from personalisation.cli import main


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".gitkeep"
    }


# ``rebuilt`` (tests/conftest.py): data/ and geo/ built once per test run, shared by every
# test that needs built files
pytestmark = pytest.mark.slow


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
    assert "not found" in capsys.readouterr().err


def _symlinked_raw(raw_dir: Path, target: Path) -> Path:
    """A raw folder of symlinks to the real files (as `cp -rs` makes)."""
    for path in raw_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(raw_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return target


def test_unknown_council_code_in_a_raw_file_stops_the_build(raw_dir, build_extra, tmp_path, capsys):
    raw = _symlinked_raw(raw_dir, tmp_path / "raw")
    trend = raw / "indicators/ascof_compiled_acbockmuehl/trend_data.csv"
    text = trend.read_text(encoding="utf-8").replace(",E08000003,", ",E08999999,")
    trend.unlink()
    trend.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    registry = tmp_path / "registry.json"
    shutil.copy(raw_registry.REGISTRY_FILE, registry)
    args = ["build-data", "--raw", str(raw), "--out", str(out), "--only", "data"]
    # the edited file is accepted deliberately, so the council check is what stops it
    assert main([*args, "--registry", str(registry), "--accept-new-raw"]) == 2
    message = capsys.readouterr().err
    assert "E08999999" in message and "ascof_trend_2017_24" in message
    assert not (out / "data" / "indicators.csv").exists()  # nothing half-written


def test_symlinked_raw_folder_builds_the_same_data(raw_dir, rebuilt, tmp_path):
    raw = _symlinked_raw(raw_dir, tmp_path / "raw")
    build.build_data(raw, tmp_path / "data")
    assert filecmp.cmp(
        tmp_path / "data" / "indicators.csv", rebuilt / "data" / "indicators.csv", shallow=False
    )
    assert filecmp.cmp(
        tmp_path / "data" / "metadata.json", rebuilt / "data" / "metadata.json", shallow=False
    )


def test_empty_raw_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["build-data", "--raw", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "raw files missing" in capsys.readouterr().err
