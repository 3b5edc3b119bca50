"""The shipped data after issue 11: 2024-25, SALT 2021-22 components, population to mid-2023.

These read the shipped ``data/`` (built from the raw files by ``personalisation build-data``)
and compare with figures read off the raw files (``indicators/PROVENANCE.md`` 6-9).
"""

from __future__ import annotations

import numpy as np
import pytest

import personalisation as pz
from personalisation import stats
from personalisation.cube import load_metadata, load_tidy

MANCHESTER, SOMERSET_2021 = "E08000003", "E10000027"


@pytest.fixture(scope="module")
def tidy():
    return load_tidy()


def _row(tidy, code, measure, year, band="Total"):
    hit = tidy[
        (tidy.council_code == code)
        & (tidy.measure == measure)
        & (tidy.year == year)
        & (tidy.disaggregation == band)
    ]
    assert len(hit) == 1, (code, measure, year, band)
    return hit.iloc[0]


def test_every_new_raw_file_is_in_the_metadata_with_hash_and_licence():
    records = {s["source_id"]: s for s in load_metadata()["sources"]}
    expected = {
        "ascof_dhsc_2024_25": "e4b06416b2b5b31ba9c4db7d64f52cce5c8cffc95e391458e2e5c626f1439226",
        "salt_t38_2021_22": "f5cb529cd35f819949fc064337b105f968b06d841d9eb7e2a5f9c79c8ea63205",
        "salt_t47_2021_22": "f5cb529cd35f819949fc064337b105f968b06d841d9eb7e2a5f9c79c8ea63205",
        "ons_mye_2022": "408981f1aadd9d53f7cab738b0d67c896be33333e7e824a0f5e355a163d7ac64",
        "ons_mye_2023": "96dcbb73d01c2965a0e8173bdf736f04a16d91dc189c4a52220919792e5e2c94",
        "ons_mye4_2011_2023": "96dcbb73d01c2965a0e8173bdf736f04a16d91dc189c4a52220919792e5e2c94",
    }
    for source_id, sha in expected.items():
        assert records[source_id]["sha256"] == sha  # = the SHA256 in PROVENANCE.md
        assert records[source_id]["licence"] == "Open Government Licence v3.0"
        assert records[source_id]["rows"] > 0


def test_2021_22_counts_derived_from_salt_keep_the_published_rate(tidy):
    manchester = _row(tidy, MANCHESTER, "sds_users", 2022)
    assert (manchester.numerator, manchester.denominator, manchester.value) == (3535, 4005, 88.3)
    assert "derived from SALT LTS001b" in manchester.published_code
    assert _row(tidy, MANCHESTER, "dp_users", 2022).numerator == 650
    somerset = _row(tidy, SOMERSET_2021, "sds_users", 2022)
    assert (somerset.numerator, somerset.denominator, somerset.value) == (4095, 4240, 96.5)
    england = _row(tidy, "E92000001", "sds_users", 2022)
    assert (england.numerator, england.denominator) == (413530, 437680)
    # North Somerset has a [c] community cell: rate only
    north_somerset = _row(tidy, "E06000024", "sds_users", 2022)
    assert np.isnan(north_somerset.numerator) and north_somerset.status == "published"
    report = load_metadata()["derived_counts"]
    councils = {a["measure"]: a for a in report["agreement"] if a["geography_level"] == "council"}
    assert councils["sds_users"]["compared"] == 66
    assert councils["sds_users"]["max_abs_difference"] <= 0.47  # PROVENANCE section 7
    assert councils["dp_users"]["differing_over_0_5"] == 0


def test_salt_components_and_carers_are_measures_of_their_own(tidy):
    assert _row(tidy, "E92000001", "lts_dp_only", 2022).value == 90400
    assert _row(tidy, MANCHESTER, "lts_council_managed_pb", 2022, "65 and over").value == 1435
    assert _row(tidy, "E92000001", "carers_support_salt", 2022, "Direct Payment").value == 71710
    assert (
        not tidy[(tidy.measure == "sds_carers") & (tidy.year == 2022)]
        .source.str.contains("salt")
        .any()
    )


def test_population_to_mid_2023(tidy):
    assert _row(tidy, MANCHESTER, "population_18plus", 2022).value == 440609
    assert _row(tidy, MANCHESTER, "population_18plus", 2023).value == 450132
    assert _row(tidy, "E06000066", "population_18plus", 2023).value == 469541
    assert _row(tidy, "E92000001", "population_18plus", 2023).value == 45691677
    assert _row(tidy, "E06000066", "population_all_ages", 2011).value == 531581
    assert _row(tidy, "E92000001", "population_all_ages", 2022).value == 57112542
    years = sorted(tidy[tidy.measure == "population_all_ages"].year.unique())
    assert years == list(range(2011, 2024))


def test_cube_holds_2024_25_and_the_2021_22_counts():
    cube = pz.load_cube(measures=["sds_users", "dp_users"])
    assert int(cube.year.max()) == 2025
    with_counts = cube.denominator.sel(year=2022, measure="sds_users").notnull()
    assert int(with_counts.sum()) == 66


def test_dp_mix_answers_council_managed_share_for_2021_22():
    cube = pz.load_cube(measures=["sds_users", "dp_users"], years=[2022])
    table = stats.dp_mix(cube, "dp_users", 2022).table.set_index("council")
    manchester = table.loc[MANCHESTER]
    assert manchester.source == "counts"
    assert manchester.share == pytest.approx(100 * 650 / 3535)  # percent, like every rate
    assert manchester.council_managed_share == pytest.approx(100 * (1 - 650 / 3535))
    # a council with a suppressed SALT cell falls back to the published rates, and says so
    north_somerset = table.loc["E06000024"]
    assert north_somerset.source == "values"
    assert north_somerset.share == pytest.approx(
        100 * north_somerset.dp_rate / north_somerset.sds_rate
    )
    assert (table.source == "counts").sum() == 66
