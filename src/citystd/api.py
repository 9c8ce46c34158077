"""The Python API behind ``import citystd`` (docs/api.md): score data, read the library, audit.

Everything here is the same machinery as the command line — the same reader, checks, engine and
renderers — with DataFrames in and out instead of files and terminals. Problems that stop a
command stop the call with one exception type, :class:`~citystd.diagnostics.CitystdError`, which
carries every finding the command line would print (``exc.diagnostics``).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citystd.diagnostics import CitystdError, Diagnostic, Location, Msg, Severity

if TYPE_CHECKING:
    import pandas as pd

    from citystd.assessment.results import Results as _EngineResults
    from citystd.library.load import Library as _Library

#: what ``data`` may be: a path, several paths (files and folders), or a DataFrame (wide or long)
DataInput = Any


# ---------------------------------------------------------------------------- the library

class Library:
    """The indicator library and its frameworks as DataFrames (one row per item; nested texts as
    ``name_zh``/``name_en`` columns, bounds as ``goalposts_worst``/``goalposts_best`` …)."""

    def __init__(self, lib: _Library, paths: list[Path]) -> None:
        self._lib = lib
        self.paths = paths

    def _table(self, items: dict[str, Any], index: str = "id") -> pd.DataFrame:
        import pandas as pd

        from citystd.library.models import unit_text

        dumps = []
        for m in items.values():
            d = m.model_dump(mode="json")
            if "unit" in d:  # a unit may be written as one text or as {zh, en, code}: always two columns
                unit = getattr(m, "unit", None)
                d["unit"] = {"zh": unit_text(unit, "zh"), "en": unit_text(unit, "en"),
                             "code": getattr(unit, "code", None)}
            dumps.append(d)
        nested = {k for d in dumps for k, v in d.items() if isinstance(v, dict)}
        rows = []
        for d in dumps:  # one level flattened: name → name_zh, name_en; goalposts → goalposts_worst …
            row: dict[str, Any] = {}
            for k, v in d.items():
                if isinstance(v, dict):
                    row.update({f"{k}_{sub}": x for sub, x in v.items()})
                elif not (k in nested and v is None):
                    row[k] = v
            rows.append(row)
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=[index])
        return frame.set_index(index, drop=False).rename_axis(None)

    @property
    def indicators(self) -> pd.DataFrame:
        """Every indicator: id, names, definition, domain, unit, direction, formula, range, bounds,
        sources, scope … (the fields of docs/format.md)."""
        return self._table(self._lib.indicators)

    @property
    def variables(self) -> pd.DataFrame:
        """Every variable (raw statistic) a formula may use, with its unit, scope and aliases."""
        return self._table(self._lib.variables)

    @property
    def domains(self) -> pd.DataFrame:
        return self._table(self._lib.domains)

    @property
    def frameworks(self) -> pd.DataFrame:
        """Every framework: id, version, names, edition, and how many indicators its tree holds."""
        import pandas as pd

        from citystd.library.rules import context_ids, effective_weights

        rows = []
        for fid, fw in self._lib.frameworks.items():
            weights = effective_weights(fw, context_ids(self._lib))
            rows.append({"id": fid, "version": fw.version, "name_zh": fw.name.zh, "name_en": fw.name.en,
                         "edition": _edition_text(fw), "indicators": len(weights),
                         "scored": sum(1 for w in weights.values() if w > 0)})
        return pd.DataFrame(rows, columns=["id", "version", "name_zh", "name_en", "edition", "indicators",
                                           "scored"]).set_index("id", drop=False).rename_axis(None)

    def framework(self, framework_id: str) -> pd.DataFrame:
        """The indicators of one framework with their effective weights (as ``citystd frameworks show``)."""
        import pandas as pd

        from citystd.diagnostics import error, suggestion
        from citystd.library.rules import context_ids, effective_weights

        fw = self._lib.frameworks.get(framework_id)
        if fw is None:
            raise error("U901", f"unknown framework '{framework_id}'", f"未知框架 '{framework_id}'",
                        hint=suggestion(framework_id, self._lib.frameworks), exit_code=2)
        weights = effective_weights(fw, context_ids(self._lib))
        return pd.DataFrame({"indicator": list(weights), "weight": list(weights.values())})

    def __repr__(self) -> str:
        return (f"<citystd.Library: {len(self._lib.indicators)} indicators, {len(self._lib.variables)} variables, "
                f"{len(self._lib.frameworks)} frameworks>")


def _edition_text(fw: Any) -> str | None:
    ed = getattr(fw, "edition", None)
    if ed is None:
        return None
    return getattr(ed, "standard", None) or str(ed)


def load_library(paths: Sequence[str | os.PathLike[str]] | None = None) -> Library:
    """The built-in library, or the library in ``paths`` (YAML files and folders).

    Raises :class:`CitystdError` (with every finding) when the library does not validate.
    """
    from citystd.library.load import builtin_path
    from citystd.library.validate import validate

    roots = [Path(p) for p in paths] if paths else [builtin_path()]
    lib, diags = validate(roots)
    _raise_errors(diags, Msg("the indicator library does not validate", "指标库未通过校验"))
    return Library(lib, roots)


# ---------------------------------------------------------------------------- results

class Results:
    """The results of :func:`score`: tidy DataFrames, the results document, and its renderings.

    - :attr:`scores` — one row per city-year and node (``overall`` is the framework's score):
      ``city, code, year, node, score, rank, rating, coverage``;
    - :attr:`indicators` — one row per city-year and indicator:
      ``city, code, year, indicator, value, score, rank, rating``;
    - :attr:`issues` — every finding (``code, rule, severity, file, sheet, cell, line, col,
      message, hint``);
    - :attr:`doc` — the results document (docs/results.md), as ``citystd score --format json``;
    - ``to_json``, ``to_parquet``, ``to_excel``, ``to_html``, ``to_markdown``, ``to_csv`` write
      the same files as ``citystd score -o`` (atomically; never over one of the inputs).
    """

    def __init__(self, results: _EngineResults, diagnostics: list[Diagnostic], lang: str,
                 inputs: list[str]) -> None:
        self._results = results
        self._diagnostics = diagnostics
        self.lang = lang
        self._inputs = inputs
        self._doc: dict[str, Any] | None = None

    @property
    def framework(self) -> dict[str, Any]:
        """``id``, ``version``, ``sha256`` and ``name`` of the framework scored against."""
        return self._results.header()["framework"]

    @property
    def doc(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = self._results.doc()
        return self._doc

    def _tidy(self, kind: str) -> pd.DataFrame:
        from citystd.assessment.tidy import frame, results_blocks

        return frame(results_blocks(self._results), kind)

    @property
    def scores(self) -> pd.DataFrame:
        t = self._tidy("node").rename(columns={"id": "node"})
        return t[["city", "code", "year", "node", "score", "rank", "rating", "coverage"]]

    @property
    def indicators(self) -> pd.DataFrame:
        t = self._tidy("indicator").rename(columns={"id": "indicator"})
        return t[["city", "code", "year", "indicator", "value", "score", "rank", "rating"]]

    @property
    def issues(self) -> pd.DataFrame:
        return issues_frame(self._diagnostics, self.lang)

    def ranking(self) -> pd.DataFrame:
        """The overall score per city-year: ``city, code, year, score, rank, rating, coverage``,
        best first within each year."""
        s = self.scores
        top = s[s["node"] == "overall"].drop(columns="node")
        return top.sort_values(["year", "rank", "city"], na_position="last", kind="stable").reset_index(drop=True)

    # -- files

    def _write(self, path: str | os.PathLike[str], fmt: str, city: str | None = None) -> Path:
        from citystd.io.outpath import check_output

        check_output(path, self._inputs)
        if fmt == "parquet":
            from citystd.io.atomic import write_atomic
            from citystd.report import parquet

            write_atomic(path, parquet.results_writer(self._results) if city is None else
                         parquet.doc_writer(_one_city(self.doc, city)))
        elif fmt == "json" and city is None:
            from citystd.io.atomic import write_chunks_atomic

            write_chunks_atomic(path, self._results.json_chunks())
        else:
            from citystd.cli.output import render_output
            from citystd.io.atomic import write_bytes_atomic

            write_bytes_atomic(path, render_output(self.doc, fmt, self.lang, city))
        return Path(path)

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """The results document (docs/results.md), byte-identical to ``citystd score -o x.json``."""
        return self._write(path, "json")

    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """The tidy Parquet table with the document in its metadata (docs/results.md#parquet)."""
        return self._write(path, "parquet")

    def to_excel(self, path: str | os.PathLike[str], city: str | None = None) -> Path:
        return self._write(path, "xlsx", city)

    def to_html(self, path: str | os.PathLike[str], city: str | None = None) -> Path:
        return self._write(path, "html", city)

    def to_markdown(self, path: str | os.PathLike[str], city: str | None = None) -> Path:
        return self._write(path, "markdown", city)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        return self._write(path, "csv")

    # -- display

    def __repr__(self) -> str:
        fw = self.framework
        n = len(self._results.units)
        return f"<citystd.Results: {fw['id']} v{fw['version']}, {n} city-years, {len(self._results.inds)} indicators>"

    def _repr_html_(self) -> str:
        """A notebook's view: the framework and the ranking (at most 20 rows), every text escaped."""
        from citystd.report.labels import rating_label

        fw = self.framework
        top = self.ranking().head(20)
        cells = []
        import pandas as pd

        for r in top.itertuples(index=False):
            rating = "" if pd.isna(r.rating) else rating_label(str(r.rating), self.lang)
            score = "" if pd.isna(r.score) else f"{r.score:.2f}"
            cover = "" if pd.isna(r.coverage) else f"{100 * r.coverage:.1f} %"
            year = "" if pd.isna(r.year) else str(r.year)
            rank = "" if pd.isna(r.rank) else str(r.rank)
            cells.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in
                                          (rank, str(r.city), year, score, rating, cover)) + "</tr>")
        heads = ("rank", "city", "year", "score", "rating", "coverage") if self.lang == "en" else \
            ("排名", "城市", "年份", "得分", "评级", "覆盖率")
        more = len(self.ranking()) - len(top)
        tail = f"<p>… {more} more</p>" if more > 0 else ""
        title = html.escape(f"{fw['name'][self.lang]} ({fw['id']} v{fw['version']})")
        return (f"<div><strong>{title}</strong><table><thead><tr>"
                + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead><tbody>" + "".join(cells)
                + f"</tbody></table>{tail}</div>")


