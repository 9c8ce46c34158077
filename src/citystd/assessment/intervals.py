"""Rank intervals from an audit in score results (``citystd score … --audit audit.json``).

:func:`load_audit` reads the JSON written by ``citystd audit -o audit.json`` (docs/audit.md);
:func:`rank_intervals` checks that it audited what is being scored — the same framework (id,
version and sha256 of the spec, which ``--set`` changes) and the same input (sha256) — and turns
its ``ranks`` into the results' ``audit`` section (docs/results.md): per city, the nominal rank
the audit saw, the median rank and the 5th–95th percentile interval of the overall rank and of
every node. An audit of other data or another framework stops with A019 unless forced (then
A019 is a warning naming what differs). Renderers show the interval beside each rank of the
audited year.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from citystd.diagnostics import Diagnostic, Location, Msg, Severity, error

KIND, SCHEMA = "citystd-audit", 1
_KEYS = ("median_rank", "q05", "q95", "mean_abs_shift")


def load_audit(path: Path) -> tuple[dict[str, Any], str]:
    """The audit document in ``path`` and the sha256 of the file; A020 when it is not one."""
    import orjson

    path = Path(path)
    if not path.is_file():
        raise error("U901", f"audit file not found: {path}", f"找不到审计文件：{path}", Location(file=str(path)),
                    exit_code=2)
    hint = Msg("write one with: citystd audit DATA -f FRAMEWORK -o audit.json",
               "请先生成：citystd audit DATA -f FRAMEWORK -o audit.json")
    try:
        data = path.read_bytes()
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise error("A020", f"{path} is not a citystd audit: not valid JSON ({exc})",
                    f"{path} 不是 citystd 审计结果：不是有效的 JSON（{exc}）", Location(file=str(path)), hint,
                    exit_code=2) from None
    except OSError as exc:
        raise error("U901", f"cannot read {path}: {exc.strerror or exc}", f"无法读取 {path}：{exc.strerror or exc}",
                    Location(file=str(path)), exit_code=2) from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise error("A020", f"{path} is not a citystd audit (no \"kind\": \"{KIND}\")",
                    f"{path} 不是 citystd 审计结果（缺少 \"kind\": \"{KIND}\"）", Location(file=str(path)), hint,
                    exit_code=2)
    if not isinstance(doc.get("schema"), int) or doc["schema"] > SCHEMA:
        raise error("A020", f"{path}: audit schema {doc.get('schema')} is newer than this citystd reads ({SCHEMA})",
                    f"{path}：审计结果格式版本 {doc.get('schema')} 高于当前 citystd 支持的版本（{SCHEMA}）",
                    Location(file=str(path)), Msg("upgrade citystd (pip install -U citystd)",
                                                  "请升级 citystd（pip install -U citystd）"), exit_code=2)
    if not isinstance(doc.get("ranks"), list) or not isinstance(doc.get("framework"), dict):
        raise error("A020", f"{path} is not a citystd audit: 'ranks' or 'framework' is missing",
                    f"{path} 不是 citystd 审计结果：缺少 'ranks' 或 'framework'", Location(file=str(path)), hint,
                    exit_code=2)
    return doc, hashlib.sha256(data).hexdigest()


def differences(audit: dict[str, Any], framework: dict[str, Any], input_sha256: str | None) -> list[tuple[str, str, str]]:
    """What differs between the audit and the scored run: (what, audit's, run's)."""
    fw = audit.get("framework") or {}
    out = [(f"framework {k}", str(fw.get(k)), str(framework.get(k))) for k in ("id", "version", "sha256")
           if fw.get(k) != framework.get(k)]
    theirs = (audit.get("input") or {}).get("sha256")
    if theirs != input_sha256:
        out.append(("input sha256", str(theirs), str(input_sha256)))
    return out


def rank_intervals(audit: dict[str, Any], audit_sha256: str, path: Path, *, framework: dict[str, Any],
                   input_sha256: str | None, cities: list[str], force: bool = False
                   ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The results' ``audit`` section from ``audit`` and the findings (A019); raises A019 when the
    audit is of another framework or other data and not ``force``."""
    diff = differences(audit, framework, input_sha256)
    diags: list[Diagnostic] = []
    if diff:
        shown = "; ".join(f"{what}: audit {a[:16]}, scored {b[:16]}" for what, a, b in diff)
        en = f"--audit {path} was made for another framework or other data ({shown})"
        zh = f"--audit {path} 针对的是其他框架或数据（{shown}）"
        if not force:
            raise error("A019", en, zh, Location(file=str(path)),
                        Msg("audit the data being scored with the same framework and --set options, or add --force "
                            "to show its intervals anyway", "请用相同的框架与 --set 选项审计所评分的数据，"
                            "或加 --force 仍然显示其区间"), exit_code=2)
        diags.append(Diagnostic("A019", Msg(en + "; shown anyway (--force)", zh + "；仍予显示（--force）"),
                                Location(file=str(path)), severity=Severity.WARNING))
    ranks: dict[str, Any] = {}
    for row in audit["ranks"]:
        if not isinstance(row, dict) or "city" not in row:
            continue
        entry = {"rank": row.get("rank"), **{k: row.get(k) for k in _KEYS}}
        entry["nodes"] = {n: {"rank": v.get("rank"), **{k: v.get(k) for k in _KEYS}}
                          for n, v in (row.get("nodes") or {}).items() if isinstance(v, dict)}
        ranks[str(row["city"])] = entry
    missing = [c for c in dict.fromkeys(cities) if c not in ranks]
    if missing and diff:
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        diags.append(Diagnostic("A019", Msg(f"{len(missing)} cities are not in the audit and get no interval: {shown}",
                                            f"{len(missing)} 个城市不在审计中，没有区间：{shown}"),
                                Location(file=str(path)), severity=Severity.WARNING))
    st = audit.get("settings") or {}
    section = {
        "file": str(path), "sha256": audit_sha256,
        "framework": {k: (audit.get("framework") or {}).get(k) for k in ("id", "version", "sha256")},
        "input_sha256": (audit.get("input") or {}).get("sha256"), "matches": not diff,
        "year": audit.get("year"), "n": st.get("n"), "seed": st.get("seed"), "design": st.get("design"),
        "replications": st.get("replications"),
        "rank_replications": max((int(r.get("replications") or 0) for r in audit["ranks"] if isinstance(r, dict)),
                                 default=0),  # replications each interval is made of
        "uncertainty": [u.get("name") for u in audit.get("uncertainty") or [] if isinstance(u, dict)],
        "ranks": ranks,
    }
    return section, diags
