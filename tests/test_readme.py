"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quick_start_is_two_commands() -> None:
    cmds = quick_start_commands()
    assert len(cmds) == 2 and all("\n" not in c for c in cmds)


def test_ci_runs_the_readme_test_command() -> None:
    _, test_cmd = quick_start_commands()
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_cmd in ci


# --- "What you can do today": every line runs as written -------------------------------------------

#: what a line may need that the test installs no further: the extra its `pip install` names
EXTRAS = {"parquet": "pyarrow"}
#: the folders of the repository the commands read (linked into the temporary directory)
READ = ("examples", "tests", "indicators")


def today_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What you can do today", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [re.split(r"\s{2,}# ", line, maxsplit=1)[0].strip() for line in block.splitlines() if line.strip()]


def _listing() -> list[tuple[str, int]]:
    out = []
    for folder in ("examples", "indicators", "tests/data", "tests/fixtures"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out.append((str(path.relative_to(ROOT)), path.stat().st_size))
    return out


def test_what_you_can_do_today_runs_as_written(tmp_path: Path) -> None:
    """Each line of the README's command block, in order, in a temporary directory that links the
    repository's examples/, tests/ and indicators/ (outputs land there, never in the repository),
    with the virtual environment's citystd first on PATH — what `source .venv/bin/activate` does."""
    import importlib.util
    import os
    import subprocess
    import sys

    lines = today_lines()
    assert lines[0] == "source .venv/bin/activate"
    for name in READ:
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "CITYSTD_LANG": "en"}
    env.pop("CI", None)
    before = _listing()
    ran = []
    for line in lines[1:]:
        command = line
        m = re.match(r"pip install -q -e '\.\[(\w+)\]' && (.*)", line)
        if m:  # the extra is installed with the test dependencies: check it, do not install
            assert importlib.util.find_spec(EXTRAS[m[1]]) is not None, f"the {m[1]} extra is not installed"
            command = m[2]
        assert command.startswith(("citystd ", "awk ")), line
        r = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"{line}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
        ran.append(command)
    assert len(ran) == len(lines) - 1
    for made in ("results.json", "2022.json", "2023.json", "report.html", "report.xlsx", "report.md",
                 "template.xlsx", "results.parquet", "citystd.schema.json", "asem"):
        assert (tmp_path / made).exists(), made
    assert _listing() == before  # nothing written into the repository
