"""Screenshots of the Excel report for docs/reports.md (LibreOffice headless + poppler).

    .venv/bin/python docs/img/make_excel_screenshots.py [--out docs/img]

Scores the bundled examples, renders the Excel reports (all cities in Chinese and English, one
city's profile over 2019–2023 in Chinese), prints them to PDF with ``soffice --headless
--convert-to pdf``, finds the first page of each sheet by its header text (``pdftotext``), crops
the page to its content (word boxes from ``pdftotext -bbox``, plus the charts' area) and writes a
PNG with ``pdftoppm``. Needs ``libreoffice-calc``, ``poppler-utils`` and ``fonts-noto-cjk``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DPI = 110

#: (png name, workbook, text that marks the sheet's first page, max crop height in points, min width)
SHOTS = [
    ("excel-summary-zh.png", "all-zh.xlsx", "数据覆盖率（%）", 560, 0),
    ("excel-domains-zh.png", "all-zh.xlsx", "综合（0–100）", 330, 0),
    ("excel-indicators-en.png", "all-en.xlsx", "Indicator id", 300, 0),
    ("excel-gaps-en.png", "all-en.xlsx", "Gap to target", 300, 0),
    ("excel-method-en.png", "all-en.xlsx", "Pipeline", 330, 0),
    ("excel-profile-zh.png", "city-zh.xlsx", "城市画像", 560, 0),
    ("excel-trend-zh.png", "city-zh.xlsx", "综合得分历年变化", 420, 0),
    ("excel-indicator-trends-zh.png", "city-zh.xlsx", "年均增长率（%）", 300, 0),
]


def run(*cmd: str, cwd: Path | None = None) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd).stdout


def citystd(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "citystd", *args], check=True, cwd=cwd, capture_output=True)


def page_of(pdf: Path, marker: str) -> int:
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(pdf))).group(1))  # type: ignore[union-attr]
    for p in range(1, pages + 1):
        if marker in run("pdftotext", "-f", str(p), "-l", str(p), "-layout", str(pdf), "-"):
            return p
    raise SystemExit(f"{marker!r} not found in {pdf}")


def content_box(pdf: Path, page: int, max_height: float) -> tuple[float, float, float, float]:
    """Union of the word boxes on the page (points), the chart frames included via their labels."""
    html = run("pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-")
    boxes = [tuple(map(float, m)) for m in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    x0 = min(b[0] for b in boxes) - 8
    y0 = min(b[1] for b in boxes) - 8
    x1 = max(b[2] for b in boxes) + 16
    y1 = min(max(b[3] for b in boxes) + 12, y0 + max_height)
    return max(x0, 0), max(y0, 0), x1, y1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = ap.parse_args()
    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install libreoffice-calc poppler-utils fonts-noto-cjk")
    work = Path(tempfile.mkdtemp(prefix="citystd-shots-"))
    try:
        ex = ROOT / "examples"
        citystd("score", str(ex / "cities-2023.xlsx"), "-o", "all.json", cwd=work)
        citystd("report", "all.json", "-o", "all-zh.xlsx", "--lang", "zh", cwd=work)
        citystd("report", "all.json", "-o", "all-en.xlsx", "--lang", "en", cwd=work)
        citystd("score", str(ex / "cities-2019-2023.csv"), "-o", "panel.json", cwd=work)
        citystd("report", "panel.json", "-o", "city-zh.xlsx", "--city", "丹崖市", "--lang", "zh", cwd=work)
        for book in sorted({s[1] for s in SHOTS}):
            run("soffice", "--headless", "--convert-to", "pdf", book, cwd=work)
        for name, book, marker, max_h, _ in SHOTS:
            pdf = work / book.replace(".xlsx", ".pdf")
            page = page_of(pdf, marker)
            x0, y0, x1, y1 = content_box(pdf, page, max_h)
            k = DPI / 72
            stem = work / name.removesuffix(".png")
            run("pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
                "-x", str(int(x0 * k)), "-y", str(int(y0 * k)), "-W", str(int((x1 - x0) * k)),
                "-H", str(int((y1 - y0) * k)), str(pdf), str(stem))
            target = args.out / name
            shutil.copyfile(stem.with_suffix(".png"), target)
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                  f"{target.stat().st_size / 1024:.0f} KB (page {page} of {book})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
