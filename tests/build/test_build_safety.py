"""Nothing wrong gets in (issue 10): changed, truncated, stray or unreadable raw inputs are
refused with one error naming the file, and the outputs stay as they were."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from personalisation import _paths
from personalisation.build import raw as raw_registry
from personalisation.build.register import write_register
from personalisation.cli import main
from personalisation.errors import DataNotFoundError, RawFileChangedError

TREND = "indicators/ascof_compiled_acbockmuehl/trend_data.csv"
HEXJSON = "geo/odileeds-hexmaps/uk-upper-tier-local-authorities.hexjson"


def _symlinked_raw(raw_dir: Path, target: Path) -> Path:
    for path in raw_dir.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(raw_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return target


def _replace(raw: Path, relative: str, data: bytes) -> Path:
    path = raw / relative
    path.unlink()
    path.write_bytes(data)
    return path


def _outputs_with_sentinels(root: Path) -> dict[str, bytes]:
    """An output root holding a previous data/ and geo/ (sentinel content)."""
    for part in ("data", "geo"):
        (root / part).mkdir(parents=True)
        (root / part / "indicators.csv").write_bytes(f"previous {part}\n".encode())
    return _tree(root)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture()
def raw(raw_dir: Path, tmp_path: Path) -> Path:
    return _symlinked_raw(raw_dir, tmp_path / "raw")


@pytest.fixture()
def registry(tmp_path: Path) -> Path:
    copy = tmp_path / "registry.json"
    shutil.copy(raw_registry.REGISTRY_FILE, copy)
    return copy


def test_registry_lists_every_raw_file_once_with_hash_and_size() -> None:
    entries = raw_registry.entries()
    assert len({e.id for e in entries}) == len({e.path for e in entries}) == len(entries)
    for entry in entries:
        assert len(entry.sha256) == 64 and entry.bytes > 0, entry.id
        assert entry.publisher and entry.title and entry.licence, entry.id


def test_registry_matches_the_metadata_of_every_shipped_output() -> None:
    # every raw file named in data/ and geo/ metadata is the registry's, with its hash
    by_path = {e.path: e for e in raw_registry.entries()}
    files = [
        ("data/metadata.json", "sources"),
        ("geo/register_metadata.json", "files"),
        ("geo/boundaries/metadata.json", "sources"),
        ("geo/boundaries/metadata.json", "checks"),
        ("geo/hexes/metadata.json", "sources"),
        ("geo/hexes/hoc/metadata.json", "sources"),
    ]
    for name, key in files:
        root = _paths.data_dir().parent if name.startswith("data") else _paths.geo_dir().parent
        for record in json.loads((root / name).read_text(encoding="utf-8"))[key]:
            entry = by_path[record["path"]]
            assert (record["id"], record["sha256"], record["bytes"]) == (
                entry.id,
                entry.sha256,
                entry.bytes,
            ), (name, record["path"])


@pytest.mark.raw
def test_truncated_download_is_refused_before_it_is_read(raw: Path, tmp_path: Path, capsys) -> None:
    data = (raw / TREND).read_bytes()
    cut = data[: int(len(data) * 0.6)]
    cut = cut[: cut.rfind(b"\n") + 1]  # a partial download ends at a line end
    _replace(raw, TREND, cut)
    out = tmp_path / "out"
    before = _outputs_with_sentinels(out)
    assert main(["build-data", "--raw", str(raw), "--out", str(out), "--only", "data"]) == 2
    err = capsys.readouterr().err
    assert "trend_data.csv" in err and "ascof_trend_2017_24" in err
    assert f"size {len(cut)} bytes, expected {len(data)}" in err
    assert "--accept-new-raw" in err and "Traceback" not in err
    assert _tree(out) == before  # data stays as it was
    with pytest.raises(RawFileChangedError, match="trend_data.csv"):
        raw_registry.path(raw, "ascof_trend_2017_24")


@pytest.mark.raw
def test_same_size_edit_is_refused_by_its_hash(raw: Path) -> None:
    data = bytearray((raw / TREND).read_bytes())
    position = data.index(b"E08000003")
    data[position + 8] = ord("4")  # same length, one digit changed
    _replace(raw, TREND, bytes(data))
    with pytest.raises(RawFileChangedError, match=r"sha256 .* \(same size, edited\?\)"):
        raw_registry.path(raw, "ascof_trend_2017_24")


@pytest.mark.raw
def test_accept_new_raw_builds_and_updates_the_registry(
    raw: Path, registry: Path, tmp_path: Path
) -> None:
    import hashlib

    data = (raw / HEXJSON).read_bytes().replace(b'"layout"', b' "layout"', 1)  # a re-save
    _replace(raw, HEXJSON, data)
    try:
        raw_registry.configure(registry=registry, accept_new=True)
        assert raw_registry.path(raw, "odileeds-hexmaps-utla") == raw / HEXJSON
        assert raw_registry.accepted() == {
            "odileeds-hexmaps-utla": (hashlib.sha256(data).hexdigest(), len(data))
        }
        assert raw_registry.save_accepted() == registry
    finally:
        raw_registry.configure()
    saved = {f["id"]: f for f in json.loads(registry.read_text(encoding="utf-8"))["files"]}
    assert saved["odileeds-hexmaps-utla"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert saved["odileeds-hexmaps-utla"]["bytes"] == len(data)
    # the package's own registry is untouched, and still refuses the file
    with pytest.raises(RawFileChangedError):
        raw_registry.path(raw, "odileeds-hexmaps-utla")


@pytest.mark.raw
@pytest.mark.slow
def test_failure_in_the_geography_phase_leaves_data_and_geo_as_they_were(
    raw: Path, registry: Path, tmp_path: Path, capsys
) -> None:
    # a corrupt hex layout (accepted as a new release) fails after data/ was built
    _replace(raw, HEXJSON, b'{"layout": "odd-r", "hexes": {"E06000001": {"q": 0}}}\n')
    out = tmp_path / "out"
    before = _outputs_with_sentinels(out)
    args = ["build-data", "--raw", str(raw), "--out", str(out)]
    assert main([*args, "--registry", str(registry), "--accept-new-raw"]) == 2
    err = capsys.readouterr().err
    assert "uk-upper-tier-local-authorities.hexjson" in err and "no integer q/r" in err
    assert _tree(out) == before  # neither data/ nor geo/ was replaced
    assert {p.name for p in out.iterdir()} == {"data", "geo"}  # no staging folder left
    # a refused build accepts nothing into the registry
    assert registry.read_bytes() == raw_registry.REGISTRY_FILE.read_bytes()


@pytest.mark.raw
def test_a_folder_where_a_raw_file_should_be_is_one_error(raw: Path, tmp_path: Path, capsys):
    (raw / TREND).unlink()
    (raw / TREND).mkdir()
    with pytest.raises(DataNotFoundError, match="is not a file"):
        raw_registry.path(raw, "ascof_trend_2017_24")
    out = tmp_path / "out"
    assert main(["build-data", "--raw", str(raw), "--out", str(out), "--only", "data"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "trend_data.csv" in err and "Traceback" not in err
    assert main(["build-data", "--raw", str(raw), "--out", str(out), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.raw
def test_register_reads_only_registered_files(raw: Path, tmp_path: Path) -> None:
    # a stray workbook beside the registered open-data file is ignored
    stray = raw / "indicators/ascof_nhsd/copy of meas-from-asc-of-eng-2021.xlsx"
    stray.write_bytes(b"not a workbook at all")
    write_register(raw, tmp_path / "geo")
    shipped = _paths.geo_dir()
    for name in ("councils.csv", "events.csv", "register_metadata.json"):
        assert (tmp_path / "geo" / name).read_bytes() == (shipped / name).read_bytes(), name


def test_outside_a_checkout_build_data_writes_where_load_cube_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personalisation.build import command

    monkeypatch.setattr(_paths, "is_checkout", lambda: False)
    monkeypatch.delenv("PERSONALISATION_DATA_DIR", raising=False)
    monkeypatch.delenv("PERSONALISATION_GEO_DIR", raising=False)
    monkeypatch.setenv("PERSONALISATION_USER_DIR", str(tmp_path / "user"))
    assert command.default_out_root() == tmp_path / "user"
    # nothing built yet: the wheel's shipped copy
    assert _paths.data_dir() == _paths.PACKAGE_DIR / "_shipped" / "data"
    (tmp_path / "user" / "data").mkdir(parents=True)
    (tmp_path / "user" / "data" / "indicators.csv").write_text("x\n")
    assert _paths.data_dir() == tmp_path / "user" / "data"  # a user build is preferred
    assert _paths.geo_dir() == _paths.PACKAGE_DIR / "_shipped" / "geo"


PSS_2008 = "indicators/pss_ex1_activity/pers-soc-serv-exp-unit-cost-eng-2008-09-data.csv"


@pytest.mark.raw
def test_a_cp1252_resave_is_named_not_a_bare_unicode_error(raw: Path, registry: Path) -> None:
    from personalisation.build.register_inputs import _read_pss_2008_09
    from personalisation.errors import SourceFormatError

    text = (raw / PSS_2008).read_text(encoding="utf-8-sig")
    _replace(raw, PSS_2008, text.encode("cp1252"))
    # refused by the registry first ...
    with pytest.raises(RawFileChangedError, match="pss_ex1_2008_09"):
        _read_pss_2008_09(raw)
    # ... and, accepted as a new release, by the reader with the file and the byte named
    raw_registry.configure(registry=registry, accept_new=True)
    try:
        with pytest.raises(
            SourceFormatError, match=r"2008-09-data\.csv: not utf-8 text: byte 0xb9"
        ):
            _read_pss_2008_09(raw)
    finally:
        raw_registry.configure()


@pytest.mark.raw
def test_a_utf16_trend_file_is_named_as_utf16(raw: Path) -> None:
    from personalisation.build.readers.ascof import read_ascof_trend
    from personalisation.errors import SourceFormatError

    text = (raw / TREND).read_text(encoding="utf-8")
    path = _replace(raw, TREND, text.encode("utf-16"))
    with pytest.raises(SourceFormatError, match=r"trend_data\.csv: the file is UTF-16 encoded"):
        read_ascof_trend(path)


@pytest.mark.raw
@pytest.mark.parametrize(
    "damage, named",
    [
        ((" Home care (RAP", " Homecare (RAP"), "home_care_clients"),
        (
            (
                '"Total 65 and over, Direct payments (RAP P2s Page 4',
                '"Total 65+ DP (RAP P2s Page 4',
            ),
            "dp_clients '65 and over'",
        ),
    ],
)
def test_a_renamed_pss_ex1_column_is_an_error_not_not_collected(
    raw_dir: Path, tmp_path: Path, damage: tuple[str, str], named: str
) -> None:
    from personalisation.build.lookups import cassr_code_lookup
    from personalisation.build.readers.expected import PSS_EX1_FIGURES
    from personalisation.build.readers.pss_ex1 import read_pss_ex1
    from personalisation.errors import SourceFormatError

    name = "Annex_Fin_CASSR_Level_Activity_Data_2012_13.csv"
    source = raw_dir / "indicators" / "pss_ex1_activity" / name
    text = source.read_bytes().decode("cp1252")
    assert damage[0] in text
    path = tmp_path / name
    path.write_bytes(text.replace(damage[0], damage[1]).encode("cp1252"))
    lookup = cassr_code_lookup(raw_dir)
    intact = read_pss_ex1(source, code_lookup=lookup, expected_figures=PSS_EX1_FIGURES)
    assert len(intact)
    with pytest.raises(SourceFormatError, match="should hold") as info:
        read_pss_ex1(path, code_lookup=lookup, expected_figures=PSS_EX1_FIGURES)
    assert named in str(info.value) and name in str(info.value)


@pytest.mark.raw
def test_an_unreadable_raw_file_is_one_error_naming_it(
    raw: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    # CI runs as root, for whom chmod 000 does not stop a read: the operating system's
    # refusal is raised where the build first opens the file (to hash it)
    def refuse(path, *args, **kwargs):
        if Path(path).name == Path(TREND).name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    real = raw_registry.sha256_file
    monkeypatch.setattr(raw_registry, "sha256_file", refuse)
    raw_registry._HASHED.clear()
    out = tmp_path / "out"
    before = _outputs_with_sentinels(out)
    assert main(["build-data", "--raw", str(raw), "--out", str(out), "--only", "data"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "trend_data.csv: Permission denied" in err
    assert "Traceback" not in err
    assert _tree(out) == before  # nothing replaced
