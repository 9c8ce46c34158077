"""Parquet results: the tidy table, its metadata, readers (pandas, polars, DuckDB), the round trip
through `citystd report`, determinism and refusals — through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from citystd.cli import app
from citystd.report import parquet

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "examples" / "cities-2019-2023.csv"
FIXTURES = ROOT / "tests" / "fixtures" / "score"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example panel scored once to JSON and once to Parquet."""
    d = tmp_path_factory.mktemp("parquet")
    for name in ("results.json", "results.parquet"):
        r = invoke("score", str(PANEL), "-o", str(d / name))
        assert r.exit_code == 0, r.output
    return d / "results.json", d / "results.parquet"


def test_the_table_holds_every_score_of_the_json_results(written: tuple[Path, Path]) -> None:
    js, pqt = written
    doc = json.loads(js.read_text(encoding="utf-8"))
    every = pd.read_parquet(pqt)
    assert tuple(every.columns) == parquet.TABLE_COLUMNS
    df = every[every["kind"].isin(["node", "indicator"])]
    rows = doc["results"]
    nodes, inds = list(rows[0]["nodes"]), list(doc["indicators"])
    assert len(df) == len(rows) * (1 + len(nodes) + len(inds))
    assert set(every["kind"]) == {"node", "indicator", "trend"}  # the panel's pipeline changes no cell
    assert len(every) == len(df) + len(doc["trends"]) + len(doc["records"])
    assert df[list(parquet.TREND_COLUMNS + parquet.RECORD_COLUMNS)].isna().all().all()
    # the overall score of every city-year, in the document's order
    overall = df[(df["kind"] == "node") & (df["id"] == "overall")]
    assert list(overall["city"]) == [r["city"] for r in rows]
    assert list(overall["year"]) == [r["year"] for r in rows]
    assert overall["score"].tolist() == pytest.approx([r["score"] for r in rows], abs=0, rel=0)
    assert overall["rank"].tolist() == [r["rank"] for r in rows]
    # one node and one indicator, cell by cell (missing stays missing)
    node = nodes[3]
    part = df[(df["kind"] == "node") & (df["id"] == node)]
    assert [None if pd.isna(v) else v for v in part["score"]] == [r["nodes"][node]["score"] for r in rows]
    assert [None if pd.isna(v) else v for v in part["coverage"]] == [r["nodes"][node]["coverage"] for r in rows]
    ind = "pm25_concentration" if "pm25_concentration" in inds else inds[0]
    part = df[(df["kind"] == "indicator") & (df["id"] == ind)]
    assert [None if pd.isna(v) else v for v in part["value"]] == [r["indicators"][ind]["value"] for r in rows]
    assert [None if pd.isna(v) else v for v in part["rating"]] == [r["indicators"][ind]["rating"] for r in rows]
    assert part["coverage"].isna().all()


