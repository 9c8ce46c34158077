"""Data quality without scoring: what ``citystd check`` reports.

:func:`check_file` reads a data file the way ``citystd score`` does and runs every data check
(docs/data.md) without computing a score:

- what the reader finds (not a number D705, Excel errors D706, duplicates D704, …);
- variables the framework needs that the file lacks (D709) and empty required cells (D716);
- values outside the valid range of a variable or indicator, also of computed indicators (D707);
- values that look off by a power of ten (D715);
- suspicious year-on-year jumps (D714, factor ``jump_factor``) — only on ratio-scale columns
  (:func:`citystd.assessment.datachecks.ratio_scale`): growth rates, differences and yes/no scales change
  by large factors in ordinary years; and a count (two whole numbers) must change by more than
  its counting noise, 3 √n (:data:`JUMP_NOISE`);
- divisions by zero in formulas (D708).

and the **completeness** of the data for the framework (:func:`completeness`): per indicator, the
share of city-years for which it can be computed and the variables the file lacks for it; per
top-level node (domain), how many of its indicators are complete, partial or cannot be computed
at all. The functions below :func:`check_file` are pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg, Severity
from citystd.library.load import Library
from citystd.library.models import Framework

#: counts must change by more than this many Poisson standard deviations to be a jump (D714)
JUMP_NOISE = 3.0


@dataclass
class IndicatorCompleteness:
    """How far one indicator of the framework can be computed from the file."""

    id: str
    name: dict[str, str]
    domain: str | None  # the top-level node it belongs to (first occurrence)
    rows: int  # city-years in the file
    values: int  # city-years for which it can be computed
    missing_columns: list[str]  # columns it needs that the file lacks: variables, or its own id if reported directly

    @property
    def share(self) -> float:
        return self.values / self.rows if self.rows else 0.0

    @property
    def status(self) -> str:
        """``complete`` (every city-year), ``partial`` or ``none`` (cannot be computed at all)."""
        if self.rows and self.values == self.rows:
            return "complete"
        return "partial" if self.values else "none"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "domain": self.domain, "status": self.status,
                "share": self.share, "values": self.values, "rows": self.rows,
                "missing_columns": list(self.missing_columns)}


@dataclass
class DomainCompleteness:
    """Completeness of one top-level node of the framework (or of the whole framework)."""

    id: str
    name: dict[str, str]
    indicators: list[str]
    complete: int
    partial: int
    none: int
    share: float  # share of (indicator, city-year) cells that can be computed

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "indicators": len(self.indicators), "complete": self.complete,
                "partial": self.partial, "none": self.none, "share": self.share}


@dataclass
class CityCompleteness:
    """What can be computed for one city in one year."""

    city: str
    code: str | None
    year: int | None
    computable: int  # indicators of the framework with a value
    of: int  # indicators of the framework
    missing: list[str]  # the indicators without a value

    def to_dict(self) -> dict[str, Any]:
        return {"city": self.city, "code": self.code, "year": self.year, "computable": self.computable,
                "of": self.of, "missing": list(self.missing)}


@dataclass
class CheckReport:
    """Everything ``citystd check`` found in its input (one file, or several files and folders)."""

    file: str
    sha256: str
    layout: str
    framework: dict[str, Any]
    cities: list[str]
    years: list[int]
    indicators: list[IndicatorCompleteness]
    domains: list[DomainCompleteness]
    overall: DomainCompleteness
    diagnostics: list[Diagnostic] = field(default_factory=list)
    per_city: list[CityCompleteness] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)  # missing column → where it is published
    input: dict[str, Any] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)  # how each column was read

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Severity.ERROR]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        from citystd import __version__
        from citystd.diagnostics import count

        n_err, n_warn = count(self.diagnostics)
        return {
            "citystd_version": __version__,
            "file": self.file, "sha256": self.sha256, "layout": self.layout,
            "input": self.input,
            "framework": self.framework,
            "cities": len(self.cities), "years": self.years,
            "errors": n_err, "warnings": n_warn,
            "completeness": {
                "overall": self.overall.to_dict(),
                "domains": [d.to_dict() for d in self.domains],
                "indicators": [{**i.to_dict(), "sources": {c: self.sources.get(c, []) for c in i.missing_columns}}
                               for i in self.indicators],
                "cities": [c.to_dict() for c in self.per_city],
            },
            "columns": self.columns,
            "diagnostics": [d.to_dict(lang) for d in self.diagnostics],
        }


def check_file(data: Any, lib: Library, fw: Framework, *, jump_factor: float | None = 3.0,
               sheet: str | None = None, layout: str = "auto", id_column: str | None = None,
               year: int | None = None, choose: Mapping[str, str] | None = None,
               prefer: Sequence[Path | str] = ()) -> CheckReport:
    """Read ``data`` (a file, a folder or several) and run every check for framework ``fw`` (see
    the module docs)."""
    from citystd.assessment.datachecks import (
        check_city_data,
        check_missing_values,
        check_missing_variables,
        check_ranges,
        ratio_scale,
    )
    from citystd.assessment.prepare import _derived_range_findings, input_info, read_data, required_columns
    from citystd.engine.derive import derive, needs
    from citystd.engine.pipeline import build_spec
    from citystd.library.models import unit_text

    spec = build_spec(lib, fw)
    plan = needs(lib, spec.indicators)
    city = read_data(data, lib, plan, sheet=sheet, layout=layout, id_column=id_column, year=year, choose=choose,
                     prefer=prefer)
    file = city.source.file
    diags: list[Diagnostic] = list(city.diagnostics)
    present = set(city.values.columns)
    missing_needed = {v: users for v, users in plan.variables.items()
                      if v not in present and not all(u in present for u in users)}
    names = {v: [lib.variables[v].name.zh, lib.variables[v].name.en] for v in missing_needed if v in lib.variables}
    diags += check_missing_variables(present, missing_needed, file=file, names=names)
    flagged = [d.location for d in city.diagnostics if d.code in ("D705", "D706")]
    diags += check_missing_values(city.values, required_columns(plan, present), city, file=file, flagged=flagged)

    ranges: dict[str, tuple[float | None, float | None]] = {}
    units: dict[str, list[str]] = {}
    for v in plan.variables:
        if v in lib.variables:
            var = lib.variables[v]
            ranges[v] = tuple(var.range)  # type: ignore[assignment]
            units[v] = [unit_text(var.unit, "zh"), unit_text(var.unit, "en")]
    for i in plan.order:
        ind = lib.indicators[i]
        ranges[i] = tuple(ind.range)  # type: ignore[assignment]
        units[i] = [unit_text(ind.unit, "zh"), unit_text(ind.unit, "en")]
    checked = {k: r for k, r in ranges.items() if r != (None, None) and k in present}
    diags += check_ranges(city.values, checked, city, file=file)
    jump_columns = [c for c in city.values.columns if ratio_scale(*ranges.get(c, (None, None)), units.get(c, []))]
    diags += check_city_data(city, jump_factor=jump_factor, unit_scale=True, jump_columns=jump_columns,
                             jump_noise=JUMP_NOISE)

    values, derive_diags = derive(city.values, lib, list(spec.indicators), city.locate)
    diags += derive_diags
    derived = [i for i in spec.indicators if i in plan.formulas and i not in present]
    derived_ranges = {i: tuple(lib.indicators[i].range) for i in derived if lib.indicators[i].range != (None, None)}
    if derived_ranges:
        diags += _derived_range_findings(values, derived_ranges, lib, plan, city)

    lacking = {**missing_needed, **{d: [d] for d in plan.direct if d not in present}}
    inds, domains, overall = completeness(spec, lib, values, lacking)
    if not values.notna().any().any():
        diags.append(Diagnostic("D711", Msg("no indicator of the framework can be computed from this data",
                                            "无法从这些数据计算框架中的任何指标"), Location(file),
                                Msg("fill in the values (a template's input cells), or check that the columns are "
                                    "the framework's variables (docs/data.md)",
                                    "请填写数值（模板的填报单元格），或确认列是框架所需的变量（见 docs/data.md）")))
    fw_info = {"id": fw.id, "version": fw.version, "name": fw.name.model_dump(), "sha256": spec.sha256()}
    codes = city.codes if city.codes is not None else None
    sources = {c: _published(lib, c) for c in lacking}
    columns = [info.to_dict() for info in city.columns.values()]
    return CheckReport(file, city.source.sha256, city.source.layout, fw_info, city.units, city.years, inds, domains,
                       overall, diags, per_city(spec, values, codes), sources, input_info(city), columns)


def _published(lib: Library, item_id: str) -> list[str]:
    """Where a variable or indicator is published (``中国城市统计年鉴 2-1 常住人口 全市（万人）``)."""
    item = lib.variables.get(item_id) or lib.indicators.get(item_id)
    pubs = getattr(item, "published_in", []) if item is not None else []
    return [" ".join(x for x in (p.publication, p.table, p.column) if x) for p in pubs]


def per_city(spec: Any, values: pd.DataFrame, codes: pd.Series | None) -> list[CityCompleteness]:
    """For every city and year: how many of the framework's indicators have a value, and which not."""
    import numpy as np

    inds = list(spec.indicators)
    have = values.reindex(columns=inds).notna().to_numpy()
    units = values.index.get_level_values("unit")
    years = values.index.get_level_values("year")
    cols = np.asarray(inds, dtype=object)
    out = []
    for r in range(len(values)):  # one entry per city-year of the report (building output, not computing)
        u = str(units[r])
        code = codes.get(u) if codes is not None and len(codes) else None
        y = years[r]
        out.append(CityCompleteness(u, None if code is None or code != code else str(code),
                                    None if pd.isna(y) else int(y), int(have[r].sum()), len(inds),
                                    cols[~have[r]].tolist()))
    return out


