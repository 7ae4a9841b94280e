"""The substance cascade on hand-made names, one case per step."""

from __future__ import annotations

import pandas as pd

from datasets.families.pharmacovigilance.substances import match_substances, normalise

NAMES = pd.DataFrame(
    [
        ("PARACÉTAMOL", "02202"),
        ("ACETAMINOPHENE", "02202"),  # another name of the same substance
        ("IBUPROFÈNE", "03317"),
        ("AMOXICILLINE", "00100"),
        ("ACIDE CLAVULANIQUE", "00200"),
        ("ACIDE ACETYLSALICYLIQUE", "00300"),
        ("VACCIN GRIPPAL", "00400"),
        ("HYDROXYDE D'ALUMINIUM", "00500"),
        ("CHLORURE DE SODIUM", "00600"),
    ],
    columns=["name", "code"],
)


def test_each_step_of_the_cascade() -> None:
    texts = pd.Series(
        [
            "Paracétamol",  # 1-2: normalised, exact
            "acetaminophene",  # another name
            "paracétamol",  # the same text again: one row
            "IBUPROFENE ",  # È → E, blanks
            "AMOXICILLINE",  # exact (one word)
            "IBUPROFENE ARGININE",  # 4: first word of exactly one substance
            "ACIDE",  # ACIDE starts two substances: no guess
            "VACCIN ANTIGRIPPAL",  # generic first word: no guess
            "SODIUM (CHLORURE DE)",  # 5: bracket moved in front
            "INCONNU",
            None,
        ]
    )
    result = match_substances(texts, NAMES).set_index("text")
    assert result.loc["Paracétamol", "code"] == "02202"
    assert result.loc["acetaminophene", "code"] == "02202"
    assert list(result.loc["IBUPROFENE ", ["code", "method"]]) == ["03317", "exact"]
    assert result.loc["IBUPROFENE ARGININE", "method"] == "first_word"
    assert result.loc["IBUPROFENE ARGININE", "code"] == "03317"
    assert result.loc["ACIDE", "method"] == "unmatched"
    assert result.loc["VACCIN ANTIGRIPPAL", "method"] == "unmatched"
    assert list(result.loc["SODIUM (CHLORURE DE)", ["code", "method"]]) == [
        "00600",
        "bracket",
    ]
    assert result.loc["INCONNU", "method"] == "unmatched"
    assert len(result) == 10  # distinct texts, the missing one left out


def test_a_one_word_text_takes_the_only_substance_starting_with_it() -> None:
    result = match_substances(pd.Series(["HYDROXYDE"]), NAMES)
    assert result[["code", "method"]].values.tolist() == [["00500", "one_word"]]


def test_normalise_keeps_only_what_the_earlier_scripts_changed() -> None:
    assert normalise("  Éthinyl  ((estradiol)) ") == "ETHINYL (ESTRADIOL)"
    assert normalise("maïs à l'huile") == "MAIS A L'HUILE"
