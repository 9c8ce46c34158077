"""Column headers as statistics print them: names in two languages, units, scopes, variants.

A yearbook column is headed by one to three rows — ``常住人口（万人） Permanent Resident
Population (10 000 persons)`` over ``全市 Total City`` — and a research panel's by ``GDP_插值`` or
``PM10（毫克/立方米）``. :func:`parse_header` turns the header parts of one column into a
:class:`ColumnHeader`: the keys to match it by, the scope it states, the unit it states and
whether it is a variant (interpolated …) of a published series.

- **Brackets** (half- or full-width ``()``, ``[]``, ``【】``): a group that parses as a unit
  (:mod:`citystd.units`) is the unit; a group naming a scope (``全市``, ``Districts under City``)
  is the scope; any other group stays part of the name (``执业(助理)医师数``, ``(国家级)``).
- **Two languages**: the Chinese part runs to the last Chinese character, the English part is
  the rest (``常住人口 Permanent Resident Population``).
- **Scope rows**: a header part that is only a scope label (``全市 Total City``, ``市辖区``,
  ``城区``, ``建成区``) gives the column's scope; so does a table title ``…（全市）``.
- **Variants**: a name ending in a variant marker (``插值``, ``interpolated``, ``_interp``,
  ``填补``, ``imputed``) is the variant of the series without it.

Keys are :func:`citystd.textkeys.header_key`: NFKC, case-folded, no whitespace or underscores.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from citystd.textkeys import header_key

#: Scope labels as yearbooks print them (compared by key), per scope.
SCOPE_LABELS: dict[str, tuple[str, ...]] = {
    "whole_city": ("全市", "全市合计", "Total City", "Whole City", "City Total"),
    "districts": ("市辖区", "Districts under City", "Districts under the City", "District under City",
                  "Districts of City", "Urban Districts", "City Districts"),
    "urban_area": ("城区", "Urban Area"),
    "built_up_area": ("建成区", "Built-up Area", "Built up Area"),
}
_SCOPE_KEYS: list[tuple[str, str]] = sorted(
    ((header_key(label), scope) for scope, labels in SCOPE_LABELS.items() for label in labels),
    key=lambda kv: -len(kv[0]))

#: Markers of a variant of a published series, at the end of a header, per kind.
VARIANT_MARKERS: dict[str, tuple[str, ...]] = {
    "interpolated": ("插值", "插补", "插值后", "interpolated", "interp", "ipo", "linear interpolation"),
    "imputed": ("填补", "补齐", "imputed", "filled", "fill"),
    "estimated": ("估算", "estimated", "est"),
}
_VARIANT_RE = re.compile(
    r"(?:[\s_\-.]+|(?<=[\u3400-\u9fff]))(?:" + "|".join(
        re.escape(m) for ms in VARIANT_MARKERS.values() for m in sorted(ms, key=len, reverse=True)) + r")$",
    re.IGNORECASE)
_BRACKETED_VARIANT = re.compile(
    r"[(\[（【]\s*(" + "|".join(re.escape(m) for ms in VARIANT_MARKERS.values() for m in ms) + r")\s*[)\]）】]\s*$",
    re.IGNORECASE)
_VARIANT_OF = {header_key(m): kind for kind, ms in VARIANT_MARKERS.items() for m in ms}

_BRACKET = re.compile(r"[(\[（【]([^()\[\]（）【】]*)[)\]）】]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TRAILING_BRACKET = re.compile(r"\s*[(\[（【][^()\[\]（）【】]*[)\]）】]\s*$")
_UNIT_LINE = re.compile(r"^\s*(?:单\s*位|计量单位)\s*[:：]\s*(.+?)\s*$")


def scope_of_label(text: str) -> str | None:
    """The scope a text names when it is nothing but scope labels (``全市 Total City`` →
    ``whole_city``); None otherwise."""
    key = header_key(text)
    if not key:
        return None
    found: set[str] = set()
    for label, scope in _SCOPE_KEYS:
        if label in key:
            key = key.replace(label, "")
            found.add(scope)
    key = key.strip("()（）[]")
    if key or len(found) != 1:
        return None
    return found.pop()


def split_bilingual(text: str) -> tuple[str, str]:
    """``(zh, en)``: the text up to its last Chinese character, and the rest (either may be "")."""
    t = " ".join(text.split())
    last = None
    for m in _CJK.finditer(t):
        last = m
    if last is None:
        return "", t.strip()
    cut = last.end()
    while cut < len(t) and t[cut] in ")）]】":
        cut += 1
    rest = t[cut:]
    if rest and not rest[0].isspace():  # 人均GDP is one name, not 人均 + GDP
        return t.strip(), ""
    return t[:cut].strip(), rest.strip()


def _is_unit(text: str) -> bool:
    from citystd.units import is_unit

    return is_unit(text)


@dataclass(frozen=True)
class Part:
    """One header cell of a column: its name (units and scope removed), units found, scope."""

    name: str
    units: tuple[str, ...]
    scope: str | None


def parse_part(text: str, alone: bool = False) -> Part:
    """Take units and scope out of one header cell (see the module docs). A cell that is ``alone``
    (a one-row header) is never only a scope: ``built_up_area`` there is a name."""
    t = unicodedata.normalize("NFKC", text).strip()
    scope = None if alone else scope_of_label(t)
    if scope is not None:
        return Part("", (), scope)
    units: list[str] = []
    found_scope: str | None = None

    def take(m: re.Match[str]) -> str:
        nonlocal found_scope
        inner = m.group(1).strip()
        s = scope_of_label(inner) if inner else None
        if s is not None:
            found_scope = found_scope or s
            return " "
        if inner and _is_unit(inner):
            units.append(inner)
            return " "
        return m.group(0)

    name = _BRACKET.sub(take, t)
    return Part(" ".join(name.split()), tuple(units), found_scope)


def unit_line(text: str) -> str | None:
    """The unit of a table's ``单位：万元`` line (``(10 000 yuan)`` after it is ignored), or None."""
    m = _UNIT_LINE.match(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    rest = m.group(1)
    zh = re.split(r"\s{2,}|[(\[]", rest, maxsplit=1)[0].strip()
    return zh if zh and _is_unit(zh) else None


def title_scope(text: str) -> str | None:
    """The scope a table title states in brackets (``2-8 …收支状况(全市)``), or None."""
    for m in _BRACKET.finditer(unicodedata.normalize("NFKC", text)):
        s = scope_of_label(m.group(1))
        if s is not None:
            return s
    return None


def strip_variant(name: str) -> tuple[str, str | None]:
    """``(stem, variant kind)`` of a name ending in a variant marker; ``(name, None)`` otherwise."""
    m = _BRACKETED_VARIANT.search(name)
    if m:
        return name[: m.start()].strip(), _VARIANT_OF.get(header_key(m.group(1)))
    m = _VARIANT_RE.search(name)
    if m and m.start() > 0:
        marker = header_key(name[m.start():].strip(" _-."))
        return name[: m.start()].strip(" _-."), _VARIANT_OF.get(marker)
    return name, None


@dataclass(frozen=True)
class ColumnHeader:
    """A column's header, parsed.

    ``text`` is the header as shown in messages (its parts joined by `` / ``); ``keys`` the
    comparison keys to match it by, best first; ``scope`` and ``unit`` as stated (None when the
    header states none); ``unit_from`` is ``"header"`` or ``"table"`` (a ``单位：`` line);
    ``variant`` the kind of a variant series (``interpolated`` …) or None.
    """

    text: str
    keys: tuple[str, ...]
    scope: str | None = None
    unit: str | None = None
    unit_from: str = ""
    variant: str | None = None
    names: tuple[str, ...] = field(default=())  # the name texts behind ``keys`` (for did-you-mean)

    @property
    def label(self) -> str:
        return self.text


def parse_header(parts: list[str], *, table_scope: str | None = None, table_unit: str | None = None) -> ColumnHeader:
    """Parse the header cells of one column, top to bottom (``["常住人口（万人）…", "全市 Total City"]``).

    The deepest named part is the column's own name; parts above it are its parents (a
    sub-item ``科学技术支出`` under ``地方一般公共预算支出``).
    """
    texts = [p for p in (" ".join(str(x).split()) for x in parts) if p]
    parsed = [parse_part(p, alone=len(texts) == 1) for p in texts]
    scope = next((p.scope for p in reversed(parsed) if p.scope), None) or table_scope
    named = [p for p in parsed if p.name]
    unit = next((u for p in reversed(parsed) for u in _zh_first(p)), None)
    unit_from = "header" if unit else ""
    if unit is None and table_unit:
        unit, unit_from = table_unit, "table"
    shown = " / ".join(texts) if texts else ""
    if not named:
        return ColumnHeader(shown, (), scope, unit, unit_from, None, ())
    leaf = named[-1].name
    stem, variant = strip_variant(leaf)
    zh, en = split_bilingual(stem)
    parent = named[-2].name if len(named) > 1 else None
    if parent is not None and not zh:
        pzh, pen = split_bilingual(parent)
        if pzh and not pen:  # one header printed on two rows: 商品房销售面积 / Sales Area of …
            zh, stem = pzh, f"{pzh} {stem}"
            parent = named[-3].name if len(named) > 2 else None
    names: list[str] = []
    if parent is not None:
        pzh, pen = split_bilingual(strip_variant(parent)[0])
        if pzh and zh:
            names.append(pzh + zh)
        if pen and en:
            names.append(pen + " " + en)
    names += [stem, zh, en]
    bare = _TRAILING_BRACKET.sub("", stem).strip()
    if bare and bare != stem:  # any trailing bracket left out, as a last resort: 受教育年限（年）
        names.append(bare)
    if len(texts) == 1 and variant is None:
        names.insert(0, texts[0])  # the whole header, as written (an exact alias wins)
    keys: list[str] = []
    kept: list[str] = []
    for n in names:
        k = header_key(n)
        if k and k not in keys:
            keys.append(k)
            kept.append(n)
    return ColumnHeader(shown, tuple(keys), scope, unit, unit_from, variant, tuple(kept))


def _zh_first(p: Part) -> list[str]:
    """Units of a part, the Chinese one first (``万人`` before ``10 000 persons``)."""
    return sorted(p.units, key=lambda u: 0 if _CJK.search(u) or u.strip() in ("%", "‰") else 1)
