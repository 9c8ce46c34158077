"""Results as tidy long tables: one row per city-year and *item* — the overall score, each node of
the tree, each indicator — built column-wise from the engine's frames (or from a results
document), for the Python API's DataFrames and the Parquet writer.

Rows come item by item (the overall score, the nodes in tree order, then the indicators), each
item's city-years in the order of the results document. A :class:`Block` holds a few items as
numpy arrays (n city-years × k items), so that 100,000 cities × 200 indicators never need one
Python object per cell; :func:`frame` turns blocks into a pandas DataFrame with categorical text
columns and nullable integers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from citystd.library.rules import RESERVED_NODE as OVERALL

#: the columns of the long table, in order
COLUMNS = ("city", "code", "year", "kind", "id", "value", "score", "rank", "rating", "coverage")
#: ratings in the fixed order of their codes
RATINGS = ("green", "yellow", "orange", "red", "gray")
#: rows per block, roughly (whole items are kept together)
BLOCK_ROWS = 1_000_000


@dataclass(frozen=True)
class Rows:
    """The city-years of a results document, in its order, shared by every item."""

    city_codes: np.ndarray  # int32 index into cities
    cities: list[str]
    codes: list[str | None]  # per city-year
    years: np.ndarray  # int64, 0 where missing
    year_missing: np.ndarray  # bool

    @classmethod
    def of(cls, cities: list[str], codes: list[str | None], years: list[int | None]) -> Rows:
        seen: dict[str, int] = {}
        idx = np.fromiter((seen.setdefault(c, len(seen)) for c in cities), dtype=np.int32, count=len(cities))
        return cls(idx, list(seen), list(codes), np.array([0 if y is None else y for y in years], dtype=np.int64),
                   np.array([y is None for y in years], dtype=bool))

    @property
    def n(self) -> int:
        return len(self.city_codes)

    @property
    def has_codes(self) -> bool:
        return any(c is not None for c in self.codes)


@dataclass(frozen=True)
class Block:
    """``ids`` (k items of one ``kind``) over ``rows``: arrays of shape (n, k); None where a column
    does not apply (``value`` of nodes, ``coverage`` of indicators)."""

    rows: Rows
    kind: str  # "node" or "indicator"
    ids: list[str]
    value: np.ndarray | None
    score: np.ndarray
    rank: np.ndarray  # float, NaN unranked
    rating: np.ndarray  # int8 index into RATINGS, -1 none
    coverage: np.ndarray | None

    def flat(self, a: np.ndarray) -> np.ndarray:
        """Item-major: all city-years of the first item, then the second …"""
        return np.ascontiguousarray(np.asarray(a).T).reshape(-1)


def rating_codes(ratings: np.ndarray) -> np.ndarray:
    """Index of each rating in :data:`RATINGS`, −1 for none (one hash pass, then a small lookup)."""
    flat = np.asarray(ratings, dtype=object).reshape(-1)
    codes, uniques = pd.factorize(flat, use_na_sentinel=True)
    lookup = np.array([RATINGS.index(u) if u in RATINGS else -1 for u in uniques] + [-1], dtype=np.int8)
    return lookup[codes].reshape(np.shape(ratings))


def _groups(ids: list[str], n: int) -> Iterator[list[str]]:
    size = max(1, BLOCK_ROWS // max(n, 1))
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def results_blocks(results: Any) -> Iterator[Block]:
    """Blocks of a :class:`~citystd.assessment.results.Results`, built from its frames."""
    from citystd.engine.pipeline import ROOT

    sc = results.scores
    order = np.asarray(results.order, dtype=np.int64)
    rows = Rows.of([results.units[r] for r in order], [results.codes[r] for r in order],
                   [results.years[r] for r in order])

    def take(frame: pd.DataFrame, cols: list[str], kind: str = "float") -> np.ndarray:
        part = frame[cols]
        if kind == "object":
            return part.to_numpy(dtype=object)[order]
        if kind == "int":
            part = part.astype("Float64")
        return part.to_numpy(dtype="float64", na_value=np.nan)[order]

    for block in _groups([ROOT, *results.node_ids], rows.n):
        yield Block(rows, "node", [OVERALL if c == ROOT else c for c in block], None, take(sc.nodes, block),
                    take(sc.node_ranks, block, "int"), rating_codes(take(sc.node_colours, block, "object")),
                    take(sc.coverage, block))
    for block in _groups(list(results.inds), rows.n):
        yield Block(rows, "indicator", block, take(sc.values, block), take(sc.scores, block),
                    take(sc.indicator_ranks, block, "int"),
                    rating_codes(take(sc.indicator_colours, block, "object")), None)


def doc_blocks(doc: dict[str, Any]) -> Iterator[Block]:
    """Blocks of a results document (saved results: ``citystd report results.json``)."""
    res = doc["results"]
    rows = Rows.of([r["city"] for r in res], [r.get("code") for r in res], [r["year"] for r in res])
    nodes = list(res[0]["nodes"]) if res else [n["id"] for n in _walk(doc.get("tree", []))]

    def col(get: Any, ids: list[str]) -> np.ndarray:
        out = np.array([[get(r, i) for i in ids] for r in res], dtype=object).reshape(len(res), len(ids))
        return out

    def num(a: np.ndarray) -> np.ndarray:
        return np.where(a == None, np.nan, a).astype("float64")  # noqa: E711 - elementwise

    def node(r: dict, i: str, key: str) -> Any:
        return r[key] if i == OVERALL else r["nodes"][i][key]

    for block in _groups([OVERALL, *nodes], rows.n):
        yield Block(rows, "node", block, None, num(col(lambda r, i: node(r, i, "score"), block)),
                    num(col(lambda r, i: node(r, i, "rank"), block)),
                    rating_codes(col(lambda r, i: node(r, i, "rating"), block)),
                    num(col(lambda r, i: node(r, i, "coverage"), block)))
    for block in _groups(list(doc.get("indicators", {})), rows.n):
        yield Block(rows, "indicator", block, num(col(lambda r, i: r["indicators"][i]["value"], block)),
                    num(col(lambda r, i: r["indicators"][i]["score"], block)),
                    num(col(lambda r, i: r["indicators"][i]["rank"], block)),
                    rating_codes(col(lambda r, i: r["indicators"][i]["rating"], block)), None)


def _walk(tree: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in tree:
        if "children" in item:
            yield from _walk(item["children"])
            yield item


KINDS = ("node", "indicator")


def frame(blocks: Iterator[Block], kind: str | None = None) -> pd.DataFrame:
    """The long table of ``blocks`` (only those of ``kind`` when given) as a DataFrame with the
    columns of :data:`COLUMNS`: ``city``, ``code``, ``kind``, ``id``, ``rating`` categorical,
    ``year`` and ``rank`` nullable integers, ``value``, ``score``, ``coverage`` floats."""
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("item", "kind", "value", "score", "rank", "rating",
                                                           "coverage")}
    ids: list[str] = []
    rows: Rows | None = None
    for b in blocks:
        if kind is not None and b.kind != kind:
            continue
        rows, k = b.rows, len(b.ids)
        size = rows.n * k
        parts["item"].append(np.repeat(np.arange(len(ids), len(ids) + k, dtype=np.int32), rows.n))
        parts["kind"].append(np.full(size, KINDS.index(b.kind), dtype=np.int8))
        parts["value"].append(np.full(size, np.nan) if b.value is None else b.flat(b.value))
        parts["score"].append(b.flat(b.score))
        parts["rank"].append(b.flat(b.rank))
        parts["rating"].append(b.flat(b.rating))
        parts["coverage"].append(np.full(size, np.nan) if b.coverage is None else b.flat(b.coverage))
        ids += b.ids
    if rows is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    col = {c: np.concatenate(v) for c, v in parts.items()}
    reps = len(ids)
    unique_ids = list(dict.fromkeys(ids))  # a node and an indicator may share an id; `kind` tells them apart
    id_codes = np.array([unique_ids.index(i) for i in ids], dtype=np.int32)[col["item"]]
    rank_missing = np.isnan(col["rank"])
    code_idx, code_names = pd.factorize(pd.Series(rows.codes, dtype=object), use_na_sentinel=True)
    return pd.DataFrame({
        "city": pd.Categorical.from_codes(np.tile(rows.city_codes, reps), categories=rows.cities),
        "code": pd.Categorical.from_codes(np.tile(code_idx, reps), categories=code_names),
        "year": pd.arrays.IntegerArray(np.tile(rows.years, reps), np.tile(rows.year_missing, reps)),
        "kind": pd.Categorical.from_codes(col["kind"], categories=list(KINDS)),
        "id": pd.Categorical.from_codes(id_codes, categories=unique_ids),
        "value": col["value"], "score": col["score"],
        "rank": pd.arrays.IntegerArray(np.where(rank_missing, 0, col["rank"]).astype(np.int64), rank_missing),
        "rating": pd.Categorical.from_codes(col["rating"], categories=list(RATINGS)),
        "coverage": col["coverage"],
    })
