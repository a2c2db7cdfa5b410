"""The demo's people and places: territories, the reps and their skills, and the Olist
funnel's segments and origins (what `pools.demo.build` builds the demo from)."""

from __future__ import annotations

from dataclasses import dataclass

TERRITORIES = {
    "São Paulo": {
        "countries": ["BR"],
        "states": ["SP"],
        "area_codes": ["11", "12", "13", "14", "15", "16", "17", "18", "19"],
    },
    "Rio & Minas": {
        "countries": ["BR"],
        "states": ["RJ", "MG", "ES"],
        "area_codes": ["21", "22", "24", "27", "31", "32", "33", "34", "35"],
    },
    "South": {
        "countries": ["BR"],
        "states": ["PR", "SC", "RS"],
        "area_codes": ["41", "42", "43", "44", "47", "48", "51", "53", "54", "55"],
    },
    "Rest of Brazil": {
        "countries": ["BR"],
        "states": ["BA", "PE", "CE", "GO", "DF", "MA", "MT", "MS", "PA", "PB", "RN", "AM"],
    },
}
AREA_CODE = {
    "SP": "11",
    "RJ": "21",
    "MG": "31",
    "ES": "27",
    "PR": "41",
    "SC": "48",
    "RS": "51",
    "BA": "71",
    "PE": "81",
    "CE": "85",
    "GO": "62",
    "DF": "61",
}
SEGMENTS = [
    "home_decor",
    "health_beauty",
    "car_accessories",
    "household_utilities",
    "construction_tools_house_garden",
    "audio_video_electronics",
    "computers",
    "pet",
    "food_supplement",
    "food_drink",
    "sports_leisure",
    "bed_bath_table",
]
ORIGINS = [
    "organic_search",
    "paid_search",
    "social",
    "email",
    "referral",
    "direct_traffic",
    "display",
    "other",
    "other_publicities",
    "unknown",
]
WEEKDAY_HOURS = {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class RepSpec:
    team: str
    territories: tuple[str, ...]
    languages: tuple[str, ...]
    industries: tuple[str, ...]
    time_zone: str
    weight: int
    seniority: int
    availability: str = "available"


REPS = [
    RepSpec("Inbound Brazil", ("São Paulo",), ("pt",), SEGMENTS[:3], "America/Sao_Paulo", 3, 3),
    RepSpec(
        "Inbound Brazil", ("São Paulo",), ("pt", "en"), SEGMENTS[2:6], "America/Sao_Paulo", 2, 2
    ),
    RepSpec(
        "Inbound Brazil",
        ("São Paulo", "Rest of Brazil"),
        ("pt",),
        SEGMENTS[5:8],
        "America/Sao_Paulo",
        2,
        2,
    ),
    RepSpec(
        "Inbound Brazil",
        ("Rio & Minas",),
        ("pt", "es"),
        SEGMENTS[:2] + SEGMENTS[8:10],
        "America/Sao_Paulo",
        2,
        2,
    ),
    RepSpec(
        "Inbound Brazil",
        ("Rio & Minas",),
        ("pt",),
        SEGMENTS[3:7],
        "America/Sao_Paulo",
        1,
        1,
        "busy",
    ),
    RepSpec("Inbound Brazil", ("South",), ("pt", "es"), SEGMENTS[6:12], "America/Sao_Paulo", 2, 2),
    RepSpec(
        "Inbound Brazil",
        ("South", "Rest of Brazil"),
        ("pt",),
        SEGMENTS[::2],
        "America/Manaus",
        1,
        1,
    ),
    RepSpec(
        "Inbound Brazil",
        ("Rest of Brazil",),
        ("pt", "en"),
        SEGMENTS[1::2],
        "America/Fortaleza",
        1,
        1,
        "away",
    ),
    RepSpec(
        "Enterprise",
        ("São Paulo", "Rio & Minas"),
        ("pt", "en"),
        SEGMENTS[:6],
        "America/Sao_Paulo",
        3,
        3,
    ),
    RepSpec("Enterprise", ("South",), ("pt", "en", "es"), SEGMENTS[4:], "Europe/Lisbon", 2, 3),
    RepSpec(
        "Enterprise",
        ("Rest of Brazil", "São Paulo"),
        ("en", "pt"),
        SEGMENTS[::3],
        "America/New_York",
        2,
        2,
    ),
    RepSpec(
        "Enterprise",
        ("Rio & Minas", "South"),
        ("pt",),
        SEGMENTS[1::3],
        "America/Sao_Paulo",
        1,
        1,
        "offline",
    ),
]
