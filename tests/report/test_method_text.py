"""The pipeline in sentences (citystd.report.method_text): every step, both languages, and a
parameter it does not describe is still named."""

from __future__ import annotations

import pytest

from citystd.library.pipeline import NormaliseMethod, WeightsMethod
from citystd.report.method_text import describe


def test_the_default_pipeline_reads_as_sentences() -> None:
    assert describe("normalise", {"method": "goalposts", "range": [0.0, 100.0], "mean": 0.0, "sd": 1.0,
                                  "pooled": False, "cap": True, "scores": None, "ref": None, "ref_mode": "range",
                                  "bounds": None, "indicators": None}, "en") == (
        "Each indicator is scored between its goalposts: the worst value scores 0, the best 100, and values beyond "
        "them score as the goalpost.")
    assert describe("weights", {"method": "manual", "effective": {f"i{k}": 0.01 for k in range(383)}}, "en") == (
        "Weights: the weights written in the framework's tree. The effective weight of each indicator in the overall "
        "score is listed below (383 indicators).")
    text = describe("aggregate", {"method": "arithmetic", "p": None, "min_coverage": 0.5, "fill": None, "by": None,
                                  "levels": None, "nodes": None}, "en")
    assert text == ("Each node is the weighted arithmetic mean of its children's scores; a child without a score is "
                    "left out and the others' weights are scaled up, and a node with scores for less than 50% of its "
                    "children has no score.")
    zh = describe("aggregate", {"method": "arithmetic", "min_coverage": 0.5}, "zh")
    assert zh.startswith("每个节点取其子项得分的加权算术平均") and "50%" in zh and zh.endswith("。")


@pytest.mark.parametrize("method", list(NormaliseMethod.__args__))  # type: ignore[attr-defined]
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_normalise_method_has_a_sentence(method: str, lang: str) -> None:
    text = describe("normalise", {"method": method, "range": [1, 100], "ref": "Aston", "bounds": [0, 50],
                                  "scores": [100, 60, 30, 0]}, lang)
    assert text and "=" not in text and "None" not in text and "—" not in text
    assert text != f"Method {method}." and text != f"方法 {method}。"


def test_every_weights_method_has_its_own_sentence() -> None:
    for lang in ("en", "zh"):
        texts = [describe("weights", {"method": m, "nodes": ["root"]}, lang)
                 for m in WeightsMethod.__args__]  # type: ignore[attr-defined]
        assert len(set(texts)) == len(texts)
        assert all(t.startswith("Weights: " if lang == "en" else "权重：") and "root" in t for t in texts)


def test_the_other_steps() -> None:
    assert describe("screen", {"min_coverage": 0.5, "min_nonzero": None}, "en") == (
        "A city-year with data for less than 50% of the indicators is left out (listed under Screened out).")
    assert describe("impute", {"method": "group_mean", "by": "region", "indicators": ["a", "b"]}, "en") == (
        "Missing values (only a, b) are filled with the mean over the cities of the same region in the same year; "
        "values present are never changed.")
    assert "最多跨 2 年" in describe("impute", {"method": "linear", "max_gap": 2}, "zh")
    assert "97.5th percentile" in describe("treat", {"method": "clip_percentile", "percentiles": [2.5, 97.5]}, "en")
    assert "log-transformed" in describe("treat", {"method": "winsorise"}, "en")
    assert "red when more than 33.33%" in describe("rate", {"nodes": "mean_colour", "red_share": 1 / 3}, "en")
    levels = describe("aggregate", {"method": "arithmetic", "levels": {"2": "geometric"},
                                    "nodes": {"root": {"method": "power", "p": 2, "fill": "mean"}}}, "en")
    assert "At level 2: the weighted geometric mean." in levels
    assert "At node root: the weighted power mean with exponent 2 (fill mean)." in levels


def test_what_is_not_described_is_still_named() -> None:
    assert describe("weights", {"method": "manual", "novel": 3}, "en").endswith("Other parameters: novel = 3.")
    assert describe("future_step", {"a": True, "b": None}, "zh") == "其他参数：a = true。"
    assert describe("normalise", "not a mapping", "en") == "Each indicator is scored between its goalposts: the " \
        "worst value scores 0, the best 100, and values beyond them score as the goalpost."
