"""The schema of family ``shortages``: declarations of shortages and risks of
shortage (Ruptures et risques de rupture de stock), DOMAIN.md §2.10, §4.6 and
§8.5."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from datasets.families import register_family
from datasets.pipeline.schema import (
    WARNING,
    Aggregate,
    Exclusion,
    FamilySchema,
    FieldSpec,
    MedicineLink,
    RowRule,
)

CLASSIFICATIONS = {
    "rupture": _("Stock shortage"),
    "risque": _("Risk of shortage / supply tension"),
    "arret": _("Discontinuation"),
    "remise": _("Back in supply"),
}
STATES = {
    "ouvert": _("Open"),
    "ferme": _("Closed"),
    "brouillon": _("Draft"),
}
CIRCUITS = {
    "ville": _("Community pharmacies"),
    "hopital": _("Hospitals"),
    "commun": _("Community and hospital"),
}
CAUSES = {
    "incident_production": _("Production incident"),
    "hausse_ventes": _("Increase in sales volume"),
    "transfert_site": _("Site transfer"),
    "capacite_insuffisante": _("Insufficient production capacity"),
    "defaut_qualite": _("Finished product quality defect"),
    "reglementaire": _("Regulatory problem"),
    "appro_mp_ac": _("Supply problem: raw materials or packaging"),
    "appro_mp": _("Supply problem: raw materials"),
    "appro_ac": _("Supply problem: packaging"),
    "analyses_non_conformes": _("Non-compliant release testing"),
    "bpf": _("GMP non-compliance"),
    "transport": _("Transport or logistics problem"),
    "arret_commercialisation": _("Discontinuation"),
    "coronavirus": _("Coronavirus"),
    "autre": _("Other"),
}


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    """An extract without a state column: closed once back in supply, else open."""
    closed = frame["returned_on"].notna() | (frame["classification"] == "remise")
    default = pd.Series(np.where(closed, "ferme", "ouvert"), index=frame.index)
    frame["state"] = frame["state"].where(frame["state"].notna(), default)
    return frame


SHORTAGES = register_family(
    FamilySchema(
        key="shortages",
        label=_("Shortages and risks of shortage"),
        record_model="datasets.ShortageRecord",
        fields=(
            FieldSpec(
                "declaration_number",
                _("Declaration number"),
                headers=(
                    "numero",
                    "numéro",
                    "n°",
                    "numero de declaration",
                    "numéro de déclaration",
                    "numero rupture",
                    "numéro rupture",
                    "id signal",
                    "num",
                ),
                max_length=50,
            ),
            FieldSpec(
                "state",
                _("State"),
                type="vocabulary",
                vocabulary=STATES,
                synonyms={
                    "en cours": "ouvert",
                    "open": "ouvert",
                    "cloture": "ferme",
                    "clos": "ferme",
                    "close": "ferme",
                    "closed": "ferme",
                    "termine": "ferme",
                    "draft": "brouillon",
                },
                headers=("etat", "état", "etat dossier", "état du dossier", "state"),
            ),
            FieldSpec(
                "classification",
                _("Classification"),
                type="vocabulary",
                required=True,
                vocabulary=CLASSIFICATIONS,
                synonyms={
                    "rupture de stock": "rupture",
                    "rupture": "rupture",
                    "risque de rupture": "risque",
                    "risque de rupture de stock": "risque",
                    "risque": "risque",
                    "tension": "risque",
                    "tension d approvisionnement": "risque",
                    "arret de commercialisation": "arret",
                    "arret": "arret",
                    "remise a disposition": "remise",
                    "remise": "remise",
                },
                headers=("classification", "statut", "status", "type de signalement"),
            ),
            FieldSpec(
                "declared_on",
                _("Declaration date"),
                type="date",
                max_future_days=1,
                headers=(
                    "date de declaration",
                    "date de déclaration",
                    "date declaration",
                    "date signalement",
                    "date",
                ),
            ),
            FieldSpec(
                "started_on",
                _("Start date"),
                type="date",
                max_future_days=3650,
                headers=("date de debut", "date de début", "debut", "start date"),
            ),
            FieldSpec(
                "town_started_on",
                _("Start in community pharmacies"),
                type="date",
                max_future_days=3650,
                headers=("debut ville", "début ville", "date debut ville"),
            ),
            FieldSpec(
                "hospital_started_on",
                _("Start in hospitals"),
                type="date",
                max_future_days=3650,
                headers=("debut hopital", "début hôpital", "date debut hopital"),
            ),
            FieldSpec(
                "expected_return_on",
                _("Expected return date"),
                type="date",
                max_future_days=3650,
                headers=(
                    "date previsionnelle",
                    "date prévisionnelle",
                    "prevision remise dispo",
                    "remise a disposition prevue",
                    "remise à disposition prévue",
                    "date de remise a disposition previsionnelle",
                    "dateprevi ville",
                ),
            ),
            FieldSpec(
                "returned_on",
                _("Return date"),
                type="date",
                max_future_days=3650,
                headers=(
                    "remise a disposition",
                    "remise à disposition",
                    "date de remise a disposition",
                    "date remise",
                    "date de fin",
                    "end date",
                ),
            ),
            FieldSpec(
                "updated_on",
                _("Update date"),
                type="date",
                max_future_days=1,
                headers=("mise a jour", "mise à jour", "date de mise a jour", "maj"),
            ),
            FieldSpec(
                "holder",
                _("Marketing authorisation holder"),
                headers=(
                    "laboratoire",
                    "laboratoire exploitant",
                    "titulaire",
                    "exploitant",
                    "manufacturer",
                ),
                max_length=255,
            ),
            FieldSpec(
                "cip13",
                pgettext_lazy("field", "CIP13 code"),
                type="cip13",
                invalid_severity=WARNING,
                headers=("cip13", "cip 13", "code cip13", "code cip", "cip"),
            ),
            FieldSpec(
                "cis",
                pgettext_lazy("field", "CIS code"),
                type="cis",
                invalid_severity=WARNING,
                headers=("cis", "code cis"),
            ),
            FieldSpec(
                "product_name",
                _("Medicine name"),
                headers=(
                    "specialite",
                    "spécialité",
                    "nom",
                    "nom produit",
                    "produit",
                    "medicament",
                    "médicament",
                    "denomination",
                    "normalized name",
                ),
                max_length=500,
            ),
            FieldSpec(
                "substance",
                _("Active substance"),
                headers=(
                    "dci",
                    "substance",
                    "substance active",
                    "substances",
                    "molecule",
                    "normalized molecule name",
                ),
                max_length=500,
            ),
            FieldSpec(
                "atc",
                pgettext_lazy("field", "ATC code"),
                type="atc",
                invalid_severity=WARNING,
                headers=("atc", "code atc", "atc code"),
            ),
            FieldSpec(
                "circuit",
                _("Distribution channel"),
                type="vocabulary",
                vocabulary=CIRCUITS,
                invalid_severity=WARNING,
                synonyms={
                    "officine": "ville",
                    "hospitalier": "hopital",
                    "ville et hopital": "commun",
                    "ville hopital": "commun",
                    "ville et hospitalier": "commun",
                    "les deux": "commun",
                },
                headers=("circuit", "circuit touche", "canal"),
            ),
            FieldSpec(
                "cause",
                _("Cause"),
                type="vocabulary",
                vocabulary=CAUSES,
                invalid_severity=WARNING,
                synonyms={
                    "incident de production": "incident_production",
                    "augmentation du volume de vente": "hausse_ventes",
                    "transfert de site": "transfert_site",
                    "capacite de production insuffisante": "capacite_insuffisante",
                    "defaut qualite produit fini": "defaut_qualite",
                    "probleme reglementaire": "reglementaire",
                    "defaut d approvisionnement mp ac": "appro_mp_ac",
                    "defaut d approvisionnement en matiere premiere": "appro_mp",
                    "defaut d approvisionnement en article de conditionnement": (
                        "appro_ac"
                    ),
                    "analyses de liberation non conformes": "analyses_non_conformes",
                    "probleme qualite analyse non conforme": "analyses_non_conformes",
                    "non conformite bpf": "bpf",
                    "probleme de transport logistique": "transport",
                },
                headers=("cause", "origine cause", "cause propre", "origine cause rs"),
            ),
            FieldSpec(
                "measures",
                _("Measures taken"),
                headers=("mesures", "mesure", "mesures prises", "measures"),
            ),
            FieldSpec(
                "source_url",
                _("Link to the ANSM page"),
                type="url",
                headers=("lien", "url", "lien ansm", "page"),
                max_length=500,
            ),
        ),
        natural_keys=(
            ("declaration_number", "medicine_key"),
            ("medicine_key", "declared_on"),
            ("medicine_key", "started_on"),
            ("medicine_key", "updated_on"),
        ),
        rules=(
            RowRule("MEDICINE_MISSING", "any_of", ("cip13", "cis", "product_name")),
            RowRule(
                "DATE_MISSING", "any_of", ("declared_on", "started_on", "updated_on")
            ),
            RowRule("RETURN_BEFORE_START", "order", ("started_on", "returned_on")),
            RowRule(
                "EXPECTED_BEFORE_DECLARATION",
                "order",
                ("declared_on", "expected_return_on"),
                severity=WARNING,
            ),
        ),
        medicine=MedicineLink(code_fields=("cip13", "cis"), label_field="product_name"),
        exclusions=(Exclusion("state", ("brouillon",), code="EXCLUDED_DRAFT"),),
        aggregates=(
            Aggregate(
                "per_year",
                _("Declarations per year"),
                (),
                year_of="declared_on",
                distinct="declaration_number",
            ),
            Aggregate(
                "per_classification",
                _("Declarations per classification"),
                ("classification",),
                year_of="declared_on",
                distinct="declaration_number",
            ),
            Aggregate(
                "per_cause",
                _("Declarations per cause"),
                ("cause",),
                year_of="declared_on",
                distinct="declaration_number",
            ),
            Aggregate(
                "per_circuit",
                _("Declarations per distribution channel"),
                ("circuit",),
                year_of="declared_on",
                distinct="declaration_number",
            ),
            Aggregate(
                "per_atc",
                _("Declarations per ATC class"),
                ("atc",),
                distinct="declaration_number",
            ),
        ),
        derive=_derive,
        summary_fields=(
            "declaration_number",
            "product_name",
            "cip13",
            "classification",
            "state",
            "started_on",
            "returned_on",
        ),
        unmatched_threshold=0.05,
        presets={
            "BDPM – CIS_CIP_Dispo_Spec": {
                "columns": {
                    "cis": "Colonne 1",
                    "cip13": "Colonne 2",
                    "classification": "Colonne 4",
                    "started_on": "Colonne 5",
                    "updated_on": "Colonne 6",
                    "returned_on": "Colonne 7",
                    "source_url": "Colonne 8",
                },
                "date_formats": {
                    "started_on": "%d/%m/%Y",
                    "updated_on": "%d/%m/%Y",
                    "returned_on": "%d/%m/%Y",
                },
            },
        },
    )
)
