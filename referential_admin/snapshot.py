"""Turn the BDPM tables read by ``bdpm`` into one frame per referential entity,
ready to be compared with the database: model field names, a natural key and a
content hash per row. Pure pandas, no Django (house rule 7)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from referential_admin.bdpm import (
    BdpmTable,
    implausible_date_mask,
    parse_dates,
    parse_prices,
    split_multi,
)

# French messages for the import report.
MSG_MISSING_CIS = "{file} : {count} code(s) CIS absent(s) de CIS_bdpm.txt (conservés)"
MSG_IMPLAUSIBLE_DATE = (
    "{file}, ligne {line} : date invraisemblable « {value} » (conservée)"
)
MSG_INVALID_PRICE = "{file}, ligne {line} : prix illisible « {value} » (ignoré)"
MSG_DUPLICATE_KEY = "{file}, ligne {line} : doublon de {key} « {value} » (ignoré)"
MSG_MORE = "{file} : {count} autre(s) doublon(s) du même type"
MAX_LINE_WARNINGS = 50


@dataclass
class EntityFrame:
    """Rows of one entity: ``frame`` has the model's field names (``key`` unique)
    and ``row_hash``; ``hashed`` lists the columns that the hash covers."""

    name: str
    key: str
    frame: pd.DataFrame
    hashed: list[str]


@dataclass
class Snapshot:
    entities: dict[str, EntityFrame] = field(default_factory=dict)
    holders: pd.DataFrame | None = None  # columns: cis, holder
    substances: pd.DataFrame | None = None  # columns: code, name, name_variants
    warnings: list[str] = field(default_factory=list)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _dates(table: BdpmTable, column: str, fmt: str, warnings: list[str]) -> pd.Series:
    parsed, _invalid = parse_dates(table.frame[column], fmt)
    implausible = implausible_date_mask(parsed)
    for line in table.frame.index[implausible.to_numpy()]:
        warnings.append(
            MSG_IMPLAUSIBLE_DATE.format(
                file=table.file, line=line, value=table.frame.at[line, column]
            )
        )
    return pd.Series(
        [value.date() if not pd.isna(value) else None for value in parsed],
        index=table.frame.index,
        dtype=object,
    )


def _prices(table: BdpmTable, column: str, warnings: list[str]) -> pd.Series:
    values, invalid = parse_prices(table.frame[column])
    for line in table.frame.index[invalid.to_numpy()]:
        warnings.append(
            MSG_INVALID_PRICE.format(
                file=table.file, line=line, value=table.frame.at[line, column]
            )
        )
    return values


def _canonical(series: pd.Series) -> pd.Series:
    """Each value as text (lists, dates and decimals by their ``str``), NA as ""."""
    return series.where(series.notna(), "").astype(str)


def row_hashes(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """A 16-hex-digit hash per row over ``columns``, stable across runs."""
    canonical = pd.DataFrame(
        {column: _canonical(frame[column]) for column in columns},
        index=frame.index,
    )
    hashed = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
    return pd.Series([f"{value:016x}" for value in hashed], index=frame.index)


def key_hashes(frame: pd.DataFrame, columns: Iterable[str]) -> pd.Series:
    """A 32-hex-digit natural key for entities without a code of their own.

    Rows equal on ``columns`` are told apart by their rank among them, so that
    repeated lines of a file are all kept rather than silently merged.
    """
    columns = list(columns)
    keyed = frame[columns].copy()
    canonical = pd.DataFrame({c: _canonical(keyed[c]) for c in columns})
    keyed["__occurrence"] = canonical.groupby(columns, sort=False).cumcount()
    first = row_hashes(keyed, [*columns, "__occurrence"])
    keyed["__salt"] = "datamed"
    second = row_hashes(keyed, [*columns, "__occurrence", "__salt"])
    return first + second


def _drop_duplicates(
    frame: pd.DataFrame, key: str, file: str, warnings: list[str] | None
) -> pd.DataFrame:
    duplicated = frame[key].duplicated(keep="first").to_numpy()
    if warnings is not None and duplicated.any():
        lines = frame.index[duplicated]
        for line in lines[:MAX_LINE_WARNINGS]:
            warnings.append(
                MSG_DUPLICATE_KEY.format(
                    file=file, line=line, key=key, value=frame.at[line, key]
                )
            )
        if len(lines) > MAX_LINE_WARNINGS:
            warnings.append(
                MSG_MORE.format(file=file, count=len(lines) - MAX_LINE_WARNINGS)
            )
    return frame[~duplicated]


def _entity(
    name: str,
    key: str,
    frame: pd.DataFrame,
    hashed: list[str],
    file: str,
    warnings: list[str] | None,
) -> EntityFrame:
    frame = _drop_duplicates(frame, key, file, warnings)
    frame = frame.assign(row_hash=row_hashes(frame, hashed))
    return EntityFrame(name=name, key=key, frame=frame, hashed=hashed)


def _missing_cis(
    table: BdpmTable, known_cis: set[str] | None, warnings: list[str]
) -> None:
    if known_cis is None:
        return
    cis = table.frame["cis"].dropna().astype(str)
    missing = sorted(set(cis.unique()) - known_cis)
    if missing:
        warnings.append(MSG_MISSING_CIS.format(file=table.file, count=len(missing)))


def build_snapshot(tables: Mapping[str, BdpmTable]) -> Snapshot:
    """One EntityFrame per entity present in ``tables`` (keyed by BDPM file name),
    plus holders, substances and French warnings (missing codes, odd values)."""
    snapshot = Snapshot()
    warnings = snapshot.warnings
    known_cis: set[str] | None = None

    if (table := tables.get("CIS_bdpm.txt")) is not None:
        df = table.frame
        known_cis = set(df["cis"].astype(str))
        holders_lists = split_multi(df["holders"])
        frame = pd.DataFrame(
            {
                "cis": _text(df["cis"]),
                "name": _text(df["name"]),
                "pharmaceutical_form": _text(df["pharmaceutical_form"]),
                "routes": split_multi(df["routes"]),
                "authorisation_status": _text(df["authorisation_status"]),
                "authorisation_procedure": _text(df["authorisation_procedure"]),
                "marketing_status": _text(df["marketing_status"]),
                "authorisation_date": _dates(
                    table, "authorisation_date", "%d/%m/%Y", warnings
                ),
                "bdpm_status": _text(df["bdpm_status"]),
                "eu_number": _text(df["eu_number"]),
                "holders_text": holders_lists.map("; ".join),
                "enhanced_monitoring": _text(df["enhanced_monitoring"])
                .str.lower()
                .eq("oui"),
            },
            index=df.index,
        )
        hashed = [column for column in frame.columns if column != "cis"]
        snapshot.entities["specialities"] = _entity(
            "specialities", "cis", frame, hashed, table.file, warnings
        )
        exploded = pd.DataFrame({"cis": frame["cis"], "holder": holders_lists}).explode(
            "holder"
        )
        exploded = exploded.dropna(subset=["holder"])
        exploded["holder"] = exploded["holder"].map(
            lambda h: " ".join(h.upper().split())
        )
        snapshot.holders = exploded.drop_duplicates().reset_index(drop=True)

    if (table := tables.get("CIS_CIP_bdpm.txt")) is not None:
        df = table.frame
        _missing_cis(table, known_cis, warnings)
        rates = split_multi(df["reimbursement_rates"]).map(
            lambda items: [item.replace(" ", "") for item in items]
        )
        frame = pd.DataFrame(
            {
                "cip13": _text(df["cip13"]),
                "cip7": _text(df["cip7"]),
                "speciality_id": _text(df["cis"]),
                "label": _text(df["label"]),
                "administrative_status": _text(df["administrative_status"]),
                "marketing_status": _text(df["marketing_status"]),
                "marketing_date": _dates(table, "marketing_date", "%d/%m/%Y", warnings),
                "hospital_approval": _text(df["hospital_approval"]),
                "reimbursement_rates": rates,
                "price": _prices(table, "price", warnings),
                "price_with_fee": _prices(table, "price_with_fee", warnings),
                "dispensing_fee": _prices(table, "dispensing_fee", warnings),
                "reimbursement_text": _text(df["reimbursement_text"]),
            },
            index=df.index,
        )
        hashed = [column for column in frame.columns if column != "cip13"]
        snapshot.entities["presentations"] = _entity(
            "presentations", "cip13", frame, hashed, table.file, warnings
        )

    if (table := tables.get("CIS_COMPO_bdpm.txt")) is not None:
        df = table.frame
        _missing_cis(table, known_cis, warnings)
        link = pd.to_numeric(df["link_number"], errors="coerce")
        frame = pd.DataFrame(
            {
                "speciality_id": _text(df["cis"]),
                "pharmaceutical_element": _text(df["pharmaceutical_element"]),
                "substance_id": _text(df["substance_code"]),
                "substance_name": _text(df["substance_name"]),
                "dosage": _text(df["dosage"]),
                "dosage_reference": _text(df["dosage_reference"]),
                "component_nature": _text(df["component_nature"]),
                "link_number": [None if pd.isna(v) else int(v) for v in link],
            },
            index=df.index,
        )
        key_columns = [
            "speciality_id",
            "pharmaceutical_element",
            "substance_id",
            "component_nature",
            "link_number",
        ]
        frame["row_key"] = key_hashes(frame, key_columns)
        hashed = ["substance_name", "dosage", "dosage_reference"]
        snapshot.entities["compositions"] = _entity(
            "compositions", "row_key", frame, hashed, table.file, warnings
        )
        names = frame[["substance_id", "substance_name"]]
        counts = names.value_counts().reset_index(name="n")
        counts = counts.sort_values(
            ["substance_id", "n", "substance_name"], ascending=[True, False, True]
        )
        best = counts.drop_duplicates("substance_id")
        variants = counts.groupby("substance_id")["substance_name"].agg(list)
        snapshot.substances = pd.DataFrame(
            {
                "code": best["substance_id"].to_numpy(),
                "name": best["substance_name"].to_numpy(),
                "name_variants": [
                    [v for v in variants[code] if v != name]
                    for code, name in zip(
                        best["substance_id"], best["substance_name"], strict=True
                    )
                ],
            }
        )

    if (table := tables.get("CIS_GENER_bdpm.txt")) is not None:
        df = table.frame
        groups = pd.DataFrame(
            {"group_id": _text(df["group_id"]), "label": _text(df["group_label"])},
            index=df.index,
        )
        # One line per member: each group's label repeats, that is expected.
        snapshot.entities["generic_groups"] = _entity(
            "generic_groups", "group_id", groups, ["label"], table.file, None
        )
        sort_order = pd.to_numeric(df["sort_order"], errors="coerce").fillna(0)
        members = pd.DataFrame(
            {
                "group_id": _text(df["group_id"]),
                "speciality_id": _text(df["cis"]),
                "generic_type": pd.to_numeric(df["generic_type"], errors="coerce")
                .fillna(1)
                .astype(int),
                "sort_order": sort_order.astype(int),
            },
            index=df.index,
        )
        members["row_key"] = key_hashes(members, ["group_id", "speciality_id"])
        snapshot.entities["generic_members"] = _entity(
            "generic_members",
            "row_key",
            members,
            ["generic_type", "sort_order"],
            table.file,
            warnings,
        )

    if (table := tables.get("CIS_CPD_bdpm.txt")) is not None:
        df = table.frame
        _missing_cis(table, known_cis, warnings)
        frame = pd.DataFrame(
            {"speciality_id": _text(df["cis"]), "condition": _text(df["condition"])},
            index=df.index,
        )
        frame["row_key"] = key_hashes(frame, ["speciality_id", "condition"])
        snapshot.entities["conditions"] = _entity(
            "conditions", "row_key", frame, ["condition"], table.file, warnings
        )

    if (table := tables.get("CIS_CIP_Dispo_Spec.txt")) is not None:
        df = table.frame
        _missing_cis(table, known_cis, warnings)
        frame = pd.DataFrame(
            {
                "speciality_id": _text(df["cis"]),
                "cip13": _text(df["cip13"]),
                "status": pd.to_numeric(df["status_code"], errors="coerce")
                .fillna(0)
                .astype(int),
                "status_label": _text(df["status_label"]),
                "start_date": _dates(table, "start_date", "%d/%m/%Y", warnings),
                "update_date": _dates(table, "update_date", "%d/%m/%Y", warnings),
                "return_date": _dates(table, "return_date", "%d/%m/%Y", warnings),
                "link": _text(df["ansm_url"]),
            },
            index=df.index,
        )
        frame["row_key"] = key_hashes(
            frame, ["speciality_id", "cip13", "status", "start_date"]
        )
        hashed = ["status_label", "update_date", "return_date", "link"]
        snapshot.entities["availability"] = _entity(
            "availability", "row_key", frame, hashed, table.file, warnings
        )

    if (table := tables.get("CIS_MITM.txt")) is not None:
        df = table.frame
        _missing_cis(table, known_cis, warnings)
        frame = pd.DataFrame(
            {
                "speciality_id": _text(df["cis"]),
                "atc_code": _text(df["atc_code"]).str.upper(),
                "name": _text(df["name"]),
                "link": _text(df["bdpm_url"]),
            },
            index=df.index,
        )
        snapshot.entities["mitm"] = _entity(
            "mitm",
            "speciality_id",
            frame,
            ["atc_code", "name", "link"],
            table.file,
            warnings,
        )

    opinions = []
    for file_name, kind, value_column, label_column in (
        ("CIS_HAS_SMR_bdpm.txt", "SMR", "smr_value", "smr_label"),
        ("CIS_HAS_ASMR_bdpm.txt", "ASMR", "asmr_value", "asmr_label"),
    ):
        if (table := tables.get(file_name)) is None:
            continue
        df = table.frame
        opinions.append(
            pd.DataFrame(
                {
                    "speciality_id": _text(df["cis"]),
                    "kind": kind,
                    "has_file_code": _text(df["has_file_code"]),
                    "evaluation_reason": _text(df["evaluation_reason"]),
                    "opinion_date": _dates(table, "opinion_date", "%Y%m%d", warnings),
                    "value": _text(df[value_column]),
                    "label": _text(df[label_column]),
                },
                index=df.index,
            )
        )
    if opinions:
        frame = pd.concat(opinions, ignore_index=True)
        frame["row_key"] = key_hashes(
            frame,
            [
                "speciality_id",
                "kind",
                "has_file_code",
                "opinion_date",
                "evaluation_reason",
            ],
        )
        snapshot.entities["has_opinions"] = _entity(
            "has_opinions", "row_key", frame, ["value", "label"], "CIS_HAS_*", warnings
        )
    return snapshot


def atc_level(code: str) -> int | None:
    """ATC level from the code's length (A, A10, A10B, A10BA, A10BA02)."""
    return {1: 1, 3: 2, 4: 3, 5: 4, 7: 5}.get(len(code))


