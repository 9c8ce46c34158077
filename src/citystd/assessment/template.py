"""Data-collection templates for a framework: what ``citystd template`` writes (pure builders).

:func:`template_rows` lists what a framework needs from a city — every variable its formulas use
and every indicator reported directly (no formula) — in the order of the framework's tree, with
names, units, valid ranges and definitions. :func:`build_xlsx` turns them into a workbook a
statistician can fill without reading docs; :func:`build_csv` into a long CSV for systems that
generate data. Both return the file's content; writing it (atomically) is the caller's job.

The workbook (sheet names in the language chosen; layout in docs/self-assessment.md):

- an instruction sheet (what to fill, units, missing values, definitions, how to score);
- the data sheet: for one city, one row per variable with one column per year; for several
  cities (``cities`` with more than one name), one row per city and year with one column per
  variable under rows of names, units and ranges. Every input cell has Excel data validation
  (a decimal within the valid range, with a bilingual message), the sheet is protected with
  only the input cells unlocked (no password), panes are frozen, and each row has a data-source
  and a remark cell. Definitions are cell comments on the names;
- an indicator sheet: the framework's indicators with formula, unit, direction, goalposts and
  target;
- a hidden marker sheet (:data:`citystd.io.template_layout.MARKER_SHEET`) that tells the reader
  the layout, so that ``citystd score filled.xlsx`` needs no options and every finding points
  at the template's cell.

The same arguments give the same bytes (fixed zip dates and document properties).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citystd import __version__
from citystd.diagnostics import error
from citystd.io.cells import column_letter
from citystd.io.template_layout import MARKER, MARKER_SHEET, VERSION
from citystd.library.load import Library
from citystd.library.models import Framework, Leaf, Node, unit_text
from citystd.textsafe import csv_text, mark_bidi

FIXED_TIME = datetime.datetime(2024, 1, 1)
INPUT_FILL = "FFF2CC"  # light yellow: cells to fill
HEADER_FILL = "D9E1F2"
NOTE_FONT = "595959"

#: header row of the one-city data sheet (rows above: title, city, notes)
YEARS_HEADER_ROW = 5
#: header row of the multi-city data sheet (rows above: title, note, zh name, en name, unit, range)
CITIES_HEADER_ROW = 7


@dataclass(frozen=True)
class TemplateRow:
    """One thing a city reports: a variable, or an indicator without a formula."""

    id: str
    kind: str  # "variable" | "indicator"
    name: dict[str, str]
    unit: dict[str, str]
    lo: float | None
    hi: float | None
    definition: dict[str, str]
    domain: dict[str, str]  # the top-level node of the framework where it is first used
    used_by: tuple[str, ...]  # the framework's indicators that need it


def parse_years(text: str | None, default: int | None = None) -> list[int]:
    """``"2021-2024"`` → [2021, 2022, 2023, 2024]; ``"2019,2021"`` → [2019, 2021]; None → [default].

    Raises ValueError on anything else (a year must be from 1000 to 2999, at most 50 years).
    """
    if text is None or not text.strip():
        if default is None:
            raise ValueError("no years given")
        return [default]
    years: list[int] = []
    for part in re.split(r"[,，\s]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{4})\s*[-–~:]\s*(\d{4})|(\d{4})", part)
        if not m:
            raise ValueError(f"not a year or a range of years: {part!r}")
        a, b = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), int(m.group(3)))
        if a > b:
            raise ValueError(f"the range {part!r} runs backwards")
        years.extend(range(a, b + 1))
    years = sorted(set(years))
    if not years or any(not 1000 <= y <= 2999 for y in years) or len(years) > 50:
        raise ValueError(f"years must be 1000–2999, at most 50 of them: {text!r}")
    return years


def parse_cities(text: str | None) -> list[str]:
    """``"A,B, C"`` → ["A", "B", "C"] (also the Chinese comma and 、); duplicates removed; bidi
    controls shown as ``[U+202E]`` (:func:`citystd.textsafe.mark_bidi`)."""
    if text is None:
        return []
    return list(dict.fromkeys(mark_bidi(c.strip()) for c in re.split(r"[,，、;；\n]", text) if c.strip()))


def template_rows(lib: Library, fw: Framework) -> list[TemplateRow]:
    """What ``fw`` needs from a city, in the order of its tree (each id once)."""
    from citystd.engine.derive import needs

    out: dict[str, TemplateRow] = {}
    used_by: dict[str, list[str]] = {}

    def leaves(items: Sequence[Any]) -> list[str]:
        found: list[str] = []
        for item in items:
            if isinstance(item, Leaf):
                found.append(item.indicator)
            elif isinstance(item, Node):
                found.extend(leaves(item.children))
        return found

    groups: list[tuple[dict[str, str], list[str]]] = []
    for item in fw.tree:
        if isinstance(item, Node):
            groups.append((item.name.model_dump(), leaves(item.children)))
        else:
            groups.append((fw.name.model_dump(), [item.indicator]))
    for domain, inds in groups:
        for ind_id in inds:
            if ind_id not in lib.indicators:
                raise error("R204", f"framework '{fw.id}' uses unknown indicator '{ind_id}'",
                            f"框架 '{fw.id}' 使用了未知指标 '{ind_id}'", exit_code=2)
            plan = needs(lib, [ind_id])
            for var_id in plan.variables:
                used_by.setdefault(var_id, []).append(ind_id)
                if var_id not in out:
                    out[var_id] = _variable_row(lib, var_id, domain)
            for direct in plan.direct:
                used_by.setdefault(direct, []).append(ind_id)
                if direct not in out:
                    out[direct] = _indicator_row(lib, direct, domain)
    return [TemplateRow(**{**r.__dict__, "used_by": tuple(dict.fromkeys(used_by[r.id]))}) for r in out.values()]


def _variable_row(lib: Library, var_id: str, domain: dict[str, str]) -> TemplateRow:
    var = lib.variables.get(var_id)
    if var is None:  # a formula's name the library does not define
        return TemplateRow(var_id, "variable", {"zh": var_id, "en": var_id}, {"zh": "", "en": ""}, None, None,
                           {"zh": "", "en": ""}, domain, ())
    desc = var.description.model_dump() if var.description else {"zh": "", "en": ""}
    return TemplateRow(var_id, "variable", var.name.model_dump(),
                       {"zh": unit_text(var.unit, "zh"), "en": unit_text(var.unit, "en")},
                       var.range[0], var.range[1], desc, domain, ())


def _indicator_row(lib: Library, ind_id: str, domain: dict[str, str]) -> TemplateRow:
    ind = lib.indicators[ind_id]
    return TemplateRow(ind_id, "indicator", ind.name.model_dump(),
                       {"zh": unit_text(ind.unit, "zh"), "en": unit_text(ind.unit, "en")},
                       ind.range[0], ind.range[1], ind.definition.model_dump(), domain, ())


# --- texts ------------------------------------------------------------------------------------


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.10g}"


def range_text(lo: float | None, hi: float | None) -> str:
    """``[0, 100]``, ``≥ 0``, ``≤ 5`` or ``—`` (no bounds)."""
    if lo is not None and hi is not None:
        return f"[{_num(lo)}, {_num(hi)}]"
    if lo is not None:
        return f"≥ {_num(lo)}"
    if hi is not None:
        return f"≤ {_num(hi)}"
    return "—"


def _range_words(lo: float | None, hi: float | None) -> tuple[str, str]:
    if lo is not None and hi is not None:
        return f"a number from {_num(lo)} to {_num(hi)}", f"介于 {_num(lo)} 和 {_num(hi)} 之间的数字"
    if lo is not None:
        return f"a number of at least {_num(lo)}", f"不小于 {_num(lo)} 的数字"
    if hi is not None:
        return f"a number of at most {_num(hi)}", f"不大于 {_num(hi)} 的数字"
    return "a number", "数字"


def _definition(lib: Library, row: TemplateRow) -> str:
    """The comment on a name cell: both names, unit, range, definition and where it is used."""
    zh, en = row.definition.get("zh") or "", row.definition.get("en") or ""
    if not zh or not en:
        used = []
        for ind_id in row.used_by[:3]:
            ind = lib.indicators[ind_id]
            used.append((ind.name.zh, ind.name.en, ind.formula or ""))
        zh = zh or "用于计算：" + "；".join(f"{a}（{f}）" if f else a for a, _, f in used)
        en = en or "Used to compute: " + "; ".join(f"{b} ({f})" if f else b for _, b, f in used)
    lines = [f"{row.name['zh']}（{row.unit['zh'] or '—'}）", zh, "",
             f"{row.name['en']} ({row.unit['en'] or '—'})", en, "",
             f"{row.id} · {range_text(row.lo, row.hi)}"]
    return "\n".join(lines)


L = {
    # key: (en, zh)
    "instructions": ("Instructions", "填报说明"),
    "data": ("Data", "数据"),
    "indicators": ("Indicators", "指标"),
    "title": ("City indicator data — self-assessment template", "城市指标数据填报表（自评估模板）"),
    "city": ("City (required):", "填报城市（必填）："),
    "framework": ("Framework: ", "评价框架："),
    "note": ("Fill the yellow cells in the unit of each row; leave a cell empty when the value is unknown "
             "(say why in the remark). Hover over a name for its definition.",
             "请在黄色单元格中按各行“单位”填写数值；无法获得的数值请留空，并在“备注”中说明原因。"
             "鼠标悬停在名称上可查看定义。"),
    "no": ("No.", "序号"), "id": ("ID", "标识"), "name": ("Name", "名称"), "unit": ("Unit", "单位"),
    "range": ("Valid range", "有效范围"), "source": ("Data source", "数据来源"), "remark": ("Remark", "备注"),
    "other_name": ("Chinese name", "英文名称"), "domain": ("Domain", "领域"), "used_by": ("Used by", "用于计算的指标"),
    "city_col": ("city", "城市"), "year_col": ("year", "年份"),
    "zh_name": ("Chinese name", "中文名称"), "en_name": ("English name", "英文名称"),
    "direction": ("Direction", "方向"), "formula": ("Formula", "计算公式"),
    "worst": ("Goalpost worst", "最差值"), "best": ("Goalpost best", "最佳值"),
    "target": ("Target", "目标值"), "target_year": ("Target year", "目标年份"),
    "weight": ("Weight in the overall score", "在总分中的权重"),
    "higher": ("higher is better", "越高越好"), "lower": ("lower is better", "越低越好"),
    "target_dir": ("closer to the target is better", "越接近目标越好"),
    "direct": ("(reported directly: this indicator itself)", "（直接填报本指标）"),
}


def _t(key: str, lang: str) -> str:
    en, zh = L[key]
    return zh if lang == "zh" else en


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def instructions(fw: Framework, lang: str, *, layout: str, city_cell: str | None, years: list[int],
                 n_rows: int) -> list[str]:
    """The lines of the instruction sheet."""
    fid = fw.id
    yr = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    if lang == "zh":
        where = (f"在“数据”表中，每行是一个变量（或直接填报的指标），共 {n_rows} 行；每个年份（{yr}）一列。"
                 f"请在 {city_cell} 单元格填写城市名称。" if layout == "years" else
                 f"在“数据”表中，每个城市（及年份）一行，每个变量一列（共 {n_rows} 列）；上方几行是名称、单位和有效范围。")
        return [
            "城市指标数据填报模板（citystd）",
            f"评价框架：{fw.name.zh}（{fid} v{fw.version}）",
            "",
            "1. 填写什么：" + where + "只需填写黄色单元格，其余单元格已锁定（工作表保护，无密码）。",
            "2. 单位：按“单位”列填写，例如“万元”就填以万元计的数；百分数填 45（不是 0.45）。",
            "3. 有效范围：每个填写单元格都设置了数据验证，只接受“有效范围”内的数字；"
            "超出范围通常是单位或录入错误。",
            "4. 缺失：无法获得的数值请留空，并在“备注”中说明原因；不要填 0（0 表示确实为零）。",
            "5. 数据来源：每行填写来源，例如“《某市统计年鉴 2024》表 3-1”或“市统计局”。",
            "6. 定义：鼠标悬停在名称单元格上可查看定义；完整定义可运行 `citystd indicators show 标识`；"
            "“指标”表列出本框架全部指标的计算公式、方向、目标值区间和目标。",
            "7. 请勿插入或删除行列、修改“标识”列或重命名工作表：读取程序依赖表格结构。",
            "",
            "填好后：",
            f"   citystd check 填好的文件.xlsx -f {fid}        # 检查数据完整性和异常值（不评分）",
            f"   citystd score 填好的文件.xlsx -f {fid}        # 评分；-o results.json 保存完整结果（含差距分析）",
            "检查和评分发现的每个问题都会指出本模板中的具体单元格，例如 数据!H12。",
        ]
    where = (f"On the sheet Data, each row is a variable (or an indicator reported directly), {n_rows} rows; "
             f"one column per year ({yr}). Write the city's name in cell {city_cell}." if layout == "years" else
             f"On the sheet Data, one row per city (and year), one column per variable ({n_rows} columns), "
             "under rows of names, units and valid ranges.")
    return [
        "City indicator data template (citystd)",
        f"Framework: {fw.name.en} ({fid} v{fw.version})",
        "",
        "1. What to fill: " + where + " Fill only the yellow cells; the others are locked (sheet protection, "
        "no password).",
        "2. Units: in the unit of the Unit column — for 10,000 yuan write the amount in 10,000 yuan; a percent "
        "as 45 (not 0.45).",
        "3. Valid range: every input cell has data validation and accepts only a number within the valid "
        "range; a value outside it is usually a unit or typing error.",
        "4. Missing values: leave the cell empty and say why in the remark; do not write 0 (0 means zero).",
        "5. Data source: give the source of each row, e.g. 'City Statistical Yearbook 2024, table 3-1'.",
        "6. Definitions: hover over a name for its definition; `citystd indicators show ID` prints the full "
        "one; the sheet Indicators lists the framework's indicators with formula, direction, goalposts and target.",
        "7. Do not insert or delete rows or columns, edit the ID column or rename sheets: the reader relies on "
        "the layout.",
        "",
        "When it is filled:",
        f"   citystd check filled.xlsx -f {fid}        # completeness and suspicious values (no score)",
        f"   citystd score filled.xlsx -f {fid}        # the scores; -o results.json keeps everything, gaps included",
        "Every finding of check and score points at the cell of this template, e.g. Data!H12.",
    ]


# --- xlsx ------------------------------------------------------------------------------------


def build_xlsx(lib: Library, fw: Framework, *, lang: str = "zh", years: Sequence[int],
               cities: Sequence[str] = ()) -> bytes:
    """The template workbook's bytes. One city (or none given): variables as rows, years as
    columns; several cities: one row per city and year, variables as columns."""
    from openpyxl import Workbook

    rows = template_rows(lib, fw)
    years = list(years)
    wb = Workbook()
    info = wb.active
    info.title = _t("instructions", lang)
    ws = wb.create_sheet(_t("data", lang))
    if len(cities) > 1:
        layout, city_cell = "cities", None
        header_row = _cities_sheet(ws, lib, fw, rows, lang, years, list(cities))
    else:
        layout, city_cell = "years", "C2"
        header_row = _years_sheet(ws, lib, fw, rows, lang, years, cities[0] if cities else "")
    _instruction_sheet(info, instructions(fw, lang, layout=layout, city_cell=city_cell, years=years,
                                          n_rows=len(rows)))
    _indicator_sheet(wb.create_sheet(_t("indicators", lang)), lib, fw, lang)
    marker = wb.create_sheet(MARKER_SHEET)
    settings = [
        [MARKER, VERSION],
        ["framework", fw.id], ["framework_version", fw.version], ["layout", layout],
        ["data_sheet", ws.title], ["header_row", header_row],
        ["id_column", "B" if layout == "years" else ""], ["name_column", "C" if layout == "years" else ""],
        ["city_cell", city_cell or ""], ["city", cities[0] if len(cities) == 1 else ""],
        ["city_header", _t("city_col", lang) if layout == "cities" else ""],
        ["years", ",".join(map(str, years))], ["lang", lang], ["citystd_version", __version__],
    ]
    for r, pair in enumerate(settings, start=1):
        for c, v in enumerate(pair, start=1):
            _put(marker, r, c, v)
    marker.sheet_state = "hidden"
    marker.protection.sheet = True
    wb.security.lockStructure = True  # keeps the marker and the data sheet in place
    wb.active = 0
    return workbook_bytes(wb)


def _put(ws: Any, row: int, col: int, value: Any, **style: Any) -> Any:
    """Write a cell; text is always stored as text (a leading = + - @ never makes a formula)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "input": {"fill": PatternFill("solid", fgColor=INPUT_FILL), "protection": Protection(locked=False),
                  "border": Border(left=thin, right=thin, top=thin, bottom=thin)},
        "header": {"font": Font(bold=True), "fill": PatternFill("solid", fgColor=HEADER_FILL),
                   "alignment": Alignment(wrap_text=True, vertical="center", horizontal="center"),
                   "border": Border(left=thin, right=thin, top=thin, bottom=thin)},
        "title": {"font": Font(bold=True, size=14)},
        "note": {"font": Font(color=NOTE_FONT, italic=True)},
        "label": {"font": Font(bold=True)},
        "wrap": {"alignment": Alignment(wrap_text=True, vertical="top")},
        "meta": {"font": Font(color=NOTE_FONT, size=9), "alignment": Alignment(wrap_text=True, vertical="top")},
    }


