"""Results as one Parquet file: a tidy table of every score, the rest of the document as metadata.

The table has one row per city-year and *item* — the overall score, each node of the tree, each
indicator — with the columns of :data:`COLUMNS`::

    city  code  year  kind       id                 value  score  rank  rating  coverage
    A     null  2023  node       overall            null   61.2   3     yellow  0.95
    A     null  2023  node       urban_economy      null   70.1   2     green   1.0
    A     null  2023  indicator  unemployment_rate  3.1    86.3   4     green   null

``kind`` is ``node`` or ``indicator``; the overall score is the node ``overall``. Rows come item
by item (the overall score, the nodes in tree order, then the indicators), each item's city-years
in the order of the results document. Everything else of the results document (framework, input
hashes, pipeline, tree, indicator metadata, issues, records, trends, gaps, peers) is stored as
JSON in the file's key-value metadata under ``citystd.*`` keys, so :func:`read_doc` gives back the
very document :mod:`citystd.assessment.results` built: ``citystd report results.parquet`` renders
the same reports as from ``results.json``. Any Parquet reader (pandas, polars, DuckDB, Spark)
reads the table; the metadata is plain JSON text.

Written with pyarrow (the ``parquet`` extra), in row groups of a few items each so that memory
stays bounded for 100,000 cities × 200 indicators; the same input gives byte-identical files
(no timestamps; pyarrow's version is in the footer, as in every Parquet file).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from citystd.assessment.tidy import COLUMNS, RATINGS, Block, doc_blocks, results_blocks
from citystd.library.rules import RESERVED_NODE as OVERALL  # the overall score's id among the nodes

#: document keys stored as metadata (everything but ``results``), each as ``citystd.<key>``
_PREFIX = "citystd."
#: the metadata key holding the order of the document's keys
_ORDER = b"citystd:keys"
#: the metadata key naming the keys stored as columns (one list per field, not one object per
#: item: 2 million trends are 2 lists of 2 million, not 2 million objects)
_COLUMNAR = b"citystd:columnar"


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        from citystd.diagnostics import Msg, error

        raise error("U930", "Parquet needs pyarrow, which is not installed",
                    "Parquet 格式需要 pyarrow，但尚未安装",
                    hint=Msg("pip install 'citystd[parquet]'", "请运行 pip install 'citystd[parquet]'"),
                    exit_code=2) from None
    return pa, pq


def schema() -> Any:
    pa, _ = _pyarrow()
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([
        ("city", text), ("code", pa.string()), ("year", pa.int32()), ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("id", text), ("value", pa.float64()), ("score", pa.float64()), ("rank", pa.int32()),
        ("rating", pa.dictionary(pa.int8(), pa.string())), ("coverage", pa.float64()),
    ])


def batch(b: Block) -> Any:
    """One record batch of a block of the tidy table (:mod:`citystd.assessment.tidy`)."""
    pa, _ = _pyarrow()
    rows, k = b.rows, len(b.ids)
    total = rows.n * k

    def floats(a: np.ndarray | None) -> Any:
        if a is None:
            return pa.nulls(total, pa.float64())
        x = b.flat(a)
        return pa.array(x, pa.float64(), mask=np.isnan(x))

    r = b.flat(b.rank)
    missing = np.isnan(r)
    ranks = pa.array(np.where(missing, 0, r).astype(np.int32), pa.int32(), mask=missing)
    rating = b.flat(b.rating)
    ratings = pa.DictionaryArray.from_arrays(pa.array(rating, pa.int8(), mask=rating < 0),
                                             pa.array(RATINGS, pa.string()))
    city = pa.DictionaryArray.from_arrays(pa.array(np.tile(rows.city_codes, k), pa.int32()),
                                          pa.array(rows.cities, pa.string()))
    code = pa.array(rows.codes * k, pa.string()) if rows.has_codes else pa.nulls(total, pa.string())
    year = pa.array(np.tile(rows.years, k).astype(np.int32), pa.int32(), mask=np.tile(rows.year_missing, k))
    kinds = pa.DictionaryArray.from_arrays(pa.array(np.zeros(total, dtype=np.int8), pa.int8()),
                                           pa.array([b.kind], pa.string()))
    item = pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(k, dtype=np.int32), rows.n), pa.int32()),
                                          pa.array(b.ids, pa.string()))
    return pa.record_batch([city, code, year, kinds, item, floats(b.value), floats(b.score), ranks, ratings,
                            floats(b.coverage)], schema=schema())


def metadata(doc_rest: dict[str, Any]) -> dict[bytes, bytes]:
    """The ``citystd.*`` key-value metadata: each document key but ``results`` as JSON text."""
    import orjson

    keys = [k for k in doc_rest if k != "results"]
    out = {(_PREFIX + k).encode(): orjson.dumps(doc_rest[k]) for k in keys}
    out[_ORDER] = orjson.dumps(keys)  # the document's key order (metadata maps have none)
    if isinstance(doc_rest.get("trends"), dict):  # trends as columns (Results.footer(columnar=True))
        out[_COLUMNAR] = orjson.dumps(["trends"])
    return out


def write(path: Path, batches: Iterator[Any], doc_rest: dict[str, Any]) -> None:
    """Write the batches and metadata to ``path`` (the caller makes it atomic)."""
    pa, pq = _pyarrow()
    sch = schema()
    # store_schema=False: pyarrow would otherwise repeat the metadata, base64-encoded, in its own schema
    with pq.ParquetWriter(str(path), sch, compression="zstd", use_dictionary=["city", "code", "kind", "id", "rating"],
                          write_statistics=True,
                          store_schema=False) as w:
        wrote = False
        for batch in _ahead(batches):
            w.write_table(pa.Table.from_batches([batch], schema=sch))
            wrote = True
        if not wrote:
            w.write_table(sch.empty_table())
        w.add_key_value_metadata(metadata(doc_rest))


def _ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``items`` in order, each made in a second thread while the one before is written: building a
    batch (numpy) and writing one (pyarrow's encoder) both release the GIL, so on two cores they
    overlap. The file is the same as written in one thread; an exception in the maker is raised here."""
    import queue
    import threading

    q: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put((True, item))
            q.put((False, None))
        except BaseException as exc:  # handed to the writer's thread
            q.put((False, exc))

    t = threading.Thread(target=make, name="citystd-parquet-batches", daemon=True)
    t.start()
    try:
        while True:
            more, item = q.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while t.is_alive():  # let a blocked put finish so the thread ends
            try:
                q.get_nowait()
            except queue.Empty:
                t.join(0.01)


