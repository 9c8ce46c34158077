"""Rules that make a framework horizontally comparable: sizes, scopes, tiers and the basis of bounds.

A framework compares cities of very different size (a city of 1 M beside one of 20 M), so what it
scores must not grow with size, ratios must divide quantities of the same area, and every bound
must say where it comes from (docs/format.md, "Comparability", "Tiers", "Bounds and their basis").

- **C001** a scored indicator whose unit measures a size (a count, money, a length, an area, a
  volume, a mass or an energy: :func:`citystd.units.is_extensive`) and whose formula divides by no
  size, unless it says why it is comparable (``comparable:``);
- **C002** an indicator scored by a framework with a ``region`` whose unit is not machine-readable, so
  C001 cannot be decided;
- **C003** an indicator whose ``scope`` is not the scope of the inputs of its formula;
- **C004** a statistic of tier 1 (published for all cities in national yearbooks or the census)
  without ``published_in``;
- **C005** an indicator with a formula that declares a better tier than its inputs have (unless it is
  itself published, ``published_in``: the data then report it directly);
- **C006** a ``basis`` that does not say enough (a calibration without its data set, rule or region;
  a standard or target without its source; a judgement without its reason);
- **C007** a framework that compares the cities of one region (``region: CN``) and scores an
  indicator whose bounds were calibrated on another region's data (US or EU cities);
- **W611–W613** in a framework with a ``region``: an item it scores (or one its formulas use)
  without ``scope`` (W611), a statistic without tier, periodicity or source (W612), goalposts or
  thresholds without ``basis`` (W613).

"Scored" means a leaf of a framework's tree that weighs more than 0 and is not a context indicator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from citystd.diagnostics import Diagnostic, Msg
from citystd.library.datarules import _divisions
from citystd.library.formula import BinOp, Call, Compare, Expr, Formula, Neg, Var
from citystd.library.load import Library
from citystd.library.models import SCOPE_NAMES, Basis, Framework, Indicator, Variable, unit_candidates
from citystd.library.rules import context_ids, effective_bounds, effective_weights


def check_comparability(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    """C001–C007 and W611–W613 over the whole library, in a stable order."""
    scored = scored_by(lib)
    yield from _sizes(lib, formulas, scored)
    yield from _scopes(lib, formulas)
    yield from _tiers(lib, formulas)
    yield from _bases(lib)
    for fw_id in sorted(lib.frameworks):
        fw = lib.frameworks[fw_id]
        if fw.region is not None:
            yield from _regional(lib, formulas, fw, scored.get(fw_id, []))


# ---------------------------------------------------------------- what is scored

def scored_by(lib: Library) -> dict[str, list[str]]:
    """Framework id → the indicators it scores (weight > 0, not context), in tree order."""
    ctx = context_ids(lib)
    return {fw_id: [i for i, w in effective_weights(fw, ctx).items() if w > 0 and i in lib.indicators]
            for fw_id, fw in lib.frameworks.items()}


def _item(lib: Library, name: str) -> Variable | Indicator | None:
    return lib.variables.get(name) or lib.indicators.get(name)


def _names(e: Expr) -> Iterator[str]:
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Var):
            yield node.name
        elif isinstance(node, (BinOp, Compare)):
            stack += [node.right, node.left]
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack += list(node.args)


def is_size(lib: Library, name: str) -> bool:
    """True when ``name`` is a variable or indicator whose unit measures a size (a count, money …)."""
    from citystd import units

    item = _item(lib, name)
    if item is None:
        return False
    return bool(units.measures_size(unit_candidates(item.unit)))


def divides_by_size(lib: Library, f: Formula) -> bool:
    """True when a division of ``f`` has a size (population, GDP, area, enterprises …) below the line."""
    return any(any(is_size(lib, n) for n in _names(div.right)) for div in _divisions(f.tree))


def measures_size(ind: Indicator) -> bool | None:
    """Whether the indicator's unit measures a size; None when the unit is not machine-readable."""
    from citystd import units

    return units.measures_size(unit_candidates(ind.unit))


def size_invariant(lib: Library, ind: Indicator, f: Formula | None) -> bool | None:
    """True when the indicator does not grow with the city: its unit is not a size, or its formula
    divides by one, or it says why it is comparable; None when its unit cannot be read."""
    if ind.comparable is not None:
        return True
    size = measures_size(ind)
    if size is None:
        return None
    return not size or (f is not None and divides_by_size(lib, f))


_DIM_NAMES = {(("count", 1),): ("count", "数量"), (("currency", 1),): ("money", "货币"), (("length", 1),): ("length", "长度"),
              (("length", 2),): ("area", "面积"), (("length", 3),): ("volume", "体积"), (("mass", 1),): ("mass", "质量"),
              (("length", 2), ("mass", 1), ("time", -2)): ("energy", "能量")}


