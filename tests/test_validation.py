"""Range and consistency checks of the tidy validator (issue 10): impossible figures are
refused with the file, row, council, period and measure named, or withheld with a status."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import tidy_row

from personalisation.build.readers.cells import parse_published_number
from personalisation.build.readers.pss_ex1 import read_pss_ex1
from personalisation.cube import cube_from_tidy
from personalisation.errors import SchemaError
from personalisation.schema import decode_status, flag_inconsistent, validate_tidy

_spec = importlib.util.spec_from_file_location(
    "pss_helpers", Path(__file__).parent / "build" / "readers" / "test_pss_ex1.py"
)
pss_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pss_helpers)  # the synthetic PSS-EX1 files of the reader tests


def test_a_rate_above_100_is_refused_naming_row_council_period_measure() -> None:
    table = pd.DataFrame([tidy_row(), tidy_row(council_code="E08000004", value=895.0)])
    with pytest.raises(SchemaError) as info:
        validate_tidy(table, where="trend_data.csv")
    message = str(info.value)
    assert message.startswith("trend_data.csv: a rate (units %) outside [0, 100]")
    assert "E08000004" in message and "2020-21" in message and "sds_users" in message
    assert "895" in message and "E08000003" not in message
    # a published thousands separator read in a rate column: "1,000" is 1000
    number, status = parse_published_number("1,000")
    with pytest.raises(SchemaError, match="outside"):
        validate_tidy(pd.DataFrame([tidy_row(value=number, status=status)]))


def test_a_decimal_comma_count_is_refused() -> None:
    row = tidy_row(measure="dp_clients", value=2.635, numerator=np.nan, denominator=np.nan)
    row.update(definition="PSS-EX1 (RAP)", source="pss_ex1_2012_13", published_code="A4.18")
    with pytest.raises(SchemaError, match="not a whole number"):
        validate_tidy(pd.DataFrame([row]))
    with pytest.raises(SchemaError, match="numerator: a count of people that is not a whole"):
        validate_tidy(pd.DataFrame([tidy_row(numerator=3687.5)]))


def test_european_thousands_in_a_pss_ex1_file_stops_the_reader(tmp_path: Path) -> None:
    body = [
        ["101 - Alphashire ", "1,234", "..", "2.635", "15", "-"],
        ["102-Betaborough", "20", "5", "10", "0", "5"],
        ["TOTAL England", "1,255", "5", "10", "15", ".."],
    ]
    path = pss_helpers._wide(tmp_path, body)
    with pytest.raises(SchemaError) as info:
        read_pss_ex1(path, code_lookup=pss_helpers.LOOKUP)
    message = str(info.value)
    assert str(path) in message and "not a whole number" in message
    assert "E10000901" in message and "dp_clients" in message and "2012-13" in message


def test_a_band_above_its_total_is_withheld_with_its_numbers_kept(tmp_path: Path) -> None:
    body = [
        # 65 and over (col 3) = 30 above the all-ages total (col 4) = 10
        ["101 - Alphashire ", "1,234", "30", "10", "15", "-"],
        ["102-Betaborough", "20", "5", "10", "0", "5"],
        ["TOTAL England", "1,255", "35", "40", "15", ".."],
    ]
    tidy = read_pss_ex1(pss_helpers._wide(tmp_path, body), code_lookup=pss_helpers.LOOKUP)
    got = tidy.set_index(["council_code", "measure", "disaggregation"])
    band = got.loc[("E10000901", "dp_clients", "65 and over")]
    assert band["status"] == "inconsistent" and np.isnan(band["value"])
    assert got.loc[("E10000901", "dp_clients", "Total"), "value"] == 10.0  # total kept
    assert got.loc[("E06000902", "dp_clients", "65 and over"), "status"] == "published"
    [record] = tidy.attrs["inconsistent"]
    assert record["published_value"] == 30.0 and record["published_total"] == 10.0
    assert record["council_code"] == "E10000901" and record["period"] == "2012-13"
    # the validator itself refuses such a table when it has not been flagged
    raw = tidy.copy()
    raw.loc[
        (raw["council_code"] == "E10000901")
        & (raw["disaggregation"] == "65 and over")
        & (raw["measure"] == "dp_clients"),
        ["value", "status"],
    ] = [30.0, "published"]
    with pytest.raises(SchemaError, match="an age band above its Total"):
        validate_tidy(raw)
    flagged, records = flag_inconsistent(raw)
    assert len(records) == 1 and (flagged["status"] == "inconsistent").sum() == 1


def test_real_band_above_total_is_flagged_in_the_shipped_data() -> None:
    from personalisation.cube import load_metadata, load_tidy

    tidy = load_tidy()
    flagged = tidy[tidy["status"] == "inconsistent"]
    records = load_metadata()["inconsistencies"]
    assert len(flagged) == len(records) >= 1
    for record in records:
        row = flagged[
            (flagged["council_code"] == record["council_code"])
            & (flagged["period"] == record["period"])
            & (flagged["measure"] == record["measure"])
            & (flagged["disaggregation"] == record["disaggregation"])
        ]
        assert len(row) == 1 and np.isnan(row["value"].item())
        assert record["published_value"] > record["published_total"]
    # the Blackpool 2010-11 home-care 65+ figure above its all-ages total (PSS-EX1)
    assert any(
        r["council_code"] == "E06000009" and r["measure"] == "home_care_clients" for r in records
    )


def _england_and_councils(england_numerator: float) -> pd.DataFrame:
    rows = [
        tidy_row(council_code="E08000003", numerator=30.0, denominator=40.0, value=75.0),
        tidy_row(council_code="E08000004", numerator=10.0, denominator=10.0, value=100.0),
        tidy_row(
            council_code="E92000001",
            council_name="England",
            geography_level="england",
            numerator=england_numerator,
            denominator=50.0,
            value=80.0,
        ),
    ]
    return pd.DataFrame(rows)


def test_england_must_be_the_sum_of_its_councils_where_the_publication_sums() -> None:
    validate_tidy(_england_and_councils(40.0))  # 30 + 10
    with pytest.raises(SchemaError, match=r"England numerator 45 is not the sum .* \(40\)"):
        validate_tidy(_england_and_councils(45.0))
    # PSS-EX1 England rows include estimates (publisher's notes): not checked
    table = _england_and_councils(45.0).assign(definition="PSS-EX1 (RAP)")
    validate_tidy(table)
    # a suppressed council: the England figure includes it, nothing to compare
    table = _england_and_councils(45.0)
    table.loc[1, ["numerator", "denominator", "value", "status"]] = [
        np.nan,
        np.nan,
        np.nan,
        "suppressed",
    ]
    validate_tidy(table)


def test_not_applicable_is_its_own_status_through_the_cube() -> None:
    assert parse_published_number("[z]") == (pytest.approx(np.nan, nan_ok=True), "not-applicable")
    assert parse_published_number(" [z] ")[1] == "not-applicable"
    assert parse_published_number("[c]")[1] == "suppressed"
    row = tidy_row(council_code="E08000004", value=np.nan, status="not-applicable")
    row.update(numerator=np.nan, denominator=np.nan)
    cube = cube_from_tidy(validate_tidy(pd.DataFrame([tidy_row(), row])))
    cell = cube.sel(council="E08000004", year=2021, measure="sds_users")
    assert decode_status(cell.status).item() == "not-applicable" and np.isnan(cell.value.item())


def test_not_applicable_survives_harmonise() -> None:
    from personalisation.geo import harmonise

    row = tidy_row(council_code="E08000004", value=np.nan, status="not-applicable")
    row.update(numerator=np.nan, denominator=np.nan)
    cube = cube_from_tidy(validate_tidy(pd.DataFrame([tidy_row(), row])))
    out = harmonise(cube, to="2023")
    assert decode_status(
        out.status.sel(council="E08000004", year=2021, measure="sds_users")
    ).item() == ("not-applicable")
