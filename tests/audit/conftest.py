"""The ASEM example imported once per session (`citystd import coinr`), its spec and derived values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citystd.cli import app

ASEM = Path(__file__).resolve().parents[1] / "data" / "asem"


@dataclass
class AsemCase:
    root: Path
    lib: Any
    fw: Any
    spec: Any
    values: Any
    attributes: Any
    city: Any


@pytest.fixture(scope="session")
def asem(tmp_path_factory: pytest.TempPathFactory) -> AsemCase:
    from citystd.assessment.prepare import prepare
    from citystd.engine.pipeline import build_spec
    from citystd.library.select import load_framework

    out = tmp_path_factory.mktemp("audit-asem") / "lib"
    r = CliRunner().invoke(app, ["import", "coinr", str(ASEM / "iData.csv"), str(ASEM / "iMeta.csv"), "-o", str(out),
                                 "--framework-id", "asem"])
    assert r.exit_code == 0, r.output
    lib, fw = load_framework("asem", [out])
    spec = build_spec(lib, fw)
    prep = prepare(out / "data.csv", lib, fw, spec)
    assert not prep.stop
    return AsemCase(out, lib, fw, spec, prep.values, prep.city.attributes, prep.city)


UNCERTAINTY = [
    {"name": "winmax", "step": "treat", "param": "winmax", "values": [3, 5]},
    {"name": "normalisation", "step": "normalise", "param": "method", "values": ["minmax", "percentile_rank"]},
    {"name": "weights", "weights_noise": 0.25},
    {"name": "drop", "exclude": "indicators"},
]


@pytest.fixture(scope="session")
def audit_doc(asem: AsemCase) -> dict:
    """A small audit of ASEM (N = 16, Saltelli design, a city's rank, a size variable) as a document."""
    from citystd.assessment.audit.io import audit_data

    out = audit_data(asem.root / "data.csv", "asem", UNCERTAINTY, library=[asem.root], n=16, bootstrap=50,
                     city="CHN", size=["population"], sets=["normalise.range=[1, 100]"])
    assert out.document is not None, out.diagnostics
    return out.document
