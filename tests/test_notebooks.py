"""Every notebook runs with papermill on small parameters and writes what it promises."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import personalisation as pz
from personalisation import _paths, outputs

papermill = pytest.importorskip("papermill")

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted(p.name for p in _paths.notebooks_dir().glob("*.ipynb"))

CASES = {
    "takeup_map.ipynb": {"measure": "dp_users", "year": 2020, "kind": "hex"},
    "regional_comparison.ipynb": {"measure": "sds_users", "year": 2019, "region": "North East"},
    "variation_over_time.ipynb": {"measure": "sds_users", "from_year": 2019, "to_year": 2021},
    "council_profile.ipynb": {"council": "Somerset"},
    "targets.ipynb": {"threshold": 70, "lower": 50, "target_year": 2016},
    "personalisation_story.ipynb": {"measure": "sds_users", "from_year": 2010, "to_year": 2025},
}


def _run(name: str, parameters: dict, tmp_path: Path) -> tuple[Path, nbformat.NotebookNode]:
    output_dir = tmp_path / "out"
    executed = tmp_path / name
    papermill.execute_notebook(
        str(_paths.notebooks_dir() / name),
        str(executed),
        parameters={**parameters, "output_dir": str(output_dir)},
        cwd=str(tmp_path),
        progress_bar=False,
        kernel_name="python3",
    )
    return output_dir, nbformat.read(executed, as_version=4)


def _sync_tool():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "sync_notebooks.py"
    spec = importlib.util.spec_from_file_location("sync_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_generated_from_their_text_source():
    """Each .ipynb is exactly what its jupytext percent script generates (no hand edits)."""
    sync = _sync_tool()
    assert sync.out_of_date() == [], "run: python tools/sync_notebooks.py"
    scripts = sorted(p.stem for p in sync.NOTEBOOKS.glob("*.py"))
    assert scripts == sorted(Path(n).stem for n in NOTEBOOKS)


def test_the_sync_check_notices_an_edited_script(tmp_path):
    sync = _sync_tool()
    for path in sync.NOTEBOOKS.glob("targets.*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    assert sync.out_of_date(tmp_path) == []
    script = tmp_path / "targets.py"
    script.write_text(script.read_text().replace("threshold = 70", "threshold = 60"))
    assert sync.out_of_date(tmp_path) == ["targets.ipynb"]
    written = sync.write_all(tmp_path)
    assert written == [tmp_path / "targets.ipynb"] and sync.out_of_date(tmp_path) == []
    cells = nbformat.read(tmp_path / "targets.ipynb", as_version=4).cells
    parameters = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "threshold = 60" in parameters[0].source


def test_every_notebook_has_a_case_and_a_parameters_cell():
    assert set(NOTEBOOKS) == set(CASES)
    for name in NOTEBOOKS:
        notebook = nbformat.read(_paths.notebooks_dir() / name, as_version=4)
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        assert "output_dir" in tagged[0].source
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
            f"{name} is committed with outputs"
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_and_writes_outputs(name, tmp_path):
    parameters = CASES[name]
    output_dir, notebook = _run(name, parameters, tmp_path)
    record = json.loads((output_dir / "record.json").read_text())
    assert record["parameters"].items() >= parameters.items()  # plus defaults and resolved codes
    assert record["package_version"] and record["data_version"]
    written = sorted(p.name for p in output_dir.iterdir())
    assert set(record["outputs"]) <= set(written)
    pngs = [n for n in written if n.endswith(".png")]
    pdfs = [n for n in written if n.endswith(".pdf")]
    csvs = [n for n in written if n.endswith(".csv")]
    assert pngs and len(pngs) == len(pdfs), written
    assert csvs, written
    for csv in csvs:
        assert not (output_dir / csv).read_text().startswith("#"), f"{csv} is not plain CSV"
        assert outputs.table_record(output_dir / csv)["parameters"] == record["parameters"]
        table = pd.read_csv(output_dir / csv)
        assert len(table) > 0, csv
    for png in pngs:
        assert (output_dir / png).stat().st_size > 10_000, png
    errors = [
        o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors
    # every figure the notebook saves is also shown in the notebook itself, as a real picture
    inline = _inline_images(notebook)
    assert len(inline) == len(pngs), (name, len(inline), pngs)
    for width, height, spread in inline:
        assert width > 300 and height > 300, (name, width, height)
        assert spread > 20, f"{name}: an inline figure is blank (pixel spread {spread:.1f})"


def _inline_images(notebook: nbformat.NotebookNode) -> list[tuple[int, int, float]]:
    """(width, height, pixel standard deviation) of every image/png output of the notebook."""
    from PIL import Image

    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                image = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
                spread = float(np.asarray(image.convert("L"), dtype=float).std())
                found.append((image.width, image.height, spread))
    return found


def test_council_profile_shows_both_trajectories(tmp_path):
    _, notebook = _run("council_profile.ipynb", CASES["council_profile.ipynb"], tmp_path)
    cell = next(c for c in notebook.cells if "pz.plot.trajectories" in c.source)
    shown = [o for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(shown) == 2
    # what the reader sees inline is the figure file written beside the notebook
    output_dir = tmp_path / "out"
    for output, measure in zip(shown, ("sds_users", "dp_users"), strict=True):
        saved = (output_dir / f"trajectory_{measure}.png").read_bytes()
        assert base64.b64decode(output["data"]["image/png"]) == saved


def test_takeup_table_holds_the_published_figures(tmp_path):
    output_dir, _ = _run(
        "takeup_map.ipynb", {"measure": "sds_users", "year": 2021, "kind": "polygons"}, tmp_path
    )
    table = pd.read_csv(output_dir / "councils_sds_users_2021.csv")
    manchester = table[table["council"] == "E08000003"].iloc[0]
    assert manchester["numerator"] == 3687 and manchester["denominator"] == 4091


def test_targets_counts_match_the_council_table(tmp_path):
    output_dir, _ = _run("targets.ipynb", CASES["targets.ipynb"], tmp_path)
    summary = pd.read_csv(output_dir / "targets_by_region_2016.csv")
    councils = pd.read_csv(output_dir / "targets_councils_2016.csv")
    england = summary[summary["group"] == "E92000001"].iloc[0]
    assert england["n_met"] == councils["met"].astype("boolean").sum()


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        ("takeup_map.ipynb", {"measure": "no_such_measure"}, "unknown measure"),
        ("takeup_map.ipynb", {"year": 2011}, "2011"),
        ("takeup_map.ipynb", {"kind": "dots"}, "kind must be one of"),
        ("council_profile.ipynb", {"council": "Atlantis"}, "unknown council"),
        ("regional_comparison.ipynb", {"region": "Wessex"}, "unknown region"),
    ],
)
def test_bad_parameter_fails_early_with_a_clear_message(name, parameters, message, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        _run(name, parameters, tmp_path)
    assert message in str(caught.value)
    # it fails in the cell right after the parameters, before any figure is drawn
    assert caught.value.exec_count <= 3


def test_council_profile_of_a_reorganised_council_runs_to_the_latest_year(tmp_path):
    output_dir, _ = _run("council_profile.ipynb", {"council": "North Yorkshire"}, tmp_path)
    record = json.loads((output_dir / "record.json").read_text())
    assert record["parameters"]["council_code"] == "E06000065"
    figures = pd.read_csv(output_dir / "figures.csv")
    sds = figures[(figures.measure == "sds_users") & figures.value.notna()]
    assert sds.year.min() == 2015 and sds.year.max() == pz.load_cube().year.max()
