"""Docs stay in step with the code: examples run, every key and rule code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from citystd.diagnostics import RULES
from citystd.library import models
from citystd.library.pipeline import STEPS
from citystd.library.validate import validate

DOCS = Path(__file__).resolve().parents[1] / "docs"


def yaml_blocks(md: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S)


def test_format_examples_form_a_valid_library(tmp_path: Path) -> None:
    blocks = [b for b in yaml_blocks(DOCS / "format.md") if b.startswith("citystd: 1")]
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        (tmp_path / f"example_{i}.yaml").write_text(block, encoding="utf-8")
    lib, diags = validate([tmp_path], strict=True)
    assert [f"{d.location} {d.code} {d.message.en}" for d in diags] == []
    assert {"unemployment_rate", "household_size"} <= set(lib.indicators)
    assert "economy-check" in lib.frameworks


def test_every_key_is_documented() -> None:
    text = (DOCS / "format.md").read_text(encoding="utf-8")
    for model in (models.Domain, models.Variable, models.Indicator, models.Framework, models.Edition, models.Source,
                  models.Target, models.Thresholds, models.Goalposts, models.Override):
        for key in model.model_fields:
            assert f"`{key}`" in text, f"{model.__name__}.{key} is not in docs/format.md"
    for step, params in STEPS.items():
        assert f"`{step}`" in text
        for key in params.model_fields:
            assert f"`{key}`" in text, f"{step}.{key} is not in docs/format.md"


def test_every_rule_code_is_documented() -> None:
    text = (DOCS / "validate.md").read_text(encoding="utf-8")
    for code, rule in RULES.items():
        assert f"`{code}`" in text and rule.name in text, f"{code} {rule.name} missing from docs/validate.md"


def test_data_md_lists_what_the_yearbook_and_census_publish() -> None:
    from citystd.library.coverage import PUBLISHED_END, PUBLISHED_START, published_table

    lib, _ = validate()
    text = (DOCS / "data.md").read_text(encoding="utf-8")
    shown = text.split(PUBLISHED_START, 1)[1].split(PUBLISHED_END, 1)[0].strip()
    assert shown == published_table(lib), "docs/data.md's table of published statistics is out of date"
