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
from dataclasses import dataclass, field
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
    col: int = field(default=0, compare=False)  # 1-based column in the formula text


@dataclass(frozen=True)
class Var:
    name: str
    col: int


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Neg:
    operand: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    col: int = field(default=0, compare=False)


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
        try:
            return Num(float(node.value), _col(node, lead))
        except OverflowError:  # an integer literal too large for a float
            raise FormulaError(f"the number {str(node.value)[:20]}… is too large", _col(node, lead)) from None
    if isinstance(node, ast.Name):
        return Var(node.id, _col(node, lead))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return BinOp(_BINOPS[type(node.op)], _convert(node.left, lead), _convert(node.right, lead), _col(node, lead))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _convert(node.operand, lead)
        return Neg(inner, _col(node, lead)) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        return Compare(
            _CMPOPS[type(node.ops[0])], _convert(node.left, lead), _convert(node.comparators[0], lead), _col(node, lead)
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
        return Call(name, args, _col(node, lead))
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


#: why a formula gave an infinite or undefined result from finite inputs (:func:`faults`)
NO_FAULT, DIVISION, OVERFLOW, UNDEFINED = 0, 1, 2, 3


def faults(formula: Formula | Expr, env: Mapping[str, Any]) -> tuple[Any, int]:
    """Why each result of ``formula`` over ``env`` is not finite although its inputs are.

    Returns ``(codes, col)``: per row (or a scalar) :data:`DIVISION` (a finite number divided
    by zero), :data:`OVERFLOW` (a result too large for a 64-bit float, e.g. ``x ** 99999999``),
    :data:`UNDEFINED` (``0/0``, ``log(0)``, ``sqrt(-1)`` …) or :data:`NO_FAULT` — the innermost
    operation that went wrong decides — and the 1-based column of that operation (for a scalar).
    A missing input (NaN) is never a fault: the result is simply missing. Vectorised like
    :func:`evaluate`; with every name bound to NaN it finds the constant parts that always fail.
    """
    import numpy as np

    tree = formula.tree if isinstance(formula, Formula) else formula
    with np.errstate(all="ignore"):
        _value, code, col = _blame(tree, env, np)
    return code, col


def _blame(e: Expr, env: Mapping[str, Any], np: Any) -> tuple[Any, Any, int]:
    if isinstance(e, Num):
        return e.value, NO_FAULT, 0
    if isinstance(e, Var):
        v = env[e.name]
        return (v.to_numpy(dtype="float64") if hasattr(v, "to_numpy") else np.asarray(v, dtype=float)), NO_FAULT, 0
    if isinstance(e, Neg):
        v, code, col = _blame(e.operand, env, np)
        return -v, code, col
    parts = [e.left, e.right] if isinstance(e, (BinOp, Compare)) else list(e.args)
    blamed = [_blame(p, env, np) for p in parts]
    args = [np.asarray(v, dtype=float) for v, _, _ in blamed]
    if isinstance(e, BinOp):
        out = np.asarray(_ARITH[e.op](np, args[0], args[1]), dtype=float)
    elif isinstance(e, Compare):
        out = np.where(np.isnan(args[0]) | np.isnan(args[1]), np.nan,
                       np.asarray(_COMPARE[e.op](args[0], args[1]), dtype=float))
    else:
        out = np.asarray(_CALLS[e.func](np, args), dtype=float)
    # an earlier (inner) fault wins; a new one is a non-finite result from finite arguments
    code: Any = NO_FAULT
    col = 0
    for _v, c, k in blamed:
        code = np.where(code != NO_FAULT, code, c)
        col = col or k
    finite_in = np.ones(np.shape(out), dtype=bool)
    for a in args:
        finite_in &= np.isfinite(a)
    new = finite_in & ~np.isfinite(out)
    if isinstance(e, BinOp) and e.op == "/":
        kind = np.where(args[1] == 0, DIVISION, np.where(np.isnan(out), UNDEFINED, OVERFLOW))
    else:
        kind = np.where(np.isnan(out) | (isinstance(e, Call) and e.func in ("log", "log10")), UNDEFINED, OVERFLOW)
    code = np.where((code == NO_FAULT) & new, kind, code)
    if not col and np.any(new):
        col = e.col
    return out, (code.item() if np.ndim(code) == 0 else code), col


def constant_parts(formula: Formula | Expr) -> list[tuple[str, int]]:
    """Parts of ``formula`` that fail whatever the data: ``("division", col)`` for a denominator
    that is always 0 (``x / 0``), ``("overflow", col)`` or ``("undefined", col)`` for a constant
    part that is infinite or undefined (``10 ** 10 ** 10``, ``log(0)``)."""
    import numpy as np

    tree = formula.tree if isinstance(formula, Formula) else formula
    out: list[tuple[str, int]] = []
    code, col = faults(tree, {v.name: np.nan for v in _vars(tree)})
    if code != NO_FAULT:
        out.append(({DIVISION: "division", OVERFLOW: "overflow"}.get(code, "undefined"), col))

    def walk(e: Expr) -> None:
        if isinstance(e, BinOp) and e.op == "/" and not any(True for _ in _vars(e.right)):
            with np.errstate(all="ignore"):
                if evaluate(e.right, {}) == 0 and any(True for _ in _vars(e.left)):
                    out.append(("division", e.col))
        for child in ((e.left, e.right) if isinstance(e, (BinOp, Compare)) else (e.operand,) if isinstance(e, Neg)
                      else e.args if isinstance(e, Call) else ()):
            walk(child)

    walk(tree)
    return out
