"""The sampling design of an audit and what each replication varies (methods.md §14.3).

**Points.** A scrambled Sobol sequence (``scipy.stats.qmc.Sobol``, seeded with the audit seed)
gives N points in [0, 1)^(2d) for d uncertain inputs. Without sensitivity analysis the first d
coordinates of the N points are the N replications. With it (the Saltelli design) the first d
coordinates form A, the last d form B, and the replications are the rows of A, B and
A_B^(1) … A_B^(d) (A with column i from B): N·(d + 2) rows, in that block order.

**Coordinates to parameters.** For an input with K alternatives (step alternatives, or
"nothing excluded" plus each element for an exclusion) u ∈ [0, 1) picks alternative
⌊u·K⌋ (equal-width intervals, as COINr's ``sample_2_para``). For weight noise u picks one of
M = N noisy weight sets, ⌊u·M⌋; set m multiplies every weight it varies by 1 + (2v − 1)·x, the v
drawn uniformly from a generator seeded with (seed, 1). Every random number is thus drawn here,
up front, from the seed: the chunks that evaluate replications are pure functions of their rows,
so results do not depend on how rows are split among processes or machines.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from citystd.library.uncertainty import Exclusion, StepInput, UncertainInput, WeightNoise


@dataclass(frozen=True)
class Design:
    """Replications as integer choices: ``choices[r, i]`` = alternative (or weight set) of input i."""

    inputs: tuple[UncertainInput, ...]
    n: int  # base samples
    seed: int
    sensitivity: bool  # Saltelli blocks A, B, A_B^(i)
    points: np.ndarray  # (rows, d) coordinates in [0, 1)
    choices: np.ndarray  # (rows, d) int
    blocks: np.ndarray  # (rows,) 0 = A, 1 = B, 2 + i = A_B^(i)
    weight_sets: np.ndarray | None  # (M, slots) multipliers, or None without weight noise

    @property
    def rows(self) -> int:
        return int(self.choices.shape[0])

    @property
    def d(self) -> int:
        return len(self.inputs)

    def statistics_rows(self) -> np.ndarray:
        """Rows whose ranks enter the rank statistics: A and B (independent points), or all rows."""
        return np.flatnonzero(self.blocks < 2)


def alternatives(inp: UncertainInput, n: int) -> int:
    """How many values a coordinate of ``inp`` maps to."""
    if isinstance(inp, StepInput):
        return len(inp.values)
    if isinstance(inp, Exclusion):
        return len(inp.values)
    return n  # weight sets


def sobol_points(n: int, dims: int, seed: int) -> np.ndarray:
    """N scrambled Sobol points in [0, 1)^dims (a power of two N keeps the sequence balanced)."""
    from scipy.stats import qmc

    if dims == 0:
        return np.zeros((n, 0))
    sampler = qmc.Sobol(d=dims, scramble=True, rng=np.random.default_rng(np.random.SeedSequence([seed, 0])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "balance properties" when N is not a power of 2
        return sampler.random(n)


def saltelli(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of A, B, A_B^(1) … A_B^(d) from N points in [0, 1)^(2d) (A = first d columns, B = last d),
    and the block of each row (0 = A, 1 = B, 2 + i = A_B^(i))."""
    n, d = points.shape[0], points.shape[1] // 2
    a, b = points[:, :d], points[:, d:]
    blocks_pts = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks_pts.append(ab)
    return np.concatenate(blocks_pts), np.repeat(np.arange(d + 2), n)


def make_design(inputs: list[UncertainInput] | tuple[UncertainInput, ...], n: int, seed: int, *,
                sensitivity: bool, weight_slots: np.ndarray | None = None) -> Design:
    """The design of ``n`` base samples; ``weight_slots`` (slots,) holds the node level of each
    weight (for the weight noise ``levels``)."""
    inputs = tuple(inputs)
    d = len(inputs)
    if sensitivity and d == 0:
        sensitivity = False
    pts = sobol_points(n, 2 * d if sensitivity else d, seed)
    if sensitivity:
        points, blocks = saltelli(pts)
    else:
        points, blocks = pts, np.zeros(n, dtype=int)
    k = np.array([alternatives(inp, n) for inp in inputs], dtype=int)
    choices = np.minimum(np.floor(points * k).astype(int), k - 1) if d else np.zeros((points.shape[0], 0), int)
    weight_sets = None
    noise = next((inp for inp in inputs if isinstance(inp, WeightNoise)), None)
    if noise is not None:
        if weight_slots is None:
            raise ValueError("weight noise needs the node level of every weight slot")
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        v = rng.random((n, len(weight_slots)))
        varied = np.ones(len(weight_slots), dtype=bool) if noise.levels is None \
            else np.isin(weight_slots, np.asarray(noise.levels))
        weight_sets = np.where(varied, 1.0 + (2.0 * v - 1.0) * noise.noise, 1.0)
    return Design(inputs, n, seed, sensitivity, points, choices, blocks, weight_sets)
