"""Rules about how the library meets real statistics: machine-readable units, spatial scopes of
ratios, and the aliases columns are matched by.

- **S107** a unit's ``code`` that does not parse as a unit;
- **W610** a variable, or an indicator that data files report directly (no formula), that is
  published under other headers (``aliases``) but whose unit is not machine-readable (neither
  ``code`` nor the zh/en text parses): a published column in another unit could not be converted
  to it. (The built-in library goes further: every variable and every indicator without a formula
  has a machine-readable unit; a test says so.)
- **R206** a division in a formula whose numerator and denominator are measured over different
  areas (``urban_gas_users / population`` with 城区 over 全市), unless the indicator declares
  ``mixed_scopes`` with its reason;
- **R207** an alias that is also an alias of another variable or indicator of the same scope (a
  column with that header would match either).

Unit parsing loads pint (:mod:`citystd.units`) only when the library declares units, which it
always does; the rules run with ``citystd validate``.
"""

from __future__ import annotations

from collections.abc import Iterator

from citystd.diagnostics import Diagnostic, Msg
from citystd.library.formula import BinOp, Call, Compare, Expr, Formula, Neg, Var
from citystd.library.load import Library
from citystd.library.models import SCOPE_NAMES, Indicator, UnitText, Variable, unit_candidates
from citystd.textkeys import header_key


def check_data_rules(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    """S107, W610, R206 and R207 over the whole library."""
    yield from _units(lib, formulas)
    yield from _scopes(lib, formulas)
    yield from _aliases(lib)


# ---------------------------------------------------------------- units

def _units(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    from citystd import units

    items: list[tuple[str, str, Variable | Indicator]] = [("variables", k, v) for k, v in lib.variables.items()]
    items += [("indicators", k, i) for k, i in lib.indicators.items()]
    for kind, item_id, item in items:
        origin = lib.origins[(kind, item_id)]
        unit = item.unit
        what_en, what_zh = ("variable", "变量") if kind == "variables" else ("indicator", "指标")
        if isinstance(unit, UnitText) and unit.code is not None:
            if not units.is_unit(unit.code):
                yield Diagnostic(
                    "S107", Msg(f"{what_en} '{item_id}': unit code '{unit.code}' is not a unit",
                                f"{what_zh} '{item_id}'：单位代码 '{unit.code}' 不是可识别的单位"),
                    origin.locate("unit", "code"),
                    Msg("write it as units are printed: 万元, 微克/立方米, %, km², 人/10万人; 1 for a pure number",
                        "请按统计资料的写法书写：万元、微克/立方米、%、km²、人/10万人；纯数值写 1"))
            continue
        # a statistic published under other headers (aliases), whose columns may state other units
        read_from_data = bool(item.aliases) and (kind == "variables" or item_id not in formulas)
        if read_from_data and not any(units.is_unit(t) for t in unit_candidates(unit)):
            shown = unit if isinstance(unit, str) else unit.zh
            yield Diagnostic(
                "W610", Msg(f"{what_en} '{item_id}': unit '{shown}' is not machine-readable, so a column "
                            "in another unit cannot be converted to it",
                            f"{what_zh} '{item_id}'：单位 '{shown}' 无法被机器识别，其他单位的数据列无法换算"),
                origin.locate("unit"),
                Msg("add `code:` to the unit, e.g. unit: {zh: 是/否（1/0）, en: yes/no (1/0), code: '1'}",
                    "请为单位加上 `code:`，如 unit: {zh: 是/否（1/0）, en: yes/no (1/0), code: '1'}"))


# ---------------------------------------------------------------- scopes

def scope_of(lib: Library, name: str) -> str | None:
    """The declared scope of a variable or indicator (None when not declared or unknown)."""
    item = lib.variables.get(name) or lib.indicators.get(name)
    return item.scope if item is not None else None


def _spatial(lib: Library, e: Expr) -> dict[str, str]:
    """Names in ``e`` with a spatial scope (``not_spatial`` and undeclared scopes left out) → scope."""
    out: dict[str, str] = {}
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, Var):
            s = scope_of(lib, node.name)
            if s is not None and s != "not_spatial":
                out.setdefault(node.name, s)
        elif isinstance(node, (BinOp, Compare)):
            stack += [node.right, node.left]
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack += list(reversed(node.args))
    return out


def _divisions(e: Expr) -> Iterator[BinOp]:
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp):
            if node.op == "/":
                yield node
            stack += [node.right, node.left]
        elif isinstance(node, Compare):
            stack += [node.right, node.left]
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, Call):
            stack += list(reversed(node.args))


