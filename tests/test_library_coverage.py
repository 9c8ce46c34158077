"""The built-in library holds what issue 4 asks for, and docs/library.md is in step with it.

The counts are read from the coverage tables (``citystd indicators coverage``), the facts about the
standards from the reference table the library was written from (a copy in tests/data/reference,
see its SOURCE.md) and from docs/reference-map, which says what became of every row.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.library import coverage as cov
from citystd.library.load import Library
from citystd.library.models import Leaf, Node
from citystd.library.pipeline import step_name, step_params
from citystd.library.rules import SEMVER, iter_leaves
from citystd.library.validate import validate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "reference" / "indicators_reference.csv"
REFERENCE_MAP = ROOT / "docs" / "reference-map"
LIBRARY_MD = ROOT / "docs" / "library.md"
COVERAGE_ARGS = ["indicators", "coverage", "--lang", "en", "--reference", str(REFERENCE)]

DOMAINS = {
    "urban_sustainable_development", "regional_coordinated_development", "smart_city", "government_services",
    "grassroots_governance", "urban_economy", "basic_public_services", "safety_emergency", "ecology_dual_carbon",
    "culture", "public_facilities", "new_urbanization", "standardization_work",
}
FRAMEWORKS = {"action-plan", "iso37120", "iso37120-2014", "iso37122-smart", "iso37123-resilient", "sdg11",
              "city-checkup", "smart-city", "standardization"}

runner = CliRunner()


@pytest.fixture(scope="module")
def lib() -> Library:
    library, _ = validate()
    return library


@pytest.fixture(scope="module")
def reference() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def mapping() -> list[cov.MapRow]:
    return cov.read_reference_map(REFERENCE_MAP)


def clauses(lib: Library, standard: str, tag: str | None = None) -> Counter[str]:
    """How many indicators cite each clause of ``standard`` (only those tagged ``tag``, if given)."""
    return Counter(s.clause for i in lib.indicators.values() if tag is None or tag in i.tags
                   for s in i.sources if s.standard == standard)


def test_library_validates_strictly(lib: Library) -> None:
    _, diags = validate(strict=True)
    assert [f"{d.location} {d.code} {d.message.en}" for d in diags] == []


def test_counts_in_the_coverage_tables(lib: Library, mapping: list[cov.MapRow]) -> None:
    tables = {t.id: t for t in cov.coverage(lib, mapping)}
    summary = {r["key"]: r["count"] for r in tables["summary"].rows}
    assert summary["indicators"] >= 300
    assert summary["domains"] == 13 and set(lib.domains) == DOMAINS
    assert summary["in_framework"] == summary["indicators"]
    per_domain = {r["domain"]: r["indicators"] for r in tables["domains"].rows if isinstance(r["domain"], str)}
    assert set(per_domain) == DOMAINS
    assert {d: n for d, n in per_domain.items() if n < 10} == {}
    reference = tables["reference"].rows[-1]
    assert reference["rows"] == 450 and reference["included"] + reference["merged"] + reference["excluded"] == 450


def test_every_indicator_is_bilingual_with_goalposts_and_sources(lib: Library) -> None:
    for ind in lib.indicators.values():
        assert ind.name.zh.strip() and ind.name.en.strip() and ind.definition.zh.strip() and ind.definition.en.strip()
        if not ind.context:  # context indicators are never normalised: they need no goalposts
            assert ind.goalposts is not None, f"{ind.id} has no goalposts: it cannot be in a goalposts framework"
        assert ind.sources, f"{ind.id} cites no source"


def test_all_100_iso37120_2014_indicators_46_core(lib: Library, reference: list[dict[str, str]]) -> None:
    rows = [r for r in reference if r["source"] == "ISO 37120:2014"]
    assert len(rows) == 100
    held = clauses(lib, "ISO 37120:2014")
    assert set(held) == {r["clause"] for r in rows}
    assert max(held.values()) == 1, "a clause is claimed by two indicators"
    core = {r["clause"] for r in rows if r["core_or_supporting"] == "core"}
    assert len(core) == 46
    assert set(clauses(lib, "ISO 37120:2014", tag="core")) == core
    assert set(clauses(lib, "ISO 37120:2014", tag="supporting")) == {r["clause"] for r in rows} - core


def test_iso37122_and_37123_rows_are_held(lib: Library, reference: list[dict[str, str]]) -> None:
    for standard in ("ISO 37122:2019", "ISO 37123:2019"):
        held = set(clauses(lib, standard))
        assert held >= {r["clause"] for r in reference if r["source"] == standard}
    # read on Kópavogur's platform after the reference table was compiled (docs/frameworks.md)
    extra = set(clauses(lib, "ISO 37122:2019")) - {r["clause"] for r in reference if r["source"] == "ISO 37122:2019"}
    assert extra == {"6.2", "7.9", "8.2", "8.3", "21.1", "23.3"}
    fw = lib.frameworks["iso37122-smart"]
    assert {leaf.indicator for leaf in iter_leaves(fw.tree)} == {
        i.id for i in lib.indicators.values() if any(s.standard == "ISO 37122:2019" for s in i.sources)}


THEMES_2018 = {5: "economy", 6: "education", 7: "energy", 8: "environment_climate", 9: "finance", 10: "governance",
               11: "health", 12: "housing", 13: "population_social", 14: "recreation", 15: "safety",
               16: "solid_waste", 17: "sport_culture", 18: "telecommunication", 19: "transportation",
               20: "urban_agriculture_food", 21: "urban_planning", 22: "wastewater", 23: "water"}


def test_iso37120_follows_the_2018_edition(lib: Library, reference: list[dict[str, str]]) -> None:
    fw = lib.frameworks["iso37120"]
    assert fw.version == "2.0.0" and fw.edition is not None and fw.edition.standard == "ISO 37120:2018"
    assert [n.id for n in fw.tree] == list(THEMES_2018.values())  # clauses 5-23, 19 themes
    for theme, node in zip(THEMES_2018, fw.tree, strict=True):
        assert isinstance(node, Node) and node.name.en.startswith(f"{theme} ")
        for leaf in node.children:
            assert isinstance(leaf, Leaf)
            cited = [s.clause for s in lib.indicators[leaf.indicator].sources if s.standard == "ISO 37120:2018"]
            assert cited and all(c.split(".")[0] == str(theme) for c in cited), leaf.indicator
    # every indicator with a sourced 2018 clause is in it, the reference table's 46 rows among them
    assert {leaf.indicator for leaf in iter_leaves(fw.tree)} == {
        i.id for i in lib.indicators.values() if any(s.standard == "ISO 37120:2018" for s in i.sources)}
    assert set(clauses(lib, "ISO 37120:2018")) >= {r["clause"] for r in reference if r["source"] == "ISO 37120:2018"}
    assert max(clauses(lib, "ISO 37120:2018").values()) == 1, "a 2018 clause is claimed by two indicators"


def test_the_2014_core_framework_is_kept_as_it_was(lib: Library, reference: list[dict[str, str]]) -> None:
    fw = lib.frameworks["iso37120-2014"]
    assert fw.version == "1.0.0" and fw.edition is not None and fw.edition.standard == "ISO 37120:2014"
    core = {r["clause"] for r in reference if r["source"] == "ISO 37120:2014" and r["core_or_supporting"] == "core"}
    held = {s.clause for leaf in iter_leaves(fw.tree) for s in lib.indicators[leaf.indicator].sources
            if s.standard == "ISO 37120:2014"}
    assert held == core | {"13.1", "13.2"}  # recreation has no core indicator: its two supporting ones stand in
    assert len(fw.tree) == 17


def test_every_sdg11_indicator(lib: Library, reference: list[dict[str, str]], mapping: list[cov.MapRow]) -> None:
    rows = {n: r["clause"] for n, r in enumerate(reference, start=1) if r["source"].startswith("UN SDG")}
    excluded = {rows[m.row] for m in mapping if m.row in rows and m.status == "excluded"}
    held = set(clauses(lib, "SDG 11"))
    # every SDG 11 indicator of the reference table is in the library, except national/deleted ones left
    # out with a reason, plus 11.5.3, which the current list split off 11.5.2 (after the reference table)
    assert held == set(rows.values()) - excluded | {"11.5.3"}
    assert excluded <= {"11.a.1", "11.b.1", "11.c.1"}
    assert len(held) == 15
    parts = [i for i in lib.indicators.values() if any(s.clause == "11.5.3" for s in i.sources)]
    assert len(parts) == 2 and all(i.context and i.goalposts is None for i in parts)
    assert "sdg11" in lib.frameworks and {leaf.indicator for leaf in iter_leaves(lib.frameworks["sdg11"].tree)} == {
        i.id for i in lib.indicators.values() if any(s.standard == "SDG 11" for s in i.sources)}


def test_the_61_mohurd_indicators(lib: Library, reference: list[dict[str, str]]) -> None:
    rows = [r for r in reference if r["source"].startswith("MOHURD")]
    assert len(rows) == 61
    held = clauses(lib, "MOHURD 城市体检 2024")
    assert set(held) == {r["clause"] for r in rows} and max(held.values()) == 1
    fw = lib.frameworks["city-checkup"]
    assert [n.name.zh for n in fw.tree] == ["住房", "小区（社区）", "街区", "城区（城市）"]
    elements = [(dim.name.zh, el.name.zh) for dim in fw.tree for el in dim.children if isinstance(el, Node)]
    assert len(elements) == 14
    assert len(list(iter_leaves(fw.tree))) == 61


def test_every_reference_row_is_accounted_for(lib: Library, mapping: list[cov.MapRow]) -> None:
    rows = Counter(m.row for m in mapping)
    assert set(rows) == set(range(1, 451)), "rows missing from docs/reference-map"
    assert [r for r, n in rows.items() if n > 1] == [], "rows listed twice in docs/reference-map"
    assert {m.domain for m in mapping} <= DOMAINS
    for m in mapping:
        if m.status == "excluded":
            assert m.reason, f"row {m.row} is excluded without a reason"
        else:
            assert m.indicator in lib.indicators, f"row {m.row}: unknown indicator {m.indicator}"
        if m.status == "merged":
            assert m.reason, f"row {m.row} is merged without saying into what"


def test_frameworks_score_with_goalposts(lib: Library) -> None:
    assert set(lib.frameworks) >= FRAMEWORKS
    for fid in FRAMEWORKS:
        fw = lib.frameworks[fid]
        assert SEMVER.match(fw.version) and fw.description is not None
        assert fw.edition is not None and fw.edition.verified is not None, f"{fid} does not state its edition"
        steps = [(step_name(s), step_params(s)) for s in fw.pipeline]
        assert [name for name, _ in steps] == ["normalise", "aggregate"], fid
        assert steps[0][1].method == "goalposts" and steps[1][1].method == "arithmetic", fid


def test_action_plan_balances_the_13_fields(lib: Library) -> None:
    fw = lib.frameworks["action-plan"]
    assert [n.id for n in fw.tree] == list(lib.domains)
    assert {n.weight for n in fw.tree} == {1.0}
    for node in fw.tree:
        assert isinstance(node, Node) and all(isinstance(c, Leaf) and c.weight == 1.0 for c in node.children)
        assert {c.indicator for c in node.children} == {
            i.id for i in lib.indicators.values() if i.domain == node.id and not i.context}
    # every indicator that can be scored, and no context indicator (they are shown by the frameworks that hold them)
    assert {leaf.indicator for leaf in iter_leaves(fw.tree)} == {
        i.id for i in lib.indicators.values() if not i.context}
    assert all(i.goalposts is not None for i in lib.indicators.values() if not i.context)


def test_smart_city_keeps_the_published_weights(lib: Library) -> None:
    fw = lib.frameworks["smart-city"]
    l1 = fw.tree[0]
    assert isinstance(l1, Node) and l1.id == "l1" and l1.weight == 37
    assert [(p.id, p.weight) for p in l1.children] == [
        ("p1", 8), ("p2", 3), ("p3", 3), ("p4", 3), ("p5", 3), ("p6", 3), ("p7", 7), ("p8", 5)]


def test_library_md_is_generated_by_the_command() -> None:
    result = runner.invoke(app, COVERAGE_ARGS)
    assert result.exit_code == 0, result.output
    page = cov.section(LIBRARY_MD.read_text(encoding="utf-8"))
    assert page is not None, "docs/library.md lost its coverage markers"
    assert page == result.stdout.strip(), (
        "docs/library.md is out of date: run `citystd indicators coverage --lang en --reference "
        "tests/data/reference/indicators_reference.csv -o docs/library.md`")


def test_coverage_json_and_output_file(tmp_path: Path) -> None:
    result = runner.invoke(app, [*COVERAGE_ARGS, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"summary", "domains", "standards", "tags", "frameworks", "reference", "excluded"} <= set(data)
    iso = next(r for r in data["standards"]["rows"] if r["standard"] == "ISO 37120:2014")
    assert iso["clauses"] == 100 and iso["published"] == 100
    page = tmp_path / "page.md"
    page.write_text(f"# Intro\n\nhand-written\n\n{cov.START_MARKER}\nSTALE TABLE\n{cov.END_MARKER}\n\ntail\n", encoding="utf-8")
    result = runner.invoke(app, [*COVERAGE_ARGS, "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Intro\n\nhand-written\n") and text.endswith(f"{cov.END_MARKER}\n\ntail\n")
    assert "STALE TABLE" not in text and "### By domain" in text
    zh = runner.invoke(app, ["indicators", "coverage", "--lang", "zh"])
    assert zh.exit_code == 0 and "### 按领域" in zh.stdout and "城市标准化工作" in zh.stdout
    bad = runner.invoke(app, ["indicators", "coverage", "--format", "xml"])
    assert bad.exit_code == 2


def test_replace_section_needs_both_markers() -> None:
    assert cov.replace_section("no markers", "x") is None
    assert cov.replace_section(f"{cov.END_MARKER} {cov.START_MARKER}", "x") is None
    assert cov.replace_section(f"a{cov.START_MARKER}b{cov.END_MARKER}c", "x") == (
        f"a{cov.START_MARKER}\n\nx\n\n{cov.END_MARKER}c")
    assert cov.section(f"a{cov.START_MARKER}\n x \n{cov.END_MARKER}") == "x"
