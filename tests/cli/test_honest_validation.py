"""`validate` catches what `score` would trip on, and ordinary failures are messages — each item of
issue 9 end to end through the real CLI (docs/validate.md, docs/score.md "What citystd guarantees")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "score"

LIBRARY = """citystd: 1
domains:
  - id: economy
    name: {{zh: 经济, en: Economy}}
variables:
  - id: x
    name: {{zh: 甲变量, en: X}}
    unit: "1"
  - id: y
    name: {{zh: 乙变量, en: Y}}
    unit: "1"
indicators:
  - id: a
    name: {{zh: 甲, en: A}}
    definition: {{zh: 甲。, en: A.}}
    domain: economy
    unit: "1"
    direction: higher
    formula: "{formula}"
    range: [0, 1000]
    goalposts: {{worst: 0, best: 100}}
  - id: b
    name: {{zh: 乙, en: B}}
    definition: {{zh: 乙。, en: B.}}
    domain: economy
    unit: "1"
    direction: higher
    formula: y
    goalposts: {{worst: 0, best: 100}}
framework:
  id: f
  version: "1.0.0"
  name: {{zh: 框架, en: F}}
  pipeline:
    - normalise: {{method: goalposts}}
  tree:
    - id: n
      name: {{zh: 节点, en: N}}
      weight: {top}
      children:
        - {{indicator: a, weight: {wa}}}
        - {{indicator: b, weight: {wb}}}
