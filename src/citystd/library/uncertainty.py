"""The ``uncertainty`` section: what an audit varies (docs/audit.md, methods.md §14).

A list of named uncertain inputs, under ``uncertainty:`` in a framework or in a file of its own
(``citystd audit --uncertainty FILE``)::

    uncertainty:
      - {name: winmax, step: treat, param: winmax, values: [1, 2, 3, 4, 5]}
      - {name: normalisation, step: normalise, param: method, values: [minmax, zscore]}
      - {name: aggregation, step: aggregate, param: method, values: [arithmetic, geometric]}
      - {name: weights, weights_noise: 0.25}
      - {name: drop, exclude: indicators}

Three kinds, told apart by their keys:

- **step alternatives** (``step``, ``param``, ``values``): discrete alternatives of one pipeline
  parameter. The value ``off`` removes an optional step (``screen``, ``impute``, ``treat``,
  ``weights``) instead of setting a parameter: impute on/off is ``values: [off, mean]``.
- **weight noise** (``weights_noise: x``, optional ``levels``): every weight inside the nodes of
  the given levels (default all; level 1 = the nodes just above the indicators) is multiplied by
  1 + (2u − 1)·x with u uniform on [0, 1), independently (COINr's ``get_noisy_weights``).
- **exclusion** (``exclude: indicators | nodes``, optional ``level`` for nodes, optional
  ``elements``): "none excluded" or one element excluded (its weight set to 0, as COINr's
  ``remove_elements``).

:func:`parse_uncertainty` checks the section against the framework it varies and returns the
parsed inputs with every finding (codes A001–A049, docs/validate.md) — nothing is dropped or
replaced silently. The models never import pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from citystd.diagnostics import Diagnostic, Location, Msg, Severity, suggestion
from citystd.library.models import Framework, Leaf, Node
from citystd.library.pipeline import STEPS, AggregateParams, NormaliseParams, Params

#: Steps that an alternative ``off`` may remove.
OPTIONAL_STEPS = ("screen", "impute", "treat", "weights")
OFF = "off"
KIND_KEYS = {"step": ("name", "step", "param", "values"),
             "weights_noise": ("name", "weights_noise", "levels"),
             "exclude": ("name", "exclude", "level", "elements")}


@dataclass(frozen=True)
class StepInput:
    """Discrete alternatives of one pipeline parameter (``off``: the step is left out)."""

    name: str
    step: str
    param: str
    values: tuple[Any, ...]

    @property
    def kind(self) -> str:
        return "step"


@dataclass(frozen=True)
class WeightNoise:
    """Multiplicative uniform noise ±``noise`` on the weights inside nodes of ``levels`` (None: all)."""

    name: str
    noise: float
    levels: tuple[int, ...] | None = None

    @property
    def kind(self) -> str:
        return "weights_noise"


@dataclass(frozen=True)
class Exclusion:
    """No element excluded, or one of ``elements`` (indicators or nodes) with its weight set to 0."""

    name: str
    what: Literal["indicators", "nodes"]
    elements: tuple[str, ...]
    level: int | None = None

    @property
    def kind(self) -> str:
        return "exclude"

    @property
    def values(self) -> tuple[str | None, ...]:
        return (None, *self.elements)


UncertainInput = StepInput | WeightNoise | Exclusion


@dataclass(frozen=True)
class Tree:
    """What the checks need of a framework: node levels, children and the indicators."""

    levels: dict[str, int]  # node id → level (1 = just above indicators; "root" the highest)
    children: dict[str, tuple[tuple[str, float], ...]]  # node id → (child id, weight)
    indicators: tuple[str, ...]

    @classmethod
    def of(cls, fw: Framework) -> Tree:
        levels: dict[str, int] = {}
        children: dict[str, tuple[tuple[str, float], ...]] = {}
        indicators: list[str] = []

        def walk(node_id: str, items: list) -> int:
            level = 1
            kids = []
            for item in items:
                if isinstance(item, Leaf):
                    kids.append((item.indicator, item.weight))
                    if item.indicator not in indicators:
                        indicators.append(item.indicator)
                else:
                    assert isinstance(item, Node)
                    level = max(level, walk(item.id, item.children) + 1)
                    kids.append((item.id, item.weight))
            levels[node_id] = level
            children[node_id] = tuple(kids)
            return level

        walk("root", fw.tree)
        return cls(levels, children, tuple(indicators))


def nominal_params(fw: Framework, step: str) -> Params | None:
    """The framework's parameters of ``step`` (the first such step), or None when it has none."""
    for s in fw.pipeline:
        name = next(iter(type(s).model_fields))
        if name == step:
            return getattr(s, name)
    if step == "normalise":
        return NormaliseParams()  # added before aggregation by the engine
    if step == "aggregate":
        return AggregateParams()
    return None