def units_first(ind: Indicator) -> dict[str, int]:
    from citystd import units

    return units.first_dimensions(unit_candidates(ind.unit)) or {}


def _sizes(lib: Library, formulas: dict[str, Formula], scored: dict[str, list[str]]) -> Iterator[Diagnostic]:
    by_indicator: dict[str, list[str]] = {}
    for fw_id in sorted(scored):
        for ind_id in scored[fw_id]:
            by_indicator.setdefault(ind_id, []).append(fw_id)
    for ind_id in sorted(by_indicator):
        ind = lib.indicators[ind_id]
        fws = ", ".join(f"'{f}'" for f in by_indicator[ind_id])
        origin = lib.origins[("indicators", ind_id)]
        ok = size_invariant(lib, ind, formulas.get(ind_id))
        shown = ind.unit if isinstance(ind.unit, str) else ind.unit.zh
        regional = [f for f in by_indicator[ind_id] if lib.frameworks[f].region is not None]
        if ok is None and regional:  # a framework that claims comparability must be able to show it
            fws = ", ".join(f"'{f}'" for f in regional)
            yield Diagnostic(
                "C002", Msg(f"indicator '{ind_id}' is scored by {fws}, but its unit '{shown}' is not machine-readable: "
                            "whether it grows with the size of the city cannot be checked",
                            f"指标 '{ind_id}' 被 {fws} 计分，但其单位 '{shown}' 无法被机器识别，无法检查其是否随城市规模变化"),
                origin.locate("unit"),
                Msg("add `code:` to the unit (e.g. code: '1' for an index or a ratio, code: '人/10万人')",
                    "请为单位加上 `code:`（如指数或比值写 code: '1'，或 code: '人/10万人'）"))
        elif ok is False:
            dims = units_first(ind)
            dim_en, dim_zh = _DIM_NAMES.get(tuple(sorted(dims.items())), ("size", "规模量"))
            yield Diagnostic(
                "C001", Msg(f"indicator '{ind_id}' is scored by {fws}, but its unit '{shown}' measures a size ({dim_en}: "
                            "a total that grows with the city) and its formula divides by no size: a city would score "
                            "differently for being larger",
                            f"指标 '{ind_id}' 被 {fws} 计分，但其单位 '{shown}' 为规模量（{dim_zh}，随城市规模增长的总量），"
                            "公式也没有除以任何规模量：城市会因规模大小而得分不同"),
                origin.locate("unit"),
                Msg("make it a rate (per 10 000 residents, per 100 million yuan of GDP, per km², per 10 000 "
                    "enterprises, a share) or `context: true`; if it is comparable anyway, say why in "
                    "`comparable: {zh: …, en: …}`",
                    "请改为比率（每万人、每亿元地区生产总值、每平方公里、每万家企业、占比）或设为 `context: true`；"
                    "若确实可比，请以 `comparable: {zh: …, en: …}` 说明原因"))


# ---------------------------------------------------------------- scopes

def input_scopes(lib: Library, f: Formula) -> set[str]:
    """The spatial scopes (not ``not_spatial``, declared only) of the names a formula uses."""
    out: set[str] = set()
    for name in f.names:
        item = _item(lib, name)
        if item is not None and item.scope is not None and item.scope != "not_spatial":
            out.add(item.scope)
    return out


def _scope_names(scopes: set[str] | list[str], lang: str) -> str:
    i = 1 if lang == "en" else 0
    return (", " if lang == "en" else "、").join(SCOPE_NAMES[s][i] for s in sorted(scopes))


