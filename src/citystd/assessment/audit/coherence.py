"""Statistical coherence of a framework (methods.md §14.1): no sampling, the nominal scores only.

Per node, on the normalised indicator scores and node scores of the audited units (COINr's
"Aggregated" data set):

- **correlations** of each child with the node and among the children, Pearson and Spearman,
  over pairwise complete observations (R's ``cor(use = "pairwise.complete.obs")``, COINr's
  ``get_corr`` with ``pval = 0``). Spearman = Pearson of the ranks (average ties) of each pair's
  complete observations. Flags: ``collinear`` two children with |r| > 0.9; ``negative`` r < 0;
  ``weak`` a child whose correlation with its node is below 0.3.
- **Cronbach's alpha** of the children, from their pairwise covariance matrix C (k children):
  α = k²·c̄ / ΣC with c̄ the mean off-diagonal covariance (COINr's ``get_cronbach``).
- **PCA** of the children: units with every child present, each child standardised (sd with
  n − 1); eigenvalues λ of the correlation matrix, variance shares λ/Σλ, first loadings (signed so
  that they sum to ≥ 0) — ``prcomp(scale = TRUE)``.
- **effective weights**: the product of rescaled weights from the node up to the root.
- **main effects** (Paruolo, Saisana & Saltelli 2013) of each indicator on the overall score y:
  η² = Var(E[y | x])/Var(y), estimated by a cubic polynomial regression of y on the standardised
  indicator (η² = 1 − SSE/SST), beside Pearson's r²; compared with the nominal weight through the
  normalised shares η²ᵢ/Σⱼη²ⱼ and wᵢ/Σⱼwⱼ.
- **size**: correlations (Pearson and Spearman, pairwise) of every node score with each size
  variable the user names (population, area …); |ρ| ≥ 0.5 is flagged ``size_dependent``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

COLLINEAR, WEAK, SIZE = 0.9, 0.3, 0.5


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks of each column over its non-NaN entries (NaN kept)."""
    from scipy.stats import rankdata

    return rankdata(x, axis=0, nan_policy="omit", method="average")


