"""Money typed by people: one reading of an amount, for every door it comes in by (the won
value in the workspace, the web form's budget, the API's estimated_value, CSV imports, the
admin).

An amount is read in a convention — the decimal mark, "," (1.234,56) or "." (1,234.56) —
and never guessed: "12.500" is twelve thousand five hundred where the comma is the decimal
mark and twelve and a half where the point is, so without a convention it is refused, and
so is any amount that only fits one convention by having three decimals ("12,500" in a
comma team). A refusal is a `ValueError` whose message says what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms

DECIMAL_COMMA = ","
DECIMAL_POINT = "."
MAX_AMOUNT = Decimal("9999999999.99")
CENT = Decimal("0.01")
EXAMPLES = {DECIMAL_COMMA: "1.234,56", DECIMAL_POINT: "1,234.56"}
CURRENCY_SYMBOLS = {"BRL": "R$", "USD": "$", "EUR": "€", "GBP": "£"}

# Marks people put around an amount; anything else with letters is not an amount.
_CURRENCY = r"(?:R\$|US\$|[$€£]|BRL|USD|EUR|GBP)"
_AROUND = re.compile(rf"^\s*{_CURRENCY}?\s*(?P<body>.*?)\s*{_CURRENCY}?\s*$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
# Digits grouped in threes (by the group mark or a space, one kind per amount), or not at
# all, then an optional decimal part.
_GRAMMAR = {
    mark: re.compile(
        rf"^-?(?P<int>\d{{1,3}}(?P<g>[{re.escape(group)} ])\d{{3}}(?:(?P=g)\d{{3}})*|\d+)"
        rf"(?:{re.escape(mark)}(?P<frac>\d+))?$"
    )
    for mark, group in ((DECIMAL_COMMA, "."), (DECIMAL_POINT, ","))
}
# Comma-decimal languages (CLDR), with the regions that differ from their language.
_COMMA_LANGUAGES = frozenset(
    "pt es fr de it nl ru pl tr da sv nb nn no fi cs sk sl hr sr bg ro hu el uk id vi "
    "ca gl eu et lv lt is af az be ka kk mk mn sq uz".split()
)
_POINT_REGIONS = frozenset({"es-mx", "es-us", "es-pr", "es-gt", "es-do", "es-pa", "de-ch"})
_COMMA_REGIONS = frozenset({"en-za", "en-dk", "en-be", "en-nl", "en-de", "en-se", "en-fi"})


def currency_symbol(code: str) -> str:
    """ "R$" for BRL; a code without a symbol here stands for itself ("CHF")."""
    return CURRENCY_SYMBOLS.get(code, code)


@dataclass(frozen=True)
class MoneyFormat:
    """How a page reads and shows an amount: the decimal mark (None when nobody said, so
    only amounts that read the same either way are taken) and the currency code."""

    decimal_mark: str | None
    currency: str = ""

    @property
    def symbol(self) -> str:
        return currency_symbol(self.currency)

    @property
    def example(self) -> str:
        return EXAMPLES.get(self.decimal_mark, "1234.56")

    def show(self, amount: Decimal | None) -> str:
        """`amount` written this way, with the currency's symbol: "R$ 1.234,56" (the point
        convention when nobody said)."""
        if amount is None:
            return ""
        text = f"{amount:,.2f}"
        if self.decimal_mark == DECIMAL_COMMA:
            text = text.translate(str.maketrans(",.", ".,"))
        return f"{self.symbol} {text}".strip()


# Nobody said: only amounts that read the same with either mark are taken.
UNKNOWN_FORMAT = MoneyFormat(decimal_mark=None)


def _readings(text: str) -> dict[str, tuple[Decimal, str]]:
    """Every convention in which `text` is a well-formed number: mark → (value, decimals)."""
    found = {}
    for mark, grammar in _GRAMMAR.items():
        match = grammar.match(text)
        if match:
            digits = re.sub(r"\D", "", match["int"])
            frac = match["frac"] or ""
            sign = "-" if text.startswith("-") else ""
            found[mark] = (Decimal(f"{sign}{digits}.{frac or '0'}"), frac)
    return found


def money_parse(
    value, *, decimal_mark: str | None, minimum: Decimal = Decimal(0), maximum=MAX_AMOUNT
) -> Decimal | None:
    """The amount in `value`, to the cent, or None when blank. Numbers (not bools) are
    taken as they are — a JSON number has no separators to misread. Text is read in
    `decimal_mark`'s convention; with None, only when both conventions agree or just one
    fits. Raises ValueError with a message for the person who typed it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("Expected an amount, not true or false.")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        number = _text_amount(str(value), decimal_mark)
    if not number.is_finite() or not minimum <= number <= maximum:
        shown = MoneyFormat(decimal_mark=decimal_mark)  # in the convention typed in
        raise ValueError(
            f"An amount must be between {shown.show(minimum)} and {shown.show(maximum)}."
        )
    if number != number.quantize(CENT):
        raise ValueError(f"“{value}” has more than two decimals; amounts are to the cent.")
    return number.quantize(CENT)


