"""Warm kernels: a reset as good as a fresh kernel, isolation of failures, recycling, limits."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from personalisation import batch

for _module in ("papermill", "tqdm"):  # the batch runner is the batch extra's feature
    pytest.importorskip(
        _module, reason="the batch extra is not installed (pip install -e '.[batch]')"
    )

pytestmark = pytest.mark.slow

STATE_PARAMETERS = 'a = 0\noutput_dir = "."'
# Every cell prints what a fresh kernel would show, then changes global state.
STATE_CELLS = [
    # what the run sees
    "import json, os, sys, warnings, pathlib\n"
    "import matplotlib\n"
    "seen = {\n"
    "    'leftover': 'left' in globals(),\n"
    "    'cwd': os.getcwd() == os.path.abspath(output_dir),\n"
    "    'env': os.environ.get('PZ_TEST_LEFT'),\n"
    "    'lw': matplotlib.rcParams['lines.linewidth'],\n"
    "    'path': 'added-by-a-run' in sys.path,\n"
    "    'count': get_ipython().execution_count,\n"
    "    'pid': os.getpid(),\n"
    "}\n"
    "pathlib.Path(output_dir, 'seen.json').write_text(json.dumps(seen))\n"
    "print(seen['leftover'], seen['cwd'], seen['env'], seen['lw'], seen['path'], seen['count'])",
    # changes a reset must undo
    "left = 1\n"
    "os.environ['PZ_TEST_LEFT'] = 'yes'\n"
    "matplotlib.rcParams['lines.linewidth'] = 7\n"
    "sys.path.append('added-by-a-run')\n"
    "warnings.warn(f'shown in every run')\n"
    "pathlib.Path('helper_mod.py').write_text(f'VALUE = {a}')\n"
    "import helper_mod\n"
    "print('helper', helper_mod.VALUE)\n"
    "os.chdir('/')",
    # a figure, shown inline (the tests run with MPLBACKEND=Agg, which kernels inherit)
    "%matplotlib inline\n"
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(2, 2))\n"
    "ax.plot([0, 1], [0, a])\n"
    "fig.savefig(pathlib.Path(output_dir, 'line.png'))\n"
    "plt.show()",
]


def make_notebook(path: Path, parameters: str, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(source) for source in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def seen(out: Path, folder: str) -> dict:
    return json.loads((out / "state" / folder / "seen.json").read_text())


@pytest.fixture(scope="module")
def warm_runs(tmp_path_factory):
    """Three runs of the state notebook on one warm kernel (jobs=1)."""
    root = tmp_path_factory.mktemp("warm")
    nb = make_notebook(root / "state.ipynb", STATE_PARAMETERS, STATE_CELLS)
    result = batch.run_batch([nb], {"a": [1, 2, 3]}, root / "out", progress=False)
    return root / "out", result


def test_warm_runs_share_one_kernel_that_is_reset_as_new(warm_runs):
    out, result = warm_runs
    assert [r.status for r in result.records] == ["ok", "ok", "ok"], result.summary()
    states = [seen(out, f"a-{a}") for a in (1, 2, 3)]
    assert len({s["pid"] for s in states}) == 1  # one kernel served the three runs
    for state in states:
        assert state["leftover"] is False  # a fresh user namespace
        assert state["cwd"] is True  # the run's own folder, although a run chdir'ed to /
        assert state["env"] is None  # the environment restored
        assert state["lw"] == 1.5  # rcParams as a fresh kernel's (matplotlib's default)
        assert state["path"] is False  # sys.path restored
        assert state["count"] == states[0]["count"]  # counted from 1 again (see the notebooks)
    for a in (1, 2, 3):
        nb = nbformat.read(out / "state" / f"a-{a}" / "state.ipynb", as_version=4)
        counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))
        outputs = nb.cells[-2].outputs  # the cell that changes state
        text = "".join(o.get("text", "") for o in outputs)
        assert f"helper {a}" in text  # its own helper module, not the first run's
        assert "shown in every run" in text  # the warning is not swallowed after run 1
        pngs = [o for o in nb.cells[-1].outputs if "image/png" in o.get("data", {})]
        assert len(pngs) == 1  # the figure, inline, once


def test_fresh_and_warm_runs_write_identical_outputs(warm_runs, tmp_path):
    """The same grid with --fresh: every output file byte-identical (timings aside)."""
    out, _ = warm_runs
    nb = out.parent / "state.ipynb"
    fresh = batch.run_batch(
        [nb], {"a": [1, 2, 3]}, tmp_path / "fresh", progress=False, engine="fresh"
    )
    assert fresh.ok, fresh.summary()
    fresh_seen = [seen(tmp_path / "fresh", f"a-{a}") for a in (1, 2, 3)]
    assert len({s.pop("pid") for s in fresh_seen}) == 3  # three kernels
    warm_seen = [seen(out, f"a-{a}") for a in (1, 2, 3)]
    assert [s.pop("pid") and s for s in warm_seen] == fresh_seen  # what the runs saw
    compare_batches(out, tmp_path / "fresh", ignore={"seen.json"})


def _without_timings(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"]["papermill"] = {
        k: v
        for k, v in nb["metadata"]["papermill"].items()
        if k not in ("start_time", "end_time", "duration")
    }
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell.pop("id")  # papermill gives the cell it injects a random id, every run
        for key in ("start_time", "end_time", "duration"):
            cell["metadata"].get("papermill", {}).pop(key, None)
    return nb


def compare_batches(one: Path, other: Path, ignore: set[str] = frozenset()) -> None:
    """Every file of two batch folders equal: bytes, or JSON without timings and pids."""
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    assert files
    for name in files:
        if name.name in ignore or name.name.startswith(".personalisation-batch"):
            continue
        a, b = one / name, other / name
        if name.suffix == ".ipynb":
            assert _without_timings(a) == _without_timings(b), name
        elif name.name == "run.json":
            drop = {"seconds", "engine"}
            left, right = (
                {k: v for k, v in json.loads(p.read_text()).items() if k not in drop}
                for p in (a, b)
            )
            assert left == right, name
        elif name.name in ("index.csv", "index.html"):
            continue  # seconds per run
        elif name.suffix == ".html":  # papermill's random id of the injected cell aside
            strip = re.compile(r"cell-id=[0-9a-f-]+")
            assert strip.sub("", a.read_text()) == strip.sub("", b.read_text()), name
        else:
            assert a.read_bytes() == b.read_bytes(), name


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # what ipykernel sets outside tests

PYPLOT_CELLS = [
    # runs a=1 and a=3 import pyplot (the inline backend then formats every Figure); a=2 not
    "if a % 2 == 1:\n"
    "    import matplotlib.pyplot as plt\n"
    "    plt.close(plt.figure())  # the backend is set up with pyplot's first figure\n"
    "import pathlib, sys\n"
    "from personalisation import outputs\n"
    "from personalisation.plot.figure import new_figure\n"
    "fig = new_figure((2, 2))\n"
    "fig.add_subplot().plot([0, 1], [0, a])\n"
    "outputs.save_figure(fig, output_dir, 'f')\n"
    "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')\n"
    "fig",
]


def _inline_pngs(executed: Path) -> list[bytes]:
    nb = nbformat.read(executed, as_version=4)
    return [
        base64.b64decode(o["data"]["image/png"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]


def test_a_run_that_imports_pyplot_leaves_no_inline_backend_behind(tmp_path, monkeypatch):
    """Kernels as a user's (inline backend): pyplot imported by one run is gone for the next,
    so a package figure shows its saved PNG, exactly as in a new kernel."""
    monkeypatch.setenv("MPLBACKEND", INLINE_BACKEND)
    nb = make_notebook(tmp_path / "pyplot.ipynb", STATE_PARAMETERS, PYPLOT_CELLS)
    grid = {"a": [1, 2, 3]}
    warm = batch.run_batch([nb], grid, tmp_path / "warm", progress=False)
    fresh = batch.run_batch([nb], grid, tmp_path / "fresh", progress=False, engine="fresh")
    assert warm.ok and fresh.ok, warm.summary() + fresh.summary()
    compare_batches(tmp_path / "warm", tmp_path / "fresh")
    for record in warm.records:
        executed = tmp_path / "warm" / record.executed
        text = "".join(
            o.get("text", "")
            for c in nbformat.read(executed, as_version=4).cells
            for o in c.get("outputs", [])
        )
        saved = (executed.parent / "f.png").read_bytes()
        (shown,) = _inline_pngs(executed)
        if record.parameters["a"] % 2 == 1:  # pyplot's inline formatter drew it again
            assert "pyplot" in text and "no pyplot" not in text
            assert shown != saved
        else:  # no pyplot in this run, although the last run on this kernel had it
            assert "no pyplot" in text
            assert shown == saved


HELD_PYPLOT_CELLS = [
    # runs a=1 and a=3 import a library that keeps pyplot (mapclassify imports it at its top)
    # and draw a pyplot figure (the inline backend is set up); a=2 does neither
    "import os, pathlib\n"
    "pathlib.Path(output_dir, 'pid.txt').write_text(str(os.getpid()))\n"
    "if a % 2 == 1:\n"
    "    import mapclassify\n"
    "    import matplotlib.pyplot as plt\n"
    "    plt.close(plt.figure())\n"
    "from personalisation import outputs\n"
    "from personalisation.plot.figure import new_figure\n"
    "fig = new_figure((2, 2))\n"
    "fig.add_subplot().plot([0, 1], [0, a])\n"
    "outputs.save_figure(fig, output_dir, 'f')\n"
    "fig",
]


def test_pyplot_kept_by_a_library_is_reset_and_the_kernel_stays_warm(tmp_path, monkeypatch):
    """mapclassify keeps pyplot, so it cannot be forgotten: it is left with no backend
    chosen, the next run shows a package figure's saved PNG, and no kernel is replaced."""
    pytest.importorskip("mapclassify")
    monkeypatch.setenv("MPLBACKEND", INLINE_BACKEND)
    nb = make_notebook(tmp_path / "held.ipynb", STATE_PARAMETERS, HELD_PYPLOT_CELLS)
    grid = {"a": [1, 2, 3]}
    warm = batch.run_batch([nb], grid, tmp_path / "warm", progress=False)
    fresh = batch.run_batch([nb], grid, tmp_path / "fresh", progress=False, engine="fresh")
    assert warm.ok and fresh.ok, warm.summary() + fresh.summary()
    compare_batches(tmp_path / "warm", tmp_path / "fresh", ignore={"pid.txt"})
    folders = [tmp_path / "warm" / "held" / f"a-{a}" for a in (1, 2, 3)]
    assert len({(f / "pid.txt").read_text() for f in folders}) == 1  # one kernel, kept warm
    for a, folder in zip((1, 2, 3), folders, strict=True):
        assert json.loads((folder / "run.json").read_text())["kernel_note"] == ""
        (shown,) = _inline_pngs(folder / "held.ipynb")
        saved = (folder / "f.png").read_bytes()
        assert (shown == saved) is (a == 2)  # pyplot's inline formatter in runs 1 and 3 only


