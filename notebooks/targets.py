# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Did councils meet a take-up target?
#
# National ambitions were 30% of eligible users on personal budgets by April 2011 and all of them (later read as
# 70%) by April 2013. Council figures for 2010-11 to 2013-14 are not held (no published council file was found), so
# this notebook tests a threshold against any year that is held: how many and which councils met it, how many
# stayed under a lower threshold, by region.

# %% tags=["parameters"]
threshold = 70  # percent of users on self-directed support
lower = 50  # percent: councils below this are listed as well
target_year = 2015  # year in which the financial year ends
measure = "sds_users"
output_dir = "outputs/targets"

# %%
from pathlib import Path

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []
outputs.check_parameters(cube, measure=measure, year=target_year)
threshold, lower = outputs.as_percent(threshold, "threshold"), outputs.as_percent(lower, "lower")
record = outputs.provenance(
    cube, {"threshold": threshold, "lower": lower, "target_year": target_year, "measure": measure}
)
result = pz.stats.targets(cube, measure=measure, year=target_year, threshold=threshold, lower=lower)
record

# %% [markdown]
# ## By region

# %%
written.append(
    outputs.save_table(result.summary, output_dir, f"targets_by_region_{target_year}", record)
)
written.append(outputs.save_table(result, output_dir, f"targets_councils_{target_year}", record))
result

# %% [markdown]
# ## Where the councils that met it are

# %%
fig = pz.plot.choropleth(cube, measure, target_year)
written += outputs.save_figure(fig, output_dir, f"map_{measure}_{target_year}", record)
print(f"{len(result.met)} councils met {threshold}% in {target_year}")
fig

# %%
outputs.write_record(output_dir, record, written)
