"""The formula language: arithmetic over variable ids, parsed into a whitelisted tree, never eval'd.

Grammar (a subset of Python expression syntax)::

    expr   := number | name | expr op expr | -expr | +expr | (expr) | call
    op     := + - * / **
    call   := min(a, b, ...) | max(a, b, ...) | abs(a) | log(a) | log(a, base) | log10(a)
            | exp(a) | sqrt(a) | where(cond, a, b)
    cond   := expr cmp expr      cmp := < <= > >= == !=

Python's own parser tokenises the text; the resulting tree is then checked node by node against
this whitelist and converted into citystd's own small tree. Nothing is ever compiled or executed:
:func:`evaluate` walks the tree with numpy functions, vectorised over all rows at once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union


class FormulaError(ValueError):
    """A formula that cannot be parsed. ``col`` is the 1-based column within the formula text."""

    def __init__(self, message: str, col: int | None = None, *, code: str = "F301") -> None:
        super().__init__(message)
        self.message = message
        self.col = col
        self.code = code


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Var:
    name: str
    col: int


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]


Expr = Union[Num, Var, BinOp, Neg, Compare, Call]

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
#: function name → (min args, max args or None for any)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "log": (1, 2),
    "log10": (1, 1),
    "exp": (1, 1),
    "sqrt": (1, 1),
    "where": (3, 3),
}
MAX_LENGTH = 2000


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Expr

    @property
    def names(self) -> list[str]:
        """Variable (or indicator) ids the formula uses, in order of first appearance."""
        seen: dict[str, None] = {}
        for v in _vars(self.tree):
            seen.setdefault(v.name, None)
        return list(seen)

    def name_columns(self) -> dict[str, int]:
        """First 1-based column of each name in the text."""
        out: dict[str, int] = {}
        for v in _vars(self.tree):
            out.setdefault(v.name, v.col)
        return out


def _vars(e: Expr):
    if isinstance(e, Var):
        yield e
    elif isinstance(e, (BinOp, Compare)):
        yield from _vars(e.left)
        yield from _vars(e.right)
    elif isinstance(e, Neg):
        yield from _vars(e.operand)
    elif isinstance(e, Call):
        for a in e.args:
            yield from _vars(a)


def parse(text: str) -> Formula:
    """Parse a formula, raising :class:`FormulaError` with a column on anything not whitelisted."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula", 1)
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula longer than {MAX_LENGTH} characters", 1)
    if "\n" in text.strip():
        raise FormulaError("a formula is one line", 1)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        col = (exc.offset or 1) + lead
        raise FormulaError(f"syntax error: {exc.msg}", col) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("formula cannot be parsed", 1) from None
    try:
        return Formula(text, _convert(tree.body, lead))
    except RecursionError:
        raise FormulaError("formula nested too deeply", 1) from None


def _col(node: ast.AST, lead: int) -> int:
    return getattr(node, "col_offset", 0) + 1 + lead


