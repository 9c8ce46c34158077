"""The city register: which city is which.

A built-in register of China's administrative units — the province-level units, every unit at
prefecture level (municipalities, sub-provincial and prefecture-level cities, prefectures 地区,
autonomous prefectures 自治州, leagues 盟) and the county-level cities — with their 6-digit
division codes (GB/T 2260, as in the NBS statistical division codes), full and short Chinese
names, the English names printed in the China City Statistical Yearbook, their province, their
level, and the prefecture-level changes since the 1999 year-end code list (renames, 地区 → 市,
mergers, dissolutions), one row per unit per validity period. The data file is ``cities.csv``
beside this module; docs/cities.md says where every column comes from.

The register is a help, not a gate: it answers what a name or a code in a data file refers to,
and says so when it cannot (ambiguous, unknown, outdated). It never raises on bad input and
produces no diagnostics; readers turn a :class:`CityMatch` into findings.

>>> from citystd.io.cities import resolve
>>> m = resolve("  北京市")
>>> (m.status, m.code, m.how)
('matched', '110000', 'name')
>>> resolve("襄樊", year=2023).unit.name
'襄阳市'
>>> resolve("莱芜", year=2018).code
'371200'

Entry points: :func:`register` (the cached register), :func:`resolve` (one name and/or code),
:func:`resolve_many` (a column of names, codes, provinces and years → a DataFrame, resolved once
per distinct combination), :func:`name_key` and :func:`code_key` (the normalisations used).
"""

from __future__ import annotations

import csv
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from citystd.diagnostics import Msg, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

#: The date of the code list the current units follow (NBS statistical division codes 2023).
REGISTER_DATE = "2023-06-30"
#: The first year-end code list whose state the register records; earlier changes are not listed.
HISTORY_FROM = 1999

Level = Literal[
    "municipality", "province", "autonomous_region", "sar",
    "sub_provincial", "prefecture", "prefecture_region", "autonomous_prefecture", "league",
    "county_level",
]
LEVELS: tuple[str, ...] = (
    "municipality", "province", "autonomous_region", "sar",
    "sub_provincial", "prefecture", "prefecture_region", "autonomous_prefecture", "league",
    "county_level",
)
#: Bilingual names of the levels.
LEVEL_NAMES: dict[str, Msg] = {
    "municipality": Msg("municipality", "直辖市"),
    "province": Msg("province", "省"),
    "autonomous_region": Msg("autonomous region", "自治区"),
    "sar": Msg("special administrative region", "特别行政区"),
    "sub_provincial": Msg("sub-provincial city", "副省级市"),
    "prefecture": Msg("prefecture-level city", "地级市"),
    "prefecture_region": Msg("prefecture", "地区"),
    "autonomous_prefecture": Msg("autonomous prefecture", "自治州"),
    "league": Msg("league", "盟"),
    "county_level": Msg("county-level city", "县级市"),
}
PROVINCE_LEVELS = frozenset({"municipality", "province", "autonomous_region", "sar"})
PREFECTURE_LEVELS = frozenset(
    {"municipality", "sub_provincial", "prefecture", "prefecture_region", "autonomous_prefecture", "league"}
)
COUNTY_LEVELS = frozenset({"county_level"})

Kind = Literal["city", "prefecture", "county", "province", "any"]
#: Which levels each ``kind`` of query considers. Municipalities are both cities and provinces.
KINDS: dict[str, frozenset[str]] = {
    "city": PREFECTURE_LEVELS | COUNTY_LEVELS,
    "prefecture": PREFECTURE_LEVELS,
    "county": COUNTY_LEVELS,
    "province": PROVINCE_LEVELS,
    "any": frozenset(LEVELS),
}

Change = Literal["renamed", "upgraded", "merged", "split"]
#: Changes after which the unit goes on under another name or code (same territory).
CONTINUING: frozenset[str] = frozenset({"renamed", "upgraded"})

Status = Literal["matched", "outdated", "ambiguous", "unknown"]
How = Literal["code", "name", "short", "english"]

COLUMNS = (
    "code", "name", "short", "name_en", "en_source", "aliases", "alt_codes", "province_code", "level",
    "parent_code", "valid_from", "valid_to", "change", "successor", "approved", "note",
)


