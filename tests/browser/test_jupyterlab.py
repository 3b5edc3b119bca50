"""The shipped notebooks in a real JupyterLab, driven through its UI in headless Chromium.

Starts JupyterLab on 127.0.0.1 with a temporary root holding copies of the shipped notebooks,
opens each one, runs all cells from the Run menu, and checks what a researcher sees: every cell
that draws a figure shows an ``<img>`` of real size, and no cell shows an error or a stderr
warning box.  Screenshots of every figure cell are saved under the test's temporary folder.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` and ``jupyterlab``
packages; ``.ci/run`` installs Chromium, so under CI (``CI`` set) its absence is a failure,
elsewhere a skip; an environment without the jupyter extra skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from personalisation import _paths

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
NOTEBOOKS = sorted(p.name for p in _paths.notebooks_dir().glob("*.ipynb"))
RUN_TIMEOUT = 300  # seconds for one notebook's Run All


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab server on a temporary root: (base url, token, root)."""
    _need(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    _need(Path(CHROMEDRIVER).exists(), f"no chromedriver at {CHROMEDRIVER} (chromium-driver)")
    try:
        import jupyterlab  # noqa: F401
        import selenium  # noqa: F401
    except ImportError as missing:  # an environment without the jupyter extra: not ours to run
        pytest.skip(f"{missing.name} is not installed (pip install -e '.[all]')")
    root = tmp_path_factory.mktemp("lab-root")
    for name in NOTEBOOKS:
        shutil.copy(_paths.notebooks_dir() / name, root / name)
    port, token = _free_port(), "personalisation-browser-test"
    settings = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTERLAB_SETTINGS_DIR": str(root / ".lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(root / ".lab-workspaces"),
    }
    log = open(root / "jupyterlab.log", "w")  # closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (root / "jupyterlab.log").read_text()
                    ) from None
                time.sleep(0.5)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={lab[2] / '.chromium-profile'}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _click_menu(driver, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    top = wait.until(
        ec.element_to_be_clickable(
            (By.XPATH, f"//div[contains(@class,'lm-MenuBar-itemLabel') and text()='{menu}']")
        )
    )
    top.click()
    entry = wait.until(
        ec.element_to_be_clickable(
            (
                By.XPATH,
                "//ul[contains(@class,'lm-Menu-content')]"
                f"//div[contains(@class,'lm-Menu-itemLabel') and text()='{item}']",
            )
        )
    )
    entry.click()


def _cells_state(driver) -> list[dict]:
    """Every code cell of the open notebook: prompt text, images and stderr/error outputs."""
    return driver.execute_script(
        """
        const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        return Array.from(panel.querySelectorAll('.jp-CodeCell')).map((cell) => ({
            prompt: (cell.querySelector('.jp-InputPrompt') || {}).textContent || '',
            source: (cell.querySelector('.jp-InputArea-editor') || {}).textContent || '',
            images: Array.from(cell.querySelectorAll('.jp-OutputArea-output img')).map(
                (img) => [img.naturalWidth, img.naturalHeight, img.complete]),
            stderr: Array.from(cell.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                .map((node) => node.textContent.slice(0, 400)),
        }));
        """
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_shows_its_figures_in_jupyterlab(lab, browser, name, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, token, _root = lab
    browser.get(f"{base}/lab/tree/{name}?token={token}")
    WebDriverWait(browser, 90).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".jp-NotebookPanel .jp-CodeCell"))
    )
    WebDriverWait(browser, 120).until(  # the notebook's kernel is connected and idle
        lambda d: d.execute_script(
            "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            "const k = w && w.sessionContext && w.sessionContext.session"
            "  && w.sessionContext.session.kernel;"
            "return !!k && k.connectionStatus === 'connected' && k.status === 'idle';"
        )
    )
    _click_menu(browser, "Run", "Run All Cells")

    notebook = nbformat.read(_paths.notebooks_dir() / name, as_version=4)
    n_code = sum(cell.cell_type == "code" for cell in notebook.cells)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        cells = _cells_state(browser)
        done = [c for c in cells if c["prompt"].strip().strip("[]:").isdigit()]
        if len(cells) == n_code and len(done) == n_code:
            break
        errors = [c for c in cells if c["stderr"]]
        if errors or time.monotonic() > deadline:
            break
        time.sleep(1)

    # screenshots of every cell with output, for a person to look at
    shots = tmp_path / "screenshots"
    shots.mkdir()
    elements = browser.find_elements(
        By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell"
    )
    for index, element in enumerate(elements):
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", element)
        time.sleep(0.3)
        browser.save_screenshot(str(shots / f"{Path(name).stem}-{index:02d}.png"))
    cells = _cells_state(browser)
    print(f"screenshots of {name}: {shots}")
    browser.execute_script(  # close the tab (its kernel stays until the server stops)
        "return window.jupyterapp.commands.execute('application:close-all');"
    )

    assert not [c["stderr"] for c in cells if c["stderr"]], f"{name}: error or warning boxes"
    unfinished = [c["prompt"] for c in cells if not c["prompt"].strip().strip("[]:").isdigit()]
    assert not unfinished, f"{name}: cells did not finish within {RUN_TIMEOUT} s: {unfinished}"
    figure_cells = [c for c in cells if "pz.plot." in c["source"]]
    assert figure_cells, f"{name} draws no figure?"
    for cell in figure_cells:
        assert cell["images"], f"{name}: no inline figure in the cell\n{cell['source'][:300]}"
        for width, height, complete in cell["images"]:
            assert complete and width > 300 and height > 200, (name, width, height)
    if name == "council_profile.ipynb":
        loop = next(c for c in figure_cells if "pz.plot.trajectories" in c["source"])
        assert len(loop["images"]) == 2
