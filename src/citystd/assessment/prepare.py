"""The data read (one file, or several files and folders as one data set), checked (D7xx) and
derived: what every scoring path starts from."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citystd.diagnostics import Diagnostic, Location, Msg, Severity
from citystd.library.load import Library
from citystd.library.models import Framework


@dataclass
class Prepared:
    """A data file read, checked and derived, ready for :func:`~citystd.engine.pipeline.run`."""

    city: Any  # the CityData as read
    values: Any  # the framework's indicators, derived (out-of-range values blanked with keep_going)
    diagnostics: list[Diagnostic]
    stop: bool  # data errors (without keep_going) or nothing computable: no score

    @property
    def input_info(self) -> dict[str, Any]:
        return input_info(self.city)

    @property
    def codes(self) -> dict[str, str]:
        """The 6-digit division code of each city that has one."""
        codes = self.city.codes
        return {} if codes is None else {str(u): str(c) for u, c in codes.items() if c is not None and c == c}


def input_info(city: Any) -> dict[str, Any]:
    """The ``input`` of results and check reports: the data set, and each file it was read from."""
    src = city.source
    return {"file": src.file, "sha256": src.sha256, "sheet": src.sheet, "layout": src.layout,
            "dialect": src.dialect, "sources": [s.to_dict() for s in city.sources]}


Paths = Path | str | Sequence[Path | str]


def read_data(data: Paths, lib: Library, plan: Any, *, sheet: str | None = None, layout: str = "auto",
              id_column: str | None = None, year: int | None = None, choose: Mapping[str, str] | None = None,
              prefer: Sequence[Path | str] = ()) -> Any:
    """Read ``data`` (a file, a folder, or several) with the library's vocabulary (names, aliases,
    scopes and units), the plan's variables and indicators first."""
    import pandas as pd

    from citystd.io.inputs import read_inputs
    from citystd.io.vocabulary import Vocabulary

    vocab = Vocabulary.from_library(lib, [*plan.variables, *plan.order])
    if isinstance(data, pd.DataFrame):  # the Python API: a table in memory, read like a file
        from citystd.io.identify import identify
        from citystd.io.read import read_frame

        return identify(read_frame(data, vocab, layout=layout, id_column=id_column, year=year,  # type: ignore[arg-type]
                                   choose=choose))
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    return read_inputs(paths, vocab, sheet=sheet, layout=layout, id_column=id_column, year=year, choose=choose,
                       prefer=prefer)


def prepare(data: Paths, lib: Library, fw: Framework, spec: Any, *, sheet: str | None = None, layout: str = "auto",
            id_column: str | None = None, year: int | None = None, choose: Mapping[str, str] | None = None,
            prefer: Sequence[Path | str] = (), keep_going: bool = False,
            progress: Callable[[str], None] | None = None) -> Prepared:
    """Read ``data`` (files and folders, merged), check it (D7xx) and derive the indicators of ``spec``."""
    step = progress or (lambda _stage: None)
    from citystd.assessment.datachecks import check_missing_values, check_missing_variables, check_ranges
    from citystd.engine.derive import derive, needs

    plan = needs(lib, spec.indicators)
    step("read")
    city = read_data(data, lib, plan, sheet=sheet, layout=layout, id_column=id_column, year=year, choose=choose,
                     prefer=prefer)
    diags: list[Diagnostic] = unused_cell_findings(city.diagnostics, {*plan.variables, *plan.order}, fw.id)
    present = set(city.values.columns)
    missing_needed = {v: users for v, users in plan.variables.items()
                      if v not in present and not all(u in present for u in users)}
    names = {v: [lib.variables[v].name.zh, lib.variables[v].name.en] for v in missing_needed if v in lib.variables}
    diags += check_missing_variables(present, missing_needed, file=city.source.file, names=names)
    if city.source.layout == "template":  # a template's input cells are all required
        flagged = [d.location for d in city.diagnostics if d.code in ("D705", "D706")]
        diags += check_missing_values(city.values, required_columns(plan, present), city, file=city.source.file,
                                      flagged=flagged)
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for v in plan.variables:
        if v in lib.variables:
            ranges[v] = tuple(lib.variables[v].range)  # type: ignore[assignment]
    for i in plan.order:
        ranges[i] = tuple(lib.indicators[i].range)  # type: ignore[assignment]
    ranges = {k: r for k, r in ranges.items() if r != (None, None) and k in present}
    diags += check_ranges(city.values, ranges, city, file=city.source.file)
    raw_values = city.values
    if keep_going and ranges:
        raw_values = _blank_out_of_range(raw_values, ranges)  # an invalid value is not scored as valid
    step("derive")
    values, derive_diags = derive(raw_values, lib, list(spec.indicators), city.locate)
    diags += derive_diags
    derived = [i for i in spec.indicators if i in plan.formulas and i not in present]
    derived_ranges = {i: tuple(lib.indicators[i].range) for i in derived if lib.indicators[i].range != (None, None)}
    if derived_ranges:
        diags += _derived_range_findings(values, derived_ranges, lib, plan, city)
    if not values.notna().any().any():
        diags.append(Diagnostic("D711", Msg("no indicator of the framework could be computed from this file",
                                            "无法从该文件计算框架中的任何指标"), Location(city.source.file),
                                Msg(f"the framework '{fw.id}' needs columns such as: "
                                    + ", ".join(list(plan.variables)[:6] + plan.direct[:4]),
                                    f"框架 '{fw.id}' 需要的列例如：" + ", ".join(list(plan.variables)[:6] + plan.direct[:4]))))
        return Prepared(city, values, diags, True)
    if any(d.level is Severity.ERROR for d in diags) and not keep_going:
        return Prepared(city, values, diags, True)
    if keep_going and derived_ranges:
        values = _blank_out_of_range(values, derived_ranges)
    return Prepared(city, values, diags, False)


