"""The HTML audit report in a real browser (Debian's Chromium, headless, via Playwright), as the
score report is tested in test_html_browser.py (its helpers and browser fixture are reused).

An audit of COINr's ASEM example (imported with `citystd import coinr`) with script-bearing city
and input names: the page requests nothing but itself, logs no error, opens no dialog; the charts
are drawn (an interval per city, Sobol bars with whiskers, heatmaps); tables sort; details open.

``python tests/report/test_audit_html_browser.py`` regenerates docs/img/audit-*.png.
"""

from __future__ import annotations

import copy
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from test_html_browser import (  # noqa: F401 - browser is a fixture
    ARGS,
    ARTIFACTS,
    CHROMIUM,
    ROOT,
    browser,
    column,
    need,
    numbers,
    visit,
    write,
)
from typer.testing import CliRunner

from citystd.cli import app
from citystd.report import audit_html

ASEM = ROOT / "tests" / "data" / "asem"
XSS = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
UNCERTAINTY = [
    {"name": "winmax", "step": "treat", "param": "winmax", "values": [3, 5]},
    {"name": "normalisation", "step": "normalise", "param": "method", "values": ["minmax", "percentile_rank"]},
    {"name": "aggregation", "step": "aggregate", "param": "method", "values": ["arithmetic", "geometric"]},
    {"name": "weights", "weights_noise": 0.25},
]


def asem_audit(tmp: Path, n: int = 16) -> dict[str, Any]:
    from citystd.assessment.audit.io import audit_data

    lib = tmp / "asem"
    if not lib.exists():
        r = CliRunner().invoke(app, ["import", "coinr", str(ASEM / "iData.csv"), str(ASEM / "iMeta.csv"), "-o", str(lib),
                                     "--framework-id", "asem"])
        assert r.exit_code == 0, r.output
    out = audit_data(lib / "data.csv", "asem", UNCERTAINTY, library=[lib], n=n, bootstrap=100, city="CHN",
                     size=["population"], sets=["normalise.range=[1, 100]"])
    assert out.document is not None, out.diagnostics
    return out.document


@pytest.fixture(scope="module")
def audit_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return asem_audit(tmp_path_factory.mktemp("audit-browser"))


def test_audit_report_in_chromium(browser: Any, audit_doc: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    b = need(browser)
    d = copy.deepcopy(audit_doc)
    rename = {d["ranks"][0]["city"]: XSS, d["ranks"][1]["city"]: XSS_ATTR}
    for r in d["ranks"]:
        r["city"] = rename.get(r["city"], r["city"])
    d["uncertainty"][0]["name"] = XSS_ATTR
    for s in d["sensitivity"]:
        s["indices"][0]["input"] = XSS_ATTR
    v = visit(b, write(tmp_path, "audit.html", audit_html.render(d, "zh")))
    page = v.page
    units, inputs = d["settings"]["units"], len(d["uncertainty"])
    assert page.evaluate("document.documentElement.lang") == "zh"

    # the rank intervals: one per city, drawn with a size; the chart is tall enough for all
    assert page.locator("svg.intervals g.interval").count() == units
    box = page.locator("svg.intervals").bounding_box()
    assert box and box["width"] > 600 and box["height"] > 12 * units
    bar = page.locator("svg.intervals g.interval rect").first.bounding_box()
    assert bar and bar["width"] >= 1 and bar["height"] > 3
    # Sobol bars with whiskers, for the mean rank shift and for CHN's rank
    assert page.locator("rect.sobol").count() == 2 * inputs * len(d["sensitivity"])
    assert page.locator("path.whisker").count() == 2 * inputs * len(d["sensitivity"])
    # heatmaps: the root's is open and drawn; another opens on click
    maps = page.locator("details.heatmap")
    assert maps.count() == len(d["coherence"]["nodes"])
    assert maps.first.locator("svg.dashboard").bounding_box()["width"] > 100
    second = maps.nth(1)
    second.locator("> summary").click()
    assert second.locator("svg.dashboard").bounding_box()["height"] > 50

    # hostile names are text; nothing ran
    body = page.inner_text("body")
    assert XSS in body and XSS_ATTR in body and "排名区间" in body and "敏感性" in body
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 1

    # sorting: the ranks table by the median rank, then by the interval (its width)
    table = "table.ranks"
    page.locator(f"{table} th").nth(3).click()
    medians = numbers(column(page, table, 3))
    assert medians == sorted(medians) and len(medians) == units
    page.locator(f"{table} th").nth(4).click()
    widths = [float(t.split("–")[1]) - float(t.split("–")[0]) for t in column(page, table, 4)]
    assert all(b >= a - 0.11 for a, b in itertools.pairwise(widths))  # shown to 0.1, sorted exactly

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-report-zh.png"), full_page=True)
    v.assert_clean()
    page.context.close()


def doc_screenshots(out: Path) -> list[Path]:
    """docs/img/audit-*.png: the ASEM audit (N = 256) in both languages."""
    import tempfile

    from playwright.sync_api import sync_playwright

    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        doc = asem_audit(Path(tmp), n=256)
        doc["input"]["file"] = "asem/data.csv"  # as in docs/audit.md, not the temporary path
        pages = {lang: write(Path(tmp), f"audit-{lang}.html", audit_html.render(doc, lang)) for lang in ("en", "zh")}
        shots = [("zh", None, "audit-report-zh.png"), ("en", "#ranks", "audit-ranks-en.png"),
                 ("en", "#sensitivity", "audit-sensitivity-en.png"), ("zh", "#coherence", "audit-coherence-zh.png")]
        written = []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            for lang, selector, name in shots:
                v = visit(b, pages[lang], 1280, 900)
                v.page.add_style_tag(content="nav.toc{position:static}")
                target = out / name
                if selector is None:
                    v.page.screenshot(path=str(target))
                else:
                    v.page.locator(selector).first.screenshot(path=str(target))
                v.assert_clean()
                v.page.context.close()
                written.append(target)
            b.close()
    return written


if __name__ == "__main__":
    for path in doc_screenshots(ROOT / "docs" / "img"):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KiB")
    sys.exit(0)