def test_shipped_notebook_fresh_and_warm_identical(tmp_path, monkeypatch):
    """council_profile for two councils, both ways, in kernels with the inline backend (as a
    user's): figures, tables and notebooks equal, and the figures shown are the files saved."""
    monkeypatch.setenv("MPLBACKEND", INLINE_BACKEND)
    grid = {"council": ["E08000003", "E10000016"]}
    warm = batch.run_batch(["council_profile"], grid, tmp_path / "warm", progress=False)
    fresh = batch.run_batch(
        ["council_profile"], grid, tmp_path / "fresh", progress=False, engine="fresh"
    )
    assert warm.ok and fresh.ok, warm.summary() + fresh.summary()
    compare_batches(tmp_path / "warm", tmp_path / "fresh")
    page = (tmp_path / "warm" / "index.html").read_text()
    for record in warm.records:  # figures are in the executed notebooks themselves (issue 13)
        executed = tmp_path / "warm" / record.executed
        nb = nbformat.read(executed, as_version=4)
        pngs = [
            o["data"]["image/png"]
            for c in nb.cells
            for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})
        ]
        assert len(pngs) >= 3, record.executed  # two trajectories and the funnel
        assert all(base64.b64decode(png).startswith(b"\x89PNG") for png in pngs)
        saved = sorted(
            p.read_bytes()
            for p in executed.parent.glob("*.png")
            if not p.name.endswith(".thumbnail.png")
        )
        assert sorted(_inline_pngs(executed)) == saved  # the image shown is the file on disk
        thumb = executed.with_name("council_profile.thumbnail.png")
        assert thumb.read_bytes() == base64.b64decode(pngs[0])  # the first figure
        rendered = executed.with_suffix(".html").read_text()
        assert rendered.count("data:image/png;base64,") >= len(pngs)
        html_link = f"{record.output}/council_profile.html"
        assert (
            f'<a href="{html_link}"><img src="{record.output}/council_profile.thumbnail.png"'
            in page
        )


