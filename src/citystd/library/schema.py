"""JSON Schema of a library file, generated from the pydantic models.

pydantic emits JSON Schema 2020-12 (``$defs``, ``prefixItems``); yaml-language-server supports
draft-07 and below, so the schema is rewritten to draft-07 (``definitions``, ``items: [...]``).
The committed copy (``schema/citystd.schema.json``) is checked against this by a test.
"""

from __future__ import annotations

import json
from typing import Any

from citystd.library.models import LibraryFile

SCHEMA_ID = "https://citystd.org/schema/citystd-1.schema.json"


def library_schema() -> dict[str, Any]:
    raw = LibraryFile.model_json_schema(ref_template="#/definitions/{model}")
    defs = raw.pop("$defs", {})
    doc: dict[str, Any] = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID, **raw}
    doc["definitions"] = dict(sorted(defs.items()))
    return _draft7(doc)


def _draft7(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _draft7(v) for k, v in node.items()}
        if "prefixItems" in out:
            out["items"] = out.pop("prefixItems")
            out.setdefault("additionalItems", False)
            out.pop("maxItems", None) if out.get("minItems") is None else None
        return out
    if isinstance(node, list):
        return [_draft7(v) for v in node]
    return node


def schema_text() -> str:
    return json.dumps(library_schema(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
