"""The public web form of a lead source: the form class built from the source's settings,
and the form token that stands in for Django's cookie CSRF check."""

from __future__ import annotations

import secrets
import time
from typing import NamedTuple

from django import forms
from django.core import signing

from leadroute.shared.redis_client import first_use
from pools.capture import normalise
from pools.field_labels import LEAD_FIELD_LABELS
from pools.models import Lead
from pools.money import UNKNOWN_FORMAT, MoneyField, MoneyFormat

TOKEN_MAX_AGE = 2 * 60 * 60
MIN_FILL_SECONDS = 2  # typing takes longer; autofill and bots may not
HONEYPOT = "website"
_SALT = "pools.capture.webform"
PHONE_WITH_CODE = "Give the phone with its country code, starting with + (e.g. +55 21 99876-5432)."

# Asked of the lead: a few read as questions.
_LABELS = {
    **LEAD_FIELD_LABELS,
    "email": "Work e-mail",
    "product_interest": "What are you interested in?",
    "estimated_value": "Budget",
    "message": "Message",
}


class FormTokenError(ValueError):
    """The post does not come from a form we rendered, for this source, recently."""


class FormToken(NamedTuple):
    loaded_at: float  # when the visitor first loaded the form
    nonce: str  # this rendering's: spent by the one post that makes a lead


def form_token(slug: str, *, loaded_at: float | None = None) -> str:
    """A signed, timestamped token naming the form. Cookie-based CSRF cannot work inside
    an iframe on another site (browsers withhold SameSite=Lax and third-party cookies), so
    the embeddable form proves "this post comes from a form we rendered, for this source,
    recently" with a signature instead; there is no session for a forged post to ride.

    `loaded_at` is when the visitor first loaded the form. A page re-rendered with errors
    passes the original one on, so the fill time counts from the first page load; the
    signature itself is fresh, so fixing a mistake never makes the form expire. Each
    rendering has its own nonce (`form_token_spend`)."""
    return signing.dumps(
        {
            "s": slug,
            "t": time.time() if loaded_at is None else loaded_at,
            "n": secrets.token_urlsafe(12),
        },
        salt=_SALT,
    )


def form_token_read(token: str, slug: str) -> FormToken:
    """The token's first load time and nonce, if we signed it for this source within
    TOKEN_MAX_AGE. Raises FormTokenError."""
    try:
        data = signing.loads(token or "", salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise FormTokenError("The form expired; please send it again.") from None
    except signing.BadSignature:
        data = {}
    if (
        data.get("s") != slug
        or not isinstance(data.get("t"), int | float)
        or not isinstance(data.get("n"), str)
    ):
        raise FormTokenError(
            "The form could not be verified; please reload the page and try again."
        )
    return FormToken(loaded_at=data["t"], nonce=data["n"])


def form_token_spend(token: FormToken) -> bool:
    """Mark the token used; False if a lead was already made with it (a replayed post,
    or the same page sent twice). An unreachable Redis lets the post through: losing a
    lead is worse than a duplicate."""
    return first_use("formtoken", token.nonce, seconds=TOKEN_MAX_AGE + 60)


def automation_signs(*, loaded_at: float, honeypot: str) -> str:
    """Why a submission looks automated, or "" when it does not. Never a reason to drop
    it: browser autofill sends a real person's form in about a second and may fill the
    hidden field too, so the caller keeps the lead and holds it for a manager's review."""
    signs = []
    elapsed = time.time() - loaded_at
    if elapsed < MIN_FILL_SECONDS:
        signs.append(f"sent {max(elapsed, 0):.1f} s after the form loaded")
    if honeypot:
        signs.append("the hidden field people never see was filled in")
    return f"Looks automated: {' and '.join(signs)}" if signs else ""


def capture_form_class(
    field_names: list[str],
    *,
    default_country: str = "",
    money_format: MoneyFormat = UNKNOWN_FORMAT,
) -> type[forms.Form]:
    """A Form with the source's fields, in its order, plus the token and the honeypot.
    A phone number without + is read in the form's country field, else `default_country`;
    the budget in `money_format` (`money.money_format_for` the source's team and the
    visitor's browser)."""
    attrs: dict = {"default_country": default_country}
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
                data["phone"], country=data.get("country") or self.default_country
            )
        except normalise.PhoneCountryUnknown as exc:
            # Ask for the country only where the form has a field for it.
            self.add_error("phone", str(exc) if "country" in self.fields else PHONE_WITH_CODE)
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