def scope_mismatch(lib: Library, f: Formula) -> tuple[dict[str, str], dict[str, str]] | None:
    """The first division of ``f`` whose two sides are over different areas: (numerator names →
    scope, denominator names → scope); None when every ratio compares like with like."""
    for div in _divisions(f.tree):
        top, bottom = _spatial(lib, div.left), _spatial(lib, div.right)
        if top and bottom and len(set(top.values()) | set(bottom.values())) > 1:
            return top, bottom
    return None


def _describe(names: dict[str, str], lang: str) -> str:
    i = 1 if lang == "en" else 0
    return ", ".join(f"{n} ({SCOPE_NAMES[s][i]})" for n, s in names.items())


def _scopes(lib: Library, formulas: dict[str, Formula]) -> Iterator[Diagnostic]:
    for ind_id, f in formulas.items():
        ind = lib.indicators[ind_id]
        if ind.mixed_scopes is not None:
            continue
        found = scope_mismatch(lib, f)
        if found is None:
            continue
        top, bottom = found
        yield Diagnostic(
            "R206", Msg(f"formula of '{ind_id}' divides {_describe(top, 'en')} by {_describe(bottom, 'en')}: "
                        "numerator and denominator are measured over different areas",
                        f"指标 '{ind_id}' 的公式以 {_describe(top, 'zh')} 除以 {_describe(bottom, 'zh')}："
                        "分子与分母的统计范围不同"),
            lib.origins[("indicators", ind_id)].locate("formula"),
            Msg("use a denominator of the same scope (e.g. population_districts for 市辖区 numerators), or "
                "declare `mixed_scopes: {zh: …, en: …}` with the reason",
                "请使用相同统计范围的分母（如市辖区分子配 population_districts），或以 `mixed_scopes: {zh: …, en: …}` "
                "说明原因"))


# ---------------------------------------------------------------- aliases

def _aliases(lib: Library) -> Iterator[Diagnostic]:
    """Two items sharing an alias, with scopes that do not tell them apart. (An alias equal to
    another item's id or name is not ambiguous: when reading, an id beats a name, a name an alias.)"""
    owners: dict[str, list[tuple[str, str | None]]] = {}
    items: list[tuple[str, str, Variable | Indicator]] = [("variables", k, v) for k, v in lib.variables.items()]
    items += [("indicators", k, i) for k, i in lib.indicators.items()]
    for _kind, item_id, item in items:
        names = {header_key(t) for t in (item_id, item.name.zh, item.name.en)}
        for text in item.aliases:
            key = header_key(text)
            if key and key not in names and (item_id, item.scope) not in owners.get(key, []):
                owners.setdefault(key, []).append((item_id, item.scope))
    order = {item_id: n for n, (_kind, item_id, _item) in enumerate(items)}
    for kind, item_id, item in items:
        for k, alias in enumerate(item.aliases):  # reported once, at the later of the two
            clash = [other for other, scope in owners.get(header_key(alias), [])
                     if order[other] < order[item_id] and (scope is None or item.scope is None or scope == item.scope)]
            if not clash:
                continue
            others = ", ".join(f"'{c}'" for c in clash)
            yield Diagnostic(
                "R207", Msg(f"alias '{alias}' of '{item_id}' is also an alias of {others} of the same scope: a column "
                            "headed so would match either",
                            f"'{item_id}' 的别名 '{alias}' 同时是同一统计范围的 {others} 的别名：该表头的列无法确定对应哪一个"),
                lib.origins[(kind, item_id)].locate("aliases", k),
                Msg("remove the alias from one of them, or declare their different `scope:`",
                    "请从其中一个删除该别名，或为它们声明不同的 `scope:`"))
