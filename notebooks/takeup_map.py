# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Take-up of a measure across English councils, one year
#
# A map of one personalisation measure (for example the share of service users on self-directed support,
# ASCOF 1C part 1A / 3D part 1A) for one year, on the council boundaries of that year's geography (`kind =
# "polygons"`) or on an equal-area hex layout (`kind = "hex"`), where every council, however small, gets the same
# space. Classes are quantiles of the councils' values; councils without a published figure are hatched and named
# under "no data". Below the map: the council table behind it and a summary of the spread.

# %% tags=["parameters"]
measure = "sds_users"  # canonical measure id, see personalisation.measures.registry()
year = 2021  # year in which the financial year ends: 2021 means 2020-21
kind = "polygons"  # "polygons" (boundaries) or "hex" (hex layout)
output_dir = "outputs/takeup_map"

# %%
from pathlib import Path

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []
outputs.check_parameters(cube, measure=measure, year=year, kind=kind)
record = outputs.provenance(cube, {"measure": measure, "year": year, "kind": kind})
record

# %% [markdown]
# ## The map

# %%
draw = pz.plot.choropleth if kind == "polygons" else pz.plot.hexmap
fig = draw(cube, measure, year)
written += outputs.save_figure(fig, output_dir, f"map_{measure}_{year}_{kind}", record)
fig

# %% [markdown]
# ## The figures behind the map
#
# One row per council: numerator and denominator where they are published, the published value, and (where
# counts exist) a 95% Wilson interval; `reason` says why a council has no interval (or no value).

# %%
councils = pz.stats.wilson(cube, measure=measure, year=year, keep_rates=True)
written.append(outputs.save_table(councils, output_dir, f"councils_{measure}_{year}", record))
councils

# %% [markdown]
# ## How wide is the variation?

# %%
spread = pz.stats.variation(cube, measure=measure, year=year)
written.append(outputs.save_table(spread, output_dir, f"variation_{measure}_{year}", record))
spread

# %% [markdown]
# ## Is take-up spatially clustered?
#
# Global Moran's I over land neighbours (queen contiguity; councils with no land neighbour, such as the Isles of
# Scilly, are left out and listed as islands), with a permutation p-value, and each council's local (LISA) cluster:
# HH and LL are clusters of high or low take-up, HL and LH are outliers among their neighbours.

# %%
clusters = pz.stats.moran(cube, measure=measure, year=year)
written.append(outputs.save_table(clusters, output_dir, f"lisa_{measure}_{year}", record))
clusters

# %%
outputs.write_record(output_dir, record, written)
