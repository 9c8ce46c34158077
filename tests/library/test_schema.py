"""The committed JSON Schema matches the models, and it accepts and rejects what validate does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from citystd.library.load import builtin_path
from citystd.library.schema import library_schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "citystd.schema.json"


def test_committed_schema_has_not_drifted() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/citystd.schema.json is out of date: run `citystd schema -o schema/citystd.schema.json`"
    )


def test_schema_is_valid_draft7() -> None:
    jsonschema.Draft7Validator.check_schema(library_schema())


def test_schema_accepts_every_builtin_file_and_the_base_fixture(base_library: Path) -> None:
    validator = jsonschema.Draft7Validator(json.loads(COMMITTED.read_text(encoding="utf-8")))
    files = sorted(builtin_path().rglob("*.yaml")) + sorted(base_library.rglob("*.yaml"))
    assert files
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (f, errors[:3])


def test_schema_rejects_unknown_keys_and_bad_direction() -> None:
    validator = jsonschema.Draft7Validator(library_schema())
    bad = {"citystd": 1, "indicators": [{"id": "x", "name": {"zh": "甲", "en": "X"},
                                         "definition": {"zh": "甲", "en": "X"}, "domain": "d", "unit": "%",
                                         "direction": "up", "goalpost": {}}]}
    messages = " ".join(e.message for e in validator.iter_errors(bad))
    assert "'up'" in messages and "goalpost" in messages
