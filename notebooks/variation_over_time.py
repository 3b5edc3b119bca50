# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Is the variation between councils closing?
#
# Councils are first put on one geography (`pz.harmonise`, which sums numerators and denominators through
# reorganisations and recomputes rates), so that a council means the same area in every year. Then:
# **sigma-convergence** (does the dispersion of council rates shrink?), **beta-convergence** (do councils that
# started low catch up?), rank stability between years, and every council's trajectory.

# %% tags=["parameters"]
measure = "sds_users"
from_year = 2015
to_year = 2024
output_dir = "outputs/variation_over_time"

# %%
from pathlib import Path

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []
outputs.check_parameters(cube, measure=measure, years=[from_year, to_year])
if from_year >= to_year:
    raise ValueError(f"from_year ({from_year}) must be before to_year ({to_year})")
years = [int(y) for y in cube.year.values if from_year <= y <= to_year]
harmonised = pz.harmonise(
    cube.sel(year=years, measure=[measure]), to=pz.geo.vintage_for_year(to_year)
)
record = outputs.provenance(
    harmonised, {"measure": measure, "from_year": from_year, "to_year": to_year}
)
record

# %% [markdown]
# ## Trajectories

# %%
fig = pz.plot.trajectories(harmonised, measure, england=england)
written += outputs.save_figure(
    fig, output_dir, f"trajectories_{measure}_{from_year}_{to_year}", record
)
fig

# %% [markdown]
# ## Maps, one panel per year, on one geography and one colour scale
#
# Class breaks are pooled over the years, so a colour means the same rate in every panel. Councils split after the
# first year are drawn whole (e.g. Northamptonshire): where the years have only rates and no counts, such a unit
# cannot be recomputed and is hatched as "no data" rather than averaged.

# %%
fig = pz.plot.small_multiples(harmonised, measure, ncols=5)
written += outputs.save_figure(fig, output_dir, f"maps_{measure}_{from_year}_{to_year}", record)
fig

# %% [markdown]
# ## Spread year by year

# %%
spread = pz.stats.variation(harmonised, measure=measure)
written.append(
    outputs.save_table(spread, output_dir, f"variation_{measure}_{from_year}_{to_year}", record)
)
spread

# %% [markdown]
# ## Convergence
#
# Sigma-convergence (standard deviation and IQR of council rates by year), beta-convergence and rank stability.
# Series breaks of the measure inside the period (e.g. the 2023-24 ASCOF refresh) are named under the result;
# `breaks="stop"` would end the period before the first of them.

# %%
result = pz.stats.convergence(
    harmonised, measure=measure, year=[from_year, to_year], breaks="ignore"
)
written.append(
    outputs.save_table(result, output_dir, f"sigma_{measure}_{from_year}_{to_year}", record)
)
written.append(
    outputs.save_table(result.ranks, output_dir, f"ranks_{measure}_{from_year}_{to_year}", record)
)
result

# %% [markdown]
# ## Each council's change

# %%
changes = pz.stats.change(harmonised, measure=measure, year=[from_year, to_year], breaks="ignore")
written.append(
    outputs.save_table(changes, output_dir, f"change_{measure}_{from_year}_{to_year}", record)
)
changes

# %%
outputs.write_record(output_dir, record, written)
