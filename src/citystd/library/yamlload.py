"""Safe YAML loading that remembers where every value came from.

PyYAML's composer keeps a start mark (line, column) on every node; we build plain Python data
from the node tree ourselves and record, for every path (``("indicators", 3, "goalposts")``), the
position of its value and of its key. Validation errors from pydantic carry such paths (``loc``),
so each can be reported as ``file:line:col``.

Guards: files that are not regular files or are over the size limit (10 MiB,
:mod:`citystd.io.guard`), binary files, non-UTF-8 text, nesting deeper than :data:`MAX_DEPTH` and
aliases that expand to more than :data:`MAX_ALIAS_VALUES` values (an "alias bomb": a few lines
that expand to billions) are refused with one clear diagnostic each. A large file without
aliases is limited by its size in bytes only. Only the safe loader is used; no Python object
can be constructed. An empty file (no document at all) is Y007.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from citystd.diagnostics import CitystdError, Diagnostic, Location, Msg
from citystd.io.guard import ENV, InputTooLarge, human_size, read_input

MAX_DEPTH = 64
#: values produced by expanding aliases (each ``*ref`` counts the values of what it refers to)
MAX_ALIAS_VALUES = 100_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path_ = tuple[Any, ...]


@dataclass
class Positions:
    """Positions (1-based line, col) of values and keys by path, for one file."""

    file: str
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    #: plain (unquoted) scalars that YAML resolved to a non-string, with their source text
    implicit: dict[Path_, str] = field(default_factory=dict)
    #: scalar styles other than plain: "'", '"', "|", ">"
    styles: dict[Path_, str] = field(default_factory=dict)

    def text_column(self, path: Path_, offset: int) -> Location:
        """Location of the 1-based character ``offset`` inside the scalar at ``path``."""
        loc = self.locate(path)
        style = self.styles.get(path)
        if path not in self.values or style in ("|", ">") or loc.col is None:
            return loc
        return Location(loc.file, loc.line, loc.col + offset - 1 + (1 if style in ("'", '"') else 0))

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The location of ``path``, or of its deepest existing ancestor.

        Path elements that do not exist (pydantic's union tags, a missing key) are skipped.
        With ``key=True`` the position of the mapping key is preferred (unknown keys).
        """
        found: Path_ = ()
        for part in path:
            candidate = (*found, part)
            if candidate in self.values:
                found = candidate
        if key and found in self.keys:
            line, col = self.keys[found]
        else:
            line, col = self.values.get(found, (1, 1))
        return Location(self.file, line, col)


class YamlTooComplex(Exception):
    pass


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_yaml(path: Path, display: str | None = None) -> tuple[Any, Positions, list[Diagnostic]]:
    """Load one YAML file. Returns ``(data, positions, diagnostics)``; data is None on failure."""
    name = display or str(path)
    pos = Positions(name)

    def fail(code: str, en: str, zh: str, line: int | None = None, col: int | None = None,
             hint: Msg | None = None) -> tuple[None, Positions, list[Diagnostic]]:
        return None, pos, [Diagnostic(code, Msg(en, zh), Location(name, line, col), hint)]

    try:
        raw = read_input(path, name, kind="yaml")
    except InputTooLarge as exc:
        size, most = human_size(exc.size), human_size(exc.limit)
        return fail("Y005", f"file is {size}; library files may be at most {most}",
                    f"文件大小为 {size}，指标库文件最大 {most}",
                    hint=Msg(f"split it into several files (or raise the limit: {ENV}=MiB)",
                             f"请拆分为多个文件（或提高上限：{ENV}=MiB）"))
    except CitystdError as exc:  # missing, not a regular file, unreadable
        return None, pos, [exc.diagnostic]
    if b"\x00" in raw[:8192]:
        return fail("Y004", "binary file, not YAML text", "二进制文件，不是 YAML 文本")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return fail("Y004", f"not UTF-8 text (byte {exc.start}: {raw[exc.start]:#04x})",
                    f"不是 UTF-8 文本（第 {exc.start} 字节：{raw[exc.start]:#04x}）", line, None,
                    Msg("save the file as UTF-8", "请将文件另存为 UTF-8 编码"))
    data, positions, diags = load_yaml_text(text, name)
    return data, positions, [*diags, *bidi_controls(text, name)]


def bidi_controls(text: str, name: str) -> list[Diagnostic]:
    """W604 at each bidirectional control character: it can make a name display as another."""
    from citystd.textsafe import BIDI_CONTROLS, has_bidi

    if not has_bidi(text):
        return []
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for col, ch in enumerate(line, 1):
            if ch in BIDI_CONTROLS:
                out.append(Diagnostic(
                    "W604", Msg(f"invisible bidirectional control character U+{ord(ch):04X} in the text",
                                f"文本中含有不可见的双向控制字符 U+{ord(ch):04X}"),
                    Location(name, lineno, col),
                    Msg("delete it: it reorders the text around it, so a name can display as another "
                        "(citystd shows it as [U+…] in its outputs)",
                        "请删除：它会改变周围文字的显示顺序，使名称看起来像另一个名称（citystd 输出中显示为 [U+…]）")))
    return out


