"""Smoke test of an installed wheel, run from a folder outside the checkout by ``.ci/run``.

Proves the shipped data and geography are found inside the installed package (not in a
repository checkout): loads the cube, computes one statistic, draws one figure.
"""

from __future__ import annotations

import importlib.metadata
import sys
import sysconfig
from pathlib import Path

import personalisation as pz
from personalisation import _paths

site = Path(sysconfig.get_paths()["purelib"]).resolve()
package = Path(pz.__file__).resolve().parent
assert package.is_relative_to(site), f"personalisation imported from {package}, not {site}"
for where in (_paths.data_dir(), _paths.geo_dir()):
    assert where.resolve().is_relative_to(package / "_shipped"), where
assert (package / "py.typed").is_file(), "py.typed missing from the wheel"
assert pz.__version__ == importlib.metadata.version("personalisation"), pz.__version__

cube = pz.load_cube(measures=["sds_users"], years=[2021])
assert cube.sizes["council"] > 140, dict(cube.sizes)
manchester = cube.value.sel(council="E08000003", year=2021, measure="sds_users").item()
assert manchester == 90.1, manchester
assert cube.attrs["data_version"], cube.attrs

spread = pz.stats.variation(cube, measure="sds_users", year=2021)
assert spread.n_used[0] > 140 and int(spread.to_frame()["n_councils"].iloc[0]) > 140, spread

fig = pz.plot.choropleth(cube, "sds_users", 2021)
out = Path("smoke.png")
fig.savefig(out)
assert out.stat().st_size > 10_000, out.stat().st_size

print(
    f"wheel smoke test ok: personalisation {pz.__version__} from {package}, "
    f"{cube.sizes['council']} councils, data version {cube.attrs['data_version']}",
    file=sys.stderr,
)
