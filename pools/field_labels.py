"""A lead field's name for people, written once. Each page that names fields starts from
these and words a few its own way: the web form asks the lead, the pool table is narrow,
the import mapping explains what a choice does."""

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


def lead_field_labels(*names: str) -> dict[str, str]:
    """The labels of `names`, in that order."""
    return {name: LEAD_FIELD_LABELS[name] for name in names}
