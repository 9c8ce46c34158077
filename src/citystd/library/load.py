"""Loading a library: a directory (or list) of YAML files into one :class:`Library`.

Each file is read with positions (:mod:`citystd.library.yamlload`), checked for its format version,
and each item (a domain, a variable, an indicator, a framework, a pipeline step) is validated on
its own, so that one broken indicator does not hide the others. Pydantic errors are translated
into diagnostics with stable codes and ``file:line:col``. Rules that span objects run afterwards
(:func:`citystd.library.rules.check_library`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from citystd.diagnostics import Diagnostic, Location, Msg, suggestion
from citystd.library.models import FILE_SECTIONS, Domain, Framework, Indicator, Variable
from citystd.library.pipeline import STEP_MODELS, STEPS
from citystd.library.yamlload import Positions, load_yaml

FORMAT_VERSION = 1
TOP_KEYS = ["citystd", *FILE_SECTIONS, "framework"]
MAX_FILES = 5000


@dataclass(frozen=True)
class Origin:
    """Where an object was defined: its file's positions and its path inside the file."""

    positions: Positions
    path: tuple[Any, ...]

    def locate(self, *sub: Any, key: bool = False) -> Location:
        return self.positions.locate((*self.path, *sub), key=key)


@dataclass
class Library:
    domains: dict[str, Domain] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    frameworks: dict[str, Framework] = field(default_factory=dict)
    #: (kind, id) → where it was defined; kind is "domains", "variables", "indicators", "framework"
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    #: the files read, as found on disk (outputs are checked against them: citystd.io.outpath)
    paths: list[Path] = field(default_factory=list)

    def origin(self, kind: str, id_: str) -> Origin | None:
        return self.origins.get((kind, id_))

    def collection(self, kind: str) -> dict[str, Any]:
        return {
            "domains": self.domains,
            "variables": self.variables,
            "indicators": self.indicators,
            "framework": self.frameworks,
        }[kind]


def builtin_path() -> Path:
    """The built-in library: packaged as ``citystd/indicators`` in a wheel, ``indicators/`` in a checkout."""
    packaged = Path(str(resources.files("citystd"))) / "indicators"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "indicators"


