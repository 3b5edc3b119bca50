# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Regional comparison of take-up
#
# Is variation regional? Each region's **pooled** rate (summed numerators over summed denominators, never an average
# of council rates) with its 95% Wilson interval and the spread of its councils, the same by council type, and a
# closer look at one region's councils. Years without published numerators and denominators (2019-20 and 2021-22 to
# 2023-24) have no pooled rates: the table says so.

# %% tags=["parameters"]
measure = "sds_users"
year = 2021
region = "London"  # region name or E12 code
output_dir = "outputs/regional_comparison"

# %%
from pathlib import Path

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []
resolved = outputs.check_parameters(cube, measure=measure, year=year, region=region)
record = outputs.provenance(cube, {"measure": measure, "year": year, "region": region})
record

# %% [markdown]
# ## Councils within regions, with each region's pooled rate

# %%
fig = pz.plot.regions(cube, measure, year)
written += outputs.save_figure(fig, output_dir, f"regions_{measure}_{year}", record)
fig

# %% [markdown]
# ## Pooled rates by region and by council type

# %%
by_region = pz.stats.regional(cube, measure=measure, year=year, by="region")
by_type = pz.stats.regional(cube, measure=measure, year=year, by="council_type")
written.append(outputs.save_table(by_region, output_dir, f"regions_{measure}_{year}", record))
written.append(outputs.save_table(by_type, output_dir, f"council_types_{measure}_{year}", record))
by_region

# %% [markdown]
# ## The chosen region's councils

# %%
in_region = cube.sel(council=cube.region_code == resolved["region"])
region_name = str(in_region.region_name.values[0])
fig = pz.plot.regions(
    in_region,
    measure,
    year,
    by="council_type",
    title=f"{region_name}: councils by type, {in_region.period.sel(year=year).item()}",
)
written += outputs.save_figure(
    fig, output_dir, f"region_{resolved['region']}_{measure}_{year}", record
)
spread = pz.stats.variation(in_region, measure=measure, year=year)
written.append(
    outputs.save_table(
        spread, output_dir, f"variation_{resolved['region']}_{measure}_{year}", record
    )
)
fig

# %%
outputs.write_record(output_dir, record, written)
