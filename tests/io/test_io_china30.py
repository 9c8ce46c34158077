"""Real, messy data: 30 Chinese cities × 2008–2017, every value a quoted string, some with
trailing spaces (see tests/data/china-30cities/SOURCE.md). One row per city and year: a wide
table per city-year, not a long (city, year, variable, value) table."""

from __future__ import annotations

from pathlib import Path

import pytest

from citystd.diagnostics import Location
from citystd.io import read_city_data

DATA = Path(__file__).parent.parent / "data" / "china-30cities" / "final_air_pollution_30cities.csv"

VOCAB = {
    "pm10": ["PM10", "可吸入颗粒物"],
    "so2": ["SO2", "二氧化硫"],
    "nox": ["NOx", "氮氧化物"],
    "pop_density": ["Population density", "人口密度"],
    "grp_pc": ["GRP per capita", "人均地区生产总值"],
    "total_gas_supply": ["Total gas supply", "燃气供应总量"],
    "green_coverage": ["Green coverage of built-up area", "建成区绿化覆盖率"],
}


@pytest.fixture(scope="module")
def data():
    return read_city_data(DATA, VOCAB, display="china30.csv")


def test_shape_and_types(data) -> None:
    assert data.source.layout == "wide"
    assert data.source.format == "csv" and data.source.encoding == "utf-8"
    assert data.values.shape == (300, 6)
    assert len(data.units) == 30 and data.years == list(range(2008, 2018))
    assert list(data.values.columns) == ["pm10", "so2", "nox", "pop_density", "grp_pc", "total_gas_supply"]
    assert (data.values.dtypes == "float64").all()
    assert data.values.notna().all().all()  # every value parses once stripped


def test_values_with_trailing_spaces(data) -> None:
    assert data.values.loc[("Beijing", 2008), "pop_density"] == 792.06  # "792.06 "
    assert data.values.loc[("Beijing", 2011), "pm10"] == 113.0  # "113 "
    assert data.values.loc[("Urumqi", 2017), "grp_pc"] > 0


def test_unknown_columns(data) -> None:
    got = {d.message.en.split('"')[1]: d for d in data.diagnostics}
    assert set(got) == {"green_coveraged", "post", "key_regions"}
    assert all(d.code == "D703" and d.location == Location("china30.csv", line=1) for d in got.values())
    assert got["green_coveraged"].hint.en == "did you mean 'green_coverage'?"
    assert data.attributes.loc[("Beijing", 2008), "key_regions"] == "1"
    assert not data.has_errors


def test_locations(data) -> None:
    # Beijing 2011 is the 4th data row: line 5 of the file
    assert data.locate("Beijing", 2011, "pm10") == Location("china30.csv", line=5)
    assert data.locate("Tianjin", 2008, "so2").line == 12
    assert data.locate("Urumqi", 2017, "nox").line == 301
    assert data.header("pop_density") == "pop_density"
