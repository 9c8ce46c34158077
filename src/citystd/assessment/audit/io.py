"""Auditing a data file end to end: library → uncertainty → read, check, derive → audit → document.

The one place that wires IO (the reader, the uncertainty file, the executor) to the pure audit
(:func:`citystd.assessment.audit.run.audit`); the CLI calls :func:`audit_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from citystd.diagnostics import Diagnostic, Location, Msg, Severity, error, suggestion
from citystd.library.models import Framework
from citystd.library.uncertainty import UncertainInput, locator, parse_uncertainty


@dataclass
class AuditOutcome:
    document: dict[str, Any] | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def load_uncertainty(path: Path, fw: Framework) -> tuple[list[UncertainInput], list[Diagnostic]]:
    """Read an uncertainty file (``uncertainty:`` list, optionally after ``citystd: 1``) and check it."""
    from citystd.library.yamlload import load_yaml

    if not path.is_file():
        raise error("U901", f"uncertainty file not found: {path}", f"找不到不确定性文件：{path}", exit_code=2)
    data, pos, diags = load_yaml(path)
    if data is None:
        return [], diags
    if not isinstance(data, dict) or "uncertainty" not in data:
        return [], [Diagnostic("A016", Msg(f"{path} has no `uncertainty:` list", f"{path} 中没有 `uncertainty:` 列表"),
                               Location(str(path), 1, 1),
                               Msg("write `uncertainty:` followed by the inputs, e.g. "
                                   "- {name: weights, weights_noise: 0.25}",
                                   "请写 `uncertainty:`，其后列出输入，例如 - {name: weights, weights_noise: 0.25}"))]
    extra = [k for k in data if k not in ("citystd", "uncertainty")]
    for k in extra:
        diags.append(Diagnostic("A016", Msg(f"unknown key '{k}' in an uncertainty file (allowed: citystd, uncertainty)",
                                            f"不确定性文件中的未知键 '{k}'（允许：citystd、uncertainty）"),
                                pos.locate((k,), key=True)))
    inputs, found = parse_uncertainty(data["uncertainty"], fw, locator(pos, ("uncertainty",)))
    return inputs, diags + found


def size_values(name: str, city: Any, values: Any, rows: Any) -> np.ndarray:
    """The size variable ``name`` of the audited rows: a column of the data file, or an indicator."""
    for frame in (city.values, values):
        if name in frame.columns:
            return frame[name].reindex(rows).to_numpy(dtype=float)
    known = sorted({*map(str, city.values.columns), *map(str, values.columns)})
    raise error("A017", f"--size {name}: no such column in the data or indicator of the framework",
                f"--size {name}：数据中没有该列，框架中也没有该指标", hint=suggestion(name, known))


def audit_file(data: Path, framework: str | None, libraries: list[Path] | None, *, uncertainty: Path | None = None,
               n: int = 1000, seed: int = 1, sensitivity: bool = True, city: str | None = None,
               size: list[str] | None = None, year: int | None = None, workers: int | None = None,
               scheduler: str | None = None, bootstrap: int = 1000, sets: list[str] | None = None,
               sheet: str | None = None, layout: str = "auto", id_column: str | None = None,
               keep_going: bool = False) -> AuditOutcome:
    """Audit ``data`` against a framework; the document is None when errors stop it."""
    from citystd.assessment.audit.document import build_document
    from citystd.assessment.audit.executors import make_executor
    from citystd.assessment.audit.run import Options, audit, audit_rows
    from citystd.assessment.prepare import prepare
    from citystd.engine.pipeline import build_spec
    from citystd.library.select import load_framework

    lib, fw = load_framework(framework, libraries)
    if uncertainty is not None:
        inputs, diags = load_uncertainty(uncertainty, fw)
    else:
        origin = lib.origin("framework", fw.id)
        locate = locator(origin.positions, (*origin.path, "uncertainty")) if origin is not None \
            else (lambda _p, key=False: Location())
        inputs, diags = parse_uncertainty(fw.uncertainty, fw, locate, f"framework '{fw.id}' uncertainty")
    if any(d.level is Severity.ERROR for d in diags):
        return AuditOutcome(None, diags)
    spec = build_spec(lib, fw, sets)
    prep = prepare(data, lib, fw, spec, layout=layout, sheet=sheet, id_column=id_column, keep_going=keep_going)
    diags += prep.diagnostics
    if prep.stop:
        return AuditOutcome(None, diags)
    rows, _ = audit_rows(prep.values, year)
    sizes = {name: size_values(name, prep.city, prep.values, rows) for name in size or []}
    if n < 2:
        raise error("A018", f"-N must be at least 2, not {n}", f"-N 至少为 2，而不是 {n}", exit_code=2)
    executor = make_executor(workers, scheduler) if (workers is not None or scheduler) else None
    try:
        opts = Options(n=n, seed=seed, sensitivity=sensitivity, year=year, size=sizes, city=city, resamples=bootstrap)
        result = audit(spec, prep.values, prep.city.attributes, inputs, opts, executor=executor)
    finally:
        if executor is not None:
            executor.close()
    diags += result.diagnostics
    names = {i: lib.indicators[i].name.model_dump() for i in spec.indicators if i in lib.indicators}
    names.update({node.id: dict(node.name) for node in spec.nodes})
    doc = build_document(result, names=names, input_info=prep.input_info)
    return AuditOutcome(doc, diags)