@dataclass(frozen=True)
class CityUnit:
    """One administrative unit in one validity period (one row of ``cities.csv``).

    ``valid_from`` / ``valid_to`` are years (inclusive; ``None``: since before the register's
    history starts / still in force). ``change`` says how the period ended and ``successors``
    which unit(s) took over. ``province`` is the Chinese name of ``province_code``.
    """

    code: str
    name: str
    short: str
    name_en: str
    en_source: str
    province_code: str
    province: str
    level: str
    parent_code: str | None = None
    valid_from: int | None = None
    valid_to: int | None = None
    change: str | None = None
    successors: tuple[str, ...] = ()
    approved: str | None = None
    note: str | None = None
    aliases: tuple[str, ...] = ()
    alt_codes: tuple[str, ...] = ()

    def in_force(self, year: int | None) -> bool:
        """Whether the unit existed (under this name and code) in ``year``; ``None``: now."""
        if year is None:
            return self.valid_to is None
        return (self.valid_from is None or self.valid_from <= year) and (self.valid_to is None or year <= self.valid_to)

    @property
    def is_province(self) -> bool:
        return self.level in PROVINCE_LEVELS

    @property
    def is_prefecture(self) -> bool:
        """Prefecture level or above (what the yearbook's section 2 covers)."""
        return self.level in PREFECTURE_LEVELS

    def label(self) -> str:
        """``襄阳市 (420600)``: how messages name a unit."""
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class CityMatch:
    """What a name and/or code refers to.

    - ``status``: ``"matched"`` (one unit), ``"outdated"`` (one unit, which did not exist in the
      year asked: dissolved or merged before it, or set up after it), ``"ambiguous"`` (see
      ``candidates``) or ``"unknown"`` (see ``suggestions``);
    - ``how``: what matched — the ``"code"``, the full ``"name"``, the ``"short"`` name (or a
      Chinese alias such as 延边州), or the ``"english"`` name (or an English alias);
    - ``unit``: the unit in force in the year asked (without a year: as of the register's date);
      ``matched``: the period whose name or code matched (differs from ``unit`` across a rename
      or an upgrade: ``襄樊`` in 2023 → ``unit`` 襄阳市, ``matched`` 襄樊市);
      ``current``: the unit today (``None`` when it was merged or dissolved);
    - ``note``: a bilingual remark worth telling the user (a rename, a merger, a level or province
      choice made, a code and a name that disagree);
    - ``conflict``: when a code decided, the different unit the name pointed to.
    """

    query: str
    status: Status
    how: How | None = None
    unit: CityUnit | None = None
    matched: CityUnit | None = None
    current: CityUnit | None = None
    candidates: tuple[CityUnit, ...] = ()
    note: Msg | None = None
    conflict: CityUnit | None = None
    _suggest: Callable[[], tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def suggestions(self) -> tuple[str, ...]:
        """Did-you-mean names for an unknown name, best first (computed when first asked for)."""
        return self._suggest() if self._suggest is not None else ()

    @property
    def code(self) -> str | None:
        """The code of ``unit`` when one unit was found (matched or outdated)."""
        return self.unit.code if self.unit is not None and self.status in ("matched", "outdated") else None

    @property
    def ok(self) -> bool:
        return self.status == "matched"


# ---------------------------------------------------------------------------------------------
# Normalisation

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
_CITY_LEVELS = frozenset({"municipality", "sub_provincial", "prefecture", "county_level"})
#: English words after a place name that say what kind of place it is (dropped when matching; the
#: unit matched must then be of a level they fit).
_EN_SUFFIXES: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("special", "administrative", "region"), frozenset({"sar"})),
    (("autonomous", "prefecture"), frozenset({"autonomous_prefecture"})),
    (("autonomous", "region"), frozenset({"autonomous_region"})),
    (("city",), _CITY_LEVELS),
    (("shi",), _CITY_LEVELS),
    (("prefecture",), frozenset({"prefecture_region", "autonomous_prefecture", "prefecture", "sub_provincial"})),
    (("league",), frozenset({"league"})),
    (("meng",), frozenset({"league"})),
    (("diqu",), frozenset({"prefecture_region"})),
    (("region",), frozenset({"prefecture_region", "autonomous_region", "sar"})),
    (("zizhizhou",), frozenset({"autonomous_prefecture"})),
    (("zizhiqu",), frozenset({"autonomous_region"})),
    (("province",), frozenset({"province"})),
    (("sheng",), frozenset({"province"})),
    (("municipality",), frozenset({"municipality"})),
    (("sar",), frozenset({"sar"})),
)
#: Peoples named in the English names of autonomous units (dropped after "autonomous …").
_EN_PEOPLES = frozenset({
    "and", "bai", "bouyei", "buyei", "buyi", "dai", "dong", "hani", "hui", "jingpo", "kazak", "kazakh",
    "kirgiz", "kyrgyz", "korean", "lisu", "miao", "mongol", "mongolian", "qiang", "tibetan", "tujia",
    "uighur", "uygur", "uyghur", "yi", "zhuang",
})
#: Chinese suffixes tried off a name that did not match as written, with the levels they fit.
_ZH_SUFFIXES: tuple[tuple[str, frozenset[str]], ...] = (
    ("特别行政区", frozenset({"sar"})),
    ("自治区", frozenset({"autonomous_region"})),
    ("自治州", frozenset({"autonomous_prefecture"})),
    ("地区", frozenset({"prefecture_region"})),
    ("省", frozenset({"province"})),
    ("市", _CITY_LEVELS),
    ("盟", frozenset({"league"})),
)


