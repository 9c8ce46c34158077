"""Validate a library: load every file, run every rule, apply --strict, sort the findings."""

from __future__ import annotations

from pathlib import Path

from citystd.diagnostics import Diagnostic, Severity
from citystd.library.load import Library, builtin_path, load_library
from citystd.library.rules import check_library


def validate(paths: list[Path] | None = None, *, strict: bool = False,
             with_builtin: bool = False) -> tuple[Library, list[Diagnostic]]:
    """Load ``paths`` (default: the built-in library) and return it with every finding.

    With ``strict`` warnings become errors. With ``with_builtin`` the built-in library is loaded
    first, so that a user's framework can refer to built-in indicators; findings in built-in
    files are then left out (they are the project's to fix, not the user's).
    """
    roots = list(paths or [builtin_path()])
    if with_builtin and paths:
        roots = [builtin_path(), *roots]
    lib, diags = load_library(roots)
    diags = [*diags, *check_library(lib)]
    if with_builtin and paths:
        base = _display_prefix(builtin_path())
        diags = [d for d in diags if not (d.location.file or "").startswith(base)]
    if strict:
        diags = [d.escalated() if d.level is Severity.WARNING else d for d in diags]
    diags.sort(key=Diagnostic.sort_key)
    return lib, diags


def _display_prefix(path: Path) -> str:
    from citystd.library.load import _display

    return _display(path)
