"""Values a condition may name, for the lead fields whose values come from a known set:
a rule that says `source = paid_serch` is refused with "did you mean paid_search?" instead
of being saved and never matching. Routing rules and scoring rules are checked here alike.

A field's set is a standard where there is one (ISO countries, languages, regions) and
otherwise what the system already holds: the sources, the teams, and the industries,
bands and products that leads and reps' profiles carry. A field with no such set (city,
campaign, postal code…) is free text and is not checked; neither is a field whose set is
still empty (a new install has no industries to compare with).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import NamedTuple

import pycountry

from accounts.models import RepProfile, Team, Territory
from pools.capture.normalise import country_normalise
from pools.field_labels import COMPANY_SIZE_BANDS
from pools.models import Lead, LeadSource

from .conditions import ConditionError, norm


def _lead_values(column: str) -> list[str]:
    # order_by(): the lead's default ordering would make DISTINCT count created_at too.
    return list(
        Lead.objects.exclude(**{column: ""}).order_by().values_list(column, flat=True).distinct()
    )


def _profile_values(column: str) -> list[str]:
    return [v for values in RepProfile.objects.values_list(column, flat=True) for v in values or ()]


def _sources() -> dict[str, str]:
    return _same(LeadSource.objects.values_list("slug", flat=True))


def _source_aliases() -> dict[str, str]:
    return {name: slug for slug, name in LeadSource.objects.values_list("slug", "name")}


def _countries() -> dict[str, str]:
    return _same(c.alpha_2 for c in pycountry.countries)


def _country_aliases() -> dict[str, str]:
    return {c.name: c.alpha_2 for c in pycountry.countries}


def _languages() -> dict[str, str]:
    return _same(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def _language_aliases() -> dict[str, str]:
    return {lang.name: lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")}


def _states() -> dict[str, str]:
    # Capture stores a region as its ISO 3166-2 code where that is letters (SP, not São
    # Paulo: pools.capture.normalise.state_normalise), else as written; territories list
    # the ones routing already uses. A name with a letter code is an alias for it.
    known = {}
    for sub in pycountry.subdivisions:
        code = sub.code.split("-", 1)[1]
        known[code] = code
        if not code.isalpha():
            known[sub.name] = sub.name
    for states in Territory.objects.values_list("states", flat=True):
        known.update((s, s) for s in states or ())
    known.update((s, s) for s in _lead_values("state"))
    return known


def _state_aliases() -> dict[str, str]:
    # A name several countries use gives every code it may be ("Santa Catarina" is Brazil's
    # SC and Cape Verde's CA): the hint does not guess between them.
    codes: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        code = sub.code.split("-", 1)[1]
        if code.isalpha():
            codes.setdefault(sub.name, set()).add(code)
    return {name: " or ".join(sorted(found)) for name, found in codes.items()}


def _same(values: Iterable[str]) -> dict[str, str]:
    return {v: v for v in values}


def _seen(lead_column: str, profile_column: str, standard: Iterable[str] = ()) -> Callable:
    def read() -> dict[str, str]:
        return _same([*standard, *_profile_values(profile_column), *_lead_values(lead_column)])

    return read


class Known(NamedTuple):
    what: str  # "“x” is not {what}."
    shown: str  # the admin's help: what the values are checked against
    read: Callable[[], dict[str, str]]  # known value -> itself
    aliases: Callable[[], dict[str, str]] | None = None  # a name people write -> the value


# Each set is read once per check (see `condition_values_check`'s cache).
KNOWN_FIELDS: dict[str, Known] = {
    "source": Known("a lead source (by slug)", "the sources' slugs", _sources, _source_aliases),
    "country": Known("an ISO 3166 country code", "ISO codes", _countries, _country_aliases),
    "state": Known(
        "a state or region as leads carry it",
        "ISO 3166-2 region codes, territories' states",
        _states,
        _state_aliases,
    ),
    "language": Known("an ISO 639-1 language code", "ISO codes", _languages, _language_aliases),
    "industry": Known(
        "an industry that leads or reps' profiles have",
        "those leads or reps' profiles have",
        _seen("industry", "industries"),
    ),
    "company_size": Known(
        "a company-size band",
        "1-10 … 1000+ and those leads or reps' profiles have",
        _seen("company_size", "company_sizes", COMPANY_SIZE_BANDS),
    ),
    "product_interest": Known(
        "a product that leads or reps' profiles have",
        "those leads or reps' profiles have",
        _seen("product_interest", "products"),
    ),
    "team": Known(
        "a team's name",
        "the teams' names",
        lambda: _same(Team.objects.values_list("name", flat=True)),
    ),
}


def known_values_help(fields: Iterable[str]) -> str:
    """The admin's help text: which of `fields` are checked, against what."""
    checked = [f"{f} ({KNOWN_FIELDS[f].shown})" for f in fields if f in KNOWN_FIELDS]
    return (
        f"Values of {', '.join(checked)} are checked against the known ones, with a "
        "“did you mean” for a slip; other fields are free text and not checked."
    )


def condition_values_check(*, field: str, values: Iterable, cache: dict | None = None) -> None:
    """Raise ConditionError naming each value of `field` that is not a known one, with the
    closest known value ("did you mean …?"). `cache` (a dict kept for one form) saves
    reading a field's set once per condition."""
    if field not in KNOWN_FIELDS:
        return
    spec = KNOWN_FIELDS[field]
    cache = {} if cache is None else cache
    if field not in cache:
        known = {norm(k): v for k, v in spec.read().items() if norm(k)}
        aliases = {norm(k): v for k, v in (spec.aliases() if spec.aliases else {}).items()}
        cache[field] = (known, aliases)
    known, aliases = cache[field]
    if not known:
        return
    problems = []
    for value in values:
        if norm(value) in known or not norm(value):
            continue
        guess = _closest(str(value), field, known, aliases)
        hint = f" Did you mean “{guess}”?" if guess else ""
        problems.append(f"“{value}” is not {spec.what}.{hint}")
    if problems:
        raise ConditionError(" ".join(problems))


def _closest(value: str, field: str, known: dict, aliases: dict) -> str | None:
    key = norm(value)
    if key in aliases:  # a name where a code is wanted: "Brazil" → BR
        return aliases[key]
    if field == "country":
        try:  # the capture's own reading of a country ("UK", "Brasil", "BRA")
            return country_normalise(value) or None
        except ValueError:
            pass
    # The closest of every spelling, values and names alike ("Sao Paolo" is nearer the name
    # São Paulo, whose value is SP, than any value).
    spellings = {**aliases, **known}
    match = difflib.get_close_matches(key, spellings, n=1, cutoff=0.6)
    return spellings[match[0]] if match else None
