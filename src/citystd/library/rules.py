"""Rules that span objects of a loaded library: references, formulas, bounds, frameworks.

Each check is a small function yielding :class:`~citystd.diagnostics.Diagnostic` records with a
stable code from the catalogue; :func:`check_library` runs them all. Shape errors (unknown keys,
wrong types) were already reported while loading (:mod:`citystd.library.load`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from citystd.diagnostics import Diagnostic, Location, Msg, suggestion
from citystd.library.datarules import check_data_rules
from citystd.library.formula import Formula, FormulaError, constant_parts, parse
from citystd.library.load import Library, Origin
from citystd.library.models import Framework, Goalposts, Indicator, Leaf, Node, Target, Thresholds
from citystd.library.pipeline import (
    AggregateParams,
    ImputeParams,
    NormaliseParams,
    TreatParams,
    WeightsParams,
    step_name,
    step_params,
)

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)

#: the id under which tidy results (Parquet, the Python API) list the overall score
RESERVED_NODE = "overall"


def check_library(lib: Library) -> list[Diagnostic]:
    """All cross-object rules, in a stable order."""
    out: list[Diagnostic] = []
    formulas = dict(_formulas(lib, out))
    out.extend(_id_clashes(lib))
    out.extend(_domains(lib))
    out.extend(_formula_names(lib, formulas))
    out.extend(_cycles(lib, formulas))
    for ind_id, ind in lib.indicators.items():
        origin = lib.origins[("indicators", ind_id)]
        out.extend(check_bounds(ind, origin, _lo_hi(ind.range)))
        for i, src in enumerate(ind.sources):
            if not src.clause:
                out.append(Diagnostic(
                    "W602", Msg(f"indicator '{ind_id}': source '{src.standard}' has no clause",
                                f"指标 '{ind_id}'：来源 '{src.standard}' 未注明条款"),
                    origin.locate("sources", i),
                    Msg("add `clause:` (e.g. \"5.1\") so readers can find it in the standard",
                        "请补充 `clause:`（如 \"5.1\"），便于在标准中查找")))
    for var_id, var in lib.variables.items():
        lo, hi = _lo_hi(var.range)
        if any(v is not None and not math.isfinite(v) for v in (lo, hi)):
            out.append(Diagnostic("N408", Msg(f"variable '{var_id}': range [{lo}, {hi}] is not finite",
                                              f"变量 '{var_id}'：取值范围 [{lo}, {hi}] 不是有限数"),
                                  lib.origins[("variables", var_id)].locate("range"),
                                  Msg("leave a range end open with null", "取值范围的一端不设限时请写 null")))
        elif lo is not None and hi is not None and lo > hi:
            out.append(_range_order(lib.origins[("variables", var_id)], "variable", var_id, lo, hi))
    for fw_id, fw in lib.frameworks.items():
        out.extend(check_framework(lib, fw, lib.origins[("framework", fw_id)]))
    out.extend(_unused(lib, formulas))
    out.extend(check_data_rules(lib, formulas))
    return out


# ---------------------------------------------------------------- formulas and references

def _formulas(lib: Library, out: list[Diagnostic]) -> Iterator[tuple[str, Formula]]:
    for ind_id, ind in lib.indicators.items():
        if ind.formula is None:
            continue
        origin = lib.origins[("indicators", ind_id)]
        try:
            f = parse(ind.formula)
        except FormulaError as exc:
            loc = origin.positions.text_column((*origin.path, "formula"), exc.col or 1)
            out.append(Diagnostic(
                exc.code, Msg(f"formula of '{ind_id}': {exc.message}", f"指标 '{ind_id}' 的公式：{exc.message}"),
                loc, Msg("formulas use numbers, ids, + - * / **, ( ) and min max abs log log10 exp sqrt where",
                         "公式可用数字、标识符、+ - * / **、括号及 min max abs log log10 exp sqrt where")))
            continue
        out.extend(_formula_values(ind_id, f, origin))
        yield ind_id, f


def _formula_values(ind_id: str, f: Formula, origin: Origin) -> Iterator[Diagnostic]:
    """F303 a formula without a variable; F304 a part that fails for any data."""
    at = (*origin.path, "formula")
    if not f.names:
        yield Diagnostic("F303", Msg(f"formula of '{ind_id}' uses no variable: every city would get the same "
                                     "value, so it compares nothing",
                                     f"指标 '{ind_id}' 的公式不含任何变量：所有城市得到同一个值，无法比较"),
                         origin.positions.text_column(at, 1),
                         Msg("use the variables the indicator is computed from, or report the value in the data "
                             "(no formula)", "请在公式中使用计算该指标所需的变量，或去掉公式、在数据中直接填报"))
    what = {"division": ("divides by zero whatever the data", "无论数据如何都会除以零"),
            "overflow": ("gives a number too large for a 64-bit float (overflow) whatever the data",
                         "无论数据如何结果都超出 64 位浮点数范围（溢出）"),
            "undefined": ("is undefined whatever the data (e.g. log(0), sqrt(-1), 0/0)",
                          "无论数据如何都无定义（如 log(0)、sqrt(-1)、0/0）")}
    for kind, col in constant_parts(f):
        en, zh = what[kind]
        yield Diagnostic("F304", Msg(f"formula of '{ind_id}': this part {en}", f"指标 '{ind_id}' 的公式：此处{zh}"),
                         origin.positions.text_column(at, col or 1),
                         Msg("fix the constant part of the formula", "请修正公式中的常数部分"))


def _id_clashes(lib: Library) -> Iterator[Diagnostic]:
    for var_id in lib.variables:
        if var_id in lib.indicators:
            first = lib.origins[("variables", var_id)].locate()
            yield Diagnostic(
                "R201", Msg(f"indicator '{var_id}' has the id of a variable (defined at {first})",
                            f"指标 '{var_id}' 与变量同名（变量定义于 {first}）"),
                lib.origins[("indicators", var_id)].locate("id"),
                Msg("variables and indicators share one namespace: formulas would be ambiguous",
                    "变量与指标共用一个命名空间，否则公式会产生歧义"))


def _domains(lib: Library) -> Iterator[Diagnostic]:
    for ind_id, ind in lib.indicators.items():
        if ind.domain not in lib.domains:
            yield Diagnostic(
                "R202", Msg(f"indicator '{ind_id}': unknown domain '{ind.domain}'",
                            f"指标 '{ind_id}'：未知领域 '{ind.domain}'"),
                lib.origins[("indicators", ind_id)].locate("domain"), suggestion(ind.domain, lib.domains))


def _formula_names(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    known = [*lib.variables, *lib.indicators]
    for ind_id, f in formulas.items():
        origin = lib.origins[("indicators", ind_id)]
        for name, col in f.name_columns().items():
            if name in lib.variables or name in lib.indicators:
                continue
            yield Diagnostic(
                "R203", Msg(f"formula of '{ind_id}' uses unknown variable '{name}'",
                            f"指标 '{ind_id}' 的公式使用了未知变量 '{name}'"),
                origin.positions.text_column((*origin.path, "formula"), col),
                suggestion(name, known) or Msg("define it under `variables:`", "请在 `variables:` 中定义它"))


def _cycles(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    graph = {i: [n for n in f.names if n in lib.indicators] for i, f in formulas.items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> Iterator[list[str]]:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                yield [*stack[stack.index(nxt):], nxt]
            elif state.get(nxt) is None:
                yield from visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for start in sorted(graph):
        if state.get(start) is None:
            for cycle in visit(start, []):
                key = frozenset(cycle)
                if key in reported:
                    continue
                reported.add(key)
                path = " → ".join(cycle)
                yield Diagnostic("R205", Msg(f"indicators depend on each other in a cycle: {path}",
                                             f"指标之间存在循环依赖：{path}"),
                                 lib.origins[("indicators", cycle[0])].locate("formula"))


def _unused(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    used_ind: set[str] = set()
    for fw in lib.frameworks.values():
        used_ind.update(leaf.indicator for leaf in iter_leaves(fw.tree))
    # an indicator used in another's formula is used too
    for ind_id in list(used_ind):
        if ind_id in formulas:
            used_ind.update(n for n in formulas[ind_id].names if n in lib.indicators)
    if lib.frameworks:
        for ind_id in lib.indicators:
            if ind_id not in used_ind:
                yield Diagnostic(
                    "W601", Msg(f"indicator '{ind_id}' is used by no framework", f"指标 '{ind_id}' 未被任何框架使用"),
                    lib.origins[("indicators", ind_id)].locate("id"),
                    Msg("add it to a framework's tree, or remove it", "请将其加入某个框架的指标树，或删除"))
    used_var = {n for f in formulas.values() for n in f.names}
    for var_id, var in lib.variables.items():
        # a published statistic (``published_in``) documents what data files carry even before a
        # formula uses it: it is read, converted and checked, and `check` lists it
        if var_id not in used_var and not var.published_in:
            yield Diagnostic(
                "W603", Msg(f"variable '{var_id}' is used by no formula", f"变量 '{var_id}' 未被任何公式使用"),
                lib.origins[("variables", var_id)].locate("id"))


# ---------------------------------------------------------------- numbers of one indicator

def _lo_hi(rng: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    return rng[0], rng[1]


def _range_order(origin: Origin, what: str, id_: str, lo: float, hi: float) -> Diagnostic:
    zh_what = "变量" if what == "variable" else "指标"
    return Diagnostic("N401", Msg(f"{what} '{id_}': range [{lo:g}, {hi:g}] has lower bound above upper",
                                  f"{zh_what} '{id_}'：取值范围 [{lo:g}, {hi:g}] 下限大于上限"),
                      origin.locate("range"), Msg("write it as [low, high]", "请写成 [下限, 上限]"))


def _not_finite(b: Bounds, rng: tuple[float | None, float | None]) -> Iterator[tuple[tuple[str, ...], float]]:
    """The numbers of ``b`` (and the range ``rng``) that are ±inf or NaN, with their keys."""
    pairs: list[tuple[tuple[str, ...], float | None]] = [(("range",), rng[0]), (("range",), rng[1])] if rng else []
    if b.goalposts is not None:
        pairs += [(("goalposts", "worst"), b.goalposts.worst), (("goalposts", "best"), b.goalposts.best)]
    if b.thresholds is not None:
        pairs += [(("thresholds", k), getattr(b.thresholds, k)) for k in ("green", "yellow", "orange")]
    if b.target is not None:
        pairs.append((("target", "value"), b.target.value))
    for key, v in pairs:
        if v is not None and not math.isfinite(v):
            yield key, v


@dataclass(frozen=True)
class Bounds:
    """The numbers of an indicator as a framework sees them (after overrides)."""

    direction: str
    goalposts: Goalposts | None
    thresholds: Thresholds | None
    target: Target | None


def check_bounds(ind: Indicator, origin: Origin, rng: tuple[float | None, float | None],
                 bounds: Bounds | None = None, prefix: tuple = ()) -> Iterator[Diagnostic]:
    """N401–N407 for one indicator; ``bounds``/``prefix`` check a framework override instead."""
    b = bounds or Bounds(ind.direction, ind.goalposts, ind.thresholds, ind.target)
    i = ind.id
    lo, hi = rng
    infinite = list(_not_finite(b, () if prefix else rng))
    for key, v in infinite:
        yield Diagnostic("N408", Msg(f"indicator '{i}': {'.'.join(key)} is {v}, not a finite number",
                                     f"指标 '{i}'：{'.'.join(key)} 为 {v}，不是有限数"),
                         origin.locate(*prefix, *key),
                         Msg("give a finite number (leave a range end open with null)",
                             "请给出有限数（取值范围的一端不设限时写 null）"))
    if infinite:
        return
    if not prefix and lo is not None and hi is not None and lo > hi:
        yield _range_order(origin, "indicator", i, lo, hi)
        lo = hi = None

    def at(*key: str) -> Location:
        return origin.locate(*prefix, *key)

    def outside(v: float) -> bool:
        return (lo is not None and v < lo) or (hi is not None and v > hi)

    shown = f"[{'-∞' if lo is None else f'{lo:g}'}, {'∞' if hi is None else f'{hi:g}'}]"
    if b.direction == "target" and b.target is None:
        yield Diagnostic("N406", Msg(f"indicator '{i}' has direction target but no `target:`",
                                     f"指标 '{i}' 的方向为 target，但没有 `target:`"),
                         at("direction"), Msg("add `target: {value: …}`", "请添加 `target: {value: …}`"))
    if b.target is not None and outside(b.target.value):
        yield Diagnostic("N405", Msg(f"indicator '{i}': target {b.target.value:g} is outside its range {shown}",
                                     f"指标 '{i}'：目标值 {b.target.value:g} 超出取值范围 {shown}"), at("target", "value"))
    gp = b.goalposts
    if gp is not None:
        if gp.worst == gp.best:
            yield Diagnostic("N402", Msg(f"indicator '{i}': goalposts worst and best are both {gp.best:g}",
                                         f"指标 '{i}'：目标值区间最差值与最佳值都是 {gp.best:g}"), at("goalposts"),
                             Msg("best scores 100 and worst 0: they must differ", "最佳值得 100 分，最差值得 0 分，二者必须不同"))
        elif (b.direction == "higher" and gp.best < gp.worst) or (b.direction == "lower" and gp.best > gp.worst):
            want = "best > worst" if b.direction == "higher" else "best < worst"
            yield Diagnostic("N403", Msg(f"indicator '{i}' is {b.direction}-is-better but goalposts have "
                                         f"best {gp.best:g}, worst {gp.worst:g}",
                                         f"指标 '{i}' 方向为 {b.direction}，但目标值区间最佳值 {gp.best:g}、最差值 {gp.worst:g}"),
                             at("goalposts"), Msg(f"swap them ({want}) or change the direction",
                                                  f"请交换二者（{want}）或修改方向"))
        elif b.direction == "target" and b.target is not None and gp.best != b.target.value:
            yield Diagnostic("N403", Msg(f"indicator '{i}' has direction target {b.target.value:g} but goalposts best "
                                         f"{gp.best:g}", f"指标 '{i}' 目标值为 {b.target.value:g}，但目标值区间最佳值为 {gp.best:g}"),
                             at("goalposts", "best"), Msg("for a target indicator, best is the target",
                                                          "对于目标型指标，最佳值即目标值"))
        for key, v in (("worst", gp.worst), ("best", gp.best)):
            if outside(v):
                yield Diagnostic("N407", Msg(f"indicator '{i}': goalposts {key} {v:g} is outside its range {shown}",
                                             f"指标 '{i}'：目标值区间 {key} = {v:g} 超出取值范围 {shown}"),
                                 at("goalposts", key))
    th = b.thresholds
    if th is not None:
        vals = [th.green, th.yellow, th.orange]
        ascending = b.direction in ("lower", "target")  # target: thresholds are distances to the target
        ok = vals == sorted(vals) if ascending else vals == sorted(vals, reverse=True)
        if not ok:
            want = "green ≤ yellow ≤ orange" if ascending else "green ≥ yellow ≥ orange"
            yield Diagnostic("N404", Msg(f"indicator '{i}' ({b.direction} is better): thresholds green {th.green:g}, "
                                         f"yellow {th.yellow:g}, orange {th.orange:g} are out of order",
                                         f"指标 '{i}'（{b.direction}）：阈值 green {th.green:g}、yellow {th.yellow:g}、"
                                         f"orange {th.orange:g} 顺序错误"),
                             at("thresholds"), Msg(f"for this direction: {want}", f"该方向应满足：{want}"))
        if b.direction != "target":
            for key, v in zip(("green", "yellow", "orange"), vals, strict=True):
                if outside(v):
                    yield Diagnostic("N407", Msg(f"indicator '{i}': threshold {key} {v:g} is outside its range {shown}",
                                                 f"指标 '{i}'：阈值 {key} = {v:g} 超出取值范围 {shown}"),
                                     at("thresholds", key))


# ---------------------------------------------------------------- frameworks

def iter_leaves(items: list) -> Iterator[Leaf]:
    for item in items:
        if isinstance(item, Leaf):
            yield item
        else:
            yield from iter_leaves(item.children)


def iter_nodes(items: list, path: tuple = ("tree",)) -> Iterator[tuple[Node | Leaf, tuple]]:
    """Every node and leaf with its path inside the framework mapping."""
    for k, item in enumerate(items):
        here = (*path, k)
        yield item, here
        if isinstance(item, Node):
            yield from iter_nodes(item.children, (*here, "children"))


def check_framework(lib: Library, fw: Framework, origin: Origin) -> Iterator[Diagnostic]:
    fid = fw.id
    if not SEMVER.match(fw.version):
        yield Diagnostic("T504", Msg(f"framework '{fid}': version '{fw.version}' is not semver",
                                     f"框架 '{fid}'：版本号 '{fw.version}' 不符合语义化版本"),
                         origin.locate("version"), Msg("use MAJOR.MINOR.PATCH, e.g. '1.0.0' (quoted)",
                                                       "请使用 MAJOR.MINOR.PATCH，例如 '1.0.0'（加引号）"))
    node_seen: dict[str, tuple] = {}
    leaf_seen: dict[str, tuple] = {}
    if not fw.tree:
        yield Diagnostic("T502", Msg(f"framework '{fid}' has an empty tree", f"框架 '{fid}' 的指标树为空"),
                         origin.locate("tree"))
    if fw.tree and all(i.weight == 0 for i in fw.tree):
        yield _zero_weights(fid, "the top of the tree", "指标树顶层", origin.locate("tree"))
    for item, path in iter_nodes(fw.tree):
        if not math.isfinite(item.weight):
            yield Diagnostic("T511", Msg(f"framework '{fid}': weight {item.weight} is not a finite number",
                                         f"框架 '{fid}'：权重 {item.weight} 不是有限数"), origin.locate(*path, "weight"),
                             Msg("give a finite number ≥ 0 (weights are relative within a node: 1, 2, 0.5 …)",
                                 "请给出有限的非负数（权重在节点内为相对值：1、2、0.5 …）"))
        elif item.weight < 0:
            yield Diagnostic("T503", Msg(f"framework '{fid}': negative weight {item.weight:g}",
                                         f"框架 '{fid}'：权重 {item.weight:g} 为负"), origin.locate(*path, "weight"),
                             Msg("weights are relative within a node and must be ≥ 0", "权重在节点内为相对值，必须 ≥ 0"))
        if isinstance(item, Node):
            if item.id in node_seen:
                yield Diagnostic("T501", Msg(f"framework '{fid}': node id '{item.id}' used twice",
                                             f"框架 '{fid}'：节点标识符 '{item.id}' 重复"), origin.locate(*path, "id"))
            node_seen.setdefault(item.id, path)
            if item.id == RESERVED_NODE:
                yield Diagnostic("T540", Msg(f"framework '{fid}': node id '{item.id}' is reserved for the overall score",
                                             f"框架 '{fid}'：节点标识符 '{item.id}' 保留给综合得分"),
                                 origin.locate(*path, "id"),
                                 Msg("rename the node, e.g. 'overall_index'", "请为节点改名，例如 'overall_index'"))
            if not item.children:
                yield Diagnostic("T502", Msg(f"framework '{fid}': node '{item.id}' has no children",
                                             f"框架 '{fid}'：节点 '{item.id}' 没有子节点"), origin.locate(*path),
                                 Msg("add `children:` or remove the node", "请添加 `children:` 或删除该节点"))
            elif all(c.weight == 0 for c in item.children):
                yield _zero_weights(fid, f"node '{item.id}'", f"节点 '{item.id}'", origin.locate(*path))
        else:
            ind = item.indicator
            if ind not in lib.indicators:
                yield Diagnostic("R204", Msg(f"framework '{fid}' uses unknown indicator '{ind}'",
                                             f"框架 '{fid}' 使用了未知指标 '{ind}'"),
                                 origin.locate(*path, "indicator"), suggestion(ind, lib.indicators))
            elif ind in leaf_seen:
                yield Diagnostic("T509", Msg(f"framework '{fid}': indicator '{ind}' appears twice in the tree",
                                             f"框架 '{fid}'：指标 '{ind}' 在树中出现两次"),
                                 origin.locate(*path, "indicator"))
            leaf_seen.setdefault(ind, path)
    for ind_id in fw.overrides:
        if ind_id not in leaf_seen:
            yield Diagnostic("T508", Msg(f"framework '{fid}': override for '{ind_id}', which its tree does not use",
                                         f"框架 '{fid}'：覆盖项 '{ind_id}' 不在其指标树中"),
                             origin.locate("overrides", ind_id, key=True), suggestion(ind_id, leaf_seen))
            continue
        ind = lib.indicators.get(ind_id)
        if ind is None:
            continue
        bounds = effective_bounds(ind, fw)
        yield from check_bounds(ind, origin, _lo_hi(ind.range), bounds, ("overrides", ind_id))
    yield from _pipeline(lib, fw, origin, node_seen, leaf_seen)
    if fw.uncertainty is not None:
        from citystd.library.uncertainty import locator, parse_uncertainty

        _, found = parse_uncertainty(fw.uncertainty, fw, locator(origin.positions, (*origin.path, "uncertainty")),
                                     f"framework '{fid}' uncertainty")
        yield from found


def _zero_weights(fid: str, where_en: str, where_zh: str, loc: Location) -> Diagnostic:
    return Diagnostic("T510", Msg(f"framework '{fid}': every weight under {where_en} is 0, so nothing there "
                                  "counts and no score can be computed",
                                  f"框架 '{fid}'：{where_zh}下的权重全为 0，无法计算任何得分"), loc,
                      Msg("give at least one item a weight above 0, or remove the items",
                          "请至少为一项设置大于 0 的权重，或删除这些项"))


def effective_bounds(ind: Indicator, fw: Framework) -> Bounds:
    ov = fw.overrides.get(ind.id)
    if ov is None:
        return Bounds(ind.direction, ind.goalposts, ind.thresholds, ind.target)
    return Bounds(ov.direction or ind.direction, ov.goalposts or ind.goalposts,
                  ov.thresholds or ind.thresholds, ov.target or ind.target)


def _pipeline(lib: Library, fw: Framework, origin: Origin, nodes: dict[str, tuple],
              leaves: dict[str, tuple]) -> Iterator[Diagnostic]:
    fid = fw.id
    for k, step in enumerate(fw.pipeline):
        name = step_name(step)
        params = step_params(step)
        here = ("pipeline", k, name)
        if isinstance(params, (ImputeParams, TreatParams)) and params.indicators:
            for j, ind in enumerate(params.indicators):
                if ind not in leaves:
                    yield Diagnostic("R204", Msg(f"framework '{fid}': step {name} names indicator '{ind}', "
                                                 "which its tree does not use",
                                                 f"框架 '{fid}'：步骤 {name} 指定的指标 '{ind}' 不在指标树中"),
                                     origin.locate(*here, "indicators", j), suggestion(ind, leaves))
        if isinstance(params, NormaliseParams) and params.indicators:
            for ind in params.indicators:
                if ind not in leaves:
                    yield Diagnostic("R204", Msg(f"framework '{fid}': step {name} names indicator '{ind}', "
                                                 "which its tree does not use",
                                                 f"框架 '{fid}'：步骤 {name} 指定的指标 '{ind}' 不在指标树中"),
                                     origin.locate(*here, "indicators", ind, key=True), suggestion(ind, leaves))
        named: dict[str, str] = {}  # node id → the key that names it
        if isinstance(params, WeightsParams):
            named = {**{n: "targets" for n in params.targets or {}}, **{n: "matrices" for n in params.matrices or {}},
                     **{n: "nodes" for n in params.nodes or []}}
            yield from _target_counts(fw, origin, params, here)
        elif isinstance(params, AggregateParams):
            named = {n: "nodes" for n in params.nodes or {}}
            yield from _levels(fw, origin, params, here)
        for node_id, sub in named.items():
            if node_id not in nodes and node_id != "root":
                yield Diagnostic("T507", Msg(f"framework '{fid}': step {name} names node '{node_id}', which is not in "
                                             "the tree", f"框架 '{fid}'：步骤 {name} 指定的节点 '{node_id}' 不在指标树中"),
                                 origin.locate(*here, sub, node_id, key=True),
                                 suggestion(node_id, [*nodes, "root"]))
        if isinstance(params, NormaliseParams):
            yield from _normalise_needs(lib, fw, origin, params, leaves, here)


def _tree_levels(items: list) -> tuple[int, dict[str, int]]:
    """The root's level and every node's (1 = directly above indicators), as the engine counts them."""
    levels: dict[str, int] = {}

    def walk(children: list) -> int:
        level = 1
        for item in children:
            if isinstance(item, Node):
                below = walk(item.children)
                levels[item.id] = below
                level = max(level, below + 1)
        return level

    return walk(items), levels


def _levels(fw: Framework, origin: Origin, params: AggregateParams, here: tuple) -> Iterator[Diagnostic]:
    """T520: ``levels`` keys the tree has no node at."""
    root, levels = _tree_levels(fw.tree)
    present = {*levels.values(), root}
    for level in params.levels or {}:
        if level not in present:
            shown = ", ".join(str(v) for v in sorted(present))
            yield Diagnostic("T520", Msg(f"framework '{fw.id}': aggregate `levels` names level {level}, but the tree's "
                                         f"nodes are at levels {shown} (1 = just above indicators, {root} = root)",
                                         f"框架 '{fw.id}'：aggregate 的 `levels` 指定了第 {level} 层，但指标树的节点位于第 "
                                         f"{shown} 层（1 = 紧邻指标的一层，{root} = 根）"),
                             origin.locate(*here, "levels", level, key=True),
                             Msg("a node's level is one more than its highest child node; or name nodes in `nodes:`",
                                 "节点的层级比其最高的子节点高一层；也可以在 `nodes:` 中按节点指定"))


def _target_counts(fw: Framework, origin: Origin, params: WeightsParams, here: tuple) -> Iterator[Diagnostic]:
    """T521: a node's target importances must number its children."""
    sizes = {item.id: len(item.children) for item, _ in iter_nodes(fw.tree) if isinstance(item, Node)}
    sizes["root"] = len(fw.tree)
    for node_id, targets in (params.targets or {}).items():
        n = sizes.get(node_id)
        if n is not None and len(targets) != n:
            yield Diagnostic("T521", Msg(f"framework '{fw.id}': {len(targets)} target importances for node '{node_id}', "
                                         f"which has {n} children", f"框架 '{fw.id}'：节点 '{node_id}' 有 {n} 个子节点，"
                                         f"却给出了 {len(targets)} 个目标重要性"),
                             origin.locate(*here, "targets", node_id),
                             Msg("give one importance per child, in the order of the tree (weight-0 children too)",
                                 "请按树中的顺序为每个子节点给出一个重要性（权重为 0 的子节点也要给）"))


