"""Pooled classes, polygon paths and the source note, tested on their own."""

from __future__ import annotations

import mapclassify
import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from matplotlib.path import Path

from personalisation.plot import style
from personalisation.plot.classify import pooled_classes
from personalisation.plot.polygons import draw_polygons, polygon_paths
from personalisation.testing import make_cube


@pytest.mark.filterwarnings("ignore:Numba not installed")
def test_pooled_breaks_equal_mapclassify_pooled():
    rng = np.random.default_rng(0)
    panels = rng.normal(50, 10, size=(30, 4))
    for scheme in ("Quantiles", "EqualInterval", "FisherJenks"):
        classes = pooled_classes(panels.T, scheme=scheme, k=5)
        reference = mapclassify.Pooled(panels, classifier=scheme, k=5).global_classifier
        np.testing.assert_allclose(classes.breaks, reference.bins)
        column = mapclassify.Pooled(panels, classifier=scheme, k=5).col_classifiers[2]
        np.testing.assert_array_equal(classes.assign(panels[:, 2]), column.yb)


def test_pooled_classes_ignore_missing_and_refuse_outsiders():
    classes = pooled_classes([[1.0, np.nan, 3.0], [5.0, 7.0]], scheme="EqualInterval", k=3)
    assert classes.n_values == 4 and classes.minimum == 1.0
    assert classes.assign([np.nan, 1.0, 7.0]).tolist() == [-1, 0, 2]
    assert classes.labels(".0f") == ["1 – 3", "3 – 5", "5 – 7"]
    with pytest.raises(ValueError, match="outside the pooled classes"):
        classes.assign([8.0])
    with pytest.raises(ValueError, match="no values"):
        pooled_classes([[np.nan], []])


def _rings(path):
    starts = np.flatnonzero(path.codes == Path.MOVETO)
    return np.split(path.vertices, starts[1:])


def _signed_area(ring):
    x, y = ring[:-1, 0], ring[:-1, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_polygon_paths_one_path_per_geometry_with_holes():
    holed = shapely.box(0, 0, 4, 4).difference(shapely.box(1, 1, 2, 2))
    multi = shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 8, 1)])
    paths = polygon_paths([holed, multi, shapely.box(9, 0, 10, 1)])
    assert len(paths) == 3
    assert [int((p.codes == Path.MOVETO).sum()) for p in paths] == [2, 2, 1]
    # the hole winds against the exterior, so the nonzero fill rule leaves it empty
    exterior, hole = _rings(paths[0])
    assert _signed_area(exterior) > 0 > _signed_area(hole)
    with pytest.raises(TypeError, match="Point"):
        polygon_paths([shapely.Point(0, 0)])


def test_draw_polygons_keeps_order_and_colours():
    fig, ax = plt.subplots()
    collection = draw_polygons(
        ax,
        [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        facecolors=["red", "blue"],
        gid="councils",
        council_codes=["A", "B"],
    )
    assert collection.council_codes == ("A", "B")
    np.testing.assert_array_equal(collection.get_facecolors()[:, :3], [[1, 0, 0], [0, 0, 1]])
    assert ax.dataLim.x1 == 2
    plt.close(fig)


def test_source_note_uses_cube_and_geometry_attribution():
    cube = make_cube()
    cube.attrs.update(sources="NHS Digital: ASCOF", licence="Open Government Licence v3.0")

    class Layer:
        attrs = {"attribution": "Source: ONS. Contains OS data © Crown copyright 2023."}

    note = style.source_note(cube, maps=True, geometry=Layer())
    assert note.startswith("Source: NHS Digital: ASCOF.")
    assert "Licence: Open Government Licence v3.0." in note
    assert note.endswith("Boundaries: Source: ONS. Contains OS data © Crown copyright 2023.")
    assert "Contains OS" not in style.source_note(cube)