def find_files(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """YAML files under the given paths, sorted, with the name to show for each."""
    found: list[tuple[Path, str]] = []
    diags: list[Diagnostic] = []
    for p in paths:
        if p.is_dir():
            # not only regular files: a FIFO or device named *.yaml is refused by the loader (U910),
            # not silently passed over
            files = sorted(
                f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and not f.is_dir()
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            found.extend((f, _display(f)) for f in files)
            if not files:
                diags.append(Diagnostic("U902", Msg(f"no YAML files (*.yaml, *.yml) in {p}", f"{p} 中没有 YAML 文件"),
                                        Location(_display(p))))
        elif p.exists():  # a file — or a FIFO, a device: the loader says what is wrong (U910)
            found.append((p, _display(p)))
        else:
            diags.append(Diagnostic(
                "U901", Msg(f"no such file or directory: {p}", f"文件或目录不存在：{p}"), Location(str(p))
            ))
    unique: dict[Path, tuple[Path, str]] = {}
    for f, name in found:  # the same file given twice (a framework inside its library) loads once
        unique.setdefault(f.resolve(), (f, name))
    found = list(unique.values())
    if len(found) > MAX_FILES:
        diags.append(Diagnostic("U901", Msg(f"more than {MAX_FILES} YAML files", f"YAML 文件超过 {MAX_FILES} 个"),
                                Location(str(paths[0]))))
        found = found[:MAX_FILES]
    return found, diags


def _display(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def load_library(paths: list[Path]) -> tuple[Library, list[Diagnostic]]:
    """Load every YAML file under ``paths`` into one library, collecting all diagnostics."""
    lib = Library()
    files, diags = find_files(paths)
    for path, name in files:
        lib.files.append(name)
        lib.paths.append(path)
        data, pos, file_diags = load_yaml(path, name)
        diags.extend(file_diags)
        if data is None:
            continue
        diags.extend(_load_document(lib, data, pos))
    return lib, diags


def _load_document(lib: Library, data: Any, pos: Positions) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    if not isinstance(data, dict):
        return [Diagnostic("S102", Msg("a library file must be a mapping with `citystd: 1` first",
                                       "指标库文件必须是以 `citystd: 1` 开头的映射"), pos.locate(()))]
    version = data.get("citystd")
    if version != FORMAT_VERSION:
        got = "missing" if "citystd" not in data else repr(version)
        diags.append(Diagnostic(
            "Y006", Msg(f"format version `citystd: {FORMAT_VERSION}` expected, got {got}",
                        f"应为格式版本 `citystd: {FORMAT_VERSION}`，实际为 {got}"),
            pos.locate(("citystd",)) if "citystd" in data else pos.locate(()),
            Msg("start the file with `citystd: 1`", "请在文件开头写 `citystd: 1`"),
        ))
        if "citystd" in data:
            return diags
    for key in data:
        if key not in TOP_KEYS:
            diags.append(_unknown_key(pos, (key,), str(key), TOP_KEYS))
    for section, model in FILE_SECTIONS.items():
        items = data.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            diags.append(Diagnostic("S102", Msg(f"`{section}` must be a list", f"`{section}` 必须是列表"),
                                    pos.locate((section,))))
            continue
        for i, item in enumerate(items):
            obj = _validate(model, item, pos, (section, i), diags)
            if obj is not None:
                _register(lib, section, obj.id, obj, Origin(pos, (section, i)), diags)
    if "framework" in data:
        fw = _load_framework(data["framework"], pos, diags)
        if fw is not None:
            _register(lib, "framework", fw.id, fw, Origin(pos, ("framework",)), diags)
    return diags


def _register(lib: Library, kind: str, id_: str, obj: Any, origin: Origin, diags: list[Diagnostic]) -> None:
    coll = lib.collection(kind)
    if id_ in coll:
        first = lib.origins[(kind, id_)].locate()
        diags.append(Diagnostic(
            "R201",
            Msg(f"{_KIND_EN[kind]} '{id_}' is already defined at {first}", f"{_KIND_ZH[kind]} '{id_}' 已在 {first} 定义"),
            origin.locate("id"),
            Msg("ids are global across all files of a library: rename or remove one",
                "标识符在整个指标库内唯一：请重命名或删除其中一个"),
        ))
        return
    coll[id_] = obj
    lib.origins[(kind, id_)] = origin


_KIND_EN = {"domains": "domain", "variables": "variable", "indicators": "indicator", "framework": "framework"}
_KIND_ZH = {"domains": "领域", "variables": "变量", "indicators": "指标", "framework": "框架"}


def _load_framework(raw: Any, pos: Positions, diags: list[Diagnostic]) -> Framework | None:
    if not isinstance(raw, dict):
        diags.append(Diagnostic("S102", Msg("`framework` must be a mapping", "`framework` 必须是映射"),
                                pos.locate(("framework",))))
        return None
    rest = dict(raw)
    steps = rest.pop("pipeline", None)
    pipeline: list[BaseModel] = []
    ok = True
    if steps is not None:
        if not isinstance(steps, list):
            diags.append(Diagnostic("S102", Msg("`pipeline` must be a list of steps", "`pipeline` 必须是步骤列表"),
                                    pos.locate(("framework", "pipeline"))))
            ok = False
        else:
            for i, step in enumerate(steps):
                parsed = _load_step(step, pos, ("framework", "pipeline", i), diags)
                if parsed is None:
                    ok = False
                else:
                    pipeline.append(parsed)
    fw = _validate(Framework, rest, pos, ("framework",), diags)
    if fw is None or not ok:
        return None
    return fw.model_copy(update={"pipeline": pipeline})


def _load_step(step: Any, pos: Positions, path: tuple, diags: list[Diagnostic]) -> BaseModel | None:
    if not isinstance(step, dict) or len(step) != 1:
        diags.append(Diagnostic(
            "T505", Msg("a pipeline step is a one-key mapping such as `- normalise: {method: goalposts}`",
                        "流程步骤必须是单键映射，例如 `- normalise: {method: goalposts}`"),
            pos.locate(path)))
        return None
    name, params = next(iter(step.items()))
    if name not in STEPS:
        diags.append(Diagnostic(
            "T505", Msg(f"unknown pipeline step '{name}' (known: {', '.join(STEPS)})",
                        f"未知的流程步骤 '{name}'（可用：{', '.join(STEPS)}）"),
            pos.locate((*path, name), key=True), suggestion(str(name), STEPS)))
        return None
    local: list[Diagnostic] = []
    model = STEPS[name]
    parsed = _validate(model, {} if params is None else params, pos, (*path, name), local, step=name)
    diags.extend(local)
    if parsed is None:
        return None
    return STEP_MODELS[name](**{name: parsed})


def _validate(model: type[BaseModel], raw: Any, pos: Positions, path: tuple, diags: list[Diagnostic],
              step: str | None = None) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        diags.extend(_translate(exc, model, raw, pos, path, step))
        return None


def _translate(exc: ValidationError, model: type[BaseModel], raw: Any, pos: Positions, path: tuple,
               step: str | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        full = (*path, *loc)
        etype = err["type"]
        field = str(loc[-1]) if loc else ""
        where = ".".join(str(p) for p in (*path, *loc))
        if (full, etype) in seen:
            continue
        seen.add((full, etype))
        got = err.get("input")
        if etype in ("string_type", "literal_error", "enum") and full in pos.implicit:
            text = pos.implicit[full]
            kind_en, kind_zh = _yaml_kind(got)
            out.append(Diagnostic(
                "Y003",
                Msg(f"{where}: unquoted {text} is read by YAML as the {kind_en} {got!r}, not the text '{text}'",
                    f"{where}：未加引号的 {text} 会被 YAML 读成{kind_zh} {got!r}，而不是文本 '{text}'"),
                pos.locate(full),
                Msg(f"quote it: '{text}'", f"请加引号：'{text}'"),
            ))
            continue
        if etype == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1], raw)
            if step is not None:
                out.append(Diagnostic(
                    "T506", Msg(f"unknown parameter '{field}' of step {step}", f"步骤 {step} 的未知参数 '{field}'"),
                    pos.locate(full, key=True), suggestion(field, allowed)))
            else:
                out.append(_unknown_key(pos, full, field, allowed, where))
            continue
        if step is not None:
            code = "T505" if field == "method" and etype == "literal_error" else "T507"
        elif etype == "missing":
            code = "S104" if field in ("zh", "en") else "S103"
        elif etype == "string_pattern_mismatch":
            code = "S105"
        elif etype in ("literal_error", "enum", "string_too_short", "greater_than", "greater_than_equal",
                       "less_than", "less_than_equal", "value_error"):
            code = "S106"
        else:
            code = "S102"
        msg = err["msg"]
        if etype == "missing":
            en, zh = f"{where}: required key '{field}' is missing", f"{where}：缺少必填键 '{field}'"
            if field in ("zh", "en"):
                lang = "Chinese" if field == "zh" else "English"
                en = f"{'.'.join(str(p) for p in full[:-1])}: the {lang} text ({field}) is missing"
                zh = f"{'.'.join(str(p) for p in full[:-1])}：缺少{'中文' if field == 'zh' else '英文'}文本（{field}）"
            out.append(Diagnostic(code, Msg(en, zh), pos.locate(full)))
            continue
        if code == "S105":
            out.append(Diagnostic(
                "S105", Msg(f"{where}: '{got}' is not a valid id (lowercase letter first, then a-z, 0-9, _)",
                            f"{where}：'{got}' 不是合法标识符（小写字母开头，其后为 a-z、0-9、_）"),
                pos.locate(full), _id_hint(got)))
            continue
        shown = f" (got {got!r})" if not isinstance(got, (dict, list)) and got is not None else ""
        if etype == "value_error":
            msg = msg.removeprefix("Value error, ")
        hint = None
        if etype == "literal_error" and isinstance(got, str):
            hint = suggestion(got, re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", ""))))
        zh = _zh_message(etype, err.get("ctx") or {}, msg)
        out.append(Diagnostic(code, Msg(f"{where}: {msg}{shown}", f"{where}：{zh}{shown}"), pos.locate(full), hint))
    return out


_ZH_ERRORS = {
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为文本",
    "bool_parsing": "应为布尔值（true 或 false）",
    "bool_type": "应为布尔值（true 或 false）",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射",
    "model_type": "应为映射",
    "model_attributes_type": "应为映射",
    "too_short": "元素个数过少",
    "too_long": "元素个数过多",
    "literal_error": "取值应为 {expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "union_tag_invalid": "无法识别的条目",
    "string_too_short": "文本不能为空",
    "finite_number": "应为有限数字",
}


def _zh_message(etype: str, ctx: dict[str, Any], en: str) -> str:
    """A Chinese rendering of a pydantic error (the English text is pydantic's own)."""
    template = _ZH_ERRORS.get(etype)
    if template is None:
        return f"取值无效（{en}）"
    try:
        return template.format(**{k: str(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template


def _yaml_kind(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return "boolean", "布尔值"
    if isinstance(value, (int, float)):
        return "number", "数字"
    return "value", "值"


def _id_hint(got: Any) -> Msg | None:
    if not isinstance(got, str):
        return None
    fixed = re.sub(r"[^a-z0-9_]+", "_", got.strip().lower()).strip("_")
    if fixed and not fixed[0].isalpha():
        fixed = "i_" + fixed
    if not fixed:
        return None
    return Msg(f"for example '{fixed}'", f"例如 '{fixed}'")


def _unknown_key(pos: Positions, full: tuple, field: str, allowed: list[str], where: str | None = None) -> Diagnostic:
    where = where or ".".join(str(p) for p in full)
    shown = ", ".join(allowed)
    hint = suggestion(field, allowed)
    if hint is None and allowed == ["zh", "en"]:
        hint = Msg("a comma inside {zh: …, en: …} starts a new key: put the text in quotes",
                   "在 {zh: …, en: …} 中逗号会开始一个新键：请给文本加引号")
    return Diagnostic(
        "S101", Msg(f"unknown key '{field}' (allowed: {shown})", f"未知键 '{field}'（允许：{shown}）"),
        pos.locate(full, key=True), hint)


def _allowed_keys(model: type[BaseModel], loc: tuple, raw: Any) -> list[str]:
    """The keys allowed at ``loc`` inside ``model`` (follows nested models, lists and dicts)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = _unwrap(current, list)
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            f = current.model_fields.get(str(part))
            if f is None:
                if part in ("node", "leaf"):
                    from citystd.library.models import Leaf, Node

                    current = Node if part == "node" else Leaf
                continue
            current = f.annotation
            current = _unwrap(current, None)
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
            current = _unwrap(current, None)
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any, container: Any) -> Any:
    """Strip Optional/Annotated/list to the model inside, if any."""
    import types
    import typing

    for _ in range(6):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (list, tuple) and container is list:
            tp = typing.get_args(tp)[0]
            container = None
        elif origin in (typing.Union, types.UnionType):
            models = [a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
            inner = [a for a in typing.get_args(tp) if a is not type(None)]
            if models:
                tp = models[0]
            elif len(inner) == 1:
                tp = inner[0]
            else:
                return tp
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return tp
    return tp