def _scopes(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    for ind_id, f in formulas.items():
        ind = lib.indicators[ind_id]
        if ind.scope is None:
            continue
        found = input_scopes(lib, f)
        if not found or ind.scope in found:
            continue
        yield Diagnostic(
            "C003", Msg(f"indicator '{ind_id}' says it is measured over the {SCOPE_NAMES[ind.scope][1]}, but its "
                        f"formula uses quantities of the {_scope_names(found, 'en')}",
                        f"指标 '{ind_id}' 声明的统计范围为{SCOPE_NAMES[ind.scope][0]}，但其公式使用的是"
                        f"{_scope_names(found, 'zh')}的数据"),
            lib.origins[("indicators", ind_id)].locate("scope"),
            Msg(f"write `scope: {sorted(found)[0]}` or use inputs of the scope it says",
                f"请写 `scope: {sorted(found)[0]}`，或改用所声明统计范围的数据"))


# ---------------------------------------------------------------- tiers

def tier_of(lib: Library, name: str, formulas: dict[str, Formula], _seen: frozenset[str] = frozenset()) -> int | None:
    """The tier of a variable (declared), of an indicator without formula (declared) or of an
    indicator with a formula (the worst tier of its inputs; None when an input has none)."""
    if name in lib.variables:
        return lib.variables[name].tier
    ind = lib.indicators.get(name)
    if ind is None or name in _seen:
        return None
    f = formulas.get(name)
    if f is None:
        return ind.tier
    tiers = [tier_of(lib, n, formulas, _seen | {name}) for n in f.names]
    derived = None if not tiers or any(t is None for t in tiers) else max(t for t in tiers if t is not None)
    if ind.published_in and ind.tier is not None:  # printed as such: the data report it directly
        return ind.tier if derived is None else min(ind.tier, derived)
    return derived


def _tiers(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    items: list[tuple[str, str, Variable | Indicator]] = [("variables", k, v) for k, v in lib.variables.items()]
    items += [("indicators", k, i) for k, i in lib.indicators.items()]
    for kind, item_id, item in items:
        if item.tier == 1 and not item.published_in:
            what_en, what_zh = ("variable", "变量") if kind == "variables" else ("indicator", "指标")
            yield Diagnostic(
                "C004", Msg(f"{what_en} '{item_id}' is tier 1 (published for all cities in national yearbooks or the "
                            "census) but says nowhere where: no `published_in`",
                            f"{what_zh} '{item_id}' 为第 1 级（全国年鉴或普查对所有城市公布），却没有 `published_in` 说明在哪里公布"),
                lib.origins[(kind, item_id)].locate("tier"),
                Msg("add `published_in: [{publication: 中国城市统计年鉴, table: '2-1', column: …}]`, or give the tier it has "
                    "(2: published by cities or departments; 3: needs a survey)",
                    "请补充 `published_in: [{publication: 中国城市统计年鉴, table: '2-1', column: …}]`，或改为实际的等级"
                    "（2：城市或部门公布；3：需调查）"))
    for ind_id, f in formulas.items():
        ind = lib.indicators[ind_id]
        if ind.tier is None or ind.published_in:  # an indicator printed as such may be better than its inputs
            continue
        derived = tier_of(lib, ind_id, formulas)
        if derived is not None and ind.tier < derived:
            worst = [n for n in f.names if tier_of(lib, n, formulas) == derived]
            yield Diagnostic(
                "C005", Msg(f"indicator '{ind_id}' says tier {ind.tier}, but its formula needs "
                            f"{', '.join(worst)} (tier {derived})",
                            f"指标 '{ind_id}' 声明为第 {ind.tier} 级，但其公式需要 {'、'.join(worst)}（第 {derived} 级）"),
                lib.origins[("indicators", ind_id)].locate("tier"),
                Msg("an indicator is as hard to have as its hardest input: remove `tier:` (it is derived) or fix it",
                    "指标的获取难度取决于最难获取的输入：请删除 `tier:`（可自动推导）或改正"))


# ---------------------------------------------------------------- bases of bounds

@dataclass(frozen=True)
class _Bound:
    key: str  # goalposts | thresholds
    basis: Basis | None
    path: tuple  # where it is written, relative to its origin
    kind: str  # indicators | framework
    owner: str  # indicator id or framework id


def _written_bounds(lib: Library) -> Iterator[_Bound]:
    for ind_id, ind in lib.indicators.items():
        for key in ("goalposts", "thresholds"):
            b = getattr(ind, key)
            if b is not None:
                yield _Bound(key, b.basis, (key,), "indicators", ind_id)
    for fw_id, fw in lib.frameworks.items():
        for ind_id, ov in fw.overrides.items():
            for key in ("goalposts", "thresholds"):
                b = getattr(ov, key)
                if b is not None:
                    yield _Bound(key, b.basis, ("overrides", ind_id, key), "framework", fw_id)


def missing_in_basis(basis: Basis) -> list[str]:
    """The keys a basis of its kind needs and lacks."""
    need = {"calibration": ("source", "rule", "region"), "standard": ("source",), "target": ("source",),
            "judgement": ("note",), "natural": ()}[basis.kind]
    return [k for k in need if getattr(basis, k) is None]


def _bases(lib: Library) -> Iterator[Diagnostic]:
    for b in _written_bounds(lib):
        if b.basis is None:
            continue
        missing = missing_in_basis(b.basis)
        if not missing:
            continue
        keys = ", ".join(f"`{k}`" for k in missing)
        yield Diagnostic(
            "C006", Msg(f"{b.key} of '{b.owner}': a basis of kind {b.basis.kind} needs {keys}",
                        f"'{b.owner}' 的 {b.key}：类型为 {b.basis.kind} 的依据需要 {keys}"),
            lib.origins[(b.kind, b.owner)].locate(*b.path, "basis"),
            Msg("calibration: source (the data set), rule (e.g. worst = 2.5th percentile, best = mean of the top five) "
                "and region (CN, US, EU …); standard and target: source; judgement: note (the reason)",
                "calibration 需要 source（数据集）、rule（如最差值 = 第 2.5 百分位，最佳值 = 前五名均值）和 region（CN、US、EU …）；"
                "standard 和 target 需要 source；judgement 需要 note（理由）"))


# ---------------------------------------------------------------- frameworks that compare one region's cities

def _closure(lib: Library, formulas: dict[str, Formula], inds: list[str]) -> list[str]:
    """The indicators and the variables and indicators their formulas use, in a stable order."""
    out: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(inds))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        out.append(name)
        f = formulas.get(name)
        if f is not None:
            stack += list(reversed(f.names))
    return out


def _regional(lib: Library, formulas: dict[str, Formula], fw: Framework, scored: list[str]) -> Iterator[Diagnostic]:
    region = fw.region
    fid = fw.id
    for name in _closure(lib, formulas, scored):
        kind = "variables" if name in lib.variables else "indicators"
        item = _item(lib, name)
        if item is None:
            continue
        what_en, what_zh = ("variable", "变量") if kind == "variables" else ("indicator", "指标")
        at = lib.origins[(kind, name)]
        if item.scope is None:
            yield Diagnostic(
                "W611", Msg(f"{what_en} '{name}' has no `scope`, and framework '{fid}' compares the cities of {region} "
                            "with it: whether its ratios divide quantities of the same area cannot be checked",
                            f"{what_zh} '{name}' 没有 `scope`，而框架 '{fid}' 用它比较 {region} 的城市：无法检查比值的分子分母统计范围是否一致"),
                at.locate("id"),
                Msg("add `scope:` — whole_city (全市), districts (市辖区), urban_area (城区), built_up_area (建成区) or "
                    "not_spatial", "请补充 `scope:`：whole_city（全市）、districts（市辖区）、urban_area（城区）、"
                    "built_up_area（建成区）或 not_spatial"))
        direct = kind == "variables" or name not in formulas
        if direct:
            missing = [k for k in ("tier", "periodicity") if getattr(item, k) is None]
            if not item.published_in and item.department is None:
                missing.append("published_in or department")
            if missing:
                keys = ", ".join(f"`{k}`" for k in missing)
                yield Diagnostic(
                    "W612", Msg(f"{what_en} '{name}' (used by framework '{fid}') does not say how it is had: no {keys}",
                                f"{what_zh} '{name}'（框架 '{fid}' 使用）未说明数据来源：缺少 {keys}"),
                    at.locate("id"),
                    Msg("tier: 1 national yearbooks or census for all cities, 2 published by cities or departments, "
                        "3 needs a survey; periodicity: annual, decennial …; published_in (yearbook, table, column) "
                        "or department",
                        "tier：1 全国年鉴或普查对所有城市公布，2 城市或部门公布，3 需调查；periodicity：annual、decennial …；"
                        "published_in（年鉴、表号、栏目）或 department"))
    for ind_id in scored:
        ind = lib.indicators[ind_id]
        bounds = effective_bounds(ind, fw)
        over = fw.overrides.get(ind_id)
        for key in ("goalposts", "thresholds"):
            b = getattr(bounds, key)
            if b is None:
                continue
            from_override = over is not None and getattr(over, key) is not None
            owner_kind, owner = ("framework", fid) if from_override else ("indicators", ind_id)
            path = ("overrides", ind_id, key) if from_override else (key,)
            at = lib.origins[(owner_kind, owner)]
            if b.basis is None:
                yield Diagnostic(
                    "W613", Msg(f"{key} of '{ind_id}' (scored by framework '{fid}') do not say their basis",
                                f"'{ind_id}' 的 {key}（框架 '{fid}' 计分）未说明依据"),
                    at.locate(*path),
                    Msg("add `basis: {kind: standard|target|calibration|natural|judgement, …}`",
                        "请补充 `basis: {kind: standard|target|calibration|natural|judgement, …}`"))
            elif b.basis.kind == "calibration" and b.basis.region is not None and b.basis.region != region:
                yield Diagnostic(
                    "C007", Msg(f"framework '{fid}' compares the cities of {region}, but the {key} of '{ind_id}' were "
                                f"calibrated on data of {b.basis.region} ({b.basis.source or 'no source given'})",
                                f"框架 '{fid}' 比较的是 {region} 的城市，但 '{ind_id}' 的 {key} 是按 {b.basis.region} 的数据"
                                f"校准的（{b.basis.source or '未注明来源'}）"),
                    at.locate(*path, "basis"),
                    Msg(f"set bounds for {region} (a national standard, a plan target, or a calibration on {region} data) "
                        "in the indicator or in the framework's `overrides`, or leave the indicator out of the framework",
                        f"请为 {region} 设定界值（国家标准、规划目标或基于 {region} 数据的校准），写在指标中或框架的 `overrides` 中，"
                        "或将该指标移出框架"))
