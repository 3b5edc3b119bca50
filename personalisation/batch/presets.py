"""Named batches (``--preset``): notebooks with grids whose values come from the shipped data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from personalisation.batch.grid import LazyValues

__all__ = ["PRESETS", "Preset"]


def _ascof_measures() -> list[str]:
    from personalisation import measures

    return list(measures.ASCOF_MEASURES)


def _ascof_years() -> list[int]:
    """Years (ending March) with council ASCOF 1C/3D figures, from the measure registry."""
    from personalisation import measures

    return sorted(measures.period_to_year(p) for p in measures.get("sds_users").codes)


def _first_ascof_year() -> list[int]:
    return _ascof_years()[:1]


def _last_ascof_year() -> list[int]:
    return _ascof_years()[-1:]


def _first_and_last_ascof_year() -> list[int]:
    years = _ascof_years()
    return [years[0], years[-1]]


def _last_year_with_counts() -> list[int]:
    """The last year whose council ASCOF figures come with numerators and denominators
    (pooled regional rates and intervals need them), from the shipped cube."""
    cube = _shipped_cube()
    counts = cube["denominator"].sel(measure="sds_users").notnull().any("council")
    return [int(cube["year"].values[counts.values].max())]


def _shipped_cube() -> Any:
    from personalisation import load_cube

    return load_cube()


def _regions() -> list[str]:
    """Every region name in the shipped cube, sorted."""
    cube = _shipped_cube()
    return sorted({str(name) for name in cube["region_name"].values})


def _councils() -> list[str]:
    """The councils (GSS codes, sorted) in force in the geography of the cube's latest year.

    Not every code ever in the cube: councils abolished in a reorganisation are left out
    (profile one with ``-p council=CODE``: its years, then its successors).
    """
    from personalisation.geo import register

    cube = _shipped_cube()
    vintage = register.vintage_for_year(int(cube["year"].max()))
    in_cube = {str(code) for code in cube["council"].values}
    return sorted(set(register.councils(vintage)["council_code"]) & in_cube)


@dataclass(frozen=True)
class Preset:
    """A named batch: notebook file names (in the notebooks folder) with their grids.

    Examples
    --------
    >>> PRESETS["main"].notebooks()[:1]
    ['takeup_map.ipynb']
    """

    name: str
    description: str
    plan: tuple[tuple[str, Mapping[str, Any]], ...]

    def notebooks(self) -> list[str]:
        """The notebook file names, in run order."""
        return [notebook for notebook, _ in self.plan]


_FIRST_LAST = LazyValues(
    "first and last ASCOF year in the measure registry", _first_and_last_ascof_year
)
_LAST = LazyValues("last ASCOF year in the measure registry", _last_ascof_year)
_LAST_COUNTS = LazyValues(
    "last ASCOF year with numerators and denominators in the shipped cube", _last_year_with_counts
)
_FIRST = LazyValues("first ASCOF year in the measure registry", _first_ascof_year)
_YEARS = LazyValues("every ASCOF year in the measure registry", _ascof_years)
_MEASURES = LazyValues("every ASCOF measure", _ascof_measures)
_REGIONS = LazyValues("every region in the shipped cube", _regions)
_COUNCILS = LazyValues(
    "every council in force in the geography of the shipped cube's latest year "
    "(153 for 2024; abolished councils left out)",
    _councils,
)

#: Named batches for ``personalisation run-notebooks --preset NAME``.  Regions are given by
#: name (the cube's ``region_name``), councils by GSS code, years as the year ending March.
PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="main",
            description=(
                "a representative batch on the shipped data: take-up maps (two measures, two "
                "years, polygons and hexes), one regional comparison, variation over time, "
                "targets, and two council profiles"
            ),
            plan=(
                (
                    "takeup_map.ipynb",
                    {
                        "measure": ["sds_users", "dp_users"],
                        "year": _FIRST_LAST,
                        "kind": ["polygons", "hex"],
                    },
                ),
                (
                    "regional_comparison.ipynb",
                    {"measure": "sds_users", "year": _LAST_COUNTS, "region": "London"},
                ),
                (
                    "variation_over_time.ipynb",
                    {"measure": ["sds_users", "dp_users"], "from_year": _FIRST, "to_year": _LAST},
                ),
                # 70 %: the national personal-budget ambition for April 2013.
                ("targets.ipynb", {"threshold": 70, "target_year": _LAST}),
                # Manchester (metropolitan district) and Kent (county): two council types.
                ("council_profile.ipynb", {"council": ["E08000003", "E10000016"]}),
                (
                    "personalisation_story.ipynb",
                    {"measure": "sds_users", "from_year": 2010, "to_year": 2025},
                ),
            ),
        ),
        Preset(
            name="smoke",
            description="one small run of every notebook (for tests and a quick check)",
            plan=(
                ("takeup_map.ipynb", {"measure": "sds_users", "year": _LAST, "kind": "hex"}),
                (
                    "regional_comparison.ipynb",
                    {"measure": "sds_users", "year": _LAST_COUNTS, "region": "London"},
                ),
                (
                    "variation_over_time.ipynb",
                    {"measure": "sds_users", "from_year": _FIRST, "to_year": _LAST},
                ),
                ("targets.ipynb", {"threshold": 70, "target_year": _LAST}),
                ("council_profile.ipynb", {"council": "E08000003"}),
                (
                    "personalisation_story.ipynb",
                    {"measure": "sds_users", "from_year": 2010, "to_year": 2025},
                ),
            ),
        ),
        Preset(
            name="all-years",
            description="take-up maps for every ASCOF measure x every year x polygons and hexes",
            plan=(
                (
                    "takeup_map.ipynb",
                    {"measure": _MEASURES, "year": _YEARS, "kind": ["polygons", "hex"]},
                ),
            ),
        ),
        Preset(
            name="all-regions",
            description="regional comparison for every region x every year (sds_users, dp_users)",
            plan=(
                (
                    "regional_comparison.ipynb",
                    {"measure": ["sds_users", "dp_users"], "year": _YEARS, "region": _REGIONS},
                ),
            ),
        ),
        Preset(
            name="all-councils",
            description=(
                "a profile of every council in force at the latest year of the shipped data "
                "(not every code ever published: abolished councils are left out)"
            ),
            plan=(("council_profile.ipynb", {"council": _COUNCILS}),),
        ),
    )
}
