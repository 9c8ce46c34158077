"""`citystd indicators …` and `citystd frameworks …` on a small library."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()


def lib_args(base: Path) -> list[str]:
    return ["--library", str(base)]


def test_indicators_list_plain_when_piped(base_library: Path) -> None:
    r = runner.invoke(app, ["indicators", "list", *lib_args(base_library)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "name", "domain", "unit", "direction", "sources"]
    assert lines[1].split("\t")[:5] == ["unemployment_rate", "Unemployment rate", "economy", "%", "lower"]


def test_indicators_list_in_chinese_and_filters(base_library: Path) -> None:
    r = runner.invoke(app, ["indicators", "list", "--lang", "zh", "--domain", "economy", *lib_args(base_library)])
    assert r.exit_code == 0
    assert "失业率" in r.stdout and r.stdout.startswith("标识\t名称")
    r = runner.invoke(app, ["indicators", "list", "--search", "nothing-like-this", *lib_args(base_library)])
    assert r.stdout.splitlines()[1:] == []
    r = runner.invoke(app, ["indicators", "list", "--framework", "base", "--format", "json", *lib_args(base_library)])
    (item,) = json.loads(r.stdout)
    assert item["id"] == "unemployment_rate" and item["frameworks"] == ["base"]


def test_unknown_domain_suggests(base_library: Path) -> None:
    r = runner.invoke(app, ["indicators", "list", "--domain", "econmy", *lib_args(base_library)])
    assert r.exit_code == 2
    assert "did you mean 'economy'?" in r.stderr


def test_indicators_show(base_library: Path) -> None:
    r = runner.invoke(app, ["indicators", "show", "unemployment_rate", *lib_args(base_library)])
    assert r.exit_code == 0
    assert "失业率 / Unemployment rate" in r.stdout
    assert "unemployed / population * 100" in r.stdout
    assert "ISO 37120:2014 5.1" in r.stdout and "frameworks\tbase" in r.stdout
    r = runner.invoke(app, ["indicators", "show", "unemployment_rat", *lib_args(base_library)])
    assert r.exit_code == 2 and "unemployment_rate" in r.stderr
    r = runner.invoke(app, ["indicators", "show", "unemployment_rate", "--format", "json", *lib_args(base_library)])
    data = json.loads(r.stdout)
    assert data["goalposts"] == {"worst": 10.0, "best": 2.0}
    assert data["name"] == {"zh": "失业率", "en": "Unemployment rate"}


def test_frameworks_list_and_show(base_library: Path) -> None:
    r = runner.invoke(app, ["frameworks", "list", "--format", "json", *lib_args(base_library)])
    assert json.loads(r.stdout) == [{"id": "base", "version": "1.0.0", "name": {"zh": "基础", "en": "Base"},
                                     "indicators": 1, "pipeline": ["normalise", "aggregate"]}]
    r = runner.invoke(app, ["frameworks", "show", "base", *lib_args(base_library)])
    assert r.exit_code == 0
    assert "unemployment_rate  Unemployment rate  [w 1 · 100.00%]" in r.stdout


def test_effective_weights(tmp_path: Path, base_library: Path) -> None:
    """Weights are relative within a node; effective weight is the product to the root."""
    (tmp_path / "fw.yaml").write_text("""\
citystd: 1
indicators:
  - id: second
    name: {zh: 二, en: Second}
    definition: {zh: 二。, en: Second.}
    domain: economy
    unit: "1"
    direction: higher
    goalposts: {worst: 0, best: 1}
framework:
  id: weighted
  version: "1.0.0"
  name: {zh: 加权, en: Weighted}
  tree:
    - id: a
      name: {zh: 甲, en: A}
      weight: 3
      children:
        - {indicator: unemployment_rate, weight: 1}
        - {indicator: second, weight: 3}
    - id: b
      name: {zh: 乙, en: B}
      weight: 1
      children:
        - {indicator: unemployment_rate_copy_not_here, weight: 1}
""", encoding="utf-8")
    from citystd.library.rules import effective_weights
    from citystd.library.validate import validate

    lib, _ = validate([base_library, tmp_path])
    w = effective_weights(lib.frameworks["weighted"])
    # a: 3/4; inside a: 1/4 and 3/4  → 0.1875 and 0.5625; b: 1/4 → 0.25
    assert w == {"unemployment_rate": 0.1875, "second": 0.5625, "unemployment_rate_copy_not_here": 0.25}
