"""The lead's fields in groups: what blind pools protect, what sources send, what
forms and previews may show."""

import pycountry
from django.core.exceptions import ValidationError

PROTECTED_FIELDS = ("first_name", "last_name", "email", "phone", "company", "title")
# What a lead says about the buyer's company and interest, beside the contact fields.
COMPANY_FIELDS = (
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "language",
    "product_interest",
    "estimated_value",
)
# Fields a preview pool may be configured to show (protected ones included: a preview pool
# is the manager's explicit choice to show them).
PREVIEWABLE_FIELDS = (*PROTECTED_FIELDS, *COMPANY_FIELDS, "source", "campaign", "score")
# Lead fields a source can send with a lead (the capture API's body; scoring rules read
# them too). The rest is filled by screening and routing.
CAPTURED_FIELDS = (*PROTECTED_FIELDS, *COMPANY_FIELDS, "campaign", "landing_page", "external_id")

# Lead fields a web form may ask for (the rest of the lead is filled by screening/routing).
FORM_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "product_interest",
    "estimated_value",
    "message",
)


def default_form_fields() -> list:
    return ["first_name", "last_name", "email", "phone", "company"]


def validate_form_fields(value) -> None:
    if not isinstance(value, list) or not all(v in FORM_FIELDS for v in value):
        raise ValidationError(f"Expected a list of field names from: {', '.join(FORM_FIELDS)}.")
    if "email" not in value and "phone" not in value:
        raise ValidationError("The form must ask for an e-mail or a phone number.")


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166 country, by name: a callable, so migrations do not copy the list."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
