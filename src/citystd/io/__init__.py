"""Readers for city data files (IO stays at the edges).

>>> from citystd.io import read_city_data
>>> data = read_city_data("city.xlsx", {"pm25": ["PM2.5", "细颗粒物"]})  # doctest: +SKIP
>>> data.values.loc[("北京", 2019), "pm25"]  # doctest: +SKIP
>>> str(data.locate("北京", 2019, "pm25"))  # doctest: +SKIP
'city.xlsx › Sheet1!C5'

See :mod:`citystd.io.read` (files and the detection step), :mod:`citystd.io.inputs` (several
files and folders as one data set), the dialects :mod:`citystd.io.plain`,
:mod:`citystd.io.yearbook`, :mod:`citystd.io.panel` and :mod:`citystd.io.template_layout`,
:mod:`citystd.io.headers` and :mod:`citystd.io.vocabulary` (how columns are recognised),
:mod:`citystd.io.cells` (cell values) and :mod:`citystd.io.model` (the result).
"""

from typing import Any

# Loaded on first use (PEP 562), so that the small modules of this package (guard, outpath,
# atomic) can be imported without pandas: `citystd --help` and `citystd validate` stay light.
_LAZY = {
    "EXCEL_ERRORS": "cells", "MISSING_MARKERS": "cells", "header_key": "cells", "parse_numbers": "cells",
    "CellMap": "model", "CityData": "model", "ColumnInfo": "model", "DataSource": "model",
    "read_city_data": "read", "read_frame": "read",
    "CITY_ALIASES": "table", "CODE_ALIASES": "table", "VALUE_ALIASES": "table", "VARIABLE_ALIASES": "table",
    "YEAR_ALIASES": "table", "Term": "vocabulary", "Vocabulary": "vocabulary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"citystd.io.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'citystd.io' has no attribute {name!r}")


__all__ = [
    "CITY_ALIASES",
    "CODE_ALIASES",
    "EXCEL_ERRORS",
    "MISSING_MARKERS",
    "VALUE_ALIASES",
    "VARIABLE_ALIASES",
    "YEAR_ALIASES",
    "CellMap",
    "CityData",
    "ColumnInfo",
    "DataSource",
    "Term",
    "Vocabulary",
    "header_key",
    "parse_numbers",
    "read_city_data",
    "read_frame",
]
