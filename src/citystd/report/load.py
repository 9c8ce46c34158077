"""Reading a saved results document (``citystd score -o results.json``) for reports and comparisons."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from citystd import __version__
from citystd.diagnostics import Diagnostic, Location, Msg, error
from citystd.io.guard import read_input

OPTIONAL_LISTS = ("dropped", "records", "issues", "trends")


def problems(doc: Any) -> list[str]:
    """What keeps ``doc`` from being a citystd results document (empty when it is one), each as
    ``field: what is wrong`` (:mod:`citystd.assessment.results_schema`)."""
    from citystd.assessment.results_schema import problems as shape_problems

    return shape_problems(doc)


def _major(version: str) -> int | None:
    head = str(version).split(".")[0]
    return int(head) if head.isdigit() else None


def version_warning(doc: dict[str, Any], path: Path) -> Diagnostic | None:
    """A warning when the results come from a newer major version of citystd than this one."""
    theirs, ours = _major(doc.get("citystd_version", "")), _major(__version__)
    if theirs is None or ours is None or theirs <= ours:
        return None
    v = doc["citystd_version"]
    return Diagnostic("U905", Msg(f"written by citystd {v}, newer than this citystd {__version__}: "
                                  "fields may be missing or read differently",
                                  f"由 citystd {v} 生成，比当前 citystd {__version__} 新：部分字段可能缺失或含义不同"),
                      Location(file=str(path)),
                      Msg("upgrade citystd (pip install -U citystd)", "请升级 citystd（pip install -U citystd）"))


def load_results(path: Path) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The results document in ``path`` and any warnings; raises a U901/U904 error otherwise."""
    import orjson

    path = Path(path)
    if not path.exists():
        raise error("U901", f"results file not found: {path}", f"找不到结果文件：{path}",
                    Location(file=str(path)), exit_code=2)
    hint = Msg("write results with: citystd score DATA -o results.json",
               "请先生成结果：citystd score DATA -o results.json")
    from citystd.report import parquet

    raw = read_input(path)  # a regular file within the size limit (U910, U911)
    try:
        doc = parquet.read_doc(io.BytesIO(raw)) if raw[:4] == b"PAR1" else orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise error("U904", f"{path} is not citystd results: not valid JSON ({exc})",
                    f"{path} 不是 citystd 结果文件：不是有效的 JSON（{exc}）", Location(file=str(path)), hint) from None
    except ValueError as exc:  # a Parquet file that is not citystd results, or a broken one
        raise error("U904", f"{path} is not citystd results: {exc}", f"{path} 不是 citystd 结果文件：{exc}",
                    Location(file=str(path)), hint) from None
    found = problems(doc)
    if found:
        shown = "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        shown_zh = "；".join(found[:3]) + (f"（另有 {len(found) - 3} 处）" if len(found) > 3 else "")
        raise error("U904", f"{path} is not citystd results: {shown}",
                    f"{path} 不是 citystd 结果文件：{shown_zh}", Location(file=str(path)), hint)
    for key in OPTIONAL_LISTS:
        doc.setdefault(key, [])
    warn = version_warning(doc, path)
    return doc, [warn] if warn else []
