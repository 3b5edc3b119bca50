"""Stata and Parquet exports of the tidy table, with their codebooks, read back by other readers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import personalisation as pz
from personalisation import export


@pytest.fixture(scope="module")
def tidy():
    return pz.load_tidy()


def test_stata_file_has_variable_and_value_labels(tidy, tmp_path):
    path = export.to_stata(tidy, tmp_path / "indicators.dta")
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        value_labels = reader.value_labels()
    assert labels["status"].startswith("Status of the figure")
    assert labels["year"] == export.COLUMN_LABELS["year"]
    (status_labels,) = value_labels.values()
    assert status_labels[0] == "published" and "suppressed" in status_labels.values()

    back = pd.read_stata(path)
    assert len(back) == len(tidy)
    assert back["status"].astype(str).tolist() == tidy["status"].astype(str).tolist()
    # numbers are the same, and missing stays missing (never zero)
    np.testing.assert_array_equal(back["value"].to_numpy(), tidy["value"].to_numpy())
    assert back["value"].isna().sum() == tidy["value"].isna().sum() > 0
    manchester = back[
        (back.council_code == "E08000003")
        & (back.year == 2021)
        & (back.measure == "sds_users")
        & (back.disaggregation == "Total")
    ]
    assert manchester["numerator"].item() == 3687 and manchester["denominator"].item() == 4091


def test_stata_export_is_reproducible(tidy, tmp_path):
    first = export.to_stata(tidy, tmp_path / "a.dta").read_bytes()
    second = export.to_stata(tidy, tmp_path / "b.dta").read_bytes()
    assert first == second


def test_codebook_beside_the_file_lists_every_variable(tidy, tmp_path):
    export.to_stata(tidy, tmp_path / "indicators.dta")
    book = pd.read_csv(tmp_path / "indicators.codebook.csv", keep_default_na=False)
    assert book["variable"].tolist() == list(tidy.columns)
    codes = book.set_index("variable").loc["status", "values"]
    assert codes.startswith("0 = published; 1 = suppressed")


def test_parquet_round_trips_with_the_codebook_in_its_metadata(tidy, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = export.to_parquet(tidy, tmp_path / "indicators.parquet")
    table = pq.read_table(path)
    book = json.loads(table.schema.metadata[b"personalisation.codebook"])
    assert [row["variable"] for row in book] == list(tidy.columns)
    pd.testing.assert_frame_equal(table.to_pandas(), tidy.reset_index(drop=True))


def test_an_unknown_status_is_refused(tidy, tmp_path):
    bad = tidy.head(3).copy()
    bad.loc[bad.index[0], "status"] = "guessed"
    with pytest.raises(ValueError, match="guessed"):
        export.to_stata(bad, tmp_path / "bad.dta")
