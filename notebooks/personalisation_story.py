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

from IPython.display import display

import personalisation as pz
from personalisation import outputs

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
fig = pz.plot.national(series, measure, targets=targets)
written += outputs.save_figure(fig, output_dir, f"national_trajectory_{measure}", record)
fig

# %% [markdown]
# ## Councils: the reported extremes of 2009-10 and 2010-11 beside the published distribution from 2014-15

# %%
reported = pz.reported("personal_budget_takeup")
fig = pz.plot.council_spread(cube, measure, range(from_year, to_year + 1), reported=reported)
written += outputs.save_figure(fig, output_dir, f"council_distribution_{measure}", record)
fig

# %% [markdown]
# ## Who met 30% and 70%, in the years that can be assessed
#
# Only years with council figures can be assessed (from 2014-15). The targets were set for personal budgets
# (self-directed support); the table applies the same thresholds to the chosen measure.

# %%
assessed = pz.stats.targets(cube, measure, year=None, threshold="70%", lower="30%")
met = assessed.summary[assessed.summary.group_type == "England"]
met = met[(met.year >= from_year) & (met.year <= to_year)]
written.append(outputs.save_table(met, output_dir, f"met_targets_{measure}", record))
met[["year", "n_assessed", "n_met", "share_met", "n_below_lower"]].rename(
    columns={"n_met": "met_70", "share_met": "share_met_70 (%)", "n_below_lower": "below_30"}
)

# %% [markdown]
# ## Is the variation explained by need?
#
# Each council's rate against the average score of the English indices of deprivation (IMD 2015 up to 2018-19,
# IMD 2019 from 2019-20), in the first and last year of the period with both: the Spearman correlation with its
# interval and a least-squares line. Councils whose boundaries changed since the IMD's geography are left out and
# counted.

# %%
need = pz.stats.deprivation(cube, measure, year=[max(from_year, 2015), to_year])
written.append(outputs.save_table(need, output_dir, f"deprivation_{measure}", record))
fig = pz.plot.deprivation(need)
written += outputs.save_figure(fig, output_dir, f"deprivation_{measure}", record)
display(need, fig)

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
