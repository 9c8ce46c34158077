"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

The report is written to a temporary directory and opened from its ``file://`` URL. The tests
assert that the charts were drawn (SVG elements with the expected counts and a size on screen),
that nothing was fetched but the file itself, that the page logged no error and opened no dialog
(a city named ``<script>alert(1)</script>`` is shown as text, its script never runs), that
Chinese text is there with ``lang="zh"``, that clicking a column header sorts a table, and that a
city's profile is built when opened. Full-page screenshots go to ``test-artifacts/``.

Chromium comes from Debian (``/usr/bin/chromium``; ``.ci/run`` installs it with apt), never from
``playwright install``. Without it the tests fail — they do not skip.

``python tests/report/test_html_browser.py`` regenerates the screenshots of docs/reports-html.md
(``docs/img/html-*.png``).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.report import html

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"
XSS_CITY = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


def score(path: str) -> dict[str, Any]:
    r = CliRunner().invoke(app, ["score", path, "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return score(str(ROOT / "examples" / "cities-2023.xlsx"))


@pytest.fixture(scope="module")
def panel() -> dict[str, Any]:
    return score(str(ROOT / "examples" / "cities-2019-2023.csv"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, or the reason it cannot start (the tests then fail with it)."""
    if not CHROMIUM.exists():
        yield (f"{CHROMIUM} is missing: the HTML report is tested in Debian's Chromium "
               "(apt-get install chromium; .ci/run installs it)")
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        yield "playwright is not installed: pip install -e '.[test]' (never 'playwright install')"
        return
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def need(browser: Any) -> Any:
    if isinstance(browser, str):
        pytest.fail(browser, pytrace=False)
    return browser


@dataclass
class Visit:
    """An open page and everything it did."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests == [self.url], f"network requests besides the file: {self.requests}"
        assert self.errors == [], self.errors
        assert self.console == [], self.console
        assert self.dialogs == [], f"a dialog opened (script from the data ran?): {self.dialogs}"


def visit(browser: Any, path: Path, width: int = 1280, height: int = 900) -> Visit:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    v = Visit(page, path.resolve().as_uri())
    page.on("request", lambda r: v.requests.append(r.url))
    page.on("console", lambda m: v.console.append(f"{m.type}: {m.text}") if m.type in ("error", "assert") else None)
    page.on("pageerror", lambda e: v.errors.append(str(e)))

    def dialog(d: Any) -> None:
        v.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(v.url, wait_until="load")
    return v


def column(page: Any, table: str, index: int) -> list[str]:
    """The texts of column ``index`` (0-based) of the first table matching ``table``."""
    return page.eval_on_selector(
        table, f"t => Array.from(t.tBodies[0].rows, r => r.cells[{index}].textContent.trim())")


def numbers(texts: list[str]) -> list[float]:
    return [float(t) for t in texts if t not in ("", "—")]


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    names = {d["results"][0]["city"]: XSS_CITY, d["results"][1]["city"]: XSS_ATTR}
    for r in d["results"]:
        r["city"] = names.get(r["city"], r["city"])
    return d


def test_report_in_chromium(browser: Any, doc: dict[str, Any], tmp_path: Path) -> None:
    b = need(browser)
    from playwright.sync_api import expect

    d = hostile(doc)
    v = visit(b, write(tmp_path, "report.html", html.render(d, "zh")))
    page = v.page
    n = len(d["results"])
    domains = len([t for t in d["tree"] if "id" in t])

    # charts drawn: as many bars, cells and radars as cities (× domains), with a size on screen
    assert page.locator("svg.bars rect.bar").count() == n
    assert page.locator("svg.dashboard rect").count() == n * (domains + 1)
    assert page.locator("polygon.radar-city").count() == n
    for chart in ("svg.bars", "svg.dashboard"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 300, (chart, box)
    fills = set(page.eval_on_selector_all("svg.dashboard rect", "rs => rs.map(r => r.getAttribute('fill'))"))
    assert fills & {"#2e9e44", "#f2c318", "#f08a24", "#d7301f"}  # traffic lights from the ratings

    # Chinese, and the hostile city names shown as text
    assert page.evaluate("document.documentElement.lang") == "zh"
    body = page.inner_text("body")
    assert "仪表板" in body and "各城市画像" in body and d["results"][2]["city"] in body
    assert XSS_CITY in body and XSS_ATTR in body
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 2  # the data and the code, nothing injected

    # sorting: the summary table by score, ascending then descending
    summary = "table.summary"
    before = numbers(column(page, summary, 2))
    assert before == sorted(before, reverse=True)
    page.locator(f"{summary} th").nth(2).click()
    after = numbers(column(page, summary, 2))
    assert after == sorted(before) and after != before
    assert page.locator(f"{summary} th").nth(2).get_attribute("aria-sort") == "ascending"
    page.locator(f"{summary} th").nth(2).click()
    assert numbers(column(page, summary, 2)) == sorted(before, reverse=True)
    page.locator(f"{summary} th").nth(1).click()  # by city name (text)
    assert column(page, summary, 1) != [r["city"] for r in d["results"]]

    # a profile is built when opened: domain table, strengths, weaknesses, then the indicators
    first = page.locator("details.city").first
    first.locator("> summary").click()  # the table is built on the (asynchronous) toggle event
    expect(first.locator("table.domains tbody tr")).to_have_count(domains)
    expect(first.locator("ol.best li")).to_have_count(3)
    expect(first.locator("ol.worst li")).to_have_count(3)
    box = first.locator("polygon.radar-city").bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50
    assert XSS_CITY in first.locator("> summary").inner_text()
    detail = first.locator("details.detail")
    detail.locator("summary").click()
    expect(detail.locator("table.detail-table tbody tr")).to_have_count(len(d["indicators"]))
    detail.locator("table.detail-table th").nth(5).click()  # score, ascending, missing last
    scores = column(page, "details.city[open] table.detail-table", 5)
    nums = numbers(scores)
    assert nums == sorted(nums) and len(nums) > 100
    assert all(s == "—" for s in scores[len(nums):])  # missing scores sort last

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-report-zh.png"), full_page=True)
    v.assert_clean()
    page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_fits_and_names_stay_whole(browser: Any, panel: dict[str, Any], tmp_path: Path, lang: str) -> None:
    """At 1280 pixels the summary table of the 13 action-plan domains fits its card without a
    scroll bar (its domain headers wrap between words), no city name wraps in any table, and the
    Method section is sentences, not parameter lists."""
    b = need(browser)
    v = visit(b, write(tmp_path, f"report-{lang}.html", html.render(panel, lang)))
    page = v.page
    fit = page.evaluate("""() => { const t = document.querySelector('table.summary');
        return [t.scrollWidth, t.closest('.tablewrap').clientWidth]; }""")
    assert fit[0] <= fit[1], f"the summary table is {fit[0]} px wide in a {fit[1]} px card"
    wrapped = page.evaluate("""() => Array.from(document.querySelectorAll('td.city'), c => {
        const lh = parseFloat(getComputedStyle(c).lineHeight); return [c.textContent, c.getBoundingClientRect().height > 1.5 * lh];
      }).filter(x => x[1]).map(x => x[0])""")
    assert wrapped == [] and page.locator("table.summary td.city").count() == len({r["city"] for r in panel["results"]})
    method = page.locator("#method table.pipeline").inner_text()
    assert "=—" not in method and "effective=[" not in method and "=[" not in method
    sentence = "Each indicator is scored between its goalposts" if lang == "en" else "按目标值区间计分"
    assert sentence in method
    # scrolled sideways on a narrow screen, the city column stays in view
    narrow = visit(b, write(tmp_path, f"narrow-{lang}.html", html.render(panel, lang)), width=420)
    wrap = narrow.page.locator("table.summary").locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth - w.clientWidth") > 200
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    left = narrow.page.evaluate("""() => { const c = document.querySelector('table.summary td.city');
        return c.getBoundingClientRect().left - c.closest('.tablewrap').getBoundingClientRect().left; }""")
    assert abs(left) < 2, left
    v.assert_clean()
    narrow.assert_clean()


def test_city_page_in_chromium(browser: Any, panel: dict[str, Any], tmp_path: Path) -> None:
    b = need(browser)
    city = panel["results"][-1]["city"]
    v = visit(b, write(tmp_path, "city.html", html.render(panel, "en", city)))
    page = v.page
    domains = len([t for t in panel["tree"] if "id" in t])
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("polygon.radar-city").count() == 1
    assert page.locator("svg.radar circle.pt").count() == domains
    assert page.locator("polyline.city").count() >= 1 and page.locator("polyline.median").count() >= 1
    box = page.locator("svg.lines").bounding_box()
    assert box and box["width"] > 300
    assert city in page.inner_text("h1")

    table = "table.detail-table"
    assert page.locator(f"{table} tbody tr").count() == len(panel["indicators"])
    page.locator(f"{table} th").nth(6).click()  # rank
    ranks = numbers(column(page, table, 6))
    assert ranks == sorted(ranks) and len(ranks) > 100

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-city-en.png"), full_page=True)
    v.assert_clean()
    page.context.close()


# --------------------------------------------------------------------------- docs/img screenshots


def doc_screenshots(out: Path) -> list[Path]:
    """The screenshots of docs/reports-html.md, from the bundled examples (run from the repo root)."""
    from playwright.sync_api import sync_playwright

    os.chdir(ROOT)  # the report names its input file as given: examples/…
    out.mkdir(parents=True, exist_ok=True)
    tmp = ROOT / "test-artifacts"
    tmp.mkdir(exist_ok=True)
    one, five = score("examples/cities-2023.xlsx"), score("examples/cities-2019-2023.csv")
    city = one["results"][0]["city"]
    pages = {
        "report-zh": write(tmp, "report-zh.html", html.render(one, "zh")),
        "report-en": write(tmp, "report-en.html", html.render(five, "en")),
        "city-zh": write(tmp, "city-zh.html", html.render(five, "zh", city)),
        "city-en": write(tmp, "city-en.html", html.render(one, "en", city)),
    }
    still = "nav.toc{position:static}"
    shots = [
        ("report-zh", None, "html-report-zh.png", (1280, 900)),
        ("report-zh", "#dashboard", "html-dashboard-zh.png", None),
        ("report-en", "#trends", "html-trends-en.png", None),
        ("report-en", "details.city", "html-profile-en.png", None),
        ("city-zh", None, "html-city-zh.png", (1280, 1200)),
        ("city-en", "#indicators", "html-city-indicators-en.png", (1280, 900)),
        ("report-en", "table.summary", "html-summary-en.png", (1280, 900)),
        ("report-en", "#method table.pipeline", "html-method-en.png", (1280, 900)),
        ("report-zh", "#method table.pipeline", "html-method-zh.png", (1280, 900)),
    ]
    written = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for key, selector, name, size in shots:
            v = visit(b, pages[key], *(size or (1280, 900)))
            v.page.add_style_tag(content=still)
            target = out / name
            if selector is None:
                v.page.screenshot(path=str(target))
            else:
                loc = v.page.locator(selector).first
                if selector.startswith("details"):
                    loc.locator("> summary").click()
                    loc.locator("table.domains").wait_for()
                if selector == "#indicators":
                    v.page.screenshot(path=str(target), full_page=True, clip={**loc.bounding_box(), "height": 900})
                else:
                    loc.screenshot(path=str(target))
            v.assert_clean()
            v.page.context.close()
            written.append(target)
        b.close()
    return written


if __name__ == "__main__":
    for path in doc_screenshots(ROOT / "docs" / "img"):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KiB")
    sys.exit(0)
