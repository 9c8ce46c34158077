"""Import COINr tables (``iData``, ``iMeta``) as a citystd library, framework and data file.

COINr (the R package of the JRC's Competence Centre on Composite Indicators, also the format of the
JRC COIN Tool) describes a composite indicator with two tables:

- ``iData``: one row per unit: ``uCode`` (required), ``uName``, ``Time``, group columns,
  denominator columns and one column per indicator;
- ``iMeta``: one row per column of ``iData`` and per aggregate: ``iCode``, ``iName``, ``Level``
  (1 = indicator), ``Direction`` (1 / −1), ``Weight`` (relative within its parent), ``Type``
  (``Indicator``, ``Aggregate``, ``Group``, ``Denominator``, ``Other``), ``Parent``, and optionally
  ``Unit``, ``Target`` and ``Denominator`` (the ``iData`` column an indicator is divided by).

:func:`import_coinr` maps them to citystd (pure: DataFrames in, plain dicts and a DataFrame out);
:func:`render_files` turns the result into YAML texts and :func:`write_library` writes everything
atomically. The command line is ``citystd import coinr iData.csv iMeta.csv -o OUTDIR``; score with
``citystd score OUTDIR/data.csv --library OUTDIR -f <framework id>`` (the library stands alone:
ids such as ``gdp`` may also exist in the built-in library, so it replaces rather than extends it).

**Ids.** citystd ids match ``^[a-z][a-z0-9_]*$``, COINr codes are free text. A code becomes
:func:`citystd_id`: lower case, every run of other characters than ``a-z``/``0-9`` replaced by one
``_``, leading/trailing ``_`` dropped, and ``x_`` put in front when it would not start with a
letter (``LPI`` → ``lpi``, ``ConEcFin`` → ``conecfin``, ``CO2`` → ``co2``, ``Pop-den`` →
``pop_den``, ``4G`` → ``x_4g``). The original code is kept in every indicator's ``notes``. Two
codes that map to the same id are an error (R201), never silently renamed.

**Denominators.** An indicator with a ``Denominator`` keeps its COINr id and gets
``formula: <id>_raw / <denominator id>``; its raw ``iData`` column becomes the variable
``<id>_raw`` (``Flights`` ÷ ``Population`` → indicator ``flights = flights_raw / population``,
variables ``flights_raw`` and ``population``). An indicator without one carries its data under its
own id. Denominators no indicator uses are left out (citystd would warn about unused variables).

**Other mappings.**

- ``Direction`` 1 / −1 → ``higher`` / ``lower``. COINr's ``Target`` is for distance-to-target
  normalisation, not a "nearest is best" direction, so it goes to ``target: {value}`` and the
  direction stays ``higher`` / ``lower``.
- The tree follows ``Parent`` and ``Weight``. A single top aggregate (COINr's index) becomes the
  framework itself (its score is the root score, its name the framework name); several become
  the top nodes of the tree.
- Each aggregate that is the parent of indicators (a COINr pillar) becomes a domain of the same id.
- Goalposts are not in COINr tables and are left out: the imported pipeline normalises by min-max.
- COINr has English texts only. They are copied to ``zh`` so the library is valid, every indicator
  is tagged ``needs-translation``, and its ``provenance`` says so.
- ``Group`` columns stay in the data file under their own names, as unit attributes (for
  ``group_mean`` imputation and reports); ``Other`` columns are left out.

**Pipeline.** COINr's canonical pipeline of the ASEM example (``build_example_coin()``,
methods.md): ``impute`` group_mean by ``EurAsia_group`` (any group given as ``impute_by``; plain
column mean when there is no group), ``screen`` units below 90 % data, ``treat`` winsorise
(``winmax: 5``, log fallback), ``normalise`` min-max to [0, 100], ``aggregate`` weighted
arithmetic mean. Imputation runs before screening, as in COINr, so availability is counted on the
imputed data.

**Data file.** ``data.csv`` holds ``uCode``, ``uName``, the group columns, ``Time`` (a year column
for citystd), the denominators and the indicators, with columns named by citystd id (raw columns
as ``<id>_raw``). Values are copied, not transformed: the formulas divide at scoring time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citystd.diagnostics import CitystdError, Diagnostic, Location, Msg, Severity, error, suggestion
from citystd.io.guard import read_input

if TYPE_CHECKING:
    import pandas as pd

IMETA_REQUIRED = ("iCode", "iName", "Level", "Direction", "Weight", "Type", "Parent")
IMETA_OPTIONAL = ("Unit", "Target", "Denominator")
TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
UNIT_COLUMNS = ("uCode", "uName", "Time")
DEFAULT_IMPUTE_GROUP = "EurAsia_group"
TAGS = ["coinr-import", "needs-translation"]
DATA_FILE = "data.csv"
YAML_FILES = ("domains.yaml", "variables.yaml", "indicators.yaml", "framework.yaml")
FRAMEWORK_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_ID_SAFE = re.compile(r"^[a-z][a-z0-9_]*$")
_NOT_STATED = {"zh": "未注明", "en": "not stated"}


# ---------------------------------------------------------------------------- ids

def citystd_id(code: str) -> str:
    """The citystd id of a COINr code (see the module docstring): ``ConEcFin`` → ``conecfin``."""
    s = re.sub(r"[^a-z0-9]+", "_", str(code).strip().lower()).strip("_")
    if not s or not s[0].isalpha():
        s = f"x_{s}" if s else "x"
    return s


def raw_id(indicator_id: str) -> str:
    """The variable holding the raw (undivided) column of a denominated indicator."""
    return f"{indicator_id}_raw"


# ---------------------------------------------------------------------------- result

@dataclass(frozen=True)
class CoinrLibrary:
    """An imported COINr system: library sections as plain dicts, and the data for ``citystd score``."""

    framework_id: str
    domains: list[dict[str, Any]]
    variables: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    framework: dict[str, Any]
    data: pd.DataFrame
    ids: dict[str, str]  # COINr code → citystd id (indicators, aggregates, denominators)


# ---------------------------------------------------------------------------- import

def import_coinr(
    idata: pd.DataFrame,
    imeta: pd.DataFrame,
    framework_id: str = "coinr",
    *,
    impute_by: str | None = None,
    idata_name: str = "iData",
    imeta_name: str = "iMeta",
) -> CoinrLibrary:
    """Map COINr ``iData``/``iMeta`` tables to a citystd library (see the module docstring).

    ``impute_by`` names the group column for ``group_mean`` imputation (default: ``EurAsia_group``
    when it is a group, else plain mean imputation). ``idata_name``/``imeta_name`` are the names
    shown in messages. Raises :class:`~citystd.diagnostics.CitystdError` with a bilingual message
    for any table the mapping cannot represent.
    """
    import pandas as pd

    if not FRAMEWORK_ID.match(framework_id):
        raise error("S105", f"framework id '{framework_id}' does not match ^[a-z][a-z0-9_-]*$",
                    f"框架标识符 '{framework_id}' 不符合 ^[a-z][a-z0-9_-]*$",
                    hint=Msg(f"for example '{citystd_id(framework_id).replace('_', '-')}'",
                             f"例如 '{citystd_id(framework_id).replace('_', '-')}'"), exit_code=2)
    meta = _clean_meta(imeta, imeta_name)
    where_meta = Location(imeta_name)
    where_data = Location(idata_name)
    if "uCode" not in idata.columns:
        raise error("D702", f"{idata_name} has no uCode column (COINr's unit codes)",
                    f"{idata_name} 缺少 uCode 列（COINr 的单元代码）", where_data,
                    suggestion("uCode", [str(c) for c in idata.columns]))
    if len(idata) == 0:
        raise error("D711", f"{idata_name} has no rows", f"{idata_name} 没有数据行", where_data)

    rows = {r["iCode"]: r for r in meta}
    by_type = {t: [r for r in rows.values() if r["Type"] == t] for t in TYPES}
    inds, aggs = by_type["Indicator"], by_type["Aggregate"]
    if not inds:
        raise error("S103", f"{imeta_name} has no row of Type Indicator", f"{imeta_name} 中没有 Type 为 Indicator 的行",
                    where_meta)
    agg_codes = {r["iCode"] for r in aggs}

    # data columns: every indicator, and every denominator an indicator uses
    columns = [str(c) for c in idata.columns]
    missing = [r["iCode"] for r in inds if r["iCode"] not in columns]
    if missing:
        raise _error_diag("D709", f"{idata_name} lacks the column(s) of indicator(s) {_list(missing)} listed in {imeta_name}",
                          f"{idata_name} 缺少 {imeta_name} 中列出的指标列 {_list(missing)}", where_data,
                          suggestion(missing[0], columns))
    denominators: list[str] = []
    for r in inds:
        den = r["Denominator"]
        if den is None:
            continue
        if den not in columns:
            raise error("R203", f"indicator {r['iCode']} is divided by '{den}', which is not a column of {idata_name}",
                        f"指标 {r['iCode']} 的分母 '{den}' 不是 {idata_name} 的列", where_meta,
                        suggestion(den, [d["iCode"] for d in by_type["Denominator"]] or columns))
        if den not in denominators:
            denominators.append(den)
    denominators.sort(key=lambda d: (0, list(rows).index(d)) if d in rows else (1, columns.index(d)))

    _check_tree(rows, inds, aggs, imeta_name)
    ids = _assign_ids(inds, aggs, denominators, imeta_name)

    # variables: the denominators, then the raw columns of denominated indicators
    variables: list[dict[str, Any]] = []
    for den in denominators:
        r = rows.get(den)
        name = r["iName"] if r is not None and r["iName"] else den
        variables.append({"id": ids[den], "name": _both(name), "unit": _unit(r["Unit"] if r is not None else None)})
    for r in inds:
        if r["Denominator"] is not None:
            variables.append({"id": raw_id(ids[r["iCode"]]),
                              "name": _both(f"{r['iName']} (before division by {_den_name(rows, r['Denominator'])})"),
                              "unit": _unit(r["Unit"])})

    indicators = [_indicator(r, rows, ids) for r in inds]

    domains = []
    for a in aggs:
        if any(r["Parent"] == a["iCode"] for r in inds):
            domains.append({"id": ids[a["iCode"]], "name": _both(a["iName"] or a["iCode"])})

    groups = [r["iCode"] for r in by_type["Group"] if r["iCode"] in columns]
    if impute_by is not None and impute_by not in groups:
        raise error("S106", f"--impute-by '{impute_by}' is not a group column of {idata_name}",
                    f"--impute-by '{impute_by}' 不是 {idata_name} 的分组列", where_data,
                    suggestion(impute_by, groups) or Msg(f"group columns: {_list(groups) or 'none'}",
                                                         f"分组列：{_list(groups) or '无'}"), exit_code=2)
    group = impute_by or (DEFAULT_IMPUTE_GROUP if DEFAULT_IMPUTE_GROUP in groups else None)

    roots = [a for a in aggs if a["Parent"] is None]
    roots += [r for r in inds if r["Parent"] is None]  # indicators straight under the root (rare)
    if len(roots) == 1 and roots[0]["Type"] == "Aggregate":
        top = roots[0]
        name = _both(top["iName"] or top["iCode"])
        tree = [_tree_item(c, rows, ids) for c in _children(rows, top["iCode"])]
        about = f"the single top aggregate {top['iCode']} is the framework's root"
    else:
        name = _both(f"{framework_id} (imported from COINr)")
        tree = [_tree_item(r, rows, ids) for r in roots]
        about = "its top aggregates are the top nodes of the tree"
    framework = {
        "id": framework_id,
        "version": "1.0.0",
        "name": name,
        "description": _both(f"Imported from COINr tables ({Path(idata_name).name}, {Path(imeta_name).name}) by "
                             "`citystd import coinr`; "
                             f"{about}. Pipeline: COINr's canonical pipeline of its ASEM example."),
        "pipeline": default_pipeline(group),
        "tree": tree,
    }

    keep = ["uCode"] + [c for c in ("uName",) if c in columns] + groups + [c for c in ("Time",) if c in columns]
    data = idata[keep + denominators + [r["iCode"] for r in inds]].copy()
    rename = {den: ids[den] for den in denominators}
    rename |= {r["iCode"]: raw_id(ids[r["iCode"]]) if r["Denominator"] is not None else ids[r["iCode"]] for r in inds}
    data = data.rename(columns=rename)
    agg_ids = {code: ids[code] for code in agg_codes}
    return CoinrLibrary(framework_id=framework_id, domains=domains, variables=variables, indicators=indicators,
                        framework=framework, data=pd.DataFrame(data).reset_index(drop=True),
                        ids={**{r["iCode"]: ids[r["iCode"]] for r in inds}, **agg_ids,
                             **{d: ids[d] for d in denominators}})


def default_pipeline(group: str | None = DEFAULT_IMPUTE_GROUP) -> list[dict[str, Any]]:
    """COINr's canonical ASEM pipeline as citystd steps (``group`` None: plain mean imputation)."""
    impute: dict[str, Any] = {"method": "group_mean", "by": group} if group else {"method": "mean"}
    return [
        {"impute": impute},
        {"screen": {"min_coverage": 0.9}},
        {"treat": {"method": "winsorise", "winmax": 5}},
        {"normalise": {"method": "minmax", "range": [0, 100]}},
        {"aggregate": {"method": "arithmetic"}},
    ]