def with_value(base: Params | None, step: str, param: str, value: Any) -> Params:
    """``base`` (or the step's defaults) with ``param = value``, validated by the step's model."""
    current = base.model_dump() if base is not None else {}
    if base is None and step == "impute" and param != "method":
        current["method"] = "mean"
    current[param] = value
    return STEPS[step].model_validate(current)


def same_value(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def parse_uncertainty(raw: Any, fw: Framework, locate: Any, where: str = "uncertainty"
                      ) -> tuple[list[UncertainInput], list[Diagnostic]]:
    """Parse and check an ``uncertainty`` list against ``fw``.

    ``locate(path, key=False)`` gives the :class:`Location` of a path inside the list (``()`` is
    the list itself). Returns the inputs that are valid and every finding; callers stop on errors.
    """
    diags: list[Diagnostic] = []
    out: list[UncertainInput] = []

    def bad(code: str, path: tuple, en: str, zh: str, hint: Msg | None = None, key: bool = False,
            severity: Severity | None = None) -> None:
        diags.append(Diagnostic(code, Msg(f"{where}: {en}", f"{where}：{zh}"), locate(path, key=key), hint, severity))

    if raw is None:
        return out, diags
    if not isinstance(raw, list):
        bad("A001", (), "must be a list of uncertain inputs", "必须是不确定输入的列表",
            Msg("e.g. - {name: winmax, step: treat, param: winmax, values: [1, 3, 5]}",
                "例如 - {name: winmax, step: treat, param: winmax, values: [1, 3, 5]}"))
        return out, diags
    tree = Tree.of(fw)
    names: dict[str, int] = {}
    varied: dict[tuple[str, str], int] = {}
    kinds_seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            bad("A001", (i,), f"entry {i + 1} must be a mapping such as {{name: …, step: …, param: …, values: […]}}",
                f"第 {i + 1} 项必须是映射，例如 {{name: …, step: …, param: …, values: […]}}")
            continue
        kind = next((k for k in KIND_KEYS if k in item), None)
        if kind is None:
            bad("A001", (i,), f"entry {i + 1} is none of the known kinds: it needs `step` (with `param` and "
                "`values`), `weights_noise` or `exclude`",
                f"第 {i + 1} 项不属于任何已知类型：需要 `step`（及 `param`、`values`）、`weights_noise` 或 `exclude`")
            continue
        unknown = [k for k in item if k not in KIND_KEYS[kind]]
        for k in unknown:
            bad("A001", (i, k), f"entry {i + 1}: unknown key '{k}' (allowed: {', '.join(KIND_KEYS[kind])})",
                f"第 {i + 1} 项：未知键 '{k}'（允许：{', '.join(KIND_KEYS[kind])}）",
                suggestion(str(k), KIND_KEYS[kind]), key=True)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            bad("A001", (i, "name") if "name" in item else (i,), f"entry {i + 1} needs a `name` (text)",
                f"第 {i + 1} 项需要 `name`（文本）")
            continue
        if name in names:
            bad("A002", (i, "name"), f"name '{name}' is used by entries {names[name] + 1} and {i + 1}",
                f"名称 '{name}' 被第 {names[name] + 1} 项和第 {i + 1} 项同时使用",
                Msg("every uncertain input needs its own name", "每个不确定输入都需要唯一的名称"))
            continue
        names[name] = i
        if unknown:
            continue
        if kind == "step":
            parsed = _step_input(item, i, name, fw, bad)
            if parsed is not None:
                key = (parsed.step, parsed.param)
                if key in varied:
                    bad("A009", (i, "param"), f"'{name}' varies {parsed.step}.{parsed.param}, which entry "
                        f"{varied[key] + 1} varies already", f"'{name}' 变动的 {parsed.step}.{parsed.param} "
                        f"已由第 {varied[key] + 1} 项变动", Msg("list all its alternatives in one entry",
                                                               "请在同一项中列出它的全部备选值"))
                    continue
                varied[key] = i
        else:
            if kind in kinds_seen:
                bad("A009", (i, kind), f"'{name}': only one `{kind}` entry is allowed (entry "
                    f"{kinds_seen[kind] + 1} is one)", f"'{name}'：只允许一个 `{kind}` 项（第 {kinds_seen[kind] + 1} 项已是）")
                continue
            kinds_seen[kind] = i
            parsed = _weight_noise(item, i, name, tree, bad) if kind == "weights_noise" \
                else _exclusion(item, i, name, tree, bad)
        if parsed is not None:
            out.append(parsed)
    diags.extend(_positive_means(out, fw, locate, where, raw))
    return out, diags


def _step_input(item: dict, i: int, name: str, fw: Framework, bad: Any) -> StepInput | None:
    step, param, values = item.get("step"), item.get("param"), item.get("values")
    if not isinstance(step, str) or step not in STEPS:
        bad("A003", (i, "step"), f"'{name}': unknown pipeline step '{step}' (known: {', '.join(STEPS)})",
            f"'{name}'：未知的流程步骤 '{step}'（可用：{', '.join(STEPS)}）", suggestion(str(step), STEPS))
        return None
    if step == "rate":
        bad("A003", (i, "step"), f"'{name}': step rate changes ratings, not scores or ranks: it cannot be audited",
            f"'{name}'：rate 步骤只影响评级，不影响得分和排名，无法审计")
        return None
    fields = STEPS[step].model_fields
    if not isinstance(param, str) or param not in fields:
        bad("A004", (i, "param"), f"'{name}': step {step} has no parameter '{param}' (known: {', '.join(fields)})",
            f"'{name}'：步骤 {step} 没有参数 '{param}'（可用：{', '.join(fields)}）", suggestion(str(param), fields))
        return None
    if not isinstance(values, list) or not values:
        bad("A005", (i, "values") if "values" in item else (i,), f"'{name}': `values` must be a non-empty list of "
            "alternatives", f"'{name}'：`values` 必须是非空的备选值列表")
        return None
    nominal = nominal_params(fw, step)
    ok = True
    for j, v in enumerate(values):
        if v == OFF:
            if step not in OPTIONAL_STEPS:
                bad("A005", (i, "values", j), f"'{name}': `off` removes a step, but {step} cannot be left out "
                    f"(only {', '.join(OPTIONAL_STEPS)})", f"'{name}'：`off` 表示去掉该步骤，但 {step} 不能去掉"
                    f"（只有 {', '.join(OPTIONAL_STEPS)} 可以）")
                ok = False
            continue
        try:
            with_value(nominal, step, param, v)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]["msg"]
            bad("A005", (i, "values", j), f"'{name}': {step}.{param} = {v!r} is not valid: {first}",
                f"'{name}'：{step}.{param} = {v!r} 无效（{first}）")
            ok = False
    if not ok:
        return None

    def canon(v: Any) -> Any:  # as the pipeline would hold it: [0, 100] and [0.0, 100.0] are one value
        return v if v == OFF else with_value(nominal, step, param, v).model_dump(mode="json")[param]

    canonical = [canon(v) for v in values]
    for j, v in enumerate(values):
        if any(same_value(canonical[j], w) for w in canonical[:j]):
            bad("A007", (i, "values", j), f"'{name}': alternative {v!r} is listed twice",
                f"'{name}'：备选值 {v!r} 重复列出", Msg("list each alternative once: repeats change the odds "
                                                      "silently", "每个备选值只列一次：重复会悄悄改变抽样概率"))
            ok = False
    if not ok:
        return None
    distinct = canonical
    nominal_value = OFF if nominal is None else nominal.model_dump(mode="json").get(param)
    if len(distinct) < 2:
        bad("A006", (i, "values"), f"'{name}': {len(distinct)} alternative: nothing varies",
            f"'{name}'：只有 {len(distinct)} 个备选值，没有变化", Msg("give at least two alternatives, or remove the "
                                                                 "entry", "请至少给出两个备选值，或删除此项"))
        return None
    if not any(same_value(nominal_value, v) for v in distinct):
        bad("A008", (i, "values"), f"'{name}': the framework's own {step}.{param} = {nominal_value!r} is not among "
            "the alternatives, so no replication reproduces the nominal ranks",
            f"'{name}'：框架自身的 {step}.{param} = {nominal_value!r} 不在备选值中，任何重复计算都不会得到名义排名",
            Msg(f"add {json.dumps(nominal_value)} to the values", f"请把 {json.dumps(nominal_value)} 加入备选值"),
            severity=Severity.WARNING)
    return StepInput(name, step, param, tuple(values))


