"""A lead field's name for people, written once. Each page that names fields starts from
these and words a few its own way: the web form asks the lead, the pool table is narrow,
the import mapping explains what a choice does. And a stored value as people read it."""

import pycountry

LEAD_FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "E-mail",
    "phone": "Phone",
    "company": "Company",
    "title": "Job title",
    "industry": "Industry",
    "company_size": "Company size",
    "country": "Country",
    "state": "State / region",
    "city": "City",
    "postal_code": "Postal code",
    "language": "Language",
    "product_interest": "Product interest",
    "estimated_value": "Estimated value",
    "campaign": "Campaign / channel",
    "landing_page": "Landing page",
    "source": "Source",
    "score": "Score",
}

# Company-size bands people commonly write (both the finer 201-500 / 501-1000 and the
# coarser 201-1000 that Olist's data uses); a rule may name any band the data has too.
COMPANY_SIZE_BANDS = ("1-10", "11-50", "51-200", "201-500", "501-1000", "201-1000", "1000+")


def lead_field_labels(*names: str) -> dict[str, str]:
    """The labels of `names`, in that order."""
    return {name: LEAD_FIELD_LABELS[name] for name in names}


def value_label(name: str, value: str) -> str:
    """A stored value as people read it: an industry code ("car_accessories") as words
    ("Car accessories"), a country or language code as its name; others as stored.

    An industry's words are its code's, underscores read as spaces: the pool filter
    matches what a rep types against both by treating the two alike."""
    if not value:
        return ""
    if name == "industry" and value == value.lower():
        return value.replace("_", " ").strip().capitalize()
    if name == "country":
        country = pycountry.countries.get(alpha_2=value.upper())
        if country is not None:
            return getattr(country, "common_name", None) or country.name
    if name == "language" and len(value) == 2:
        language = pycountry.languages.get(alpha_2=value.lower())
        if language is not None:
            return language.name
    return value
