"""A small hand-made BNPV extract (three tables) whose every count is known:
versions, a foreign case, missing sex and age, age units, English SOC names, a
SOC met twice in one case, a row linked to no case, substance and speciality
texts."""

from __future__ import annotations

from pathlib import Path

CASES = (
    (
        "AER_ID;CAS;VER;NOTIF;SEXE;AGE;U_AGE;DATE_NAISS;TYP_NOTIF;GRAVE;"
        "PAYS_SURVENUE;PAYS_CAS;DECES;PRO_V;HOSPI;INCAP;ANO_C;AUTRE\n"
    )
    + """FR-1;A1;1;10/01/2022;F;44;ANS;;Pharmacien;NON;France;France;;;;;;
FR-1;A1;2;12/03/2022;F;45;ANS;;Médecin généraliste;OUI;France;France;;;OUI;;;
FR-1;A2;1;05/05/2023;M;24;MOIS;;Patient;NON;France;France;;;;;;
FR-1;A3;1;06/06/2023;F;30;;;Pharmacien;NON;Belgique;France;;;;;;
FR-2;A4;1;07/07/2023;;;;15/06/1950;Infirmière;OUI;France;France;OUI;;;;;
"""
)
EFFECTS = """AER_ID;CAS;VER;DATE_DEB;EFFET_SOC;EFFET_HLT
FR-1;A1;1;01/01/2022;Skin and subcutaneous tissue disorders;Éruptions
FR-1;A1;2;01/03/2022;Cardiac disorders;Arythmies
FR-1;A1;2;02/03/2022;Affections cardiaques;Arythmies
FR-1;A1;2;02/03/2022;Nervous system disorders;Céphalées
FR-1;A2;1;01/05/2023;Affections cardiaques;Arythmies
FR-2;A4;1;01/07/2023;Troubles inventés;Autres
FR-9;A9;1;01/07/2023;Cardiac disorders;Arythmies
"""
DRUGS = """AER_ID;CAS;VER;MEDICAMENT;TYPE
FR-1;A1;2;DOLIPRANE 1000 mg, comprimé;Spécialité
FR-1;A1;2;PARACETAMOL;Substance
FR-1;A2;1;PARACÉTAMOL;Substance
FR-1;A3;1;DOLIPRANE 1000 mg, comprimé;Spécialité
FR-2;A4;1;DOLIPRANE 1000 mg, gélule;Spécialité
FR-2;A4;1;DOLIPRANE;Produit
"""
NAMES = {
    "cases": "20230216 - Cas-Patients.csv",
    "effects": "20230216 - Effets.csv",
    "drugs": "20230216 - Médicaments.csv",
}


def write_small_extract(folder: Path) -> list[Path]:
    """The three files of the small extract, written as the BNPV writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part, text in (("cases", CASES), ("effects", EFFECTS), ("drugs", DRUGS)):
        path = folder / NAMES[part]
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


#: Groups of identical cases (count, sex, age, year, notifier, serious, SOC,
#: HLT): large enough that some counts are published, small enough that
#: others are hidden (DOMAIN.md §6).
CASE_GROUPS = (
    (15, "F", "45", "2022", "Pharmacien", "OUI", "Cardiac disorders", "Arythmies"),
    (12, "M", "70", "2023", "Patient", "NON", "Nervous system disorders", "Céphalées"),
    (3, "", "10", "2023", "Pharmacien", "NON", "Cardiac disorders", "Arythmies"),
)


def write_published_extract(folder: Path) -> list[Path]:
    """Thirty cases naming DOLIPRANE 1000 mg, comprimé, in the groups of
    ``CASE_GROUPS``: women 15, men 12, sex not given 3 (so men are hidden
    with them); serious 15 (hospitalisation); cardiac 18, nervous 12."""
    cases, effects, drugs = [CASES.splitlines()[0]], [EFFECTS.splitlines()[0]], []
    drugs.append(DRUGS.splitlines()[0])
    number = 0
    for count, sex, age, year, notifier, serious, soc, hlt in CASE_GROUPS:
        for _i in range(count):
            number += 1
            hospital = "OUI" if serious == "OUI" else ""
            cases.append(
                f"FR-5;C{number};1;01/06/{year};{sex};{age};ANS;;{notifier};"
                f"{serious};France;France;;;{hospital};;;"
            )
            effects.append(f"FR-5;C{number};1;01/05/{year};{soc};{hlt}")
            drugs.append(f"FR-5;C{number};1;DOLIPRANE 1000 mg, comprimé;Spécialité")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part, lines in (("cases", cases), ("effects", effects), ("drugs", drugs)):
        path = folder / NAMES[part]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
