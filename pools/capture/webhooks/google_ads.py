"""Google Ads lead form webhook: Google's documented payload (WebhookLead, with its
user_column_data) read into the API's lead shape. Fields Google adds later are ignored, as
Google asks of receivers."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from pools.capture.webhooks.mapping import FULL_NAME

# Google's column ids for a lead form's standard questions → lead fields. The first of two
# columns for one field wins (EMAIL before WORK_EMAIL); the other is kept as an attribute.
COLUMNS = {
    "FULL_NAME": FULL_NAME,
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE": "phone",
    "POSTAL_CODE": "postal_code",
    "CITY": "city",
    "REGION": "state",
    "COUNTRY": "country",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "title",
}
_INT64 = {"ge": 0, "le": 2**63 - 1}
# Where Google's own ids are kept on the lead (attributes["google_ads"]).
CLICK_FIELDS = ("form_id", "campaign_id", "adgroup_id", "creative_id", "asset_group_id")


class GoogleColumn(Schema):
    model_config = ConfigDict(extra="ignore")

    column_id: str = Field(default="", max_length=200, examples=["FULL_NAME"])
    column_name: str = Field(default="", max_length=500, examples=["Full Name"])
    string_value: str = Field(default="", max_length=2000, examples=["Ana Souza"])


class GoogleLeadIn(Schema):
    """Google's WebhookLead: ids as JSON numbers or strings of digits."""

    model_config = ConfigDict(extra="ignore")

    lead_id: str = Field(..., min_length=1, max_length=255)
    user_column_data: list[GoogleColumn] = Field(default_factory=list, max_length=100)
    api_version: str = Field(default="", max_length=20)
    form_id: int | None = Field(default=None, **_INT64)
    campaign_id: int | None = Field(default=None, **_INT64)
    adgroup_id: int | None = Field(default=None, **_INT64)
    creative_id: int | None = Field(default=None, **_INT64)
    asset_group_id: int | None = Field(default=None, **_INT64)
    gcl_id: str = Field(default="", max_length=500)
    google_key: str = Field(default="", max_length=500)
    is_test: bool = False
    lead_stage: str = Field(default="", max_length=100)
    lead_submit_time: str = Field(default="", max_length=100)


def google_lead_read(payload: GoogleLeadIn) -> tuple[dict, dict, dict]:
    """(values by lead field, free attributes, where each field came from — an error's loc
    in the body) from Google's payload."""
    fields: dict = {}
    where: dict = {}
    attributes: dict = {}
    for index, column in enumerate(payload.user_column_data):
        target = COLUMNS.get(column.column_id.upper())
        if target is not None and target not in fields:
            fields[target] = column.string_value
            where[target] = ("user_column_data", index, "string_value")
            if target == FULL_NAME:
                where["first_name"] = where["last_name"] = where[target]
        else:
            # A custom question (or a second e-mail): kept under its question's text.
            name = column.column_name or column.column_id.lower() or f"column {index + 1}"
            attributes[name[:100]] = column.string_value
    # Google's ids are 8-byte integers: kept as text, which JSON readers never round.
    ids = {name: str(value) for name in CLICK_FIELDS if (value := getattr(payload, name))}
    google = {
        "lead_id": payload.lead_id,
        **ids,
        **{
            name: value
            for name in ("gcl_id", "api_version", "lead_stage", "lead_submit_time")
            if (value := getattr(payload, name))
        },
    }
    if payload.campaign_id:
        fields["campaign"] = str(payload.campaign_id)
        where["campaign"] = ("campaign_id",)
    if len(payload.lead_id) <= 100:
        fields["external_id"] = payload.lead_id
        where["external_id"] = ("lead_id",)
    return fields, {**attributes, "google_ads": google}, where
