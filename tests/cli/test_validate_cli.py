"""`citystd validate` through the real command line: exit codes, formats, languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["validate", *args])


def test_clean_library_exits_0(base_library: Path) -> None:
    r = run(str(base_library))
    assert r.exit_code == 0, r.output
    assert "no problems found" in r.stderr
    assert r.stdout == ""


def test_problems_exit_1_with_file_line_col(base_library: Path, cases: Path) -> None:
    r = run(str(base_library), str(cases / "S106_invalid_direction.yaml"))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    # one line per finding, as compilers print them, the hint indented on the next line
    at = "S106_invalid_direction.yaml:8:16: S106 indicators.0.direction: Input should be"
    (k,) = [k for k, line in enumerate(lines) if at in line and line.endswith("(got 'lowr')")]
    assert lines[k + 1] == "    hint: did you mean 'lower'?"
    assert lines[-1] == "1 error, 0 warnings in 1 file (2 checked)"


def test_warnings_say_so_and_grouped_format_stays(base_library: Path, cases: Path) -> None:
    path = cases / "W602_source_no_clause.yaml"
    r = run(str(base_library), str(path))
    (line,) = [x for x in r.stderr.splitlines() if ": W602 " in x]
    assert "W602_source_no_clause.yaml:10:9: W602 indicator 'literacy'" in line
    assert line.endswith(" (warning)") and r.exit_code == 0
    zh = run(str(base_library), str(path), "--lang", "zh")
    assert any(x.endswith("（警告）") for x in zh.stderr.splitlines())
    grouped = run(str(base_library), str(cases / "S106_invalid_direction.yaml"), "--format", "grouped")
    assert grouped.exit_code == 1
    assert any(x.endswith("S106_invalid_direction.yaml") for x in grouped.stderr.splitlines())
    assert any(x.split()[:3] == ["8:16", "error", "S106"] for x in grouped.stderr.splitlines())


def test_old_dash_f_for_the_format_still_works_with_a_warning(base_library: Path, cases: Path) -> None:
    """-f is --framework in every command; validate's old -f FORMAT warns and works (it cannot mean
    a framework there), any other value is a usage error that says why."""
    r = run("-f", "json", str(base_library), str(cases / "T504_version.yaml"))
    assert r.exit_code == 1 and json.loads(r.stdout)["errors"] == 1
    assert "-f json is deprecated" in r.stderr and "--format json" in r.stderr
    r = run("-f", "core", str(base_library))
    assert r.exit_code == 2 and "-f is --framework" in r.stderr
    r = run("-f", "json", "--format", "sarif", str(base_library))
    assert r.exit_code == 2 and "give the format once" in r.stderr
    assert "--framework" in run("--help").stdout


def test_dash_f_with_a_format_elsewhere_says_it_is_the_framework(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[1] / "fixtures" / "score" / "cities.csv"
    r = runner.invoke(app, ["check", str(data), "-f", "json"])
    assert r.exit_code == 2 and "unknown framework 'json'" in r.stderr
    assert "-f is --framework in every command; for the output format use --format json" in r.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(str(tmp_path / "missing")).exit_code == 2
    assert run("--format", "xml").exit_code == 2
    assert run("--lang", "fr").exit_code == 2


def test_json_format_keeps_chinese_readable(base_library: Path, cases: Path) -> None:
    r = run("--format", "json", "--lang", "zh", str(base_library), str(cases / "R202_unknown_domain.yaml"))
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["errors"] == 1
    (d,) = [d for d in doc["diagnostics"] if d["code"] == "R202"]
    assert (d["line"], d["col"], d["rule"]) == (6, 13, "ref.unknown-domain")
    assert "未知领域" in d["message"] and "\\u" not in r.stdout


def test_github_annotations(base_library: Path, cases: Path) -> None:
    r = run("--format", "github", str(base_library), str(cases / "T504_version.yaml"))
    assert r.exit_code == 1
    lines = [line for line in r.stdout.splitlines() if line.startswith("::")]
    assert len(lines) == 1
    assert lines[0].startswith("::error file=")
    assert "T504_version.yaml,line=4,col=12,title=citystd T504 framework.version::" in lines[0]


def test_sarif(base_library: Path, cases: Path) -> None:
    r = run("--format", "sarif", str(base_library), str(cases / "W602_source_no_clause.yaml"))
    assert r.exit_code == 0  # warnings only
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    run0 = doc["runs"][0]
    ids = [rule["id"] for rule in run0["tool"]["driver"]["rules"]]
    results = {res["ruleId"]: res for res in run0["results"]}
    assert "W602" in ids and results["W602"]["level"] == "warning"
    region = results["W602"]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 10, "startColumn": 9}


def test_strict_exit_zero_select_ignore(base_library: Path, cases: Path) -> None:
    case = str(cases / "W602_source_no_clause.yaml")
    assert run(str(base_library), case).exit_code == 0
    assert run("--strict", str(base_library), case).exit_code == 1
    assert run("--strict", "--exit-zero", str(base_library), case).exit_code == 0
    assert run("--strict", "--ignore", "W6", str(base_library), case).exit_code == 0
    r = run("--format", "json", "--select", "W602", str(base_library), case)
    assert {d["code"] for d in json.loads(r.stdout)["diagnostics"]} == {"W602"}


def test_chinese_output(base_library: Path, cases: Path) -> None:
    r = run("--lang", "zh", str(base_library), str(cases / "S101_unknown_key.yaml"))
    assert "未知键" in r.stderr and "错误" in r.stderr and "是否应为 'goalposts'" in r.stderr


def test_with_builtin_lets_a_user_framework_use_builtin_indicators(tmp_path: Path) -> None:
    from citystd.library.load import builtin_path
    from citystd.library.validate import validate

    lib, _ = validate()
    assert lib.indicators, "the built-in library must hold indicators"
    some = sorted(lib.indicators)[0]
    fw = tmp_path / "mine.yaml"
    fw.write_text(
        "citystd: 1\nframework:\n  id: mine\n  version: '1.0.0'\n  name: {zh: 我的, en: Mine}\n"
        f"  tree:\n    - {{indicator: {some}}}\n",
        encoding="utf-8",
    )
    assert run(str(fw)).exit_code == 1  # alone, the indicator is unknown
    r = run("--with-builtin", str(fw))
    assert r.exit_code == 0, r.stderr
    assert str(builtin_path().name) not in r.stderr  # built-in findings are not the user's


def test_internal_error_is_not_a_traceback(monkeypatch: pytest.MonkeyPatch, base_library: Path) -> None:
    import citystd.library.validate as v

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(v, "validate", boom)
    monkeypatch.delenv("CITYSTD_DEBUG", raising=False)
    r = run(str(base_library))
    assert r.exit_code == 2
    assert "internal error" in r.stderr and "Traceback" not in r.output


def test_builtin_library_validates() -> None:
    r = run()
    assert r.exit_code == 0, r.stderr


UNCERTAINTY_BAD = """citystd: 1
uncertainty:
  - {name: winmax, step: treat, param: winmax, values: [3, 5]}
  - {name: drop, exclude: indicators, elements: [unemploymnt_rate]}