# ---------------------------------------------------------------------------- checks

def _clean_meta(imeta: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    """iMeta rows as dicts: columns checked, texts stripped, blanks as None, numbers as floats.

    iMeta is small (one row per indicator and aggregate), so this works on plain records; a
    DataFrame would turn None back into NaN in text columns.
    """
    cols = [str(c) for c in imeta.columns]
    absent = [c for c in IMETA_REQUIRED if c not in cols]
    if absent:
        hint = suggestion(absent[0], cols) or Msg(f"COINr's iMeta needs the columns {', '.join(IMETA_REQUIRED)}",
                                                  f"COINr 的 iMeta 需要以下列：{', '.join(IMETA_REQUIRED)}")
        raise error("S103", f"{name} lacks the column(s) {_list(absent)}", f"{name} 缺少列 {_list(absent)}",
                    Location(name), hint)
    records = imeta.set_axis(cols, axis=1).astype(object).to_dict("records")
    rows: list[dict[str, Any]] = []
    for rec in records:
        row: dict[str, Any] = {c: _text(rec.get(c)) for c in ("iCode", "iName", "Type", "Parent", "Denominator", "Unit")}
        if row["iCode"] is None:
            continue  # a blank line
        for c in ("Level", "Direction", "Weight", "Target"):
            row[c] = _number(rec.get(c), c, row["iCode"], name)
        rows.append(row)
    seen: set[str] = set()
    dup = sorted({r["iCode"] for r in rows if r["iCode"] in seen or seen.add(r["iCode"])})
    if dup:
        raise error("R201", f"{name}: iCode {_list(dup)} appears more than once", f"{name}：iCode {_list(dup)} 重复出现",
                    Location(name))
    bad = [r for r in rows if r["Type"] not in TYPES]
    if bad:
        code, t = bad[0]["iCode"], bad[0]["Type"]
        raise error("S106", f"{name}: {code} has Type '{t}'; COINr types are {', '.join(TYPES)}",
                    f"{name}：{code} 的 Type 为 '{t}'；COINr 的类型为 {', '.join(TYPES)}", Location(name),
                    suggestion(str(t), TYPES))
    return rows


def _check_tree(rows: dict[str, dict], inds: list[dict], aggs: list[dict], name: str) -> None:
    where = Location(name)
    for r in [*inds, *aggs]:
        code = r["iCode"]
        if r["Type"] == "Indicator":
            if r["Direction"] not in (1.0, -1.0):
                raise error("S106", f"{name}: indicator {code} has Direction {_shown(r['Direction'])}; COINr uses 1 or -1",
                            f"{name}：指标 {code} 的 Direction 为 {_shown(r['Direction'])}；COINr 使用 1 或 -1", where)
            if r["Level"] != 1:
                raise error("S106", f"{name}: indicator {code} has Level {_shown(r['Level'])}; indicators are level 1",
                            f"{name}：指标 {code} 的 Level 为 {_shown(r['Level'])}；指标应为第 1 层", where)
        elif r["Level"] is None or r["Level"] < 2:
            raise error("S106", f"{name}: aggregate {code} has Level {_shown(r['Level'])}; aggregates are level 2 or above",
                        f"{name}：聚合项 {code} 的 Level 为 {_shown(r['Level'])}；聚合项应为第 2 层及以上", where)
        parent = r["Parent"]
        if parent is None:
            if r["Type"] == "Indicator":
                raise error("S103", f"{name}: indicator {code} has no Parent", f"{name}：指标 {code} 没有 Parent", where)
            continue
        if r["Weight"] is None:
            raise error("S103", f"{name}: {code} has no Weight", f"{name}：{code} 没有 Weight", where)
        if r["Weight"] < 0:
            raise error("T503", f"{name}: {code} has a negative Weight {_shown(r['Weight'])}",
                        f"{name}：{code} 的 Weight {_shown(r['Weight'])} 为负", where)
        p = rows.get(parent)
        if p is None or p["Type"] != "Aggregate":
            raise error("R204", f"{name}: {code} has Parent '{parent}', which is not an aggregate of {name}",
                        f"{name}：{code} 的 Parent '{parent}' 不是 {name} 中的聚合项", where,
                        suggestion(parent, [a["iCode"] for a in aggs]))
        if p["Level"] != r["Level"] + 1:
            raise error("S106", f"{name}: {code} (level {_shown(r['Level'])}) has Parent {parent} at level "
                                f"{_shown(p['Level'])}; a parent is one level up",
                        f"{name}：{code}（第 {_shown(r['Level'])} 层）的 Parent {parent} 位于第 {_shown(p['Level'])} 层；"
                        "父项应高一层", where)
    for a in aggs:
        if not _children(rows, a["iCode"]):
            raise error("T502", f"{name}: aggregate {a['iCode']} has no children", f"{name}：聚合项 {a['iCode']} 没有子项",
                        where)


def _assign_ids(inds: list[dict], aggs: list[dict], denominators: list[str], name: str) -> dict[str, str]:
    """COINr code → citystd id, refusing two codes on one id within a namespace (R201)."""
    ids: dict[str, str] = {}
    values: dict[str, str] = {}  # variables and indicators share one namespace
    nodes: dict[str, str] = {}

    def claim(space: dict[str, str], new_id: str, code: str) -> None:
        other = space.get(new_id)
        if other is not None and other != code:
            raise error("R201", f"{name}: COINr codes '{other}' and '{code}' both become the citystd id '{new_id}'",
                        f"{name}：COINr 代码 '{other}' 与 '{code}' 都会转换为 citystd 标识符 '{new_id}'", Location(name),
                        Msg("rename one of them in iMeta and iData", "请在 iMeta 和 iData 中重命名其中之一"))
        space[new_id] = code

    for d in denominators:
        ids[d] = citystd_id(d)
        claim(values, ids[d], d)
    for r in inds:
        ids[r["iCode"]] = citystd_id(r["iCode"])
        claim(values, ids[r["iCode"]], r["iCode"])
    for r in inds:
        if r["Denominator"] is not None:
            claim(values, raw_id(ids[r["iCode"]]), f"{r['iCode']} (raw column)")
    for a in aggs:
        ids[a["iCode"]] = citystd_id(a["iCode"])
        claim(nodes, ids[a["iCode"]], a["iCode"])
    return ids


# ---------------------------------------------------------------------------- building blocks

def _indicator(r: dict, rows: dict[str, dict], ids: dict[str, str]) -> dict[str, Any]:
    code, iid, den = r["iCode"], ids[r["iCode"]], r["Denominator"]
    label = r["iName"] or code
    definition = f"{label} (COINr iCode {code})"
    unit = _unit(r["Unit"])
    if den is not None:
        den_row = rows.get(den)
        den_unit = den_row["Unit"] if den_row is not None else None
        definition += f", divided by {_den_name(rows, den)}"
        base = r["Unit"] or "value"
        unit = f"{base} per {_den_name(rows, den)}" + (f" ({den_unit})" if den_unit else "")
    out: dict[str, Any] = {
        "id": iid,
        "name": _both(label),
        "definition": _both(definition + ". Imported from COINr, whose tables carry no definitions."),
        "domain": ids[r["Parent"]],
        "unit": unit,
        "direction": "higher" if r["Direction"] == 1 else "lower",
    }
    if den is not None:
        out["formula"] = f"{raw_id(iid)} / {ids[den]}"
    if r["Target"] is not None:
        out["target"] = {"value": r["Target"], "source": "COINr iMeta Target (for distance-to-target normalisation)"}
    out["tags"] = list(TAGS)
    out["provenance"] = ("Imported from COINr: English texts only; the zh texts are copies of the English ones "
                         "and need translation.")
    out["notes"] = f"COINr iCode {code}" + (f", Denominator {den}" if den is not None else "") + "."
    return out


def _children(rows: dict[str, dict], code: str) -> list[dict]:
    return [r for r in rows.values() if r["Parent"] == code and r["Type"] in ("Indicator", "Aggregate")]


def _tree_item(r: dict, rows: dict[str, dict], ids: dict[str, str]) -> dict[str, Any]:
    weight = 1.0 if r["Weight"] is None else r["Weight"]
    if r["Type"] == "Indicator":
        return {"indicator": ids[r["iCode"]], "weight": weight}
    return {"id": ids[r["iCode"]], "name": _both(r["iName"] or r["iCode"]), "weight": weight,
            "children": [_tree_item(c, rows, ids) for c in _children(rows, r["iCode"])]}


def _den_name(rows: dict[str, dict], den: str) -> str:
    r = rows.get(den)
    return (r["iName"] if r is not None and r["iName"] else None) or den


def _both(text: str) -> dict[str, str]:
    return {"zh": text, "en": text}


def _unit(unit: str | None) -> str | dict[str, str]:
    return unit if unit else dict(_NOT_STATED)


def _text(v: Any) -> str | None:
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v).strip()
    return s or None