def _one_city(doc: dict[str, Any], city: str) -> dict[str, Any]:
    from citystd.cli.output import _one_city as one

    return one(doc, city)


def issues_frame(diagnostics: Sequence[Diagnostic], lang: str = "en") -> pd.DataFrame:
    """Findings as a DataFrame with the fields of ``citystd validate --format json``."""
    import pandas as pd

    cols = ["code", "rule", "severity", "file", "sheet", "cell", "line", "col", "message", "hint"]
    rows = [{c: d.to_dict(lang).get(c) for c in cols} for d in diagnostics]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------- scoring

def score(data: DataInput, framework: str | None = None, *, library: Sequence[str | os.PathLike[str]] | None = None,
          sets: Sequence[str] | None = None, lang: str = "en", sheet: str | None = None, layout: str = "auto",
          id_column: str | None = None, year: int | None = None,
          prefer: Sequence[str | os.PathLike[str]] = (), keep_going: bool = False,
          compare_with: str | os.PathLike[str] | None = None) -> Results:
    """Score ``data`` against ``framework`` (a built-in id, default ``action-plan``, or a framework
    YAML file) — what ``citystd score`` does, with the same options.

    ``data`` is a path, several paths (files and folders read as one data set, docs/data.md), or
    a pandas DataFrame in any layout a file may have (wide: a city column, maybe a year column,
    one column per variable or indicator; long: city, year, variable, value). ``library``
    replaces the built-in library; ``sets`` are ``step.param=value`` overrides (``--set``).

    Raises :class:`CitystdError` carrying every finding when the library, the options or the
    data have errors (unless ``keep_going``); warnings are in :attr:`Results.issues`.
    """
    import pandas as pd

    from citystd.assessment.scoring import score_file
    from citystd.library.select import load_framework

    if lang not in ("zh", "en"):
        raise _usage(f"lang must be 'zh' or 'en', not {lang!r}", f"lang 只能是 'zh' 或 'en'，而不是 {lang!r}")
    lib, fw = load_framework(framework, [Path(p) for p in library] if library else None)
    if isinstance(data, pd.DataFrame):
        inputs: list[str] = []
        given: Any = data
    elif isinstance(data, (str, os.PathLike)):
        inputs = [os.fspath(data)]
        given = Path(data)
    else:
        inputs = [os.fspath(p) for p in data]
        if not inputs:
            raise _usage("data is empty: give a path, several paths or a DataFrame",
                         "data 为空：请给出路径、多个路径或 DataFrame")
        given = [Path(p) for p in inputs]
    outcome = score_file(given, lib, fw, sets=list(sets or []), sheet=sheet, layout=layout, id_column=id_column,
                         year=year, prefer=[Path(p) for p in prefer], keep_going=keep_going, lang=lang,
                         compare_with=Path(compare_with) if compare_with is not None else None)
    if outcome.results is None or (outcome.errors and not keep_going):
        _raise_errors(outcome.diagnostics, Msg("scoring stopped: the data has errors (or use keep_going=True)",
                                               "评分已停止：数据有错误（或使用 keep_going=True）"), force=True)
    assert outcome.results is not None
    return Results(outcome.results, outcome.diagnostics, lang, inputs)


