"""Money typed by people: one reading, in a convention, refusing what could mean two
amounts (issue 24, point 2: a won value typed 12.500,00 was saved as 12.50)."""

from decimal import Decimal

import pytest

from pools.money import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    MoneyField,
    MoneyFormat,
    decimal_mark_detect,
    decimal_mark_from_accept_language,
    money_format_for,
    money_parse,
)
from tests.factories import TeamFactory

COMMA, POINT, UNKNOWN = DECIMAL_COMMA, DECIMAL_POINT, None


@pytest.mark.parametrize(
    "typed, mark, amount",
    [
        ("12.500,00", COMMA, "12500.00"),
        ("12500,5", COMMA, "12500.50"),
        ("12.500", COMMA, "12500.00"),
        ("1.234.567,89", COMMA, "1234567.89"),
        ("R$ 1.234,50", COMMA, "1234.50"),
        ("1 234,50", COMMA, "1234.50"),
        ("12,500.00", POINT, "12500.00"),
        ("12,500", POINT, "12500.00"),
        ("$12,500.5", POINT, "12500.50"),
        ("12500", COMMA, "12500.00"),
        ("12500", UNKNOWN, "12500.00"),
        # Without a convention, what only one mark can read is taken.
        ("12.500,00", UNKNOWN, "12500.00"),
        ("12,500.50", UNKNOWN, "12500.50"),
        ("12,5", UNKNOWN, "12.50"),
        ("12.50", UNKNOWN, "12.50"),
        ("1 234", UNKNOWN, "1234.00"),
        ("12.50 EUR", UNKNOWN, "12.50"),
        (12500, UNKNOWN, "12500.00"),
        (12.5, UNKNOWN, "12.50"),
        (Decimal("7.1"), COMMA, "7.10"),
    ],
)
def test_amounts_read_in_their_convention(typed, mark, amount):
    assert money_parse(typed, decimal_mark=mark) == Decimal(amount)


@pytest.mark.parametrize(
    "typed, mark, message",
    [
        ("12.500", UNKNOWN, "ambiguous"),
        ("12,500", UNKNOWN, "ambiguous"),
        ("12,500", COMMA, "ambiguous"),  # 12.5 here, twelve thousand five hundred elsewhere
        ("12.500", POINT, "ambiguous"),
        ("12.5", COMMA, "not an amount in this format"),
        ("12.500,00", POINT, "not an amount in this format"),
        ("1.234.5", UNKNOWN, "not an amount"),
        ("1.234.5", COMMA, "not an amount"),
        ("12abc", UNKNOWN, "not an amount"),
        ("lots", COMMA, "not an amount"),
        ("1e5", UNKNOWN, "not an amount"),
        ("1.23.456", COMMA, "not an amount"),
        ("12,5055", COMMA, "two decimals"),
        ("-1", UNKNOWN, "must be between 0"),
        ("99.999.999.999,00", COMMA, "must be between 0"),
        (12.345, UNKNOWN, "two decimals"),
        (True, UNKNOWN, "not true or false"),
    ],
)
def test_ambiguous_or_malformed_amounts_are_refused(typed, mark, message):
    with pytest.raises(ValueError, match=message):
        money_parse(typed, decimal_mark=mark)


def test_an_amount_out_of_range_is_told_in_the_convention_it_was_typed_in():
    with pytest.raises(ValueError, match=r"between 0,00 and 9\.999\.999\.999,99\."):
        money_parse("-500", decimal_mark=",")
    with pytest.raises(ValueError, match=r"between 0\.00 and 9,999,999,999\.99\."):
        money_parse("-500", decimal_mark=".")


def test_blank_is_no_amount():
    assert money_parse("  ", decimal_mark=COMMA) is None
    assert money_parse(None, decimal_mark=None) is None


@pytest.mark.parametrize(
    "header, mark",
    [
        ("pt-BR,pt;q=0.9,en-US;q=0.8", COMMA),
        ("de-DE", COMMA),
        ("en-US,en;q=0.9", POINT),
        ("en;q=0.5, pt-BR", COMMA),
        ("es-MX", POINT),
        ("de-CH", POINT),
        ("", None),
        ("*", None),
        ("xx-YY", None),
        ("pt-BR;q=0, en", POINT),
        ("de;q=0", None),
    ],
)
def test_browser_language_gives_the_decimal_mark(header, mark):
    assert decimal_mark_from_accept_language(header) == mark


@pytest.mark.django_db
def test_team_format_wins_over_the_browser():
    team = TeamFactory(number_format=COMMA, currency="BRL")
    found = money_format_for(team=team, accept_language="en-US")
    assert (found.decimal_mark, found.symbol, found.example) == (COMMA, "R$", "1.234,56")
    browser = TeamFactory(name="Browser", number_format="")
    assert money_format_for(team=browser, accept_language="en-US").decimal_mark == POINT
    assert money_format_for(team=None, accept_language="").decimal_mark is None


@pytest.mark.parametrize(
    "values, mark",
    [
        (["1.234,56", "12.500", ""], COMMA),
        (["12,5", "300"], COMMA),
        (["1,234.56", "12,500"], POINT),
        (["12.500", "300", "n/a"], None),
    ],
)
def test_a_columns_decimal_mark_is_detected_only_when_some_amount_tells(values, mark):
    assert decimal_mark_detect(values) == mark


def test_a_column_mixing_marks_is_refused():
    with pytest.raises(ValueError, match="mix decimal marks"):
        decimal_mark_detect(["1.234,56", "1,234.56"])


def test_money_field_shows_currency_and_format_and_reads_in_it():
    field = MoneyField(label="Budget", money_format=MoneyFormat(decimal_mark=COMMA, currency="BRL"))
    assert field.label == "Budget (R$)" and field.widget.attrs["placeholder"] == "1.234,56"
    assert field.clean("12.500,00") == Decimal("12500.00")
    assert field.prepare_value(Decimal("12500.00")) == "12500,00"
    with pytest.raises(Exception, match="ambiguous"):
        field.clean("12,500")


def test_lead_admin_reads_amounts_in_the_admins_browser_convention(rf):
    from django import forms
    from django.contrib import admin

    from pools.models import Lead

    lead_admin = admin.site.get_model_admin(Lead)
    won = Lead._meta.get_field("won_value")
    german = lead_admin.formfield_for_dbfield(won, rf.get("/", HTTP_ACCEPT_LANGUAGE="de"))
    assert german.clean("12.500,00") == Decimal("12500.00")
    unknown = lead_admin.formfield_for_dbfield(won, rf.get("/"))
    with pytest.raises(forms.ValidationError, match="ambiguous"):
        unknown.clean("12.500")
