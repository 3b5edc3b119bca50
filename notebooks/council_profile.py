# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Council profile
#
# One council against its region, councils of the same type and England, over every year with data: take-up of
# self-directed support and of direct payments, the direct-payment share of self-directed support, and where the
# council sits on a funnel plot once chance is allowed for.

# %% tags=["parameters"]
council = "E08000003"  # GSS code or council name
output_dir = "outputs/council_profile"

# %%
from pathlib import Path

from IPython.display import display

import personalisation as pz
from personalisation import outputs

cube = pz.load_cube()
england = pz.load_cube(geography_level="england")  # the publishers' own England figures
output_dir = Path(output_dir)
written = []
outputs.check_parameters(cube, council=council)
# A council made by a reorganisation (North Yorkshire, 2023) is followed back through its
# predecessors: the cube is then harmonised onto today's councils.  An abolished council's
# profile is its own years; its successors are listed in the record below.
cube, found = pz.geo.council_series(cube, council)
code = found.code
record = outputs.provenance(cube, {"council": council, "council_code": code})
found

# %% [markdown]
# ## Trajectories against England

# %%
for measure in ("sds_users", "dp_users"):
    fig = pz.plot.trajectories(cube, measure, highlight=[code], england=england)
    written += outputs.save_figure(fig, output_dir, f"trajectory_{measure}", record)
    display(fig)

# %% [markdown]
# ## The council's figures

# %%
figures = cube.sel(council=code)[["numerator", "denominator", "value", "status"]]
# the cube stores status as int8 codes: decode to the names before comparing with a name
table = figures.assign(status=pz.decode_status(figures.status)).to_dataframe().reset_index()
table = table[table.status != "not-collected"]
written.append(outputs.save_table(table, output_dir, "figures", record))
table.pivot(index="year", columns="measure", values="value")

# %% [markdown]
# ## Direct payments as a share of self-directed support

# %%
mix = pz.stats.dp_mix(cube.sel(council=[code]), "dp_users")
written.append(outputs.save_table(mix, output_dir, "dp_mix", record))
mix

# %% [markdown]
# ## Compared with its statistical neighbours
#
# The ten councils the Department for Education's statistical-neighbour model (2025 model on the 2023
# councils, else the 2021 model) puts closest to this one, matched from DfE LA numbers to GSS codes through the
# mySociety register (`pz.neighbours(code)` shows how each was matched). **Caveat:** these groupings were built
# for children's services, not adult social care; they are a comparator set, not a claim that the councils face
# the same adult care needs.

# %%
comparison = pz.compare_with_neighbours(cube, code)
written.append(outputs.save_table(comparison.table, output_dir, "neighbours", record))
comparison

# %% [markdown]
# ## Allowing for chance: the funnel plot for the latest year with counts for this council

# %%
latest = pz.geo.latest_year(cube, code, "sds_users", counts=True)
fig = pz.plot.funnel(cube, "sds_users", latest, highlight=[code])
written += outputs.save_figure(fig, output_dir, f"funnel_sds_users_{latest}", record)
fig

# %%
outputs.write_record(output_dir, record, written)
