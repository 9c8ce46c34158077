"""Readers for city data files (IO stays at the edges).

>>> from citystd.io import read_city_data
>>> data = read_city_data("city.xlsx", {"pm25": ["PM2.5", "细颗粒物"]})  # doctest: +SKIP
>>> data.values.loc[("北京", 2019), "pm25"]  # doctest: +SKIP
>>> str(data.locate("北京", 2019, "pm25"))  # doctest: +SKIP
'city.xlsx › Sheet1!C5'

See :mod:`citystd.io.read` (files), :mod:`citystd.io.cells` (cell values),
:mod:`citystd.io.layout` (wide and long tables) and :mod:`citystd.io.model` (the result).
"""

from typing import Any

# Loaded on first use (PEP 562), so that the small modules of this package (guard, outpath,
# atomic) can be imported without pandas: `citystd --help` and `citystd validate` stay light.
_LAZY = {
    "EXCEL_ERRORS": "cells", "MISSING_MARKERS": "cells", "header_key": "cells", "parse_numbers": "cells",
    "CITY_ALIASES": "layout", "VALUE_ALIASES": "layout", "VARIABLE_ALIASES": "layout", "YEAR_ALIASES": "layout",
    "Vocabulary": "layout", "CellMap": "model", "CityData": "model", "DataSource": "model",
    "read_city_data": "read",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"citystd.io.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'citystd.io' has no attribute {name!r}")


__all__ = [
    "CITY_ALIASES",
    "EXCEL_ERRORS",
    "MISSING_MARKERS",
    "VALUE_ALIASES",
    "VARIABLE_ALIASES",
    "YEAR_ALIASES",
    "CellMap",
    "CityData",
    "DataSource",
    "Vocabulary",
    "header_key",
    "parse_numbers",
    "read_city_data",
]