"""

FRAMEWORK = """citystd: 1
framework:
  id: mine
  version: "1.0.0"
  name: {zh: 框架, en: Framework}
  pipeline:
    - treat: {winmax: 5}
  tree:
    - {indicator: unemployment_rate}
"""


def _files(tmp_path: Path, **texts: str) -> dict[str, str]:
    out = {}
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
        out[name] = str(tmp_path / f"{name}.yaml")
    return out


def test_uncertainty_file_same_rules_positions_and_exit_codes(base_library: Path, tmp_path: Path) -> None:
    f = _files(tmp_path, fw=FRAMEWORK, u=UNCERTAINTY_BAD,
               ok="uncertainty:\n  - {name: winmax, step: treat, param: winmax, values: [3, 5]}\n",
               warn="uncertainty:\n  - {name: winmax, step: treat, param: winmax, values: [1, 3]}\n",
               empty="inputs: []\n")
    lib = [str(base_library), f["fw"], "--framework", "mine"]
    assert run(*lib).exit_code == 0
    r = run(*lib, "--uncertainty", f["u"])
    assert r.exit_code == 1, r.output
    assert "u.yaml:4:50: A012" in r.stderr and "A012" in r.stderr and "did you mean 'unemployment_rate'?" in r.stderr
    r = run("--format", "json", *lib, "--uncertainty", f["u"])
    (d,) = json.loads(r.stdout)["diagnostics"]
    assert (d["code"], d["line"]) == ("A012", 4) and d["file"].endswith("u.yaml")
    assert run(*lib, "-u", f["ok"]).exit_code == 0
    # the framework's own value (winmax 5) missing from the alternatives: a warning, an error with --strict
    r = run(*lib, "-u", f["warn"])
    assert r.exit_code == 0 and "A008" in r.stderr
    assert run(*lib, "-u", f["warn"], "--strict").exit_code == 1
    r = run(*lib, "-u", f["empty"])
    assert r.exit_code == 1 and "A016" in r.stderr


def test_uncertainty_usage_errors_exit_2(base_library: Path, tmp_path: Path) -> None:
    f = _files(tmp_path, fw=FRAMEWORK, ok="uncertainty:\n  - {name: w, weights_noise: 0.2}\n")
    assert run(str(base_library), f["fw"], "--framework", "mine", "-u", str(tmp_path / "missing.yaml")).exit_code == 2
    r = run(str(base_library), f["fw"], "-u", f["ok"], "--framework", "mien")
    assert r.exit_code == 2 and "mine" in r.stderr
    r = run(str(base_library), f["fw"], "-u", f["ok"])  # two frameworks: base and mine
    assert r.exit_code == 2 and "--framework" in r.stderr
    assert run(f["fw"], "--with-builtin", "-u", f["ok"]).exit_code == 0  # one framework of the user's own