@pytest.fixture(scope="module")
def core_written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Yearbook and census excerpts scored with `core`, whose pipeline imputes (records) over years (trends)."""
    d = tmp_path_factory.mktemp("parquet-core")
    for name in ("results.json", "results.parquet"):
        r = invoke("score", str(ROOT / "tests" / "data" / "china-city-yearbook-2024"),
                   str(ROOT / "tests" / "data" / "china-census"), "-f", "core", "--keep-going", "-o", str(d / name))
        assert r.exit_code == 0, r.output
    return d / "results.json", d / "results.parquet"


def test_trends_and_records_are_rows(core_written: tuple[Path, Path]) -> None:
    js, pqt = core_written
    assert parquet.read_doc(pqt) == json.loads(js.read_text(encoding="utf-8"))
    doc = json.loads(js.read_text(encoding="utf-8"))
    every = pd.read_parquet(pqt)
    trends = every[every["kind"] == "trend"]
    assert len(trends) == len(doc["trends"]) > 0
    first = doc["trends"][0]
    row = trends.iloc[0]
    assert (row["city"], row["id"], row["cagr"], row["slope"]) == (first["city"], first["indicator"], first["cagr"],
                                                                   first["slope"])
    assert pd.isna(row["year"]) and pd.isna(row["score"])
    assert [None if pd.isna(v) else v for v in trends["status"]] == [t.get("status") for t in doc["trends"]]
    records = every[every["kind"] == "record"]
    assert len(records) == len(doc["records"]) > 0
    got = [(r.city, None if pd.isna(r.year) else r.year, r.id, r.stage, r.action,
            None if pd.isna(r.before) else r.before, None if pd.isna(r.after) else r.after)
           for r in records.itertuples()]
    assert got == [tuple(x.values()) for x in doc["records"]]
    # the footer stays small: any reader opens the file with its default limits
    meta = pq.read_metadata(pqt).metadata
    assert b"citystd.trends" not in meta and b"citystd.records" not in meta
    assert json.loads(meta[b"citystd:rows"]) == {"records": list(doc["records"][0]),
                                                 "trends": list(doc["trends"][0])}


def test_files_with_trends_in_the_metadata_still_read(written: tuple[Path, Path], tmp_path: Path) -> None:
    """Files written before trends became rows kept them in the footer as one list per field."""
    import pyarrow as pa

    js, pqt = written
    doc = json.loads(js.read_text(encoding="utf-8"))
    table = pq.read_table(pqt)
    kinds = table.column("kind").to_pandas()
    old = table.filter(pa.array(kinds.isin(["node", "indicator"]).to_numpy())).select(list(parquet.COLUMNS))
    meta = {k: v for k, v in pq.read_metadata(pqt).metadata.items() if k != b"citystd:rows"}
    trends = doc["trends"]
    meta[b"citystd.trends"] = json.dumps({k: [t.get(k) for t in trends] for k in trends[0]}).encode()
    meta[b"citystd:columnar"] = b'["trends"]'
    meta[b"citystd.records"] = json.dumps(doc["records"]).encode()
    pq.write_table(old.replace_schema_metadata(meta), tmp_path / "old.parquet")
    assert parquet.read_doc(tmp_path / "old.parquet") == doc


def test_metadata_names_the_framework_input_and_pipeline(written: tuple[Path, Path]) -> None:
    js, pqt = written
    doc = json.loads(js.read_text(encoding="utf-8"))
    meta = pq.read_metadata(pqt).metadata
    assert json.loads(meta[b"citystd.framework"]) == doc["framework"]
    assert json.loads(meta[b"citystd.input"])["sha256"] == doc["input"]["sha256"]
    assert json.loads(meta[b"citystd.pipeline"]) == doc["pipeline"]
    assert b"ARROW:schema" not in meta  # the metadata is not stored twice


def test_citystd_report_reads_parquet_as_it_reads_json(written: tuple[Path, Path], tmp_path: Path) -> None:
    js, pqt = written
    assert parquet.read_doc(pqt) == json.loads(js.read_text(encoding="utf-8"))
    for src, out in ((js, "a.md"), (pqt, "b.md")):
        r = invoke("report", str(src), "-o", str(tmp_path / out))
        assert r.exit_code == 0, r.output
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()
    # JSON → Parquet through `report` gives the same bytes as `score -o results.parquet`
    r = invoke("report", str(js), "-o", str(tmp_path / "again.parquet"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "again.parquet").read_bytes() == pqt.read_bytes()


def test_same_input_gives_the_same_bytes(written: tuple[Path, Path], tmp_path: Path) -> None:
    _, pqt = written
    r = invoke("score", str(PANEL), "-o", str(tmp_path / "twice.parquet"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "twice.parquet").read_bytes() == pqt.read_bytes()


def test_polars_and_duckdb_read_the_table(written: tuple[Path, Path]) -> None:
    import duckdb
    import polars as pl

    _, pqt = written
    expected = pd.read_parquet(pqt)
    frame = pl.read_parquet(pqt)
    assert frame.columns == list(parquet.TABLE_COLUMNS) and frame.height == len(expected)
    best = frame.filter((pl.col("id") == "overall") & (pl.col("year") == 2023)).sort("rank").row(0, named=True)
    top = expected[(expected["id"] == "overall") & (expected["year"] == 2023)].sort_values("rank").iloc[0]
    assert (best["city"], best["score"]) == (top["city"], top["score"])
    n, mean = duckdb.sql(f"select count(*), avg(score) from read_parquet('{pqt}') where kind = 'indicator'").fetchall()[0]
    ind = expected[expected["kind"] == "indicator"]
    assert n == len(ind) and mean == pytest.approx(ind["score"].mean(), rel=1e-12)


def test_one_city_and_refusals(tmp_path: Path) -> None:
    out = tmp_path / "one.parquet"
    r = invoke("score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo", "-o", str(out),
               "--city", "Aston")
    assert r.exit_code == 0, r.output
    assert set(pd.read_parquet(out)["city"]) == {"Aston"}
    # a binary format never goes to the terminal
    r = invoke("score", str(FIXTURES / "cities.csv"), "--library", str(FIXTURES), "-f", "demo", "--format", "parquet")
    assert r.exit_code == 2 and "binary" in r.output
    # a Parquet file that is not citystd results
    other = tmp_path / "other.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(other)
    r = invoke("report", str(other))
    assert r.exit_code == 1 and "U904" in r.output and "not citystd results" in r.output


def test_results_without_rows_write_an_empty_table(tmp_path: Path) -> None:
    empty = {"citystd_version": "0.1.0", "framework": {"id": "f", "version": "1.0.0", "sha256": "0"}, "input": {},
             "pipeline": [], "tree": [], "indicators": {}, "results": []}
    path = tmp_path / "empty.parquet"
    parquet.doc_writer(empty)(path)
    assert len(pd.read_parquet(path)) == 0
    assert parquet.read_doc(path) == empty


def test_the_table_is_read_back_column_wise_or_row_by_row_alike(written: tuple[Path, Path], tmp_path: Path) -> None:
    """A table where every city-year has every item is spread column-wise (_rows_dense); one with a
    gap — a row deleted by another tool — is read row by row (_rows), and both read the same cells alike."""
    import pyarrow as pa

    _, pqt = written
    every = pd.read_parquet(pqt)
    scores = every[every["kind"].isin(["node", "indicator"])].reset_index(drop=True)
    dense = parquet._rows_dense(scores)
    assert dense is not None and dense == parquet._rows(scores)
    gap = scores.drop(index=5).reset_index(drop=True)  # the overall score of one city-year is gone
    assert parquet._rows_dense(gap) is None
    table = pq.read_table(pqt)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[5] = False
    pq.write_table(table.filter(pa.array(keep)).replace_schema_metadata(table.schema.metadata),
                   tmp_path / "gap.parquet")
    doc = parquet.read_doc(tmp_path / "gap.parquet")
    row = next(r for r in doc["results"] if (r["city"], r["year"]) == (scores["city"][5], scores["year"][5]))
    same = next(r for r in dense if (r["city"], r["year"]) == (row["city"], row["year"]))
    assert row["score"] is None and same["score"] is not None and row["nodes"] == same["nodes"]
