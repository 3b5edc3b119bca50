"""The papermill batch runner: grids, one folder per run, index files, failures, clean paths."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest

import personalisation
from personalisation import batch, cli
from personalisation.errors import DataNotFoundError

for _module in ("papermill", "tqdm"):  # the batch runner is the batch extra's feature
    pytest.importorskip(
        _module, reason="the batch extra is not installed (pip install -e '.[batch]')"
    )

WRITER_BODY = """\
import json, os, pathlib
print(os.getcwd())
print(json.__file__)
if a == 2:  # fail inside a module in the run folder: its absolute path is in the traceback
    pathlib.Path("helper.py").write_text("def boom(b):\\n    raise ValueError(f'a must not be 2 (b={b})')\\n")
    import helper
    helper.boom(b)
pathlib.Path(output_dir, "result.txt").write_text(f"{a},{b}")
pathlib.Path("relative.txt").write_text("written in the working directory")
"""


def make_notebook(path: Path, parameters: str, body: str) -> Path:
    """A notebook with a cell tagged ``parameters`` and one body cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# test notebook"),
        cell,
        nbformat.v4.new_code_cell(body),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_writer(folder: Path) -> Path:
    """Writes ``result.txt`` = "a,b" into output_dir; raises when a == 2."""
    return make_notebook(folder / "writer.ipynb", 'a = 0\nb = "z"\noutput_dir = "."', WRITER_BODY)


def read_index(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- grids and planning


def test_expand_grid_is_the_ordered_cartesian_product():
    runs = batch.expand_grid(
        {"measure": ["sds_users", "dp_users"], "year": (2015, 2024), "kind": "hex"}
    )
    assert runs == [
        {"measure": "sds_users", "year": 2015, "kind": "hex"},
        {"measure": "sds_users", "year": 2024, "kind": "hex"},
        {"measure": "dp_users", "year": 2015, "kind": "hex"},
        {"measure": "dp_users", "year": 2024, "kind": "hex"},
    ]
    assert batch.expand_grid({}) == [{}]
    assert batch.expand_grid({"year": []}) == []
    assert batch.expand_grid({"year": range(2015, 2018)}) == [
        {"year": y} for y in (2015, 2016, 2017)
    ]
    lazy = batch.LazyValues("two years", lambda: [2020, 2021])
    assert batch.expand_grid({"year": lazy}) == [{"year": 2020}, {"year": 2021}]


def test_expand_grid_gives_plain_python_values():
    np = pytest.importorskip("numpy")
    runs = batch.expand_grid({"year": np.array([2015, 2016])})
    assert runs == [{"year": 2015}, {"year": 2016}]
    assert all(type(run["year"]) is int for run in runs)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"year": {2015, 2016}}, "a set has no order"),
        ({"output_dir": ["x"]}, "set by the runner"),
        ({"not an identifier": [1]}, "not a Python identifier"),
        ({"year": [object()]}, "not JSON-serialisable"),
    ],
)
def test_expand_grid_rejects_bad_grids(grid, message):
    with pytest.raises((TypeError, ValueError), match=message):
        batch.expand_grid(grid)


def test_parse_param_options_parses_numbers_and_comma_lists():
    grid = batch.parse_param_options(["a=1,2", "b=x", "t=70.5", "c=E08000003", "n=nan"])
    assert grid == {"a": [1, 2], "b": "x", "t": 70.5, "c": "E08000003", "n": "nan"}
    with pytest.raises(ValueError, match="NAME=VALUE"):
        batch.parse_param_options(["a"])
    with pytest.raises(ValueError, match="given twice"):
        batch.parse_param_options(["a=1", "a=2"])


def test_parameter_slug_is_readable_safe_and_unique(tmp_path):
    assert (
        batch.parameter_slug({"measure": "sds_users", "year": 2015})
        == "measure-sds_users__year-2015"
    )
    assert (
        batch.parameter_slug({"region": "Yorkshire and The Humber"})
        == "region-Yorkshire-and-The-Humber"
    )
    assert batch.parameter_slug({}) == "default"
    long_slug = batch.parameter_slug({"x": "y" * 300})
    assert len(long_slug) <= 100
    nb = make_writer(tmp_path)
    # "a b" and "a/b" both clean to "a-b": the planner keeps their folders apart with a hash
    outputs = [run.output for run in batch.plan_runs([nb], [{"b": "a b"}, {"b": "a/b"}])]
    assert len(set(outputs)) == 2
    assert all(out.startswith("writer/b-a-b-") for out in outputs)
    with pytest.raises(ValueError, match="listed twice"):
        batch.plan_runs([nb], [{"b": "x"}, {"b": "x"}])