def _missing(value: object) -> bool:
    """None, NaN, pandas' NA and NaT (without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def name_key(text: object) -> str:
    """The key a name is matched by.

    Chinese: the CJK characters of the NFKC form (full-width forms and spaces, indentation,
    line breaks and any Latin text beside the Chinese dropped): ``"　石家庄 市 "`` → ``"石家庄市"``.
    Otherwise English: accents removed, lower case, apostrophes and separators dropped, and a
    trailing ``City`` / ``Shi`` / ``Prefecture`` / ``Autonomous Prefecture`` / ``Province`` …
    (and after "autonomous", the peoples named) removed: ``"Beijing City"`` → ``"beijing"``,
    ``"Xi'an"`` → ``"xian"``, ``"Xigazê"`` → ``"xigaze"``. Idempotent; ``""`` for nothing.
    """
    return _key_and_levels(text)[0]


def _key_and_levels(text: object) -> tuple[str, frozenset[str] | None]:
    """:func:`name_key`, and for English the levels the last word dropped fits (else ``None``)."""
    if _missing(text):
        return "", None
    return _key_and_levels_of(str(text))


@functools.lru_cache(maxsize=1 << 16)  # a name is keyed several times while it is resolved
def _key_and_levels_of(text: str) -> tuple[str, frozenset[str] | None]:
    s = unicodedata.normalize("NFKC", text)
    cjk = "".join(_CJK.findall(s))
    if cjk:
        return cjk, None
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    words = _WORD.findall(s.lower().translate(_APOSTROPHES))
    levels: frozenset[str] | None = None
    autonomous = False
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for suffix, fits in _EN_SUFFIXES:
            n = len(suffix)
            if len(words) > n and tuple(words[-n:]) == suffix:
                autonomous = autonomous or suffix[0] == "autonomous"
                levels = fits if levels is None else levels
                del words[-n:]
                stripped = True
                break
    if autonomous:
        while len(words) > 1 and words[-1] in _EN_PEOPLES:
            words.pop()
    return "".join(words), levels


def code_key(value: object) -> str | None:
    """The 6-digit division code in ``value``, or ``None``.

    Accepts ``"110000"``, ``110000``, ``110000.0`` (a number read from Excel), full-width digits,
    12-digit statistical codes (``"130100000000"`` → ``"130100"``, and 9- or 10-digit ones), and
    the 2- and 4-digit short forms (``"13"`` → ``"130000"``, ``"4201"`` → ``"420100"``).
    """
    if _missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        s = str(value)
    else:
        s = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
        if s.endswith(".0"):
            s = s[:-2]
    if not s.isascii() or not s.isdigit():
        return None
    if len(s) in (2, 4):
        s = s.ljust(6, "0")
    if not 6 <= len(s) <= 12:
        return None
    return s[:6]


def year_key(value: object) -> int | None:
    """A year from ``2018``, ``2018.0``, ``"2018"`` or ``"2018年"``; ``None`` otherwise."""
    if _missing(value) or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 1000 <= value <= 9999 else None
    if isinstance(value, int):
        return value if 1000 <= value <= 9999 else None
    m = re.fullmatch(r"\s*(\d{4})(?:\.0)?\s*年?\s*", unicodedata.normalize("NFKC", str(value)))
    return int(m.group(1)) if m else None


def _full_key(text: object) -> str:
    """The English key without dropping any word (``"Nanning Prefecture"`` → ``"nanningprefecture"``)."""
    if _missing(text):
        return ""
    return _full_key_of(str(text))


@functools.lru_cache(maxsize=1 << 16)
def _full_key_of(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    if _CJK.search(s):
        return ""
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return "".join(_WORD.findall(s.lower().translate(_APOSTROPHES)))


def _is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


# ---------------------------------------------------------------------------------------------
# The register


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split("|") if t.strip())


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


class CityRegister:
    """The register's units and the indexes that resolve names and codes against them."""

    def __init__(self, rows: Sequence[dict[str, str]]) -> None:
        provinces = {r["code"]: r["name"] for r in rows if r["level"] in PROVINCE_LEVELS}
        self.units: tuple[CityUnit, ...] = tuple(
            CityUnit(
                code=r["code"], name=r["name"], short=r["short"], name_en=r["name_en"], en_source=r["en_source"],
                province_code=r["province_code"], province=provinces.get(r["province_code"], ""),
                level=r["level"], parent_code=r["parent_code"] or None,
                valid_from=_int(r["valid_from"]), valid_to=_int(r["valid_to"]), change=r["change"] or None,
                successors=_split(r["successor"]), approved=r["approved"] or None, note=r["note"] or None,
                aliases=_split(r["aliases"]), alt_codes=_split(r["alt_codes"]),
            )
            for r in rows
        )
        self._rows = [dict(r) for r in rows]
        self._by_code: dict[str, list[int]] = {}
        self._by_alt_code: dict[str, list[int]] = {}
        self._keys: dict[str, dict[str, list[int]]] = {"name": {}, "short": {}, "english": {}, "english_full": {}}
        for i, u in enumerate(self.units):
            self._by_code.setdefault(u.code, []).append(i)
            for c in u.alt_codes:
                self._by_alt_code.setdefault(c, []).append(i)
            self._add("name", u.name, i)
            self._add("short", u.short, i)
            self._add("english", u.name_en, i)
            for a in u.aliases:
                self._add("short" if _is_cjk(a) else "english", a, i)
        self._lineage = [self._follow(i) for i in range(len(self.units))]
        self._members: dict[int, list[int]] = {}
        for i, end in enumerate(self._lineage):
            self._members.setdefault(end, []).append(i)
        self._position = {(u.code, u.valid_from, u.valid_to): i for i, u in enumerate(self.units)}
        self._cache: dict[tuple[Any, ...], CityMatch] = {}
        self._hints: dict[str, str | None] = {}
        self._word_lists: dict[frozenset[str], tuple[list[str], dict[str, str]]] = {}

    # -- building -------------------------------------------------------------------------
    def _add(self, tier: str, text: str, i: int) -> None:
        keys = [(tier, name_key(text))]
        if tier == "english":
            keys.append(("english_full", _full_key(text)))
        for t, key in keys:
            if key:
                bucket = self._keys[t].setdefault(key, [])
                if i not in bucket:
                    bucket.append(i)

    def _next(self, i: int) -> int | None:
        """The period that continues unit ``i`` after a rename or an upgrade, if any."""
        u = self.units[i]
        if u.change not in CONTINUING or len(u.successors) != 1 or u.valid_to is None:
            return None
        for j in self._by_code.get(u.successors[0], []):
            if self.units[j].valid_from == u.valid_to + 1:
                return j
        return None

    def _follow(self, i: int) -> int:
        seen = {i}
        while (j := self._next(i)) is not None and j not in seen:
            seen.add(j)
            i = j
        return i

    # -- look-ups ---------------------------------------------------------------------------
    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The register as a DataFrame (all columns of ``cities.csv`` as text, plus ``province``)."""
        import pandas as pd

        df = pd.DataFrame(self._rows, columns=list(COLUMNS)).astype("string")
        df.insert(df.columns.get_loc("province_code") + 1, "province", [u.province for u in self.units])
        return df

    def units_in_force(self, year: int | None = None, kind: Kind = "any") -> list[CityUnit]:
        """The units of ``kind`` in force in ``year`` (``None``: as of :data:`REGISTER_DATE`)."""
        levels = KINDS[kind]
        return [u for u in self.units if u.level in levels and u.in_force(year)]

    def by_code(self, code: object, year: int | None = None) -> CityUnit | None:
        """The unit a code denotes in ``year`` (``None``: the latest period), or ``None``."""
        m = self.resolve(code=code, year=year, kind="any")
        return m.unit if m.how == "code" else None

    def province(self, value: object) -> CityUnit | None:
        """The province-level unit a name or code denotes (``河北省``, ``河北``, ``Hebei``, ``13``)."""
        m = self.resolve(value, kind="province") if code_key(value) is None else self.resolve(code=value, kind="province")
        return m.unit if m.status == "matched" else None

    def is_province(self, value: object) -> bool:
        """Whether a name denotes a province (or autonomous region, SAR) and not a city: tells a
        yearbook's province group rows (``河北省``, ``Hebei``) from its cities. Municipalities
        count as cities here; a short name shared by a province and a city (``吉林``, ``Jilin``,
        ``海南``) is not a province unless written in full (``吉林省``)."""
        if _missing(value) or code_key(value) is not None:
            return False
        query = unicodedata.normalize("NFKC", str(value)).strip()
        how, idx = self._candidates(query, PROVINCE_LEVELS - {"municipality"}, None)
        if not idx:
            return False
        city_how, city_idx = self._candidates(query, KINDS["city"], None)
        order = {"name": 0, "short": 1, "english": 1}
        return not city_idx or order[how or "short"] < order[city_how or "short"]

    # -- resolution -------------------------------------------------------------------------
    def resolve(
        self,
        name: object = None,
        *,
        code: object = None,
        province: object = None,
        year: object = None,
        kind: Kind = "city",
    ) -> CityMatch:
        """What ``name`` and/or ``code`` refer to (see :class:`CityMatch`).

        A code, when it is one the register knows, decides; the name is then only checked against
        it. ``province`` (a name or code) narrows a name to one province; ``year`` picks the unit
        in force that year; ``kind`` says which levels to consider: ``"city"`` (default: prefecture
        level and above, and county-level cities), ``"prefecture"``, ``"county"``, ``"province"``
        or ``"any"``. Results are cached per distinct query.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
        query = "" if _missing(name) else unicodedata.normalize("NFKC", str(name)).strip()
        if _missing(code) and re.fullmatch(r"\d{6,12}(?:\.0)?", query):
            code, query = query, ""  # a name column holding codes (110000, "130100000000")
        c6 = code_key(code)
        raw = None if c6 is not None or _missing(code) else str(code)  # an invalid code is named in a note
        key = (query, c6, raw, self._province_hint_key(province), year_key(year), kind)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 200_000:
                self._cache.clear()
            hit = self._resolve(query, code, province, year_key(year), kind)
            self._cache[key] = hit
        return hit

    def resolve_many(
        self,
        names: Iterable[object] | pd.Series | None = None,
        *,
        codes: Iterable[object] | pd.Series | None = None,
        provinces: Iterable[object] | pd.Series | None = None,
        years: Iterable[object] | pd.Series | object = None,
        kind: Kind = "city",
        suggest: bool = True,
    ) -> pd.DataFrame:
        """Resolve columns of names, codes, provinces and years (any may be ``None``; ``years``
        may be one year for all rows) — one :meth:`resolve` per distinct combination.

        Returns a DataFrame on the index of the first Series given (else 0…n-1) with columns
        ``query, status, how, code, name, short, name_en, province_code, province, level,
        current_code, note_en, note_zh, candidates, suggestions, conflict_code`` (``candidates``
        and ``suggestions``: ``"; "``-joined; missing values: ``<NA>``). Did-you-mean suggestions
        cost 2–4 ms per distinct unknown name; ``suggest=False`` leaves them out.
        """
        import numpy as np
        import pandas as pd

        given = {k: v for k, v in (("name", names), ("code", codes), ("province", provinces)) if v is not None}
        scalar_year = not hasattr(years, "__iter__") or isinstance(years, (str, bytes))
        if not scalar_year:
            given["year"] = years
        index = next((v.index for v in given.values() if isinstance(v, pd.Series)), None)
        cols = {k: (v.to_numpy(dtype=object) if isinstance(v, pd.Series) else list(v)) for k, v in given.items()}
        n = len(next(iter(cols.values()))) if cols else 0
        if any(len(v) != n for v in cols.values()):
            raise ValueError("names, codes, provinces and years must have the same length")
        frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()}, index=range(n))
        if index is None:
            index = pd.RangeIndex(n)
        out_cols = list(_RESULT_COLUMNS)
        if n == 0:
            return pd.DataFrame({c: pd.Series([], dtype="string") for c in out_cols}, index=index)
        # one resolution per distinct combination (missing values compare equal here)
        keyed = frame.astype("string").fillna("\x00") if len(frame.columns) else frame
        group = keyed.groupby(list(keyed.columns), sort=False, dropna=False).ngroup().to_numpy()
        column = {k: frame[k].to_numpy() for k in frame.columns}
        none = [None] * n
        name_col, code_col = column.get("name", none), column.get("code", none)
        province_col, year_col = column.get("province", none), column.get("year", [years] * n)
        # the year only chooses among the units a name or code finds (:meth:`_pick`): a name that
        # finds none is unknown in every year, resolved once and recorded once (10,000 unknown
        # names × 10 years: 0.55 s → 0.2 s)
        plain = [c for c in keyed.columns if c != "year"]
        if len(plain) < len(keyed.columns) and plain:
            key = keyed.groupby(plain, sort=False, dropna=False).ngroup().to_numpy()
        else:
            key = group
        key_first = pd.Series(range(n)).groupby(key).first().to_numpy()
        unknown: list[tuple[object, ...] | None] = []
        for i in key_first:
            m = self.resolve(name_col[i], code=code_col[i], province=province_col[i], year=None, kind=kind)
            unknown.append(_as_record(m, suggest) if m.status == "unknown" else None)
        is_unknown = np.array([u is not None for u in unknown], dtype=bool)[key] if len(unknown) else \
            np.zeros(n, dtype=bool)
        first = pd.Series(np.flatnonzero(~is_unknown)).groupby(group[~is_unknown]).first()
        records = [u for u in unknown if u is not None]
        at_unknown = np.cumsum([u is not None for u in unknown]) - 1
        records += [_as_record(self.resolve(name_col[i], code=code_col[i], province=province_col[i],
                                            year=year_col[i], kind=kind), suggest) for i in first.to_numpy()]
        at_group = np.full(group.max() + 1 if n else 0, -1, dtype=np.int64)
        at_group[first.index.to_numpy()] = len(records) - len(first) + np.arange(len(first))
        take = np.where(is_unknown, at_unknown[key] if len(unknown) else 0, at_group[group])
        distinct = pd.DataFrame(records, columns=out_cols).astype("string")
        out = distinct.take(take).reset_index(drop=True)
        out.index = index
        return out

    # -- internals --------------------------------------------------------------------------
    def _province_hint_key(self, province: object) -> str | None:
        if _missing(province):
            return None
        return unicodedata.normalize("NFKC", str(province)).strip() or None

    def _province_code(self, hint: str) -> str | None:
        if hint not in self._hints:
            c = code_key(hint)
            if c is not None:
                found = c[:2] + "0000" if c[:2] + "0000" in self._by_code else None
            else:
                m = self._resolve(hint, None, None, None, "province")
                found = m.unit.code if m.status == "matched" and m.unit is not None else None
            self._hints[hint] = found
        return self._hints[hint]

    def _resolve(self, query: str, code: object, province: object, year: int | None, kind: str) -> CityMatch:
        levels = KINDS[kind]
        notes: list[Msg] = []
        hint_text = self._province_hint_key(province)
        hint = self._province_code(hint_text) if hint_text else None
        if hint_text and hint is None:
            notes.append(Msg(f"province '{hint_text}' not recognised; ignored",
                             f"未识别的省份 '{hint_text}'，已忽略"))
        c6 = code_key(code)
        shown = query or c6 or ("" if _missing(code) else str(code))
        if c6 is None and not _missing(code) and str(code).strip():
            notes.append(Msg(f"'{code}' is not a division code; ignored", f"'{code}' 不是行政区划代码，已忽略"))
        if c6 is not None:
            by_code = self._match_code(c6, year, levels, shown)
            if by_code is not None:
                if query:
                    by_name = self._match_name(query, hint, year, levels)
                    if by_name.unit is not None and by_name.status in ("matched", "outdated") and by_code.unit is not None \
                            and self._lineage_of(by_name.unit) != self._lineage_of(by_code.unit):
                        notes.append(Msg(
                            f"the name '{query}' is {by_name.unit.label()}, the code {c6} is {by_code.unit.label()}; "
                            "the code was used",
                            f"名称 '{query}' 对应 {by_name.unit.label()}，代码 {c6} 对应 {by_code.unit.label()}；已按代码",
                        ))
                        by_code = _replace(by_code, conflict=by_name.unit)
                if hint is not None and by_code.unit is not None and by_code.unit.province_code != hint:
                    given = self._name_of(hint)
                    notes.append(Msg(f"{by_code.unit.label()} is not in the province given ({given})",
                                     f"{by_code.unit.label()} 不在所给省份（{given}）中"))
                return _with_notes(by_code, notes)
            notes.append(self._unknown_code_note(c6, levels))
        if not query:
            return _with_notes(CityMatch(query=shown, status="unknown"), notes)
        return _with_notes(self._match_name(query, hint, year, levels), notes)

    def _unknown_code_note(self, c6: str, levels: frozenset[str]) -> Msg:
        for i in self._by_code.get(c6, []):
            u = self.units[i]
            return Msg(f"code {c6} is {u.label()}, a {LEVEL_NAMES[u.level].en}, not what was asked for",
                       f"代码 {c6} 是{LEVEL_NAMES[u.level].zh} {u.label()}，不是所要的层级")
        parent = c6[:4] + "00"
        owner = [self.units[i] for i in self._by_code.get(parent, []) + self._by_alt_code.get(parent, [])]
        if owner and parent != c6:
            u = owner[-1]
            return Msg(f"code {c6} is not in the register; it lies under {u.label()}",
                       f"代码 {c6} 不在名录中；其上级为 {u.label()}")
        return Msg(f"code {c6} is not in the register", f"代码 {c6} 不在名录中")

    def _match_code(self, c6: str, year: int | None, levels: frozenset[str], shown: str) -> CityMatch | None:
        idx = [i for i in self._by_code.get(c6, []) if self.units[i].level in levels]
        if not idx:  # 110100 (市辖区) and the like: codes data sets use for a municipality
            idx = [i for i in self._by_alt_code.get(c6, []) if self.units[i].level in levels]
        if not idx:
            return None
        m = self._pick(idx, year, "code", shown)
        return m

    def _candidates(self, query: str, levels: frozenset[str], hint: str | None) -> tuple[str | None, list[int]]:
        key, fits = _key_and_levels(query)
        if not key:
            return None, []
        if _is_cjk(key):
            tiers: list[tuple[str, str, frozenset[str]]] = [("name", key, levels), ("short", key, levels)]
            for suffix, suffix_fits in _ZH_SUFFIXES:
                if key.endswith(suffix) and len(key) > len(suffix):
                    tiers.append(("short", key[: -len(suffix)], levels & suffix_fits))
        else:
            tiers = [("english_full", _full_key(query), levels),
                     ("english", key, levels if fits is None else levels & fits)]
        for tier, k, allowed in tiers:
            how = "english" if tier == "english_full" else tier
            idx = [i for i in self._keys[tier].get(k, []) if self.units[i].level in allowed]
            if hint is not None:
                idx = [i for i in idx if self.units[i].province_code == hint]
            if idx:
                return how, idx
        return None, []

    def _match_name(self, query: str, hint: str | None, year: int | None, levels: frozenset[str]) -> CityMatch:
        how, idx = self._candidates(query, levels, hint)
        notes: list[Msg] = []
        if not idx and hint is not None:
            how, idx = self._candidates(query, levels, None)
            if idx:
                notes.append(Msg(f"'{query}' was not found in the province given; found elsewhere",
                                 f"'{query}' 不在所给省份中；在其他省份找到"))
        if not idx:
            if not levels & PROVINCE_LEVELS - {"municipality"} and (clash := self._province_clash(query)) is not None:
                return CityMatch(query=query, status="unknown",
                                 note=Msg(f"'{query}' is a province ({clash.name}), not a city",
                                          f"'{query}' 是省级单位（{clash.name}），不是城市"))
            return CityMatch(query=query, status="unknown",
                             _suggest=functools.partial(self._suggest, query, levels))
        m = self._pick(idx, year, how, query)
        if how in ("short", "english") and m.unit is not None and not m.unit.is_province:
            clash = self._province_clash(query)
            if clash is not None:
                notes.append(Msg(f"'{query}' is also the name of a province ({clash.name}); the city was taken",
                                 f"'{query}' 也是省级单位（{clash.name}）的名称；已取城市"))
        return _with_notes(m, notes)

    def _province_clash(self, query: str) -> CityUnit | None:
        _, idx = self._candidates(query, PROVINCE_LEVELS - {"municipality"}, None)
        return self.units[idx[0]] if idx else None

    def _lineage_position(self, unit: CityUnit, members: list[int]) -> int:
        return members.index(self._position[(unit.code, unit.valid_from, unit.valid_to)])

    def _lineage_of(self, unit: CityUnit) -> int:
        return self._lineage[self._position[(unit.code, unit.valid_from, unit.valid_to)]]

    def _pick(self, idx: list[int], year: int | None, how: str | None, query: str) -> CityMatch:
        """One unit (or candidates) from the periods matched, by lineage, year and level."""
        lineages: dict[int, list[int]] = {}  # lineage end → the periods of it that matched
        for i in idx:
            lineages.setdefault(self._lineage[i], []).append(i)
        picked: list[tuple[int, int, bool]] = []  # (matched period, unit period, in force)
        for end, hits in lineages.items():
            if year is None:
                unit, live = end, self.units[end].valid_to is None
            else:
                now = [j for j in self._members[end] if self.units[j].in_force(year)]
                unit, live = (now[0], True) if now else (hits[-1], False)
            picked.append((unit if unit in hits else hits[-1], unit, live))
        in_force = [p for p in picked if p[2]]
        status: Status = "matched"
        notes: list[Msg] = []
        if in_force:
            if year is None and len(in_force) < len(picked):
                gone = [self.units[p[1]] for p in picked if not p[2]]
                notes.append(Msg(
                    "also the name of the former " + ", ".join(f"{u.label()} (until {u.valid_to})" for u in gone)
                    + "; give a year to choose",
                    "也是已撤销的 " + "、".join(f"{u.label()}（至{u.valid_to}年）" for u in gone) + " 的名称；可给出年份以区分",
                ))
            picked = in_force
        elif year is not None:
            status = "outdated"
        if len(picked) > 1:
            upper = [p for p in picked if self.units[p[1]].level not in COUNTY_LEVELS]
            if upper and len(upper) < len(picked):
                lower = [self.units[p[1]] for p in picked if p not in upper]
                notes.append(Msg(
                    "also the name of the county-level " + ", ".join(u.label() for u in lower)
                    + "; the prefecture-level unit was taken",
                    "也是县级市 " + "、".join(u.label() for u in lower) + " 的名称；已取地级单位",
                ))
                picked = upper
        if len(picked) > 1:
            cands = tuple(self.units[p[1]] for p in picked)
            return CityMatch(query=query, status="ambiguous", how=how, candidates=cands,  # type: ignore[arg-type]
                             note=Msg("could be " + ", ".join(f"{u.label()} in {u.province}" for u in cands),
                                      "可能是 " + "、".join(f"{u.province}{u.label()}" for u in cands)))
        mi, ui, _ = picked[0]
        matched, unit = self.units[mi], self.units[ui]
        end = self.units[self._lineage[ui]]
        current = end if end.valid_to is None else None
        notes.extend(self._history_notes(matched, unit, end, year, status))
        return CityMatch(query=query, status=status, how=how, unit=unit, matched=matched,  # type: ignore[arg-type]
                         current=current, note=_join(notes))

    def _history_notes(self, matched: CityUnit, unit: CityUnit, end: CityUnit, year: int | None,
                       status: str) -> list[Msg]:
        notes: list[Msg] = []
        if matched is not unit:
            # every step of the lineage between the two periods, oldest first
            members = sorted(self._members[self._lineage_of(unit)],
                             key=lambda j: self.units[j].valid_to if self.units[j].valid_to is not None else 10**4)
            ends = sorted((self._lineage_position(matched, members), self._lineage_position(unit, members)))
            for a, b in zip(members[ends[0]:ends[1]], members[ends[0] + 1:ends[1] + 1], strict=True):
                earlier, later = self.units[a], self.units[b]
                when = (earlier.valid_to or 0) + 1
                if later.code == earlier.code:
                    notes.append(Msg(f"{earlier.label()} was renamed {later.name} in {when}",
                                     f"{earlier.label()} 于{when}年更名为{later.name}"))
                else:
                    notes.append(Msg(f"{earlier.label()} became {later.label()} in {when}",
                                     f"{earlier.label()} 于{when}年改设为 {later.label()}"))
        if status == "outdated" and year is not None and unit.valid_from is not None and year < unit.valid_from:
            notes.append(Msg(f"{unit.label()} was set up in {unit.valid_from}, after {year}",
                             f"{unit.label()} 设立于{unit.valid_from}年，晚于{year}年"))
        if end.valid_to is not None and end.change in ("merged", "split"):
            names = [self._name_of(c) for c in end.successors]
            when = end.valid_to + 1
            if end.change == "merged":
                notes.append(Msg(f"{end.label()} was merged into {names[0]} in {when}",
                                 f"{end.label()} 于{when}年并入{names[0]}"))
            else:
                notes.append(Msg(f"{end.label()} was dissolved in {when}; its area went to {', '.join(names)}",
                                 f"{end.label()} 于{when}年撤销，其辖区划归{'、'.join(names)}"))
        return notes

    def _name_of(self, code: str) -> str:
        rows = self._by_code.get(code, [])
        return self.units[rows[-1]].label() if rows else code

    def _suggest(self, query: str, levels: frozenset[str]) -> tuple[str, ...]:
        key = name_key(query)
        if not key:
            return ()
        zh, en = self._words(levels)
        if _is_cjk(key):
            return tuple(did_you_mean(key, zh, n=3))
        # English: a stricter cutoff, so that foreign names (London) are not "corrected"
        return tuple(en[k] for k in difflib.get_close_matches(key, list(en), n=3, cutoff=0.8))

    def _words(self, levels: frozenset[str]) -> tuple[list[str], dict[str, str]]:
        """The Chinese names and the English keys → names that suggestions are drawn from."""
        if levels not in self._word_lists:
            units = [u for u in self.units if u.level in levels]
            zh = list(dict.fromkeys(t for u in units for t in (u.name, u.short)))
            en: dict[str, str] = {}
            for u in units:
                en.setdefault(name_key(u.name_en), u.name_en)
            self._word_lists[levels] = (zh, en)
        return self._word_lists[levels]