def _number(v: Any, column: str, code: Any, name: str) -> float | None:
    import pandas as pd

    if v is None or (isinstance(v, str) and not v.strip()) or (not isinstance(v, str) and pd.isna(v)):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise error("S102", f"{name}: {column} of {code} is '{v}', not a number",
                    f"{name}：{code} 的 {column} 为 '{v}'，不是数字", Location(name)) from None
    return None if math.isnan(x) else x


def _shown(v: float | None) -> str:
    return "(blank)" if v is None else f"{v:g}"


def _list(items: list[str]) -> str:
    return ", ".join(items[:8]) + (f" … (+{len(items) - 8})" if len(items) > 8 else "")


def _error_diag(code: str, en: str, zh: str, loc: Location, hint: Msg | None) -> CitystdError:
    """An error for a rule whose catalogue severity is a warning (it stops the import)."""
    return CitystdError(Diagnostic(code, Msg(en, zh), loc, hint, Severity.ERROR))


# ---------------------------------------------------------------------------- reading and writing

def read_table(path: Path, display: str | None = None) -> pd.DataFrame:
    """Read a COINr table from .csv (UTF-8 with or without BOM, or GB18030) or .xlsx (first sheet).

    CSV cells are read as text, so they reach the data file unchanged (blank = missing); iMeta's
    numbers are parsed by :func:`import_coinr`. Raises U901 (no such file, exit 2), U910 (not a
    regular file) or U911 (over the size limit, :mod:`citystd.io.guard`), D701 (unreadable) or
    D711 (empty).
    """
    import pandas as pd

    name = display or str(path)
    loc = Location(name)
    raw = read_input(path, name)  # a regular file within the size limit (U901, U910, U911)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            from io import BytesIO

            frame = pd.read_excel(BytesIO(raw), engine="calamine")
        elif suffix in (".csv", ".txt", ""):
            frame = _read_csv(raw)
        else:
            raise error("D701", f"cannot read '{name}': unsupported file type '{suffix}'",
                        f"无法读取 '{name}'：不支持的文件类型 '{suffix}'", loc,
                        Msg("save the table as .csv or .xlsx", "请将表格保存为 .csv 或 .xlsx"))
    except CitystdError:
        raise
    except pd.errors.EmptyDataError:
        raise error("D711", f"'{name}' is empty", f"'{name}' 是空文件", loc) from None
    except Exception as exc:  # a parser error of any kind: say what and where, no traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise error("D701", f"cannot read '{name}': {reason}", f"无法读取 '{name}'：{reason}", loc,
                    Msg("check that it is a COINr table saved as CSV (comma-separated) or .xlsx",
                        "请确认这是保存为 CSV（逗号分隔）或 .xlsx 的 COINr 表格")) from None
    if frame.shape[1] == 0 or len(frame) == 0:
        raise error("D711", f"'{name}' has no data rows", f"'{name}' 没有数据行", loc)
    return frame


