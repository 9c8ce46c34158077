"""Large CSV files go through pyarrow's reader (io/read.py: _read_text_fast) and give exactly the table
pandas' reader gives — or, where they would not, are read the ordinary way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citystd.io import read
from citystd.io.read import _read_text, read_city_data
from citystd.io.table import Recogniser
from citystd.io.vocabulary import Vocabulary

ROWS = 40_000  # about 1.5 MB: above FAST_TEXT_BYTES


def table(tweak: str = "") -> str:
    rng = np.random.default_rng(3)
    lines = ["城市,年份,省份,人口,GDP,绿地率"]
    for i in range(ROWS):
        gdp = "" if i % 7 == 0 else f"{rng.lognormal(8, 1):.6g}"
        lines.append(f"City{i // 10:05d},{2014 + i % 10},省{i % 31},{int(rng.integers(1e5, 2e7))},{gdp},"
                     f"{rng.random() * 50:.4f}")
    if tweak == "blank line":
        lines.insert(500, "")
    elif tweak == "ragged":
        lines[700] += ",9"
    elif tweak == "text number":
        lines[30_000] = lines[30_000].rsplit(",", 1)[0] + ",n/a"
    elif tweak == "nan text":
        lines[30_000] = lines[30_000].rsplit(",", 1)[0] + ",nan"
    elif tweak == "quoted line break":
        lines[900] = lines[900].replace("省", '"省\n', 1).replace(",", '",', 3)[:0] + lines[900].replace(
            lines[900].split(",")[2], '"省\n份"')
    elif tweak == "title rows":
        lines[:0] = ["2023年城市统计", "单位：万人", ""]
    return "\n".join(lines) + "\n"


def both(tmp_path: Path, text: str, encoding: str = "utf-8") -> tuple[read.RawTable, read.RawTable, bool]:
    data = text.encode(encoding)
    assert len(data) > read.FAST_TEXT_BYTES
    vocab = Vocabulary({"population": ["人口"], "gdp": ["GDP"], "green": ["绿地率"]})
    rec = Recogniser(vocab, None)
    slow, enc_slow = _read_text(data, "t.csv", ".csv", rec, fast=False)
    fast_only = read._read_text_fast(data, "t.csv", ".csv", rec, None)
    quick, enc_quick = _read_text(data, "t.csv", ".csv", rec)
    assert enc_quick == enc_slow
    return slow, quick, fast_only is not None


def same(a: read.RawTable, b: read.RawTable) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.headers == b.headers and a.header_row == b.header_row
    np.testing.assert_array_equal(a.row_no, b.row_no)
    np.testing.assert_array_equal(a.col_no, b.col_no)
    assert [d.code for d in a.diagnostics] == [d.code for d in b.diagnostics]


def test_a_plain_large_file_is_read_by_pyarrow_as_pandas_reads_it(tmp_path: Path) -> None:
    slow, quick, fast = both(tmp_path, table())
    assert fast
    same(slow, quick)
    assert quick.frame[3].dtype == np.int64 and quick.frame[4].isna().sum() == ROWS // 7 + 1
    assert list(quick.row_no[:3]) == [2, 3, 4]


def test_a_bom_and_title_rows_above_the_header(tmp_path: Path) -> None:
    slow, quick, fast = both(tmp_path, "\ufeff" + table("title rows"))
    assert fast
    same(slow, quick)
    assert quick.row_no[0] == 5


@pytest.mark.parametrize("tweak", ["blank line", "text number", "quoted line break"])
def test_unusual_lines_give_the_same_table_either_way(tmp_path: Path, tweak: str) -> None:
    slow, quick, _ = both(tmp_path, table(tweak))
    same(slow, quick)
    if tweak == "text number":
        assert "n/a" in set(slow.frame[5].dropna())


@pytest.mark.parametrize("tweak", ["ragged", "nan text"])
def test_what_pyarrow_would_read_differently_goes_the_ordinary_way(tmp_path: Path, tweak: str) -> None:
    slow, quick, fast = both(tmp_path, table(tweak))
    assert not fast  # pyarrow refuses the longer line, or reads "nan" as a number where pandas keeps the text
    same(slow, quick)
    if tweak == "ragged":
        assert [d.code for d in quick.diagnostics] == ["D710"]


def test_gbk_files_go_the_ordinary_way(tmp_path: Path) -> None:
    slow, quick, fast = both(tmp_path, table(), encoding="gb18030")
    assert not fast  # the header is GBK, not UTF-8
    same(slow, quick)
    # an ASCII head, GBK text far below it: pyarrow finds the text is not UTF-8
    late = table().replace("城市,年份,省份,人口,GDP,绿地率", "city,year,province,population,gdp,green")
    late = late.replace("City03999", "城市甲").replace("省", "P")
    (tmp_path / "late.csv").write_bytes(late.encode("gb18030"))
    got = read_city_data(tmp_path / "late.csv", {"population": ["population"]})
    assert "城市甲" in set(got.values.index.get_level_values(0))
    assert got.sources[0].encoding == "gb18030"


def test_without_pyarrow_pandas_reads_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_pyarrow(name: str, *args: object, **kw: object) -> object:
        if name.startswith("pyarrow"):
            raise ModuleNotFoundError(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    slow, quick, fast = both(tmp_path, table())
    assert not fast
    same(slow, quick)
