"""The examples of the docs run and say what the code does.

- Every ```bash block line of docs/score.md, docs/self-assessment.md and docs/reports.md that starts with ``citystd ``
  and carries the comment ``# runnable`` (or ``# runnable, exit N``) is run through Typer's CliRunner
  and must exit 0 (or N).
- Every ```python block of docs/methods.md, docs/data.md, docs/score.md and docs/self-assessment.md
  is executed and must end with ``assert`` statements: the worked examples' numbers are recomputed
  by the engine.

The code executed is the text of our own docs (never user input). Commands and examples run in a
temporary directory holding links to the repository's ``tests/`` and ``examples/``, so that relative paths such
as ``tests/fixtures/score/cities.csv`` work and outputs (``-o results.json``) land in the temporary
directory.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citystd.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUNNABLE = re.compile(r"#\s*runnable(?:\s*,\s*exit\s+(\d+))?\s*$")

runner = CliRunner()


@dataclass(frozen=True)
class Command:
    doc: str
    line: int
    text: str
    exit_code: int

    @property
    def args(self) -> list[str]:
        words = shlex.split(self.text, comments=True)
        assert words[0] == "citystd", self.text
        return words[1:]


def fenced_blocks(md: Path, lang: str) -> list[tuple[int, str]]:
    """(first line number, text) of every fenced block of ``lang`` in ``md``."""
    out: list[tuple[int, str]] = []
    text = md.read_text(encoding="utf-8")
    for m in re.finditer(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M):
        out.append((text.count("\n", 0, m.start()) + 2, m.group(1)))
    return out


def runnable_commands(md: Path) -> list[Command]:
    commands: list[Command] = []
    for start, block in fenced_blocks(md, "bash"):
        logical: list[tuple[int, str]] = []
        pending = ""
        for k, line in enumerate(block.splitlines()):
            pending = (
                f"{pending} {line.rstrip()[:-1]}" if line.rstrip().endswith("\\") else f"{pending} {line}"
            )
            if not line.rstrip().endswith("\\"):
                logical.append((start + k, pending.strip()))
                pending = ""
        for lineno, cmd in logical:
            m = RUNNABLE.search(cmd)
            if cmd.startswith("citystd ") and m:
                commands.append(Command(md.name, lineno, cmd, int(m.group(1) or 0)))
    return commands


def python_examples(*names: str) -> list[tuple[str, int, str]]:
    return [(name, line, code) for name in names for line, code in fenced_blocks(DOCS / name, "python")]


COMMANDS = (runnable_commands(DOCS / "score.md") + runnable_commands(DOCS / "self-assessment.md")
            + runnable_commands(DOCS / "reports.md"))
EXAMPLES = python_examples("methods.md", "data.md", "score.md", "self-assessment.md")


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_docs_have_examples() -> None:
    assert len(COMMANDS) >= 20
    assert any(c.exit_code == 1 for c in COMMANDS) and any(c.exit_code == 2 for c in COMMANDS)
    assert len([e for e in EXAMPLES if e[0] == "methods.md"]) >= 25
    assert any(e[0] == "data.md" for e in EXAMPLES)


@pytest.mark.parametrize("command", COMMANDS, ids=[f"{c.doc}:{c.line}" for c in COMMANDS])
def test_runnable_command(command: Command, workdir: Path) -> None:
    result = runner.invoke(app, command.args)
    assert result.exit_code == command.exit_code, (
        f"{command.doc}:{command.line}: `{command.text}` exited {result.exit_code}, "
        f"expected {command.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize(("doc", "line", "code"), EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in EXAMPLES])
def test_python_example(doc: str, line: int, code: str, workdir: Path) -> None:
    statements = [s for s in code.strip().splitlines() if s.strip() and not s.lstrip().startswith("#")]
    assert statements and statements[-1].startswith("assert "), (
        f"{doc}:{line}: the example must end with asserts"
    )
    compiled = compile(code, f"{doc}:{line}", "exec")
    exec(compiled, {"__name__": "docs_example"})  # the code of our own docs, never user input


def test_score_md_numbers(workdir: Path) -> None:
    """The hand computation and the tables of docs/score.md's quick start (terminal and piped)."""
    from citystd.report.numbers import share

    args = ["score", "tests/fixtures/score/cities.csv", "--library", "tests/fixtures/score", "-f", "demo"]
    doc = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    rows = [
        (
            str(r["rank"]),
            r["city"],
            f"{r['score']:.2f}",
            r["rating"],
            share(r["coverage"]),
            f"{r['nodes']['economy']['score']:.1f}",
            f"{r['nodes']['environment']['score']:.1f}",
        )
        for r in doc["results"]
    ]
    piped = runner.invoke(app, args).stdout.splitlines()
    assert [tuple(line.split("\t")) for line in piped[1:]] == rows
    text = (DOCS / "score.md").read_text(encoding="utf-8")
    terminal, plain = re.findall(r"```text\n(?:Demo framework.*?\n)?rank  city.*?\n(.*?)```", text, flags=re.S)[:2]
    assert [tuple(line.split()) for line in plain.strip().splitlines()] == rows
    shown = [line.replace("●", "").split() for line in terminal.strip().splitlines()[1:]]  # under the rule
    assert [tuple(x) for x in shown] == rows
    aston = next(r for r in doc["results"] if r["city"] == "Aston")
    assert aston["indicators"]["unemployment_rate"]["value"] == pytest.approx(3.1)
    assert aston["indicators"]["unemployment_rate"]["score"] == pytest.approx(86.25)
    assert aston["indicators"]["park_area_per_capita"]["score"] == pytest.approx(75)
    assert aston["indicators"]["pm25"]["score"] == pytest.approx((28 - 75) / (5 - 75) * 100)
    assert aston["score"] == pytest.approx((86.25 + (75 + (28 - 75) / (5 - 75) * 100) / 2) / 2)


def test_score_md_bad_data_output(workdir: Path) -> None:
    """The findings shown for cities_bad.csv are the ones the command prints."""
    result = runner.invoke(
        app,
        ["score", "tests/fixtures/score/cities_bad.csv", "--library", "tests/fixtures/score", "-f", "demo"],
    )
    assert result.exit_code == 1
    text = (DOCS / "score.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(tests/fixtures/score/cities_bad\.csv:.*?)```", text, flags=re.S)
    assert shown is not None
    assert [line.rstrip() for line in result.stderr.splitlines()] == shown.group(1).rstrip().splitlines()