def _convert(node: ast.AST, lead: int) -> Expr:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers are allowed, not {node.value!r}", _col(node, lead))
        return Num(float(node.value))
    if isinstance(node, ast.Name):
        return Var(node.id, _col(node, lead))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return BinOp(_BINOPS[type(node.op)], _convert(node.left, lead), _convert(node.right, lead))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand, lead)
        return Neg(inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        return Compare(
            _CMPOPS[type(node.ops[0])], _convert(node.left, lead), _convert(node.comparators[0], lead)
        )
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise FormulaError("only plain function calls are allowed", _col(node, lead), code="F302")
        name = node.func.id
        if name not in FUNCTIONS:
            known = ", ".join(FUNCTIONS)
            raise FormulaError(
                f"unknown function '{name}' (known: {known})", _col(node, lead), code="F302"
            )
        if node.keywords:
            raise FormulaError("keyword arguments are not allowed", _col(node, lead), code="F302")
        lo, hi = FUNCTIONS[name]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else (f"{lo} or more" if hi is None else f"{lo} to {hi}")
            raise FormulaError(
                f"{name}() takes {want} arguments, got {n}", _col(node, lead), code="F302"
            )
        args = tuple(_convert(a, lead) for a in node.args)
        if name == "where" and not isinstance(args[0], Compare):
            raise FormulaError("where() needs a comparison as its first argument", _col(node, lead))
        for a in args if name != "where" else args[1:]:
            if isinstance(a, Compare):
                raise FormulaError("a comparison is only allowed as where()'s first argument", _col(node, lead))
        return Call(name, args)
    if isinstance(node, ast.Compare):
        raise FormulaError("chained comparisons are not allowed", _col(node, lead))
    what = _NOT_ALLOWED.get(type(node).__name__, type(node).__name__)
    raise FormulaError(f"{what} is not allowed in a formula", _col(node, lead))


_NOT_ALLOWED = {
    "Attribute": "attribute access (a.b)",
    "Subscript": "indexing (a[0])",
    "IfExp": "if-else",
    "BoolOp": "and/or (use where())",
    "Lambda": "lambda",
    "List": "a list",
    "Tuple": "a tuple",
    "Dict": "a mapping",
    "Set": "a set",
    "BinOp": "this operator (use + - * / **)",
    "UnaryOp": "this unary operator",
}


def evaluate(formula: Formula | Expr, env: Mapping[str, Any]) -> Any:
    """Evaluate vectorised: ``env`` maps names to numbers, numpy arrays or pandas Series.

    Division by zero gives ±inf or NaN (numpy semantics); callers check for non-finite results.
    """
    import numpy as np

    tree = formula.tree if isinstance(formula, Formula) else formula
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _eval(tree, env, np)


def _eval(e: Expr, env: Mapping[str, Any], np: Any) -> Any:
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Var):
        return env[e.name]
    if isinstance(e, Neg):
        return -_eval(e.operand, env, np)
    if isinstance(e, BinOp):
        a, b = _eval(e.left, env, np), _eval(e.right, env, np)
        return _ARITH[e.op](np, a, b)
    if isinstance(e, Compare):
        # 1.0 true, 0.0 false, NaN when either side is missing: a missing input stays missing
        a, b = _eval(e.left, env, np), _eval(e.right, env, np)
        truth = np.asarray(_COMPARE[e.op](a, b), dtype=float)
        missing = np.isnan(np.asarray(a, dtype=float)) | np.isnan(np.asarray(b, dtype=float))
        return np.where(missing, np.nan, truth)
    assert isinstance(e, Call)
    args = [_eval(a, env, np) for a in e.args]
    return _CALLS[e.func](np, args)


def _div(np: Any, a: Any, b: Any) -> Any:
    return np.divide(np.asarray(a, dtype=float), b) if np.isscalar(a) and np.isscalar(b) else a / b


def _reduce(np: Any, fn: Callable, args: list) -> Any:
    out = args[0]
    for a in args[1:]:
        out = fn(out, a)
    return out


_ARITH: dict[str, Callable] = {
    "+": lambda np, a, b: a + b,
    "-": lambda np, a, b: a - b,
    "*": lambda np, a, b: a * b,
    "/": _div,
    "**": lambda np, a, b: np.power(np.asarray(a, dtype=float), b) if np.isscalar(a) else a**b,
}
_COMPARE: dict[str, Callable] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_CALLS: dict[str, Callable] = {
    # fmin/fmax would skip NaN; a missing input must give a missing result, so use minimum/maximum
    "min": lambda np, a: _reduce(np, np.minimum, a),
    "max": lambda np, a: _reduce(np, np.maximum, a),
    "abs": lambda np, a: np.abs(a[0]),
    "log": lambda np, a: np.log(a[0]) if len(a) == 1 else np.log(a[0]) / np.log(a[1]),
    "log10": lambda np, a: np.log10(a[0]),
    "exp": lambda np, a: np.exp(a[0]),
    "sqrt": lambda np, a: np.sqrt(a[0]),
    "where": lambda np, a: _where(np, a),
}


def _where(np: Any, a: list) -> Any:
    cond, x, y = a
    result = np.where(np.isnan(cond), np.nan, np.where(cond == 1.0, x, y))
    # keep pandas alignment when the inputs are Series
    for v in (x, y):
        if hasattr(v, "index") and hasattr(v, "to_numpy"):
            return type(v)(result, index=v.index)
    return result
