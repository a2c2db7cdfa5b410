"""Rule conditions: matching and the admin's validation messages (pure)."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pools.models import Lead
from pools.screening.conditions import (
    ConditionError,
    conditions_match,
    lead_fields,
    phone_area_code,
)
from routing.models import RoutingRule
from routing.rules.conditions import (
    conditions_describe,
    conditions_parse,
    conditions_text,
    conditions_validate,
)


def c(field, op, value):
    return {"field": field, "op": op, "value": value}


FIELDS = {
    "source": "paid_search",
    "country": "BR",
    "state": "SP",
    "postal_code": "13023",
    "area_code": "11",
    "industry": "pet",
    "estimated_value": Decimal("5000"),
    "score": 40,
    "language": "pt",
    "campaign": "",
    "arrival_weekday": "mon",
    "arrival_hour": 9,
}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        (c("source", "equals", "PAID_SEARCH"), True),  # case-insensitive
        (c("state", "in", ["RJ", "SP"]), True),
        (c("state", "in", ["RJ"]), False),
        (c("postal_code", "prefix", "130"), True),
        (c("area_code", "equals", "11"), True),
        (c("estimated_value", "range", [1000, None]), True),
        (c("estimated_value", "range", [None, 999]), False),
        (c("score", "range", [40, 40]), True),
        (c("campaign", "is_empty", True), True),
        (c("campaign", "is_empty", False), False),
        (c("campaign", "equals", "x"), False),
        (c("arrival_weekday", "in", ["sat", "sun"]), False),
        (c("arrival_hour", "range", [8, 17]), True),
    ],
)
def test_each_operator(cond, expected):
    assert conditions_match([[cond]], FIELDS) is expected


def test_and_within_a_group_or_between_groups():
    yes, no = c("country", "equals", "BR"), c("country", "equals", "PT")
    assert conditions_match([[yes, no]], FIELDS) is False
    assert conditions_match([[no], [yes]], FIELDS) is True
    assert conditions_match([], FIELDS) is True


def test_lead_fields_derive_area_code_and_arrival_time():
    lead = Lead(
        phone="+5511912345678", country="br", created_at=datetime(2026, 3, 7, 22, 30, tzinfo=UTC)
    )
    fields = lead_fields(lead, source_slug="email")
    assert fields["area_code"] == "11" and fields["country"] == "BR"
    assert fields["arrival_weekday"] == "sat" and fields["arrival_hour"] == 22
    assert phone_area_code("not a phone") == ""


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"field": "state"}, "must be a list of groups"),
        ([{"field": "state", "op": "equals", "value": "SP"}], "wrap it in brackets"),
        ([[c("colour", "equals", "red")]], "“colour” is not a lead field"),
        ([[c("state", "like", "S")]], "“like” is not an operator"),
        ([[c("state", "in", "SP")]], "needs at least one value"),
        ([[c("state", "equals", ["SP"])]], "“=” needs one value after it"),
        ([[c("state", "range", [1, 2])]], "only works on numeric fields"),
        ([[c("score", "range", [50, 10])]], "minimum is above its maximum"),
        ([[c("score", "range", ["a", 10])]], "“a” is not a number"),
        ([[c("arrival_weekday", "equals", "funday")]], "is not a weekday"),
        ([[{**c("state", "equals", "SP"), "extra": 1}]], "unknown key"),
    ],
)
def test_validation_messages_say_what_to_fix(conditions, message):
    with pytest.raises(ConditionError, match=message):
        conditions_validate(conditions)


def test_valid_conditions_pass_and_read_as_a_sentence():
    conditions = [
        [
            c("source", "in", ["paid_search", "social"]),
            c("estimated_value", "range", [10000, None]),
        ],
        [c("state", "equals", "SP")],
    ]
    assert conditions_validate(conditions) == conditions
    assert conditions_describe(conditions) == (
        "(source in paid_search, social and estimated_value ≥ 10000) or (state = SP)"
    )


# -- the admin's text form -----------------------------------------------------------------


def test_text_lines_read_as_conditions_and_back():
    text = """
        source in paid_search, social
        estimated_value >= 10000
        city in "Washington, DC", Boston
        OR
        state=SP
        score 10 to 50.5
        arrival_hour ≤ 12
        industry is filled in
        campaign is empty
        postal_code starts with 01
    """
    conditions = conditions_parse(text)
    assert conditions == [
        [
            c("source", "in", ["paid_search", "social"]),
            c("estimated_value", "range", [10000, None]),
            c("city", "in", ["Washington, DC", "Boston"]),
        ],
        [
            c("state", "equals", "SP"),
            c("score", "range", [10, 50.5]),
            c("arrival_hour", "range", [None, 12]),
            c("industry", "is_empty", False),
            c("campaign", "is_empty", True),
            c("postal_code", "prefix", "01"),
        ],
    ]
    shown = conditions_text(conditions)
    assert shown.splitlines()[2:5] == ['city in "Washington, DC", Boston', "or", "state = SP"]
    assert conditions_parse(shown) == conditions  # what the editor shows saves unchanged
    assert conditions_parse("  \n") == [] and conditions_text([]) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("state = SP\ncolour = red", "Line 2 (“colour = red”): start with a lead field"),
        ("score 50", "after “score”, say how to compare"),
        ("state in", "“in” needs at least one value"),
        ("state =", "“=” needs one value after it"),
        ("postal_code starts with", "“starts with” needs one value after it"),
        ("state ≥ 5", "only works on numeric fields (estimated_value, score, arrival_hour)"),
        ("score 50-10", "the range minimum is above its maximum"),
        ("score 1,000-5,000", "say how to compare"),
        ("estimated_value >= 12.500", "“12.500” is ambiguous"),  # 12.5 or 12500?
        ("estimated_value 1.500-12.500", "“1.500” is ambiguous"),
        ("arrival_weekday in mon, funday", "funday is not a weekday"),
        ("arrival_hour = 25", "25 is not an hour (0 to 23"),
        ("arrival_hour in 9, 24, -1", "24, -1 are not hours"),
        ("arrival_hour >= 24", "24 is not an hour"),
        ("arrival_hour 8.5-12", "8.5 is not an hour"),
        ("score >= 1,000", "“1,000” is not a number: write digits, without thousands"),
        ("score <= abc", "“abc” is not a number"),
        ("estimated_value >= 10,000", "“10,000” is ambiguous"),
        ("or\nstate = SP", "Line 1 (“or”): “or” needs a condition above it"),
        ("state = SP\nor\n", "The last “or” needs a condition below it"),
        ("state = SP\nor\nor\nstate = RJ", "Line 3 (“or”): “or” needs a condition above"),
    ],
)
def test_text_mistakes_are_reported_by_line(text, message):
    with pytest.raises(ConditionError, match=re.escape(message)):
        conditions_parse(text)


def test_an_hour_is_kept_as_the_leads_hour_is_compared():
    """ "07" was saved as text and never met a lead's 7."""
    assert conditions_parse("arrival_hour in 07, 9.0\narrival_hour = 08") == [
        [c("arrival_hour", "in", ["7", "9"]), c("arrival_hour", "equals", "8")]
    ]
    lead = {"arrival_hour": 7}
    assert conditions_match(conditions_parse("arrival_hour = 07"), lead)