def _weight_noise(item: dict, i: int, name: str, tree: Tree, bad: Any) -> WeightNoise | None:
    x = item.get("weights_noise")
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < 1:
        bad("A010", (i, "weights_noise"), f"'{name}': weights_noise must be a number strictly between 0 and 1 "
            f"(a share: 0.25 = ±25 %), not {x!r}", f"'{name}'：weights_noise 必须是严格介于 0 和 1 之间的数"
            f"（比例：0.25 即 ±25%），而不是 {x!r}", Msg("1 or more could make weights 0 or negative",
                                                   "取 1 或更大会使权重为 0 或负"))
        return None
    levels = item.get("levels")
    if levels is not None:
        known = sorted(set(tree.levels.values()))
        if not isinstance(levels, list) or not levels or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                  for v in levels):
            bad("A011", (i, "levels"), f"'{name}': levels must be a list of node levels ({known})",
                f"'{name}'：levels 必须是节点层级的列表（{known}）")
            return None
        for j, lv in enumerate(levels):
            if lv not in known:
                bad("A011", (i, "levels", j), f"'{name}': the framework has no node level {lv} (levels: {known}; "
                    "1 = the nodes just above the indicators)", f"'{name}'：框架没有第 {lv} 层节点（层级：{known}；"
                    "1 为紧邻指标的上一层）")
                return None
        levels = tuple(levels)
    return WeightNoise(name, float(x), levels)


