"""Notebook helpers: parameter checks, council and region resolution, provenance records."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from personalisation import outputs
from personalisation.errors import MissingYearError, UnknownCouncilError, UnknownMeasureError
from personalisation.testing import make_cube


@pytest.fixture
def cube():
    return make_cube(
        n_councils=6, years=[2015, 2016], measures=["sds_users", "dp_users"], n_regions=3
    )


def test_check_parameters_resolves_names(cube):
    resolved = outputs.check_parameters(
        cube, measure="dp_users", year=2016, council="council 3", region="north west", kind="hex"
    )
    assert resolved == {
        "measure": "dp_users",
        "year": 2016,
        "council": "E06000003",
        "region": "E12000002",
        "kind": "hex",
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"measure": "sds"}, UnknownMeasureError, "choose one of"),
        ({"year": 2011}, MissingYearError, "years with data: \\[2015, 2016\\]"),
        ({"council": "Counci 7"}, UnknownCouncilError, "close matches"),
        ({"region": "Wessex"}, ValueError, "choose one of"),
        ({"kind": "dots"}, ValueError, "kind must be one of"),
    ],
)
def test_check_parameters_rejects_bad_values(cube, kwargs, error, message):
    with pytest.raises(error, match=message):
        outputs.check_parameters(cube, **kwargs)


def test_a_year_without_figures_for_the_measure_is_refused(cube):
    cube["value"].loc[{"year": 2015, "measure": "dp_users"}] = float("nan")
    with pytest.raises(MissingYearError, match="dp_users has no published figure for 2015"):
        outputs.check_parameters(cube, measure="dp_users", year=2015)


def test_provenance_names_the_geography_of_the_year(cube):
    record = outputs.provenance(cube, {"year": 2016, "measure": "sds_users"})
    assert record["geography_vintage"] == str(cube.geography_vintage.sel(year=2016).item())
    assert record["data_version"] == cube.attrs["data_version"]
    assert record["parameters"] == {"year": 2016, "measure": "sds_users"}


def test_tables_round_trip_with_their_record(cube, tmp_path):
    table = cube.value.sel(year=2015).to_pandas().reset_index()
    record = outputs.provenance(cube, {"year": 2015})
    path = outputs.save_table(table, tmp_path, "values", record)
    # plain CSV: the first line is the header, readable with no options
    assert path.read_text().splitlines()[0] == ",".join(map(str, table.columns))
    pd.testing.assert_frame_equal(pd.read_csv(path), table, check_dtype=False, check_names=False)
    assert outputs.table_record(path) == record
    sidecar = json.loads((tmp_path / "values.csv-metadata.json").read_text())
    assert sidecar["url"] == "values.csv"
    assert [c["name"] for c in sidecar["tableSchema"]["columns"]] == list(map(str, table.columns))
    back = outputs.read_table(path)
    assert back.shape == table.shape
    written = outputs.write_record(tmp_path, record, [path])
    assert json.loads(written.read_text())["outputs"] == ["values.csv"]
