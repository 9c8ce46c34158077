"""What a data file may contain: the variables and indicators of a library, with the names,
aliases, scope and unit by which a column is recognised and converted.

:class:`Vocabulary` is built from a library (:meth:`Vocabulary.from_library`) or, for simple
uses and tests, from a mapping ``id → names`` (``{"pm25": ["PM2.5", "细颗粒物"]}``); ``None`` is
the *open* vocabulary, under which every numeric column is a value column named by its header.

Matching a column (:meth:`Vocabulary.match_header`): its keys are tried best first (the whole
header, parent + name, name, Chinese part, English part); for the first key that names anything,
the candidates are ranked by how they are named (id, then a name, then an alias) and by scope:

- a column that states a scope (``全市``, ``市辖区``) matches only a variable of that scope or
  one that declares none — never one of another scope;
- a column that states none prefers the variable without a scope, then the whole city.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from citystd.diagnostics import Msg, did_you_mean
from citystd.io.headers import ColumnHeader
from citystd.textkeys import header_key

ID, NAME, ALIAS = 0, 1, 2


@dataclass(frozen=True)
class Term:
    """One variable or indicator as a data file may carry it."""

    id: str
    names: tuple[str, ...] = ()  # zh and en names
    aliases: tuple[str, ...] = ()
    scope: str | None = None
    units: tuple[str, ...] = ()  # texts that may give its machine-readable unit: code, zh, en
    unit_label: tuple[str, str] = ("", "")  # zh, en, as shown
    published_in: tuple[str, ...] = ()  # "中国城市统计年鉴 2-1 常住人口 全市" …

    @property
    def unit(self) -> str | None:
        """The machine-readable unit (first of ``units`` that parses), or None."""
        from citystd.units import is_unit

        return next((u for u in self.units if is_unit(u)), None)


@dataclass(frozen=True)
class Match:
    """The outcome of matching one column: ``id`` (None: no match) and, when a variable of the
    column's name exists only over another area, those ids (``other_scope``)."""

    id: str | None
    how: int = ID
    other_scope: tuple[str, ...] = field(default=())


class Vocabulary:
    """The terms a file may use, indexed by the keys of their ids, names and aliases."""

    def __init__(self, vocabulary: Mapping[str, Sequence[str]] | Iterable[Term] | Vocabulary | None) -> None:
        if isinstance(vocabulary, Vocabulary):
            self.__dict__.update(vocabulary.__dict__)
            return
        self.open = vocabulary is None
        self._match_cache: dict[str, str | None] = {}  # shared by copies (Vocabulary(vocab))
        self._hint_cache: dict[str, Msg | None] = {}
        terms: list[Term] = []
        if isinstance(vocabulary, Mapping):
            terms = [Term(vid, tuple(n for n in names if n and n != vid)) for vid, names in vocabulary.items()]
        elif vocabulary is not None:
            terms = list(vocabulary)
        self.terms: dict[str, Term] = {}
        for t in terms:
            self.terms.setdefault(t.id, t)
        self.ids: list[str] = list(self.terms)
        self._by_key: dict[str, list[tuple[int, Term]]] = {}
        for how, texts_of in ((ID, lambda t: (t.id,)), (NAME, lambda t: t.names), (ALIAS, lambda t: t.aliases)):
            for t in self.terms.values():
                for text in texts_of(t):
                    key = header_key(text)
                    if not key:
                        continue
                    entries = self._by_key.setdefault(key, [])
                    if all(e[1].id != t.id for e in entries):
                        entries.append((how, t))

    @classmethod
    def from_library(cls, lib: Any, first: Sequence[str] = ()) -> Vocabulary:
        """Every variable and indicator of ``lib`` (``first`` ids first); names the library does
        not define but a formula uses are recognised by their id."""
        from citystd.library.models import unit_candidates, unit_text

        terms: list[Term] = []
        order = [*[i for i in first if i in lib.variables or i in lib.indicators], *lib.variables, *lib.indicators]
        for item_id in dict.fromkeys(order):
            item = lib.variables.get(item_id) or lib.indicators[item_id]
            pubs = tuple(" ".join(x for x in (p.publication, p.table, p.column) if x)
                         for p in getattr(item, "published_in", ()))
            terms.append(Term(item_id, (item.name.zh, item.name.en), tuple(item.aliases), item.scope,
                              tuple(unit_candidates(item.unit)), (unit_text(item.unit, "zh"), unit_text(item.unit, "en")),
                              pubs))
        for name in first:
            if name not in lib.variables and name not in lib.indicators:
                terms.append(Term(name))
        return cls(terms)

    # --- matching ---------------------------------------------------------------------------

    def match(self, text: str) -> str | None:
        """The id a plain header (or a long table's variable name) names; cached per text."""
        cache = self._match_cache
        if text not in cache:
            from citystd.io.headers import parse_header

            if len(cache) > 100_000:
                cache.clear()
            cache[text] = self.match_header(parse_header([text])).id
        return cache[text]

    def match_header(self, header: ColumnHeader) -> Match:
        if self.open:
            return Match(None)
        others: list[str] = []
        for key in header.keys:
            entries = self._by_key.get(key)
            if not entries:
                continue
            fits = [(how, t) for how, t in entries
                    if header.scope is None or t.scope is None or t.scope == header.scope]
            others += [t.id for _, t in entries if t.id not in others
                       and t.scope is not None and header.scope is not None and t.scope != header.scope]
            if not fits:
                continue
            best = min(fits, key=lambda e: (e[0], _scope_rank(e[1].scope, header.scope)))
            return Match(best[1].id, best[0])
        return Match(None, ALIAS, tuple(dict.fromkeys(others)))

    def known(self, text: str) -> bool:
        return self.match(text) is not None

    def term(self, item_id: str) -> Term | None:
        return self.terms.get(item_id)

    @property
    def candidates(self) -> list[str]:
        """Everything a header may be: ids, names and aliases (for did-you-mean)."""
        out = [*self.ids]
        for t in self.terms.values():
            out += [*t.names, *t.aliases]
        return out

    def hint(self, text: str) -> Msg | None:
        """A did-you-mean against ids, names and aliases (naming the id when it is not the text)."""
        if self.open:
            return None
        cache = self._hint_cache
        if text not in cache:
            cache[text] = self._hint(text)
        return cache[text]

    def _hint(self, text: str) -> Msg | None:
        cands = [c for c in self.candidates if c]
        hits = did_you_mean(text.strip(), cands)
        if not hits:
            return None
        hit = hits[0]
        owner = self._by_key.get(header_key(hit), [(0, Term(hit))])[0][1].id
        if owner == hit:
            return Msg(f"did you mean '{hit}'?", f"是否应为 '{hit}'？")
        return Msg(f"did you mean '{hit}' ({owner})?", f"是否应为 '{hit}'（{owner}）？")


def _scope_rank(term_scope: str | None, column_scope: str | None) -> int:
    if column_scope is not None:
        return 0 if term_scope == column_scope else 1
    return {None: 0, "whole_city": 1}.get(term_scope, 2)