def _text_amount(raw: str, decimal_mark: str | None) -> Decimal:
    shown = raw.strip()[:40]
    match = _AROUND.match(raw)
    body = match["body"] if match else raw
    # A space groups digits in many locales; a separator in the middle is kept as one space.
    body = _SPACES.sub(" ", body.strip())
    readings = _readings(body)
    if decimal_mark is not None:
        if decimal_mark not in readings:
            raise ValueError(
                f"“{shown}” is not an amount in this format: write it like "
                f"{EXAMPLES[decimal_mark]} (or 1234{decimal_mark}56)."
            )
        number, frac = readings[decimal_mark]
        if len(frac) == 3:
            # "12,500" in a comma team: 12.5 here, 12500 to anyone used to the other mark.
            raise ValueError(
                f"“{shown}” is ambiguous: the three digits after “{decimal_mark}” read as "
                f"decimals here ({EXAMPLES[decimal_mark]} format) but as thousands "
                "elsewhere. Write the whole number without separators, or two decimals."
            )
        return number
    if not readings:
        raise ValueError(f"“{shown}” is not an amount: write it like 1234.56 or 1234,56.")
    values = {number for number, _ in readings.values()}
    if len(values) > 1:
        raise ValueError(
            f"“{shown}” is ambiguous: it reads as {' or '.join(sorted(map(_plain, values)))} "
            "depending on the decimal mark. Write it without a thousands separator "
            "(e.g. 12500 or 12500.00)."
        )
    return values.pop()


def decimal_mark_detect(values) -> str | None:
    """The decimal mark a batch of amounts (a CSV column) is written in: the one mark that
    some amounts can only be read with ("1.234,56", "12,5" → ","), or None when no amount
    tells. Raises ValueError when amounts point both ways: the file must say."""
    marks: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        match = _AROUND.match(value)
        readings = _readings(_SPACES.sub(" ", (match["body"] if match else value).strip()))
        if len(readings) == 1:
            marks.setdefault(next(iter(readings)), value.strip()[:40])
    if len(marks) > 1:
        raise ValueError(
            f"The amounts mix decimal marks (“{marks[DECIMAL_COMMA]}” has a decimal comma, "
            f"“{marks[DECIMAL_POINT]}” a decimal point): choose how this file writes them."
        )
    return next(iter(marks), None)


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def decimal_mark_from_accept_language(header: str) -> str | None:
    """The decimal mark of the browser's preferred language, or None when it does not
    say (no header, "*", or a language we do not know the convention of)."""
    best, best_q = "", -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower().replace("_", "-")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > max(best_q, 0):  # q=0 means "not this one"
            best, best_q = tag, q
    if not best:
        return None
    language, _, region = best.partition("-")
    regional = f"{language}-{region.split('-')[0]}" if region else ""
    if regional in _POINT_REGIONS:
        return DECIMAL_POINT
    if regional in _COMMA_REGIONS or language in _COMMA_LANGUAGES:
        return DECIMAL_COMMA
    if language in {"en", "ja", "zh", "ko", "he", "th", "hi", "ms", "fil", "ga", "cy"}:
        return DECIMAL_POINT
    return None


def money_format_for(*, team, accept_language: str = "") -> MoneyFormat:
    """The team's number format when it has one, else the browser's; the team's currency."""
    mark = (team.number_format if team is not None else "") or None
    if mark is None:
        mark = decimal_mark_from_accept_language(accept_language)
    return MoneyFormat(decimal_mark=mark, currency=team.currency if team is not None else "")


class MoneyField(forms.CharField):
    """A form field for an amount typed in `money_format`: the label names the currency,
    the placeholder shows the format, and what was typed stays in the box on an error."""

    def __init__(self, *, money_format: MoneyFormat, **kwargs):
        self.money_format = money_format
        super().__init__(**kwargs)
        if money_format.symbol and self.label:
            self.label = f"{self.label} ({money_format.symbol})"
        self.widget.attrs.update(
            inputmode="decimal", placeholder=money_format.example, maxlength="40"
        )

    def prepare_value(self, value):
        # A stored amount is shown as it would be typed: 12500,00 in a comma team.
        if isinstance(value, Decimal) and self.money_format.decimal_mark == DECIMAL_COMMA:
            return format(value, "f").replace(".", ",")
        return super().prepare_value(value)

    def to_python(self, value):
        try:
            return money_parse(
                super().to_python(value), decimal_mark=self.money_format.decimal_mark
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
