"""Weights (methods.md §6).

**Tree weights.** A node's children's weights are relative: :func:`rescale` divides each weight
by the sum of its siblings' weights (children of the same parent). The effective weight of a
node (:func:`effective_weights`) is the product of its rescaled weights up to the root (the root
itself has effective weight 1).

**AHP** (:func:`ahp`). A pairwise matrix A (n × n, entries > 0, a_ji = 1/a_ij within 1e-9
relative, so a_ii = 1; entries may be strings like ``"1/3"``). Weights = the principal right
eigenvector normalised to sum 1; λmax its eigenvalue; CI = (λmax − n)/(n − 1) (0 for n ≤ 2);
CR = CI/RI with Saaty's RI for n = 1…10: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49
(CR = 0 for n ≤ 2). A non-reciprocal matrix, or CR ≥ 0.10 with n ≥ 3, raises E803; n > 10 too
(methods.md gives no RI beyond 10).

**Data-driven weights**, on a DataFrame whose columns are one node's children (rows = units;
rows with any NA are dropped first, m = remaining rows):

- :func:`entropy`: y_ij = (x_ij − min_j)/(max_j − min_j); p_ij = y_ij/Σ_i y_ij;
  e_j = −(1/ln m) Σ_i p_ij ln p_ij (0·ln 0 = 0); d_j = 1 − e_j; w_j = d_j/Σ_k d_k.
- :func:`critic`: on the data as given (normalised by the pipeline), σ_j the standard deviation
  (n − 1; the choice cancels in w) and r_jk Pearson correlations: C_j = σ_j Σ_k (1 − r_jk);
  w_j = C_j/Σ_k C_k.
- :func:`pca`: z = column-standardised data (sd with n − 1); the eigenvector v of the largest
  eigenvalue of the correlation matrix, with its sign chosen so that Σ v > 0; weights = v/Σ v
  (relative weights, like all weights). Negative loadings are reported as warnings; Σ v = 0
  (e.g. two children correlated −1) makes the weights undefined: E801.

A constant child (or fewer than 2 complete rows) makes entropy, CRITIC and PCA undefined: E801.

**Optimised weights** (:func:`optimise`, after Becker et al. 2017): weights under which each
child's *main effect* on the node's score — Pearson's correlation ratio S_j = V(E(y | x_j))/V(y),
estimated by :func:`main_effects` — is the share of the total that a target gives it (equal by
default). Achieved importances are returned next to the targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from citystd.diagnostics import Diagnostic, Msg, Severity, error

#: Saaty's random consistency index for n = 1…10.
SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)


# --------------------------------------------------------------------------- tree weights


def rescale(weights: pd.Series, parent: pd.Series) -> pd.Series:
    """w_i / Σ_{siblings s of i} w_s (siblings share ``parent``; ``parent`` indexed like ``weights``).

    Nodes without a parent (the root, NA parent) get 1. A node whose children's weights sum to 0
    or are negative raises E801 / T503.
    """
    w = weights.astype(float)
    par = parent.reindex(w.index)
    if (w < 0).any():
        bad = ", ".join(map(str, w.index[w < 0]))
        raise error("T503", f"negative weight for {bad}", f"{bad} 的权重为负")
    has_parent = par.notna()
    key = par.where(has_parent, "\0root")
    sums = w.groupby(key.to_numpy(dtype=object)).transform("sum")
    zero = has_parent & (sums == 0)
    if zero.any():
        nodes = ", ".join(sorted({str(p) for p in par[zero]}))
        raise error("E801", f"the children of node(s) {nodes} all have weight 0",
                    f"节点 {nodes} 的所有子节点权重均为 0")
    out = (w / sums).where(has_parent, 1.0)
    out.name = "weight"
    return out


def effective_weights(weights: pd.Series, parent: pd.Series) -> pd.Series:
    """Product of the rescaled weights from each node up to the root (the root: 1)."""
    r = rescale(weights, parent)
    par = parent.reindex(r.index)
    eff = r.copy()
    pending = par.notna() & par.isin(r.index)
    current_parent = par.copy()
    for _ in range(len(r) + 1):  # one pass per tree level
        if not pending.any():
            break
        up = current_parent[pending]
        eff[pending] = eff[pending] * r.reindex(up.to_numpy()).to_numpy()
        nxt = par.reindex(up.to_numpy()).to_numpy()
        current_parent[pending] = nxt
        pending = current_parent.notna() & current_parent.isin(r.index) & pending
    else:
        raise error("T501", "the weight tree contains a cycle", "权重树中存在循环")
    eff.name = "effective_weight"
    return eff


# --------------------------------------------------------------------------- AHP


@dataclass(frozen=True)
class AhpResult:
    """Weights (sum 1), principal eigenvalue, consistency index and ratio of a pairwise matrix."""

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float

    def as_series(self, labels: Sequence[str]) -> pd.Series:
        return pd.Series(self.weights, index=list(labels), name="weight")


def _entry(v: object, where: str) -> float:
    if isinstance(v, str):
        try:
            return float(Fraction(v.replace(" ", "")))
        except (ValueError, ZeroDivisionError):
            raise error("E803", f"AHP{where}: entry {v!r} is not a number or fraction",
                        f"AHP{where}：元素 {v!r} 不是数字或分数") from None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise error("E803", f"AHP{where}: entry {v!r} is not a number", f"AHP{where}：元素 {v!r} 不是数字") from None


def ahp(matrix: Sequence[Sequence[float | str]] | np.ndarray, node: str | None = None) -> AhpResult:
    """Weights, λmax, CI and CR of a reciprocal pairwise comparison matrix (see module docstring)."""
    where = f" ({node})" if node else ""
    rows = [list(r) for r in matrix]
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        raise error("E803", f"AHP{where}: the matrix must be square", f"AHP{where}：判断矩阵必须是方阵")
    if n > len(SAATY_RI):
        raise error("E803", f"AHP{where}: at most {len(SAATY_RI)} children can be compared, not {n}",
                    f"AHP{where}：最多可比较 {len(SAATY_RI)} 个子节点，而不是 {n} 个")
    a = np.array([[_entry(v, where) for v in r] for r in rows], dtype=float)
    if not (np.isfinite(a).all() and (a > 0).all()):
        raise error("E803", f"AHP{where}: entries must be positive numbers", f"AHP{where}：元素必须为正数")
    recip = 1.0 / a.T
    bad = np.abs(a - recip) > 1e-9 * np.abs(recip)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise error(
            "E803",
            f"AHP{where}: matrix is not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:g} but 1/a[{j + 1},{i + 1}] = {recip[i, j]:g}",
            f"AHP{where}：矩阵不互反：a[{i + 1},{j + 1}] = {a[i, j]:g}，而 1/a[{j + 1},{i + 1}] = {recip[i, j]:g}",
        )
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    v = np.abs(vecs[:, k].real)  # Perron vector of a positive matrix: one sign
    w = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    if n >= 3 and cr >= 0.10:
        raise error(
            "E803",
            f"AHP{where}: matrix is inconsistent: CR = {cr:.3f} ≥ 0.10 (λmax = {lam:.4f}, CI = {ci:.4f})",
            f"AHP{where}：判断矩阵一致性不足：CR = {cr:.3f} ≥ 0.10（λmax = {lam:.4f}，CI = {ci:.4f}）",
        )
    return AhpResult(weights=w, lambda_max=lam, ci=ci, cr=cr)


# --------------------------------------------------------------------------- data-driven


def _complete(data: pd.DataFrame, method: str) -> np.ndarray:
    x = data.to_numpy(dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 2:
        raise error("E801", f"{method} weights need at least 2 units with data for every child",
                    f"{method} 权重至少需要 2 个所有子指标都有数据的单元")
    const = np.ptp(x, axis=0) == 0
    if const.any():
        names = ", ".join(str(c) for c in data.columns[const])
        raise error("E801", f"{method} weights are undefined: {names} constant across units",
                    f"{method} 权重无定义：{names} 在各单元间为常数")
    return x


def entropy(data: pd.DataFrame) -> pd.Series:
    """Entropy weights (熵权法) of the columns of ``data``; see the module docstring."""
    x = _complete(data, "entropy")
    m = x.shape[0]
    y = (x - x.min(axis=0)) / np.ptp(x, axis=0)
    p = y / y.sum(axis=0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    d = 1.0 - e
    return pd.Series(d / d.sum(), index=data.columns, name="weight")


def critic(data: pd.DataFrame) -> pd.Series:
    """CRITIC weights of the columns of ``data``; see the module docstring."""
    x = _complete(data, "critic")
    sigma = x.std(axis=0, ddof=1)
    r = np.corrcoef(x, rowvar=False)
    c = sigma * (1.0 - np.atleast_2d(r)).sum(axis=1)
    return pd.Series(c / c.sum(), index=data.columns, name="weight")


def pca(data: pd.DataFrame, node: str | None = None) -> tuple[pd.Series, list[Diagnostic]]:
    """PCA weights (first principal component) of the columns of ``data``, and warnings.

    Returns ``(weights, diagnostics)``; weights sum to 1; a negative loading is reported.
    """
    x = _complete(data, "pca")
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    corr = np.atleast_2d(np.corrcoef(z, rowvar=False))
    vals, vecs = np.linalg.eigh(corr)
    v = vecs[:, int(np.argmax(vals))]
    if abs(v.sum()) <= 1e-12 * np.abs(v).sum():
        names = ", ".join(map(str, data.columns))
        raise error("E801", f"PCA weights{' of node ' + node if node else ''}: the first component's loadings on {names} sum to 0",
                    f"PCA 权重{'（节点 ' + node + '）' if node else ''}：第一主成分在 {names} 上的载荷之和为 0")
    if v.sum() < 0:
        v = -v
    w = v / v.sum()
    diags = []
    where_en = f" of node {node}" if node else ""
    where_zh = f"（节点 {node}）" if node else ""
    for j in np.flatnonzero(v < 0):
        c = data.columns[j]
        diags.append(
            Diagnostic(
                "E801",
                Msg(f"PCA weights{where_en}: {c} has a negative loading ({v[j]:.3f}): it lowers the score",
                    f"PCA 权重{where_zh}：{c} 的载荷为负（{v[j]:.3f}），会降低得分"),
                severity=Severity.WARNING,
            )
        )
    return pd.Series(w, index=data.columns, name="weight"), diags


# --------------------------------------------------------------------------- optimised weights


@dataclass(frozen=True)
class OptimisedWeights:
    """Weights fitted so that the children's importances match targets (all Series sum to 1)."""

    weights: pd.Series
    target: pd.Series  # the target importances, normalised
    achieved: pd.Series  # the importances at ``weights``, normalised
    main_effects: pd.Series  # the children's main effects at ``weights`` (not normalised)
    iterations: int

    @property
    def gap(self) -> float:
        """The largest |achieved − target|."""
        return float(np.max(np.abs(self.achieved.to_numpy() - self.target.to_numpy())))


