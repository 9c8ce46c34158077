"""Machine-readable units (citystd.units): the factors, by hand, and what is not a unit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from citystd import units
from citystd.library.load import builtin_path, load_library
from citystd.library.models import unit_candidates


@pytest.mark.parametrize(("found", "expected", "factor"), [
    ("亿元", "万元", 1e4),  # 10^8 / 10^4
    ("万元", "元", 1e4),
    ("毫克/立方米", "微克/立方米", 1e3),  # 10^-3 g / 10^-6 g
    ("mg/m3", "µg/m³", 1e3),
    ("万人", "人", 1e4),
    ("10 000 persons", "万人", 1.0),
    ("100 000 000 yuan", "万元", 1e4),
    ("万平方米", "平方米", 1e4),
    ("平方公里", "公顷", 100.0),  # 1 km² = 100 ha
    ("亿立方米", "万立方米", 1e4),
    ("万千瓦时", "千瓦时", 1e4),
    ("10 000 kW h", "万千瓦时", 1.0),
    ("万人次", "人次", 1e4),
    ("万册", "册", 1e4),
    ("万户", "户", 1e4),
    ("‰", "%", 0.1),
    ("万吨标准煤", "吨标准煤", 1e4),
    ("108cu.m", "亿立方米", 1.0),  # 10⁸ cu.m with its superscript lost, as yearbooks are often extracted
    ("人/10万人", "人/万人", 0.1),
    ("元", "元/人", 1.0),  # a per-capita figure printed without its /人 (人均地区生产总值（元）)
    ("万立方米/年", "万立方米", 1.0),  # an annual statistic is a total for the year
])
def test_factor(found: str, expected: str, factor: float) -> None:
    assert units.factor(found, expected) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize(("found", "expected"), [("万人", "万元"), ("%", "人"), ("吨", "平方米"), ("元/人", "元")])
def test_different_dimensions_do_not_convert(found: str, expected: str) -> None:
    with pytest.raises(units.UnitMismatch) as exc:
        units.factor(found, expected)
    assert exc.value.found == found and exc.value.expected == expected


@pytest.mark.parametrize("text", ["国家级", "当年价格", "助理", "公路+水路", "Total City", "2019", "2019年", "1/0",
                                  "3 km", "10**10**10", "", "男/百女"])
def test_not_units(text: str) -> None:
    assert not units.is_unit(text)


@pytest.mark.parametrize("text", ["%", "Percent", "%（18–24 岁人口）", "‰（每千活产）", "1", "个", "km²", "ug/m3"])
def test_units(text: str) -> None:
    assert units.is_unit(text)


def test_percent_and_dimensions() -> None:
    assert units.is_percent("%") and units.is_percent("percent") and not units.is_percent("‰")
    assert not units.is_percent("个")
    assert units.dimension_name("万元") == "money" and units.dimension_name("万元", "zh") == "货币"
    assert units.dimension_name("万人") == "count" and units.dimension_name("微克/立方米") == "concentration"


def test_every_builtin_variable_and_direct_indicator_has_a_machine_readable_unit() -> None:
    lib, _ = load_library([builtin_path()])
    unreadable = [v for v, var in lib.variables.items() if not any(units.is_unit(t) for t in unit_candidates(var.unit))]
    unreadable += [i for i, ind in lib.indicators.items()
                   if ind.formula is None and not any(units.is_unit(t) for t in unit_candidates(ind.unit))]
    assert unreadable == []


def test_the_command_line_does_not_import_pint() -> None:
    code = "import sys; from citystd.cli import app; print('pint' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_fast_path_agrees_with_pint() -> None:
    """plainly_a_unit (no pint) never accepts what pint rejects: on every unit text of the library,
    the yearbook's header units and texts that are not units."""
    lib, _ = load_library([builtin_path()])
    texts = {t for coll in (lib.variables, lib.indicators) for item in coll.values() for t in unit_candidates(item.unit)}
    texts |= {"万人", "亿元", "微克/立方米", "万平方米", "10 000 persons", "100 000 000 yuan", "10 000 kW h", "ug/m3",
              "2019年", "3 km", "国家级", "公路+水路", "Total City", "1/0", "m2", "sq.km", "万人次", "‰"}
    accepted = {t for t in texts if units.plainly_a_unit(t)}
    assert accepted and all(units._parse(t) is not None for t in accepted)


def test_validate_does_not_import_pint() -> None:
    code = "import sys; from citystd.library.validate import validate; validate(); print('pint' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