def _raise_errors(diags: Sequence[Diagnostic], summary: Msg, force: bool = False) -> None:
    errors = [d for d in diags if d.level is Severity.ERROR]
    if not errors and not force:
        return
    first = errors[0] if errors else Diagnostic("D711", summary, Location())
    raise CitystdError(first, 1, list(diags))


def _usage(en: str, zh: str) -> CitystdError:
    return CitystdError(Diagnostic("U901", Msg(en, zh), Location()), 2)


# ---------------------------------------------------------------------------- the audit

def audit(data: DataInput, framework: str | None = None, *, library: Sequence[str | os.PathLike[str]] | None = None,
          uncertainty: str | os.PathLike[str] | None = None, n: int = 1000, seed: int = 1,
          sensitivity: bool = True, size: Sequence[str] | None = None, year: int | None = None,
          workers: int | None = None, scheduler: str | None = None, sets: Sequence[str] | None = None,
          keep_going: bool = False) -> dict[str, Any]:
    """Coherence, uncertainty and sensitivity analysis of ``framework`` on ``data`` — what
    ``citystd audit`` does (docs/audit.md); returns the audit document (deterministic for a seed).

    ``uncertainty`` is an uncertainty file (default: the framework's own ``uncertainty:``
    section); ``n`` the base sample; ``workers``/``scheduler`` run the replications on a process
    pool or a Dask cluster (same results). Raises :class:`CitystdError` with every finding when
    the uncertainty section, the library or the data have errors.
    """
    import pandas as pd

    from citystd.assessment.audit.io import audit_data

    given: Any = data if isinstance(data, pd.DataFrame) else \
        os.fspath(data) if isinstance(data, (str, os.PathLike)) else [os.fspath(p) for p in data]
    outcome = audit_data(given, framework, os.fspath(uncertainty) if uncertainty is not None else None,
                         library=[os.fspath(p) for p in library] if library else None, n=n, seed=seed,
                         sensitivity=sensitivity, size=list(size or []), year=year, workers=workers,
                         scheduler=scheduler, sets=list(sets or []), keep_going=keep_going, table=True)
    if outcome.document is None:
        _raise_errors(outcome.diagnostics, Msg("the audit stopped: see the findings", "审计已停止：请查看各项问题"),
                      force=True)
    assert outcome.document is not None
    return outcome.document