def _read_csv(data: bytes) -> pd.DataFrame:
    import pandas as pd

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        from io import StringIO

        # cells as text: the data file gets them byte for byte; iMeta numbers are parsed later
        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    raise ValueError("the file is neither UTF-8 nor GB18030 text")


def render_files(lib: CoinrLibrary) -> dict[str, str]:
    """The four YAML files of the library, by file name."""
    head = ["citystd: 1",
            f"# Imported from COINr tables by `citystd import coinr` (framework '{lib.framework_id}').",
            "# COINr has English texts only: the zh texts are copies of the English ones (tag needs-translation)."]
    out = {
        "domains.yaml": _yaml_doc(head, "domains", lib.domains),
        "variables.yaml": _yaml_doc(head, "variables", lib.variables),
        "indicators.yaml": _yaml_doc(head, "indicators", lib.indicators),
        "framework.yaml": "\n".join([*head, "framework:", *_mapping(lib.framework, 2)]) + "\n",
    }
    return out


def render_data(lib: CoinrLibrary) -> str:
    """The data file (CSV text) for ``citystd score``."""
    return lib.data.to_csv(index=False, lineterminator="\n")


def write_library(lib: CoinrLibrary, outdir: Path) -> list[Path]:
    """Write the YAML files and ``data.csv`` into ``outdir`` (created if needed), each atomically."""
    from citystd.io.atomic import write_text_atomic

    texts = {**render_files(lib), DATA_FILE: render_data(lib)}  # render everything before writing anything
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error("U908", f"cannot create the output directory {outdir}: {exc.strerror or exc}",
                    f"无法创建输出目录 {outdir}：{exc.strerror or exc}", Location(str(outdir)), exit_code=2) from None
    written = []
    for fname, text in texts.items():
        target = outdir / fname
        write_text_atomic(target, text)  # U908/U909 with the path when it cannot be written
        written.append(target)
    return written


