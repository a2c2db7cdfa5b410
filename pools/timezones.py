"""A lead's local time zone, derived from its country and state.

A deliberately small, documented mapping (no network, no extra dependency): one zone per
country, plus per-state zones for the large countries that span several. A lead whose
country is not listed has no known local time; the calling-hours rule (in the claim
functions, `pools.pull.claim_functions`, which inline these tables) lets it through rather than
hide it forever. Extend the tables as markets open.
"""

from __future__ import annotations

COUNTRY_TZ = {
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CO": "America/Bogota",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "NG": "Africa/Lagos",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PE": "America/Lima",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "TR": "Europe/Istanbul",
    "UY": "America/Montevideo",
    "ZA": "Africa/Johannesburg",
    "AE": "Asia/Dubai",
    # Multi-zone countries: the zone of most of the population, refined by REGION_TZ.
    "US": "America/New_York",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "MX": "America/Mexico_City",
    "AU": "Australia/Sydney",
    "RU": "Europe/Moscow",
}

_US = {
    "America/Chicago": "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI",
    "America/Denver": "CO MT NM UT WY ID",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
}
_BR = {
    "America/Manaus": "AM RR RO MT MS",
    "America/Rio_Branco": "AC",
    "America/Belem": "PA AP",
    "America/Fortaleza": "CE MA PI RN PB",
    "America/Recife": "PE",
    "America/Bahia": "BA",
    "America/Noronha": "FN",
}
_CA = {
    "America/Vancouver": "BC",
    "America/Edmonton": "AB NT",
    "America/Regina": "SK",
    "America/Winnipeg": "MB",
    "America/Halifax": "NS NB PE",
    "America/St_Johns": "NL",
    "America/Whitehorse": "YT",
    "America/Iqaluit": "NU",
}
_AU = {
    "Australia/Brisbane": "QLD",
    "Australia/Adelaide": "SA",
    "Australia/Darwin": "NT",
    "Australia/Perth": "WA",
    "Australia/Hobart": "TAS",
    "Australia/Melbourne": "VIC",
}
_MX = {"America/Tijuana": "BC", "America/Hermosillo": "SON", "America/Cancun": "ROO"}

# (country, state code) → zone, for states not in the country's main zone.
REGION_TZ: dict[tuple[str, str], str] = {
    (country, state): tz
    for country, table in (("US", _US), ("BR", _BR), ("CA", _CA), ("AU", _AU), ("MX", _MX))
    for tz, states in table.items()
    for state in states.split()
}


def lead_time_zone(*, country: str, state: str = "") -> str | None:
    """The IANA zone for a lead's country/state, or None when unknown: for display (the lead
    page); the claim's calling-hours rule looks the zone up in SQL, from the same tables."""
    country = (country or "").strip().upper()
    state = (state or "").strip().upper()
    return REGION_TZ.get((country, state)) or COUNTRY_TZ.get(country)
