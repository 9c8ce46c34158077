"""Results as one Parquet file: a tidy table of every score, trend and record; the rest of the
document as metadata.

The table has one row per city-year and *item* — the overall score, each node of the tree,
each indicator — then one row per trend (city and indicator) and one per record (a cell the
pipeline changed), with the columns of :data:`TABLE_COLUMNS`::

    city  code  year  kind       id                 value  score  rank  rating  coverage  cagr   …  stage   …
    A     null  2023  node       overall            null   61.2   3     yellow  0.95      null      null
    A     null  2023  indicator  unemployment_rate  3.1    86.3   4     green   null      null      null
    A     null  null  trend      unemployment_rate  null   null   null  null    null      -0.02     null
    A     null  2021  record     unemployment_rate  null   null   null  null    null      null      impute

``kind`` is ``node``, ``indicator``, ``trend`` or ``record``; the overall score is the node
``overall``; a column a kind does not use is null. Rows come item by item (the overall score, the
nodes in tree order, then the indicators), each item's city-years in the order of the results
document, then the trends and the records in the document's order. Everything else of the results
document (framework, input hashes, pipeline, tree, indicator metadata, issues, gaps, peers) is
JSON in the file's key-value metadata under ``citystd.*`` keys, so :func:`read_doc` gives back the
very document :mod:`citystd.assessment.results` built: ``citystd report results.parquet`` renders
the same reports as from ``results.json``. Trends and records are rows, not metadata, because a
panel of 10,000 cities has millions of them and Parquet readers refuse a footer over 100 MB.

Written with pyarrow (the ``parquet`` extra), in row groups of a few items each so that memory
stays bounded for 100,000 cities × 200 indicators; the same input gives byte-identical files
(no timestamps; pyarrow's version is in the footer, as in every Parquet file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citystd.assessment.results import floats_or_none, ints_or_none
from citystd.assessment.tidy import BLOCK_ROWS, COLUMNS, RATINGS, Block, doc_blocks, results_blocks
from citystd.library.rules import RESERVED_NODE as OVERALL  # the overall score's id among the nodes

#: the columns of trend rows (null in other rows)
TREND_COLUMNS = ("cagr", "slope", "progress", "status")
#: the columns of record rows (null in other rows)
RECORD_COLUMNS = ("stage", "action", "before", "after")
#: every column of the table, in order
TABLE_COLUMNS = (*COLUMNS, *TREND_COLUMNS, *RECORD_COLUMNS)
#: document keys stored as metadata (everything but ``results``), each as ``citystd.<key>``
_PREFIX = "citystd."
#: the metadata key holding the order of the document's keys
_ORDER = b"citystd:keys"
#: the metadata key naming the document keys stored as rows, each with the fields of its entries
_ROWS = b"citystd:rows"
#: files of citystd 0.x before trends became rows: trends as one list per field in the metadata
_COLUMNAR = b"citystd:columnar"
#: document keys stored as rows, and the ``kind`` of their rows
_ROW_KINDS = {"trends": "trend", "records": "record"}
#: the fields of trends and records stored as columns (any other field of a hand-made document is left out)
_ROW_FIELDS = frozenset({"city", "year", "indicator", "cagr", "slope", "progress", "status", "stage", "action",
                         "before", "after"})
_FLOAT_FIELDS = frozenset({"cagr", "slope", "progress", "before", "after"})


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
    small = pa.dictionary(pa.int8(), pa.string())
    return pa.schema([
        ("city", text), ("code", pa.string()), ("year", pa.int32()), ("kind", small),
        ("id", text), ("value", pa.float64()), ("score", pa.float64()), ("rank", pa.int32()),
        ("rating", small), ("coverage", pa.float64()),
        ("cagr", pa.float64()), ("slope", pa.float64()), ("progress", pa.float64()), ("status", small),
        ("stage", small), ("action", small), ("before", pa.float64()), ("after", pa.float64()),
    ])


def _null(t: Any, n: int) -> Any:
    """A null column of type ``t`` and length ``n``, made once per type and length while a file is
    written and shared by its batches (allocating them anew took 2.5 s of the 100,000 × 200 run)."""
    pa, _ = _pyarrow()
    key = (str(t), n)
    found = _NULLS.get(key)
    if found is None:
        if len(_NULLS) >= 32:
            _NULLS.clear()
        found = _NULLS[key] = pa.nulls(n, t)
    return found


def _nulls(sch: Any, names: tuple[str, ...], n: int) -> list[Any]:
    return [_null(sch.field(c).type, n) for c in names]


#: the null columns of :func:`_null`, emptied when a file is written
_NULLS: dict[tuple[str, int], Any] = {}


def _kind(name: str, n: int) -> Any:
    pa, _ = _pyarrow()
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int8), pa.int8()), pa.array([name], pa.string()))


def batch(b: Block) -> Any:
    """One record batch of a block of the tidy table (:mod:`citystd.assessment.tidy`)."""
    pa, _ = _pyarrow()
    rows, k = b.rows, len(b.ids)
    total = rows.n * k

    def floats(a: np.ndarray | None) -> Any:
        if a is None:
            return _null(pa.float64(), total)
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
    code = pa.array(rows.codes * k, pa.string()) if rows.has_codes else _null(pa.string(), total)
    year = pa.array(np.tile(rows.years, k).astype(np.int32), pa.int32(), mask=np.tile(rows.year_missing, k))
    item = pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(k, dtype=np.int32), rows.n), pa.int32()),
                                          pa.array(b.ids, pa.string()))
    sch = schema()
    return pa.record_batch([city, code, year, _kind(b.kind, total), item, floats(b.value), floats(b.score), ranks,
                            ratings, floats(b.coverage), *_nulls(sch, (*TREND_COLUMNS, *RECORD_COLUMNS), total)],
                           schema=sch)


def _text(values: Any) -> Any:
    """A dictionary array of a column of text (a pandas Categorical or any sequence; None/NaN → null),
    its dictionary the values present, sorted: the same for the same values, whatever they came in."""
    pa, _ = _pyarrow()
    if isinstance(values, pd.Categorical):
        cat = values.remove_unused_categories()
        names = [str(c) for c in cat.categories]
        if len(set(names)) < len(names):  # two categories with one text: start from the text
            cat = pd.Categorical(pd.Series(cat.astype(object), dtype=object).where(cat.notna(), None).map(
                lambda v: None if v is None else str(v)))
        else:
            cat = cat.rename_categories(names)
            if names != sorted(names):
                cat = cat.reorder_categories(sorted(names))
    else:
        cat = pd.Categorical(pd.Series(values, dtype=object))
    cats = [str(c) for c in cat.categories]
    codes = np.asarray(cat.codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), pa.int32(), mask=codes < 0),
                                          pa.array(cats, pa.string()))


def _small(arr: Any) -> Any:
    """``arr`` (int32-indexed dictionary) with int8 indices, for a column of few distinct values."""
    pa, _ = _pyarrow()
    if len(arr.dictionary) > 127:  # cannot happen for the stage, action and status vocabularies
        raise ValueError("more than 127 distinct values in a small text column")
    return pa.DictionaryArray.from_arrays(arr.indices.cast(pa.int8()), arr.dictionary)


def _year_column(values: pd.Series) -> Any:
    pa, _ = _pyarrow()
    y = values.astype("Int64")
    missing = np.asarray(y.isna(), dtype=bool)
    return pa.array(np.where(missing, 0, y.to_numpy(dtype="float64", na_value=0)).astype(np.int32), pa.int32(),
                    mask=missing)


def table_batches(key: str, table: pd.DataFrame) -> Iterator[Any]:
    """Record batches of the document key ``key`` (``trends`` or ``records``) from its table
    (:func:`~citystd.assessment.results.trend_table`, :func:`~citystd.assessment.results.record_table`);
    the entry's ``indicator`` is the row's ``id``, a column the entries do not have is null."""
    pa, _ = _pyarrow()
    sch = schema()
    for start in range(0, len(table), BLOCK_ROWS):
        part = table.iloc[start:start + BLOCK_ROWS]
        n = len(part)

        def text(name: str, part: pd.DataFrame = part) -> Any:
            v = part[name]
            return _text(v.array if isinstance(v.dtype, pd.CategoricalDtype) else v)

        cols = {"kind": _kind(_ROW_KINDS[key], n)}
        for name in part.columns:
            if name in ("city", "indicator"):
                cols["id" if name == "indicator" else name] = text(name)
            elif name == "year":
                cols[name] = _year_column(part[name])
            elif name in ("status", "stage", "action"):
                cols[name] = _small(text(name))
            elif name in _FLOAT_FIELDS:
                x = pd.to_numeric(part[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                cols[name] = pa.array(x, pa.float64(), mask=np.isnan(x))
        yield pa.record_batch([cols[c] if c in cols else _null(sch.field(c).type, n) for c in TABLE_COLUMNS],
                              schema=sch)


def metadata(doc_rest: dict[str, Any], rows: dict[str, list[str]]) -> dict[bytes, bytes]:
    """The ``citystd.*`` key-value metadata: each document key but ``results`` and the keys stored
    as rows (``rows``: key → the fields of its entries) as JSON text."""
    import orjson

    keys = [k for k in doc_rest if k != "results"]
    out = {(_PREFIX + k).encode(): orjson.dumps(doc_rest[k]) for k in keys if k not in rows}
    out[_ORDER] = orjson.dumps(keys)  # the document's key order (metadata maps have none)
    out[_ROWS] = orjson.dumps(rows)
    return out


def write(path: Path, batches: Iterator[Any], doc_rest: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """Write the batches, the rows of ``trends`` and ``records`` (tables in ``doc_rest``) and the
    metadata to ``path`` (the caller makes it atomic). ``doc_rest`` may be a function giving it,
    called once the batches are written (a large panel's trends are still being computed while
    the scores are written: engine.pipeline.Deferred)."""
    pa, pq = _pyarrow()
    sch = schema()
    rest: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}

    def every() -> Iterator[Any]:
        yield from batches
        rest.update(doc_rest() if callable(doc_rest) else doc_rest)
        tables = {k: rest[k] for k in _ROW_KINDS if isinstance(rest.get(k), pd.DataFrame)}
        fields.update({k: [str(c) for c in t.columns if c in _ROW_FIELDS] for k, t in tables.items()})
        for key, table in tables.items():
            yield from table_batches(key, table)

    # store_schema=False: pyarrow would otherwise repeat the metadata, base64-encoded, in its own schema
    with pq.ParquetWriter(str(path), sch, compression=_COMPRESSION,
                          use_dictionary=["city", "code", "kind", "id", "rating", "status", "stage", "action"],
                          write_statistics=_STATISTICS, write_batch_size=_WRITE_BATCH_ROWS,
                          store_schema=False) as w:
        wrote = False
        try:
            for b in _ahead(every()):
                w.write_table(pa.Table.from_batches([b], schema=sch))
                wrote = True
        finally:
            _NULLS.clear()
        if not wrote:
            w.write_table(sch.empty_table())
        w.add_key_value_metadata(metadata(rest, fields))


#: rows pyarrow encodes at a time (its default, 1,024, made it update each page's statistics 25,000
#: times for 100,000 × 200 — for a dictionary column by finding the values its slice uses — and took
#: 4.1 s to encode the table instead of 2.6 s); pyarrow checks its 1 MiB page size after each such
#: batch, so a page of floats stays under 1.5 MiB
_WRITE_BATCH_ROWS = 65_536
#: columns with min/max statistics: all but ``city`` — a row group holds whole items, every city in
#: it, so the city's min/max never lets a reader skip one (and cost 0.3 s of 2.6 s to compute)
_STATISTICS = [name for name in TABLE_COLUMNS if name != "city"]
#: zstd for every column but ``value`` and ``score``: zstd makes those 24 million floats 6 % smaller at
#: 13 % of the writing time (100,000 × 200: 486 MB in 3.5 s instead of 460 MB in 4.0 s)
_COMPRESSION = {name: "none" if name in ("value", "score") else "zstd" for name in TABLE_COLUMNS}


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
    head = results.header()
    return lambda p: write(p, (batch(b) for b in results_blocks(results)),
                           lambda: {**head, **results.footer(tables=True)})


def doc_writer(doc: dict[str, Any]) -> Any:
    """A ``write(tmp_path)`` function writing the document ``doc``."""
    from citystd.assessment.results import RECORD_FIELDS

    rest = {k: v for k, v in doc.items() if k != "results"}
    for key in _ROW_KINDS:
        entries = rest.get(key)
        if isinstance(entries, list):  # stored as rows, as results_writer stores them
            names = list(entries[0]) if entries else (list(RECORD_FIELDS) if key == "records"
                                                      else ["city", "indicator"])
            rest[key] = pd.DataFrame({k: pd.Series([e.get(k) for e in entries], dtype=object) for k in names})
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

    pa, pq = _pyarrow()
    # files written before trends became rows may hold a footer beyond pyarrow's default limits
    pf = pq.ParquetFile(str(path) if isinstance(path, (str, Path)) else path,
                        thrift_string_size_limit=2**31 - 1, thrift_container_size_limit=2**31 - 1)
    meta = pf.metadata.metadata or {}
    found = {k.decode()[len(_PREFIX):]: v for k, v in meta.items() if k.decode().startswith(_PREFIX)}
    names = pf.schema_arrow.names
    missing = [c for c in COLUMNS if c not in names]
    if missing or "framework" not in found:
        what = f"columns {', '.join(missing)}" if missing else "the citystd.framework metadata"
        raise ValueError(f"a Parquet file without {what}")
    order = orjson.loads(meta[_ORDER]) if _ORDER in meta else list(found)
    rest = {k: orjson.loads(found[k]) for k in [*order, *(k for k in found if k not in order)] if k in found}
    for key in orjson.loads(meta[_COLUMNAR]) if _COLUMNAR in meta else []:
        if isinstance(rest.get(key), dict):
            from citystd.assessment.results import trend_rows

            rest[key] = trend_rows(rest[key])
    table = pf.read(columns=[c for c in TABLE_COLUMNS if c in names])
    kinds = table.column("kind").to_pandas()
    row_fields = orjson.loads(meta[_ROWS]) if _ROWS in meta else {}
    for key, fields in row_fields.items():
        part = table.filter(pa.array(np.asarray(kinds == _ROW_KINDS[key]))).to_pandas()
        rest[key] = _entries(part, fields)
    scores = table.filter(pa.array(np.asarray(kinds.isin(("node", "indicator"))))).select(list(COLUMNS))
    ordered = {k: rest[k] for k in order if k in rest}
    ordered.update({k: v for k, v in rest.items() if k not in ordered})
    head = {k: ordered.pop(k) for k in ("citystd_version", "framework", "input", "pipeline", "tree", "indicators")
            if k in ordered}
    frame = scores.to_pandas()
    return {**head, "results": _rows_dense(frame) or _rows(frame), **ordered}


def _entries(t: pd.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    """Trend or record rows back to the document's dicts, with ``fields`` (the table's ``id`` is the
    entry's ``indicator``)."""
    def conv(name: str) -> list[Any]:
        col = t["id" if name == "indicator" else name]
        if name == "year":
            return ints_or_none(col.astype("Float64").to_numpy(dtype="float64", na_value=np.nan))
        if name in ("cagr", "slope", "progress", "before", "after"):
            return floats_or_none(col.to_numpy(dtype="float64", na_value=np.nan))
        return _texts(col)

    cols = [conv(f) for f in fields]
    return [dict(zip(fields, row, strict=True)) for row in zip(*cols, strict=True)]


