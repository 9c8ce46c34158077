"""The shape of a results document (docs/results.md), checked when one is read back.

``citystd report`` and ``citystd compare`` read JSON that a person may have edited. Before any
renderer touches it, :func:`problems` checks every field a report uses: texts are texts, numbers
are finite JSON numbers within ±10^300 (so that sums and differences of two of them stay finite),
ranks and years are whole numbers, shares lie in [0, 1], ratings are one of the five colours.
Each problem names the field as a path (``results[3].indicators.pm25.value``) with the value and
what was expected. Keys that a newer citystd adds are accepted.

The check is one pydantic validation of plain dicts (Rust, no Python loop per value): about
0.15–0.25 s for a document of 300 cities × 300 indicators on the 2-core reference machine, next
to 0.07 s for parsing its JSON (``benchmarks/bench_safety.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import Field, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

#: the largest magnitude of a number in a results document
MAX_MAGNITUDE = 1e300

Number = Annotated[Union[StrictInt, StrictFloat], Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, allow_inf_nan=False)]
Share = Annotated[Union[StrictInt, StrictFloat], Field(ge=0, le=1, allow_inf_nan=False)]
Rank = Annotated[StrictInt, Field(ge=1)]
Year = Annotated[StrictInt, Field(ge=-9999, le=9999)]
Rating = Literal["green", "yellow", "orange", "red", "gray"]
Opt = Optional


class Text(TypedDict):
    zh: StrictStr
    en: StrictStr


class Framework(TypedDict):
    id: StrictStr
    version: StrictStr
    sha256: StrictStr
    name: Text


class Goalposts(TypedDict):
    worst: Number
    best: Number


class Target(TypedDict):
    value: Number
    year: NotRequired[Opt[Year]]


class Thresholds(TypedDict):
    green: Number
    yellow: Number
    orange: Number


class IndicatorMeta(TypedDict):
    name: Text
    unit: NotRequired[Opt[Union[StrictStr, Text]]]
    direction: Literal["higher", "lower", "target"]
    goalposts: NotRequired[Opt[Goalposts]]
    target: NotRequired[Opt[Target]]
    thresholds: NotRequired[Opt[Thresholds]]


class Leaf(TypedDict):
    indicator: StrictStr
    weight: NotRequired[Number]


class Node(TypedDict):
    id: StrictStr
    name: Text
    weight: NotRequired[Number]
    children: list[Union[Leaf, Node]]


class NodeResult(TypedDict):
    score: Opt[Number]
    rank: Opt[Rank]
    rating: Opt[Rating]
    coverage: Opt[Share]


class IndicatorResult(TypedDict):
    value: Opt[Number]
    score: Opt[Number]
    rank: Opt[Rank]
    rating: Opt[Rating]


class Row(TypedDict):
    city: StrictStr
    year: Opt[Year]
    score: Opt[Number]
    rank: Opt[Rank]
    rating: Opt[Rating]
    coverage: Opt[Share]
    nodes: dict[str, NodeResult]
    indicators: dict[str, IndicatorResult]


class Dropped(TypedDict):
    city: StrictStr
    year: Opt[Year]
    coverage: NotRequired[Opt[Share]]
    reason: NotRequired[Text]


class Record(TypedDict):
    city: StrictStr
    year: Opt[Year]
    indicator: StrictStr
    stage: StrictStr
    action: StrictStr
    before: Opt[Number]
    after: Opt[Number]


class Issue(TypedDict):
    code: StrictStr
    severity: NotRequired[StrictStr]
    message: StrictStr
    hint: NotRequired[Opt[StrictStr]]
    file: NotRequired[Opt[StrictStr]]
    line: NotRequired[Opt[StrictInt]]
    col: NotRequired[Opt[StrictInt]]
    sheet: NotRequired[Opt[StrictStr]]
    cell: NotRequired[Opt[StrictStr]]


class Trend(TypedDict):
    city: StrictStr
    indicator: StrictStr
    cagr: NotRequired[Opt[Number]]
    slope: NotRequired[Opt[Number]]
    progress: NotRequired[Opt[Number]]
    status: NotRequired[Opt[StrictStr]]


class Document(TypedDict):
    citystd_version: StrictStr
    framework: Framework
    input: dict[str, Any]
    pipeline: list[dict[str, Any]]
    tree: list[Union[Leaf, Node]]
    indicators: dict[str, IndicatorMeta]
    results: list[Row]
    dropped: NotRequired[list[Dropped]]
    records: NotRequired[list[Record]]
    issues: NotRequired[list[Issue]]
    trends: NotRequired[list[Trend]]
    gaps: NotRequired[Opt[Union[list[Any], dict[str, Any]]]]
    peers: NotRequired[Opt[Union[list[Any], dict[str, Any]]]]


_ADAPTER: TypeAdapter[Any] | None = None
#: the tags pydantic adds to a path inside a union (``results.0.score.int``)
_UNION_TAGS = {"int", "float", "str", "dict", "list", "bool", "none", "Leaf", "Node", "Text",
               "literal['green','yellow','orange','red','gray']", "function-after[check(), int]"}


def problems(doc: Any, limit: int = 5) -> list[str]:
    """What keeps ``doc`` from being a results document, as ``path: what is wrong`` (empty when none)."""
    global _ADAPTER
    if not isinstance(doc, dict):
        return [f"the top level is a JSON {_json_type(doc)}, not an object"]
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(Document)
    try:
        _ADAPTER.validate_python(doc, strict=True)
    except ValidationError as exc:
        return _describe(exc.errors(include_url=False), limit)
    return []


def _describe(errors: list[Any], limit: int) -> list[str]:
    seen: dict[str, tuple[int, str]] = {}
    for err in errors:
        parts = [p for p in err["loc"] if not _is_tag(p)]
        path = _path(parts)
        if path not in seen:
            in_union = len(parts) < len(err["loc"])  # int | float: say "a number", not "a whole number"
            seen[path] = (len(parts), _what(err, in_union))
    # the top level first: a missing key says more than the fields inside it
    out = [f"{path}: {what}" for path, (_depth, what) in sorted(seen.items(), key=lambda kv: kv[1][0])]
    return out[:limit] + ([f"… and {len(out) - limit} more"] if len(out) > limit else [])


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or part.startswith(("literal[", "function-", "constrained-")))


def _path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _what(err: Any, in_union: bool = False) -> str:
    kind, value = err["type"], err.get("input")
    shown = _short(value)
    if kind == "missing":
        return "is missing"
    if kind in ("less_than_equal", "greater_than_equal", "less_than", "greater_than"):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
            return f"{shown} is out of range (numbers in results are within ±1e300)"
        return f"{shown} is out of range ({err['msg'].removeprefix('Input should be ').lower()})"
    if kind == "finite_number":
        return f"{shown} is not a finite number"
    if kind in ("int_type", "float_type", "int_from_float"):
        want = "a number" if kind == "float_type" or in_union else "a whole number"
        return f"{shown} is a JSON {_json_type(value)}, not {want}"
    if kind == "string_type":
        return f"{shown} is a JSON {_json_type(value)}, not a text"
    if kind in ("dict_type", "model_type", "typed_dict_type"):
        return f"{shown} is a JSON {_json_type(value)}, not an object"
    if kind == "list_type":
        return f"{shown} is a JSON {_json_type(value)}, not an array"
    if kind == "literal_error":
        return f"{shown} is not one of {err.get('ctx', {}).get('expected', 'the allowed values')}"
    return f"{shown}: {err['msg']}"


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _short(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return f"a JSON {_json_type(v)}" if v else ("{}" if isinstance(v, dict) else "[]")
    text = repr(v) if isinstance(v, str) else ("null" if v is None else str(v).lower() if isinstance(v, bool) else f"{v:g}"
                                               if isinstance(v, float) else str(v))
    return text if len(text) <= 40 else text[:37] + "…"
