"""Diagnostics: one record type for every problem citystd reports, and the catalogue of rules.

Every finding — a YAML syntax error, an unknown key, a cell that is not a number — is a
:class:`Diagnostic` with a stable rule code (``S101``), a severity, a location a person can find
(``file:line:col`` or ``file:sheet!D12``, :func:`location_text`), a bilingual message and an optional bilingual hint.
Findings are collected, never raised one at a time, so a user sees every problem in one run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """A rule of the catalogue: stable code, dotted name, default severity, bilingual title."""

    code: str
    name: str
    severity: Severity
    en: str
    zh: str


def _r(code: str, name: str, en: str, zh: str, severity: Severity = Severity.ERROR) -> Rule:
    return Rule(code, name, severity, en, zh)


W = Severity.WARNING

#: The rule catalogue. Codes are stable forever: add new ones, never renumber.
RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        # Y: reading YAML files
        _r("Y001", "yaml.syntax", "YAML syntax error", "YAML 语法错误"),
        _r("Y002", "yaml.duplicate-key", "duplicate key in a mapping", "映射中键重复"),
        _r(
            "Y003",
            "yaml.implicit-conversion",
            "unquoted value that YAML 1.1 silently converts",
            "未加引号的值会被 YAML 1.1 隐式转换",
        ),
        _r("Y004", "yaml.unreadable", "file cannot be read as a YAML text file", "文件无法作为 YAML 文本读取"),
        _r("Y005", "yaml.too-complex", "YAML too large, too deep or alias bomb", "YAML 过大、嵌套过深或别名炸弹"),
        _r("Y006", "file.format-version", "missing or unsupported `citystd:` format version", "缺少或不支持的 `citystd:` 格式版本"),
        _r("Y007", "yaml.empty", "file is empty (no YAML document)", "文件为空（没有 YAML 内容）"),
        # S: shape of the documents (the pydantic models)
        _r("S101", "schema.unknown-key", "unknown key", "未知键"),
        _r("S102", "schema.type", "value of the wrong type", "值类型错误"),
        _r("S103", "schema.missing-key", "required key missing", "缺少必填键"),
        _r("S104", "schema.missing-translation", "missing zh or en text", "缺少中文或英文文本"),
        _r("S105", "schema.invalid-id", "id does not match ^[a-z][a-z0-9_]*$", "标识符不符合 ^[a-z][a-z0-9_]*$"),
        _r("S106", "schema.invalid-value", "value not allowed here", "取值不被允许"),
        _r("S107", "schema.unit-code", "unit code is not a unit", "单位代码不是可识别的单位"),
        # R: references between objects
        _r("R201", "ref.duplicate-id", "id defined more than once", "标识符重复定义"),
        _r("R202", "ref.unknown-domain", "indicator refers to an unknown domain", "指标引用了未知领域"),
        _r("R203", "ref.unknown-variable", "formula uses an unknown variable", "公式使用了未知变量"),
        _r("R204", "ref.unknown-indicator", "framework refers to an unknown indicator", "框架引用了未知指标"),
        _r("R205", "ref.cycle", "indicators depend on each other in a cycle", "指标之间存在循环依赖"),
        _r("R206", "ref.scope-mismatch", "ratio of quantities measured over different areas",
           "比值的分子与分母统计范围不同"),
        _r("R207", "ref.ambiguous-alias", "alias names another item of the same scope", "别名指向同一统计范围的其他项"),
        # F: formulas
        _r("F301", "formula.syntax", "formula cannot be parsed", "公式无法解析"),
        _r("F302", "formula.function", "unknown function or wrong number of arguments", "未知函数或参数个数错误"),
        _r("F303", "formula.constant", "formula uses no variable", "公式不含任何变量"),
        _r("F304", "formula.always-fails", "part of a formula divides by zero, overflows or is undefined for any data",
           "公式的某部分对任何数据都除以零、溢出或无定义"),
        # N: numbers of an indicator
        _r("N401", "range.order", "range lower bound above upper bound", "取值范围下限大于上限"),
        _r("N402", "goalposts.equal", "goalposts worst and best are equal", "目标值区间的最差值与最佳值相等"),
        _r("N403", "goalposts.direction", "goalposts contradict the direction", "目标值区间与指标方向矛盾"),
        _r("N404", "thresholds.order", "thresholds out of order for the direction", "评级阈值顺序与指标方向不符"),
        _r("N405", "target.range", "target outside the valid range", "目标值超出有效范围"),
        _r("N406", "direction.target", "direction `target` needs a target value", "方向为 `target` 时必须给出目标值"),
        _r("N407", "bounds.range", "goalposts or thresholds outside the valid range", "目标值区间或阈值超出有效范围"),
        _r("N408", "bounds.not-finite", "range, goalposts, thresholds or target not a finite number",
           "取值范围、目标值区间、阈值或目标值不是有限数"),
        # T: frameworks
        _r("T501", "framework.duplicate-node", "node id used twice in a tree", "树中节点标识符重复"),
        _r("T502", "framework.empty-node", "node without children", "节点没有子节点"),
        _r("T503", "framework.negative-weight", "negative weight", "权重为负"),
        _r("T504", "framework.version", "version is not semver (MAJOR.MINOR.PATCH)", "版本号不符合语义化版本 (MAJOR.MINOR.PATCH)"),
        _r("T505", "pipeline.unknown-method", "unknown pipeline step or method", "未知的流程步骤或方法"),
        _r("T506", "pipeline.unknown-parameter", "unknown parameter of a pipeline step", "流程步骤的未知参数"),
        _r("T507", "pipeline.parameter-value", "invalid parameter value", "流程参数取值无效"),
        _r("T508", "framework.override", "override for an indicator the framework does not use", "覆盖项针对框架未使用的指标"),
        _r("T509", "framework.duplicate-indicator", "indicator appears twice in a tree", "指标在树中出现两次"),
        _r("T510", "framework.zero-weights", "every weight of a node (or of the tree's top) is 0",
           "某节点（或指标树顶层）的权重全为 0"),
        _r("T511", "framework.weight-not-finite", "weight is not a finite number (.inf, .nan)", "权重不是有限数（.inf、.nan）"),
        _r("T520", "pipeline.unknown-level", "aggregate `levels` names a level the tree does not have",
           "aggregate 的 `levels` 指定了指标树中不存在的层级"),
        _r("T521", "pipeline.target-count", "target importances do not number the node's children",
           "目标重要性的个数与节点的子节点数不符"),
        _r("T540", "framework.reserved-id", "node id reserved for the overall score", "节点标识符保留给综合得分"),
        # C: comparability and calibration (what a framework compares across cities)
        _r("C001", "comparability.size-scored", "scored indicator measures a size (a count or total) and divides by none",
           "计分指标为规模量（数量或总量）且未除以任何规模"),
        _r("C002", "comparability.unit-unreadable", "scored indicator's unit is not machine-readable",
           "计分指标的单位无法被机器识别", W),
        _r("C003", "scope.indicator-formula", "indicator's scope is not the scope of its formula's inputs",
           "指标的统计范围与其公式输入的统计范围不一致"),
        _r("C004", "statistic.tier-unpublished", "tier-1 statistic without `published_in`", "第 1 级统计数据没有 `published_in`"),
        _r("C005", "statistic.tier-better-than-inputs", "indicator declares a better tier than its inputs have",
           "指标声明的数据等级优于其输入"),
        _r("C006", "bounds.basis-incomplete", "basis of goalposts or thresholds does not say enough",
           "目标值区间或阈值的依据不完整"),
        _r("C007", "bounds.foreign-calibration", "bounds calibrated on another region's cities",
           "界值按其他地区城市的数据校准"),
        # W: advisories (warnings; --strict makes them errors)
        _r("W601", "library.unused-indicator", "indicator used by no framework", "指标未被任何框架使用", W),
        _r("W602", "source.no-clause", "source without a clause", "来源未注明条款", W),
        _r("W603", "library.unused-variable", "variable used by no formula", "变量未被任何公式使用", W),
        _r("W604", "text.bidi-control", "invisible bidirectional control character in a text", "文本中含有不可见的双向控制字符", W),
        _r("W610", "unit.not-machine-readable", "unit is not machine-readable", "单位无法被机器识别", W),
        _r("W611", "scope.missing", "item a regional framework uses has no `scope`", "地区性框架使用的项没有 `scope`", W),
        _r("W612", "statistic.metadata-missing", "statistic without tier, periodicity or source",
           "统计数据缺少等级、周期或来源", W),
        _r("W613", "bounds.no-basis", "goalposts or thresholds without `basis`", "目标值区间或阈值没有 `basis`", W),
        # D: city data files (readers and data checks)
        _r("D701", "data.unreadable", "data file cannot be read", "数据文件无法读取"),
        _r("D702", "data.no-city-column", "no column identifies the cities", "找不到标识城市的列"),
        _r("D703", "data.unknown-column", "column matches no variable or indicator", "列名与任何变量或指标都不匹配", W),
        _r("D704", "data.duplicate-row", "the same city and year appear twice", "同一城市同一年份出现两次"),
        _r("D705", "data.not-a-number", "value is not a number", "数值无法识别"),
        _r("D706", "data.excel-error", "Excel error value read as missing", "Excel 错误值按缺失处理", W),
        _r("D707", "data.out-of-range", "value outside the valid range", "数值超出有效范围"),
        _r("D708", "data.division-by-zero", "formula divides by zero", "公式出现除以零", W),
        _r("D709", "data.missing-variable", "variable the framework needs is absent", "框架所需变量缺失", W),
        _r("D710", "data.ragged-row", "row has more cells than the header", "行的单元格数多于表头"),
        _r("D711", "data.empty", "no data rows", "没有数据行"),
        _r("D712", "data.layout", "table layout cannot be recognised", "无法识别表格布局"),
        _r("D713", "data.bad-year", "year is not a whole number", "年份不是整数"),
        _r("D714", "data.year-jump", "suspicious jump between years", "年度间数值异常跳变", W),
        _r("D715", "data.unit-scale", "value looks off by a power of ten", "数值疑似量级（单位）错误", W),
        _r("D716", "data.missing-value", "a value the framework needs is empty", "框架所需的数值为空", W),
        _r("D717", "data.overflow", "formula result too large (overflow)", "公式结果过大（溢出）", W),
        _r("D730", "data.year-inferred", "the year of a table was taken from its title or folder",
           "表格年份取自标题或文件夹名", W),
        _r("D731", "data.unit-mismatch", "a column's unit cannot be converted to the variable's unit",
           "数据列的单位无法换算为变量的单位"),
        _r("D732", "data.formula-without-value", "formula cells without a saved value", "公式单元格没有保存计算结果", W),
        _r("D733", "data.percent-sign", "a percent sign in a column not measured in %", "非百分比数据列中出现百分号", W),
        _r("D734", "data.conflict", "two inputs give different values for the same city, year and variable",
           "两个输入对同一城市、年份、变量给出不同数值"),
        _r("D735", "data.variant-column", "two versions of one series (published and interpolated)",
           "同一序列有两个版本（原始值与插值）", W),
        _r("D736", "data.nothing-matched", "no column of the file matches the library", "文件中没有任何列与指标库匹配"),
        _r("D737", "data.unknown-city", "city name not found in the register, or ambiguous", "城市名称未在名录中找到或有歧义", W),
        # E: methods of the scoring engine
        _r("E801", "method.undefined", "method undefined for this data", "该方法对此数据无定义"),
        _r("E802", "method.nonpositive", "geometric/harmonic aggregation needs positive values", "几何/调和平均需要正值"),
        _r("E803", "method.ahp", "AHP matrix not reciprocal or inconsistent", "AHP 判断矩阵不互反或不一致"),
        _r("E804", "method.all-missing", "indicator has no data", "指标没有任何数据", W),
        _r("E805", "method.no-target", "indicator has no target", "指标没有目标值"),
        _r("E806", "method.no-goalposts", "indicator has no goalposts", "指标没有目标值区间（goalposts）"),
        _r("E807", "method.no-thresholds", "indicator has no thresholds", "指标没有评级阈值"),
        _r("E809", "method.screened", "unit dropped by screening", "单元被筛除", W),
        _r("E810", "method.no-reference", "reference unit not among the units scored", "参照单元不在参与评分的单元中"),
        _r("E811", "method.importance-not-reached", "optimised weights do not reach the target importances",
           "优化权重未能达到目标重要性", W),
        # A: audit / uncertainty (the `uncertainty` section and `citystd audit`)
        _r("A001", "uncertainty.shape", "uncertain input of an unknown kind or shape", "不确定输入的类型或格式无法识别"),
        _r("A002", "uncertainty.duplicate-name", "two uncertain inputs share a name", "两个不确定输入同名"),
        _r("A003", "uncertainty.unknown-step", "unknown or unauditable pipeline step", "未知或无法审计的流程步骤"),
        _r("A004", "uncertainty.unknown-parameter", "step has no such parameter", "步骤没有该参数"),
        _r("A005", "uncertainty.invalid-value", "alternative is not a valid value of the parameter", "备选值不是该参数的有效取值"),
        _r("A006", "uncertainty.no-variation", "fewer than two alternatives: nothing varies", "备选值少于两个：没有变化"),
        _r("A007", "uncertainty.duplicate-value", "alternative listed twice", "备选值重复"),
        _r("A008", "uncertainty.nominal-missing", "the framework's own value is not among the alternatives",
           "框架自身的取值不在备选值中", W),
        _r("A009", "uncertainty.varied-twice", "the same parameter or kind is varied twice", "同一参数或类型被重复变动"),
        _r("A010", "uncertainty.noise-range", "weights_noise outside (0, 1)", "weights_noise 不在 (0, 1) 之间"),
        _r("A011", "uncertainty.unknown-level", "no such node level in the framework", "框架中没有该节点层级"),
        _r("A012", "uncertainty.unknown-element", "element to exclude is not in the framework", "要排除的元素不在框架中"),
        _r("A013", "uncertainty.empty-node", "exclusion would leave a node without weighted children",
           "排除后节点将没有有权重的子项"),
        _r("A014", "uncertainty.nonpositive-mean", "geometric/harmonic aggregation may meet scores ≤ 0",
           "几何/调和平均可能遇到 ≤ 0 的得分", W),
        _r("A015", "audit.failed-replications", "replications failed and are not scored", "部分重复计算失败，未计入结果", W),
        _r("A016", "audit.uncertainty-file", "uncertainty file without an `uncertainty:` list", "不确定性文件中没有 `uncertainty:` 列表"),
        _r("A017", "audit.unknown-size-variable", "size variable not in the data", "数据中没有该规模变量"),
        _r("A018", "audit.options", "invalid audit options", "审计选项无效"),
        _r("A019", "audit.other-input", "audit made for another framework or other data", "审计针对的是其他框架或数据"),
        _r("A020", "audit.not-an-audit", "file is not a citystd audit", "文件不是 citystd 审计结果"),
        _r("A021", "audit.values", "indicator values do not fit the framework", "指标数值与框架不符"),
        # U: usage and internal problems (exit code 2)
        _r("U901", "usage.path", "path does not exist or cannot be read", "路径不存在或无法读取"),
        _r("U902", "usage.empty", "no YAML files found", "未找到 YAML 文件"),
        _r("U903", "usage.incomparable-peers", "peer results scored by other rules", "同行结果的评分规则不同"),
        _r("U904", "usage.not-results", "file is not citystd results JSON", "文件不是 citystd 结果 JSON"),
        _r("U905", "usage.newer-results", "results written by a newer citystd", "结果由更新版本的 citystd 生成", W),
        _r("U906", "usage.incomparable-results", "results scored by different frameworks or pipelines",
           "两份结果的评价框架或计算流程不同"),
        _r("U907", "usage.output-is-input", "output path is one of the command's inputs", "输出路径是本命令的输入文件"),
        _r("U908", "usage.output-path", "output path cannot be written", "输出路径无法写入"),
        _r("U909", "usage.write-failed", "writing the output failed", "写入输出失败"),
        _r("U910", "usage.not-a-file", "input is not a regular file", "输入不是普通文件"),
        _r("U911", "usage.input-too-large", "input larger than the size limit", "输入超过大小上限"),
        _r("U920", "usage.no-data-files", "a folder holds no data files", "文件夹中没有数据文件"),
        _r("U921", "usage.bad-choice", "--prefer or --column names nothing in the input", "--prefer 或 --column 指向的内容不在输入中"),
        _r("U930", "usage.missing-extra", "an optional dependency is not installed", "未安装可选依赖"),
    ]
}


@dataclass(frozen=True)
class Location:
    """Where a finding is, as the user sees it. Lines, columns and rows are 1-based."""

    file: str | None = None
    line: int | None = None
    col: int | None = None
    sheet: str | None = None
    cell: str | None = None  # spreadsheet reference like "D12"

    def __str__(self) -> str:
        return location_text(self)


def sheet_reference(sheet: str | None, cell: str | None) -> str:
    """``Sheet1!D12`` as Excel writes it in a formula (and accepts in Go To and the Name Box): a
    sheet name other than letters, digits, ``_`` and ``.`` — or one starting with a digit — in
    single quotes (``'Sheet 1'!D12``, a quote doubled); ``Sheet1`` or ``D12`` alone when the other
    is unknown."""
    if sheet is None:
        return cell or ""
    if not _PLAIN_SHEET.fullmatch(sheet):
        sheet = "'" + sheet.replace("'", "''") + "'"
    return f"{sheet}!{cell}" if cell else sheet


def position_text(loc: Location) -> str:
    """Where in the file: ``8:16``, ``8``, ``Sheet1!D12``, or ``""`` for the whole file."""
    if loc.sheet is not None or loc.cell is not None:
        return sheet_reference(loc.sheet, loc.cell)
    if loc.line is None:
        return ""
    return f"{loc.line}:{loc.col}" if loc.col is not None else f"{loc.line}"


def location_text(loc: Location) -> str:
    """A location on one line: ``path:line:col`` (what compilers, ruff and mypy print; editors make
    it a link), ``path:line``, ``path:sheet!cell`` for a workbook (a sheet name never holds a
    ``:``), ``path`` for the whole file, ``<input>`` when there is no file."""
    if loc.file is None:
        return "<input>"
    where = position_text(loc)
    return f"{loc.file}:{where}" if where else loc.file


_PLAIN_SHEET = re.compile(r"[^\W\d]\w*(?:\.\w+)*")


@dataclass(frozen=True)
class Msg:
    """A bilingual message."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: Msg
    location: Location = field(default_factory=Location)
    hint: Msg | None = None
    severity: Severity | None = None  # None: the rule's default
    more: int = 0  # > 0: this entry stands for that many further findings of its rule, not listed
    about: str | None = None  # the variable or indicator a data finding concerns (not shown)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def level(self) -> Severity:
        return self.severity or self.rule.severity

    def escalated(self) -> Diagnostic:
        return replace(self, severity=Severity.ERROR)

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.col or 0, self.code)

    def to_dict(self, lang: str = "en") -> dict:
        loc = self.location
        out: dict = {
            "code": self.code,
            "rule": self.rule.name,
            "severity": self.level.value,
            "file": loc.file,
            "line": loc.line,
            "col": loc.col,
            "message": self.message.get(lang),
            "hint": self.hint.get(lang) if self.hint else None,
        }
        if loc.sheet is not None or loc.cell is not None:
            out["sheet"], out["cell"] = loc.sheet, loc.cell
        if self.more:
            out["more"] = self.more
        return out

    @property
    def weight(self) -> int:
        """How many findings this entry counts for: 1, or ``more`` for a summary of findings not listed."""
        return self.more or 1