def output_files(outdir: Path) -> list[Path]:
    """The files :func:`write_library` writes into ``outdir``."""
    return [outdir / f for f in (*YAML_FILES, DATA_FILE)]


# ---------------------------------------------------------------------------- a small YAML emitter
# Written by hand so that the files look like the rest of the library (flow mappings for names and
# leaves) and every text is double-quoted: YAML 1.1 cannot turn a COINr name such as "No" or "1.0"
# into a boolean or a number (citystd would report Y003).

def _yaml_doc(head: list[str], section: str, items: list[dict[str, Any]]) -> str:
    lines = [*head, f"{section}:"]
    for item in items:
        lines.extend(_list_item(item, 2))
    return "\n".join(lines) + "\n"


def _scalar(v: Any) -> str:
    """Numbers as YAML 1.1 numbers; ids and keywords bare when YAML reads them back as text; other
    texts double-quoted (JSON strings are valid YAML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _num(float(v))
    s = str(v)
    if _ID_SAFE.match(s) and _plain_ok(s):
        return s
    return json.dumps(s, ensure_ascii=False)


def _plain_ok(s: str) -> bool:
    import yaml

    try:
        return yaml.safe_load(s) == s
    except yaml.YAMLError:
        return False


def _num(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"cannot write {x} to YAML")
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    r = repr(x)
    if "e" in r:  # YAML 1.1 floats need a dot and a signed exponent: 1.0e-05
        mant, exp = r.split("e")
        mant = mant if "." in mant else f"{mant}.0"
        exp = exp if exp[0] in "+-" else f"+{exp}"
        r = f"{mant}e{exp}"
    return r


def _flow(v: Any) -> str | None:
    """A one-line form for a mapping or list of scalars (or of such mappings), else None."""
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            inner = _flow(x) if isinstance(x, (dict, list)) else _scalar(x)
            if inner is None:
                return None
            parts.append(f"{k}: {inner}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(v, list):
        if any(isinstance(x, (dict, list)) for x in v):
            return None
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    return _scalar(v)


def _mapping(m: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines = []
    for k, v in m.items():
        if isinstance(v, dict) and len(_flow(v) or "") + indent + len(k) <= 110:
            lines.append(f"{pad}{k}: {_flow(v)}")
        elif isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines.extend(_mapping(v, indent + 2))
        elif isinstance(v, list) and (_flow(v) is not None) and len(_flow(v) or "") + indent < 100:
            lines.append(f"{pad}{k}: {_flow(v)}")
        elif isinstance(v, list):
            lines.append(f"{pad}{k}:")
            for item in v:
                lines.extend(_list_item(item, indent + 2))
        else:
            lines.append(f"{pad}{k}: {_scalar(v)}")
    return lines


def _list_item(item: Any, indent: int) -> list[str]:
    pad = " " * indent
    if not isinstance(item, dict):
        return [f"{pad}- {_scalar(item)}"]
    if len(item) == 1:  # a pipeline step: `- impute: {method: mean}`
        (key, value), = item.items()
        flat = _flow(value)
        if flat is not None and len(flat) + indent + len(key) < 100:
            return [f"{pad}- {key}: {flat}"]
    flat = _flow(item)
    if flat is not None and all(not isinstance(v, list) for v in item.values()) and len(flat) + indent < 100:
        return [f"{pad}- {flat}"]
    inner = _mapping(item, indent + 2)
    inner[0] = f"{pad}- {inner[0][indent + 2:]}"
    return inner