def _validation(lo: float | None, hi: float | None, unit: dict[str, str]) -> Any:
    """Decimal within [lo, hi] with a bilingual error message and an input prompt."""
    from openpyxl.worksheet.datavalidation import DataValidation

    en, zh = _range_words(lo, hi)
    u_zh, u_en = unit.get("zh") or "—", unit.get("en") or "—"
    if lo is not None and hi is not None:
        kw = {"operator": "between", "formula1": _num(lo), "formula2": _num(hi)}
    elif lo is not None:
        kw = {"operator": "greaterThanOrEqual", "formula1": _num(lo)}
    elif hi is not None:
        kw = {"operator": "lessThanOrEqual", "formula1": _num(hi)}
    else:
        kw = {"operator": "between", "formula1": "-1E+307", "formula2": "1E+307"}
    return DataValidation(
        type="decimal", allow_blank=True, showErrorMessage=True, showInputMessage=True, errorStyle="stop",
        errorTitle="数值无效 / Invalid value",
        error=f"请输入{zh}（单位：{u_zh}）；数值未知请留空。\nEnter {en} (unit: {u_en}); leave the cell empty "
              "when the value is unknown."[:255],
        promptTitle=f"{u_zh} / {u_en}"[:32],
        prompt=f"有效范围 / valid range: {range_text(lo, hi)}"[:255],
        **kw)


def _add_validations(ws: Any, groups: dict[tuple, list[str]], units: dict[tuple, dict[str, str]]) -> None:
    for key, refs in groups.items():
        dv = _validation(key[0], key[1], units[key])
        for ref in refs:
            dv.add(ref)
        ws.add_data_validation(dv)


def _comment(text: str) -> Any:
    from openpyxl.comments import Comment

    c = Comment(text, "citystd")
    c.width, c.height = 420, 260
    return c


def _protect(ws: Any) -> None:
    p = ws.protection
    p.sheet = True
    p.formatColumns = False  # widths and heights may still be changed
    p.formatRows = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _years_sheet(ws: Any, lib: Library, fw: Framework, rows: list[TemplateRow], lang: str, years: list[int],
                 city: str) -> int:
    st = _styles()
    other = _other(lang)
    h = YEARS_HEADER_ROW
    _put(ws, 1, 1, f"{_t('title', lang)} · {fw.name.get(lang)}", **st["title"])
    _put(ws, 2, 2, _t("city", lang), **st["label"])
    _put(ws, 2, 3, city, **st["input"])
    _put(ws, 2, 4, f"{_t('framework', lang)}{fw.id} v{fw.version}", **st["note"])
    _put(ws, 3, 2, _t("note", lang), **st["note"])
    headers = [_t("no", lang), _t("id", lang), _t("name", lang), _t("unit", lang), _t("range", lang), *years,
               _t("source", lang), _t("remark", lang), _t("other_name", lang), _t("domain", lang),
               _t("used_by", lang)]
    for j, text in enumerate(headers, start=1):
        _put(ws, h, j, text, **st["header"])
    first_year = 6
    after = first_year + len(years)
    groups: dict[tuple, list[str]] = {}
    units: dict[tuple, dict[str, str]] = {}
    for k, row in enumerate(rows):
        r = h + 1 + k
        _put(ws, r, 1, k + 1)
        _put(ws, r, 2, row.id)
        name = _put(ws, r, 3, row.name[lang])
        name.comment = _comment(_definition(lib, row))
        _put(ws, r, 4, row.unit[lang] or row.unit[other])
        _put(ws, r, 5, range_text(row.lo, row.hi))
        for j in range(len(years)):
            _put(ws, r, first_year + j, None, **st["input"])
        _put(ws, r, after, None, **st["input"])
        _put(ws, r, after + 1, None, **st["input"])
        _put(ws, r, after + 2, row.name[other])
        _put(ws, r, after + 3, row.domain[lang])
        _put(ws, r, after + 4, ", ".join(row.used_by) if row.kind == "variable" else _t("direct", lang))
        key = (row.lo, row.hi, row.unit["zh"], row.unit["en"])
        units[key] = row.unit
        groups.setdefault(key, []).append(f"{column_letter(first_year - 1)}{r}:{column_letter(after - 2)}{r}")
    _add_validations(ws, groups, units)
    id_width = min(max([len(r.id) for r in rows] + [12]) + 2, 44)
    widths = {1: 6, 2: id_width, 3: 34, 4: 12, 5: 14}
    for j, w in widths.items():
        ws.column_dimensions[column_letter(j - 1)].width = w
    for j in range(first_year, after):
        ws.column_dimensions[column_letter(j - 1)].width = 13
    for j, w in zip(range(after, after + 5), (26, 26, 34, 18, 30), strict=True):
        ws.column_dimensions[column_letter(j - 1)].width = w
    ws.row_dimensions[h].height = 30
    ws.freeze_panes = f"{column_letter(first_year - 1)}{h + 1}"
    _protect(ws)
    return h