def _exclusion(item: dict, i: int, name: str, tree: Tree, bad: Any) -> Exclusion | None:
    what = item.get("exclude")
    if what not in ("indicators", "nodes"):
        bad("A001", (i, "exclude"), f"'{name}': exclude must be `indicators` or `nodes`, not {what!r}",
            f"'{name}'：exclude 只能是 `indicators` 或 `nodes`，而不是 {what!r}",
            suggestion(str(what), ["indicators", "nodes"]))
        return None
    level = item.get("level")
    nodes = [n for n in tree.levels if n != "root"]
    if level is not None:
        known = sorted({tree.levels[n] for n in nodes})
        if what != "nodes" or not isinstance(level, int) or isinstance(level, bool) or level not in known:
            bad("A011", (i, "level"), f"'{name}': level {level!r} " + (
                "applies to `exclude: nodes` only" if what != "nodes" else f"is no level of the nodes below the root "
                f"({known})"), f"'{name}'：level {level!r} " + ("只适用于 `exclude: nodes`" if what != "nodes"
                                                                 else f"不是根节点以下的节点层级（{known}）"))
            return None
    pool = list(tree.indicators) if what == "indicators" else \
        [n for n in nodes if level is None or tree.levels[n] == level]
    elements = item.get("elements")
    if elements is None:
        chosen = pool
    elif not isinstance(elements, list) or not elements:
        bad("A012", (i, "elements"), f"'{name}': elements must be a non-empty list of {what}",
            f"'{name}'：elements 必须是非空的{'指标' if what == 'indicators' else '节点'}列表")
        return None
    else:
        chosen = []
        for j, e in enumerate(elements):
            if e not in pool:
                bad("A012", (i, "elements", j), f"'{name}': '{e}' is not one of the framework's {what}"
                    + (f" at level {level}" if level is not None else ""),
                    f"'{name}'：'{e}' 不是框架中的{'指标' if what == 'indicators' else '节点'}", suggestion(str(e), pool))
                return None
            if e in chosen:
                bad("A007", (i, "elements", j), f"'{name}': '{e}' is listed twice", f"'{name}'：'{e}' 重复列出")
                return None
            chosen.append(e)
    if not chosen:
        bad("A012", (i, "exclude"), f"'{name}': there are no {what} to exclude", f"'{name}'：没有可排除的元素")
        return None
    for e in chosen:  # excluding the only weighted child of a node leaves the node without a score
        for parent, kids in tree.children.items():
            weighted = [c for c, w in kids if w > 0]
            if weighted == [e]:
                bad("A013", (i, "exclude"), f"'{name}': excluding '{e}' would leave node '{parent}' with no weighted "
                    "child", f"'{name}'：排除 '{e}' 会使节点 '{parent}' 没有任何有权重的子项",
                    Msg("list the elements to exclude with `elements:` and leave this one out",
                        "请用 `elements:` 列出要排除的元素，并去掉这一个"))
                return None
    return Exclusion(name, what, tuple(chosen), level)