"""


def _case(tmp_path: Path, formula: str = "x", top: str = "1", wa: str = "1", wb: str = "1") -> Path:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "lib.yaml").write_text(LIBRARY.format(formula=formula, top=top, wa=wa, wb=wb), encoding="utf-8")
    (tmp_path / "data.csv").write_text("city,x,y\nA,5,50\nB,20,10\nC,7,70\n", encoding="utf-8")
    return lib


def _validate_then_score(tmp_path: Path, code: str, **kw: str) -> None:
    lib = _case(tmp_path, **kw)
    r = runner.invoke(app, ["validate", str(lib)])
    assert r.exit_code == 1 and code in r.stderr, r.output
    r = runner.invoke(app, ["score", str(tmp_path / "data.csv"), "--library", str(lib), "-f", "f"])
    assert r.exit_code == 1 and code in r.stderr and "internal error" not in r.output, r.output


@pytest.mark.parametrize(("code", "kw"), [
    ("T510", {"wa": "0", "wb": "0"}),  # all weights of a node 0: every score "—" without a word
    ("T510", {"top": "0"}),  # … or of the tree's top
    ("T511", {"wa": ".inf"}),  # validate said nothing, score said T503
    ("T511", {"wa": ".nan"}),  # an indicator silently dropped
    ("F303", {"formula": "500"}),  # score ended in "internal error: IndexError"
    ("F304", {"formula": "x * 10 ** 10 ** 10"}),
], ids=["zero-weights", "zero-weights-top", "inf-weight", "nan-weight", "constant", "overflow"])
def test_validate_catches_what_score_trips_on(tmp_path: Path, code: str, kw: dict[str, str]) -> None:
    _validate_then_score(tmp_path, code, **kw)


def test_frameworks_show_does_not_hide_a_nan_weight(tmp_path: Path) -> None:
    lib = _case(tmp_path, wa=".nan")
    r = runner.invoke(app, ["frameworks", "show", "f", "--library", str(lib)])
    assert "1 error(s)" in r.stderr  # the note points at validate, which names T511


def test_overflow_is_not_division_by_zero(tmp_path: Path) -> None:
    lib = _case(tmp_path, formula="x ** 99999999")
    assert runner.invoke(app, ["validate", str(lib)]).exit_code == 0  # fine for x in [0, 1]
    r = runner.invoke(app, ["score", str(tmp_path / "data.csv"), "--library", str(lib), "-f", "f"])
    assert r.exit_code == 0, r.output
    assert "D717" in r.stderr and "overflow" in r.stderr and "D708" not in r.stderr


def test_empty_yaml_file_is_an_error(tmp_path: Path) -> None:
    lib = _case(tmp_path)
    (lib / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    r = runner.invoke(app, ["validate", str(lib)])
    assert r.exit_code == 1 and "Y007" in r.stderr and "no problems found" not in r.stderr


def test_large_library_without_aliases_is_not_an_alias_bomb(tmp_path: Path) -> None:
    """9.5 MiB of YAML with 150,000 values and no alias: under the 10 MiB limit, so it validates."""
    lib = _case(tmp_path)
    tags = "\n".join(f"      - t{k}" for k in range(150_000))
    notes = "x" * (7 * 1024 * 1024 + 600 * 1024)
    text = (lib / "lib.yaml").read_text(encoding="utf-8").replace(
        "    formula: y\n", f"    formula: y\n    notes: {notes}\n    tags:\n{tags}\n")
    (lib / "lib.yaml").write_text(text, encoding="utf-8")
    size = (lib / "lib.yaml").stat().st_size
    assert 9.4 * 2**20 < size < 10 * 2**20
    start = time.process_time()
    r = runner.invoke(app, ["validate", str(lib)])
    assert r.exit_code == 0, r.output
    assert "Y005" not in r.stderr and "alias" not in r.stderr
    assert time.process_time() - start < 60  # only a guard against a hang (the old check took 10 s and 900 MB)
    bomb = ROOT / "tests" / "fixtures" / "validate" / "cases" / "Y005_alias_bomb.yaml"
    start = time.process_time()
    r = runner.invoke(app, ["validate", str(bomb)])
    assert r.exit_code == 1 and "alias bomb" in r.stderr
    assert time.process_time() - start < 10


# ------------------------------------------------------------------ hand-edited results

@pytest.fixture()
def results(tmp_path: Path) -> Path:
    out = tmp_path / "results.json"
    r = runner.invoke(app, ["score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo",
                            "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.parametrize(("edit", "field", "what"), [
    (lambda d: d["results"][0].update(score="high"), "results[0].score", "'high' is a JSON string, not a number"),
    (lambda d: d["results"][1].update(score=1e308), "results[1].score", "out of range"),
    (lambda d: d["results"][0]["indicators"]["pm25"].update(value="x"), "results[0].indicators.pm25.value",
     "not a number"),
    (lambda d: d["results"][0]["nodes"]["economy"].update(rating="purple"), "results[0].nodes.economy.rating",
     "'purple' is not one of"),
    (lambda d: d["results"][2].update(rank=0), "results[2].rank", "out of range"),
    (lambda d: d["results"][0].update(year="2020"), "results[0].year", "not a whole number"),
    (lambda d: d["indicators"]["pm25"].update(goalposts={"worst": "a", "best": 1}), "indicators.pm25.goalposts.worst",
     "not a number"),
    (lambda d: d.update(tree="none"), "tree", "not an array"),
], ids=["string-score", "1e308", "string-value", "rating", "rank-0", "string-year", "goalposts", "tree"])
def test_hand_edited_results_name_the_field(results: Path, tmp_path: Path, edit, field: str, what: str) -> None:
    doc = json.loads(results.read_text(encoding="utf-8"))
    edit(doc)
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    for args in (["report", str(bad), "--format", "html", "-o", str(tmp_path / "r.html")],
                 ["report", str(bad), "--format", "csv"], ["compare", str(results), str(bad)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1, (args, r.output)
        assert "U904" in r.stderr and f"{field}: " in r.stderr and what in r.stderr, r.stderr
        assert "internal error" not in r.output
    assert not (tmp_path / "r.html").exists()


def test_results_that_score_writes_pass_the_check(results: Path) -> None:
    from citystd.assessment.results_schema import problems

    assert problems(json.loads(results.read_text(encoding="utf-8"))) == []


# ------------------------------------------------------------------ language and start-up

def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "citystd", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_unknown_citystd_lang_warns_once() -> None:
    r = _cli("score", str(FIXTURES / "cities_bad.csv"), "--library", str(FIXTURES), "-f", "demo",
             env={"CITYSTD_LANG": "xx", "LANG": "C.UTF-8", "LC_ALL": ""})
    assert r.returncode == 1
    assert r.stderr.count("CITYSTD_LANG='xx' is neither zh nor en; using en") == 1, r.stderr
    assert "D705" in r.stderr
    r = _cli("validate", env={"CITYSTD_LANG": "zh_CN.UTF-8"})
    assert "warning" not in r.stderr and "未发现问题" in r.stderr


def test_help_imports_neither_pandas_nor_pydantic() -> None:
    code = ("import sys; from citystd.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'pydantic', 'numpy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout
