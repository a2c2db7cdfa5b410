"""The public web form of a lead source: the form class built from the source's settings,
and the form token that stands in for Django's cookie CSRF check."""

from __future__ import annotations

import time

from django import forms
from django.core import signing

from pools.capture import normalise
from pools.field_labels import LEAD_FIELD_LABELS
from pools.models import Lead
from pools.money import UNKNOWN_FORMAT, MoneyField, MoneyFormat

TOKEN_MAX_AGE = 2 * 60 * 60
MIN_FILL_SECONDS = 2  # people take longer than this to fill a form; bots do not
HONEYPOT = "website"
_SALT = "pools.capture.webform"

# Asked of the lead: a few read as questions.
_LABELS = {
    **LEAD_FIELD_LABELS,
    "email": "Work e-mail",
    "product_interest": "What are you interested in?",
    "estimated_value": "Budget",
    "message": "Message",
}


def form_token(slug: str) -> str:
    """A signed, timestamped token naming the form. Cookie-based CSRF cannot work inside
    an iframe on another site (browsers withhold SameSite=Lax and third-party cookies), so
    the embeddable form proves "this post comes from a form we rendered, for this source,
    recently" with a signature instead; there is no session for a forged post to ride."""
    return signing.dumps({"s": slug, "t": time.time()}, salt=_SALT)


def form_token_problem(token: str, slug: str) -> str | None:
    try:
        data = signing.loads(token or "", salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        return "The form expired; please send it again."
    except signing.BadSignature:
        return "The form could not be verified; please reload the page and try again."
    if data.get("s") != slug:
        return "The form could not be verified; please reload the page and try again."
    if time.time() - data.get("t", 0) < MIN_FILL_SECONDS:
        return "too-fast"
    return None


def capture_form_class(
    field_names: list[str], *, money_format: MoneyFormat = UNKNOWN_FORMAT
) -> type[forms.Form]:
    """A Form with the source's fields, in its order, plus the token and the honeypot.
    The budget is read in `money_format` (`money.money_format_for` the source's team and
    the visitor's browser)."""
    attrs: dict = {}
    for name in field_names:
        label = _LABELS.get(name, name)
        if name == "email":
            field = forms.EmailField(label=label, required=False, max_length=254)
        elif name == "estimated_value":
            field = MoneyField(label=label, required=False, money_format=money_format)
        elif name == "message":
            field = forms.CharField(
                label=label,
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
        else:
            max_length = 60 if name == "country" else Lead._meta.get_field(name).max_length
            field = forms.CharField(label=label, required=False, max_length=max_length)
        if name in ("email", "phone") and not ({"email", "phone"} - {name} & set(field_names)):
            field.required = True  # the only contact field the form has
        attrs[name] = field
    attrs["token"] = forms.CharField(widget=forms.HiddenInput)
    # Hidden from people by CSS and from screen readers by aria-hidden; bots fill it in.
    attrs[HONEYPOT] = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    attrs["clean"] = _clean
    return type("CaptureForm", (forms.Form,), attrs)


def _clean(self):
    data = super(type(self), self).clean()
    for name, func in (
        ("country", normalise.country_normalise),
        ("email", normalise.email_normalise),
    ):
        if name in self.fields and name in data:
            try:
                data[name] = func(data[name])
            except ValueError as exc:
                self.add_error(name, str(exc))
    if "phone" in self.fields and "phone" in data:
        try:
            data["phone"] = normalise.phone_normalise(
                data["phone"], country=data.get("country", "")
            )
        except ValueError as exc:
            self.add_error("phone", str(exc))
    for name in self.fields:
        if isinstance(data.get(name), str) and name not in ("token", HONEYPOT):
            data[name] = normalise.chars_clean(data[name]).strip()
    if (
        ("email" in self.fields or "phone" in self.fields)
        and not (data.get("email") or data.get("phone"))
        and not self.errors
    ):
        raise forms.ValidationError("Give us an e-mail address or a phone number.")
    return data


def form_lead_fields(cleaned: dict) -> tuple[dict, dict]:
    """(lead fields, free attributes) from a valid form's data."""
    fields = {
        k: v
        for k, v in cleaned.items()
        if k not in ("token", HONEYPOT, "message") and v not in ("", None)
    }
    attributes = {"message": cleaned["message"]} if cleaned.get("message") else {}
    return fields, attributes
