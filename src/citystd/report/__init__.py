"""Report renderers: every report is rendered from the results document (docs/results.md).

One module per output: ``excel`` (openpyxl workbook), ``html`` (one self-contained file with
SVG charts), ``markdown`` (summary for CI comments and wikis); ``labels`` holds the bilingual
labels they share. A renderer is a pure function ``render(doc, lang, city=None) -> bytes``;
writing the file (atomically) is the caller's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: file extension → (module, format name)
EXTENSIONS = {".xlsx": "xlsx", ".html": "html", ".htm": "html", ".md": "markdown", ".json": "json", ".csv": "csv",
              ".parquet": "parquet"}


def renderer(fmt: str) -> Callable[..., bytes]:
    """The ``render`` function of a report format (imported on demand)."""
    from importlib import import_module

    module = {"xlsx": "excel", "html": "html", "markdown": "markdown"}[fmt]
    return import_module(f"citystd.report.{module}").render  # type: ignore[no-any-return]


def doc_city_rows(doc: dict[str, Any], city: str | None) -> list[dict[str, Any]]:
    """The result rows of one city (all years), or all rows."""
    rows = doc["results"]
    return [r for r in rows if r["city"] == city] if city is not None else rows