def results_writer(results: Any) -> Any:
    """A ``write(tmp_path)`` function for :func:`citystd.io.atomic.write_atomic`."""
    rest = {**results.header(), **results.footer(columnar=True)}
    return lambda p: write(p, (batch(b) for b in results_blocks(results)), rest)


def doc_writer(doc: dict[str, Any]) -> Any:
    """A ``write(tmp_path)`` function writing the document ``doc``."""
    rest = {k: v for k, v in doc.items() if k != "results"}
    trends = rest.get("trends")
    if isinstance(trends, list):  # stored as columns, as results_writer stores them
        keys = list(trends[0]) if trends else []
        rest["trends"] = {k: [t.get(k) for t in trends] for k in keys}
    return lambda p: write(p, (batch(b) for b in doc_blocks(doc)), rest)


# ---------------------------------------------------------------------------- reading back

def is_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def read_doc(path: Path | Any) -> dict[str, Any]:
    """The results document stored in ``path`` (or a binary file object): metadata + the rows
    rebuilt from the table.

    Raises ``ValueError`` naming what is missing when the file is Parquet but not citystd results.
    """
    import orjson

    _, pq = _pyarrow()
    pf = pq.ParquetFile(str(path) if isinstance(path, (str, Path)) else path)
    meta = pf.metadata.metadata or {}
    found = {k.decode()[len(_PREFIX):]: v for k, v in meta.items() if k.decode().startswith(_PREFIX)}
    missing = [c for c in COLUMNS if c not in pf.schema_arrow.names]
    if missing or "framework" not in found:
        what = f"columns {', '.join(missing)}" if missing else "the citystd.framework metadata"
        raise ValueError(f"a Parquet file without {what}")
    order = orjson.loads(meta[_ORDER]) if _ORDER in meta else list(found)
    rest = {k: orjson.loads(found[k]) for k in [*order, *(k for k in found if k not in order)] if k in found}
    for key in orjson.loads(meta[_COLUMNAR]) if _COLUMNAR in meta else []:
        if isinstance(rest.get(key), dict):
            from citystd.assessment.results import trend_rows

            rest[key] = trend_rows(rest[key])
    table = pf.read(columns=list(COLUMNS)).to_pandas()
    head = {k: rest.pop(k) for k in ("citystd_version", "framework", "input", "pipeline", "tree", "indicators")
            if k in rest}
    return {**head, "results": _rows(table), **rest}


def _rows(t: Any) -> list[dict[str, Any]]:
    import pandas as pd

    def num(v: Any) -> float | None:
        return None if pd.isna(v) else float(v)

    def whole(v: Any) -> int | None:
        return None if pd.isna(v) else int(v)

    def text(v: Any) -> str | None:
        return None if pd.isna(v) else str(v)

    rows: dict[tuple, dict[str, Any]] = {}
    for city, code, year, kind, item, value, score, rank, rating, coverage in zip(
            t["city"], t["code"], t["year"], t["kind"], t["id"], t["value"], t["score"], t["rank"], t["rating"],
            t["coverage"], strict=True):
        key = (city, whole(year))
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"city": str(city), "code": text(code),
                               "year": whole(year), "score": None, "rank": None, "rating": None, "coverage": None,
                               "nodes": {}, "indicators": {}}
        if kind == "indicator":
            row["indicators"][str(item)] = {"value": num(value), "score": num(score), "rank": whole(rank),
                                            "rating": text(rating)}
        elif item == OVERALL:
            row.update(score=num(score), rank=whole(rank), rating=text(rating), coverage=num(coverage))
        else:
            row["nodes"][str(item)] = {"score": num(score), "rank": whole(rank), "rating": text(rating),
                                       "coverage": num(coverage)}
    return list(rows.values())
