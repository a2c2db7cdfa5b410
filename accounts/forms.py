"""Form fields for the accounts admin."""

from django import forms


class StringListField(forms.CharField):
    """A list of short codes edited as one line, "pt, en", for a JSON list of strings (an
    admin once had to type ["pt", "en"], brackets and quotes, and got a JSON error for a
    missing quote). Blanks and repeats are dropped, the order is kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # A stored list is shown as a line; text (re-shown after an error) as typed.
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        items = (part.strip() for part in super().to_python(value).split(","))
        return list(dict.fromkeys(item for item in items if item))

    def has_changed(self, initial, data) -> bool:
        return (initial or []) != self.to_python(data)