def _cities_sheet(ws: Any, lib: Library, fw: Framework, rows: list[TemplateRow], lang: str, years: list[int],
                  cities: list[str]) -> int:
    st = _styles()
    h = CITIES_HEADER_ROW
    _put(ws, 1, 1, f"{_t('title', lang)} · {fw.name.get(lang)}", **st["title"])
    _put(ws, 2, 1, _t("note", lang), **st["note"])
    labels = [_t("zh_name", lang), _t("en_name", lang), _t("unit", lang), _t("range", lang)]
    for k, text in enumerate(labels):
        _put(ws, 3 + k, 2, text, **st["label"])
    _put(ws, h, 1, _t("city_col", lang), **st["header"])
    _put(ws, h, 2, _t("year_col", lang), **st["header"])
    first = 3
    for k, row in enumerate(rows):
        c = first + k
        name = _put(ws, 3, c, row.name["zh"], **st["meta"])
        name.comment = _comment(_definition(lib, row))
        _put(ws, 4, c, row.name["en"], **st["meta"])
        _put(ws, 5, c, row.unit[lang] or "—", **st["meta"])
        _put(ws, 6, c, range_text(row.lo, row.hi), **st["meta"])
        _put(ws, h, c, row.id, **st["header"])
    src, rem = first + len(rows), first + len(rows) + 1
    _put(ws, h, src, _t("source", lang), **st["header"])
    _put(ws, h, rem, _t("remark", lang), **st["header"])
    r = h
    for city in cities:
        for y in years:
            r += 1
            _put(ws, r, 1, city, **st["label"])
            _put(ws, r, 2, y)
            for c in range(first, rem + 1):
                _put(ws, r, c, None, **st["input"])
    groups: dict[tuple, list[str]] = {}
    units: dict[tuple, dict[str, str]] = {}
    for k, row in enumerate(rows):
        letter = column_letter(first + k - 1)
        key = (row.lo, row.hi, row.unit["zh"], row.unit["en"])
        units[key] = row.unit
        groups.setdefault(key, []).append(f"{letter}{h + 1}:{letter}{r}")
    _add_validations(ws, groups, units)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 12
    for k, row in enumerate(rows):
        ws.column_dimensions[column_letter(first + k - 1)].width = min(max(len(row.id) + 3, 16), 36)
    ws.column_dimensions[column_letter(src - 1)].width = 26
    ws.column_dimensions[column_letter(rem - 1)].width = 26
    ws.row_dimensions[3].height = 60
    ws.row_dimensions[4].height = 60
    ws.row_dimensions[h].height = 30
    ws.freeze_panes = f"C{h + 1}"
    _protect(ws)
    return h


