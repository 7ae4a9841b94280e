"""French wording of the pipeline's stable codes: reading refusals, mapping
errors and validation rules. The pipeline itself only knows the codes."""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: Rule code → (short label, severity shown in the report legend).
RULE_LABELS: dict[str, Any] = {
    "REQUIRED": gettext_lazy("Required value missing"),
    "INVALID_DATE": gettext_lazy("Unreadable date"),
    "DATE_OUT_OF_RANGE": gettext_lazy("Implausible date"),
    "INVALID_INTEGER": gettext_lazy("Not a whole number"),
    "OUT_OF_RANGE": gettext_lazy("Number out of range"),
    "UNKNOWN_VALUE": gettext_lazy("Value outside the vocabulary"),
    "INVALID_CIS": gettext_lazy("Malformed CIS code"),
    "INVALID_CIP13": gettext_lazy("Malformed CIP13 code"),
    "INVALID_ATC": gettext_lazy("Malformed ATC code"),
    "INVALID_URL": gettext_lazy("Malformed link"),
    "TOO_LONG": gettext_lazy("Value too long"),
    "MEDICINE_MISSING": gettext_lazy("No medicine named"),
    "DATE_MISSING": gettext_lazy("No date"),
    "RETURN_BEFORE_START": gettext_lazy("Return before start"),
    "EXPECTED_BEFORE_DECLARATION": gettext_lazy("Expected return before declaration"),
    "EXCLUDED_DRAFT": gettext_lazy("Draft declaration left out"),
    "NO_KEY": gettext_lazy("Row cannot be identified"),
    "DUPLICATE_ROW": gettext_lazy("Duplicate row"),
    "DUPLICATE_KEY": gettext_lazy("Same declaration twice"),
    "MEDICINE_UNMATCHED": gettext_lazy("Medicine not found in the referential"),
    "MEDICINE_TO_REVIEW": gettext_lazy("Uncertain match to confirm"),
    "MEDICINE_AMBIGUOUS": gettext_lazy("Several medicines possible"),
    "SUBSTANCE_UNMATCHED": gettext_lazy("Substance not found in the referential"),
    "PART_ORPHANS": gettext_lazy("Rows linked to no case"),
    "SOC_UNKNOWN": gettext_lazy("Unknown system organ class"),
    "NOTIFIER_UNMAPPED": gettext_lazy("Unknown notifier type"),
}

MEDICINE_CODES = ("MEDICINE_UNMATCHED", "MEDICINE_TO_REVIEW", "MEDICINE_AMBIGUOUS")


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))


def issue_message(code: str, field_label: str, detail: str = "") -> str:
    """The French sentence of one issue; the value itself is shown beside it."""
    messages = {
        "REQUIRED": _("The field “%(field)s” is required and is empty."),
        "INVALID_DATE": _(
            "“%(field)s” is not a date in a known format (for example 31/01/2024 "
            "or 2024-01-31)."
        ),
        "DATE_OUT_OF_RANGE": _(
            "“%(field)s” is implausible: before 1990 or too far in the future."
        ),
        "INVALID_INTEGER": _("“%(field)s” must be a whole number."),
        "OUT_OF_RANGE": _("“%(field)s” is outside the accepted range."),
        "UNKNOWN_VALUE": _(
            "“%(field)s” holds a value that is not in its vocabulary; add it to "
            "the value map of the mapping profile."
        ),
        "INVALID_CIS": _(
            "“%(field)s” is not a CIS code (8 digits); the code is ignored and the "
            "medicine is looked up by its name."
        ),
        "INVALID_CIP13": _(
            "“%(field)s” is not a valid CIP13 code (13 digits with a correct check "
            "digit, or a 7-digit CIP); the code is ignored."
        ),
        "INVALID_ATC": _("“%(field)s” is not an ATC code (such as N02BE01)."),
        "INVALID_URL": _("“%(field)s” is not a web address; it is ignored."),
        "TOO_LONG": _("“%(field)s” is longer than %(detail)s characters and was cut."),
        "MEDICINE_MISSING": _(
            "The row names no medicine: give a CIP13 code, a CIS code or a name."
        ),
        "DATE_MISSING": _(
            "The row has no date: give a declaration, start or update date."
        ),
        "RETURN_BEFORE_START": _("“%(field)s” is earlier than “%(other)s”."),
        "EXPECTED_BEFORE_DECLARATION": _("“%(field)s” is earlier than “%(other)s”."),
        "EXCLUDED_DRAFT": _("A draft declaration is not published; row left out."),
        "NO_KEY": _(
            "The row cannot be identified (no declaration number, no medicine or "
            "no date); it was left out."
        ),
        "DUPLICATE_ROW": _(
            "This row repeats row %(other)s on every field the mapping keeps "
            "(columns left unmapped are not compared); only row %(other)s is kept."
        ),
        "DUPLICATE_KEY": _(
            "Row %(other)s describes the same declaration (same number, or same "
            "medicine and date); row %(other)s, later in the file, is kept."
        ),
        "MEDICINE_UNMATCHED": _(
            "The medicine was not found in the referential; decide in the match "
            "review queue."
        ),
        "MEDICINE_TO_REVIEW": _(
            "The closest medicine of the referential is uncertain; confirm it in "
            "the match review queue."
        ),
        "MEDICINE_AMBIGUOUS": _(
            "Several medicines of the referential fit this name; choose one in "
            "the match review queue."
        ),
        "SUBSTANCE_UNMATCHED": _(
            "No substance of the referential has this name; the case does not "
            "count for a substance until the name is added as an alias."
        ),
    }
    template = messages.get(code, _("Rule %(code)s not satisfied."))
    return template % {
        "field": field_label,
        "other": detail,
        "detail": detail,
        "code": code,
    }


