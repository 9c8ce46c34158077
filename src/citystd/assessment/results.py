"""The results document of `citystd score` (docs/results.md): one model, several renderers.

:func:`build` turns a :class:`~citystd.engine.pipeline.Scores` bundle into the plain JSON-ready
document; :func:`dumps` serialises it deterministically (same input → byte-identical text).
Renderers (terminal table, CSV, reports) read the document, never the engine's frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citystd import __version__
from citystd.diagnostics import Diagnostic, Severity
from citystd.engine.pipeline import ROOT, Scores, ScoringSpec
from citystd.library.load import Library
from citystd.library.models import unit_text


def floats_or_none(a: Any) -> list[float | None]:
    """Numbers as Python floats, NaN as None (for JSON and the results document)."""
    arr = np.asarray(a, dtype="float64")
    out = arr.astype(object)
    out[np.isnan(arr)] = None
    return out.tolist()


def ints_or_none(a: Any) -> list[int | None]:
    """Whole numbers given as floats (NaN for none) as Python ints, NaN as None."""
    arr = np.asarray(a, dtype="float64")
    gap = np.isnan(arr)
    out = np.where(gap, 0, arr).astype(np.int64).astype(object)
    out[gap] = None
    return out.tolist()


def _ints(s: pd.Series) -> list[int | None]:
    return ints_or_none(s.astype("Float64").to_numpy(dtype="float64", na_value=np.nan))


def _objs(a: Any) -> list:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in list(a)]


class Results:
    """The results of one run, rendered on demand: :meth:`doc` (dicts) or :meth:`json_text` (fast)."""

    def __init__(self, spec: ScoringSpec, scores: Scores, lib: Library, *, input_info: dict[str, Any],
                 issues: Sequence[Diagnostic], lang: str = "en", codes: dict[str, str] | None = None) -> None:
        self.spec, self.scores, self.lib = spec, scores, lib
        self.input_info, self.issues, self.lang = input_info, list(issues), lang
        self.code_of = dict(codes or {})  # city → 6-digit division code, where known
        self.node_ids = [n.id for n in spec.nodes if n.id != ROOT]
        self.inds = list(spec.indicators)
        idx = scores.nodes.index
        unit_text = np.asarray(idx.get_level_values("unit"), dtype=object).astype(str).astype(object)
        units = unit_text.tolist()
        year_f = pd.array(idx.get_level_values("year"), dtype="Float64").to_numpy(dtype="float64", na_value=np.nan)
        years = ints_or_none(year_f)
        rank_f = scores.node_ranks[ROOT].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        # the document's row order: year (rows without one first), rank (unranked last), city (as text);
        # lexsort is stable, as the sort it replaces
        _, unit_code = np.unique(unit_text, return_inverse=True) if len(units) else (None, np.zeros(0, np.int64))
        self.order = np.lexsort((unit_code, np.nan_to_num(rank_f), np.isnan(rank_f), np.nan_to_num(year_f),
                                 ~np.isnan(year_f))).tolist()
        self.units, self.years = units, years
        self.codes: list[str | None] = [self.code_of.get(u) for u in units]  # per row, like units

    def header(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "citystd_version": __version__,
            "framework": {"id": spec.framework_id, "version": spec.version, "sha256": spec.sha256(),
                          "name": spec.name},
            "input": self.input_info,
            "pipeline": self.scores.steps_run,
            "tree": _tree(spec),
            "indicators": {i: _indicator_meta(self.lib, spec, i) for i in self.inds},
        }

    def footer(self, *, tables: bool = False) -> dict[str, Any]:
        """The document after ``results``. ``tables``: ``records`` and ``trends`` as DataFrames
        (:func:`record_table`, :func:`trend_table`; the Parquet writer stores them as rows) instead
        of one dict per record and trend."""
        from citystd.assessment.gaps import section  # gap analysis and priorities (docs/results.md, gaps)

        out = {
            "dropped": _dropped(self.scores.dropped),
            "records": record_table(self.scores.records) if tables else _records(self.scores.records),
            "issues": [d.to_dict(self.lang) for d in self.issues],
            "trends": trend_table(self.scores.trends) if tables else _trends(self.scores.trends),
            "gaps": section(self),
            "peers": getattr(self, "peers", None),  # set by --compare-with (citystd.assessment.peers)
        }
        if getattr(self, "audit", None) is not None:  # set by --audit (citystd.assessment.intervals)
            out["audit"] = self.audit
        return out

    def _columns(self) -> dict[str, dict[str, list]]:
        sc, nodes = self.scores, [*self.node_ids, ROOT]
        conv_f, conv_i, conv_o = floats_or_none, _ints, _objs

        def get(frame: pd.DataFrame, cols: list[str], conv: Any, floats: bool = False) -> dict[str, list]:
            if floats:
                return {c: conv(frame[c].to_numpy(dtype="float64", na_value=np.nan)) for c in cols}
            return {c: conv(frame[c]) for c in cols}

        return {
            "n_score": get(sc.nodes, nodes, conv_f, True), "n_rank": get(sc.node_ranks, nodes, conv_i),
            "n_col": get(sc.node_colours, nodes, conv_o), "n_cov": get(sc.coverage, nodes, conv_f, True),
            "i_val": get(sc.values, self.inds, conv_f, True), "i_score": get(sc.scores, self.inds, conv_f, True),
            "i_rank": get(sc.indicator_ranks, self.inds, conv_i), "i_col": get(sc.indicator_colours, self.inds, conv_o),
        }

    def rows(self) -> list[dict[str, Any]]:
        c = self._columns()
        out = []
        for r in self.order:  # one entry per city-year: building the document, not computing
            out.append({
                "city": self.units[r], "code": self.codes[r], "year": self.years[r],
                "score": c["n_score"][ROOT][r], "rank": c["n_rank"][ROOT][r], "rating": c["n_col"][ROOT][r],
                "coverage": c["n_cov"][ROOT][r],
                "nodes": {n: {"score": c["n_score"][n][r], "rank": c["n_rank"][n][r], "rating": c["n_col"][n][r],
                              "coverage": c["n_cov"][n][r]} for n in self.node_ids},
                "indicators": {i: {"value": c["i_val"][i][r], "score": c["i_score"][i][r], "rank": c["i_rank"][i][r],
                                   "rating": c["i_col"][i][r]} for i in self.inds},
            })
        return out

    def doc(self) -> dict[str, Any]:
        return {**self.header(), "results": self.rows(), **self.footer()}

    def json_bytes(self) -> bytes:
        """The document as UTF-8 JSON: equal to ``dumps(self.doc())``."""
        return b"".join(self.json_chunks())

    def json_chunks(self, chunk: int = 2000) -> Iterator[bytes]:
        """The document as UTF-8 JSON pieces, built column-wise (concatenated: :meth:`json_bytes`).

        Each column is formatted by orjson a whole array at a time, and each result row is filled
        into one precomputed template, in chunks of rows, so a 10,000 × 300 result neither builds
        millions of small dicts nor holds every cell's text at once. Bidirectional control
        characters are written as ``\\u`` escapes (:func:`citystd.textsafe.escape_bidi_json`).
        """
        import orjson

        from citystd.textsafe import escape_bidi_json

        sc, nodes = self.scores, [*self.node_ids, ROOT]
        q = orjson.dumps
        node_part = b",".join(q(n) + b':{"score":%s,"rank":%s,"rating":%s,"coverage":%s}' for n in self.node_ids)
        ind_part = b",".join(q(i) + b':{"value":%s,"score":%s,"rank":%s,"rating":%s}' for i in self.inds)
        template = (b'{"city":%s,"code":%s,"year":%s,"score":%s,"rank":%s,"rating":%s,"coverage":%s,"nodes":{'
                    + node_part + b'},"indicators":{' + ind_part + b"}}")

        def f(frame: pd.DataFrame, col: str) -> tuple[str, np.ndarray]:
            return "float", frame[col].to_numpy(dtype="float64", na_value=np.nan)

        def i(frame: pd.DataFrame, col: str) -> tuple[str, np.ndarray]:
            return "int", frame[col].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)

        def c(frame: pd.DataFrame, col: str) -> tuple[str, tuple[np.ndarray, np.ndarray]]:
            return "cat", _factorize(frame[col].to_numpy(dtype=object))

        years = np.array([np.nan if y is None else float(y) for y in self.years])
        codes = np.array(self.codes, dtype=object)
        sources: list[tuple[str, Any]] = [("cat", _factorize(np.array(self.units, dtype=object))),
                                          ("cat", _factorize(codes)), ("int", years),
                                          f(sc.nodes, ROOT), i(sc.node_ranks, ROOT), c(sc.node_colours, ROOT),
                                          f(sc.coverage, ROOT)]
        for n in self.node_ids:
            sources += [f(sc.nodes, n), i(sc.node_ranks, n), c(sc.node_colours, n), f(sc.coverage, n)]
        for k in self.inds:
            sources += [f(sc.values, k), f(sc.scores, k), i(sc.indicator_ranks, k), c(sc.indicator_colours, k)]
        del nodes
        order = np.asarray(self.order, dtype=np.int64)
        yield escape_bidi_json(q(self.header())[:-1] + b',"results":[')
        for start in range(0, len(order), chunk):
            rows = order[start:start + chunk]
            cols = [_texts(kind, data, rows).tolist() for kind, data in sources]
            yield escape_bidi_json((b"\n" if start == 0 else b",\n")
                                   + b",\n".join([template % r for r in zip(*cols, strict=True)]))
        yield escape_bidi_json((b"\n" if len(order) else b"") + b"]," + q(self.footer())[1:] + b"\n")


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, lookup of JSON texts with b"null" last) for a column of strings/None."""
    import orjson

    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    lookup = np.array([orjson.dumps(str(u)) for u in uniques] + [b"null"], dtype=object)
    return codes, lookup


