"""Which city is which (citystd.io.identify) and properties of reading several inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.io.inputs import read_inputs
from citystd.io.vocabulary import Term, Vocabulary

VOCAB = Vocabulary([Term("gdp", ("地区生产总值",), ("GDP",), "whole_city", ("万元",)),
                    Term("beds", ("床位数",), (), "whole_city", ("张",))])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_names_resolve_to_codes(tmp_path: Path) -> None:
    d = read_inputs([write(tmp_path / "a.csv", "城市,床位数\n北京,1\n  北京市 ,2\nBeijing,3\n石家庄,4\n")], VOCAB)
    assert d.codes is not None
    assert {u: d.codes[u] for u in d.units} == {"北京": "110000", "北京市": "110000", "Beijing": "110000",
                                                "石家庄": "130100"}


def test_unknown_names_of_chinese_data_are_warnings_with_did_you_mean(tmp_path: Path) -> None:
    d = read_inputs([write(tmp_path / "a.csv", "城市,床位数\n北京,1\n天津,2\n石家庄,3\n石家装市,4\n")], VOCAB)
    (w,) = [x for x in d.diagnostics if x.code == "D737"]
    assert "'石家装市' is not a city of the register" in w.message.en and "石家庄市" in w.hint.en
    assert d.values.loc[("石家装市", pd.NA), "beds"] == 4  # still scored under its own name
    assert d.codes.get("石家装市") is None


def test_non_chinese_data_is_left_alone(tmp_path: Path) -> None:
    d = read_inputs([write(tmp_path / "a.csv", "city,beds\nAston,1\nBrindle,2\nParis,3\n")], VOCAB)
    assert not [x for x in d.diagnostics if x.code == "D737"]
    assert d.codes is not None and not d.codes.notna().any()


def test_a_code_column_decides(tmp_path: Path) -> None:
    d = read_inputs([write(tmp_path / "a.csv", "city,city_code,beds\n朝阳,211300,1\n朝阳区,110105,2\n")], VOCAB)
    assert d.codes["朝阳"] == "211300"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=1, max_value=1e7, allow_nan=False), min_size=2, max_size=8),
       st.randoms(use_true_random=False))
def test_units_rows_and_files_do_not_change_the_values(tmp_path_factory, values, rnd) -> None:
    """The same figures in 万元 or in 亿元, rows in any order, in one file or split over two: the
    same data set (scale invariance of the unit conversion, row-order invariance of the merge)."""
    tmp = tmp_path_factory.mktemp("p")
    cities = [f"c{i}" for i in range(len(values))]
    wan = "".join(f"{c},{v!r},{i}\n" for i, (c, v) in enumerate(zip(cities, values, strict=True)))
    one = read_inputs([write(tmp / "wan.csv", "city,地区生产总值（万元）,床位数\n" + wan)], VOCAB, identify=False)
    order = list(range(len(values)))
    rnd.shuffle(order)
    yi = "".join(f"{cities[i]},{values[i] / 1e4!r}\n" for i in order)
    beds = "".join(f"{cities[i]},{i}\n" for i in reversed(order))
    two = read_inputs([write(tmp / "yi.csv", "city,地区生产总值（亿元）\n" + yi),
                       write(tmp / "beds.csv", "city,床位数\n" + beds)], VOCAB, identify=False)
    a = one.values.sort_index()
    b = two.values.reindex(index=a.index, columns=a.columns)
    assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    assert not [x for x in two.diagnostics if x.code == "D734"]
