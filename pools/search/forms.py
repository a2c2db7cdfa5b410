"""The lead list's search and filter form, read from the query string."""

from django import forms

from pools.lifecycle import LeadState
from pools.search import selectors


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class LeadSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, strip=True)
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any state"), *LeadState.choices],
        error_messages={"invalid_choice": "%(value)s is not a lead state."},
    )
    owner = OwnerChoiceField(
        label="Owner",
        required=False,
        queryset=None,
        empty_label="Anyone",
        error_messages={"invalid_choice": "not a rep of your teams."},
    )
    source = forms.ModelChoiceField(
        label="Source",
        required=False,
        queryset=None,
        empty_label="Any source",
        error_messages={"invalid_choice": "not a source of your teams."},
    )
    team = forms.ModelChoiceField(
        label="Team",
        required=False,
        queryset=None,
        empty_label="Any team",
        error_messages={"invalid_choice": "not a team you manage."},
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        # Choices are the user's scope: a rep, source or team outside it is not offered,
        # and one typed into the URL is refused with its own message.
        self.fields["owner"].queryset = selectors.lead_search_owners(user=user)
        self.fields["source"].queryset = selectors.lead_search_sources(user=user)
        self.fields["team"].queryset = selectors.lead_search_teams(user=user)
        self.fields["q"].widget.attrs.update(
            type="search", placeholder="Name, e-mail, phone or company", autocomplete="off"
        )

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)

    def search_arguments(self) -> dict:
        """The cleaned values as `selectors.leads_search` takes them."""
        data = self.cleaned_data
        return {
            "text": data["q"],
            "state": data["state"],
            "owner": data["owner"],
            "source": data["source"],
            "team": data["team"],
        }
