from django import forms

from pools.capture.imports.mapping import TARGETS
from pools.capture.imports.services import MAX_UPLOAD_BYTES


class ImportUploadForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=None, help_text="Where these leads came from; its team receives them."
    )
    file = forms.FileField(
        help_text="CSV with a header line: UTF-8 or Latin-1, comma or semicolon separated."
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"At most {MAX_UPLOAD_BYTES // 2**20} MB.")
        return upload


DECIMAL_MARK_CHOICES = [
    ("", "Detect from the file"),
    (",", "1.234,56 (decimal comma)"),
    (".", "1,234.56 (decimal point)"),
]


class ImportMappingForm(forms.Form):
    """One choice per CSV column, named col_<n> (headers can be any text)."""

    def __init__(self, *args, headers, initial_mapping, samples, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for i, header in enumerate(headers):
            self.fields[f"col_{i}"] = forms.ChoiceField(
                label=header,
                choices=list(TARGETS.items()),
                required=False,
                initial=initial_mapping.get(header, ""),
            )
            self.fields[f"col_{i}"].samples = samples.get(header, [])
        self.fields["decimal_mark"] = forms.ChoiceField(
            label="Amounts in this file",
            choices=DECIMAL_MARK_CHOICES,
            required=False,
            help_text="Detect reads the mark from amounts only one mark fits (1.234,56; 12,5); "
            "an amount like 12.500 that reads either way is then reported, not guessed.",
        )

    def mapping(self) -> dict[str, str]:
        return {h: self.cleaned_data.get(f"col_{i}", "") for i, h in enumerate(self.headers)}

    def rows(self):
        for i, header in enumerate(self.headers):
            field = self[f"col_{i}"]
            yield header, field, self.fields[f"col_{i}"].samples