def count(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings), a summary entry counting for the findings it stands for."""
    e = w = 0
    for d in diagnostics:
        if d.level is Severity.ERROR:
            e += d.weight
        else:
            w += d.weight
    return e, w


def did_you_mean(word: str, candidates: Iterable[str], n: int = 1) -> list[str]:
    """Close matches of ``word`` among ``candidates`` (case-insensitive), best first."""
    cands = list(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def suggestion(word: str, candidates: Iterable[str]) -> Msg | None:
    """A bilingual "did you mean" hint, or None when nothing is close."""
    hits = did_you_mean(word, candidates)
    if not hits:
        return None
    return Msg(f"did you mean '{hits[0]}'?", f"是否应为 '{hits[0]}'？")


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Severity.ERROR for d in diagnostics)


class CitystdError(Exception):
    """An error that stops a command, carrying the diagnostic to show (never a traceback).

    ``diagnostic`` is the finding that stopped it; ``diagnostics`` every finding that goes with it
    (the Python API raises one error for a data file with many errors: all of them are here, as
    the command line prints them). ``exit_code`` is what the command line exits with (1 bad
    input, 2 usage or environment).
    """

    def __init__(self, diagnostic: Diagnostic, exit_code: int = 1,
                 diagnostics: Sequence[Diagnostic] | None = None) -> None:
        super().__init__(f"{diagnostic.code} {diagnostic.location}: {diagnostic.message.en}")
        self.diagnostic = diagnostic
        self.diagnostics = list(diagnostics) if diagnostics else [diagnostic]
        self.exit_code = exit_code


def error(code: str, en: str, zh: str, location: Location | None = None,
          hint: Msg | None = None, exit_code: int = 1) -> CitystdError:
    """Build a :class:`CitystdError` in one call: ``raise error("E801", "…", "…")``."""
    return CitystdError(Diagnostic(code, Msg(en, zh), location or Location(), hint), exit_code)
