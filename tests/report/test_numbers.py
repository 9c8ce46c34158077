"""Numbers for people and for spreadsheets (citystd.report.numbers): by hand, and properties."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from citystd.report import numbers as N


def test_fixed_and_signed_never_show_a_negative_zero() -> None:
    assert N.fixed(57.0649) == "57.06" and N.fixed(41.25, 1) == "41.2" and N.fixed(None) == "—"
    assert N.fixed(-0.0) == "0.00" and N.fixed(-0.004) == "0.00" and N.fixed(-0.4, 0) == "0"
    assert N.fixed(-0.006) == "-0.01" and N.fixed(float("nan")) == "—"
    assert N.signed(1.254) == "+1.25" and N.signed(-0.4, 1) == "-0.4"
    assert N.signed(0.0) == "0.00" and N.signed(-0.001) == "0.00" and N.signed(0.004, 1) == "0.0"


def test_plain_has_four_significant_digits_and_no_exponent() -> None:
    assert N.plain(109200.0) == "109200" and N.plain(1.092e5 + 0.4) == "109200"
    assert N.plain(45.85000000000001) == "45.85" and N.plain(3.0) == "3" and N.plain(0.0001234567) == "0.0001235"
    assert N.plain(-0.0) == "0" and N.plain(-0.00001) == "-0.00001" and N.plain(12345678.9) == "12345679"
    assert N.plain(None) == "—" and N.plain(float("inf")) == "—"


def test_share_rounds_but_never_claims_complete_or_empty() -> None:
    assert N.share(2 / 3) == "66.7%" and N.share(1 / 3) == "33.3%" and N.share(0.9875) == "98.8%"
    assert N.share(1.0) == "100%" and N.share(0.0) == "0%" and N.share(None) == "—"
    assert N.share(0.9996) == "99.9%" and N.share(0.0004) == "0.1%"
    assert N.share_value(2 / 3) == 0.667 and N.share_value(0.9996) == 0.999 and N.share_value(1.0) == 1.0


def test_csv_numbers_lose_the_arithmetic_noise() -> None:
    assert N.csv_number(45.85000000000001) == "45.85" and N.csv_number(0.1 + 0.2) == "0.3"
    assert N.csv_number(-0.0) == "0.0" and N.csv_number(None) == "" and N.csv_number(float("nan")) == ""
    assert N.csv_number(21893095.0) == "21893095.0" and N.csv_number(123456789012.0) == "123456789012.0"


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)


@settings(max_examples=200, deadline=None)
@given(finite)
def test_csv_number_reads_back_within_twelve_digits(x: float) -> None:
    back = float(N.csv_number(x))
    assert math.isclose(back, x, rel_tol=5e-12, abs_tol=1e-300)
    assert not N.csv_number(x).startswith("-0.0") or back != 0


@settings(max_examples=200, deadline=None)
@given(finite)
def test_plain_and_fixed_are_never_exponents_or_negative_zero(x: float) -> None:
    for text in (N.plain(x), N.fixed(x), N.signed(x, 1)):
        assert "e" not in text and "E" not in text
        assert text.lstrip("+-").strip("0.") != "" or not text.startswith(("-", "+"))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1))
def test_share_is_complete_only_when_complete(x: float) -> None:
    text = N.share(x)
    assert (text == "100%") == (x >= 1) and (text == "0%") == (x <= 0)
    if 0 < x < 1:
        assert abs(float(text[:-1]) - x * 100) <= 0.1 + 1e-9