#: complete rows the cubic estimator needs (fewer: E801, use ``estimator: linear``)
CUBIC_MIN_ROWS = 10


def main_effects(children: pd.DataFrame, index: pd.Series | np.ndarray, estimator: str = "cubic") -> pd.Series:
    """Main effect of each column of ``children`` on ``index`` (rows with any NA are left out).

    - ``linear``: r², the squared Pearson correlation — Pearson's correlation ratio
      η² = V(E(y | x))/V(y) when E(y | x) is linear in x;
    - ``cubic``: η² with E(y | x) estimated by least squares on 1, z, z², z³ (z = x standardised),
      i.e. the R² of that cubic regression; needs at least 10 complete rows;
    - ``pearson``: r itself, as COINr's ``get_opt_weights`` uses (not a share of variance).

    All columns are estimated at once (a stack of small least-squares problems).
    """
    x = children.to_numpy(dtype=float)
    y = np.asarray(index, dtype=float)
    keep = ~(np.isnan(x).any(axis=1) | np.isnan(y))
    x, y = x[keep], y[keep]
    m = x.shape[0]
    if m < 2 or np.ptp(y) == 0 or (np.ptp(x, axis=0) == 0).any():
        raise error("E801", "main effects need at least 2 complete rows and children and an index that vary",
                    "主效应需要至少 2 个完整的行，且各子指标与指数都不是常数")
    xc, yc = x - x.mean(axis=0), y - y.mean()
    sxx, syy = (xc * xc).sum(axis=0), float(yc @ yc)
    r = (xc * yc[:, None]).sum(axis=0) / np.sqrt(sxx * syy)
    if estimator == "pearson":
        out = r
    elif estimator == "linear":
        out = r * r
    elif estimator == "cubic":
        if m < CUBIC_MIN_ROWS:
            raise error("E801", f"the cubic estimate of main effects needs at least {CUBIC_MIN_ROWS} complete rows, "
                        f"not {m}", f"主效应的三次多项式估计至少需要 {CUBIC_MIN_ROWS} 个完整的行，而不是 {m} 个",
                        hint=Msg("use `estimator: linear`", "请使用 `estimator: linear`"))
        z = (xc / np.sqrt(sxx / m)).T  # (k, m)
        design = np.stack([np.ones_like(z), z, z * z, z * z * z], axis=2)  # (k, m, 4)
        beta = np.linalg.pinv(design) @ y  # (k, 4): one least-squares fit per child
        fitted = np.einsum("kmp,kp->km", design, beta)
        resid = y[None, :] - fitted
        out = 1.0 - (resid * resid).sum(axis=1) / syy
    else:
        raise error("E801", f"unknown main-effect estimator {estimator!r}", f"未知的主效应估计方法 {estimator!r}")
    return pd.Series(out, index=children.columns, name="main_effect")


