"""One evaluator (pools.screening.conditions) for scoring and routing rules. Where the two used to
differ, both now follow the stricter reading; each case is checked for both rule kinds."""

import pytest

from pools.models import ScoringRule
from pools.screening.conditions import ConditionError, conditions_match, value_holds
from pools.screening.services import rule_matches

Op = ScoringRule.Operator


def scoring(operator, value, actual) -> bool:
    return rule_matches(ScoringRule(field="city", operator=operator, value=value), [actual])


def routing(op, value, actual) -> bool:
    return conditions_match([[{"field": "city", "op": op, "value": value}]], {"city": actual})


def test_text_compares_case_folded_in_both_kinds():
    # lower() kept "ß" apart from "SS"; case folding is Unicode's caseless comparison.
    assert scoring(Op.EQUALS, "STRASSE", "Straße")
    assert routing("equals", "STRASSE", "Straße")


def test_a_blank_value_is_in_no_list_and_equals_nothing_in_both_kinds():
    # A scoring rule "in a, , b" used to match a lead with no value at all.
    assert not scoring(Op.IN, "Recife, , Natal", "")
    assert not routing("in", ["Recife", "", "Natal"], "")
    assert not scoring(Op.EQUALS, "", None)
    assert scoring(Op.IS_BLANK, "", None) and routing("is_empty", True, None)


def test_spaces_alone_are_blank_in_both_kinds():
    assert scoring(Op.IS_BLANK, "", "   ")
    assert routing("is_empty", True, "   ")  # routing used to call "   " filled in


def test_a_blank_value_does_not_equal_a_value():
    assert scoring(Op.NOT_EQUALS, "Recife", "")
    assert value_holds("not_equals", None, "Recife")


def test_numbers_are_read_from_bands_in_both_kinds():
    assert scoring(Op.GTE, "1000", "1000+") and not scoring(Op.GTE, "1000", "11-50")
    assert value_holds("range", "1000+", [1000, None])
    assert not value_holds("range", "no number", [None, 5])


def test_an_unknown_operator_or_a_word_for_a_bound_is_reported():
    with pytest.raises(ConditionError):
        value_holds("like", "x", "x")
    with pytest.raises(ConditionError):
        value_holds("range", 5, ["a", 10])
