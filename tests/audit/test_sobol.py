"""Sobol estimators: the Ishigami function's analytic indices, SALib's estimates on the same
sample matrix, bootstrap intervals, convergence as N grows."""

from __future__ import annotations

import numpy as np
import pytest

from citystd.assessment.audit.design import saltelli, sobol_points
from citystd.assessment.audit.sobol import sobol_indices

A, B = 7.0, 0.1
# analytic indices of Ishigami (Ishigami & Homma 1990; Sobol' & Levitan 1999)
V = A**2 / 8 + B * np.pi**4 / 5 + B**2 * np.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
S1 = np.array([V1 / V, V2 / V, 0.0])
ST = np.array([(V1 + V13) / V, V2 / V, V13 / V])


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def design(n: int, seed: int = 3) -> np.ndarray:
    points, _ = saltelli(sobol_points(n, 6, seed))
    return points


def test_analytic_values_are_the_textbook_ones() -> None:
    assert S1 == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert ST == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)


def test_ishigami_within_sampling_error() -> None:
    n = 2**13
    y = ishigami(design(n))
    s = sobol_indices(y, n, 3, resamples=200, level=0.99, seed=1)
    assert s.first == pytest.approx(S1, abs=0.03)
    assert s.total == pytest.approx(ST, abs=0.03)
    # the bootstrap intervals hold the estimates, and (at 99 %) the analytic values
    assert ((s.first_ci[:, 0] <= s.first) & (s.first <= s.first_ci[:, 1])).all()
    assert ((s.total_ci[:, 0] - 0.01 <= ST) & (ST <= s.total_ci[:, 1] + 0.01)).all()


def test_equal_to_salib_on_the_same_sample_matrix() -> None:
    """SALib lays a base sample's rows out as A, A_B^(1) … A_B^(d), B; its estimators on our
    outputs, re-ordered so, give our numbers."""
    from SALib.analyze import sobol as salib_sobol

    n, d = 512, 3
    y = ishigami(design(n))
    ya, yb, yab = y[:n], y[n:2 * n], y[2 * n:].reshape(d, n).T
    salib_y = np.concatenate([ya[:, None], yab, yb[:, None]], axis=1).ravel()
    problem = {"num_vars": d, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * d}
    ref = salib_sobol.analyze(problem, salib_y, calc_second_order=False, num_resamples=10, seed=1)
    ours = sobol_indices(y, n, d, resamples=10)
    np.testing.assert_allclose(ours.first, ref["S1"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.total, ref["ST"], rtol=0, atol=1e-12)


def test_estimates_converge_as_n_doubles() -> None:
    errors = []
    for n in (2**7, 2**9, 2**11, 2**13):
        s = sobol_indices(ishigami(design(n)), n, 3, resamples=10)
        errors.append(np.abs(s.first - S1).sum() + np.abs(s.total - ST).sum())
    assert errors[-1] < errors[0] / 4
    assert errors[-1] < 0.05


def test_deterministic_and_failed_base_samples_left_out() -> None:
    n = 256
    y = ishigami(design(n))
    a, b = sobol_indices(y, n, 3, resamples=50, seed=7), sobol_indices(y, n, 3, resamples=50, seed=7)
    assert np.array_equal(a.first_ci, b.first_ci) and np.array_equal(a.total, b.total)
    keep = np.ones(n, dtype=bool)
    keep[:10] = False
    y2 = y.copy()
    y2[n + 3] = np.nan  # a failed replication of base sample 3 (block B)
    c = sobol_indices(y2, n, 3, resamples=50, keep=keep)
    assert c.n == n - 10 and np.isfinite(c.first).all()


def test_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="N·\\(d\\+2\\)"):
        sobol_indices(np.zeros(10), 4, 3)
