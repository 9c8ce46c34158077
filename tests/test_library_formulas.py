"""The built-in library on plausible data: formulas give valid values, frameworks score the bundled
example, and the example is reproducible from its generator.

- every formula, evaluated on the typical-city profile (``examples/profiles/typical_city.yaml``),
  gives a finite value within the indicator's ``range``;
- every framework scores ``examples/cities-2023.xlsx`` through the command line: a finite overall
  score for every city, every node with data, every indicator computed;
- ``examples/make_examples.py`` regenerates the committed example files byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.engine.derive import derive
from citystd.library.formula import parse
from citystd.library.load import Library
from citystd.library.validate import validate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
XLSX = EXAMPLES / "cities-2023.xlsx"
CSV = EXAMPLES / "cities-2019-2023.csv"

runner = CliRunner()


@cache
def generator() -> ModuleType:
    """``examples/make_examples.py`` as a module (``examples/`` is not a package)."""
    path = EXAMPLES / "make_examples.py"
    spec = importlib.util.spec_from_file_location("citystd_make_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@cache
def library() -> Library:
    lib, _ = validate()
    return lib


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def test_profile_has_every_variable_and_direct_indicator() -> None:
    lib = library()
    profile = generator().load_profile()
    wanted = generator().profile_ids(lib)
    missing = [i for i in wanted if i not in profile]
    stale = sorted(set(profile) - set(wanted))
    assert not missing, f"the profile lacks {len(missing)} id(s): {', '.join(missing)}"
    assert not stale, f"the profile has ids the library no longer defines: {', '.join(stale)}"


def test_profile_values_are_within_their_ranges() -> None:
    lib = library()
    profile = generator().load_profile()
    bad = []
    for id_ in generator().profile_ids(lib):
        obj = lib.variables.get(id_) or lib.indicators[id_]
        lo, hi = obj.range
        v = profile.get(id_, math.nan)
        if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            bad.append(f"{id_} = {_fmt(v)} outside [{lo}, {hi}]")
    assert not bad, "profile values out of range:\n" + "\n".join(bad)


def test_every_formula_gives_a_valid_value_on_the_typical_city() -> None:
    """All failures at once: indicator, formula, value and the inputs it was computed from."""
    lib = library()
    profile = generator().load_profile()
    with_formula = [i for i, ind in lib.indicators.items() if ind.formula is not None]
    assert with_formula
    row = pd.DataFrame([profile], index=pd.MultiIndex.from_tuples([("typical", 2023)], names=["unit", "year"]))
    values, diags = derive(row, lib, list(lib.indicators))
    env = {**profile, **{i: float(values[i].iloc[0]) for i in values.columns}}
    failures = [f"{d.code} {d.message.en}" for d in diags]
    for ind_id in with_formula:
        ind = lib.indicators[ind_id]
        v = float(values[ind_id].iloc[0])
        lo, hi = ind.range
        if math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi):
            continue
        inputs = ", ".join(f"{n} = {_fmt(env.get(n, math.nan))}" for n in parse(ind.formula).names)
        failures.append(f"{ind_id} = {_fmt(v)}, range [{lo}, {hi}]: {ind.formula}  with {inputs}")
    assert not failures, f"{len(failures)} formula(s) fail on the typical city:\n" + "\n".join(failures)


def _score(data: Path, framework: str | None) -> dict:
    args = ["score", str(data), "--format", "json"]
    if framework is not None:
        args += ["-f", framework]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, f"exit {r.exit_code}\n{r.stdout[-3000:]}\n{getattr(r, 'stderr', '')[-3000:]}"
    return json.loads(r.stdout)


def _frameworks() -> list[str]:
    return sorted(library().frameworks)


def test_the_library_has_frameworks() -> None:
    assert "action-plan" in _frameworks()


@pytest.mark.parametrize("framework", _frameworks())
def test_every_framework_scores_the_example(framework: str) -> None:
    doc = _score(XLSX, framework)
    cities = [name for name, _ in generator().CITIES]
    results = doc["results"]
    assert sorted(r["city"] for r in results) == sorted(cities)
    fw = library().frameworks[framework]
    problems = []
    for r in results:
        city = r["city"]
        if r["score"] is None or not math.isfinite(r["score"]):
            problems.append(f"{city}: overall score {r['score']}")
        for node_id, node in r["nodes"].items():
            if not node["coverage"] or node["coverage"] <= 0:
                problems.append(f"{city}: node {node_id} has coverage {node['coverage']}")
        for ind_id, ind in r["indicators"].items():
            if ind["value"] is None or not math.isfinite(ind["value"]):
                problems.append(f"{city}: indicator {ind_id} not computed ({library().indicators[ind_id].formula})")
    assert set(doc["indicators"]) <= set(results[0]["indicators"])
    assert results[0]["indicators"], f"{fw.id} scored no indicator"
    assert not problems, f"{framework}: {len(problems)} problem(s):\n" + "\n".join(problems[:60])


def test_default_framework_scores_the_panel_with_trends() -> None:
    doc = _score(CSV, None)
    assert doc["framework"]["id"] == "action-plan"
    years = generator().YEARS
    assert len(doc["results"]) == len(generator().CITIES) * len(years)
    assert all(r["score"] is not None and math.isfinite(r["score"]) for r in doc["results"])
    assert {r["year"] for r in doc["results"]} == set(years)
    assert doc["trends"]
    assert not [i for i in doc["issues"] if i["severity"] == "error"]


def test_panel_trends_go_the_plausible_way() -> None:
    """PM2.5 falls, broadband and 5G spread, births fall: on average over the cities."""
    df = pd.read_csv(CSV, encoding="utf-8-sig")
    first, last = df[df.year == 2019].set_index("city"), df[df.year == 2023].set_index("city")

    def mean_change(col: pd.Series, other: pd.Series) -> float:
        return float(np.mean(np.log(other / col)))

    assert mean_change(first.pm25_concentration, last.pm25_concentration) < 0
    assert mean_change(first.households_broadband / first.households, last.households_broadband / last.households) > 0
    assert mean_change(first.base_stations_5g, last.base_stations_5g) > 0
    assert mean_change(first.live_births, last.live_births) < 0
    assert mean_change(first.gdp, last.gdp) > 0


#: (parts, whole): the sum of the parts is at most the whole, in every row of the panel
NESTED: tuple[tuple[tuple[str, ...], str], ...] = (
    (("population_25_34",), "population_25_64"), (("population_25_64",), "population_16_64"),
    (("population_18_24",), "youth_population"), (("youth_population",), "population_16_64"),
    (("population_16_64",), "population_aged_15_64"), (("population_aged_15_64",), "population"),
    (("children_3_5", "school_age_population_female", "school_age_population_male"), "population_0_17"),
    (("labour_force",), "population"), (("urban_population",), "population"),
    (("urban_district_population",), "urban_population"), (("urban_population_base_year",), "urban_population"),
    (("local_election_votes_cast",), "registered_voters"), (("registered_voters",), "eligible_voters"),
    (("eligible_voters",), "voting_age_population"), (("voting_age_population",), "population"),
    (("full_time_employed",), "employed_persons"), (("stem_workers",), "employed_persons"),
    (("ict_employed",), "stem_workers"), (("long_term_unemployed",), "unemployed"),
    (("unemployed_youth",), "youth_labour_force"), (("youth_labour_force",), "youth_population"),
    (("park_area_total",), "built_up_green_space"), (("built_up_green_space",), "green_area"),
    (("natural_parkland_area",), "park_area_total"),
    (("renewable_energy_consumption",), "energy_consumption_total"),
    (("final_energy_consumption",), "energy_consumption_total"), (("co2_emissions",), "ghg_emissions"),
    (("residential_electricity_use", "public_building_electricity"), "electricity_use_total"),
    (("msw_landfilled", "msw_incinerated", "msw_other_disposal", "msw_burned_openly", "msw_open_dumped"),
     "msw_collected"),
    (("msw_collected",), "msw_generated"),
    (("wastewater_tertiary_volume",), "wastewater_secondary_volume"),
    (("wastewater_secondary_volume",), "wastewater_primary_volume"),
    (("wastewater_primary_volume", "wastewater_untreated_volume"), "wastewater_total_volume"),
    (("water_use_domestic",), "water_authorized_consumption"),
    (("water_authorized_consumption",), "water_supplied_total"), (("water_supplied_total",), "water_use_total"),
    (("water_use_total",), "water_use_all_sectors"),
    (("electric_vehicles",), "low_emission_vehicles"), (("low_emission_vehicles",), "motor_vehicles"),
    (("private_cars",), "motor_vehicles"),
    (("tax_collected",), "tax_billed"), (("tax_billed",), "public_budget_revenue"),
    (("public_budget_revenue", "transfer_revenue_received"), "comprehensive_fiscal_resources"),
    (("invention_patents_granted",), "patents_granted"), (("infant_deaths",), "deaths_under_5"),
    (("industrial_accident_deaths",), "work_safety_deaths"), (("road_traffic_deaths",), "transport_deaths"),
    (("historic_buildings",), "historic_assets_designated"), (("urban_communities",), "grassroots_units_total"),
)


def test_the_examples_are_internally_consistent() -> None:
    df = pd.read_csv(CSV, encoding="utf-8-sig")
    problems = []
    for parts, whole in NESTED:
        over = df[df[list(parts)].sum(axis=1) > df[whole]]
        for _, row in over.head(3).iterrows():
            problems.append(f"{row.city} {row.year}: {' + '.join(parts)} > {whole}")
    employed = df.employed_persons + df.unemployed != df.labour_force
    problems += [f"{r.city} {r.year}: employed + unemployed ≠ labour force" for _, r in df[employed].iterrows()]
    persons = [v for v, var in library().variables.items()
               if getattr(var.unit, "en", var.unit) == "persons" and v in df.columns]
    fractional = [c for c in persons if (df[c] % 1 != 0).any()]
    assert not fractional, f"person counts with fractions: {fractional}"
    assert not problems, "\n".join(problems)


def test_the_generator_reproduces_the_committed_examples(tmp_path: Path) -> None:
    written = generator().generate(tmp_path, lib=library())
    assert sorted(p.name for p in written) == sorted([XLSX.name, CSV.name])
    for p in written:
        committed = EXAMPLES / p.name
        assert p.read_bytes() == committed.read_bytes(), (
            f"{p.name} differs from the committed example: rerun `python examples/make_examples.py` "
            "and commit the result (or the generator is not deterministic)")


def test_the_generator_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generator().generate(a, lib=library())
    generator().generate(b, lib=library())
    for name in (XLSX.name, CSV.name):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_example_files_are_what_the_readme_says() -> None:
    raw = CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\n", 1)[0].decode("utf-8").split(",")
    assert header[:3] == ["city", "region", "year"]
    from openpyxl import load_workbook

    wb = load_workbook(XLSX, read_only=True)
    assert wb.sheetnames[0] == "数据"
    ws = wb["数据"]
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))
    assert first[:2] == ("城市", "区域")
    note = " ".join(str(r[0]) for r in wb["说明"].iter_rows(values_only=True) if r[0])
    assert "虚构城市" in note and "fictional" in note
    props = wb.properties
    assert props.created == props.modified == generator().FIXED_TIME
    wb.close()
