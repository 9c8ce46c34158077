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

from citystd.io.cells import EXCEL_ERRORS, MISSING_MARKERS, header_key, parse_numbers
from citystd.io.model import CellMap, CityData, ColumnInfo, DataSource
from citystd.io.read import read_city_data
from citystd.io.table import CITY_ALIASES, CODE_ALIASES, VALUE_ALIASES, VARIABLE_ALIASES, YEAR_ALIASES
from citystd.io.vocabulary import Term, Vocabulary

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
]
