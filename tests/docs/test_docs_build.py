"""The documentation site builds offline, warnings as errors, and shows what it promises.

One build (the README's command, into a temporary folder) is shared by the checks: every
shipped notebook has an executed gallery page, every public name of the main modules has
an API page, and the build writes nothing into the repository outside its ignored
folders.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[docs]')")
pytest.importorskip("myst_nb", reason="the docs extra is not installed (pip install -e '.[docs]')")
pytest.importorskip("numpydoc", reason="the docs extra is not installed (pip install -e '.[docs]')")

pytestmark = [pytest.mark.slow, pytest.mark.docs]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _git_status() -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 else None


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not DOCS.is_dir():
        pytest.skip(f"no docs/ folder beside the package ({DOCS}): not a source checkout")
    out = tmp_path_factory.mktemp("docs")
    before = _git_status()
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    command += ["-d", str(out / "doctrees"), str(DOCS), str(out / "html")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"docs build failed ({' '.join(command)}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    )
    after = _git_status()
    if before is not None:
        assert after == before, f"the docs build changed the repository:\n{after}"
    return out / "html"


def test_pages_of_the_guide_exist(site):
    for page in ("index", "install", "quickstart", "api/index", "gallery/index"):
        assert (site / f"{page}.html").is_file(), page
    for page in ("measures", "statuses", "geography", "statistics", "units"):
        text = (site / "guide" / f"{page}.html").read_text()
        assert "Traceback" not in text, page


def test_gallery_has_every_notebook_executed(site):
    assert NOTEBOOKS, "no shipped notebooks"
    index = (site / "gallery" / "index.html").read_text()
    for name in NOTEBOOKS:
        page = site / "gallery" / "generated" / f"{name}.html"
        assert page.is_file(), f"no gallery page for {name}"
        assert f"generated/{name}.html" in index, f"gallery index does not link {name}"
        text = page.read_text()
        assert "cell_output" in text, f"{name}: no executed output on its gallery page"
        assert "Traceback" not in text, f"{name}: an error on its gallery page"
        assert "&lt;Figure size" not in text, f"{name}: a figure shown as text, not as an image"
        images = _png_images(page)
        assert images, f"{name}: no figure on its gallery page"
        for image in images:
            assert image.stat().st_size > 10_000, f"{name}: {image.name} is nearly empty"


def _png_images(page: Path) -> list[Path]:
    """The PNG files a page shows with <img> (myst-nb copies notebook figures to _images/)."""
    sources = re.findall(r'<img[^>]*\bsrc="([^"]+\.png)"', page.read_text())
    return [(page.parent / source).resolve() for source in sources]


def test_quickstart_shows_its_map(site):
    images = _png_images(site / "quickstart.html")
    assert images and all(image.is_file() for image in images)


def test_api_reference_documents_the_public_names(site):
    import personalisation.geo
    import personalisation.plot
    import personalisation.stats

    api = site / "api" / "generated"
    for module in (personalisation.stats, personalisation.plot, personalisation.geo):
        for name in module.__all__:
            page = api / f"{module.__name__}.{name}.html"
            assert page.is_file(), f"no API page for {module.__name__}.{name}"
    text = (api / "personalisation.stats.variation.html").read_text()
    assert re.search(r"Parameters", text) and re.search(r"Returns", text)
    cube = (api / "personalisation.cube.load_cube.html").read_text()
    assert "load_cube" in cube and "Examples" in cube
