"""audit_data: one function from a data file or the indicator values, a framework and an
uncertainty spec (a file or the list) to the audit document — what the Python API wraps."""

from __future__ import annotations

import pytest

from citystd.assessment.audit.io import audit_data
from citystd.diagnostics import CitystdError

UNCERTAINTY = [
    {"name": "winmax", "step": "treat", "param": "winmax", "values": [3, 5]},
    {"name": "weights", "weights_noise": 0.2},
]


def _core(doc: dict) -> dict:
    return {k: doc[k] for k in ("ranks", "coherence", "drop_one", "sensitivity", "replications", "settings")}


def test_a_file_and_its_values_give_the_same_audit(asem, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unc = tmp_path / "u.yaml"
    unc.write_text("uncertainty:\n  - {name: winmax, step: treat, param: winmax, values: [3, 5]}\n"
                   "  - {name: weights, weights_noise: 0.2}\n", encoding="utf-8")
    from_file = audit_data(asem.root / "data.csv", "asem", unc, library=[asem.root], n=8, bootstrap=20)
    from_values = audit_data(asem.values, "asem", UNCERTAINTY, library=[asem.root], attributes=asem.attributes, n=8,
                             bootstrap=20)
    assert from_file.document is not None and from_values.document is not None
    assert _core(from_file.document) == _core(from_values.document)
    assert from_values.document["input"]["layout"] == "values" and len(from_values.document["input"]["sha256"]) == 64
    assert from_file.document["input"]["sha256"] != from_values.document["input"]["sha256"]


def test_values_indexed_by_unit_only(asem) -> None:  # type: ignore[no-untyped-def]
    values = asem.values.droplevel("year")
    out = audit_data(values, "asem", [UNCERTAINTY[1]], library=[asem.root], n=4, bootstrap=10,
                     attributes=asem.attributes.droplevel("year"))
    assert out.document is not None and out.document["year"] is None
    assert [r["city"] for r in out.document["ranks"]] == list(values.index)


def test_uncertainty_errors_are_returned_not_raised(asem) -> None:  # type: ignore[no-untyped-def]
    out = audit_data(asem.values, "asem", [{"name": "x", "step": "treat", "param": "winmix", "values": [1, 2]}],
                     library=[asem.root], n=4)
    assert out.document is None and [d.code for d in out.diagnostics] == ["A004"]


def test_values_without_the_frameworks_indicators(asem) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CitystdError) as exc:
        audit_data(asem.values.rename(columns=lambda c: c + "_x"), "asem", None, library=[asem.root], n=4)
    assert exc.value.diagnostic.code == "A021"
