"""Every validation rule, on a broken fixture: the code, file, line and column it reports.

Each case in tests/fixtures/validate/cases is loaded together with a small clean library
(_base) so that references can resolve. Warnings W601/W603 (unused indicator/variable) are
compared only in the cases written for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citystd.diagnostics import RULES, Severity
from citystd.library.validate import validate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "validate"
CASES_DIR = FIXTURES / "cases"

# case → [(code, file relative to cases/, line, col)]; positions checked by hand against the files
EXPECTED: dict[str, list[tuple[str, str, int | None, int | None]]] = {
    "A001_unknown_kind.yaml": [("A001", "A001_unknown_kind.yaml", 11, 7)],
    "A002_duplicate_name.yaml": [("A002", "A002_duplicate_name.yaml", 12, 14)],
    "A003_unknown_step.yaml": [("A003", "A003_unknown_step.yaml", 11, 28)],
    "A004_unknown_parameter.yaml": [("A004", "A004_unknown_parameter.yaml", 11, 42)],
    "A005_invalid_value.yaml": [("A005", "A005_invalid_value.yaml", 11, 59)],  # winmax -1
    "A006_no_variation.yaml": [("A006", "A006_no_variation.yaml", 11, 58)],
    "A007_duplicate_value.yaml": [("A007", "A007_duplicate_value.yaml", 11, 65)],  # the second 3
    "A008_nominal_missing.yaml": [("A008", "A008_nominal_missing.yaml", 11, 58)],
    "A009_varied_twice.yaml": [("A009", "A009_varied_twice.yaml", 12, 48)],
    "A010_noise_range.yaml": [("A010", "A010_noise_range.yaml", 11, 38)],
    "A011_unknown_level.yaml": [("A011", "A011_unknown_level.yaml", 11, 53)],
    "A012_unknown_element.yaml": [("A012", "A012_unknown_element.yaml", 11, 52)],
    "A013_empty_node.yaml": [("A013", "A013_empty_node.yaml", 12, 29)],
    "A014_nonpositive_mean.yaml": [("A014", "A014_nonpositive_mean.yaml", 11, 7)],
    "E806_goalposts_missing.yaml": [("E806", "E806_goalposts_missing.yaml", 15, 27)],
    "F301_formula_not_allowed.yaml": [("F301", "F301_formula_not_allowed.yaml", 9, 14)],
    "F301_formula_syntax.yaml": [("F301", "F301_formula_syntax.yaml", 9, 27)],
    "F302_formula_function.yaml": [("F302", "F302_formula_function.yaml", 9, 14)],
    "F303_constant_formula.yaml": [("F303", "F303_constant_formula.yaml", 9, 15)],
    "F304_formula_overflow.yaml": [("F304", "F304_formula_overflow.yaml", 9, 27)],  # 10 ** 10 ** 10
    "F304_divides_by_zero.yaml": [("F304", "F304_divides_by_zero.yaml", 9, 27)],  # unemployed / (2 - 2)
    "N401_range_order.yaml": [("N401", "N401_range_order.yaml", 9, 12)],
    "N402_goalposts_equal.yaml": [("N402", "N402_goalposts_equal.yaml", 10, 16)],
    "N403_goalposts_direction.yaml": [("N403", "N403_goalposts_direction.yaml", 10, 16)],
    "N403_override_direction.yaml": [("N403", "N403_override_direction.yaml", 10, 18)],
    "N404_thresholds_order.yaml": [("N404", "N404_thresholds_order.yaml", 10, 17)],
    "N405_target_range.yaml": [("N405", "N405_target_range.yaml", 10, 21)],
    "N406_target_direction.yaml": [("N406", "N406_target_direction.yaml", 8, 16)],
    "N407_bounds_outside_range.yaml": [("N407", "N407_bounds_outside_range.yaml", 10, 33)],
    "N408_not_finite.yaml": [("N408", "N408_not_finite.yaml", 10, 33)],
    "R201_duplicate_across_files": [("R201", "R201_duplicate_across_files/b.yaml", 6, 9)],
    "R201_indicator_named_like_variable.yaml": [("R201", "R201_indicator_named_like_variable.yaml", 3, 9)],
    "R202_unknown_domain.yaml": [("R202", "R202_unknown_domain.yaml", 6, 13)],
    "R203_unknown_variable.yaml": [
        ("R203", "R203_unknown_variable.yaml", 9, 15),  # poor_people
        ("R203", "R203_unknown_variable.yaml", 9, 29),  # populaton
    ],
    "R204_unknown_indicator.yaml": [("R204", "R204_unknown_indicator.yaml", 10, 23)],
    "R204_normalise_indicator.yaml": [("R204", "R204_normalise_indicator.yaml", 10, 11)],
    "R205_cycle.yaml": [("R205", "R205_cycle.yaml", 9, 14)],
    "R206_scope_mismatch.yaml": [("R206", "R206_scope_mismatch.yaml", 18, 14)],  # not the declared one
    "R207_ambiguous_alias.yaml": [("R207", "R207_ambiguous_alias.yaml", 11, 15)],  # pop twice; 常住人口数 scopes differ
    "S101_comma_in_text.yaml": [("S101", "S101_comma_in_text.yaml", 4, 35)],
    "S101_unknown_key.yaml": [("S101", "S101_unknown_key.yaml", 10, 5)],
    "S101_unknown_top_key.yaml": [("S101", "S101_unknown_top_key.yaml", 2, 1)],
    "S102_wrong_type.yaml": [("S102", "S102_wrong_type.yaml", 10, 24)],
    "S103_missing_key.yaml": [("S103", "S103_missing_key.yaml", 3, 5)],
    "S104_missing_translation.yaml": [("S104", "S104_missing_translation.yaml", 5, 7)],
    "S105_invalid_id.yaml": [("S105", "S105_invalid_id.yaml", 3, 9)],
    "S106_invalid_direction.yaml": [("S106", "S106_invalid_direction.yaml", 8, 16)],
    "S107_unit_code.yaml": [("S107", "S107_unit_code.yaml", 5, 34)],
    "T501_duplicate_node.yaml": [("T501", "T501_duplicate_node.yaml", 10, 15)],
    "T502_empty_node.yaml": [("T502", "T502_empty_node.yaml", 11, 7)],
    "T503_negative_weight.yaml": [("T503", "T503_negative_weight.yaml", 9, 15)],
    "T504_version.yaml": [("T504", "T504_version.yaml", 4, 12)],
    "T505_unknown_method.yaml": [("T505", "T505_unknown_method.yaml", 7, 27)],
    "T505_unknown_step.yaml": [("T505", "T505_unknown_step.yaml", 7, 7)],
    "T506_unknown_parameter.yaml": [("T506", "T506_unknown_parameter.yaml", 7, 34)],
    "T507_parameter_value.yaml": [
        ("T507", "T507_parameter_value.yaml", 7, 30),  # min_coverage 1.5
        ("T507", "T507_parameter_value.yaml", 8, 15),  # group_mean without by
    ],
    "T507_aggregate_node_rule.yaml": [("T507", "T507_aggregate_node_rule.yaml", 10, 11)],
    "T508_override_unused.yaml": [("T508", "T508_override_unused.yaml", 9, 5)],
    "T509_duplicate_indicator.yaml": [("T509", "T509_duplicate_indicator.yaml", 8, 19)],
    "T510_zero_weights.yaml": [("T510", "T510_zero_weights.yaml", 7, 7)],
    "T510_zero_weights_top.yaml": [("T510", "T510_zero_weights_top.yaml", 7, 5)],
    "T511_weight_not_finite.yaml": [
        ("T511", "T511_weight_not_finite.yaml", 9, 15),  # .nan
        ("T511", "T511_weight_not_finite.yaml", 11, 50),  # .inf
    ],
    "T520_unknown_level.yaml": [("T520", "T520_unknown_level.yaml", 7, 48)],
    "T521_target_count.yaml": [("T521", "T521_target_count.yaml", 7, 52)],
    "T540_reserved_node_id.yaml": [("T540", "T540_reserved_node_id.yaml", 7, 11)],
    "W601_unused_indicator.yaml": [("W601", "W601_unused_indicator.yaml", 3, 9)],
    "W602_source_no_clause.yaml": [("W602", "W602_source_no_clause.yaml", 10, 9)],
    "W603_unused_variable.yaml": [("W603", "W603_unused_variable.yaml", 3, 9)],
    "W604_bidi_control.yaml": [("W604", "W604_bidi_control.yaml", 4, 27)],
    "W610_unit_not_machine_readable.yaml": [("W610", "W610_unit_not_machine_readable.yaml", 5, 11)],
    "Y001_syntax.yaml": [("Y001", "Y001_syntax.yaml", 5, 1)],
    "Y002_duplicate_key.yaml": [("Y002", "Y002_duplicate_key.yaml", 5, 5)],
    "Y003_unquoted_clause.yaml": [("Y003", "Y003_unquoted_clause.yaml", 11, 17)],
    "Y003_unquoted_version.yaml": [("Y003", "Y003_unquoted_version.yaml", 4, 12)],
    "Y004_binary.yaml": [("Y004", "Y004_binary.yaml", None, None)],
    "Y004_not_utf8.yaml": [("Y004", "Y004_not_utf8.yaml", 3, None)],
    "Y005_alias_bomb.yaml": [("Y005", "Y005_alias_bomb.yaml", 2, 50)],  # the first alias expanded too far
    "Y005_deep.yaml": [("Y005", "Y005_deep.yaml", 2, 74)],
    "Y006_no_version.yaml": [("Y006", "Y006_no_version.yaml", 1, 1)],
    "Y006_wrong_version.yaml": [("Y006", "Y006_wrong_version.yaml", 1, 10)],
    "Y007_empty.yaml": [("Y007", "Y007_empty.yaml", 1, 1)],
}


def run_case(name: str) -> list[tuple[str, str, int | None, int | None]]:
    _, diags = validate([FIXTURES / "_base", CASES_DIR / name])
    found = []
    for d in diags:
        file = (d.location.file or "").replace("\\", "/")
        if "cases/" not in file:
            continue
        if d.code in ("W601", "W603") and not name.startswith(d.code):
            continue
        found.append((d.code, file.split("cases/", 1)[1], d.location.line, d.location.col))
    return found


def test_every_case_is_listed() -> None:
    assert sorted(p.name for p in CASES_DIR.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_rule_reports_code_file_line_col(case: str) -> None:
    assert run_case(case) == EXPECTED[case]


def test_base_library_is_clean() -> None:
    _, diags = validate([FIXTURES / "_base"], strict=True)
    assert diags == []


def test_every_library_rule_has_a_fixture() -> None:
    """Each rule of the Y/S/R/F/N/T/W families is exercised by at least one case."""
    covered = {code for rows in EXPECTED.values() for code, *_ in rows}
    families = ("Y", "S", "R", "F", "N", "T", "W")
    wanted = {c for c in RULES if c.startswith(families)}
    assert wanted - covered == set()


def test_every_uncertainty_rule_has_a_fixture() -> None:
    """The checks of the `uncertainty` section (A001–A014) each have a case; A015–A018 are found by the audit."""
    covered = {code for rows in EXPECTED.values() for code, *_ in rows}
    assert {f"A{i:03d}" for i in range(1, 15)} - covered == set()


def test_strict_turns_warnings_into_errors() -> None:
    _, diags = validate([FIXTURES / "_base", CASES_DIR / "W602_source_no_clause.yaml"])
    assert {d.level for d in diags if d.code == "W602"} == {Severity.WARNING}
    _, diags = validate([FIXTURES / "_base", CASES_DIR / "W602_source_no_clause.yaml"], strict=True)
    assert {d.level for d in diags if d.code == "W602"} == {Severity.ERROR}


def test_did_you_mean_hints() -> None:
    _, diags = validate([FIXTURES / "_base", CASES_DIR / "S101_unknown_key.yaml"])
    (d,) = [d for d in diags if d.code == "S101"]
    assert d.hint is not None and "goalposts" in d.hint.en and "goalposts" in d.hint.zh


def test_messages_are_bilingual() -> None:
    for case in EXPECTED:
        _, diags = validate([FIXTURES / "_base", CASES_DIR / case])
        for d in diags:
            assert d.message.en and d.message.zh
            assert any("\u4e00" <= ch <= "\u9fff" for ch in d.message.zh), (case, d.message.zh)


def test_many_problems_reported_at_once(tmp_path: Path) -> None:
    """One broken indicator does not hide the next one."""
    shutil_copy = (CASES_DIR / "S106_invalid_direction.yaml").read_text(encoding="utf-8")
    more = shutil_copy + """\
  - id: second
    name: {zh: 二, en: Two}
    definition: {zh: 二。, en: Two.}
    domain: econmy
    unit: "1"
    direction: higher