def _normalise_needs(lib: Library, fw: Framework, origin: Origin, params: NormaliseParams,
                     leaves: dict[str, tuple], here: tuple) -> Iterator[Diagnostic]:
    need_of = {"goalposts": ("goalposts", "E806"), "distance_to_target": ("target", "E805"),
               "tiers": ("thresholds", "E807")}
    wanted: dict[str, list[str]] = {}  # method → indicators it normalises
    own = params.indicators or {}
    for ind_id in leaves:
        method = params.for_indicator(ind_id).method if ind_id in own else params.method
        wanted.setdefault(method, []).append(ind_id)
    for method, inds in wanted.items():
        if method in need_of:
            yield from _missing_bounds(lib, fw, origin, method, need_of[method], inds, here)


def _missing_bounds(lib: Library, fw: Framework, origin: Origin, method: str, need: tuple[str, str],
                    inds: list[str], here: tuple) -> Iterator[Diagnostic]:
    attr, code = need
    missing = []
    for ind_id in inds:
        ind = lib.indicators.get(ind_id)
        if ind is None or ind.context:  # a context indicator is shown, never normalised
            continue
        b = effective_bounds(ind, fw)
        if getattr(b, attr) is None:
            missing.append(ind_id)
    if missing:
        shown = ", ".join(missing[:8]) + (f" … (+{len(missing) - 8})" if len(missing) > 8 else "")
        yield Diagnostic(code, Msg(f"framework '{fw.id}' normalises with {method}, but "
                                   f"{len(missing)} indicator(s) have no {attr}: {shown}",
                                   f"框架 '{fw.id}' 使用 {method} 标准化，但有 {len(missing)} 个指标缺少 {attr}：{shown}"),
                         origin.locate(*here, "method"),
                         Msg(f"give each indicator `{attr}:` (or an override in the framework)",
                             f"请为每个指标提供 `{attr}:`（或在框架中覆盖）"))


