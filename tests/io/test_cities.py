"""The city register (``citystd.io.cities``): its data, checked against other sources and by hand,
and how names and codes resolve."""

from __future__ import annotations

import csv
import itertools
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.io.cities import (
    COLUMNS,
    CONTINUING,
    COUNTY_LEVELS,
    KINDS,
    LEVELS,
    PREFECTURE_LEVELS,
    PROVINCE_LEVELS,
    CityRegister,
    code_key,
    load_rows,
    name_key,
    register,
    resolve,
    resolve_many,
    year_key,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "cities"
REG = register()


def read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def current(levels: frozenset[str]) -> list:
    return [u for u in REG.units if u.level in levels and u.valid_to is None]


# ---------------------------------------------------------------------------------------------
# The data file


def test_data_file_is_well_formed() -> None:
    text = (ROOT / "src" / "citystd" / "io" / "cities.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    for u in REG.units:
        assert len(u.code) == 6 and u.code.isdigit(), u
        assert u.level in LEVELS, u
        assert u.en_source in {"yb2024-s1", "yb2024-s2", "yb2024-s3", "pinyin", "conventional"}, u
        assert u.name and u.short and u.name_en, u
        assert u.province, u  # the province code names a province-level unit
        assert (u.valid_to is None) == (u.change is None), u
        assert all(len(c) == 6 and c in {v.code for v in REG.units} for c in u.successors), u
        if u.valid_from is not None and u.valid_to is not None:
            assert u.valid_from <= u.valid_to, u
    # one period per code and year: the periods of a code do not overlap
    by_code: dict[str, list] = {}
    for u in REG.units:
        by_code.setdefault(u.code, []).append(u)
    for periods in by_code.values():
        periods.sort(key=lambda u: u.valid_from or 0)
        for a, b in itertools.pairwise(periods):
            assert a.valid_to is not None and b.valid_from is not None and a.valid_to < b.valid_from, (a, b)
    # a rename or an upgrade always has exactly one continuation, starting the next year
    for i, u in enumerate(REG.units):
        if u.change in CONTINUING:
            j = REG._next(i)
            assert j is not None and REG.units[j].valid_from == u.valid_to + 1, u


def test_counts_match_the_yearbook_and_the_code_list() -> None:
    # 中国城市统计年鉴2024 table 1-1: 4 municipalities, 15 sub-provincial, 278 prefecture-level,
    # 397 county-level cities; plus 30 autonomous prefectures, 7 prefectures and 3 leagues (NBS 2023)
    now = Counter(u.level for u in REG.units if u.valid_to is None)
    assert now["municipality"] == 4
    assert now["sub_provincial"] == 15
    assert now["prefecture"] == 278
    assert now["county_level"] == 397
    assert now["autonomous_prefecture"] == 30
    assert now["prefecture_region"] == 7
    assert now["league"] == 3
    assert now["province"] + now["autonomous_region"] + now["sar"] == 30  # 23 provinces, 5 ARs, 2 SARs
    assert len(current(PREFECTURE_LEVELS - {"municipality"})) == 333


def test_per_province_counts_match_yearbook_table_1_1() -> None:
    # table 1-1, columns 副省级市 + 地级市 and 县级市, by province
    table = {
        "河北": (11, 21), "山西": (11, 11), "内蒙古": (9, 11), "辽宁": (14, 16), "吉林": (8, 20),
        "黑龙江": (12, 21), "江苏": (13, 21), "浙江": (11, 20), "安徽": (16, 9), "福建": (9, 11),
        "江西": (11, 12), "山东": (16, 26), "河南": (17, 21), "湖北": (12, 26), "湖南": (13, 19),
        "广东": (21, 20), "广西": (14, 10), "海南": (4, 5), "四川": (18, 19), "贵州": (6, 10),
        "云南": (8, 18), "西藏": (6, 2), "陕西": (10, 7), "甘肃": (12, 5), "青海": (2, 5),
        "宁夏": (5, 2), "新疆": (4, 29),
    }
    for short, (cities, county) in table.items():
        prov = REG.province(short)
        assert prov is not None, short
        units = [u for u in REG.units if u.province_code == prov.code and u.valid_to is None]
        assert sum(u.level in {"prefecture", "sub_provincial"} for u in units) == cities, short
        assert sum(u.level == "county_level" for u in units) == county, short


def test_prefecture_level_history_year_by_year() -> None:
    # year-end counts of prefecture-level units (cities, prefectures, autonomous prefectures,
    # leagues; without the 4 municipalities), as in the MCA year-end code lists 1999–2017 and the
    # NBS lists 2018–2023 (the NBS lists lag: 儋州 appears in 2016's, 那曲市 in 2018's)
    expected = {1999: 331, 2000: 333, 2001: 332, 2002: 332, 2003: 333, 2004: 333, 2010: 333,
                2011: 332, 2012: 333, 2014: 333, 2015: 334, 2016: 334, 2017: 334, 2018: 334,
                2019: 333, 2023: 333}
    for year, n in expected.items():
        assert len(REG.units_in_force(year, "prefecture")) - 4 == n, year


def test_sample_of_codes_across_every_province() -> None:
    # hand-checked against the GB/T 2260 / NBS code lists
    codes = {
        "北京市": "110000", "天津市": "120000", "石家庄市": "130100", "太原市": "140100", "呼和浩特市": "150100",
        "沈阳市": "210100", "大连市": "210200", "长春市": "220100", "哈尔滨市": "230100", "上海市": "310000",
        "南京市": "320100", "苏州市": "320500", "杭州市": "330100", "宁波市": "330200", "合肥市": "340100",
        "福州市": "350100", "厦门市": "350200", "南昌市": "360100", "济南市": "370100", "青岛市": "370200",
        "郑州市": "410100", "武汉市": "420100", "长沙市": "430100", "广州市": "440100", "深圳市": "440300",
        "南宁市": "450100", "海口市": "460100", "重庆市": "500000", "成都市": "510100", "贵阳市": "520100",
        "昆明市": "530100", "拉萨市": "540100", "西安市": "610100", "兰州市": "620100", "西宁市": "630100",
        "银川市": "640100", "乌鲁木齐市": "650100", "延边朝鲜族自治州": "222400", "大兴安岭地区": "232700",
        "阿拉善盟": "152900", "阿里地区": "542500", "伊犁哈萨克自治州": "654000", "喀什地区": "653100",
        "东莞市": "441900", "嘉峪关市": "620200", "三沙市": "460300", "儋州市": "460400",
        "义乌市": "330782", "昆山市": "320583", "济源市": "419001", "石河子市": "659001",
    }
    for name, code in codes.items():
        m = resolve(name)
        assert (m.status, m.code) == ("matched", code), name


@pytest.mark.parametrize(
    ("query", "short"),
    [("延边朝鲜族自治州", "延边"), ("恩施土家族苗族自治州", "恩施"), ("巴音郭楞蒙古自治州", "巴音郭楞"),
     ("克孜勒苏柯尔克孜自治州", "克孜勒苏"), ("锡林郭勒盟", "锡林郭勒"), ("大兴安岭地区", "大兴安岭"),
     ("内蒙古自治区", "内蒙古"), ("新疆维吾尔自治区", "新疆"), ("广西壮族自治区", "广西"), ("芒市", "芒市"),
     ("津市市", "津市"), ("石家庄市", "石家庄")],
)
def test_short_names(query: str, short: str) -> None:
    unit = resolve(query, kind="any").unit
    assert unit is not None and unit.short == short
    assert resolve(short, kind="any").unit == unit or short in {"芒市"}


# ---------------------------------------------------------------------------------------------
# Against the other sources


def test_every_section_2_city_resolves_by_chinese_and_english_name() -> None:
    rows = read("yearbook2024_section2.csv")
    assert len(rows) == 297
    codes = set()
    for r in rows:
        by_zh = resolve(r["city"], province=r["province"])
        by_en = resolve(r["city_en"], province=r["province_en"])
        assert by_zh.status == "matched" and by_zh.unit is not None and by_zh.unit.is_prefecture, r
        assert by_en.code == by_zh.code, r
        assert by_zh.unit.name_en == r["city_en"].strip()
        codes.add(by_zh.code)
    assert len(codes) == 297
    # and the province group rows are provinces, not cities
    for prov, prov_en in {(r["province"], r["province_en"]) for r in rows if r["province"] != r["city"]}:
        assert REG.is_province(prov)
        # in English, Jilin and Hainan are also the names of cities (吉林市, 海南州): not provinces alone
        assert REG.is_province(prov_en) == (prov_en not in {"Jilin", "Hainan"}), prov_en
        assert REG.province(prov_en) == REG.province(prov)
        assert resolve(prov).status == "unknown"


def test_every_section_2_city_resolves_in_one_vectorised_call() -> None:
    df = pd.DataFrame(read("yearbook2024_section2.csv"))
    out = resolve_many(df["city"], provinces=df["province"], years=2023)
    assert (out["status"] == "matched").all()
    assert out["code"].nunique() == 297
    assert list(out.index) == list(df.index)


def test_every_section_3_city_resolves() -> None:
    rows = read("yearbook2024_section3.csv")
    assert len(rows) == 396
    out = resolve_many([r["city"] for r in rows], provinces=[r["province"] for r in rows], kind="county")
    assert (out["status"] == "matched").all(), out[out["status"] != "matched"]
    assert (out["level"] == "county_level").all()
    assert out["code"].nunique() == 396
    # their English names as printed, within their province
    en = resolve_many([r["city_en"] for r in rows], provinces=[r["province"] for r in rows], kind="county")
    assert (en["code"] == out["code"]).all()


def test_codes_agree_with_the_census_panel() -> None:
    rows = read("census_units.csv")
    cities = 0
    for r in rows:
        name, code = r["city"], r["city_code"]
        if name.endswith(("县", "林区")):  # the counties of Hainan and 神农架林区 are not cities
            assert resolve(name, province=r["province"]).status == "unknown", name
            continue
        m = resolve(name, province=r["province"], kind="any")
        assert m.status == "matched", name
        by_code = resolve(code=code, kind="any")
        assert by_code.code == m.code, (name, code)  # 110100 (census) is read as 北京市 110000
        cities += 1
    assert cities == 369 - 11  # 10 counties of Hainan and 神农架林区


# ---------------------------------------------------------------------------------------------
# Changes over time


CHANGES = [
    # (name asked, year, code of the unit in force, status)
    ("莱芜", 2018, "371200", "matched"),
    ("莱芜市", 2019, "371200", "outdated"),
    ("巢湖", 2010, "341400", "matched"),
    ("巢湖市", 2012, "340181", "matched"),  # the county-level city set up from 居巢区
    ("襄樊", 2023, "420600", "matched"),
    ("襄阳", 2009, "420600", "matched"),
    ("思茅", 2006, "530800", "matched"),
    ("普洱市", 2023, "530800", "matched"),
    ("思茅地区", 2023, "530800", "matched"),
    ("毕节地区", 2010, "522400", "matched"),
    ("毕节地区", 2011, "520500", "matched"),
    ("毕节市", 2010, "522400", "matched"),
    ("铜仁地区", 2015, "520600", "matched"),
    ("海东地区", 2012, "632100", "matched"),
    ("海东地区", 2013, "630200", "matched"),
    ("日喀则地区", 2014, "540200", "matched"),
    ("昌都地区", 2013, "542100", "matched"),
    ("昌都", 2014, "540300", "matched"),
    ("吐鲁番地区", 2015, "650400", "matched"),
    ("林芝", 2014, "542600", "matched"),
    ("林芝", 2015, "540400", "matched"),
    ("哈密地区", 2016, "650500", "matched"),
    ("山南地区", 2015, "542200", "matched"),
    ("山南", 2016, "540500", "matched"),
    ("那曲地区", 2016, "542400", "matched"),
    ("那曲", 2017, "540600", "matched"),
    ("三沙", 2011, "460300", "outdated"),
    ("三沙市", 2012, "460300", "matched"),
    ("儋州", 2014, "469003", "matched"),
    ("儋州市", 2015, "460400", "matched"),
    ("巴彦淖尔盟", 2004, "150800", "matched"),
    ("乌兰察布盟", 2003, "150900", "matched"),
    ("伊克昭盟", 2000, "152700", "matched"),
    ("鄂尔多斯", 2000, "152700", "matched"),
    ("淮阴市", 2005, "320800", "matched"),
    ("陇南地区", 2003, "622600", "matched"),
    ("陇南", 2004, "621200", "matched"),
    ("南宁地区", 2001, "452100", "matched"),
    ("南宁地区", 2002, "452100", "outdated"),
    ("崇左", 2001, "451400", "outdated"),
    ("中卫", 2003, "640500", "matched"),
]


@pytest.mark.parametrize(("name", "year", "code", "status"), CHANGES)
def test_every_change_resolves_by_year(name: str, year: int, code: str, status: str) -> None:
    m = resolve(name, year=year)
    assert (m.status, m.code) == (status, code), m.note


def test_change_notes_say_what_happened() -> None:
    m = resolve("襄樊", year=2023)
    assert m.unit is not None and m.unit.name == "襄阳市" and m.matched is not None and m.matched.name == "襄樊市"
    assert m.note is not None and "renamed 襄阳市 in 2010" in m.note.en and "更名为襄阳市" in m.note.zh
    m = resolve("莱芜", year=2020)
    assert m.note is not None and "merged into 济南市 (370100) in 2019" in m.note.en
    assert m.current is None
    m = resolve("巢湖市", year=2008)
    assert m.note is not None and "dissolved in 2011" in m.note.en and "马鞍山市" in m.note.en
    m = resolve("思茅地区", year=2020)
    assert m.note is not None and "became 思茅市 (530800) in 2003" in m.note.en and "renamed 普洱市 in 2007" in m.note.en
    m = resolve("三沙", year=2005)
    assert m.note is not None and "set up in 2012" in m.note.en
    # without a year the register answers as of its date, and says what else the name was
    m = resolve("巢湖市")
    assert m.code == "340181" and m.note is not None and "341400" in m.note.en
    assert resolve("毕节地区").current is not None and resolve("毕节地区").code == "520500"


def test_every_period_is_reached_by_its_own_name_and_code() -> None:
    for u in REG.units:
        year = u.valid_to if u.valid_to is not None else (u.valid_from or 2023)
        kind = "any"
        by_name = resolve(u.name, province=u.province_code, year=year, kind=kind)
        assert by_name.unit == u, (u, by_name)
        by_code = resolve(code=u.code, year=year, kind=kind)
        assert by_code.unit == u, (u, by_code)


def test_codes_with_a_year() -> None:
    assert resolve(code="420600", year=2009).unit.name == "襄樊市"  # type: ignore[union-attr]
    assert resolve(code="420600", year=2023).unit.name == "襄阳市"  # type: ignore[union-attr]
    m = resolve(code="522400", year=2015)
    assert m.code == "520500" and m.how == "code" and m.note is not None and "became 毕节市" in m.note.en
    m = resolve(code="371200", year=2020)
    assert (m.status, m.code) == ("outdated", "371200")


# ---------------------------------------------------------------------------------------------
# Names: normalisation, English, ambiguity, unknowns


@pytest.mark.parametrize(
    "query",
    ["北京", "北京市", "  北京市", "\u3000北京市\u3000", "北 京 市", "北京市\n", "Beijing", "beijing shi",
     "Beijing City", "BEIJING", "  Beijing", "Beijing Municipality", "北京市 Beijing"],
)
def test_beijing_in_every_spelling(query: str) -> None:
    m = resolve(query)
    assert (m.status, m.code) == ("matched", "110000")


@pytest.mark.parametrize(
    ("query", "code"),
    [("Xi'an", "610100"), ("Xian", "610100"), ("XI’AN", "610100"), ("Xigazê", "540200"), ("Xigaze", "540200"),
     ("Shigatse", "540200"), ("Hohhot", "150100"), ("Ordos", "150600"), ("Erdos", "150600"),
     ("Urumqi", "650100"), ("Harbin", "230100"), ("Lvliang", "141100"), ("Lüliang", "141100"),
     ("Yanbian Korean Autonomous Prefecture", "222400"), ("Yanbian", "222400"), ("Kashgar", "653100"),
     ("Hotan Prefecture", "653200"), ("Xilingol League", "152500"), ("Ma'anshan", "340500"),
     ("Shangri-la", "533401"), ("Ｂｅｉｊｉｎｇ", "110000")],
)
def test_english_names(query: str, code: str) -> None:
    m = resolve(query)
    assert (m.status, m.code) == ("matched", code), m


def test_the_thirty_cities_panel_resolves_by_pinyin() -> None:
    names = pd.read_csv(ROOT / "tests" / "data" / "china-30cities" / "final_air_pollution_30cities.csv",
                        dtype=str)["city"]
    out = resolve_many(names)
    assert set(out.loc[out["status"] != "matched", "query"]) == {"Fuzhou"}  # 福州 or 抚州: say the province
    assert resolve("Fuzhou", province="Fujian").code == "350100"
    assert out.loc[out["status"] == "matched", "code"].nunique() == 29


def test_ambiguous_names_list_their_candidates() -> None:
    for name, codes in {"Suzhou": {"320500", "341300"}, "Taizhou": {"321200", "331000"},
                        "Yichun": {"230700", "360900"}, "Yulin": {"450900", "610800"}}.items():
        m = resolve(name)
        assert m.status == "ambiguous" and m.code is None
        assert {c.code for c in m.candidates} == codes
        assert m.note is not None and all(c in m.note.en for c in codes)
    assert resolve("Suzhou", province="安徽省").code == "341300"
    assert resolve("Suzhou", province="Jiangsu").code == "320500"
    assert resolve("Taizhou", province=33).code == "331000"  # a province code
    assert resolve("Yulin", province="陕西").code == "610800"


def test_level_preference_and_province_clashes() -> None:
    # a prefecture and its county-level seat share the short name: the prefecture, with a note
    m = resolve("大理")
    assert m.code == "532900" and m.note is not None and "532901" in m.note.en
    assert resolve("大理市").code == "532901"  # the full name is exact
    assert resolve("大理", kind="county").code == "532901"
    # a city sharing its name with a province
    m = resolve("吉林")
    assert m.code == "220200" and m.note is not None and "吉林省" in m.note.en
    assert resolve("吉林", kind="province").code == "220000"
    assert resolve("吉林", kind="any").status == "ambiguous"
    assert resolve("海南").code == "632500" and resolve("海南省", kind="province").code == "460000"


def test_provinces() -> None:
    for text in ["河北省", "河北", "Hebei", "Hebei Province", "  河北省", 13, "130000", 130000.0]:
        unit = REG.province(text)
        assert unit is not None and unit.code == "130000", text
    assert REG.province("Tibet").code == "540000"  # type: ignore[union-attr]
    assert REG.province("Guangxi Zhuang Autonomous Region").code == "450000"  # type: ignore[union-attr]
    assert REG.province("北京").level == "municipality"  # type: ignore[union-attr]
    assert [REG.is_province(x) for x in ["河北省", "Hebei", "内蒙古自治区", "Inner Mongolia", "吉林省"]] == [True] * 5
    assert [REG.is_province(x) for x in ["北京市", "吉林", "Jilin", "石家庄市", "London", None, "130000"]] == [False] * 7
    m = resolve("Hebei")
    assert m.status == "unknown" and m.note is not None and "河北省" in m.note.en


def test_unknown_names_suggest_and_foreign_names_stay_unknown() -> None:
    assert resolve("邛峡市").suggestions[0] == "邛崃市"  # a misprint of yearbook table 3-1
    assert resolve("Liaoeheng").suggestions[0] == "Liaocheng"  # misprints of section-2 tables
    assert "Zhangzhou" in resolve("7hangzhou").suggestions
    for foreign in ["London", "Paris", "Amsterdam", "", "   ", None, float("nan")]:
        m = resolve(foreign)
        assert m.status == "unknown" and m.code is None and m.suggestions == (), foreign


def test_province_hint_narrows_and_is_forgiving() -> None:
    assert resolve("朝阳", province="辽宁").code == "211300"
    m = resolve("朝阳", province="湖南")  # wrong province: found elsewhere, with a note
    assert m.code == "211300" and m.note is not None and "province given" in m.note.en
    m = resolve("朝阳", province="Atlantis")
    assert m.code == "211300" and m.note is not None and "Atlantis" in m.note.en


# ---------------------------------------------------------------------------------------------
# Codes


@pytest.mark.parametrize(
    ("value", "key"),
    [("110000", "110000"), (110000, "110000"), (110000.0, "110000"), ("110000.0", "110000"),
     ("１１００００", "110000"), (" 130100 ", "130100"), ("130100000000", "130100"), (130100000000, "130100"),
     ("13", "130000"), ("4201", "420100"), ("1301001", "130100"), ("abc", None), ("1", None), (1.5, None),
     (None, None), (float("nan"), None), (True, None), ("1234567890123", None)],
)
def test_code_key(value: object, key: str | None) -> None:
    assert code_key(value) == key


def test_a_code_wins_over_the_name_and_says_so() -> None:
    m = resolve("上海", code="110000")
    assert m.code == "110000" and m.how == "code" and m.conflict is not None and m.conflict.code == "310000"
    assert m.note is not None and "the code was used" in m.note.en
    assert resolve("北京", code=110100).code == "110000"  # the census code of a municipality
    assert resolve(code=130100000000.0).code == "130100"  # a 12-digit statistical code read from Excel
    m = resolve("石家庄", code="999999")  # an unknown code: the name decides, with a note
    assert m.code == "130100" and m.how == "short" and m.note is not None and "999999" in m.note.en
    m = resolve(code="110105")  # a district
    assert m.status == "unknown" and m.note is not None and "北京市 (110000)" in m.note.en
    assert resolve(110000).code == "110000" and resolve("130100000000").how == "code"  # codes in a name column
    assert resolve("Town 12").status == "unknown"
    m = resolve(code="130000")  # a province asked as a city
    assert m.status == "unknown" and m.note is not None and "河北省" in m.note.en


# ---------------------------------------------------------------------------------------------
# Vectorised resolution


def test_resolve_many_keeps_the_index_and_handles_missing_values() -> None:
    names = pd.Series(["北京", None, "Suzhou", "襄樊", "London", "北京"], index=list("abcdef"))
    codes = pd.Series([None, 130100.0, None, None, None, float("nan")], index=list("abcdef"))
    years = pd.Series([2020, 2020, 2020, "2009", 2020, None], index=list("abcdef"))
    out = resolve_many(names, codes=codes, years=years)
    assert list(out.index) == list("abcdef")
    assert list(out["status"]) == ["matched", "matched", "ambiguous", "matched", "unknown", "matched"]
    assert list(out["code"].fillna("")) == ["110000", "130100", "", "420600", "", "110000"]
    assert out.loc["d", "name"] == "襄樊市"  # 2009: the name of the time
    assert "320500" in out.loc["c", "candidates"]
    assert resolve_many([]).empty
    with pytest.raises(ValueError, match="same length"):
        resolve_many(["北京"], codes=[1, 2])


def test_resolve_many_resolves_each_distinct_name_once() -> None:
    reg = CityRegister(load_rows((ROOT / "src" / "citystd" / "io" / "cities.csv").read_text(encoding="utf-8")))
    names = ["北京", "上海", "  石家庄市"] * 20_000
    calls = Counter()
    original = reg._resolve

    def counting(*args: object) -> object:
        calls[args[0]] += 1
        return original(*args)  # type: ignore[arg-type]

    reg._resolve = counting  # type: ignore[method-assign]
    t0 = time.perf_counter()
    out = reg.resolve_many(names)
    assert time.perf_counter() - t0 < 5  # generous: the benchmark measures it properly
    assert len(out) == 60_000 and set(out["code"]) == {"110000", "310000", "130100"}
    assert max(calls.values()) == 1


# ---------------------------------------------------------------------------------------------
# Properties


TEXT = st.text(alphabet=st.sampled_from(list("北京市石家庄 \u3000\t\nBeijing'-·ABCxyzêü()（）城市123")), max_size=20)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_name_key_is_idempotent(text: str) -> None:
    assert name_key(name_key(text)) == name_key(text)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([u for u in REG.units if u.valid_to is None]), st.sampled_from(["", "  ", "\u3000", "\t"]))
def test_any_unit_resolves_back_by_name_short_english_and_code(unit, pad: str) -> None:  # type: ignore[no-untyped-def]
    kind = "any"
    assert resolve(pad + unit.name + pad, province=unit.province_code, kind=kind).unit == unit
    by_short = resolve(unit.short, province=unit.province_code, kind=kind)
    by_en = resolve(unit.name_en, province=unit.province_code, kind=kind)
    for m in (by_short, by_en):
        # a short or English name shared with another unit of the province may be ambiguous;
        # when it is not, it is this unit (or, for a county seat, the prefecture it names)
        if m.status == "matched" and m.unit != unit:
            assert unit.level in COUNTY_LEVELS | PROVINCE_LEVELS and m.note is not None, (unit, m)
        elif m.status == "ambiguous":
            assert unit in m.candidates
        else:
            assert m.unit == unit
    assert resolve(code=unit.code, kind=kind).unit == unit
    assert resolve(code=int(unit.code), kind=kind).unit == unit
    assert resolve(code=unit.code + "000000", kind=kind).unit == unit


def test_year_key() -> None:
    assert [year_key(x) for x in [2018, 2018.0, "2018", "2018年", " 2018 ", None, "x", 18, 2018.5]] == [
        2018, 2018, 2018, 2018, 2018, None, None, None, None]


def test_kinds_cover_the_levels() -> None:
    assert KINDS["any"] == frozenset(LEVELS)
    assert KINDS["city"] == PREFECTURE_LEVELS | COUNTY_LEVELS
    with pytest.raises(ValueError, match="kind"):
        resolve("北京", kind="planet")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The docs


def test_the_python_examples_of_docs_cities_run() -> None:
    import re

    text = (ROOT / "docs" / "cities.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert len(blocks) >= 2
    for block in blocks:
        assert "assert" in block
        exec(compile(block, "docs/cities.md", "exec"), {})  # our own docs, not user input


def test_docs_cities_list_every_change() -> None:
    text = (ROOT / "docs" / "cities.md").read_text(encoding="utf-8")
    for u in REG.units:
        if u.valid_to is not None:
            assert f"{u.name} {u.code}" in text, u.label()
            for c in u.successors:
                assert c in text, (u.label(), c)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["北京", "襄樊", "襄阳市", "Suzhou", "C00001", "London", None, "朝阳"]),
                          st.sampled_from([None, "110000", "420600", "999999"]),
                          st.sampled_from([None, 1990, 2009, 2020, 2023])), min_size=1, max_size=40))
def test_resolve_many_equals_resolving_each_row(rows: list) -> None:
    """Names unknown in every year are resolved once for all their rows; every row still gets what
    resolving it alone gives."""
    from citystd.io.cities import _as_record, register

    reg = register()
    names, codes, years = (pd.Series([r[i] for r in rows], dtype=object) for i in range(3))
    out = reg.resolve_many(names, codes=codes, years=years, suggest=False)
    for i, (name, code, year) in enumerate(rows):
        alone = _as_record(reg.resolve(name, code=code, year=year, kind="city"), False)
        got = tuple(None if pd.isna(v) else v for v in out.iloc[i])
        assert got == tuple(None if v is None else str(v) for v in alone), (name, code, year)