def _texts(kind: str, data: Any, rows: np.ndarray) -> np.ndarray:
    import orjson

    if kind == "cat":
        codes, lookup = data
        return lookup[codes[rows]]
    a = data[rows]
    if kind == "float":
        return np.array(orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b","), dtype=object) \
            if len(a) else np.array([], dtype=object)
    missing = np.isnan(a)
    ints = np.where(missing, 0, a).astype(np.int64)
    out = np.array(orjson.dumps(ints, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b","), dtype=object) \
        if len(a) else np.array([], dtype=object)
    out[missing] = b"null"
    return out


def build(spec: ScoringSpec, scores: Scores, lib: Library, *, input_info: dict[str, Any],
          issues: Sequence[Diagnostic], lang: str = "en") -> dict[str, Any]:
    """The results document (docs/results.md) as plain dicts."""
    return Results(spec, scores, lib, input_info=input_info, issues=issues, lang=lang).doc()


def _tree(spec: ScoringSpec) -> list[dict[str, Any]]:
    by_id = {n.id: n for n in spec.nodes}

    def items(node_id: str) -> list[dict[str, Any]]:
        node = by_id[node_id]
        out = []
        for child, w in zip(node.children, node.weights, strict=True):
            if child in by_id:
                sub = by_id[child]
                out.append({"id": child, "name": sub.name, "weight": w, "level": sub.level, "children": items(child)})
            else:
                out.append({"indicator": child, "weight": w})
        return out

    return items(ROOT)