DEATH_CELLS = [
    "import os, pathlib, time\n"
    "pathlib.Path(output_dir, 'pid.txt').write_text(str(os.getpid()))\n"
    "if a == 2:\n"
    "    os._exit(1)  # the kernel dies\n"
    "if a == 4:\n"
    "    time.sleep(120)  # the kernel hangs\n"
    "if a == 5:\n"
    "    import random\n"
    "    random.shuffle = print  # monkeypatching the reset cannot undo\n"
    "print('ok', a)"
]


def test_a_dead_or_hung_kernel_fails_only_its_run_and_is_replaced(tmp_path):
    nb = make_notebook(tmp_path / "death.ipynb", 'a = 0\noutput_dir = "."', DEATH_CELLS)
    result = batch.run_batch(
        [nb], {"a": [1, 2, 3, 4, 5, 6, 7]}, tmp_path / "out", progress=False, timeout=10
    )
    status = {r.parameters["a"]: r.status for r in result.records}
    assert status == {1: "ok", 2: "failed", 3: "ok", 4: "failed", 5: "ok", 6: "ok", 7: "ok"}
    errors = {r.parameters["a"]: r.error for r in result.records}
    assert "DeadKernelError" in errors[2] or "died" in errors[2].lower(), errors[2]
    assert "Timeout" in errors[4] or "timed out" in errors[4], errors[4]
    pid = {a: int((tmp_path / "out" / "death" / f"a-{a}" / "pid.txt").read_text()) for a in status}
    assert pid[1] == pid[2]  # the kernel that died
    assert pid[3] != pid[2]  # replaced
    assert pid[4] == pid[3]  # the kernel that hung
    assert pid[5] != pid[4]  # replaced
    assert pid[6] != pid[5]  # replaced after the monkeypatch was detected
    assert pid[7] == pid[6]  # and then warm again
    info = json.loads((tmp_path / "out" / "death" / "a-5" / "run.json").read_text())
    assert "random.shuffle" in info["kernel_note"]


