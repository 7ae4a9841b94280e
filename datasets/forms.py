"""Forms of the datasets screens: upload, reading options, mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from datasets.families import family_choices, get_family
from datasets.pipeline.clean import AUTO_DATE_FORMATS
from datasets.pipeline.schema import FamilySchema

ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8 with BOM")),
    ("cp1252", "Windows-1252"),
    ("latin-1", "ISO-8859-1 (latin-1)"),
    ("utf-16", "UTF-16"),
]
DELIMITERS = [
    (",", _("Comma ( , )")),
    (";", _("Semicolon ( ; )")),
    ("\t", _("Tab")),
    ("|", _("Vertical bar ( | )")),
]
DATE_FORMATS = [("", _("Automatic"))] + [
    (fmt, fmt.replace("%d", "JJ").replace("%m", "MM").replace("%Y", "AAAA"))
    for fmt in AUTO_DATE_FORMATS
]


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _FilesField(forms.FileField):
    """One file, or several chosen together (the tables of an extract)."""

    widget = _MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(_FilesField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    family = forms.ChoiceField(label=_("Data family"))
    file = _FilesField(
        label=_("Extract"),
        help_text=_(
            "CSV (any delimiter and encoding), Excel workbook (.xlsx) or JSON list, "
            "exactly as your system produced it. The file is kept unchanged. An "
            "extract made of several tables (pharmacovigilance): choose its files "
            "together, or a zip of them, or one workbook with a sheet per table."
        ),
    )
    sheet = forms.CharField(
        label=_("Sheet (workbooks)"),
        required=False,
        help_text=_("Leave empty to use the first sheet that holds data."),
    )

    def __init__(self, *args: Any, families: list[str] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (key, label)
            for key, label in family_choices()
            if families is None or key in families
        ]
        self.fields["family"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["family"].initial = choices[0][0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        files = data.get("file") or []
        family = data.get("family")
        if family and len(files) > 1 and get_family(family).parts is None:
            self.add_error(
                "file",
                _("Extracts of this family are a single file: upload one file."),
            )
        return data


class ReadingForm(forms.Form):
    """Corrections of the detected reading options."""

    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(
        label=_("Delimiter"), choices=DELIMITERS, required=False
    )
    header_row = forms.IntegerField(
        label=_("Header row"),
        required=False,
        min_value=0,
        help_text=_("Number of the row that holds the column names; 0 = no header."),
    )
    sheet = forms.ChoiceField(label=_("Sheet"), required=False)

    def __init__(self, *args: Any, sheets: list[str], file_format: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(s, s) for s in sheets]  # type: ignore[attr-defined]
        if file_format != "xlsx":
            del self.fields["sheet"]
        if file_format != "csv":
            del self.fields["delimiter"]
            if file_format == "xlsx":
                del self.fields["encoding"]

    def overrides(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        header = data.pop("header_row", None)
        result = {k: v for k, v in data.items() if v}
        if header is not None:
            result["header_row"] = None if header == 0 else header - 1
        return result


class MappingForm(forms.Form):
    """One column choice, constant and date format per field, plus value maps."""

    profile_name = forms.CharField(
        label=_("Source (profile name)"),
        max_length=150,
        help_text=_(
            "The system or export that produced the file. Saving a change creates a "
            "new version of this profile."
        ),
    )

    def __init__(
        self,
        *args: Any,
        schema: FamilySchema,
        columns: list[dict[str, Any]],
        value_choices: dict[str, list[str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.columns = columns
        column_choices = [("", _("— none —"))] + [
            (c["name"], c["name"]) for c in columns
        ]
        self.value_fields: dict[str, list[tuple[str, str]]] = {}
        for spec in schema.fields:
            self.fields[f"column__{spec.name}"] = forms.ChoiceField(
                label=spec.label, choices=column_choices, required=False
            )
            self.fields[f"constant__{spec.name}"] = forms.CharField(
                label=_("Constant"), required=False, max_length=200
            )
            if spec.type == "date":
                self.fields[f"format__{spec.name}"] = forms.ChoiceField(
                    label=_("Date format"), choices=DATE_FORMATS, required=False
                )
            if spec.type == "vocabulary":
                vocabulary = [("", _("— not mapped —"))] + [
                    (code, str(label)) for code, label in spec.vocabulary.items()
                ]
                entries = []
                for i, raw in enumerate(value_choices.get(spec.name, [])):
                    name = f"value__{spec.name}__{i}"
                    self.fields[name] = forms.ChoiceField(
                        label=raw, choices=vocabulary, required=False
                    )
                    entries.append((name, raw))
                self.value_fields[spec.name] = entries

    def rows(self) -> list[dict[str, Any]]:
        """One entry per family field for the template: bound fields and samples."""
        samples = {c["name"]: c.get("samples") or [] for c in self.columns}
        rows = []
        for spec in self.schema.fields:
            column_field = self[f"column__{spec.name}"]
            chosen = column_field.value() or ""
            rows.append(
                {
                    "spec": spec,
                    "column": column_field,
                    "constant": self[f"constant__{spec.name}"],
                    "format": (
                        self[f"format__{spec.name}"] if spec.type == "date" else None
                    ),
                    "samples": samples.get(chosen, [])[:5],
                    "values": [
                        (self[name], raw)
                        for name, raw in self.value_fields.get(spec.name, [])
                    ],
                }
            )
        return rows
