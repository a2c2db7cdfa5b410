"""The two-proportion z-test and its verdict in words (pure, no database)."""

import math

import pytest

from reports.abtest.stats import Metric, compare, two_proportion_z

CONVERSION = Metric("Conversion", "converts", "better", "worse")


def test_z_and_p_match_a_published_worked_example():
    """usablestats.com, “Ask Stats” question 866 (https://www.usablestats.com/askstats/
    question/866/): 118 of 3,303 vs 80 of 3,303 with breast cancer; pooled p = 0.02997,
    SE = 0.004196, z = 2.74195, two-sided p = 0.00611."""
    z, p = two_proportion_z(hits_a=80, n_a=3303, hits_b=118, n_b=3303)
    assert z == pytest.approx(2.742, abs=0.001)
    assert p == pytest.approx(0.00611, abs=0.00002)


def test_the_textbook_critical_value_gives_five_percent():
    """z = 1.959964 is the two-sided 5% point of the standard normal (any table): the
    tail function is erfc(|z|/√2)."""
    assert math.erfc(1.959964 / math.sqrt(2)) == pytest.approx(0.05, abs=1e-6)


def test_sign_follows_b_minus_a():
    z, p = two_proportion_z(hits_a=118, n_a=3303, hits_b=80, n_b=3303)
    assert z == pytest.approx(-2.742, abs=0.001) and p == pytest.approx(0.00611, abs=0.00002)


def test_a_significant_difference_in_words():
    """10.0% vs 13.1%: pooled 0.1155, SE = √(0.1155 × 0.8845 × 2/1000) = 0.014294,
    z = 0.031 / 0.014294 = 2.169, p = 0.030."""
    test = compare(metric=CONVERSION, hits_a=100, n_a=1000, hits_b=131, n_b=1000)
    assert test.z == pytest.approx(2.169, abs=0.001)
    assert test.p_value == pytest.approx(0.0301, abs=0.0002)
    assert test.points == pytest.approx(3.1)
    assert test.significant
    assert test.verdict == (
        "B converts 3.1 points better than A; this difference would arise by chance less "
        "than 1 time in 20 (p = 0.03)."
    )


def test_a_very_strong_difference_says_one_in_a_hundred():
    test = compare(metric=CONVERSION, hits_a=118, n_a=3303, hits_b=80, n_b=3303)
    assert test.verdict.startswith("B converts 1.2 points worse than A;")
    assert "less than 1 time in 100 (p = 0.0061)" in test.verdict


def test_a_small_difference_could_be_chance():
    """10% vs 11% of 500: pooled 0.105, SE = 0.019388, z = 0.516, p = 0.61."""
    test = compare(metric=CONVERSION, hits_a=50, n_a=500, hits_b=55, n_b=500)
    assert not test.significant
    assert test.verdict == (
        "B converts 1.0 points better than A; this difference could easily arise by chance "
        "(p = 0.61)."
    )


@pytest.mark.parametrize(
    "n_a, n_b, message",
    [
        (0, 10, "A has no leads to count: nothing to compare."),
        (10, 0, "B has no leads to count: nothing to compare."),
        (0, 0, "A and B have no leads to count: nothing to compare."),
    ],
)
def test_an_empty_arm_is_said_not_divided_by(n_a, n_b, message):
    test = compare(metric=CONVERSION, hits_a=0, n_a=n_a, hits_b=0, n_b=n_b)
    assert test.verdict.startswith(message)
    assert test.z is None and test.p_value is None and not test.significant


@pytest.mark.parametrize("hits, shown", [(0, "0%"), (1, "100%")])
def test_nothing_varies_when_both_arms_are_all_or_nothing(hits, shown):
    test = compare(metric=CONVERSION, hits_a=5 * hits, n_a=5, hits_b=7 * hits, n_b=7)
    assert test.verdict.startswith(f"A and B are both at {shown} on conversion")
    assert test.p_value is None
