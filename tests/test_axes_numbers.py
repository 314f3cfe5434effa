"""Tick-label parsing: known answers for every notation charts print, and what must fail."""

import math

import pytest

from linegroup.axes.numbers import parse_label, parse_multiplier, parse_number

KNOWN = [
    # negatives: ASCII hyphen, Unicode minus, en dash, a space after the sign
    ("-0.25", -0.25), ("\u22123", -3.0), ("\u20137.5", -7.5), ("- 3", -3.0), ("+4", 4.0),
    # decimals with point or comma
    ("0.5", 0.5), ("0,5", 0.5), ("\u22121,25", -1.25), ("12.50", 12.5),
    # thousands separators
    ("12,000", 12000.0), ("1,234.5", 1234.5), ("1.234,5", 1234.5), ("1.000.000", 1e6), ("1 000", 1000.0),
    ("1\u202f000", 1000.0), ("10'000", 10000.0), ("2,500,000", 2.5e6),
    # scientific notation
    ("1e-3", 1e-3), ("1.5E+04", 1.5e4), ("2.0e\u221203", 2e-3), ("1\u00d710\u207b\u00b3", 1e-3), ("1x10^-3", 1e-3),
    ("2\u00d710\u00b2", 200.0), ("10\u207b\u00b3", 1e-3), ("10\u00b2", 100.0), ("10^3", 1000.0),
    ("10-3", 1e-3),  # 10⁻³ as OCR reads it without the superscript
    ("10\u00ba", 1.0),  # 10⁰ as OCR reads it (ordinal indicator)
    ("10\u00aa", 1.0),  # and as the feminine ordinal
    # percentages and units stuck to the number
    ("25%", 25.0), ("\u221212.5 %", -12.5), ("3.5kg", 3.5), ("30 \u00b0C", 30.0), ("$20", 20.0), ("\u20ac1,5", 1.5),
    ("5k", 5000.0), ("2.5M", 2.5e6), ("40 km/h", 40.0),
    # plain
    ("0", 0.0), ("2020", 2020.0), ("103", 103.0),
]


@pytest.mark.parametrize("text,value", KNOWN)
def test_known_answers(text, value):
    got = parse_number(text)
    assert got is not None and math.isclose(got, value, rel_tol=1e-12, abs_tol=1e-15), (text, got)


@pytest.mark.parametrize("text", ["Jan", "Jan 2020", "2020-01", "12:00", "1/2", "abc", "", "Q1", "1,00,0",
                                  "3-5", "1.2.3,4,5"])
def test_not_numbers(text):
    assert parse_number(text) is None


def test_units_and_powers_are_reported():
    assert parse_label("25%").unit == "%"
    assert parse_label("3.5 kg").unit == "kg"
    assert parse_label("$20").unit == "$"
    assert parse_label("1e-3").power and parse_label("10\u00b2").power
    assert not parse_label("100").power


def test_superscript_seen_in_the_image_decides_plain_digits():
    assert parse_number("103") == 103.0
    assert parse_number("103", superscript=True) == 1000.0
    assert parse_number("10-2", superscript=True) == 0.01


def test_axis_multipliers():
    assert parse_multiplier("1e-3") == 1e-3
    assert parse_multiplier("\u00d710\u207b\u00b3") == 1e-3
    assert parse_multiplier("x10^6") == 1e6
    assert parse_multiplier("1e6") == 1e6
    assert parse_multiplier("5") is None and parse_multiplier("10") is None