def optimise(
    children: pd.DataFrame,
    index_of: Callable[[np.ndarray], np.ndarray],
    targets: Sequence[float] | np.ndarray | None = None,
    estimator: str = "cubic",
    node: str | None = None,
    max_iterations: int = 200,
) -> OptimisedWeights:
    """Weights w (w ≥ 0, Σ w = 1) whose normalised main effects S_j / Σ S match ``targets``.

    ``index_of(w)`` aggregates the rows of ``children`` (complete rows only are used) with the
    weights w; ``targets`` are relative importances (default equal). After Becker et al. (2017),
    *Ecological Indicators* 80:12–22: minimise Σ_j (S_j/Σ S − t_j/Σ t)² over the simplex of w by
    Levenberg–Marquardt with a forward-difference Jacobian, each step projected back onto the
    simplex (negative weights set to 0, then rescaled to sum 1), from two starts — w = t/Σ t (as
    COINr's ``get_opt_weights``) and w ∝ √t_j/σ_j (exact for uncorrelated children and a linear
    index) — keeping the better. Deterministic. The data may make the targets unreachable (correlated
    children): the result then holds the closest importances found, and :attr:`OptimisedWeights.gap`
    says how far they are.
    """
    x = children.to_numpy(dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    where = f" of node {node}" if node else ""
    t = np.ones(k) if targets is None else np.asarray(targets, dtype=float)
    if t.shape != (k,) or (t < 0).any() or t.sum() <= 0:
        raise error("E801", f"optimised weights{where}: {len(t)} target importances for {k} children (all ≥ 0, "
                    "some > 0)", f"优化权重{'（节点 ' + node + '）' if node else ''}：{k} 个子节点却有 {len(t)} 个目标"
                    "重要性（须均 ≥ 0 且不全为 0）")
    t = t / t.sum()
    frame = pd.DataFrame(x, columns=children.columns)

    def importances(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = main_effects(frame, index_of(w), estimator).to_numpy()
        total = s.sum()
        return s, (s / total if total > 0 else np.full(k, np.nan))

    def descend(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
        """Levenberg–Marquardt from ``w``, each step projected back onto the simplex."""
        s, shares = importances(w)
        res = shares - t
        cost = float(res @ res)
        mu, h, it = 1e-3, 1e-7, 0
        while it < max_iterations and np.isfinite(cost) and cost > 1e-24:
            it += 1
            jac = np.empty((k, k))
            for i in range(k):  # one evaluation per child: k is a node's children, a handful
                step = w.copy()
                step[i] += h
                jac[:, i] = (importances(step / step.sum())[1] - t - res) / h
            a, g = jac.T @ jac, jac.T @ res
            scale = max(float(np.trace(a)) / k, 1e-300)
            moved = small = False
            for _ in range(40):
                delta = np.linalg.solve(a + mu * scale * np.eye(k), -g)
                w2 = np.maximum(w + delta, 0.0)
                if w2.sum() <= 0:
                    mu *= 4.0
                    continue
                w2 = w2 / w2.sum()
                s2, sh2 = importances(w2)
                r2 = sh2 - t
                c2 = float(r2 @ r2)
                if np.isfinite(c2) and c2 < cost:
                    small = cost - c2 <= 1e-9 * cost
                    w, s, shares, res, cost, moved = w2, s2, sh2, r2, c2, True
                    mu = max(mu / 3.0, 1e-12)
                    break
                mu *= 4.0
            if not moved or small:
                break
        return w, s, shares, cost, it

    # two starts: the targets (COINr's start) and w ∝ √t/σ, the answer for uncorrelated children
    # and a linear index; the better end wins
    sd = x.std(axis=0)
    guess = np.sqrt(t) / np.where(sd > 0, sd, 1.0)
    runs = [descend(t.copy()), descend(guess / guess.sum())]
    w, s, shares, _, it = min(runs, key=lambda r: (not np.isfinite(r[3]), r[3]))
    it = sum(r[4] for r in runs)
    cols = children.columns
    return OptimisedWeights(pd.Series(w, index=cols, name="weight"), pd.Series(t, index=cols, name="target"),
                            pd.Series(shares, index=cols, name="achieved"), pd.Series(s, index=cols, name="main_effect"),
                            it)
