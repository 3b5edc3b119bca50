"""Write the parameterised notebooks of this folder from their cell text (run: python notebooks/make_notebooks.py).

The notebooks are committed as plain, unexecuted ``.ipynb`` files; this script is their source,
so a change of wording or parameters is one reviewable diff here.  Every notebook:

* has one cell tagged ``parameters`` (papermill injects values after it);
* checks its parameters against the shipped cube in the next cell (a bad value fails at once);
* holds narrative and calls into :mod:`personalisation`, not analysis logic;
* writes figures (PNG and PDF), tables (CSV) and ``record.json`` into ``output_dir``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = """\
from pathlib import Path

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []"""


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text: str, *, parameters: bool = False) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip())
    if parameters:
        cell.metadata["tags"] = ["parameters"]
    return cell


NOTEBOOKS: dict[str, list[nbformat.NotebookNode]] = {
    "takeup_map.ipynb": [
        md("""
# Take-up of a measure across English councils, one year

A map of one personalisation measure (for example the share of service users on self-directed support,
ASCOF 1C part 1A / 3D part 1A) for one year, on the council boundaries of that year's geography (`kind =
"polygons"`) or on an equal-area hex layout (`kind = "hex"`), where every council, however small, gets the same
space. Classes are quantiles of the councils' values; councils without a published figure are hatched and named
under "no data". Below the map: the council table behind it and a summary of the spread.
"""),
        code(
            """
measure = "sds_users"   # canonical measure id, see personalisation.measures.registry()
year = 2021             # year in which the financial year ends: 2021 means 2020-21
kind = "polygons"       # "polygons" (boundaries) or "hex" (hex layout)
output_dir = "outputs/takeup_map"
""",
            parameters=True,
        ),
        code(
            SETUP
            + """
outputs.check_parameters(cube, measure=measure, year=year, kind=kind)
record = outputs.provenance(cube, {"measure": measure, "year": year, "kind": kind})
record"""
        ),
        md("## The map"),
        code("""
draw = pz.plot.choropleth if kind == "polygons" else pz.plot.hexmap
fig = draw(cube, measure, year)
written += outputs.save_figure(fig, output_dir, f"map_{measure}_{year}_{kind}", record)
fig"""),
        md("""
## The figures behind the map

One row per council: numerator and denominator where they are published, the published value, its status, and
(where counts exist) a 95% Wilson interval.
"""),
        code("""
councils = pz.stats.wilson(cube, measure=measure, year=year) if cube.numerator.sel(
    measure=measure, year=year).notnull().any() else pz.to_geodataframe(cube, year, measure).drop(columns="geometry")
written.append(outputs.save_table(councils, output_dir, f"councils_{measure}_{year}", record))
councils.head(10)"""),
        md("## How wide is the variation?"),
        code("""
spread = pz.stats.variation(cube, measure=measure, year=year)
summary = spread.to_pandas().to_frame("value").reset_index(names="statistic") if hasattr(spread, "to_pandas") else spread
written.append(outputs.save_table(summary.astype(str), output_dir, f"variation_{measure}_{year}", record))
summary"""),
        md("""
## Is take-up spatially clustered?

Global Moran's I over land neighbours (queen contiguity; councils with no land neighbour, such as the Isles of
Scilly, are left out and listed as islands), with a permutation p-value, and each council's local (LISA) cluster:
HH and LL are clusters of high or low take-up, HL and LH are outliers among their neighbours.
"""),
        code("""
clusters = pz.stats.moran(cube, measure=measure, year=year)
print(f"Moran's I = {clusters.I:.3f} (expected {clusters.expected_I:.3f}), permutation p = {clusters.p_value:.3f}, n = {clusters.n}")
written.append(outputs.save_table(clusters.local, output_dir, f"lisa_{measure}_{year}", record))
clusters.local.quadrant.value_counts()"""),
        code("outputs.write_record(output_dir, record, written)"),
    ],
    "regional_comparison.ipynb": [
        md("""
# Regional comparison of take-up

Is variation regional? Each region's **pooled** rate (summed numerators over summed denominators, never an average
of council rates) with its 95% Wilson interval and the spread of its councils, the same by council type, and a
closer look at one region's councils. Years without published numerators and denominators (2019-20 and 2021-22 to
2023-24) have no pooled rates: the table says so.
"""),
        code(
            """
measure = "sds_users"
year = 2021
region = "London"       # region name or E12 code
output_dir = "outputs/regional_comparison"
""",
            parameters=True,
        ),
        code(
            SETUP
            + """
resolved = outputs.check_parameters(cube, measure=measure, year=year, region=region)
record = outputs.provenance(cube, {"measure": measure, "year": year, "region": region})
record"""
        ),
        md("## Councils within regions, with each region's pooled rate"),
        code("""
fig = pz.plot.regions(cube, measure, year)
written += outputs.save_figure(fig, output_dir, f"regions_{measure}_{year}", record)
fig"""),
        md("## Pooled rates by region and by council type"),
        code("""
by_region = pz.stats.regional(cube, measure=measure, year=year, by="region")
by_type = pz.stats.regional(cube, measure=measure, year=year, by="council_type")
written.append(outputs.save_table(by_region, output_dir, f"regions_{measure}_{year}", record))
written.append(outputs.save_table(by_type, output_dir, f"council_types_{measure}_{year}", record))
by_region[["group_name", "n_councils", "pooled_rate", "ci_low", "ci_high", "unweighted_mean", "rank", "reason"]]"""),
        md("## The chosen region's councils"),
        code("""
in_region = cube.sel(council=cube.region_code == resolved["region"])
region_name = str(in_region.region_name.values[0])
fig = pz.plot.regions(in_region, measure, year, by="council_type",
                      title=f"{region_name}: councils by type, {in_region.period.sel(year=year).item()}")
written += outputs.save_figure(fig, output_dir, f"region_{resolved['region']}_{measure}_{year}", record)
spread = pz.stats.variation(in_region, measure=measure, year=year).to_pandas()
written.append(outputs.save_table(spread.astype(str).to_frame("value").reset_index(names="statistic"),
                                  output_dir, f"variation_{resolved['region']}_{measure}_{year}", record))
fig"""),
        code("outputs.write_record(output_dir, record, written)"),
    ],
    "variation_over_time.ipynb": [
        md("""
# Is the variation between councils closing?

Councils are first put on one geography (`pz.harmonise`, which sums numerators and denominators through
reorganisations and recomputes rates), so that a council means the same area in every year. Then:
**sigma-convergence** (does the dispersion of council rates shrink?), **beta-convergence** (do councils that
started low catch up?), rank stability between years, and every council's trajectory.
"""),
        code(
            """
measure = "sds_users"
from_year = 2015
to_year = 2024
output_dir = "outputs/variation_over_time"
""",
            parameters=True,
        ),
        code(
            SETUP
            + """
outputs.check_parameters(cube, measure=measure, years=[from_year, to_year])
if from_year >= to_year:
    raise ValueError(f"from_year ({from_year}) must be before to_year ({to_year})")
years = [int(y) for y in cube.year.values if from_year <= y <= to_year]
harmonised = pz.harmonise(cube.sel(year=years, measure=[measure]), to=pz.geo.vintage_for_year(to_year))
record = outputs.provenance(harmonised, {"measure": measure, "from_year": from_year, "to_year": to_year})
record"""
        ),
        md("## Trajectories"),
        code("""
fig = pz.plot.trajectories(harmonised, measure, england=england)
written += outputs.save_figure(fig, output_dir, f"trajectories_{measure}_{from_year}_{to_year}", record)
fig"""),
        md("""
## Maps, one panel per year, on one geography and one colour scale

Class breaks are pooled over the years, so a colour means the same rate in every panel. Councils split after the
first year are drawn whole (e.g. Northamptonshire): where the years have only rates and no counts, such a unit
cannot be recomputed and is hatched as "no data" rather than averaged.
"""),
        code("""
fig = pz.plot.small_multiples(harmonised, measure, ncols=5)
written += outputs.save_figure(fig, output_dir, f"maps_{measure}_{from_year}_{to_year}", record)
fig"""),
        md("## Spread year by year"),
        code("""
spread = pz.stats.variation(harmonised, measure=measure).to_dataframe().reset_index()
written.append(outputs.save_table(spread, output_dir, f"variation_{measure}_{from_year}_{to_year}", record))
spread[["year", "n_councils", "min", "q1", "median", "q3", "max", "iqr", "cv", "gini", "between_region_share"]]"""),
        md("## Convergence"),
        code("""
result = pz.stats.convergence(harmonised, measure=measure, start=from_year, end=to_year)
written.append(outputs.save_table(result.sigma, output_dir, f"sigma_{measure}_{from_year}_{to_year}", record))
written.append(outputs.save_table(result.ranks, output_dir, f"ranks_{measure}_{from_year}_{to_year}", record))
print(f"sigma slope per year: {result.sigma_slope:.4f} (p = {result.sigma_p_value:.3f})")
print(f"beta: {result.beta}")
result.ranks"""),
        md("## Each council's change"),
        code("""
changes = pz.stats.change(harmonised, measure=measure, start=from_year, end=to_year)
written.append(outputs.save_table(changes, output_dir, f"change_{measure}_{from_year}_{to_year}", record))
changes.sort_values("change").head(10)"""),
        code("outputs.write_record(output_dir, record, written)"),
    ],
    "council_profile.ipynb": [
        md("""
# Council profile

One council against its region, councils of the same type and England, over every year with data: take-up of
self-directed support and of direct payments, the direct-payment share of self-directed support, and where the
council sits on a funnel plot once chance is allowed for.
"""),
        code(
            """
council = "E08000003"   # GSS code or council name
output_dir = "outputs/council_profile"
""",
            parameters=True,
        ),
        code(
            SETUP
            + """
code = outputs.check_parameters(cube, council=council)["council"]
name = str(cube.council_name.sel(council=code).item())
region = str(cube.region_name.sel(council=code).item())
record = outputs.provenance(cube, {"council": council, "council_code": code})
print(f"{name} ({code}), {cube.council_type.sel(council=code).item()}, {region}")"""
        ),
        md("## Trajectories against England"),
        code("""
for measure in ("sds_users", "dp_users"):
    with_data = [int(y) for y in cube.year.values if cube.value.sel(year=y, measure=measure).notnull().any()]
    fig = pz.plot.trajectories(cube, measure, highlight=[code], years=with_data, england=england)
    written += outputs.save_figure(fig, output_dir, f"trajectory_{measure}", record)
    display(fig)"""),
        md("## The council's figures"),
        code("""
table = cube.sel(council=code)[["numerator", "denominator", "value", "status"]].to_dataframe().reset_index()
table = table[table.status != "not-collected"]
written.append(outputs.save_table(table, output_dir, "figures", record))
table.pivot(index="year", columns="measure", values="value")"""),
        md("## Direct payments as a share of self-directed support"),
        code("""
mix = pz.stats.dp_mix(cube, by="council")
mix = mix[mix.council == code] if "council" in mix.columns else mix
written.append(outputs.save_table(mix, output_dir, "dp_mix", record))
mix"""),
        md("## Allowing for chance: the funnel plot for the latest year with counts"),
        code("""
with_counts = [int(y) for y in cube.year.values
               if cube.denominator.sel(year=y, measure="sds_users").notnull().any()]
latest = max(with_counts)
fig = pz.plot.funnel(cube, "sds_users", latest, overdispersion="additive", highlight=[code])
written += outputs.save_figure(fig, output_dir, f"funnel_sds_users_{latest}", record)
fig"""),
        code("outputs.write_record(output_dir, record, written)"),
    ],
    "targets.ipynb": [
        md("""
# Did councils meet a take-up target?

National ambitions were 30% of eligible users on personal budgets by April 2011 and all of them (later read as
70%) by April 2013. Council figures for 2010-11 to 2013-14 are not held (no published council file was found), so
this notebook tests a threshold against any year that is held: how many and which councils met it, how many
stayed under a lower threshold, by region.
"""),
        code(
            """
threshold = 70          # percent of users on self-directed support
lower = 50              # percent: councils below this are listed as well
target_year = 2015      # year in which the financial year ends
measure = "sds_users"
output_dir = "outputs/targets"
""",
            parameters=True,
        ),
        code(
            SETUP
            + """
outputs.check_parameters(cube, measure=measure, year=target_year)
threshold, lower = outputs.as_percent(threshold, "threshold"), outputs.as_percent(lower, "lower")
record = outputs.provenance(cube, {"threshold": threshold, "lower": lower, "target_year": target_year, "measure": measure})
result = pz.stats.targets(cube, measure=measure, year=target_year, threshold=threshold / 100, lower=lower / 100)
record"""
        ),
        md("## By region"),
        code("""
written.append(outputs.save_table(result.summary, output_dir, f"targets_by_region_{target_year}", record))
written.append(outputs.save_table(result.councils, output_dir, f"targets_councils_{target_year}", record))
result.summary[["group_name", "n_assessed", "n_met", "share_met", "n_below_lower"]]"""),
        md("## Where the councils that met it are"),
        code("""
fig = pz.plot.choropleth(cube, measure, target_year)
written += outputs.save_figure(fig, output_dir, f"map_{measure}_{target_year}", record)
print(f"{len(result.met)} councils met {threshold}% in {target_year}")
fig"""),
        code("outputs.write_record(output_dir, record, written)"),
    ],
}


def write_all(folder: Path = HERE) -> list[Path]:
    """Write every notebook into ``folder``; returns the paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        notebook = nbformat.v4.new_notebook(cells=cells)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        notebook.metadata["language_info"] = {"name": "python"}
        for index, cell in enumerate(notebook.cells):
            cell["id"] = f"{Path(name).stem[:20]}-{index:02d}"
        path = folder / name
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path)
