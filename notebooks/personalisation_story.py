# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The personalisation story: England from NI 130 to client level data
#
# Personal budgets went from a pilot to the default in adult social care between 2008 and 2015. This notebook
# tells that story from the figures that exist, and says plainly which kind each one is.
#
# **What can and cannot be said council by council before 2014-15.** No council file of NI 130 (2008-09,
# 2009-10) or of ASCOF 1C for 2010-11 to 2013-14 survives in reach. For those years the package holds only what
# the releases said at the time, as reported by the social-care press and the sector's bodies (England, two
# regions, and the lowest and highest council: Somerset and Manchester), plus the PSS-EX1 counts of direct
# payments. So before 2014-15 nothing can be said about the distribution of councils, their ranking, or which
# councils met the 30% and 70% targets; from 2014-15 every council's published ASCOF figure is held. The
# definitions change between the reported years and again at 2014-15 (SALT long-term support at 31 March),
# 2023-24 (renamed 3D) and 2024-25 (client level data, "official statistics in development"): the series are
# drawn apart, never as one line.

# %% tags=["parameters"]
measure = "sds_users"  # sds_users (personal budgets / self-directed support) or dp_users
from_year = 2010  # year in which the financial year ends: 2010 is 2009-10
to_year = 2025
output_dir = "outputs/personalisation_story"

# %%
from pathlib import Path

import numpy as np
import pandas as pd

import personalisation as pz
from personalisation import outputs
from personalisation.plot.figure import new_figure

if measure not in ("sds_users", "dp_users"):
    raise ValueError(f"measure must be 'sds_users' or 'dp_users', not {measure!r}")
if not 2009 <= int(from_year) < int(to_year) <= 2025:
    raise ValueError(f"need 2009 <= from_year < to_year <= 2025, got {from_year}, {to_year}")
cube = pz.load_cube(measures=["sds_users", "dp_users"])
output_dir = Path(output_dir)
written = []
record = outputs.provenance(cube, {"measure": measure, "from_year": from_year, "to_year": to_year})
series = pz.national_series(measure, surveys=True, start=from_year)
series = series[series.year <= to_year]
targets = pz.targets()
written.append(outputs.save_table(series, output_dir, f"national_series_{measure}", record))
series[["period", "as_at", "value", "series", "source", "qualifier", "series_break"]]

# %% [markdown]
# ## The national trajectory, the targets and the breaks
#
# Each series is its own line; dotted verticals mark every break; the targets are drawn as lines ending at
# their deadlines (30% by April 2011; 100% by April 2013, replaced on 26 October 2012 by 70%).

# %%
fig = new_figure((8.5, 4.8))
ax = fig.subplots()
yearly = series[series.as_at == ""]
for i, (name, part) in enumerate(yearly[yearly.series != ""].groupby("series", sort=False)):
    style = "o-" if part.source.iloc[0] == "published" else "s--"
    ax.plot(part.year, part.value, style, label=name, color=f"C{i}")
survey = series[series.as_at != ""]
if len(survey):
    ax.plot(
        survey.year, survey.value, "D", color="grey", label="ADASS / TLAP survey (eligible base)"
    )
for year, why in zip(yearly.year, yearly.series_break, strict=True):
    if why:
        ax.axvline(year - 0.5, color="#777777", linestyle=":", linewidth=1)
if measure == "sds_users":
    for target in targets.itertuples():
        deadline = target.deadline.year  # April of the deadline year = end of financial year
        ax.hlines(target.threshold_percent, from_year, deadline, colors="#b2182b", linestyles="-.")
        ax.annotate(
            f"{target.threshold_percent:.0f}% by {target.deadline:%b %Y}",
            (deadline, target.threshold_percent),
            fontsize=7,
            color="#b2182b",
            ha="right",
            va="bottom",
        )