def test_every_bad_line_is_reported_at_once():
    text = "colour = red\nstate = SP\nscore 50\nor\nor\ncity = Boston\nor"
    with pytest.raises(ConditionError) as caught:
        conditions_parse(text)
    assert [m.split(":")[0] for m in caught.value.messages] == [
        "Line 1 (“colour = red”)",
        "Line 3 (“score 50”)",
        "Line 5 (“or”)",
        "The last “or” needs a condition below it.",
    ]


def test_the_model_field_rejects_a_malformed_shape_whoever_writes_it():
    field = RoutingRule._meta.get_field("conditions")
    with pytest.raises(ValidationError, match="“colour” is not a lead field"):
        field.run_validators([[c("colour", "equals", "red")]])
    field.run_validators([[c("state", "equals", "SP")]])  # a good shape passes


def test_an_unclosed_quote_is_a_syntax_error_not_a_value():
    for text in ('source in paid_search, "social', 'city = "Boston', 'city starts with "Bo'):
        with pytest.raises(ConditionError, match="Line 1 .*: a quote is left open"):
            conditions_parse(text)
    quoted = [[c("city", "equals", "Washington, DC"), c("city", "prefix", '"x')]]
    assert conditions_parse('city = "Washington, DC"\ncity starts with """x"') == quoted
    assert conditions_parse(conditions_text(quoted)) == quoted  # written back, read alike