def _instruction_sheet(ws: Any, lines: list[str]) -> None:
    import unicodedata

    st = _styles()
    width = 120
    for r, line in enumerate(lines, start=1):
        _put(ws, r, 1, line, **(st["title"] if r == 1 else st["wrap"]))
        # spreadsheet programs do not all grow wrapped rows: give each row the lines it needs
        shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        if shown > width - 4:
            ws.row_dimensions[r].height = 16.5 * (1 + shown // (width - 4))
    ws.column_dimensions["A"].width = width
    ws.protection.sheet = True


def _indicator_sheet(ws: Any, lib: Library, fw: Framework, lang: str) -> None:
    from citystd.engine.pipeline import build_spec

    st = _styles()
    from citystd.library.rules import context_ids, effective_weights

    spec = build_spec(lib, fw)
    weights = effective_weights(fw, context_ids(lib))
    headers = [_t("id", lang), _t("name", lang), _t("other_name", lang), _t("unit", lang), _t("direction", lang),
               _t("formula", lang), _t("worst", lang), _t("best", lang), _t("target", lang), _t("target_year", lang),
               _t("weight", lang)]
    for j, text in enumerate(headers, start=1):
        _put(ws, 1, j, text, **st["header"])
    other = _other(lang)
    for k, ind_id in enumerate(spec.indicators, start=2):
        ind = lib.indicators[ind_id]
        gp = spec.goalposts.get(ind_id)
        t = spec.targets.get(ind_id)
        d = spec.direction[ind_id]
        cells = [ind_id, ind.name.get(lang), ind.name.get(other), unit_text(ind.unit, lang),
                 _t("target_dir" if d == "target" else d, lang), ind.formula or _t("direct", lang),
                 gp[0] if gp else None, gp[1] if gp else None, t[0] if t else None,
                 t[1] if t and t[1] is not None else None, round(weights.get(ind_id, 0.0), 6)]
        for j, v in enumerate(cells, start=1):
            cell = _put(ws, k, j, v)
            if j == 2:
                cell.comment = _comment(f"{ind.definition.zh}\n\n{ind.definition.en}")
    for j, w in enumerate((30, 34, 34, 12, 16, 48, 10, 10, 10, 10, 12), start=1):
        ws.column_dimensions[column_letter(j - 1)].width = w
    ws.freeze_panes = "C2"
    ws.protection.sheet = True


def workbook_bytes(wb: Any) -> bytes:
    """The workbook saved with fixed dates, so that the same template gives the same bytes."""
    from citystd.report.xlsxio import workbook_bytes as fixed_bytes

    wb.properties.creator = "citystd template"
    wb.properties.lastModifiedBy = "citystd template"
    _mark_bidi_cells(wb)
    return fixed_bytes(wb, date_time=FIXED_TIME)


def _mark_bidi_cells(wb: Any) -> None:
    """Bidirectional controls in any text of the workbook (names and definitions from a library)
    shown as ``[U+202E]``, as in every output for people (:mod:`citystd.textsafe`)."""
    from citystd.textsafe import has_bidi

    for ws in wb.worksheets:
        # the cells that exist (iter_rows would create an empty cell at every position it visits,
        # which changes the file)
        for cell in list(getattr(ws, "_cells", {}).values()):
            if isinstance(cell.value, str) and has_bidi(cell.value):
                cell.value = mark_bidi(cell.value)
            if cell.comment is not None and has_bidi(cell.comment.text):
                cell.comment.text = mark_bidi(cell.comment.text)


# --- csv -------------------------------------------------------------------------------------------


def build_csv(lib: Library, fw: Framework, *, lang: str = "zh", years: Sequence[int],
              cities: Sequence[str] = ()) -> str:
    """A long CSV template: one row per city, year and variable, with an empty ``value``.

    Columns ``city, year, variable, name_zh, name_en, unit, range, value, source, remark``; the
    reader takes ``city``, ``year``, ``variable`` and ``value`` and keeps the rest as attributes.
    """
    rows = template_rows(lib, fw)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["city", "year", "variable", "name_zh", "name_en", "unit", "range", "value", "source", "remark"])
    for city in (list(cities) or [""]):
        for y in years:
            for row in rows:
                w.writerow([csv_text(city), y, row.id, csv_text(row.name["zh"]), csv_text(row.name["en"]),
                            csv_text(row.unit[lang] or row.unit[_other(lang)]), range_text(row.lo, row.hi), "", "", ""])
    return buf.getvalue()
