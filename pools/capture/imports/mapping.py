"""What each CSV column is: a guess from its name, which the manager can correct."""

from __future__ import annotations

import re
import unicodedata

from pools.field_labels import lead_field_labels

IGNORE = ""
ATTRIBUTE = "attribute"  # keep the value in the lead's free attributes, under the header
RECEIVED_AT = "received_at"  # when the lead first got in touch (sets created_at)

TARGETS: dict[str, str] = {
    IGNORE: "— ignore —",
    ATTRIBUTE: "Keep as extra attribute",
    "external_id": "External id (re-imports match on it)",
    **lead_field_labels("first_name", "last_name"),
    "full_name": "Full name",
    **lead_field_labels(
        *("email", "phone", "company", "title", "industry", "company_size", "country"),
        *("state", "city", "postal_code", "language", "product_interest", "estimated_value"),
        *("campaign", "landing_page"),
    ),
    RECEIVED_AT: "Received on (date)",
}
# Targets that can take several columns; every other target takes at most one.
MULTI = frozenset({IGNORE, ATTRIBUTE})

# Portuguese "Nome" is the first name beside a "Sobrenome" column, else the whole name.
NOME = "nome"

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "externalid",
        "id",
        "leadid",
        "mqlid",
        "prospectid",
        "crmid",
        "recordid",
        "contactid",
        "uuid",
    ),
    "first_name": ("firstname", "givenname", "forename", "first", NOME),
    "last_name": ("lastname", "surname", "familyname", "last", "sobrenome"),
    "full_name": ("name", "fullname", "contactname", "leadname"),
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail"),
    "phone": (
        "phone",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "mobilephone",
        "cell",
        "cellphone",
        "whatsapp",
        "telefone",
    ),
    "company": (
        "company",
        "companyname",
        "organisation",
        "organization",
        "account",
        "business",
        "empresa",
    ),
    "title": ("title", "jobtitle", "position", "role"),
    "industry": ("industry", "sector", "businesssegment", "segment", "vertical"),
    "company_size": ("companysize", "employees", "numberofemployees", "headcount", "size"),
    "country": ("country", "countrycode", "pais"),
    "state": ("state", "region", "province", "sellerstate", "uf", "estado", "provincia"),
    "city": ("city", "town", "sellercity", "cidade"),
    "postal_code": ("postalcode", "zip", "zipcode", "postcode", "cep", "sellerzipcodeprefix"),
    "language": ("language", "lang", "locale"),
    "product_interest": ("product", "productinterest", "interest", "course", "specialization"),
    "estimated_value": (
        "value",
        "estimatedvalue",
        "dealvalue",
        "amount",
        "budget",
        "declaredmonthlyrevenue",
        "revenue",
        "valor",
    ),
    "campaign": ("campaign", "utmcampaign", "origin", "leadsource", "channel", "utmsource"),
    "landing_page": ("landingpage", "landingpageid", "url", "pageurl"),
    RECEIVED_AT: (
        "date",
        "createdat",
        "created",
        "createddate",
        "firstcontactdate",
        "receivedat",
        "submittedat",
        "datecreated",
        "signupdate",
        "signedup",
        "registrationdate",
        "leaddate",
        "data",
        "datacadastro",
        "fecha",
    ),
}
_LOOKUP = {syn: target for target, syns in _SYNONYMS.items() for syn in syns}


def _key(header: str) -> str:
    # Accents go first: "País" is "pais", not "pas".
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def mapping_guess(headers: list[str]) -> dict[str, str]:
    """header → target. The first column that looks like a field gets it; other columns are
    kept as attributes (nothing is dropped unless the manager says so)."""
    taken: set[str] = set()
    guess = {}
    for header in headers:
        target = _LOOKUP.get(_key(header), ATTRIBUTE)
        if target not in MULTI and target in taken:
            target = ATTRIBUTE
        taken.add(target)
        guess[header] = target
    names = taken & {"last_name", "full_name"}
    for header, target in guess.items():
        if target == "first_name" and _key(header) == NOME and not names:
            guess[header] = "full_name"
    return guess


def mapping_problems(mapping: dict[str, str], headers: list[str]) -> list[str]:
    problems = []
    if set(mapping) != set(headers):
        problems.append("Map every column of the file (or ignore it).")
    unknown = {t for t in mapping.values() if t not in TARGETS}
    if unknown:
        problems.append(f"Unknown target(s): {', '.join(sorted(unknown))}.")
    used: dict[str, list[str]] = {}
    for header, target in mapping.items():
        used.setdefault(target, []).append(header)
    for target, columns in used.items():
        if target not in MULTI and len(columns) > 1:
            problems.append(
                f"“{TARGETS.get(target, target)}” is mapped from several columns "
                f"({', '.join(columns)}); choose one."
            )
    if not {"email", "phone", "external_id"} & set(mapping.values()):
        problems.append(
            "Map at least one column to e-mail, phone or external id, so leads "
            "can be told apart and re-imports do not duplicate them."
        )
    return problems
