"""Package figures display inline in Jupyter, exactly once, without changing global state."""

from __future__ import annotations

import base64
import io
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from PIL import Image

from personalisation.plot.figure import Figure, new_figure


def _drawn() -> Figure:
    fig = new_figure((4, 3))
    fig.add_subplot().plot([0, 1, 2], [0, 2, 1], color="black")
    return fig


def test_repr_png_is_the_figure_as_a_png():
    png = _drawn()._repr_png_()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    # bbox_inches="tight" crops the white margin, so a little under 4 x 3 inches at 100 dpi
    assert 300 < image.width <= 400 and 200 < image.height <= 300
    assert np.asarray(image.convert("L")).min() < 50  # the black line is there


def test_ipython_display_formatter_produces_one_png():
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    data, _ = shell.display_formatter.format(_drawn())
    assert "image/png" in data
    assert data["text/plain"].startswith("<Figure size 400x300")


def test_a_saved_figure_shows_the_saved_png_until_it_changes(tmp_path):
    from personalisation.plot.figure import save_png_and_pdf

    fig = _drawn()
    save_png_and_pdf(fig, tmp_path / "f.png", tmp_path / "f.pdf", dpi=150)
    saved = (tmp_path / "f.png").read_bytes()
    data, size = fig._repr_png_()
    assert data == saved  # the image in the notebook is the file on disk
    pixels = Image.open(io.BytesIO(saved)).size
    # shown at the size of a figure of its own dpi (100), drawn at 150
    assert size == {"width": round(pixels[0] / 1.5), "height": round(pixels[1] / 1.5)}
    # cropped as matplotlib's own bbox_inches="tight" crops (to a pixel)
    tight = io.BytesIO()
    fig.savefig(tight, format="png", dpi=150, bbox_inches="tight")
    reference = Image.open(tight).size
    assert abs(pixels[0] - reference[0]) <= 2 and abs(pixels[1] - reference[1]) <= 2
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    fig.axes[0].set_title("changed after saving")
    again = fig._repr_png_()
    assert isinstance(again, bytes) and again != saved  # redrawn, not the stale file


def test_ipython_shows_a_saved_figure_once_at_its_display_size(tmp_path):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    from personalisation.plot.figure import save_png_and_pdf

    fig = _drawn()
    save_png_and_pdf(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    data, metadata = interactiveshell.InteractiveShell.instance().display_formatter.format(fig)
    assert data["image/png"] == (tmp_path / "f.png").read_bytes()
    assert metadata["image/png"]["width"] < Image.open(tmp_path / "f.png").width


def test_importing_the_package_changes_no_backend():
    code = (
        "import matplotlib; before = matplotlib.rcParams._get_backend_or_none(); "
        "import personalisation as pz; pz.plot.choropleth; import personalisation.plot.figure; "
        "assert matplotlib.rcParams._get_backend_or_none() == before, "
        "(before, matplotlib.rcParams._get_backend_or_none()); "
        "import sys; assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _execute(source: str) -> nbformat.NotebookNode:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel", reason="a real kernel needs ipykernel (the batch extra)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    return notebook


def _images(notebook: nbformat.NotebookNode) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))
        for cell in notebook.cells
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]


MAKE = (
    "from personalisation.plot.figure import new_figure\n"
    "fig = new_figure((4, 3))\n"
    "_ = fig.add_subplot().plot([0, 1, 2], [0, 2, 1])\n"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "prelude",
    ["", "import matplotlib.pyplot as plt\n", "%matplotlib inline\nimport matplotlib.pyplot\n"],
    ids=["no-pyplot", "pyplot-imported", "inline-magic"],
)
def test_a_figure_as_cell_value_shows_exactly_once_in_a_real_kernel(prelude):
    notebook = _execute(prelude + MAKE + "fig")
    images = _images(notebook)
    assert len(images) == 1, [o.get("data", {}).keys() for o in notebook.cells[0].outputs]
    assert images[0].width > 250 and images[0].height > 150