def _indicator_meta(lib: Library, spec: ScoringSpec, ind_id: str) -> dict[str, Any]:
    ind = lib.indicators[ind_id]
    gp = spec.goalposts.get(ind_id)
    t = spec.targets.get(ind_id)
    th = spec.thresholds.get(ind_id)
    return {
        "name": ind.name.model_dump(),
        "domain": ind.domain,
        "unit": {"zh": unit_text(ind.unit, "zh"), "en": unit_text(ind.unit, "en")},
        "direction": spec.direction[ind_id],
        "goalposts": {"worst": gp[0], "best": gp[1]} if gp else None,
        "target": {"value": t[0], "year": t[1]} if t else None,
        "thresholds": {"green": th[0], "yellow": th[1], "orange": th[2]} if th else None,
    }


def _year(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _num(v: Any) -> float | None:
    if v is None or pd.isna(v):
        return None
    return float(v)


def _dropped(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.itertuples(index=False):
        reason = str(row.reason)
        out.append({
            "city": str(row.unit), "year": _year(row.year), "coverage": _num(row.availability),
            "reason": {"en": f"dropped by screening ({reason})", "zh": f"被筛除（{reason}）"},
        })
    out.sort(key=lambda x: (x["year"] or 0, x["city"]))
    return out


#: the fields of a record in the document, in order
RECORD_FIELDS = ("city", "year", "indicator", "stage", "action", "before", "after")


def record_table(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The ``records`` of the document as a table with the columns of :data:`RECORD_FIELDS`, in the
    document's order (by year, city, indicator, stage); text columns categorical."""
    if frame is None or not len(frame):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RECORD_FIELDS})
    f = frame.sort_values(["year", "unit", "indicator", "stage"], kind="stable", na_position="first")
    return pd.DataFrame({"city": f["unit"], "year": f["year"], "indicator": f["indicator"], "stage": f["stage"],
                         "action": f["action"], "before": f["before"], "after": f["after"]}).reset_index(drop=True)


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    f = record_table(frame)
    return [
        {"city": str(u), "year": _year(y), "indicator": str(i), "stage": str(s), "action": str(a),
         "before": _num(b), "after": _num(af)}
        for u, y, i, s, a, b, af in zip(f["city"], f["year"], f["indicator"], f["stage"], f["action"], f["before"],
                                        f["after"], strict=True)
    ]


def trend_table(frame: pd.DataFrame | None) -> pd.DataFrame:
    """The ``trends`` of the document as a table: ``city``, ``indicator`` (categorical), then
    ``cagr``, ``slope``, ``progress`` and ``status`` as far as computed, in the document's order (by
    city, indicator), only the trends with a number."""
    if frame is None or not len(frame):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("city", "indicator")})
    numeric = [c for c in ("cagr", "slope", "progress") if c in frame.columns]
    keep = np.flatnonzero(frame[numeric].notna().any(axis=1).to_numpy())
    idx = frame.index
    # city and indicator as codes into their names sorted as text: sorting the codes sorts the
    # names, without comparing millions of strings (2 million trends)
    keys = []
    for level in (0, 1):
        names = np.array([str(v) for v in idx.levels[level]], dtype=object)
        if len(set(names)) < len(names):  # two values with one text: sort the text itself
            cat = pd.Categorical(np.asarray(idx.get_level_values(level)).astype(str)[keep])
            keys.append((cat.codes.astype(np.int64), np.asarray(cat.categories, dtype=object)))
            continue
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(names), dtype=np.int64)
        rank[order] = np.arange(len(names))
        keys.append((rank[np.asarray(idx.codes[level])[keep]], names[order]))
    (unit, units), (ind, inds) = keys
    pos = np.lexsort((ind, unit))
    at = keep[pos]
    out = pd.DataFrame({"city": pd.Categorical.from_codes(unit[pos], categories=units).remove_unused_categories(),
                        "indicator": pd.Categorical.from_codes(ind[pos], categories=inds).remove_unused_categories()})
    for c in numeric:
        out[c] = frame[c].to_numpy(dtype="float64")[at]
    if "status" in frame.columns:
        out["status"] = frame["status"].to_numpy(dtype=object)[at]
    return out


