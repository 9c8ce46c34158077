"""The HTML report without a browser: structure, escaping, determinism, self-containment, size.

The browser checks (charts drawn, no network request, sorting, no script run from data) are in
test_html_browser.py.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from pathlib import Path
from typing import Any

import pytest

from citystd.report import html, renderer, svg

ROOT = Path(__file__).resolve().parents[2]
SCORE_FIXTURES = ROOT / "tests" / "fixtures" / "score"

XSS_CITY = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


def text(doc: dict[str, Any], lang: str = "en", city: str | None = None) -> str:
    return html.render(doc, lang, city).decode("utf-8")


def data_json(page: str) -> Any:
    m = re.search(r'<script type="application/json" id="citystd-data">(.*?)</script>', page, flags=re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    """The example with script-bearing names in every place text comes from the data."""
    d = copy.deepcopy(doc)
    first, second = d["results"][0]["city"], d["results"][1]["city"]
    for r in d["results"]:
        r["city"] = {first: XSS_CITY, second: XSS_ATTR}.get(r["city"], r["city"])
    ind = next(iter(d["indicators"]))
    d["indicators"][ind]["name"] = {"zh": "</script><script>alert(2)</script>", "en": "</script><script>alert(2)</script>"}
    d["indicators"][ind]["unit"] = {"zh": "a\u2028b&c", "en": "a\u2029b&c"}
    d["tree"][0]["name"] = {"zh": "<i onmouseover=alert(3)>领域</i>", "en": "<i onmouseover=alert(3)>domain</i>"}
    d["framework"]["name"] = {"zh": "<b>框架</b>", "en": "<b>framework</b>"}
    d["input"]["file"] = 'a"b<c>.xlsx'
    d["issues"] = [{"code": "D707", "rule": "data.out-of-range", "severity": "error", "file": "<x>.xlsx", "sheet": "S",
                    "cell": "B2", "line": None, "col": None, "message": f"bad value (city {XSS_CITY})",
                    "hint": "<a href=javascript:alert(4)>fix</a>"}]
    return d


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_of_the_example(doc: dict[str, Any], lang: str) -> None:
    page = text(doc, lang)
    assert page.startswith("<!DOCTYPE html>\n")
    assert f'<html lang="{lang}">' in page
    for anchor in ("overview", "ranking", "dashboard", "profiles", "issues", "method"):
        assert f'<section id="{anchor}">' in page
    assert '<section id="trends">' not in page  # one year
    # provenance: framework id, version, hash; input file and hash; citystd version
    fw, inp = doc["framework"], doc["input"]
    for s in (fw["id"], fw["version"], fw["sha256"], inp["file"], inp["sha256"], f"citystd {doc['citystd_version']}"):
        assert s in page
    n, k = len(doc["results"]), len([t for t in doc["tree"] if "id" in t])
    assert page.count('<rect class="bar"') == n
    dashboard = re.search(r'<svg class="chart dashboard".*?</svg>', page, flags=re.S).group(0)
    assert dashboard.count("<rect") == n * (k + 1)  # overall + one cell per domain
    assert page.count('class="radar-city"') == n
    assert page.count('<details class="city"') == n
    assert len(data_json(page)["rows"]) == n
    assert len(data_json(page)["ind"]) == len(doc["indicators"])
    if lang == "zh":
        assert "仪表板" in page and "排名" in page and doc["framework"]["name"]["zh"] in page
        assert doc["tree"][0]["name"]["zh"] in page
    else:
        assert "Dashboard" in page and "仪表板" not in page and doc["tree"][0]["name"]["en"] in page


def test_registry_gives_the_html_renderer() -> None:
    assert renderer("html") is html.render


def test_deterministic(doc: dict[str, Any], panel: dict[str, Any]) -> None:
    for d, city in ((doc, None), (panel, None), (panel, panel["results"][0]["city"])):
        first = html.render(d, "zh", city)
        assert html.render(json.loads(json.dumps(d)), "zh", city) == first


def test_self_contained(doc: dict[str, Any], panel: dict[str, Any]) -> None:
    """No URL is fetched: no external src/href, stylesheet link, script src, CSS import or url()."""
    external = re.compile(r"""(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""", re.I)
    for page in (text(doc, "zh"), text(panel, "en"), text(panel, "zh", panel["results"][0]["city"])):
        assert not external.search(page), external.search(page)
        assert "<link" not in page and "@import" not in page and "url(" not in page
        assert not re.search(r"<script[^>]*\bsrc\s*=", page)
        assert not re.search(r"<(?:img|iframe|object|embed|video|audio|source)\b", page)
        assert "http://" not in page and "https://" not in page  # inline SVG needs no xmlns
        # every href is an in-page anchor or an SVG <use> reference
        assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', page))


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize("city", [None, XSS_CITY, XSS_ATTR])
def test_data_text_is_escaped(doc: dict[str, Any], city: str | None) -> None:
    d = hostile(doc)
    page = text(d, "zh", city)
    for raw in (XSS_CITY, XSS_ATTR, "<script>alert(2)", "<i onmouseover", "<b>框架</b>", 'a"b<c>', "<a href=javascript"):
        assert raw not in page
    shown = [XSS_CITY, XSS_ATTR] if city is None else [city]
    for name in shown:
        assert html.esc(name) in page  # shown as text
    if city != XSS_ATTR:  # the issue's message names the other city
        assert "bad value (city &lt;script&gt;alert(1)&lt;/script&gt;)" in page
    assert "&lt;b&gt;框架&lt;/b&gt;" in page and "a&quot;b&lt;c&gt;.xlsx" in page
    # exactly our two scripts (the data and the code) on the report, the code on the city page
    assert len(re.findall(r"<script\b", page)) == (1 if city else 2)
    if city is None:
        assert "\u2028" not in page and "\u2029" not in page  # the JSON escapes them
        data = data_json(page)  # the first </script> closes the data: nothing inside broke out
        assert data["ind"][0][0] == "</script><script>alert(2)</script>"
        assert data["ind"][0][1] == "a\u2028b&c"
        assert "\\u003c/script\\u003e" in page
    else:
        assert f"{html.esc(city)} · " in page  # the page's heading names the city, escaped


def test_script_json_escapes() -> None:
    out = html.script_json({"a": "</script>&<!--\u2028\u2029"})
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"a": "</script>&<!--\u2028\u2029"}


# --------------------------------------------------------------------------- one city


def test_city_page(doc: dict[str, Any]) -> None:
    city = doc["results"][2]["city"]
    page = text(doc, "zh", city)
    assert f"<h1>{city} · 城市画像</h1>" in page
    other = doc["results"][0]["city"]
    assert other not in page  # only this city (and the median of all) is shown
    assert page.count('class="radar-city"') == 1 and '<circle class="pt"' in page
    table = re.search(r'<table class="sortable detail-table">.*?</table>', page, flags=re.S).group(0)
    assert table.count("<tr>") == len(doc["indicators"]) + 1
    assert 'id="citystd-data"' not in page  # everything is static HTML
    assert '<section id="trends">' not in page
    has_gaps = any(g.get("city") == city for g in doc.get("gaps") or [])
    assert ('<section id="gaps">' in page) == has_gaps
    assert "第 3 名 / 共 30 个" in page


def test_city_page_with_years(panel: dict[str, Any]) -> None:
    city = panel["results"][-1]["city"]
    page = text(panel, "en", city)
    assert '<section id="trends">' in page
    assert page.count('class="line city"') == 1 and 'class="line median"' in page
    years = sorted({r["year"] for r in panel["results"]})
    assert f"Year {years[-1]} (latest of {years[0]}–{years[-1]})." in page
    assert "CAGR" in page  # the indicator table shows the trends of this city


def test_report_with_years(panel: dict[str, Any]) -> None:
    page = text(panel, "zh")
    assert '<section id="trends">' in page
    latest = max(r["year"] for r in panel["results"])
    n = sum(1 for r in panel["results"] if r["year"] == latest)
    assert page.count('<details class="city"') == n  # profiles of the latest year
    assert page.count('class="line top"') == 5


def test_unknown_city(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="is not in the results"):
        html.render(doc, "en", "Atlantis")


def test_gaps_when_the_document_has_them(doc: dict[str, Any]) -> None:
    """The one-city page lists the largest gaps of the document's gap analysis (issue 6)."""
    city = doc["results"][0]["city"]
    d = copy.deepcopy(doc)
    d["gaps"] = [{"city": city, "year": None, "indicators": {"engel_coefficient": {
        "value": 29.67, "score": 51.65, "best": 20.0, "target": {"value": 25.0, "year": 2030},
        "gap_to_best": 9.67, "gap_to_target": 4.67, "weight": 0.0064, "points": 0.31, "priority": 1}}}]
    page = text(d, "en", city)
    section = re.search(r'<section id="gaps">.*?</section>', page, flags=re.S).group(0)
    assert "Engel coefficient of households" in section
    for cell in ("29.67", "25 (2030)", "4.67", "9.67", "0.31"):
        assert f">{cell}<" in section
    assert '<a href="#gaps">' in page
    d["gaps"] = []
    assert '<section id="gaps">' not in text(d, "en", city)


# --------------------------------------------------------------------------- issues, method, odd documents


def test_issues_records_and_method(score_json: Any) -> None:
    d = score_json(str(SCORE_FIXTURES / "cities_bad.csv"), "-f", str(SCORE_FIXTURES / "framework.yaml"),
              "--library", str(SCORE_FIXTURES), "--keep-going")
    assert d["issues"]
    d["records"] = [{"city": "Aston", "year": None, "indicator": "pm25", "stage": "impute",
                     "action": "imputed:mean", "before": None, "after": 31.5}] * (html.MAX_RECORDS + 5)
    page = text(d, "en")
    issues = re.search(r'<section id="issues">.*?</section>', page, flags=re.S).group(0)
    assert issues.count("<td>D7") == len(d["issues"])
    assert "… and 5 more rows in the results JSON." in issues
    method = re.search(r'<section id="method">.*?</section>', page, flags=re.S).group(0)
    for step in d["pipeline"]:
        assert f"<b>{next(iter(step))}</b>" in method
    assert "50.000%" in method  # unemployment_rate's effective weight 0.5


def test_no_issues_message(doc: dict[str, Any]) -> None:
    assert "No data issues were found." in text(doc, "en")
    assert "未发现数据问题。" in text(doc, "zh")


def test_two_domains_get_bars_not_a_radar(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    d["tree"] = d["tree"][:2]
    page = text(d, "en")
    assert "radar-city" not in page and "radar-grid" not in page
    city = text(d, "en", d["results"][0]["city"])
    assert city.count('class="bar profile"') == 2


def test_unbounded_scores_and_empty_results(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    for r in d["results"]:  # z-scores: negative and above the normalisation range
        r["score"] = (r["score"] - 55) / 2
        for n in r["nodes"].values():
            n["score"] = None if n["score"] is None else (n["score"] - 55) / 3
    page = text(d, "en")
    seen = [r["score"] for r in d["results"]] + [n["score"] for r in d["results"] for n in r["nodes"].values()
                                                  if n["score"] is not None]
    assert f"(scale {math.floor(min(seen))}–{math.ceil(max(seen))})" in page  # the observed range
    empty = copy.deepcopy(doc)
    empty["results"] = []
    page = text(empty, "zh")
    assert "<svg" in page and page.count('<details class="city"') == 0


# --------------------------------------------------------------------------- size


def synthetic(cities: int, indicators: int, domains: int = 10, seed: int = 0) -> dict[str, Any]:
    """A results document of the contract's shape, long bilingual names, without scoring."""
    rng = random.Random(seed)
    per = indicators // domains
    ids = [f"indicator_{i:03d}" for i in range(indicators)]
    tree = [{"id": f"domain_{d}", "name": {"zh": f"第{d}领域城市可持续发展", "en": f"Domain {d}: sustainable city"},
             "weight": 1.0, "level": 1,
             "children": [{"indicator": i, "weight": 1.0} for i in ids[d * per:(d + 1) * per]]} for d in range(domains)]
    meta = {i: {"name": {"zh": f"每万人拥有的城市公共服务设施数量{k}", "en": f"Public service facilities per 10,000 residents {k}"},
                "domain": f"domain_{k // per}", "unit": {"zh": "个/万人", "en": "per 10,000 residents"},
                "direction": "higher", "goalposts": {"worst": 0.0, "best": 100.0}, "target": None,
                "thresholds": {"green": 75.0, "yellow": 50.0, "orange": 25.0} if k % 3 == 0 else None}
            for k, i in enumerate(ids)}
    results = []
    for c in range(cities):
        inds = {}
        for k, i in enumerate(ids):
            v = rng.uniform(0, 100)
            inds[i] = {"value": v * 1.2345, "score": v, "rank": rng.randint(1, cities),
                       "rating": ("green" if v > 75 else "yellow" if v > 50 else "red") if k % 3 == 0 else None}
        nodes = {f"domain_{d}": {"score": rng.uniform(20, 80), "rank": rng.randint(1, cities),
                                 "rating": rng.choice(["green", "yellow", "orange", "red", None]), "coverage": 1.0}
                 for d in range(domains)}
        results.append({"city": f"城市{c:03d}", "year": 2023, "score": rng.uniform(30, 70), "rank": c + 1,
                        "rating": "yellow", "coverage": 0.987, "nodes": nodes, "indicators": inds})
    return {"citystd_version": "0.1.0",
            "framework": {"id": "synthetic", "version": "1.0.0", "sha256": "0" * 64, "name": {"zh": "合成", "en": "Synthetic"}},
            "input": {"file": "synthetic.csv", "sha256": "1" * 64, "sheet": None, "layout": "wide"},
            "pipeline": [{"normalise": {"method": "goalposts", "range": [0.0, 100.0]}},
                         {"weights": {"method": "manual", "effective": {i: 1 / indicators for i in ids}}},
                         {"aggregate": {"method": "arithmetic"}}],
            "tree": tree, "indicators": meta, "results": results, "dropped": [], "records": [], "issues": [], "trends": []}


def test_size_300_cities_300_indicators() -> None:
    """Issue 5: under 3 MB for 300 cities (speed is measured in benchmarks/bench_html.py)."""
    page = html.render(synthetic(300, 300), "zh")
    assert len(page) < 3_000_000, len(page)
    assert page.decode("utf-8").count('<details class="city"') == 300


# --------------------------------------------------------------------------- svg primitives


def test_svg_helpers() -> None:
    assert svg.esc('<a b="c">&') == "&lt;a b=&quot;c&quot;&gt;&amp;"
    assert svg.num(1.0) == "1" and svg.num(2.54) == "2.5" and svg.num(-0.04) == "0"
    assert svg.clip("城市可持续发展", 30, 10).endswith("…") and svg.clip("short", 200, 10) == "short"
    assert svg.wrap("Urban sustainable development", 120, 11) == ["Urban sustainable", "development"]
    assert svg.wrap("城市政务服务（含营商环境）", 120, 11) == ["城市政务服务", "（含营商环境）"]
    lo, hi, ticks = svg.nice_range([52.0, 58.5], 0, 100)
    assert lo <= 52 and hi >= 58.5 and ticks[0] == lo and ticks[-1] == hi
    chart = svg.bar_chart([svg.Bar("A", 50, "#000", title="<t>"), svg.Bar("B", None, "#000")])
    assert chart.count("<rect") == 1 and "&lt;t&gt;" in chart and "—" in chart
    with pytest.raises(ValueError):
        svg.radar(["a", "b"], [])