def load_yaml_text(text: str, name: str = "<string>") -> tuple[Any, Positions, list[Diagnostic]]:
    pos = Positions(name)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        return None, pos, [Diagnostic("Y001", Msg(f"{problem}{ctx}", f"YAML 语法错误：{problem}{ctx}"),
                                      Location(name, line, col))]
    except yaml.YAMLError as exc:
        return None, pos, [Diagnostic("Y001", Msg(str(exc), f"YAML 语法错误：{exc}"), Location(name))]
    except RecursionError:
        return None, pos, [Diagnostic("Y005", Msg("YAML nested too deeply", "YAML 嵌套过深"), Location(name))]
    if root is None:
        return None, pos, [Diagnostic("Y007", Msg("the file is empty: no YAML document, not even `citystd: 1`",
                                                  "文件为空：没有任何 YAML 内容，连 `citystd: 1` 也没有"),
                                      Location(name, 1, 1),
                                      Msg("start the file with `citystd: 1`, or delete it",
                                          "请在文件开头写 `citystd: 1`，或删除该文件"))]
    builder = _Builder(pos)
    try:
        data = builder.build(root, (), 0)
    except YamlTooComplex as exc:
        line, col = exc.args[1] if len(exc.args) > 1 else (None, None)
        hint = _HINTS.get(exc.args[0])
        return None, pos, [Diagnostic("Y005", Msg(exc.args[0], _ZH_TOO_COMPLEX.get(exc.args[0], "YAML 过于复杂")),
                                      Location(name, line, col), hint)]
    return data, pos, builder.diagnostics


_TOO_DEEP = f"YAML nested deeper than {MAX_DEPTH} levels"
_TOO_MANY = f"YAML aliases expand to more than {MAX_ALIAS_VALUES:,} values (an alias bomb)"
_HINTS = {
    _TOO_MANY: Msg("YAML anchors and aliases may not expand into huge documents",
                   "YAML 锚点与别名不得展开成超大文档"),
    _TOO_DEEP: Msg("a library file is a flat list of items; nest at most a few levels",
                   "指标库文件应为扁平的条目列表，嵌套层级不宜过深"),
}
_ZH_TOO_COMPLEX = {
    _TOO_DEEP: f"YAML 嵌套超过 {MAX_DEPTH} 层",
    _TOO_MANY: f"YAML 别名展开后超过 {MAX_ALIAS_VALUES:,} 个值（别名炸弹）",
}


_STR = "tag:yaml.org,2002:str"


class _Builder:
    def __init__(self, pos: Positions) -> None:
        self.pos = pos
        self.expanded = 0  # values built again because an alias refers to them
        self.built: set[int] = set()  # ids of the nodes built once (an alias reuses the node)
        self.diagnostics: list[Diagnostic] = []
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node, path: Path_, depth: int, aliased: bool = False) -> Any:
        if not aliased and id(node) in self.built:
            aliased = True  # the composer gives an alias the very node of its anchor
        if aliased:
            self.expanded += 1
            if self.expanded > MAX_ALIAS_VALUES:
                raise YamlTooComplex(_TOO_MANY, _pos(node))
        else:
            self.built.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlTooComplex(_TOO_DEEP, _pos(node))
        self.pos.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            seen: dict[Any, tuple[int, int]] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlTooComplex("YAML merge keys (<<) are not supported", _pos(key_node))
                key = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                if key is None or isinstance(key, (dict, list)):
                    key = str(getattr(key_node, "value", "?"))
                kpos = _pos(key_node)
                if key in seen:
                    line, _col = seen[key]
                    self.diagnostics.append(Diagnostic(
                        "Y002",
                        Msg(f"duplicate key '{key}' (first at line {line})", f"键 '{key}' 重复（首次出现在第 {line} 行）"),
                        Location(self.pos.file, *kpos),
                        Msg("remove one of them: YAML keeps only the last", "请删除其中一个：YAML 只保留最后一个"),
                    ))
                seen[key] = kpos
                child = (*path, key)
                self.pos.keys.setdefault(child, kpos)
                out[key] = self.build(value_node, child, depth + 1, aliased)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, (*path, i), depth + 1, aliased) for i, v in enumerate(node.value)]
        value = self.scalar(node)
        if node.style:
            self.pos.styles[path] = node.style
        if not node.style and not isinstance(value, str) and value is not None:
            self.pos.implicit[path] = node.value
        return value

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:  # most scalars are text: no constructor needed
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value
