"""IMD covariates (pz.covariates), take-up against deprivation (stats and plot)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

import personalisation as pz
from personalisation.build.readers.imd import read_imd_summaries
from personalisation.errors import SourceFormatError
from personalisation.stats.deprivation import spearman_interval

IMD2015 = "covariates/imd/File_11_ID_2015_Upper-tier_Local_Authority_Summaries.xlsx"
IMD2019 = "covariates/imd/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx"


def _value(table, code, variable):
    hit = table[(table.council_code == code) & (table.variable == variable)]
    assert len(hit) == 1, (code, variable)
    return hit.iloc[0]


@pytest.mark.raw
@pytest.mark.parametrize(
    ("relative", "n", "checks"),
    [
        (IMD2015, 152, {("E08000003", "imd_average_rank"): 26366.82,
                        ("E08000003", "imd_rank_of_average_rank"): 1,
                        ("E08000003", "imd_average_score"): 40.512,
                        ("E10000027", "imd_average_rank"): 15130.74,
                        ("E10000027", "imd_rank_of_average_rank"): 98}),
        (IMD2019, 151, {("E08000003", "imd_average_rank"): 26417.75,
                        ("E08000003", "imd_rank_of_average_rank"): 2,
                        ("E08000003", "imd_average_score"): 40.005,
                        ("E10000027", "imd_rank_of_average_rank"): 92}),
    ],
)  # fmt: skip
def test_imd_reader_spot_checks(raw_dir: Path, build_extra, relative, n, checks):
    table = read_imd_summaries(raw_dir / relative)
    assert table.council_code.nunique() == n
    for (code, variable), expected in checks.items():
        assert _value(table, code, variable).value == expected
    assert table.variable.nunique() == 10


def test_imd_reader_refuses_other_books(build_extra, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "IMD"
    book.active.append(["Local Authority code", "name"])
    path = tmp_path / "File_11_2019.xlsx"
    book.save(path)
    with pytest.raises(SourceFormatError, match=r"sheet 'IMD': first column"):
        read_imd_summaries(path)


def test_covariates_on_their_own_geography_and_carried():
    own = pz.covariates("IMD 2019")
    assert own.council_code.nunique() == 151
    assert _value(own, "E08000003", "imd_rank_of_average_rank").value == 2
    carried = pz.covariates("IMD 2019", vintage="2023")
    assert carried.council_code.nunique() == 153
    somerset = _value(carried, "E06000066", "imd_rank_of_average_rank")
    assert somerset.value == 92 and somerset.status == "same-area"  # Somerset CC's rank
    cumberland = _value(carried, "E06000063", "imd_average_score")
    assert np.isnan(cumberland.value) and cumberland.status == "not-computable"
    assert "not a rank among" in carried.attrs["harmonised_rank"]
    bcp = _value(pz.covariates("IMD 2015", vintage="2019"), "E06000058", "imd_average_score")
    assert bcp.status == "not-computable"
    with pytest.raises(ValueError, match="carried forward"):
        pz.covariates("IMD 2019", vintage="2013")
    with pytest.raises(KeyError, match="editions"):
        pz.covariates("IMD 2010")


def test_spearman_interval_against_a_hand_computation():
    low, high = spearman_interval(0.5, 103)
    se = np.sqrt(1.06 / 100)
    z = np.arctanh(0.5)
    assert low == pytest.approx(np.tanh(z - 1.959963985 * se))
    assert high == pytest.approx(np.tanh(z + 1.959963985 * se))
    assert np.isnan(spearman_interval(0.5, 3)[0])


def test_deprivation_on_the_real_cube():
    cube = pz.load_cube(measures=["sds_users"])
    result = pz.stats.deprivation(cube, "sds_users", [2019, 2024])
    summary = result.summary.set_index("year")
    assert summary.loc[2019, "edition"] == "IMD 2015" and summary.loc[2024, "edition"] == "IMD 2019"
    part = result.councils[(result.councils.year == 2019) & result.councils.included]
    rho, _ = sps.spearmanr(part.deprivation, part.rate)  # peer computation
    assert summary.loc[2019, "spearman"] == pytest.approx(rho)
    assert summary.loc[2019, "ci_low"] < rho < summary.loc[2019, "ci_high"]
    manchester = part.set_index("council").loc["E08000003"]
    assert manchester.deprivation == 40.512 and manchester.rate == 67.5
    slope, intercept = np.polyfit(part.deprivation, part.rate, 1)
    assert summary.loc[2019, "slope"] == pytest.approx(slope)
    left = result.councils[(result.councils.year == 2024) & ~result.councils.included]
    assert {"E06000063", "E06000064"} <= set(left.council)  # Cumbria successors: no IMD value
    assert left.set_index("council").loc["E06000063", "reason"].startswith("no IMD value")


def test_deprivation_figure():
    cube = pz.load_cube(measures=["sds_users"])
    result = pz.stats.deprivation(cube, "sds_users", [2019, 2025])
    fig = pz.plot.deprivation(result, label=3, highlight=["E08000003"])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    first = axes[0]
    assert any(c.get_gid() == "councils" for c in first.collections)
    assert any(line.get_gid() == "fitted" for line in first.lines)
    labels = [t.get_text() for t in first.texts if t.get_gid() == "council_label"]
    assert "Manchester" in labels and len(labels) == 4
    assert "Spearman" in first.get_title() and "2018-19" in first.get_title()
    with pytest.raises(ValueError, match="not in the result"):
        pz.plot.deprivation(result, [2010])


def test_deprivation_result_and_figure_follow_the_house_contract():
    from matplotlib.figure import Figure

    cube = pz.load_cube(measures=["sds_users"])
    result = pz.stats.deprivation(cube, "sds_users", [2019, 2025])
    frame = result.to_frame()
    assert frame.attrs == {} and list(frame["year"]) == [2019, 2025]
    assert result.units["intercept"] == "percent" and result.units["spearman"] == "1"
    assert result.years == (2019, 2025) and len(result.n_used) == 2
    assert "Take-up against deprivation" in result.caption()
    assert "<table" in result._repr_html_()
    host = Figure(figsize=(8, 4))
    left, right = host.subplots(1, 2)
    assert pz.plot.deprivation(result, ax=[left, right], label=0) is host
    assert left.get_title().startswith("2018-19") and right.get_title().startswith("2024-25")
    assert left.get_ylabel().startswith("Service users receiving self-directed support")
    assert [t.get_gid() for t in host.texts].count("source_note") == 1
    with pytest.raises(ValueError, match="one per year"):
        pz.plot.deprivation(result, ax=[left])
