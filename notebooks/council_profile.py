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
    with_data = [
        int(y) for y in cube.year.values if cube.value.sel(year=y, measure=measure).notnull().any()
    ]
    fig = pz.plot.trajectories(cube, measure, highlight=[code], years=with_data, england=england)
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
# The ten councils the Department for Education's statistical-neighbour model (2025 model on the 2023 councils,
# else the 2021 model) puts closest to this one, matched from DfE LA numbers to GSS codes through the mySociety
# register (`lookup_method` says how). **Caveat:** these groupings were built for children's services, not adult
# social care; they are a comparator set, not a claim that the councils face the same adult care needs.

# %%
comparators = None
for model in ("DfE 2025", "DfE 2021"):
    try:
        comparators = pz.neighbours(code, model=model)
        break
    except KeyError as error:
        print(error)
if comparators is not None:
    codes = [c for c in comparators.neighbour_code if c in cube.council.values]
    latest = max(
        int(y)
        for y in cube.year.values
        if bool(cube.value.sel(council=code, year=y, measure="sds_users").notnull())
    )
    peers = cube.value.sel(council=codes, year=latest).to_pandas()
    comparison = comparators.set_index("neighbour_code")[
        ["rank", "neighbour_name", "closeness"]
    ].join(peers)
    own = cube.value.sel(council=code, year=latest).to_pandas()
    council_label = str(cube.council_name.sel(council=code).item())
    print(
        f"{council_label} in {latest - 1}-{str(latest)[-2:]} ({comparators.model.iloc[0]} neighbours): "
        f"sds_users {own['sds_users']:.1f}% against a neighbour median of "
        f"{comparison['sds_users'].median():.1f}%; {comparators.attrs['caveat']}."
    )
    written.append(outputs.save_table(comparison.reset_index(), output_dir, "neighbours", record))
    display(comparison)

# %% [markdown]
# ## Allowing for chance: the funnel plot for the latest year with counts for this council

# %%
with_counts = [
    int(y)
    for y in cube.year.values
    if bool(cube.denominator.sel(council=code, year=y, measure="sds_users").notnull())
]
latest = max(with_counts)
fig = pz.plot.funnel(cube, "sds_users", latest, highlight=[code])
written += outputs.save_figure(fig, output_dir, f"funnel_sds_users_{latest}", record)
fig

# %%
outputs.write_record(output_dir, record, written)