"""
    f = tmp_path / "two.yaml"
    f.write_text(more, encoding="utf-8")
    _, diags = validate([FIXTURES / "_base", f])
    codes = sorted(d.code for d in diags if d.code != "W601")
    assert codes == ["R202", "S106"]


def test_file_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.write(b"citystd: 1\n")
        fh.seek(50 * 1024 * 1024)
        fh.write(b"\n")
    _, diags = validate([big])
    assert [(d.code, d.location.file.endswith("big.yaml")) for d in diags] == [("Y005", True)]
    assert "MiB" in diags[0].message.en


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    _, diags = validate([tmp_path / "nope"])
    assert [d.code for d in diags] == ["U901"]
    (tmp_path / "empty").mkdir()
    _, diags = validate([tmp_path / "empty"])
    assert [d.code for d in diags] == ["U902"]


def test_unreadable_file(tmp_path: Path) -> None:
    import os

    f = tmp_path / "secret.yaml"
    f.write_text("citystd: 1\n", encoding="utf-8")
    f.chmod(0)
    try:
        if os.access(f, os.R_OK):  # root can read anything: simulate with a directory named .yaml
            f.chmod(0o644)
            f.unlink()
            f.mkdir()
            (f / "x.txt").write_text("not yaml")
            _, diags = validate([f])
            assert [d.code for d in diags] == ["U902"]
        else:
            _, diags = validate([f])
            assert [d.code for d in diags] == ["U901"]
    finally:
        if f.is_file():
            f.chmod(0o644)