def test_plan_runs_resolves_names_in_the_notebooks_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONALISATION_NOTEBOOKS_DIR", str(tmp_path))
    make_writer(tmp_path)
    for name in ("writer", "writer.ipynb", str(tmp_path / "writer.ipynb")):
        (run,) = batch.plan_runs([name], {"a": 1})
        assert run.notebook == (tmp_path / "writer.ipynb").resolve()
        assert run.output == "writer/a-1"
        assert run.executed == "writer/a-1/writer.ipynb"
    with pytest.raises(DataNotFoundError, match=r"'nope'.*available: writer.ipynb"):
        batch.plan_runs(["nope"], {})


def test_main_preset_plans_a_representative_batch(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSONALISATION_NOTEBOOKS_DIR", str(tmp_path))
    preset = batch.PRESETS["main"]
    assert preset.notebooks() == [
        "takeup_map.ipynb",
        "regional_comparison.ipynb",
        "variation_over_time.ipynb",
        "targets.ipynb",
        "council_profile.ipynb",
    ]
    for name in preset.notebooks():
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / name)
    runs = batch.plan_runs(dict(preset.plan))
    by_notebook: dict[str, list[dict]] = {}
    for run in runs:
        by_notebook.setdefault(run.notebook.name, []).append(run.parameters)
    years = batch._ascof_years()
    assert years[0] == 2015 and years == sorted(years)  # from the measure registry
    maps = by_notebook["takeup_map.ipynb"]
    assert len(maps) == 8
    assert {m["kind"] for m in maps} == {"polygons", "hex"}
    assert {m["measure"] for m in maps} == {"sds_users", "dp_users"}
    assert {m["year"] for m in maps} == {years[0], years[-1]}
    # pooled regional rates need counts: the last year published with numerators and denominators
    with_counts = batch._last_year_with_counts()[0]
    cube = batch._shipped_cube()
    assert cube.denominator.sel(year=with_counts, measure="sds_users").notnull().any()
    later = [y for y in years if y > with_counts]
    assert all(cube.denominator.sel(year=later, measure="sds_users").isnull().all("council"))
    assert by_notebook["regional_comparison.ipynb"] == [
        {"measure": "sds_users", "year": with_counts, "region": "London"}
    ]
    assert len(by_notebook["council_profile.ipynb"]) == 2
    assert by_notebook["targets.ipynb"][0]["target_year"] == years[-1]
    assert len(runs) == 14
    smoke = batch.plan_runs(dict(batch.PRESETS["smoke"].plan))
    assert [run.notebook.name for run in smoke] == preset.notebooks()  # one run per notebook


def test_preset_parameters_match_the_shipped_notebooks():
    """Every preset parameter (and output_dir) is declared in the notebook's parameters cell."""
    papermill = pytest.importorskip("papermill")
    from personalisation import _paths

    checked = 0
    for preset in batch.PRESETS.values():
        for name, grid in preset.plan:
            path = _paths.notebooks_dir() / name
            if not path.is_file():
                continue  # the notebook is not written yet
            declared = set(papermill.inspect_notebook(str(path)))
            missing = ({*grid, batch.OUTPUT_PARAMETER}) - declared
            assert not missing, (
                f"{name} lacks parameters {sorted(missing)} used by preset {preset.name}"
            )
            checked += 1
    if not checked:
        pytest.skip("no preset notebook in the notebooks folder yet")


# ---------------------------------------------------------------- command line (no execution)


def parse(argv: list[str]):
    return cli.make_parser().parse_args(["run-notebooks", *argv])


def test_cli_params_expand_to_a_grid(tmp_path):
    nb = make_writer(tmp_path)
    runs, output = batch._plan_from_args(parse([str(nb), "-p", "a=1,2", "-p", "b=x"]))
    assert [run.parameters for run in runs] == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert output == Path("outputs/batch")
    args = parse(
        ["--preset", "main", "-p", "year=2020", "--output", str(tmp_path / "o"), "--jobs", "2"]
    )
    assert (args.preset, args.jobs, args.kernel, args.scheduler, args.no_progress) == (
        "main",
        2,
        "python3",
        None,
        False,
    )


