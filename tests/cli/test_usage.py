"""Help texts and usage errors (citystd.cli.usage): plain metavars in every command's --help, -f
for the framework everywhere, usage errors in Chinese under --lang zh wherever --lang stands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from citystd.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "fixtures" / "score" / "cities.csv"


def commands() -> list[list[str]]:
    """The path of every command and sub-command, e.g. ["indicators", "list"]."""
    out: list[list[str]] = [[]]

    def walk(cmd: object, path: list[str]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            out.append([*path, name])
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


@pytest.mark.parametrize("path", commands(), ids=lambda p: " ".join(p) or "citystd")
def test_help_has_plain_metavars(path: list[str]) -> None:
    r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    usage = next(line for line in r.stdout.splitlines() if line.startswith("Usage:"))
    assert "{" not in usage and "}" not in usage, usage
    # no type labels such as <str>, <path>, <list[Path]>, <int range>
    assert not re.search(r"<(?:str|int|float|path|bool|list\[|int range|float range|text)\b", r.stdout, re.I), r.stdout
    for line in r.stdout.splitlines():
        m = re.match(r"\s+(?:-\w, )?(--[\w-]+)(?: (\S+))?\s{2,}", line)
        if m and m[2] is not None:
            assert m[2] == m[2].upper() or "|" in m[2] or m[2].startswith("ID"), line  # DIR, FILE, zh|en, ID,…


def test_dash_f_is_the_framework_in_every_command_that_has_one() -> None:
    for path in commands():
        params = typer.main.get_command(app)
        for name in path:
            params = params.commands[name]  # type: ignore[attr-defined]
        for p in getattr(params, "params", []):
            if "-f" in getattr(p, "opts", []) + getattr(p, "secondary_opts", []):
                assert "--framework" in p.opts, (path, p.opts)
            if "--framework" in getattr(p, "opts", []):
                assert "-f" in p.opts, (path, p.opts)


@pytest.mark.parametrize(("args", "zh"), [
    (["scor", "--lang", "zh"], "错误：没有命令 'scor'；是否应为 'score'？"),
    (["score", "--framwork", "x", "--lang", "zh"], "错误：没有选项 --framwork；是否应为 --framework？"),
    (["score", "--lang", "zh"], "错误：缺少参数 'DATA'"),
    (["score", str(DATA), "--year", "abc", "--lang=zh"], "错误：'--year' 的取值无效：应为整数"),
    (["score", str(DATA), "--year", "3", "--lang", "zh"], "错误：'--year' 的取值无效：应不小于 1000"),
    (["validate", "--exit-zero=3", "--lang", "zh"], "错误：选项 --exit-zero 不接受值"),
    (["check", str(DATA), "--layout"], None),  # no --lang: CITYSTD_LANG decides
    (["indicators", "lst", "--lang", "zh"], "错误：没有命令 'lst'；是否应为 'list'？"),
    (["score", str(DATA), "extra", "--nope", "--lang", "zh"], "错误：没有选项 --nope"),
])
def test_usage_errors_in_chinese(args: list[str], zh: str | None) -> None:
    """--lang may come after the point of the error: the whole command line is looked at."""
    r = runner.invoke(app, args, env={"CITYSTD_LANG": "zh" if zh is None else "en"})
    assert r.exit_code == 2
    if zh is None:
        assert "错误：选项 --layout 需要一个值" in r.stderr
    else:
        assert zh in r.stderr, r.stderr
    assert "Error:" not in r.stderr and "Usage:" not in r.stderr
    if "用法：" in r.stderr:
        assert re.search(r"查看帮助：citystd( \w+)* --help", r.stderr)


def test_usage_errors_stay_english_otherwise() -> None:
    r = runner.invoke(app, ["score", "--framwork", "x"], env={"CITYSTD_LANG": "en"})
    assert r.exit_code == 2 and "Error: No such option: --framwork" in r.stderr and "Usage: citystd score" in r.stderr
    r = runner.invoke(app, ["score", "--lang", "en"], env={"CITYSTD_LANG": "zh"})
    assert r.exit_code == 2 and "Missing argument 'DATA'." in r.stderr


def test_chinese_usage_error_from_the_installed_command() -> None:
    """Through `python -m citystd`, as a user runs it; help without arguments is still help."""
    r = subprocess.run([sys.executable, "-m", "citystd", "check", "--jump-factr", "2", "--lang", "zh"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "错误：没有选项 --jump-factr；是否应为 --jump-factor？" in r.stderr
    assert r.stderr.startswith("用法：") and "citystd check [OPTIONS] DATA...\n查看帮助：" in r.stderr
    r = subprocess.run([sys.executable, "-m", "citystd", "indicators"], capture_output=True, text=True, timeout=60)
    assert "citystd indicators [OPTIONS] COMMAND" in r.stdout + r.stderr and "错误" not in r.stderr
