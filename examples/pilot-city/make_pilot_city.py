"""Fill a ``citystd template`` for the fictional pilot city 示范市 (2020–2024), as a statistics
office would.

    python examples/pilot-city/make_pilot_city.py             # writes examples/pilot-city/
    python examples/pilot-city/make_pilot_city.py -o /tmp/out # writes elsewhere (the tests do this)

**示范市 is fictional (虚构城市).** Its figures come from the typical-city profile
(``examples/profiles/typical_city.yaml``) through the seeded generator of ``examples/make_examples.py``
— the same rules that keep parts below their wholes, employed + unemployed = labour force and
every formula of the library inside its indicator's range — for a central-region city of about
4.6 million residents, with its own draws (not one of the 30 example cities). The years run
2020–2024: 2024 extends each variable's trend one year past the profile's 2023.

The workbook is made by :func:`citystd.assessment.template.build_xlsx` for the default framework
(``action-plan``, every variable and directly reported indicator it needs) and filled with
openpyxl cell by cell, with a data source per row. Like a real first return it is not perfect
— on purpose, so that ``citystd check`` and ``citystd score`` have something to say:

- :data:`NEW_SINCE_2022`: statistics the city started in 2022 (2020–2021 left empty, remark);
- :data:`NOT_COLLECTED`: statistics the city does not collect (left empty in every year, remark).

Same inputs, same bytes: the template is reproducible and the fill is seeded.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent
OUT_NAME = "pilot-city-2020-2024.xlsx"
CITY = "示范市"
REGION = "中部"
YEARS = (2020, 2021, 2022, 2023, 2024)
FRAMEWORK = "action-plan"
SEED_INDEX = 9001  # the pilot's own draws, unlike any of the 30 example cities (0–29)

#: statistics first collected in 2022: empty for 2020 and 2021
NEW_SINCE_2022 = ("base_stations_5g", "green_loans", "urban_agricultural_area")
#: statistics the pilot city does not collect at all
NOT_COLLECTED = ("urban_agriculture_spending",)

#: data source per domain of the framework (all fictional, like the city)
SOURCES = {
    "生态环境（含双碳）": "示范市生态环境局《生态环境状况公报》（虚构）",
    "城市安全风险与应急保障": "示范市应急管理局（虚构）",
    "智慧城市": "示范市大数据局（虚构）",
    "城市标准化工作": "示范市市场监督管理局（虚构）",
    "城市政务服务（含营商环境）": "示范市政务服务中心（虚构）",
}
DEFAULT_SOURCE = "《示范市统计年鉴》（虚构）"


def _load_generator() -> Any:
    """``examples/make_examples.py`` as a module (``examples/`` is not a package)."""
    spec = importlib.util.spec_from_file_location("citystd_make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def pilot_values(lib: Any) -> dict[int, dict[str, float]]:
    """Every variable and direct indicator of the library for 示范市, per year."""
    mk = _load_generator()
    model = mk.build_model(lib, mk.load_profile())
    r = mk._rng("__city__", SEED_INDEX)
    pop = float(min(max(mk.PROFILE_POPULATION * math.exp(0.45 * r.standard_normal()), 1.2e6), 1.6e7))
    income = math.exp(mk.REGION_INCOME[REGION] + 0.2 * r.standard_normal())
    growth = mk.REGION_POP_GROWTH[REGION] + 0.004 * r.standard_normal()
    city = mk.City(SEED_INDEX, CITY, REGION, round(pop, -3), income, growth)
    panel = {y: mk.generate_city(model, city, y) for y in YEARS}
    problems = mk.range_problems(lib, ((CITY, y, v) for y, v in panel.items()))
    if problems:
        raise ValueError(f"{len(problems)} generated value(s) out of range:\n" + "\n".join(problems[:20]))
    return panel


def build(lib: Any, fw: Any) -> bytes:
    """The filled workbook's bytes."""
    from openpyxl import load_workbook

    from citystd.assessment.template import build_xlsx, template_rows, workbook_bytes

    panel = pilot_values(lib)
    blank = build_xlsx(lib, fw, lang="zh", years=YEARS, cities=[CITY])
    wb = load_workbook(io.BytesIO(blank))
    ws = wb.worksheets[1]
    ws["A1"] = f"{ws['A1'].value} · {CITY}（虚构城市，示例数据 / fictional example data）"
    header = [c.value for c in ws[5]]
    year_col = {y: header.index(y) + 1 for y in YEARS}
    source_col, remark_col = year_col[YEARS[-1]] + 1, year_col[YEARS[-1]] + 2
    for k, row in enumerate(template_rows(lib, fw)):
        r = 6 + k
        assert ws.cell(row=r, column=2).value == row.id
        for y in YEARS:
            if row.id in NOT_COLLECTED or (row.id in NEW_SINCE_2022 and y < 2022):
                continue
            v = panel[y][row.id]
            ws.cell(row=r, column=year_col[y], value=int(v) if float(v).is_integer() else v)
        ws.cell(row=r, column=source_col, value=SOURCES.get(row.domain["zh"], DEFAULT_SOURCE))
        if row.id in NEW_SINCE_2022:
            ws.cell(row=r, column=remark_col, value="2022 年起统计，此前无数据")
        elif row.id in NOT_COLLECTED:
            ws.cell(row=r, column=remark_col, value="本市暂未建立该项统计")
    return workbook_bytes(wb)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python examples/pilot-city/make_pilot_city.py [-o DIR]``."""
    from citystd.library.select import load_framework

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, default=HERE, help="output directory (default: examples/pilot-city/)")
    args = ap.parse_args(argv)
    lib, fw = load_framework(FRAMEWORK)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / OUT_NAME
    path.write_bytes(build(lib, fw))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