def pairwise_cov(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Covariances (n − 1), and each side's variance over the same pairs, for every column pair.

    Returns (cov, var_x, var_y, n) of shape (p, q): pair (i, j) uses the rows where both x_i and
    y_j are present, with that subset's means (two-pass: centred first, then corrected).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    mx, my = ~np.isnan(x), ~np.isnan(y)
    # centre by the column means first: the one-pass sums below are then well conditioned
    x = x - np.nanmean(x, axis=0) if x.size else x
    y = y - np.nanmean(y, axis=0) if y.size else y
    fx, fy = mx.astype(float), my.astype(float)
    xz, yz = np.where(mx, x, 0.0), np.where(my, y, 0.0)
    n = fx.T @ fy
    sx, sy = xz.T @ fy, fx.T @ yz
    sxy = xz.T @ yz
    sxx, syy = (xz ** 2).T @ fy, fx.T @ (yz ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sy / n) / (n - 1)
        vx = (sxx - sx ** 2 / n) / (n - 1)
        vy = (syy - sy ** 2 / n) / (n - 1)
    return cov, vx, vy, n


def pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    cov, vx, vy, _ = pairwise_cov(x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt(vx * vy)


def spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's ρ of every column pair over the pair's complete observations."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if not (np.isnan(x).any() or np.isnan(y).any()):
        return pearson(_ranks(x), _ranks(y))
    out = np.empty((x.shape[1], y.shape[1]))
    for i in range(x.shape[1]):  # missing values: each pair ranks its own complete rows (R's rule)
        for j in range(y.shape[1]):
            both = ~np.isnan(x[:, i]) & ~np.isnan(y[:, j])
            out[i, j] = pearson(_ranks(x[both, i][:, None]), _ranks(y[both, j][:, None]))[0, 0] \
                if both.sum() > 1 else np.nan
    return out


def cronbach_alpha(x: np.ndarray) -> float:
    """k²·(mean off-diagonal covariance)/(sum of all covariances), pairwise covariances."""
    k = x.shape[1]
    if k < 2:
        return float("nan")
    cov, _, _, _ = pairwise_cov(x, x)
    total = np.nansum(cov)
    off = (total - np.nansum(np.diag(cov))) / (k * (k - 1))
    return float(k * k * off / total) if total != 0 else float("nan")


def pca(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(variance shares of all components, first loadings, complete units) of the columns of ``x``."""
    complete = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    if complete.shape[0] < 2 or k < 2:
        return np.full(k, np.nan), np.full(k, np.nan), int(complete.shape[0])
    sd = complete.std(axis=0, ddof=1)
    if (sd == 0).any():
        return np.full(k, np.nan), np.full(k, np.nan), int(complete.shape[0])
    z = (complete - complete.mean(axis=0)) / sd
    corr = (z.T @ z) / (complete.shape[0] - 1)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, v = np.clip(vals[order], 0, None), vecs[:, order[0]]
    if v.sum() < 0:
        v = -v
    return vals / vals.sum(), v, int(complete.shape[0])


def main_effects(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(η² by cubic regression, Pearson r²) of ``y`` on each column of ``x`` (complete pairs)."""
    k = x.shape[1]
    eta, r2 = np.full(k, np.nan), np.full(k, np.nan)
    ok = ~np.isnan(x) & ~np.isnan(y)[:, None]
    for same in {tuple(col) for col in ok.T}:  # columns sharing a missing-value pattern: one batch
        rows = np.asarray(same, dtype=bool)
        cols = np.flatnonzero((ok == rows[:, None]).all(axis=0))
        if rows.sum() < 5:
            continue
        xs, ys = x[rows][:, cols], y[rows]
        sd = xs.std(axis=0)
        usable = sd > 0
        z = (xs - xs.mean(axis=0)) / np.where(usable, sd, 1.0)
        design = np.stack([np.ones_like(z), z, z ** 2, z ** 3], axis=-1).transpose(1, 0, 2)  # (cols, n, 4)
        coef = np.linalg.pinv(design) @ ys  # (cols, 4)
        fit = np.einsum("cnk,ck->cn", design, coef)
        sst = ((ys - ys.mean()) ** 2).sum()
        sse = ((ys[None, :] - fit) ** 2).sum(axis=1)
        eta[cols] = np.where(usable, 1.0 - sse / sst, np.nan) if sst > 0 else np.nan
        r = pearson(xs, ys[:, None])[:, 0]
        r2[cols] = np.where(usable, r ** 2, np.nan)
    return eta, r2


@dataclass
class NodeCoherence:
    id: str
    level: int
    children: list[str]
    pearson_parent: np.ndarray
    spearman_parent: np.ndarray
    pearson_siblings: np.ndarray
    spearman_siblings: np.ndarray
    alpha: float
    pca_share: np.ndarray
    pca_loadings: np.ndarray
    pca_units: int
    effective_weight: float
    flags: list[dict[str, Any]] = field(default_factory=list)


def node_coherence(node_id: str, level: int, children: list[str], kids: np.ndarray, parent: np.ndarray,
                   effective_weight: float) -> NodeCoherence:
    pp, sp = pearson(kids, parent[:, None])[:, 0], spearman(kids, parent[:, None])[:, 0]
    ps, ss = pearson(kids, kids), spearman(kids, kids)
    share, load, n = pca(kids)
    flags: list[dict[str, Any]] = []
    for i, c in enumerate(children):
        if pp[i] < 0:
            flags.append({"flag": "negative", "a": c, "b": node_id, "r": float(pp[i])})
        elif pp[i] < WEAK:
            flags.append({"flag": "weak", "a": c, "b": node_id, "r": float(pp[i])})
    iu = np.triu_indices(len(children), 1)
    for i, j in zip(*iu, strict=True):
        r = ps[i, j]
        if abs(r) > COLLINEAR:
            flags.append({"flag": "collinear", "a": children[i], "b": children[j], "r": float(r)})
        elif r < 0:
            flags.append({"flag": "negative", "a": children[i], "b": children[j], "r": float(r)})
    return NodeCoherence(node_id, level, children, pp, sp, ps, ss, cronbach_alpha(kids), share, load, n,
                         effective_weight, flags)