_RESULT_COLUMNS = (
    "query", "status", "how", "code", "name", "short", "name_en", "province_code", "province", "level",
    "current_code", "note_en", "note_zh", "candidates", "suggestions", "conflict_code",
)


def _as_record(m: CityMatch, suggest: bool = True) -> tuple[object, ...]:
    u = m.unit if m.status in ("matched", "outdated") else None
    return (
        m.query, m.status, m.how,
        u.code if u else None, u.name if u else None, u.short if u else None, u.name_en if u else None,
        u.province_code if u else None, u.province if u else None, u.level if u else None,
        m.current.code if m.current else None,
        m.note.en if m.note else None, m.note.zh if m.note else None,
        "; ".join(c.label() for c in m.candidates) or None, ("; ".join(m.suggestions) or None) if suggest else None,
        m.conflict.code if m.conflict else None,
    )


def _join(notes: list[Msg]) -> Msg | None:
    if not notes:
        return None
    return Msg("; ".join(n.en for n in notes), "；".join(n.zh for n in notes))


def _with_notes(m: CityMatch, notes: list[Msg]) -> CityMatch:
    if not notes:
        return m
    return _replace(m, note=_join(([m.note] if m.note else []) + notes))


def _replace(m: CityMatch, **changes: Any) -> CityMatch:
    return replace(m, **changes)