def _positive_means(inputs: list[UncertainInput], fw: Framework, locate: Any, where: str, raw: list
                    ) -> list[Diagnostic]:
    """A014 (warning): geometric/harmonic means need positive scores.

    When an alternative aggregates geometrically or harmonically while an alternative (or the
    framework) normalises to a range reaching 0 or below (or by z-scores), replications with a
    score ≤ 0 fail. The audit then lists them as failed (A015) rather than dropping them
    silently; this warning says so before anything runs.
    """
    agg = [inp for inp in inputs if isinstance(inp, StepInput) and inp.step == "aggregate" and inp.param == "method"]
    nominal_agg = nominal_params(fw, "aggregate")
    methods = {getattr(nominal_agg, "method", "arithmetic")}
    methods |= {v for inp in agg for v in inp.values}
    if not methods & {"geometric", "harmonic"}:
        return []
    norm = nominal_params(fw, "normalise")
    assert isinstance(norm, NormaliseParams)
    configs: list[NormaliseParams] = [norm]
    for inp in inputs:
        if isinstance(inp, StepInput) and inp.step == "normalise":
            configs += [with_value(norm, "normalise", inp.param, v) for v in inp.values]  # type: ignore[misc]
    bad = [c for c in configs if c.method in ("zscore",) or (c.method not in ("rank", "borda") and c.range[0] <= 0)]
    if not bad:
        return []
    c = bad[0]
    at = next((raw_i for raw_i, inp in enumerate(raw) if isinstance(inp, dict) and inp.get("name") in
               {a.name for a in agg}), None)
    why = "z-scores are negative" if c.method == "zscore" else f"range {list(c.range)} reaches {c.range[0]:g}"
    return [Diagnostic("A014", Msg(
        f"{where}: geometric or harmonic aggregation is combined with normalise method {c.method} whose {why}: "
        "replications meeting a score ≤ 0 will fail (they are listed in the audit, not scored)",
        f"{where}：几何或调和平均与标准化方法 {c.method} 组合，而其{'Z 分数可为负' if c.method == 'zscore' else f'取值范围 {list(c.range)} 下限为 {c.range[0]:g}'}："
        "遇到得分 ≤ 0 的重复计算会失败（审计中会列出，不计入结果）"), locate((at,) if at is not None else ()),
        Msg("normalise to a range above 0, e.g. normalise.range: [1, 100]",
            "请标准化到大于 0 的范围，例如 normalise.range: [1, 100]"), Severity.WARNING)]


def locator(positions: Any, base: tuple) -> Any:
    """A ``locate(path, key=False)`` for a list stored at ``base`` of a file read with positions."""
    def locate(path: tuple, key: bool = False) -> Location:
        return positions.locate((*base, *path), key=key)
    return locate
