"""Many files, one data set: ``citystd score|check PATH [PATH ...]``.

:func:`read_inputs` reads every file named and every data file inside every folder named (their
sub-folders too, in natural order: ``2-2`` before ``2-10``; hidden files and Office lock files
``~$…`` left out), each with :func:`~citystd.io.read.read_city_data`, and merges them on the city
and the year:

- cities are matched by their 6-digit code when one is known (a code column, or the city register
  of :mod:`citystd.io.identify`), else by their name (trimmed): ``北京市`` in a yearbook table and
  ``Beijing`` in a research panel are one city when both resolve to 110000; the merged table names
  a city as the first input that has it does;
- the same variable for the same city and year from two places is fine when the values are equal
  (to 1e-9 relative), and an error (D734) naming both places and both values when they differ —
  unless ``prefer`` names one of the two inputs (a file or a folder), whose value is then used;
- a file that no column of the library matches is an error (D736) when it was named, and is left
  out with a warning when it was found inside a folder (a yearbook's chapter of administrative
  divisions, an advertisement sheet …); nothing matched anywhere is an error;
- a column that matches nothing is reported once (D703), not once per file; so is a year taken
  from a folder's name (D730).

Every value keeps its place: :meth:`CityData.locate` of the merged table points into the file
the value came from.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from citystd.diagnostics import CitystdError, Diagnostic, Location, Msg, Severity, error
from citystd.io.model import CellMap, CityData, ColumnInfo, DataSource
from citystd.io.read import PARQUET_SUFFIXES, TEXT_SUFFIXES, WORKBOOK_SUFFIXES, read_city_data
from citystd.io.vocabulary import Vocabulary

DATA_SUFFIXES = (*WORKBOOK_SUFFIXES, *TEXT_SUFFIXES, *PARQUET_SUFFIXES)
MAX_FILES = 10_000
_NUMBERS = re.compile(r"(\d+)")


def natural_key(text: str) -> list[object]:
    """Sort key putting ``2-2`` before ``2-10``."""
    return [int(t) if t.isdigit() else t.casefold() for t in _NUMBERS.split(text)]


@dataclass(frozen=True)
class Input:
    """One data file to read: its path, the name shown in messages, and whether it was named on
    the command line (``True``) or found inside a folder."""

    path: Path
    display: str
    named: bool
    root: Path  # the argument it came from (the file itself, or the folder)


def expand(paths: Sequence[str | os.PathLike[str]]) -> list[Input]:
    """The data files of ``paths``: files as given, folders walked (U901 for a path that does not
    exist, U920 for a folder without data files)."""
    out: list[Input] = []
    seen: set[Path] = set()
    for given in paths:
        p = Path(given)
        shown = os.fspath(given)
        if not p.exists():
            raise error("U901", f"no such file or folder: {shown}", f"文件或文件夹不存在：{shown}", Location(shown),
                        exit_code=2)
        if not p.is_dir():
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(Input(p, shown, True, p))
            continue
        found = []
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames[:] = sorted((d for d in dirnames if not d.startswith(".")), key=natural_key)
            for f in sorted(filenames, key=natural_key):
                if f.startswith((".", "~$")) or not f.lower().endswith(DATA_SUFFIXES):
                    continue
                found.append(Path(dirpath) / f)
                if len(found) > MAX_FILES:
                    raise error("U920", f"'{shown}' holds more than {MAX_FILES:,} data files",
                                f"'{shown}' 中的数据文件超过 {MAX_FILES:,} 个", Location(shown), exit_code=2)
        if not found:
            raise error("U920", f"the folder '{shown}' holds no data files (.xlsx, .csv, .parquet …)",
                        f"文件夹 '{shown}' 中没有数据文件（.xlsx、.csv、.parquet 等）", Location(shown),
                        Msg("name the files, or the folder that holds them", "请给出数据文件，或包含数据文件的文件夹"),
                        exit_code=2)
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(Input(f, os.fspath(f), False, p))
    return out


def read_inputs(
    paths: Sequence[str | os.PathLike[str]],
    vocabulary: Mapping[str, Sequence[str]] | Vocabulary | None,
    *,
    sheet: str | int | None = None,
    layout: str = "auto",
    id_column: str | None = None,
    year: int | None = None,
    choose: Mapping[str, str] | None = None,
    prefer: Sequence[str | os.PathLike[str]] = (),
    identify: bool = True,
    max_diagnostics: int = 1000,
) -> CityData:
    """Read files and folders into one :class:`CityData` (see the module docs).

    One named file is read as it is (the merged table of one file is that file's table). With
    ``identify``, city names are resolved to division codes (:func:`citystd.io.identify.identify`).
    """
    inputs = expand(paths)
    vocab = Vocabulary(vocabulary)
    preferred = _preferred(prefer, inputs)
    kw = {"sheet": sheet, "layout": layout, "id_column": id_column, "year": year, "choose": choose,
          "max_diagnostics": max_diagnostics}
    if len(inputs) == 1 and inputs[0].named:
        one = read_city_data(inputs[0].path, vocab, display=inputs[0].display, **kw)  # type: ignore[arg-type]
        return _identified(one, identify)
    parts: list[CityData] = []
    owners: list[Input] = []
    notes: list[Diagnostic] = []
    for inp in inputs:
        try:
            data = read_city_data(inp.path, vocab, display=inp.display, **kw)  # type: ignore[arg-type]
        except CitystdError as exc:
            if inp.named or exc.exit_code != 1:
                raise
            notes.append(_skipped(inp, exc.diagnostic))
            continue
        if not len(data.values.columns) and not vocab.open:
            notes.append(_nothing_matched(inp))
            continue
        parts.append(_identified(data, identify))
        owners.append(inp)
    if not parts:
        raise error("D736", "no file of the input has a column that matches a variable or indicator of the library",
                    "输入中没有任何文件含有与指标库变量或指标匹配的列", Location(inputs[0].display),
                    Msg("check that these are the tables you mean; column headers are matched by the names and "
                        "aliases of the library (docs/data.md)",
                        "请确认这些是所需的数据表；列名按指标库的名称和别名匹配（见 docs/data.md）"))
    merged = merge(parts, [preferred.get(inp.path.resolve(), 0) for inp in owners], max_diagnostics)
    return replace(merged, diagnostics=[*_collapse([*notes, *merged.diagnostics])])


def _identified(data: CityData, identify: bool) -> CityData:
    if not identify:
        return data
    from citystd.io.identify import identify as run

    return run(data)


def _preferred(prefer: Sequence[str | os.PathLike[str]], inputs: list[Input]) -> dict[Path, int]:
    """Each input file → its preference (higher wins a conflict); U921 for a path that is no input."""
    out: dict[Path, int] = {}
    for rank, given in enumerate(prefer):
        target = Path(given).resolve()
        hits = [inp for inp in inputs if inp.path.resolve() == target or target in inp.path.resolve().parents]
        if not hits:
            listing = ", ".join(sorted({os.fspath(i.root) for i in inputs}))
            raise error("U921", f"--prefer '{os.fspath(given)}' is not one of the inputs ({listing})",
                        f"--prefer '{os.fspath(given)}' 不是输入之一（{listing}）", Location(os.fspath(given)),
                        Msg("name one of the files or folders given as data", "请指定作为数据给出的文件或文件夹之一"),
                        exit_code=2)
        for inp in hits:
            out[inp.path.resolve()] = len(prefer) - rank
    return out


def _skipped(inp: Input, d: Diagnostic) -> Diagnostic:
    return Diagnostic("D736", Msg(f"'{inp.display}' is left out: {d.message.en}", f"已跳过 '{inp.display}'：{d.message.zh}"),
                      d.location, d.hint, severity=Severity.WARNING)


def _nothing_matched(inp: Input) -> Diagnostic:
    if inp.named:
        return Diagnostic("D736", Msg(
            f"no column of '{inp.display}' matches a variable or indicator of the library",
            f"'{inp.display}' 中没有任何列与指标库的变量或指标匹配"), Location(inp.display),
            Msg("check that this is the table you mean; column headers are matched by the names and aliases of "
                "the library (docs/data.md)", "请确认这是所需的数据表；列名按指标库的名称和别名匹配（见 docs/data.md）"))
    return Diagnostic("D736", Msg(
        f"'{inp.display}' is left out: none of its columns matches a variable or indicator of the library",
        f"已跳过 '{inp.display}'：其中没有任何列与指标库的变量或指标匹配"), Location(inp.display),
        severity=Severity.WARNING)


def _collapse(diags: list[Diagnostic]) -> list[Diagnostic]:
    """One D703 per unmatched header and one D730 per inferred year, however many files repeat it;
    D712 of files that were left out (D736) is dropped."""
    left_out = {d.location.file for d in diags if d.code == "D736"}
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str], int] = {}
    counts: dict[int, int] = {}
    for d in diags:
        if d.code == "D712" and d.location.file in left_out:
            continue
        if d.code in ("D703", "D730") and not d.more:
            key = (d.code, d.message.en.replace(d.location.file or "", ""))
            if key in seen:
                counts[seen[key]] += 1
                continue
            seen[key] = len(out)
            counts[len(out)] = 0
        out.append(d)
    for k, n in counts.items():
        if n:
            d = out[k]
            out[k] = replace(d, message=Msg(d.message.en + f" (also in {n} other file{'s' if n != 1 else ''})",
                                            d.message.zh + f"（另有 {n} 个文件相同）"))
    return out


# --- merging ------------------------------------------------------------------------------------


class MergedCells(CellMap):
    """Cell positions of a merged table: each cell delegates to the input it came from."""

    def __init__(self, parts: list[CityData], source: np.ndarray, rows: np.ndarray, columns: list[str],
                 row_source: np.ndarray, row_pos: np.ndarray) -> None:
        super().__init__("rows", "", None, np.zeros(len(row_source), dtype="int64"), {}, columns)
        self.parts, self.source, self.rows = parts, source, rows
        self.row_source, self.row_pos = row_source, row_pos

    def _cell(self, i: int, column: str | None) -> tuple[CityData, int, str | None]:
        if column is not None and column in self._col_pos:
            j = self._col_pos[column]
            k = int(self.source[i, j])
            if k >= 0:
                return self.parts[k], int(self.rows[i, j]), column
        k = int(self.row_source[i])
        part = self.parts[k]
        col = column if column is not None and column in part.values.columns.union(part.attributes.columns) else None
        return part, int(self.row_pos[i]), col

    def row(self, i: int, column: str | None) -> int | None:
        part, r, col = self._cell(i, column)
        return part.cells.row(r, col) if part.cells is not None else None

    def locate(self, i: int | None, column: str | None) -> Location:
        if i is None or not 0 <= i < len(self.row_source):
            return Location(self.parts[0].source.file)
        part, r, col = self._cell(i, column)
        return part.locate_at(r, col)


def merge(parts: list[CityData], preference: Sequence[int] | None = None, max_diagnostics: int = 1000) -> CityData:
    """Merge tables on (city, year) — see the module docs. ``preference[k]`` > 0 makes table ``k``
    win conflicts over tables of lower preference."""
    pref = list(preference or [0] * len(parts))
    keys, labels = _unit_keys(parts)
    recs = []
    for k, part in enumerate(parts):
        v = part.values
        if not len(v.columns) or not len(v):
            continue
        n, m = v.shape
        arr = v.to_numpy(dtype="float64")
        ok = ~np.isnan(arr)
        r_idx, c_idx = np.nonzero(ok)
        years = v.index.get_level_values("year").to_numpy(dtype=object)
        recs.append(pd.DataFrame({
            "unit": keys[k][r_idx], "year": pd.array(years[r_idx], dtype="Int64"),
            "var": np.asarray(v.columns, dtype=object)[c_idx], "value": arr[r_idx, c_idx],
            "src": np.full(len(r_idx), k, dtype="int64"), "row": r_idx.astype("int64"),
            "pref": np.full(len(r_idx), pref[k], dtype="int64")}))
        del n, m
    long = pd.concat(recs, ignore_index=True) if recs else pd.DataFrame(
        {"unit": [], "year": pd.array([], dtype="Int64"), "var": [], "value": [], "src": [], "row": [], "pref": []})
    long["order"] = np.arange(len(long))
    long = long.sort_values(["pref", "order"], ascending=[False, True], kind="stable")
    dup = long.duplicated(["unit", "year", "var"], keep="first")
    diags: list[Diagnostic] = []
    if dup.any():
        diags += _conflicts(long, dup, parts, labels, max_diagnostics)
    chosen = long.loc[~dup].sort_values("order", kind="stable")

    # the merged rows: every (unit, year) of every part, in order of first appearance
    all_rows = []
    for k, part in enumerate(parts):
        years = part.values.index.get_level_values("year")
        all_rows.append(pd.DataFrame({"unit": keys[k], "year": pd.array(years, dtype="Int64"),
                                      "src": k, "pos": np.arange(len(years))}))
    rows = pd.concat(all_rows, ignore_index=True)
    first = rows.drop_duplicates(["unit", "year"], keep="first").reset_index(drop=True)
    row_index = pd.MultiIndex.from_frame(first[["unit", "year"]])
    columns = list(dict.fromkeys(c for p in parts for c in p.values.columns))
    col_pos = {c: j for j, c in enumerate(columns)}
    data = np.full((len(first), len(columns)), np.nan)
    source = np.full(data.shape, -1, dtype="int64")
    cell_rows = np.full(data.shape, -1, dtype="int64")
    if len(chosen):
        ri = row_index.get_indexer(pd.MultiIndex.from_frame(chosen[["unit", "year"]]))
        ci = chosen["var"].map(col_pos).to_numpy(dtype="int64")
        data[ri, ci] = chosen["value"].to_numpy()
        source[ri, ci] = chosen["src"].to_numpy()
        cell_rows[ri, ci] = chosen["row"].to_numpy()
    shown = np.asarray([labels[u] for u in first["unit"]], dtype=object)
    index = pd.MultiIndex.from_arrays([pd.Index(shown, dtype=object), pd.Index(first["year"].array, dtype="Int64")],
                                      names=["unit", "year"])
    values = pd.DataFrame(data, index=index, columns=pd.Index(columns, dtype=object))
    attributes = _attributes(parts, keys, row_index, index)
    headers: dict[str, str] = {}
    infos: dict[str, ColumnInfo] = {}
    for p in parts:
        for c, h in p.headers.items():
            headers.setdefault(c, h)
        for c, info in p.columns.items():
            infos.setdefault(c, info)
    cells = MergedCells(parts, source, cell_rows, columns, first["src"].to_numpy(), first["pos"].to_numpy())
    codes = _codes(keys, labels)
    srcs = [s for p in parts for s in p.sources]
    combined = DataSource(
        file=", ".join(dict.fromkeys(s.file for s in srcs)) if len(srcs) <= 3 else f"{srcs[0].file} (+{len(srcs) - 1} files)",
        path="", sha256=_combined_sha(srcs), format="merged", sheet=None, layout="merged", dialect="merged")
    diagnostics = [d for p in parts for d in p.diagnostics] + diags
    return CityData(values, attributes, combined, headers, diagnostics, cells, infos, srcs, codes)


def _unit_keys(parts: list[CityData]) -> tuple[list[np.ndarray], dict[Hashable, str]]:
    """Each part's merge key per row (``code:110000`` when the code is known, else the name) and
    the name shown for each key (the first part's)."""
    keys: list[np.ndarray] = []
    labels: dict[Hashable, str] = {}
    # a name known with its code in one input gives the code to the same name in the others
    pairs: dict[str, set[str]] = {}
    for part in parts:
        if part.codes is not None:
            for u, c in part.codes.items():
                if c is not None and pd.notna(c):
                    pairs.setdefault(str(u).strip(), set()).add(str(c))
    learnt = {name: next(iter(cs)) for name, cs in pairs.items() if len(cs) == 1}
    for part in parts:
        units = part.values.index.get_level_values("unit").to_numpy(dtype=object)
        names = np.asarray([str(u).strip() for u in units], dtype=object)
        own = part.codes.reindex(units).to_numpy(dtype=object) if part.codes is not None and len(part.codes) \
            else np.full(len(units), None, dtype=object)
        code = np.asarray([c if c is not None and pd.notna(c) else learnt.get(n) for c, n in zip(own, names, strict=True)],
                          dtype=object)
        key = np.asarray([f"code:{c}" if c is not None else n for c, n in zip(code, names, strict=True)], dtype=object)
        key = np.asarray(key, dtype=object)
        for k, u in zip(key, units, strict=True):
            labels.setdefault(k, str(u).strip())
        keys.append(key)
    return keys, labels


def _conflicts(long: pd.DataFrame, dup: pd.Series, parts: list[CityData], labels: dict[Hashable, str],
               cap: int) -> list[Diagnostic]:
    kept = long.loc[~dup].set_index(["unit", "year", "var"])
    others = long.loc[dup]
    base = kept.reindex(pd.MultiIndex.from_frame(others[["unit", "year", "var"]]))
    a, b = base["value"].to_numpy(), others["value"].to_numpy()
    differ = ~np.isclose(a, b, rtol=1e-9, atol=0.0)
    same_pref = base["pref"].to_numpy() == others["pref"].to_numpy()
    bad = np.flatnonzero(differ & same_pref)
    out = []
    for n, i in enumerate(bad):
        if n >= cap:
            out.append(Diagnostic("D734", Msg(
                f"… and {len(bad) - cap:,} more conflicts (not listed)", f"……另有 {len(bad) - cap:,} 处冲突未列出"),
                Location(parts[0].source.file), more=len(bad) - cap))
            break
        o = others.iloc[i]
        ka, ra = int(base["src"].iloc[i]), int(base["row"].iloc[i])
        kb, rb = int(o["src"]), int(o["row"])
        var = o["var"]
        where_a, where_b = parts[ka].locate_at(ra, var), parts[kb].locate_at(rb, var)
        city, year = labels[o["unit"]], o["year"]
        when = "" if pd.isna(year) else f" {year}"
        out.append(Diagnostic("D734", Msg(
            f'"{var}" of {city}{when} is {_num(a[i])} in {where_a} but {_num(b[i])} in {where_b}',
            f'{city}{when} 的 "{var}" 在 {where_a} 为 {_num(a[i])}，在 {where_b} 为 {_num(b[i])}'), where_b,
            Msg(f"correct one of them, or pass --prefer {parts[ka].source.file} (or the other) to use its values",
                f"请更正其中之一，或用 --prefer {parts[ka].source.file}（或另一个）指定采用哪一方的数值")))
    return out


def _num(v: float) -> str:
    """A value as written in a table: 21860000, 0.123 (no exponent for whole numbers)."""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.12g}"


def _attributes(parts: list[CityData], keys: list[np.ndarray], row_index: pd.MultiIndex,
                index: pd.MultiIndex) -> pd.DataFrame:
    frames = []
    for k, part in enumerate(parts):
        a = part.attributes
        if not len(a.columns):
            continue
        years = part.values.index.get_level_values("year")
        a = a.copy()
        a.index = pd.MultiIndex.from_arrays([pd.Index(keys[k], dtype=object), pd.Index(years, dtype="Int64")])
        frames.append(a)
    if not frames:
        return pd.DataFrame(index=index)
    out = pd.DataFrame(index=row_index)
    for f in frames:
        f = f[~f.index.duplicated(keep="first")]
        for c in f.columns:
            col = f[c].reindex(row_index)
            out[c] = col if c not in out.columns else out[c].where(out[c].notna(), col)
    out.index = index
    return out


def _codes(keys: list[np.ndarray], labels: dict[Hashable, str]) -> pd.Series | None:
    found: dict[str, str] = {}
    for key in (k for ks in keys for k in ks):
        if isinstance(key, str) and key.startswith("code:"):
            found.setdefault(labels[key], key[5:])
    if not found:
        return None
    return pd.Series(found, dtype=object)


def _combined_sha(sources: list[DataSource]) -> str:
    import hashlib

    h = hashlib.sha256()
    for s in sorted(sources, key=lambda s: (s.sha256, s.file)):
        h.update(f"{s.sha256}\t{s.file}\n".encode())
    return h.hexdigest()
