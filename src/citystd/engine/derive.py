"""Derive indicators from variables: every formula evaluated once, vectorised over all rows.

Indicators are computed in dependency order (an indicator's formula may use other indicators).
A column that already carries an indicator's own id is used as given, and its missing cells are
filled from the formula where the variables allow. A division by zero or an undefined result
(D708) and a result too large for a float (overflow, D717) from finite inputs are reported for
the row where they happen and leave the cell missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Location, Msg
from citystd.library.formula import OVERFLOW, Formula, evaluate, faults, parse
from citystd.library.load import Library

Locate = Callable[[object, object, str], Location]
MAX_CELL_FINDINGS = 200


@dataclass(frozen=True)
class Needs:
    """What a set of indicators needs from the data: ordered formulas and raw inputs."""

    order: list[str]  # indicators in dependency order (inputs first)
    formulas: dict[str, Formula]
    variables: dict[str, list[str]]  # variable id → indicators that need it
    direct: list[str]  # indicators without a formula (reported under their own id)


def needs(lib: Library, indicators: Iterable[str]) -> Needs:
    """Close ``indicators`` over their formulas: which indicators and variables are involved."""
    formulas: dict[str, Formula] = {}
    variables: dict[str, list[str]] = {}
    order: list[str] = []
    seen: set[str] = set()

    def visit(ind_id: str, user: str) -> None:
        if ind_id in seen:
            return
        seen.add(ind_id)
        ind = lib.indicators[ind_id]
        if ind.formula is not None:
            f = parse(ind.formula)
            formulas[ind_id] = f
            for name in f.names:
                if name in lib.indicators:
                    visit(name, user)
                else:
                    variables.setdefault(name, [])
                    if user not in variables[name]:
                        variables[name].append(user)
        order.append(ind_id)

    for ind_id in indicators:
        visit(ind_id, ind_id)
    direct = [i for i in order if i not in formulas]
    return Needs(order, formulas, variables, direct)


def derive(values: pd.DataFrame, lib: Library, indicators: list[str],
           locate: Locate | None = None) -> tuple[pd.DataFrame, list[Diagnostic]]:
    """Compute ``indicators`` from the columns of ``values`` (variables and/or indicators).

    Returns a float64 frame with one column per requested indicator, same index as ``values``,
    and the diagnostics (division by zero or undefined, D708; overflow, D717).
    """
    plan = needs(lib, indicators)
    n = len(values.index)
    given = values.columns.intersection([*plan.order, *plan.variables])
    data = values[given].to_numpy(dtype="float64") if len(given) else np.empty((n, 0))
    at = {name: k for k, name in enumerate(given)}
    cols: dict[str, np.ndarray] = {}  # numpy columns: a formula costs a few array operations, no pandas
    diags: list[Diagnostic] = []
    nan = np.full(n, np.nan)

    def column(name: str) -> np.ndarray:
        if name in cols:
            return cols[name]
        return data[:, at[name]] if name in at else nan

    for ind_id in plan.order:
        own = data[:, at[ind_id]] if ind_id in at else None
        f = plan.formulas.get(ind_id)
        if f is None:
            cols[ind_id] = own if own is not None else nan
            continue
        env = {name: column(name) for name in f.names}
        result = np.asarray(evaluate(f, env), dtype="float64") * np.ones(n)
        inputs_ok = np.ones(n, dtype=bool)
        for x in env.values():
            inputs_ok &= np.isfinite(x)
        bad = inputs_ok & ~np.isfinite(result)
        if bad.any():
            codes, _col = faults(f, env)
            codes = np.broadcast_to(np.asarray(codes), bad.shape)
            overflow = bad & (codes == OVERFLOW)
            if (bad & ~overflow).any():
                diags.extend(_division_findings(ind_id, f, values.index[bad & ~overflow], locate))
            if overflow.any():
                diags.extend(_overflow_findings(ind_id, f, values.index[overflow], locate))
            result = np.where(bad, np.nan, result)
        cols[ind_id] = result if own is None else np.where(np.isnan(own), result, own)
    out = pd.DataFrame({i: cols[i] for i in indicators}, index=values.index)
    return out, diags


def _division_findings(ind_id: str, f: Formula, rows: pd.Index, locate: Locate | None) -> list[Diagnostic]:
    out = []
    first_var = f.names[0] if f.names else ind_id
    for unit, year in list(rows)[:MAX_CELL_FINDINGS]:
        loc = locate(unit, year, first_var) if locate else Location()
        when = "" if pd.isna(year) else f" {year}"
        out.append(Diagnostic(
            "D708", Msg(f"{unit}{when}: formula of '{ind_id}' ({f.text}) divides by zero or is undefined",
                        f"{unit}{when}：指标 '{ind_id}' 的公式（{f.text}）出现除以零或无定义"),
            loc, Msg("check the denominator's value; the indicator is left missing for this row",
                     "请检查分母取值；该行的指标按缺失处理")))
    if len(rows) > MAX_CELL_FINDINGS:
        out.append(Diagnostic("D708", Msg(f"… and {len(rows) - MAX_CELL_FINDINGS} more rows for '{ind_id}'",
                                          f"……指标 '{ind_id}' 另有 {len(rows) - MAX_CELL_FINDINGS} 行"), Location()))
    return out


def _overflow_findings(ind_id: str, f: Formula, rows: pd.Index, locate: Locate | None) -> list[Diagnostic]:
    out = []
    first_var = f.names[0] if f.names else ind_id
    for unit, year in list(rows)[:MAX_CELL_FINDINGS]:
        loc = locate(unit, year, first_var) if locate else Location()
        when = "" if pd.isna(year) else f" {year}"
        out.append(Diagnostic(
            "D717", Msg(f"{unit}{when}: formula of '{ind_id}' ({f.text}) gives a number too large to compute "
                        "(overflow)", f"{unit}{when}：指标 '{ind_id}' 的公式（{f.text}）结果过大，无法计算（溢出）"),
            loc, Msg("check the input values and their units, and the formula's exponents; the indicator is left "
                     "missing for this row", "请检查输入数值及其单位、公式中的指数；该行的指标按缺失处理")))
    if len(rows) > MAX_CELL_FINDINGS:
        out.append(Diagnostic("D717", Msg(f"… and {len(rows) - MAX_CELL_FINDINGS} more rows for '{ind_id}'",
                                          f"……指标 '{ind_id}' 另有 {len(rows) - MAX_CELL_FINDINGS} 行"), Location()))
    return out