ax.set_xlim(from_year - 0.7, to_year + 0.7)
ax.set_ylim(0, 105)
ax.set_xlabel("year ending 31 March")
ax.set_ylabel(f"{measure} (%)")
ax.set_title(
    f"England: {pz.measures.get(measure).label}, {from_year - 1}-{str(from_year)[-2:]} to "
    f"{to_year - 1}-{str(to_year)[-2:]}",
    fontsize=9,
)
ax.legend(fontsize=6, loc="lower right")
fig.text(
    0.01,
    0.005,
    "Reported figures: Community Care, Think Local Act Personal (cited row by row in "
    "pz.reported()); published: NHS Digital / NHS England / DHSC ASCOF (OGL v3).",
    fontsize=5.5,
)
written += outputs.save_figure(fig, output_dir, f"national_trajectory_{measure}", record)
fig

# %% [markdown]
# ## Councils: the reported extremes of 2009-10 and 2010-11 beside the published distribution from 2014-15

# %%
reported = pz.reported("personal_budget_takeup")
extremes = reported[reported.geography_code.str.match(r"^E(06|08|09|10)")]
values = cube.value.sel(measure=measure).to_pandas()
published_years = [
    int(y)
    for y in values.columns
    if from_year <= int(y) <= to_year and np.isfinite(values[y]).sum() > 0
]
fig = new_figure((8.5, 4.6))
ax = fig.subplots()
data = [values[y].dropna().to_numpy() for y in published_years]
if data:
    ax.boxplot(data, positions=published_years, widths=0.6, showfliers=True)
if measure == "sds_users":
    for row in extremes.itertuples():
        if from_year <= row.year <= to_year:
            ax.plot(row.year, row.value, "v" if row.value < 30 else "^", color="#b2182b")
            ax.annotate(
                f"{row.geography_name} {row.value:g}% (reported)",
                (row.year, row.value),
                fontsize=6,
                xytext=(4, 0),
                textcoords="offset points",
            )
ax.set_xticks(range(from_year, to_year + 1))
ax.tick_params(axis="x", labelsize=7, rotation=45)
ax.set_xlim(from_year - 0.7, to_year + 0.7)
ax.set_ylim(0, 105)
ax.set_xlabel("year ending 31 March")
ax.set_ylabel(f"{measure} (%)")
ax.set_title(
    "Council figures: reported extremes only before 2014-15; published distribution after",
    fontsize=9,
)
written += outputs.save_figure(fig, output_dir, f"council_distribution_{measure}", record)
fig

# %% [markdown]
# ## Who met 30% and 70%, in the years that can be assessed
#
# Only years with council figures can be assessed (from 2014-15). The targets were set for personal budgets
# (self-directed support); the table applies the same thresholds to the chosen measure.

# %%
rows = []
for year in published_years:
    v = values[year].dropna()
    rows.append(
        {
            "year": year,
            "period": str(cube.period.sel(year=year).item()),
            "councils_assessed": int(v.size),
            "met_30": int((v >= 30).sum()),
            "met_70": int((v >= 70).sum()),
            "share_met_70": float((v >= 70).mean()),
        }
    )
met = pd.DataFrame(rows)
written.append(outputs.save_table(met, output_dir, f"met_targets_{measure}", record))
met

# %% [markdown]
# ## Who manages the budget: the council-managed share
#
# Council-managed personal budgets as a share of all self-directed support. For 2021-22 it comes from the SALT
# LTS001b components (where no cell is suppressed); in other years from the ratio of published rates
# (``source`` says which). The ADASS / TLAP survey of April 2011 reported about two-thirds council-managed.

# %%
mix = pz.stats.dp_mix(cube).to_frame()  # one row per council and year, shares in percent
by_year = (
    mix.dropna(subset=["council_managed_share"])
    .groupby("year")
    .agg(
        councils=("council", "size"),
        median_council_managed=("council_managed_share", "median"),
        from_counts=("source", lambda s: int((s == "counts").sum())),
    )
    .reset_index()
)
by_year = by_year[(by_year.year >= from_year) & (by_year.year <= to_year)]
survey_share = pz.reported("share_managed_by_council")
written.append(outputs.save_table(by_year, output_dir, "council_managed_share", record))
print("reported (April 2011):", survey_share[["as_at", "value", "qualifier"]].to_dict("records"))
by_year

# %%
outputs.write_record(output_dir, record, written)
