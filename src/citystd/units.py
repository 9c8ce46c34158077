"""Machine-readable units: parsing unit texts and converting between them, with pint.

A unit is written as text — ``万元``, ``微克/立方米``, ``%``, ``10 000 persons``, ``ug/m3`` — and
parsed by `pint <https://pint.readthedocs.io>`_ with citystd's additions for Chinese official
statistics (``units.txt`` beside this module: 万/亿 multipliers, 人/个/张/件 … as counts, 元 as
money, 公顷, 平方公里, 吨标准煤 …). pint is imported only when a unit is actually parsed, so
``citystd --help`` and commands that never convert stay fast.

Before parsing, a text is normalised (:func:`normalise_unit`): NFKC (full-width forms), ``²``/``³``
and ``m2``/``km2``/``m3`` as powers, ``·``/``×`` as products, ``‰`` as ``permille``, digit groups
``10 000`` as ``10000``, ``sq.m``/``sq.km``/``cu.m`` and ``cubic``/``square`` words, and a
trailing ``/年`` or ``per year`` (an annual statistic is a total for the year: ``万立方米/年`` and
``万立方米`` are the same unit here). Texts that look unsafe to hand to the parser (too long, odd
characters, big exponents) are not units.

The public functions take and return plain strings and floats; pint objects never leave this
module. Every result is cached per text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

#: Dimension names for messages, by pint dimensionality text.
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "": ("ratio (no unit)", "比值（无量纲）"),
    "[count]": ("count", "计数"),
    "[currency]": ("money", "货币"),
    "[length]": ("length", "长度"),
    "[length] ** 2": ("area", "面积"),
    "[length] ** 3": ("volume", "体积"),
    "[mass]": ("mass", "质量"),
    "[mass] / [length] ** 3": ("concentration", "浓度"),
    "[length] ** 2 * [mass] / [time] ** 2": ("energy", "能量"),
    "[mass] * [length] ** 2 / [time] ** 2": ("energy", "能量"),
    "[time]": ("time", "时间"),
}

_MAX_LEN = 60
_ALLOWED = re.compile(r"^[\w\s./*()+\-%‰·×^µμ²³⁻¹°'’,]+$")
_BIG_EXP = re.compile(r"(\*\*|\^)\s*[-+]?\s*\d{2,}")
_SUPER = str.maketrans({"²": "**2", "³": "**3", "¹": "", "⁻": "-"})
_POWER = re.compile(r"(?<=[A-Za-z])([23])(?![\d.])")
_LOST_POWER = re.compile(r"^10([48])(?=\s*[A-Za-z])")  # 10⁴/10⁸ printed as 104/108
_PER_NUMBER = re.compile(r"/\s*(\d+(?:\.\d+)?)\s*(?=[^\W\d_])")  # 人/10万人 → 人/10/万人
_GROUPS = re.compile(r"(?<=\d)[\s,](?=\d{3}(?!\d))")
_PER_YEAR = re.compile(r"\s*(?:/\s*(?:年|a|yr|year)|per\s+(?:year|annum)|·年|\s每年)\s*$", re.IGNORECASE)
_BIG_CN = (("千万", "10000000 "), ("百万", "1000000 "), ("十万", "100000 "))
_WORDS = (
    (re.compile(r"\bsq\.?\s*km\b", re.I), "km**2"),
    (re.compile(r"\bsq\.?\s*m\b", re.I), "m**2"),
    (re.compile(r"\bcu\.?\s*m\b", re.I), "m**3"),
    (re.compile(r"\bcubic\s+(meters?|metres?)\b", re.I), "m**3"),
    (re.compile(r"\bsquare\s+(kilometers?|kilometres?)\b", re.I), "km**2"),
    (re.compile(r"\bsquare\s+(meters?|metres?)\b", re.I), "m**2"),
)


class UnitMismatch(ValueError):
    """Two units of different dimensions (``万人`` and ``万元``): no conversion exists."""

    def __init__(self, found: str, expected: str) -> None:
        super().__init__(f"cannot convert '{found}' to '{expected}'")
        self.found = found
        self.expected = expected

    def dimensions(self, lang: str) -> tuple[str, str]:
        """The two dimensions in words (``count``, ``money`` …)."""
        return dimension_name(self.found, lang), dimension_name(self.expected, lang)


@lru_cache(maxsize=1)
def registry() -> Any:
    """pint's default registry with citystd's definitions (built once, on first use)."""
    import pint

    ureg = pint.UnitRegistry(on_redefinition="ignore", autoconvert_offset_to_baseunit=True)
    with resources.files("citystd").joinpath("units.txt").open(encoding="utf-8") as fh:
        ureg.load_definitions(fh.read().splitlines())
    return ureg


def normalise_unit(text: str) -> str:
    """The text handed to pint (see the module docs); may be empty."""
    t = text.translate(_SUPER)
    t = unicodedata.normalize("NFKC", t).strip()
    t = t.replace("‰", " permille").replace("·", "*").replace("×", "*").replace("μ", "u").replace("µ", "u")
    t = _PER_YEAR.sub("", t)
    for word, repl in _BIG_CN:
        t = t.replace(word, repl)
    t = _LOST_POWER.sub(r"1e\1 ", t)
    for pattern, repl in _WORDS:
        t = pattern.sub(repl, t)
    t = _GROUPS.sub("", t)
    t = _PER_NUMBER.sub(r"/\1/", t)
    t = _POWER.sub(r"**\1", t)
    return t.strip()


_ANNOTATION = re.compile(r"\s*[(\[（【][^()\[\]（）【】]*[)\]）】]\s*$")


@lru_cache(maxsize=4096)
def _parse(text: str) -> Any | None:
    """The unit of ``text``; a trailing note in brackets (``%（18–24 岁人口）``) is left out, and
    the text is tried in lower case too (``Percent``)."""
    q = _parse_exactly(text)
    if q is None:
        bare = _ANNOTATION.sub("", text).strip()
        if bare and bare != text.strip():
            q = _parse_exactly(bare)
    if q is None and text != text.lower():
        q = _parse_exactly(text.lower())
    return q


def _parse_exactly(text: str) -> Any | None:
    t = normalise_unit(text)
    if not t or len(t) > _MAX_LEN or not _ALLOWED.match(t) or _BIG_EXP.search(t) or t.count("**") > 3:
        return None
    if t == "1":  # the unit of a pure number (a ratio, an index)
        t = "dimensionless"
    elif not re.search(r"[^\d\s.eE+\-*/()]", t):  # a bare number is not a unit
        return None
    ureg = registry()
    try:
        q = ureg.parse_expression(t)
    except Exception:  # pint raises many types for text that is not a unit
        return None
    if not hasattr(q, "dimensionality"):
        return None
    try:
        mag = float(q.magnitude)
    except (TypeError, ValueError):
        return None
    if not mag > 0 or mag != mag or mag == float("inf"):
        return None
    if abs(math.log10(mag) - round(math.log10(mag))) > 1e-9:  # 10 000 persons, not 2019年 or 3 km
        return None
    return q


def is_unit(text: str) -> bool:
    """True if ``text`` parses as a unit (``万元``, ``%``, ``ug/m3``); ``国家级`` or ``2019`` do not.

    Texts made only of names citystd defines (``units.txt``) and common SI symbols are recognised
    without loading pint (:func:`plainly_a_unit`), so ``citystd validate`` stays fast; anything
    else is parsed by pint.
    """
    return plainly_a_unit(text) or _parse(text) is not None


#: SI and other symbols pint knows, for the fast path of :func:`is_unit` (citystd's own names are
#: read from units.txt).
_SYMBOLS = frozenset("""m km cm mm g kg mg ug t h d s min W kW MW J kJ MJ GJ Wh kWh MWh percent permille
dimensionless hectare ha tonne year day hour minute L""".split())
_PREFIXES = ("万", "亿", "千", "百", "十", "毫", "微")
_TOKEN = re.compile(r"^(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*)?(?P<name>[^\d\s*/()]+)(?:\*\*[123])?$")


def _power_of_ten(text: str) -> bool:
    v = float(text)
    return v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9


@lru_cache(maxsize=1)
def _own_names() -> frozenset[str]:
    names = set(_SYMBOLS)
    text = resources.files("citystd").joinpath("units.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line or line.endswith("-") or line.split("=", 1)[0].strip().endswith("-"):
            continue
        parts = [x.strip() for x in line.split("=")]
        names.add(parts[0])
        names.update(x for x in parts[2:] if x and not x.startswith("["))
    return frozenset(names)


@lru_cache(maxsize=4096)
def plainly_a_unit(text: str) -> bool:
    """A unit made only of known names (``万元``, ``人/10万人``, ``千瓦时/人·年``, ``km²``, ``%``) —
    decided without pint. False means "ask pint", not "not a unit"."""
    t = normalise_unit(text)
    if t in ("%", "1"):
        return True
    if not t or len(t) > _MAX_LEN or "(" in t:
        return False
    names = _own_names()
    units = 0
    for token in re.split(r"\s*[*/]\s*(?!\*)", t.replace("**", "^^")):
        token = token.replace("^^", "**").strip()
        number = re.match(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", token)
        if number and not _power_of_ten(number.group(0)):  # 10 000 persons, not 2019年
            return False
        if number and number.end() == len(token):
            continue
        m = _TOKEN.match(token)
        if not m:
            return False
        name = m.group("name")
        if name not in names and not (name[:1] in _PREFIXES and name[1:] in names):
            return False
        units += 1
    return units > 0


def canonical(text: str) -> str | None:
    """A stable text of the parsed unit (for comparisons and JSON), or None when not a unit."""
    q = _parse(text)
    if q is None:
        return None
    return f"{float(q.magnitude):g} {q.units:~}".removeprefix("1 ").strip()


@lru_cache(maxsize=4096)
def factor(found: str, expected: str) -> float:
    """The number to multiply values in unit ``found`` by to get unit ``expected``.

    ``factor("亿元", "万元") == 10000``; ``factor("毫克/立方米", "微克/立方米") == 1000``. A figure per
    head printed without its ``/人`` (``人均地区生产总值（元）`` for a unit ``元/人``) is taken as per
    head. Raises :class:`UnitMismatch` when the dimensions differ and ``ValueError`` when either is
    not a unit.
    """
    a, b = _parse(found), _parse(expected)
    if a is None or b is None:
        raise ValueError(f"not a unit: {found if a is None else expected!r}")
    if a.dimensionality != b.dimensionality:
        per_head = b * registry()("个")  # 人均地区生产总值（元）: a per-capita figure printed without its /人
        if a.dimensionality != per_head.dimensionality:
            raise UnitMismatch(found, expected)
        b = per_head
    ratio = float((a / b).to_reduced_units().to("dimensionless").magnitude)
    return float(f"{ratio:.12g}")  # 0.1, not 0.09999999999999999


def is_percent(text: str) -> bool:
    """True for ``%``, ``percent``, ``百分比`` … (a unit equal to 1/100)."""
    q = _parse(text)
    if q is None or str(q.dimensionality) not in ("dimensionless", ""):
        return False
    return abs(float(q.to("dimensionless").magnitude) - 0.01) < 1e-12


def dimension_name(text: str, lang: str = "en") -> str:
    """The dimension of a unit in words: ``count``, ``money``, ``area`` … (``?`` when unknown)."""
    q = _parse(text)
    if q is None:
        return "?"
    dim = str(q.dimensionality)
    dim = "" if dim == "dimensionless" else dim
    names = _DIMENSIONS.get(dim)
    if names is None:
        return dim
    return names[1] if lang == "zh" else names[0]