def context_ids(lib: Library) -> frozenset[str]:
    """The ids of the library's context indicators (``context: true``): shown, never scored."""
    return frozenset(i for i, ind in lib.indicators.items() if ind.context)


def scoring_weight(item: Node | Leaf, context: Collection[str] = ()) -> float:
    """The weight ``item`` scores with: its written weight (negative taken as 0), but 0 for a leaf
    holding a context indicator and for a node none of whose indicators is scored (format.md)."""
    if isinstance(item, Leaf):
        return 0.0 if item.indicator in context else max(item.weight, 0.0)
    if not any(scoring_weight(c, context) > 0 for c in item.children):
        return 0.0
    return max(item.weight, 0.0)


def effective_weights(fw: Framework, context: Collection[str] = ()) -> dict[str, float]:
    """Indicator id → product of its rescaled weights up to the root (methods.md §6); indicators
    in ``context`` (see :func:`context_ids`) weigh 0."""
    out: dict[str, float] = {}

    def walk(items: list, factor: float) -> None:
        weights = [scoring_weight(i, context) for i in items]
        total = sum(weights)
        for item, own in zip(items, weights, strict=True):
            w = factor * (own / total if total > 0 else 0.0)
            if isinstance(item, Leaf):
                out[item.indicator] = out.get(item.indicator, 0.0) + w
            else:
                walk(item.children, w)

    walk(fw.tree, 1.0)
    return out