def unused_cell_findings(diags: Sequence[Diagnostic], needed: set[str], framework: str) -> list[Diagnostic]:
    """Cell findings (D705 not a number, D706 Excel error, D731 unit, D733 percent sign) about a
    variable the framework does not use become warnings: they cannot change its scores."""
    from dataclasses import replace

    out = []
    for d in diags:
        if d.code in ("D705", "D706", "D731", "D733") and d.about is not None and d.about not in needed \
                and d.level is Severity.ERROR:
            d = replace(d, severity=Severity.WARNING, message=Msg(
                d.message.en + f" — '{d.about}' is not used by framework '{framework}'",
                d.message.zh + f"——框架 '{framework}' 不使用 '{d.about}'"))
        out.append(d)
    return out


def required_columns(plan: Any, present: set[str]) -> dict[str, list[str]]:
    """The data columns a framework needs (column → the indicators needing it): the variables of
    its formulas — unless every indicator needing one is given directly — and the indicators
    reported directly."""
    out = {v: list(users) for v, users in plan.variables.items()
           if v in present and not all(u in present for u in users)}
    out.update({d: [d] for d in plan.direct if d in present})
    return out


def _blank_out_of_range(values: Any, ranges: dict) -> Any:
    """A copy of ``values`` with cells outside their column's range set to missing (vectorised)."""
    import numpy as np

    out = values.copy()
    for col, (lo, hi) in ranges.items():
        if col not in out.columns:
            continue
        x = out[col].to_numpy(dtype="float64")
        bad = np.zeros(len(x), dtype=bool)
        with np.errstate(invalid="ignore"):
            if lo is not None:
                bad |= x < lo
            if hi is not None:
                bad |= x > hi
        if bad.any():
            out[col] = np.where(bad, np.nan, x)
    return out


def _derived_range_findings(values: Any, ranges: dict, lib: Library, plan: Any, city: Any) -> list[Diagnostic]:
    """D707 for derived indicators outside their range, located at the row of the first input."""
    from citystd.assessment.datachecks import check_ranges, outside

    out: list[Diagnostic] = []
    cols, _, bad = outside(values, ranges)  # one pass; messages only for the columns with a finding
    for ind_id in (c for c, any_bad in zip(cols, bad.any(axis=0), strict=True) if any_bad):
        rng = ranges[ind_id]
        names = plan.formulas[ind_id].names
        first = names[0] if names else ind_id

        def locate(unit: Any, year: Any, column: str, _first: str = first) -> Location:
            return city.locate(unit, year, _first)

        found = check_ranges(values[[ind_id]], {ind_id: rng}, locate, file=city.source.file)
        ind = lib.indicators[ind_id]
        for d in found:
            out.append(Diagnostic(d.code, Msg(d.message.en + f" (computed as {ind.formula})",
                                              d.message.zh + f"（按公式 {ind.formula} 计算）"), d.location,
                                  Msg("check the input values and their units", "请检查输入数值及其单位")))
    return out
