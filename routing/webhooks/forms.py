from django import forms

from .events import WebhookType
from .models import WebhookSubscription


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vTextField", "style": "width: min(36em, 100%)"}),
        help_text="Where each event is POSTed as JSON (http or https).",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each ticked event is POSTed on its own, with its own id. One change can "
        "be several events: a claim is also “Assigned”, a win also “Disposition changed”.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "team")
