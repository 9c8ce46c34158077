"""Screenshots of the templates for docs/self-assessment.md (not run by the tests).

    python docs/img/make_template_screenshots.py

Needs LibreOffice and poppler (``apt-get install -y libreoffice-calc poppler-utils
fonts-noto-cjk``). Each sheet is printed by LibreOffice (headless) to PDF with row and column
headings, as a spreadsheet shows it, and the top of the first page becomes a PNG:

- ``template-data-zh.png``: the data sheet of the pilot city's filled template;
- ``template-instructions-zh.png``: its instruction sheet;
- ``template-multi-city-zh.png``: a multi-city template (sdg11, three cities, 2023), one city filled.
"""

from __future__ import annotations

import csv
import io
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.worksheet.page import PageMargins

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
PILOT = ROOT / "examples" / "pilot-city" / "pilot-city-2020-2024.xlsx"


def shot(book: bytes, sheet: int, area: str, name: str, *, scale: int, dpi: int, width: int, height: int) -> Path:
    """Print ``area`` of sheet ``sheet`` (the others hidden) and keep the top-left ``width × height`` px."""
    wb = load_workbook(io.BytesIO(book))
    for k, ws in enumerate(wb.worksheets):
        ws.sheet_state = "visible" if k == sheet else "hidden"
    ws = wb.worksheets[sheet]
    wb.active = sheet
    ws.print_area = area
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.scale = scale
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.print_options.headings = True
    ws.print_options.gridLines = True
    ws.page_margins = PageMargins(left=0.2, right=0.2, top=0.2, bottom=0.2, header=0, footer=0)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "shot.xlsx"
        wb.save(src)
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(src)], check=True,
                       capture_output=True, timeout=300)
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-x", "0", "-y", "0",
                        "-W", str(width), "-H", str(height), "-singlefile", str(Path(tmp) / "shot.pdf"), str(stem)],
                       check=True, timeout=120)
        out = OUT / name
        out.write_bytes(stem.with_suffix(".png").read_bytes())
    return out


def multi_city() -> bytes:
    """A three-city template for sdg11, the first city filled from the example panel's 2023."""
    from citystd.assessment.template import build_xlsx, workbook_bytes
    from citystd.library.select import load_framework

    lib, fw = load_framework("sdg11")
    cities = ["青川市", "白鹭市", "星湾市"]
    wb = load_workbook(io.BytesIO(build_xlsx(lib, fw, lang="zh", years=[2023], cities=cities)))
    ws = wb.worksheets[1]
    rows = csv.DictReader(io.StringIO((ROOT / "examples" / "cities-2019-2023.csv").read_text(encoding="utf-8-sig")))
    first = next(r for r in rows if r["city"] == cities[0] and r["year"] == "2023")
    for c in range(3, ws.max_column + 1):
        vid = ws.cell(row=7, column=c).value
        if vid in first:
            v = float(first[vid])
            ws.cell(row=8, column=c, value=int(v) if v.is_integer() else v)
    ws.cell(row=8, column=ws.max_column - 1, value="《青川市统计年鉴 2024》（虚构）")
    return workbook_bytes(wb)


def main() -> None:
    pilot = PILOT.read_bytes()
    for p in (
        shot(pilot, 1, "A1:K26", "template-data-zh.png", scale=80, dpi=95, width=1480, height=450),
        shot(pilot, 0, "A1:A15", "template-instructions-zh.png", scale=100, dpi=110, width=1365, height=440),
        shot(multi_city(), 1, "A1:H10", "template-multi-city-zh.png", scale=85, dpi=100, width=1400, height=345),
    ):
        print(p, p.stat().st_size)


if __name__ == "__main__":
    main()