_PARENT_LENGTH = {3: 1, 4: 3, 5: 4, 7: 5}


def atc_parent(code: str) -> str | None:
    """The code of the level above, or None for a level-1 class."""
    length = _PARENT_LENGTH.get(len(code))
    return code[:length] if length else None


def atc_frame(
    labels: Mapping[str, str], extra_codes: Iterable[str] = ()
) -> pd.DataFrame:
    """The ATC tree (code, level, label, parent_id) from French labels, completed
    with the codes used elsewhere (MITM) and their missing ancestors."""
    codes: dict[str, str] = {}
    for code, label in labels.items():
        clean = code.strip().upper()
        if atc_level(clean):
            codes[clean] = " ".join(str(label).split())
    pending = [c.strip().upper() for c in extra_codes if atc_level(c.strip().upper())]
    for code in [*codes, *pending]:
        current: str | None = code
        while current and current not in codes:
            codes[current] = ""
            current = atc_parent(current)
        parent = atc_parent(code)
        while parent and parent not in codes:
            codes[parent] = ""
            parent = atc_parent(parent)
    frame = pd.DataFrame(
        {
            "code": list(codes),
            "label": [
                codes[c][:1].upper() + codes[c][1:] if codes[c] else "" for c in codes
            ],
        }
    )
    frame["level"] = frame["code"].map(atc_level)
    frame["parent_id"] = frame["code"].map(atc_parent)
    return frame.sort_values("code").reset_index(drop=True)
