"""Column blocks in threads give the same numbers as one pass in one thread (engine/parallel.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.engine import parallel
from citystd.engine.rank import rank
from citystd.engine.trend import Panel, cagr, on_track, slope


def panel(seed: int, units: int = 40, years: int = 6, cols: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, (units * years, cols)).astype(float)  # small integers: many ties
    x[rng.random(x.shape) < 0.15] = np.nan
    index = pd.MultiIndex.from_arrays([np.repeat([f"c{u}" for u in range(units)], years),
                                       pd.array(np.tile(np.arange(2018, 2018 + years), units), dtype="Int64")],
                                      names=["unit", "year"])
    frame = pd.DataFrame(x, index=index, columns=[f"i{j}" for j in range(cols)])
    return frame.sample(frac=1.0, random_state=seed)  # rows in no particular order


def test_blocks_cover_every_column_once() -> None:
    assert parallel.column_blocks(100, 0) == []
    blocks = parallel.column_blocks(1000, 25, cells=7000)  # 7 columns per block
    assert [(b.start, b.stop) for b in blocks] == [(0, 7), (7, 14), (14, 21), (21, 25)]
    assert parallel.column_blocks(10**9, 3, cells=10) == [slice(0, 1), slice(1, 2), slice(2, 3)]


def test_threads_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYSTD_THREADS", "3")
    assert parallel.threads() == 3
    monkeypatch.setenv("CITYSTD_THREADS", "zero")
    assert 1 <= parallel.threads() <= 8
    assert parallel.map_blocks(lambda b: b.start * 2, [slice(i, i + 1) for i in range(5)], workers=3) == [0, 2, 4, 6, 8]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40))
def test_ranks_and_trends_do_not_depend_on_blocks_or_threads(seed: int, cells: int) -> None:
    data = panel(seed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTD_THREADS", "1")
        mp.setattr(parallel, "BLOCK_CELLS", 10**9)
        one = rank(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYSTD_THREADS", "3")
        mp.setattr(parallel, "BLOCK_CELLS", cells * len(data))  # `cells` columns per block
        many = rank(data)
    pd.testing.assert_frame_equal(one, many)
    whole = Panel(data)
    targets = pd.Series(3.0, index=data.columns)
    direction = pd.Series(["higher", "lower", "target"] * 3, index=data.columns, dtype=object)
    for b in parallel.column_blocks(len(data), data.shape[1], cells=cells * len(data)):
        part, p = data.iloc[:, b], whole.block(b)
        for fn in (cagr, slope):
            np.testing.assert_array_equal(fn(part, panel=p).to_numpy(), fn(data, panel=whole).to_numpy()[:, b])
        np.testing.assert_array_equal(on_track(part, targets, 2030, direction, panel=p).to_numpy(),
                                      on_track(data, targets, 2030, direction, panel=whole).to_numpy()[:, b])


def test_scores_are_byte_identical_with_blocks_in_threads(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example panel (30 cities × 5 years) through the CLI: one block in one thread, or blocks of
    three columns in three threads, gives the same JSON bytes."""
    from pathlib import Path

    from typer.testing import CliRunner

    from citystd.cli import app

    data = Path(__file__).resolve().parents[2] / "examples" / "cities-2019-2023.csv"
    out = {}
    for name, n, cells in (("one", "1", 10**9), ("blocks", "3", 150 * 3)):
        monkeypatch.setenv("CITYSTD_THREADS", n)
        monkeypatch.setattr(parallel, "BLOCK_CELLS", cells)
        r = CliRunner().invoke(app, ["score", str(data), "-o", str(tmp_path / f"{name}.json")])
        assert r.exit_code == 0, r.output
        out[name] = (tmp_path / f"{name}.json").read_bytes()
    assert b'"trends":[{' in out["one"]
    assert out["one"] == out["blocks"]


def test_deferred_trends_give_the_same_bytes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trends computed in the background while the scores are written (large panels) or at once:
    the same JSON and Parquet bytes."""
    from pathlib import Path

    from typer.testing import CliRunner

    from citystd.cli import app
    from citystd.engine import pipeline

    data = Path(__file__).resolve().parents[2] / "examples" / "cities-2019-2023.csv"
    out = {}
    for name, cells in (("now", 10**12), ("deferred", 0)):
        monkeypatch.setattr(pipeline, "DEFER_TRENDS_CELLS", cells)
        for ext in ("json", "parquet"):
            r = CliRunner().invoke(app, ["score", str(data), "-o", str(tmp_path / f"{name}.{ext}")])
            assert r.exit_code == 0, r.output
            out[name, ext] = (tmp_path / f"{name}.{ext}").read_bytes()
    assert out["now", "json"] == out["deferred", "json"] and b'"trends":[{' in out["now", "json"]
    assert out["now", "parquet"] == out["deferred", "parquet"]


def test_a_deferred_value_raises_what_computing_it_raised() -> None:
    from citystd.engine.pipeline import Deferred

    assert Deferred(lambda: 41 + 1).result() == 42

    def broken() -> None:
        raise ValueError("no trend")

    with pytest.raises(ValueError, match="no trend"):
        Deferred(broken).result()
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(Deferred(lambda: [1, 2]))) == [1, 2]
    assert copy.deepcopy({"t": Deferred(lambda: 3)}) == {"t": 3}
