"""Rule conditions: matching and the admin's validation messages (pure)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pools.models import Lead
from routing.conditions import (
    ConditionError,
    conditions_describe,
    conditions_match,
    conditions_validate,
    lead_fields,
    phone_area_code,
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
        ([[c("state", "in", "SP")]], "needs a non-empty list"),
        ([[c("state", "equals", ["SP"])]], "needs a single value"),
        ([[c("state", "range", [1, 2])]], "only works on numeric fields"),
        ([[c("score", "range", [50, 10])]], "minimum is above its maximum"),
        ([[c("score", "range", ["a", 10])]], "“a” is not a number"),
        ([[c("arrival_weekday", "equals", "funday")]], "are not weekdays"),
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