def assembly_message(code: str, part_label: str, count: int) -> str:
    """The French sentence of a problem found while joining an extract's
    tables: ``count`` rows of the table ``part_label`` linked to no case, or
    labels nobody knows."""
    messages = {
        "PART_ORPHANS": _(
            "%(count)s rows of the table “%(part)s” name a case (AER_ID, CAS, "
            "VER) that the table Cas-Patients does not have: they are left out."
        ),
        "SOC_UNKNOWN": _(
            "%(count)s effects name a system organ class that is neither a "
            "MedDRA SOC in English nor its French label: they count in no SOC."
        ),
        "NOTIFIER_UNMAPPED": _(
            "%(count)s cases have a notifier type nobody mapped: they count as "
            "« Inconnu »."
        ),
    }
    template = messages.get(code, _("Rule %(code)s not satisfied."))
    return template % {"count": count, "part": part_label, "code": code}


def read_error_message(code: str, params: dict[str, Any], name: str = "") -> str:
    """The French explanation of a reading refusal, naming the file."""
    file_name = name or _("The file")
    messages = {
        "EMPTY": _("%(name)s is empty."),
        "TOO_LARGE": _(
            "%(name)s weighs %(size)s, more than the %(limit)s allowed. Split the "
            "extract or ask the Data Office to raise the limit."
        ),
        "NOT_TABULAR": _(
            "%(name)s is neither a CSV file, an Excel workbook (.xlsx) nor a JSON "
            "list: its content was checked, whatever its extension says."
        ),
        "LEGACY_XLS": _(
            "%(name)s is an Excel 97-2003 workbook (.xls), which is not accepted: "
            "save it as .xlsx or CSV and upload it again."
        ),
        "PASSWORD_PROTECTED": _(
            "%(name)s is protected by a password: remove the protection in Excel "
            "and upload it again."
        ),
        "XLSX_BOMB": _(
            "%(name)s would expand to %(uncompressed)s once decompressed, more "
            "than the %(limit)s allowed: refused."
        ),
        "XLSX_CORRUPT": _("%(name)s is a damaged Excel workbook that cannot be read."),
        "NO_SHEET": _(
            "The sheet “%(sheet)s” does not exist in %(name)s. Sheets: %(sheets)s."
        ),
        "HEADER_ONLY": _("%(name)s has a header row but no data row."),
        "NO_COLUMNS": _("%(name)s has no column."),
        "JSON_SHAPE": _(
            "%(name)s is JSON but not a list of records (objects with the same keys)."
        ),
        "CSV_MALFORMED": _(
            "%(name)s is not a well-formed CSV file (%(detail)s): check the "
            "quotes and the delimiter."
        ),
        "BAD_OVERRIDE": _("The reading option “%(key)s” cannot be “%(value)s”."),
        "ENCODING": _(
            "%(name)s cannot be read as %(encoding)s (line %(line)s): choose "
            "another encoding."
        ),
    }
    values: dict[str, Any] = {"name": file_name, **params}
    for key in ("size", "limit", "uncompressed"):
        if isinstance(values.get(key), int):
            values[key] = filesizeformat(values[key])
    if isinstance(values.get("sheets"), list):
        values["sheets"] = ", ".join(str(s) for s in values["sheets"])
    if values.get("line") is None:
        values["line"] = "?"
    values.setdefault("detail", "")
    values.setdefault("key", "?")
    values.setdefault("value", "?")
    values.setdefault("encoding", "?")
    values.setdefault("sheet", "?")
    values.setdefault("sheets", "")
    template = messages.get(code, _("%(name)s cannot be read."))
    return template % values