def load_rows(text: str) -> list[dict[str, str]]:
    """The rows of a register CSV (``cities.csv``'s columns), as text."""
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"city register: missing columns {missing}")
    return [{c: (r.get(c) or "").strip() for c in COLUMNS} for r in reader]


@functools.cache
def register() -> CityRegister:
    """The built-in register (loaded once per process from the packaged ``cities.csv``)."""
    text = resources.files("citystd.io").joinpath("cities.csv").read_text(encoding="utf-8")
    return CityRegister(load_rows(text))


def resolve(
    name: object = None,
    *,
    code: object = None,
    province: object = None,
    year: object = None,
    kind: Kind = "city",
) -> CityMatch:
    """:meth:`CityRegister.resolve` on the built-in register."""
    return register().resolve(name, code=code, province=province, year=year, kind=kind)


def resolve_many(
    names: Iterable[object] | pd.Series | None = None,
    *,
    codes: Iterable[object] | pd.Series | None = None,
    provinces: Iterable[object] | pd.Series | None = None,
    years: Iterable[object] | pd.Series | object = None,
    kind: Kind = "city",
    suggest: bool = True,
) -> pd.DataFrame:
    """:meth:`CityRegister.resolve_many` on the built-in register."""
    return register().resolve_many(names, codes=codes, provinces=provinces, years=years, kind=kind, suggest=suggest)


__all__ = [
    "COLUMNS", "CONTINUING", "COUNTY_LEVELS", "HISTORY_FROM", "KINDS", "LEVELS", "LEVEL_NAMES",
    "PREFECTURE_LEVELS", "PROVINCE_LEVELS", "REGISTER_DATE",
    "CityMatch", "CityRegister", "CityUnit", "How", "Kind", "Level", "Status",
    "code_key", "load_rows", "name_key", "register", "resolve", "resolve_many", "year_key",
]

