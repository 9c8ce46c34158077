"""Variance-based sensitivity indices from a Saltelli design (methods.md §14.4).

For d uncertain inputs and N base samples the design evaluates the output y at the rows of two
independent N × d matrices A and B and of the d matrices A_B^(i) (A with column i taken from B):
N·(d + 2) evaluations. The outputs are first standardised over all N·(d + 2) rows
(y ← (y − mean)/sd, as SALib does: the first-order estimator is not invariant to a shift of y in
finite samples, and centring lowers its variance). With V = the variance (1/n) of y over the 2N
rows of A and B:

- first order (Saltelli et al. 2010): S_i = (1/N) Σ_j y_B,j (y_ABi,j − y_A,j) / V
- total (Jansen 1999): S_Ti = (1/2N) Σ_j (y_A,j − y_ABi,j)² / V

Bootstrap intervals: ``resamples`` draws of the N base samples with replacement (one generator
seeded from the audit seed; the same draws for every input), the indices recomputed on each
draw (V too), and the (1 − level)/2 and (1 + level)/2 percentiles of the draws. All draws are one
numpy pass per batch of draws (a resamples × N index matrix), no loop over single draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SobolIndices:
    first: np.ndarray  # (d,)
    total: np.ndarray  # (d,)
    first_ci: np.ndarray  # (d, 2)
    total_ci: np.ndarray  # (d, 2)
    variance: float  # of the raw output over the A and B rows
    n: int  # base samples used


def split(y: np.ndarray, n: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y_A, y_B, y_AB) of a design laid out as blocks A, B, A_B^(1), …, A_B^(d) of n rows each."""
    y = np.asarray(y, dtype=float)
    if y.shape[0] != n * (d + 2):
        raise ValueError(f"{y.shape[0]} outputs for N = {n}, d = {d}: expected N·(d+2) = {n * (d + 2)}")
    return y[:n], y[n:2 * n], y[2 * n:].reshape(d, n).T  # y_AB: (n, d)


def _estimate(ya: np.ndarray, yb: np.ndarray, yab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S_i and S_Ti along the last-but-one axis; inputs (..., n) and (..., n, d)."""
    var = np.concatenate([ya, yb], axis=-1).var(axis=-1)
    first_num = np.mean(yb[..., None] * (yab - ya[..., None]), axis=-2)
    total_num = 0.5 * np.mean((ya[..., None] - yab) ** 2, axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = var > np.finfo(float).eps
        first = np.where(pos[..., None], first_num / np.where(pos, var, 1.0)[..., None], 0.0)
        total = np.where(pos[..., None], total_num / np.where(pos, var, 1.0)[..., None], 0.0)
    return first, total, var


def sobol_indices(y: np.ndarray, n: int, d: int, *, resamples: int = 1000, level: float = 0.9,
                  seed: int = 0, keep: np.ndarray | None = None) -> SobolIndices:
    """First-order and total indices of output ``y`` (length n·(d+2), blocks A, B, A_B^(i)).

    ``keep`` (length n, bool) leaves out base samples whose replications failed: all d + 2 rows
    of a base sample go together, so the estimators stay paired.
    """
    ya, yb, yab = split(y, n, d)
    if keep is not None:
        ya, yb, yab = ya[keep], yb[keep], yab[keep]
    m = ya.shape[0]
    raw_var = float(np.concatenate([ya, yb]).var()) if m else float("nan")
    if m:
        every = np.concatenate([ya, yb, yab.ravel()])
        sd = every.std()
        centre = every.mean()
        scale = sd if sd > 0 else 1.0
        ya, yb, yab = (ya - centre) / scale, (yb - centre) / scale, (yab - centre) / scale
    first, total, _ = _estimate(ya, yb, yab)
    if m == 0:
        nan = np.full(d, np.nan)
        return SobolIndices(nan, nan, np.full((d, 2), np.nan), np.full((d, 2), np.nan), float("nan"), 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EB0]))
    idx = rng.integers(0, m, size=(resamples, m))
    step = max(1, 4_000_000 // max(1, m * d))  # bounds the (batch, m, d) arrays
    parts = [_estimate(ya[i], yb[i], yab[i])[:2] for i in (idx[k:k + step] for k in range(0, resamples, step))]
    bf = np.concatenate([p[0] for p in parts])  # (resamples, d)
    bt = np.concatenate([p[1] for p in parts])
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    first_ci = np.percentile(bf, [lo, hi], axis=0).T
    total_ci = np.percentile(bt, [lo, hi], axis=0).T
    return SobolIndices(first, total, first_ci, total_ci, raw_var, m)
