"""The schema of family ``pharmacovigilance``: cases of suspected adverse effects
declared in France (BNPV extracts, DOMAIN.md §2.7, §4.3–4.4, §8.1–8.4, §8.7).

An extract is three tables joined on the case key (``records.assemble``); a
record is one case (its latest version, in France) and one of its drug texts.
The tables count distinct cases (``records.release_tables``); nothing is
published row by row, and counts from 1 to 10 are hidden.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from datasets.families import register_family
from datasets.families.pharmacovigilance.cleaning import EXTRACT
from datasets.families.pharmacovigilance.records import assemble, release_tables
from datasets.families.pharmacovigilance.substances import match_substances
from datasets.families.pharmacovigilance.tables import ADDITIVE
from datasets.pipeline.schema import (
    WARNING,
    FamilySchema,
    FieldSpec,
    MedicineLink,
    SubstanceLink,
)

SEXES = {"F": _("Women"), "M": _("Men"), "unknown": _("Not given")}
AGE_CLASSES = {
    "0-19": _("0 to 19 years"),
    "20-59": _("20 to 59 years"),
    "60+": _("60 years and over"),
    "unknown": _("Not given"),
}
SERIOUSNESS = {
    "grave": _("Serious"),
    "non_grave": _("Not serious"),
    "unknown": _("Not given"),
}
DRUG_TYPES = {
    "speciality": _("Speciality"),
    "product": _("Product (brand)"),
    "substance": _("Substance"),
}


def _text(name: str, label: object, max_length: int = 500) -> FieldSpec:
    return FieldSpec(name, label, max_length=max_length)


PHARMACOVIGILANCE = register_family(
    FamilySchema(
        key="pharmacovigilance",
        label=_("Declared cases of adverse effects"),
        record_model="datasets.PharmacovigilanceRecord",
        fields=(
            FieldSpec("case_id", _("Case"), required=True, max_length=100),
            _text("aer_id", _("AER_ID"), 50),
            _text("case_number", _("Case number"), 50),
            _text("case_version", _("Case version"), 20),
            FieldSpec(
                "year",
                _("Notification year"),
                type="integer",
                min_value=1960,
                max_value=2100,
            ),
            FieldSpec("sex", _("Sex"), type="vocabulary", vocabulary=SEXES),
            FieldSpec(
                "age", _("Age (years)"), type="integer", min_value=0, max_value=125
            ),
            FieldSpec(
                "age_class", _("Age class"), type="vocabulary", vocabulary=AGE_CLASSES
            ),
            _text("age_decade", _("Age decade"), 20),
            FieldSpec(
                "seriousness",
                _("Seriousness"),
                type="vocabulary",
                vocabulary=SERIOUSNESS,
            ),
            _text("criteria", _("Seriousness criteria"), 100),
            _text("notifier", _("Notifier type"), 100),
            _text("socs", _("System organ classes"), 20_000),
            _text("hlts", _("High level terms"), 100_000),
            _text("drug_text", _("Drug as declared"), 500),
            FieldSpec(
                "drug_type",
                _("Drug text type"),
                type="vocabulary",
                vocabulary=DRUG_TYPES,
                invalid_severity=WARNING,
            ),
            _text("substance_text", _("Substance as declared"), 500),
            _text("brand_text", _("Brand as declared"), 500),
            _text("substance_code", _("Substance code"), 200),
        ),
        natural_keys=(
            ("case_id", "drug_text"),
            ("case_id", "substance_text"),
            ("case_id", "brand_text"),
            ("case_id",),
        ),
        medicine=MedicineLink(code_fields=(), label_field="drug_text"),
        substances=SubstanceLink(
            "substance_text",
            "substance_code",
            match=match_substances,
            brand_field="brand_text",
        ),
        parts=EXTRACT,
        assemble=assemble,
        tables=release_tables,
        additive_tables=ADDITIVE,
        row_level=False,
        disclosure_threshold=11,
        unmatched_threshold=0.2,
        summary_fields=(
            "case_id",
            "year",
            "sex",
            "age_class",
            "seriousness",
            "drug_text",
            "substance_text",
        ),
    )
)
