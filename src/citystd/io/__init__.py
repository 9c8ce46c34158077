"""Readers for city data files (IO stays at the edges).

>>> from citystd.io import read_city_data
>>> data = read_city_data("city.xlsx", {"pm25": ["PM2.5", "细颗粒物"]})  # doctest: +SKIP
>>> data.values.loc[("北京", 2019), "pm25"]  # doctest: +SKIP
>>> str(data.locate("北京", 2019, "pm25"))  # doctest: +SKIP
'city.xlsx › Sheet1!C5'

See :mod:`citystd.io.read` (files), :mod:`citystd.io.cells` (cell values),
:mod:`citystd.io.layout` (wide and long tables) and :mod:`citystd.io.model` (the result).
"""

from citystd.io.cells import EXCEL_ERRORS, MISSING_MARKERS, header_key, parse_numbers
from citystd.io.layout import CITY_ALIASES, VALUE_ALIASES, VARIABLE_ALIASES, YEAR_ALIASES, Vocabulary
from citystd.io.model import CellMap, CityData, DataSource
from citystd.io.read import read_city_data

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