def completeness(spec: Any, lib: Library, values: pd.DataFrame,
                 missing_columns: Mapping[str, Sequence[str]]) -> tuple[list[IndicatorCompleteness],
                                                                           list[DomainCompleteness],
                                                                           DomainCompleteness]:
    """Per indicator and per top-level node: how much of the framework ``values`` can compute.

    ``values`` holds the derived indicators (one column per indicator of ``spec``);
    ``missing_columns`` maps each column the file lacks (a variable, or an indicator reported
    directly) to the indicators needing it.
    """
    from citystd.engine.pipeline import ROOT

    n = len(values)
    counts = values.reindex(columns=list(spec.indicators)).notna().sum(axis=0)
    lacking: dict[str, list[str]] = {}
    for var, users in missing_columns.items():
        for u in users:
            lacking.setdefault(u, []).append(var)
    by_id = {node.id: node for node in spec.nodes}
    root = by_id[ROOT]
    top = [c for c in root.children if c in by_id]
    home: dict[str, str] = {}
    for t in top:
        for leaf in _all_leaves(by_id, t):
            home.setdefault(leaf, t)
    inds = [IndicatorCompleteness(i, lib.indicators[i].name.model_dump(), home.get(i), n, int(counts[i]),
                                  sorted(set(lacking.get(i, [])))) for i in spec.indicators]
    by_ind = {c.id: c for c in inds}

    def summary(node_id: str, name: dict[str, str], members: list[str]) -> DomainCompleteness:
        cs = [by_ind[m] for m in members]
        cells = n * len(cs)
        share = float(sum(c.values for c in cs) / cells) if cells else 0.0
        return DomainCompleteness(node_id, name, members, sum(c.status == "complete" for c in cs),
                                  sum(c.status == "partial" for c in cs), sum(c.status == "none" for c in cs), share)

    domains = [summary(t, by_id[t].name, list(dict.fromkeys(_all_leaves(by_id, t)))) for t in top]
    loose = [i for i in spec.indicators if i not in home]
    if loose:  # indicators directly under the root
        domains.append(summary(ROOT, spec.name, loose))
    overall = summary(ROOT, spec.name, list(spec.indicators))
    return inds, domains, overall


def _all_leaves(by_id: Mapping[str, Any], node_id: str) -> list[str]:
    """Every indicator below a node, weight 0 included (they are shown, so they are collected)."""
    out: list[str] = []
    for child in by_id[node_id].children:
        if child in by_id:
            out.extend(_all_leaves(by_id, child))
        else:
            out.append(child)
    return out


def fraction(x: float) -> str:
    """A share as a percent that never rounds up to 100 % (or down to 0 %) unless it is exactly that."""
    p = x * 100
    if 0 < p < 0.05:
        return "<0.1%"
    if 99.95 <= p < 100:
        return ">99.9%"
    return "100%" if p >= 100 else f"{p:.1f}%"