def _texts(col: pd.Series) -> list[str | None]:
    """Text as str, missing as None."""
    cat = col.astype("category")
    names = np.array([str(c) for c in cat.cat.categories] + [None], dtype=object)
    return names[cat.cat.codes.to_numpy()].tolist()  # code −1 (missing) takes the last: None


def _rows_dense(t: pd.DataFrame) -> list[dict[str, Any]] | None:
    """The document's results from a table in which every city-year has every item (as citystd
    writes it): the table spread into one array per item and column, then one dict per city-year
    (10,000 city-years × 341 items: 25 s → a few seconds). None when some item is missing for some
    city-year (:func:`_rows` then reads the table row by row)."""
    if not len(t):
        return []
    city = t["city"].astype("category")
    year = t["year"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    if np.nanmax(np.abs(year), initial=0) >= 10**8:
        return None
    key = city.cat.codes.to_numpy(dtype=np.int64) * 10**9 + np.where(np.isnan(year), 10**9 - 1, year).astype(np.int64)
    row_of, row_keys = pd.factorize(key)
    kind, ident = t["kind"].astype("category"), t["id"].astype("category")
    n_ids = max(len(ident.cat.categories), 1)
    item_of, items = pd.factorize(kind.cat.codes.to_numpy(dtype=np.int64) * n_ids + ident.cat.codes.to_numpy(dtype=np.int64))
    n_rows, n_items = len(row_keys), len(items)
    cell = item_of * n_rows + row_of  # each (item, city-year) once: spread by position
    if n_rows * n_items != len(t) or np.bincount(cell, minlength=len(t)).max() != 1:
        return None

    def spread(values: np.ndarray) -> np.ndarray:
        out = np.empty(len(t), dtype=values.dtype)
        out[cell] = values
        return out.reshape(n_items, n_rows)

    def floats(name: str) -> np.ndarray:
        return spread(t[name].to_numpy(dtype="float64", na_value=np.nan))

    value, score, coverage = floats("value"), floats("score"), floats("coverage")
    rank = spread(t["rank"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan))
    rating = spread(t["rating"].astype(object).where(t["rating"].notna(), None).to_numpy(dtype=object))
    first = np.full(n_rows, len(t), dtype=np.int64)
    np.minimum.at(first, row_of, np.arange(len(t)))
    cities = [str(c) for c in city.to_numpy(dtype=object)[first]]
    codes = [None if pd.isna(c) else str(c) for c in t["code"].to_numpy(dtype=object)[first]]
    years = [None if np.isnan(y) else int(y) for y in year[first]]

    nums, whole = floats_or_none, ints_or_none
    kinds_ids = [(str(kind.cat.categories[i // n_ids]), str(ident.cat.categories[i % n_ids])) for i in items]
    overall = next((i for i, (k, n) in enumerate(kinds_ids) if k == "node" and n == OVERALL), None)
    node_cols = [(n, nums(score[i]), whole(rank[i]), rating[i].tolist(), nums(coverage[i]))
                 for i, (k, n) in enumerate(kinds_ids) if k == "node" and i != overall]
    ind_cols = [(n, nums(value[i]), nums(score[i]), whole(rank[i]), rating[i].tolist())
                for i, (k, n) in enumerate(kinds_ids) if k == "indicator"]
    if overall is None:
        top: tuple[list[Any], ...] = ([None] * n_rows,) * 4
    else:
        top = (nums(score[overall]), whole(rank[overall]), rating[overall].tolist(), nums(coverage[overall]))
    return [
        {"city": cities[r], "code": codes[r], "year": years[r], "score": top[0][r], "rank": top[1][r],
         "rating": top[2][r], "coverage": top[3][r],
         "nodes": {n: {"score": s[r], "rank": k[r], "rating": g[r], "coverage": c[r]} for n, s, k, g, c in node_cols},
         "indicators": {n: {"value": v[r], "score": s[r], "rank": k[r], "rating": g[r]} for n, v, s, k, g in ind_cols}}
        for r in range(n_rows)
    ]


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
