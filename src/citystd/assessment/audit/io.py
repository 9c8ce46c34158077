"""Auditing a data file end to end: library → uncertainty → read, check, derive → audit → document.

The one place that wires IO (the reader, the uncertainty file, the executor) to the pure audit
(:func:`citystd.assessment.audit.run.audit`): :func:`audit_data`, which the CLI calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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


def size_values(name: str, frames: Sequence[pd.DataFrame], rows: pd.Index) -> np.ndarray:
    """The size variable ``name`` of the audited rows: a column of the data, or an indicator."""
    for frame in frames:
        if frame is not None and name in frame.columns:
            return frame[name].reindex(rows).to_numpy(dtype=float)
    known = sorted({str(c) for frame in frames if frame is not None for c in frame.columns})
    raise error("A017", f"--size {name}: no such column in the data or indicator of the framework",
                f"--size {name}：数据中没有该列，框架中也没有该指标", hint=suggestion(name, known))


def audit_data(data: Path | str | Sequence[Path | str] | pd.DataFrame, framework: str | Path | None = None,
               uncertainty: Path | str | Sequence[Mapping[str, Any]] | None = None, *,
               library: Sequence[Path | str] | None = None, attributes: pd.DataFrame | None = None,
               n: int = 1000, seed: int = 1, sensitivity: bool = True, city: str | None = None,
               size: Sequence[str] = (), year: int | None = None, workers: int | None = None,
               scheduler: str | None = None, bootstrap: int = 1000, sets: Sequence[str] = (),
               sheet: str | None = None, layout: str = "auto", id_column: str | None = None,
               choose: Mapping[str, str] | None = None, prefer: Sequence[Path | str] = (),
               keep_going: bool = False, executor: Any = None, loaded: tuple[Any, Framework] | None = None,
               table: bool = False) -> AuditOutcome:
    """Audit a data set against a framework: the one entry point of ``citystd audit`` (and of the
    Python API). Returns the audit document (docs/audit.md), or None with the errors that stopped it.

    - ``data``: data files and folders, one data set (read, merged, checked and derived as
      ``citystd score`` does: ``sheet``, ``layout``, ``id_column``, ``choose`` (``--column``),
      ``prefer``; ``year`` is the year audited and the year of tables without one), or the
      indicator values themselves — a DataFrame with one column per indicator of the framework,
      indexed by unit or by (unit, year) — with their unit ``attributes`` (for ``by:`` groups);
    - ``framework``: a built-in framework id (default ``action-plan``) or a framework YAML file;
      ``library`` replaces the built-in library; ``sets`` are ``step.param=value`` overrides;
    - ``uncertainty``: an uncertainty file, or the list itself (as in YAML: dicts with ``name`` and
      ``step``/``param``/``values``, ``weights_noise`` or ``exclude``); default the framework's own.

    ``table``: a DataFrame ``data`` is a table of raw statistics in any layout a file may have
    (read like a file, as ``citystd.score`` reads one), not the indicator values.

    ``loaded``: the (library, framework) already loaded by the caller (then ``framework`` and
    ``library`` only name them).

    Errors that stop the audit before it starts (unknown framework, unreadable file, bad options)
    raise :class:`~citystd.diagnostics.CitystdError`; findings in the data or the uncertainty
    section are returned as diagnostics.
    """
    from citystd.assessment.audit.document import build_document
    from citystd.assessment.audit.executors import make_executor
    from citystd.assessment.audit.run import Options, audit, audit_rows
    from citystd.assessment.prepare import prepare
    from citystd.engine.pipeline import build_spec
    from citystd.library.select import load_framework

    if n < 2:
        raise error("A018", f"-N must be at least 2, not {n}", f"-N 至少为 2，而不是 {n}", exit_code=2)
    lib, fw = loaded if loaded is not None else load_framework(str(framework) if framework is not None else None,
                                                               [Path(p) for p in library] if library else None)
    if isinstance(uncertainty, (str, Path)):
        inputs, diags = load_uncertainty(Path(uncertainty), fw)
    elif uncertainty is not None:
        inputs, diags = parse_uncertainty([dict(u) for u in uncertainty], fw, lambda _p, key=False: Location(),
                                          "uncertainty")
    else:
        origin = lib.origin("framework", fw.id)
        locate = locator(origin.positions, (*origin.path, "uncertainty")) if origin is not None \
            else (lambda _p, key=False: Location())
        inputs, diags = parse_uncertainty(fw.uncertainty, fw, locate, f"framework '{fw.id}' uncertainty")
    if any(d.level is Severity.ERROR for d in diags):
        return AuditOutcome(None, diags)
    spec = build_spec(lib, fw, list(sets))
    if isinstance(data, pd.DataFrame) and not table:
        values, attrs, input_info = _given_values(data, attributes, spec)
        columns: list[pd.DataFrame] = [values, attrs]
    else:
        paths: Any = data if isinstance(data, pd.DataFrame) else \
            [Path(data)] if isinstance(data, (str, Path)) else [Path(p) for p in data]
        prep = prepare(paths, lib, fw, spec, layout=layout, sheet=sheet, id_column=id_column, year=year,
                       choose=choose, prefer=list(prefer), keep_going=keep_going)
        diags += prep.diagnostics
        if prep.stop:
            return AuditOutcome(None, diags)
        values, attrs, input_info = prep.values, prep.city.attributes, prep.input_info
        columns = [prep.city.values, values]
    rows, _ = audit_rows(values, year)
    sizes = {name: size_values(name, columns, rows) for name in size}
    own = executor is None and (workers is not None or scheduler)
    ex = make_executor(workers, scheduler) if own else executor
    try:
        opts = Options(n=n, seed=seed, sensitivity=sensitivity, year=year, size=sizes, city=city, resamples=bootstrap)
        result = audit(spec, values, attrs, inputs, opts, executor=ex)
    finally:
        if own and ex is not None:
            ex.close()
    diags += result.diagnostics
    names = {i: lib.indicators[i].name.model_dump() for i in spec.indicators if i in lib.indicators}
    names.update({node.id: dict(node.name) for node in spec.nodes})
    return AuditOutcome(build_document(result, names=names, input_info=input_info), diags)


def _given_values(data: pd.DataFrame, attributes: pd.DataFrame | None,
                  spec: Any) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """Indicator values given as a frame: indexed (unit, year), the framework's columns, its digest."""
    import hashlib

    frame = data
    if not isinstance(frame.index, pd.MultiIndex):
        frame = frame.set_axis(pd.MultiIndex.from_arrays(
            [frame.index.astype(str), pd.array([pd.NA] * len(frame), dtype="Int64")], names=["unit", "year"]))
    elif frame.index.nlevels != 2:
        raise error("A021", f"indicator values must be indexed by unit or by (unit, year), not by "
                    f"{frame.index.nlevels} levels", f"指标数值的索引应为单元或（单元，年份），而不是 {frame.index.nlevels} 层")
    else:
        frame = frame.rename_axis(["unit", "year"])
    present = [c for c in spec.indicators if c in frame.columns]
    if not present:
        raise error("A021", f"none of the {len(spec.indicators)} indicators of framework '{spec.framework_id}' is a "
                    "column of the values given", f"给定数值的列中没有框架 '{spec.framework_id}' 的任何指标",
                    hint=suggestion(str(next(iter(frame.columns), "")), spec.indicators))
    values = frame.reindex(columns=list(spec.indicators)).astype("float64")
    attrs = None
    if attributes is not None:
        attrs = attributes.set_axis(frame.index) if len(attributes) == len(frame) and \
            not attributes.index.equals(frame.index) else attributes
    digest = hashlib.sha256(pd.util.hash_pandas_object(values, index=True).to_numpy().tobytes())
    digest.update("\x1f".join(map(str, values.columns)).encode("utf-8"))
    return values, attrs, {"file": None, "sha256": digest.hexdigest(), "sheet": None, "layout": "values"}