def test_cli_grid_files_json_list_and_yaml_mapping(tmp_path):
    nb = make_writer(tmp_path)
    listed = tmp_path / "grid.json"
    listed.write_text(json.dumps([{"a": 1}, {"a": 3}]))
    runs, _ = batch._plan_from_args(parse([str(nb), "--grid", str(listed), "-p", "b=u,v"]))
    assert [run.parameters for run in runs] == [
        {"a": 1, "b": "u"},
        {"a": 1, "b": "v"},
        {"a": 3, "b": "u"},
        {"a": 3, "b": "v"},
    ]
    mapping = tmp_path / "grid.yaml"
    mapping.write_text("a: [4, 5]\nb: w\n")
    runs, _ = batch._plan_from_args(parse([str(nb), "--grid", str(mapping), "-p", "b=q"]))
    assert [run.parameters for run in runs] == [{"a": 4, "b": "q"}, {"a": 5, "b": "q"}]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no_such_notebook"], "notebook 'no_such_notebook' not found"),
        (["--preset", "nope"], "unknown preset 'nope' (known: main"),
        (["x.ipynb", "--preset", "main"], "not both"),
        ([], "give one or more notebooks or --preset"),
        (["--preset", "main", "-p", "colour=red"], "preset 'main' has no parameter colour"),
        (["x.ipynb", "-p", "a"], "expected NAME=VALUE"),
        (["x.ipynb", "--grid", "missing.json"], "cannot read"),
    ],
)
def test_cli_usage_errors_exit_2_with_a_clear_message(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_writer(tmp_path).rename(tmp_path / "x.ipynb")
    assert cli.main(["run-notebooks", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "outputs").exists()


def test_cli_lists_presets(capsys):
    assert cli.main(["run-notebooks", "--list-presets"]) == 0
    out = capsys.readouterr().out
    for name in batch.PRESETS:
        assert out.count(f"{name}: ") == 1
    assert "takeup_map.ipynb  measure=['sds_users', 'dp_users']" in out


# ---------------------------------------------------------------- execution


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    """One batch with two worker processes: a=1 and a=3 pass, a=2 fails."""
    root = tmp_path_factory.mktemp("batch")
    nb = make_writer(root / "notebooks")
    result = batch.run_batch([nb], {"a": [1, 2, 3], "b": "x"}, root / "out", jobs=2, progress=False)
    return root, result


@pytest.mark.slow
def test_batch_records_every_run_and_does_not_stop_on_failure(batch_run):
    root, result = batch_run
    assert [r.parameters for r in result.records] == [{"a": a, "b": "x"} for a in (1, 2, 3)]
    assert [r.status for r in result.records] == ["ok", "failed", "ok"]
    assert not result.ok
    (failure,) = result.failures
    assert failure.error == "ValueError: a must not be 2 (b=x) (cell In[3])"
    assert "Traceback" not in result.summary()
    assert "2 of 3 runs passed" in result.summary()
    assert "writer/a-2__b-x/writer.ipynb: ValueError: a must not be 2 (b=x)" in result.summary()
    assert all(r.seconds > 0 for r in result.records)


@pytest.mark.slow
def test_each_run_writes_into_its_own_folder(batch_run):
    root, result = batch_run
    out = root / "out"
    for a in (1, 3):
        run_dir = out / "writer" / f"a-{a}__b-x"
        assert (run_dir / "result.txt").read_text() == f"{a},x"
        assert (run_dir / "relative.txt").is_file()  # working directory is the run folder
        info = json.loads((run_dir / "run.json").read_text())
        assert info["notebook"] == "writer.ipynb"
        assert info["parameters"] == {"a": a, "b": "x"}
        assert info["status"] == "ok" and info["error"] == ""
        assert info["package_version"] == personalisation.__version__
        assert info["data_version"] == batch._data_version()
        assert info["seconds"] > 0
    failed_dir = out / "writer" / "a-2__b-x"
    assert not (failed_dir / "result.txt").exists()
    assert json.loads((failed_dir / "run.json").read_text())["status"] == "failed"
    executed = nbformat.read(failed_dir / "writer.ipynb", as_version=4)
    assert executed.metadata.papermill.exception is True


@pytest.mark.slow
def test_index_csv_and_html_list_every_run(batch_run):
    root, result = batch_run
    out = root / "out"
    assert result.index_csv == out / "index.csv" and result.index_html == out / "index.html"
    rows = read_index(result.index_csv)
    assert list(rows[0]) == list(batch.INDEX_COLUMNS)
    assert [json.loads(row["parameters"]) for row in rows] == [
        {"a": a, "b": "x"} for a in (1, 2, 3)
    ]
    assert [row["status"] for row in rows] == ["ok", "failed", "ok"]
    assert rows[1]["error"].startswith("ValueError: a must not be 2")
    assert [row["executed"] for row in rows] == [
        f"writer/a-{a}__b-x/writer.ipynb" for a in (1, 2, 3)
    ]
    assert all((out / row["executed"]).is_file() for row in rows)
    page = result.index_html.read_text()
    for a in (1, 2, 3):
        assert f'href="writer/a-{a}__b-x/writer.ipynb"' in page
    assert 'href="writer/a-1__b-x/result.txt"' in page
    assert 'href="writer/a-2__b-x/result.txt"' not in page
    assert page.count('<tr class="failed">') == 1
    assert "2 of 3 runs passed; 1 failed" in page


@pytest.mark.slow
def test_executed_notebooks_hold_no_absolute_paths(batch_run):
    root, result = batch_run
    home = str(Path.home())
    for record in result.records:
        path = root / "out" / record.executed
        text = path.read_text()
        assert str(root) not in text and str(root.resolve()) not in text
        assert home not in text
        meta = json.loads(text)["metadata"]["papermill"]
        assert meta["input_path"] == "writer.ipynb"
        assert meta["output_path"] == record.executed
        assert meta["parameters"]["output_dir"] == "."
        nb = nbformat.read(path, as_version=4)
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert 'output_dir = "."' in injected.source
        printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        assert printed.splitlines()[0] == "."  # os.getcwd() of the run
        assert printed.splitlines()[1].startswith("<python>/")  # a module file under sys.prefix
        if not record.ok:  # the traceback's path into the run folder became relative
            assert "./helper.py" in text
    html_page = result.index_html.read_text() + result.index_csv.read_text()
    assert str(root) not in html_page


@pytest.mark.slow
def test_cli_runs_the_grid_and_exits_1_when_a_run_fails(tmp_path, capsys):
    nb = make_writer(tmp_path)
    out = tmp_path / "cli-out"
    code = cli.main(
        [
            "run-notebooks",
            str(nb),
            "-p",
            "a=1,2",
            "-p",
            "b=x",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 1
    printed = capsys.readouterr().out
    assert "1 of 2 runs passed" in printed
    assert "writer/a-2__b-x/writer.ipynb: ValueError: a must not be 2 (b=x)" in printed
    assert [row["status"] for row in read_index(out / "index.csv")] == ["ok", "failed"]
    # a second batch into the same folder starts each run folder afresh
    (out / "writer" / "a-1__b-x" / "stale.txt").write_text("old")
    assert (
        cli.main(
            [
                "run-notebooks",
                str(nb),
                "-p",
                "a=1",
                "-p",
                "b=x",
                "--output",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert not (out / "writer" / "a-1__b-x" / "stale.txt").exists()
    assert "1 of 1 runs passed" in capsys.readouterr().out


@pytest.mark.slow
def test_dask_scheduler_runs_the_grid(tmp_path):
    distributed = pytest.importorskip("distributed")
    nb = make_writer(tmp_path)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        result = batch.run_batch(
            [nb],
            {"a": [2, 5], "b": "d"},
            tmp_path / "out",
            scheduler=cluster.scheduler_address,
            progress=False,
        )
    assert [r.status for r in result.records] == ["failed", "ok"]
    assert result.failures[0].error.startswith("ValueError: a must not be 2 (b=d)")
    assert (tmp_path / "out" / "writer" / "a-5__b-d" / "result.txt").read_text() == "5,d"
    assert len(read_index(result.index_csv)) == 2


def test_worker_processes_fork_only_when_no_other_thread_runs(monkeypatch):
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert batch._process_context().get_start_method() == "spawn"
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    assert batch._process_context().get_start_method() == expected