def test_kernels_are_recycled_after_max_runs_and_none_is_left(tmp_path):
    psutil = pytest.importorskip("psutil")
    nb = make_notebook(tmp_path / "death.ipynb", 'a = 0\noutput_dir = "."', DEATH_CELLS)
    result = batch.run_batch(
        [nb], {"a": [1, 3, 6, 7]}, tmp_path / "out", progress=False, max_runs=2, jobs=1
    )
    assert result.ok, result.summary()
    pids = [
        int((tmp_path / "out" / "death" / f"a-{a}" / "pid.txt").read_text()) for a in (1, 3, 6, 7)
    ]
    assert pids[0] == pids[1] != pids[2] == pids[3]
    assert not any(psutil.pid_exists(pid) for pid in pids)  # run_batch shut its kernels down
    from personalisation.batch import engine

    assert engine.warm_kernel_pids() == []


def test_papermill_engine_entry_point(tmp_path):
    """Plain papermill finds the engine by name (``papermill --engine personalisation-warm``)."""
    import subprocess
    import sys

    nb = make_notebook(tmp_path / "death.ipynb", 'a = 0\noutput_dir = "."', DEATH_CELLS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "--engine",
            "personalisation-warm",
            str(nb),
            str(tmp_path / "out.ipynb"),
            "-p",
            "a",
            "7",
            "-p",
            "output_dir",
            str(tmp_path),
            "--cwd",
            str(tmp_path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert "ok 7" in "".join(o.get("text", "") for o in out.cells[-1].outputs)
    assert os.path.isfile(tmp_path / "pid.txt")
