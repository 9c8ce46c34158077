"""Coherence and drop-one on COINr's ASEM example equal COINr 1.1.14 (tests/data/coinr/audit_oracle.json).

The oracle was computed by COINr itself (get_cronbach, get_corr, get_PCA, remove_elements on
build_example_coin(); see tests/data/coinr/SOURCE.md). citystd computes the same statistics from
its own scores of the imported ASEM framework.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from citystd.assessment.audit.run import Options, audit
from citystd.importers.coinr import citystd_id

ORACLE = json.loads((Path(__file__).resolve().parents[1] / "data" / "coinr" / "audit_oracle.json")
                    .read_text(encoding="utf-8"))
TOL = 1e-9


@pytest.fixture(scope="module")
def result(asem):  # type: ignore[no-untyped-def]
    return audit(asem.spec, asem.values, asem.attributes, [], Options(n=2))


def _node(result, code: str):  # type: ignore[no-untyped-def]
    label = "root" if code == "Index" else citystd_id(code)
    return next(c for c in result.coherence if c.id == label)


def test_the_index_is_coinrs(result) -> None:  # type: ignore[no-untyped-def]
    got = dict(zip(result.units, result.nominal_scores[-1], strict=True))
    for unit, value in ORACLE["index"].items():
        assert got[unit] == pytest.approx(value, abs=TOL)


@pytest.mark.parametrize("code", sorted(ORACLE["nodes"]))
def test_cronbach_alpha(result, code: str) -> None:  # type: ignore[no-untyped-def]
    assert _node(result, code).alpha == pytest.approx(ORACLE["nodes"][code]["cronbach"], abs=TOL)


@pytest.mark.parametrize("code", sorted(ORACLE["nodes"]))
@pytest.mark.parametrize("kind", ["pearson", "spearman"])
def test_correlations(result, code: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    want = ORACLE["nodes"][code]
    node = _node(result, code)
    ids = [citystd_id(c) for c in want[f"{kind}_siblings"]["codes"]]
    order = [node.children.index(i) for i in ids]
    parent = getattr(node, f"{kind}_parent")
    for c, r in want[f"{kind}_parent"].items():
        assert parent[node.children.index(citystd_id(c))] == pytest.approx(r, abs=TOL), c
    among = getattr(node, f"{kind}_siblings")[np.ix_(order, order)]
    np.testing.assert_allclose(among, np.array(want[f"{kind}_siblings"]["matrix"], dtype=float), rtol=0, atol=TOL)


@pytest.mark.parametrize("code", sorted(ORACLE["nodes"]))
def test_pca_of_the_children(result, code: str) -> None:  # type: ignore[no-untyped-def]
    want = ORACLE["nodes"][code]["pca"]
    node = _node(result, code)
    np.testing.assert_allclose(node.pca_share, want["variance_share"], rtol=0, atol=TOL)
    order = [node.children.index(citystd_id(c)) for c in want["codes"]]
    # a principal axis has no sign: compare up to one common sign
    ours, theirs = node.pca_loadings[order], np.array(want["loadings"])
    sign = np.sign(ours @ theirs)
    np.testing.assert_allclose(sign * ours, theirs, rtol=0, atol=TOL)


@pytest.mark.parametrize("level", ["1", "2", "3"])
def test_drop_one_equals_remove_elements(result, level: str) -> None:  # type: ignore[no-untyped-def]
    """COINr's Level L > 1 (pillars 2, sub-indices 3) is citystd's node level L − 1."""
    want = ORACLE["remove_elements"][level]
    got = {d.element: d.mean_abs_rank_change for d in result.drop_one
           if (d.kind == "indicator") == (level == "1") and (d.kind == "indicator" or d.level == int(level) - 1)}
    assert set(got) == {citystd_id(c) for c in want}
    for code, value in want.items():
        assert got[citystd_id(code)] == pytest.approx(value, abs=TOL), code