def trend_columns(frame: pd.DataFrame | None) -> dict[str, list[Any]]:
    """:func:`trend_table` as one list per field (None for missing)."""
    f = trend_table(frame)
    out: dict[str, list[Any]] = {"city": f["city"].tolist(), "indicator": f["indicator"].tolist()}
    out.update({c: floats_or_none(f[c].to_numpy(dtype="float64")) for c in ("cagr", "slope", "progress") if c in f})
    if "status" in f.columns:
        out["status"] = [None if pd.isna(v) else str(v) for v in f["status"]]
    return out


def trend_rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """:func:`trend_columns` back to the document's list of trends, one dict each."""
    keys = list(columns)
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _trends(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    return trend_rows(trend_columns(frame))


def dumps(doc: dict[str, Any]) -> bytes:
    """Deterministic UTF-8 JSON in the layout of :meth:`Results.json_bytes` (one result per line)."""
    import orjson

    from citystd.textsafe import escape_bidi_json

    rows = doc.get("results", [])
    head = orjson.dumps({k: v for k, v in doc.items() if k in _HEAD})
    tail = orjson.dumps({k: v for k, v in doc.items() if k not in _HEAD and k != "results"})
    body = b",\n".join(orjson.dumps(r) for r in rows)
    return escape_bidi_json(head[:-1] + b',"results":[\n' + body + (b"\n" if body else b"") + b"]," + tail[1:] + b"\n")


_HEAD = ("citystd_version", "framework", "input", "pipeline", "tree", "indicators")


@dataclass
class Outcome:
    """What a scoring run gives: the results (None when data errors stopped it) and every finding."""

    results: Results | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def doc(self) -> dict[str, Any] | None:
        """The results document as dicts (built on first use)."""
        if self.results is None:
            return None
        if "_doc" not in self.__dict__:
            self.__dict__["_doc"] = self.results.doc()
        return self.__dict__["_doc"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Severity.ERROR]
