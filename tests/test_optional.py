"""Optional features fail with an ImportError naming the extra that installs them."""

from __future__ import annotations

import sys

import pytest

from personalisation import stats
from personalisation._optional import require
from personalisation.testing import make_cube


def test_require_returns_the_module():
    assert require("json", extra="x", purpose="y") is sys.modules["json"]


@pytest.mark.parametrize("missing", ["esda", "libpysal"])
def test_moran_without_the_spatial_extra_names_it(monkeypatch, missing):
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import box

    cube = make_cube(n_councils=6, n_regions=2)
    codes = [str(c) for c in cube["council"].values]
    frame = gpd.GeoDataFrame(
        {"council": codes}, geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))]
    )
    monkeypatch.setitem(sys.modules, missing, None)  # import of a None entry raises
    monkeypatch.delitem(sys.modules, "libpysal.weights", raising=False)
    with pytest.raises(ImportError, match=r"stats\.moran needs .*personalisation\[spatial\]"):
        stats.moran(cube, "sds_users", 2015, boundaries=frame, code_column="council")
