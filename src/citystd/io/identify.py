"""Which city is which: the cities of a table resolved to 6-digit division codes.

:func:`identify` gives a :class:`~citystd.io.model.CityData` its ``codes`` (city → code) with the
city register (:mod:`citystd.io.cities`): a code column (``city_code``, ``行政区划代码`` …) decides
where there is one, otherwise the name (``北京``, ``北京市``, ``  北京市``, ``Beijing`` all give
110000), narrowed by a ``province`` column or a yearbook's province group rows, in the table's
year (``襄樊`` in 2023 is 襄阳市).

The register is a help, not a gate: every row is kept and scored under the name it has. A name the
register does not know, or that names several units (``朝阳`` without a province), or a unit that
did not exist in the data's year (``莱芜`` in 2023, merged into 济南 in 2019), is a warning D737
with the register's did-you-mean, candidates or note — but only for data about Chinese cities:
when fewer than half of the distinct names resolve (European cities, fictional examples), the
table is not about Chinese cities and nothing is said.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg
from citystd.io.model import CityData

#: Attribute columns that say a city's province.
PROVINCE_COLUMNS = ("province", "省份", "省", "所属省份", "省份名称", "province_name", "prov")
#: At most this many D737 findings per table; then one summary.
MAX_FINDINGS = 100


def identify(data: CityData) -> CityData:
    """``data`` with ``codes`` from its code column and the register, and D737 findings."""
    from citystd.io.cities import register

    idx = data.values.index
    units = idx.get_level_values("unit").to_numpy(dtype=object)
    years = idx.get_level_values("year")
    if not len(units):
        data.codes = pd.Series(dtype=object)
        return data
    own = data.codes.reindex(units).to_numpy(dtype=object) if data.codes is not None and len(data.codes) \
        else np.full(len(units), None, dtype=object)
    province = _province_column(data)
    names = pd.Series(units, dtype=object)
    year_list = [None if pd.isna(y) else int(y) for y in years]
    reg = register()
    # did-you-mean costs milliseconds per unknown name: asked for only for the names reported below
    found = reg.resolve_many(
        names, codes=pd.Series(own, dtype=object),
        provinces=pd.Series(province, dtype=object) if province is not None else None,
        years=pd.Series(year_list, dtype=object), kind="city", suggest=False)
    status = found["status"].to_numpy(dtype=object)
    code = found["code"].astype(object).where(found["code"].notna(), None).to_numpy(dtype=object)
    resolved = {u for u, s in zip(units, status, strict=True) if s in ("matched", "outdated")}
    distinct = set(units)
    chinese = len(resolved) * 2 >= len(distinct)
    codes = pd.Series(code, index=pd.Index(units, dtype=object), dtype=object)
    codes = codes[~codes.index.duplicated(keep="first")]
    data.codes = codes.where(codes.notna(), None) if chinese else _own_codes(data)
    if chinese:
        def suggestions(i: int) -> tuple[str, ...]:
            return reg.resolve(units[i], code=own[i], province=None if province is None else province[i],
                               year=year_list[i], kind="city").suggestions

        data.diagnostics = [*data.diagnostics, *_findings(data, units, found, suggestions)]
    return data


def _own_codes(data: CityData) -> pd.Series:
    """The codes of the code column alone (for data that is not about Chinese cities)."""
    if data.codes is None:
        return pd.Series(dtype=object)
    ok = data.codes.astype(str).str.fullmatch(r"\d{6}(?:\d{6})?")
    return data.codes.where(ok, None).map(lambda c: c[:6] if isinstance(c, str) else c).astype(object)


def _province_column(data: CityData) -> np.ndarray | None:
    from citystd.textkeys import header_key

    wanted = {header_key(c) for c in PROVINCE_COLUMNS}
    for c in data.attributes.columns:
        if header_key(c) in wanted:
            return data.attributes[c].to_numpy(dtype=object)
    return None


def _findings(data: CityData, units: np.ndarray, found: pd.DataFrame,
              suggestions: Callable[[int], tuple[str, ...]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    rows = found.reset_index(drop=True)
    for i, (unit, st) in enumerate(zip(units, rows["status"], strict=True)):
        if st == "matched" or (st, str(unit)) in seen:
            continue
        seen.add((st, str(unit)))
        if len(out) >= MAX_FINDINGS:
            out.append(Diagnostic("D737", Msg("… and more city names the register does not resolve (not listed)",
                                              "……另有名录无法识别的城市名称未列出"), data.locate_at(i), more=1))
            break
        rec = rows.iloc[i]
        where = data.locate_at(i)
        if st == "unknown":
            sugg = list(suggestions(i))
            hint = Msg(f"did you mean {' or '.join(repr(s) for s in sugg[:3])}?",
                       f"是否应为 {' 或 '.join(repr(s) for s in sugg[:3])}？") if sugg else \
                Msg("check the name, or add a column of 6-digit division codes", "请核对名称，或增加一列6位行政区划代码")
            out.append(Diagnostic("D737", Msg(
                f"'{unit}' is not a city of the register; it is scored under its own name, without a code",
                f"'{unit}' 不在城市名录中；按原名称计算，无行政区划代码"), where, hint))
        elif st == "ambiguous":
            cands = str(rec["candidates"]) if pd.notna(rec["candidates"]) else ""
            out.append(Diagnostic("D737", Msg(
                f"'{unit}' names several units ({cands}); it is scored under its own name, without a code",
                f"'{unit}' 对应多个行政单位（{cands}）；按原名称计算，无行政区划代码"), where,
                Msg("add the province (a province column) or a column of 6-digit division codes",
                    "请增加省份列或6位行政区划代码列")))
        elif st == "outdated":
            note_en = str(rec["note_en"]) if pd.notna(rec["note_en"]) else ""
            note_zh = str(rec["note_zh"]) if pd.notna(rec["note_zh"]) else ""
            out.append(Diagnostic("D737", Msg(
                f"'{unit}' did not exist in the data's year: {note_en}".rstrip(": "),
                f"'{unit}' 在数据年份已不存在：{note_zh}".rstrip("："), ), where,
                Msg("check the city and the year", "请核对城市和年份")))
    return out
