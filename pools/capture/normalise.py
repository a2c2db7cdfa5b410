"""Cleaning of captured values, shared by the API, the web form and the CSV import, so a
lead means the same thing whichever door it came in by. Pure functions: each returns the
clean value or raises `ValueError` with a message fit to show the person who sent it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import phonenumbers
import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# What spreadsheets and web forms put in a cell that means "nothing".
PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "n/a",
        "na",
        "n.a.",
        "none",
        "null",
        "nil",
        "nan",
        "select",
        "select...",
        "please select",
        "unknown",
        "not provided",
        "#n/a",
        "?",
    }
)
# PostgreSQL rejects NUL in text and \u0000 in jsonb; other C0 controls are never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Common names people type that pycountry's fuzzy search gets wrong or slowly.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "britain": "GB",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "united states of america": "US",
    "brasil": "BR",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "uae": "AE",
    "vietnam": "VN",
    "iran": "IR",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "taiwan": "TW",
    "czechia": "CZ",
    "czech republic": "CZ",
    "holland": "NL",
    "deutschland": "DE",
    "espana": "ES",
    "españa": "ES",
    "asia/pacific region": "",
}


def chars_clean(value: str) -> str:
    """Drop control characters, and lone surrogates (valid in JSON escapes, not in UTF-8)."""
    cleaned = _CONTROL.sub("", value)
    try:
        cleaned.encode("utf-8")
    except UnicodeEncodeError:
        cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    return cleaned


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in PLACEHOLDERS)


def text_clean(value, *, max_length: int) -> str:
    """Trimmed text, control characters removed; placeholders become ''."""
    if blank(value):
        return ""
    cleaned = chars_clean(str(value)).strip()
    if len(cleaned) > max_length:
        raise ValueError(f"At most {max_length} characters (got {len(cleaned)}).")
    return cleaned


def name_split(full: str) -> tuple[str, str]:
    """A full name as (first name, the rest): "Ana Maria Souza" → ("Ana", "Maria Souza")."""
    first, _, last = " ".join(full.split()).partition(" ")
    return first[:100], last[:100]


def email_normalise(value) -> str:
    if blank(value):
        return ""
    cleaned = chars_clean(str(value)).strip()
    if len(cleaned) > 254:
        raise ValueError("An e-mail address has at most 254 characters.")
    try:
        validate_email(cleaned)
    except ValidationError:
        raise ValueError(f"“{cleaned[:60]}” is not a valid e-mail address.") from None
    # Lower-cased whole: RFC 5321 lets the local part be case-sensitive, but no real
    # mailbox relies on it, and a canonical form lets dedupe use the plain index on email.
    return cleaned.lower()


def country_normalise(value) -> str:
    """ISO 3166 alpha-2 from a code (BR, BRA) or a common name (Brazil, United Kingdom)."""
    if blank(value):
        return ""
    return _country(chars_clean(str(value)).strip())


# Imports repeat the same few country names thousands of times, and pycountry's lookups
# scan every country.
@lru_cache(maxsize=2048)
def _country(cleaned: str) -> str:
    key = cleaned.lower()
    if key in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[key]
    if len(cleaned) > 60:
        raise ValueError("Not a country (too long).")
    found = None
    if len(cleaned) == 2:
        found = pycountry.countries.get(alpha_2=cleaned.upper())
    elif len(cleaned) == 3:
        found = pycountry.countries.get(alpha_3=cleaned.upper())
    if found is None:
        try:
            found = pycountry.countries.lookup(cleaned)
        except LookupError:
            found = None
    if found is None:
        try:
            matches = pycountry.countries.search_fuzzy(cleaned)
        except LookupError:
            matches = []
        # Only an unambiguous fuzzy match is trusted ("Brazil" yes, "Guinea" no).
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ValueError(f"“{cleaned[:60]}” is not a country we know; use an ISO code like BR.")
    return found.alpha_2


def state_normalise(value: str, *, country: str) -> str:
    """A region as its ISO 3166-2 code where the lead's country has one by that name or
    code, accents and case aside ("São Paulo", "sao paulo", "BR-SP" → "SP"), and that code
    is letters; else as written. One spelling, so a territory or a rule naming "SP" meets
    every lead of it."""
    if not value or not country:
        return value
    return _subdivisions(country.upper()).get(_folded(value), value)


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> dict[str, str]:
    found = {}
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        code = sub.code.split("-", 1)[1]
        # Letters only (SP, CA, NSW): Portugal's "11" for Lisboa says less than its name.
        if code.isalpha():
            for spelling in (sub.name, sub.code, code):
                found[_folded(spelling)] = code
    return found


class PhoneCountryUnknown(ValueError):
    """A phone number without + and no country to read it in."""


def phone_normalise(value, *, country: str = "") -> str:
    """E.164 (+5511912345678). Without a leading + the lead's country says where it is."""
    if blank(value):
        return ""
    cleaned = chars_clean(str(value)).strip()
    if len(cleaned) > 40:
        raise ValueError("A phone number has at most 40 characters.")
    try:
        number = phonenumbers.parse(cleaned, (country or None) and country.upper())
    except phonenumbers.NumberParseException:
        if not cleaned.startswith("+") and not country:
            raise PhoneCountryUnknown(
                "Give the phone in international form (+…) or give the country."
            ) from None
        raise ValueError(f"“{cleaned}” is not a phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"“{cleaned}” is not a possible phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%Y/%m/%d",
)


def date_parse(value) -> date | None:
    """ISO or day-first dates (the Excel re-save of the Olist file writes dd-mm-yyyy).
    Month-first is never guessed: 03/04 is the 3rd of April, as in most of the world."""
    if blank(value):
        return None
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"“{text[:40]}” is not a date (use YYYY-MM-DD or DD/MM/YYYY).")


_QUOTED = re.compile(r"“([^”]*)”")
_EMAILS = re.compile(r"[^\s“”\"'<>(),;:]+@[^\s“”\"'<>(),;:]+")
_DIGIT_RUNS = re.compile(r"\+?\d[\d\s().-]{4,}\d")


def personal_mask(value: str) -> str:
    """An e-mail or phone, recognisable to whoever has the file but useless to anyone
    reading a report or a log: a•••@example.com, •••58."""
    value = value.strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}•••@{domain}"
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 4:
        return f"•••{digits[-2:]}"
    return f"{value[:1]}•••" if value else ""


def personal_scrub(text: str, *, quoted: bool = False) -> str:
    """`text` (an error message) with e-mails and phone-like digit runs masked, and with
    `quoted`, whatever it quotes “like this” too (the value a check refused)."""
    if quoted:
        text = _QUOTED.sub(lambda m: f"“{personal_mask(m[1])}”", text)
    text = _EMAILS.sub(lambda m: personal_mask(m[0]), text)
    return _DIGIT_RUNS.sub(lambda m: personal_mask(m[0]), text)
