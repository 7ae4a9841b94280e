"""Services that write datasets, one module per sub-domain: uploads, mapping
profiles, versions, their cleaning and loading, match decisions, and the whole
path of one file for commands. Callers import them from here."""

from __future__ import annotations

from datasets.services.common import (
    max_uncompressed_bytes,
    max_upload_bytes,
    quoted,
)
from datasets.services.decisions import (
    match_decide,
    version_rematch,
    version_rematch_enqueue,
)
from datasets.services.extracts import extract_create, extract_mapping_suggest
from datasets.services.ingest import (
    extract_ingest,
    extract_ingest_parts,
    extract_upload,
)
from datasets.services.loading import version_clean
from datasets.services.mappings import (
    mapping_latest,
    mapping_missing_message,
    mapping_presets_ensure,
    mapping_save,
    mapping_suggest,
)
from datasets.services.uploads import (
    upload_create,
    upload_profile,
    upload_profile_enqueue,
)
from datasets.services.versions import (
    version_clean_enqueue,
    version_create,
    version_delete,
    version_reclean,
    version_require_editable,
    version_revision_record,
)

__all__ = [
    "extract_create",
    "extract_ingest",
    "extract_ingest_parts",
    "extract_mapping_suggest",
    "extract_upload",
    "mapping_latest",
    "mapping_missing_message",
    "mapping_presets_ensure",
    "mapping_save",
    "mapping_suggest",
    "match_decide",
    "max_uncompressed_bytes",
    "max_upload_bytes",
    "quoted",
    "upload_create",
    "upload_profile",
    "upload_profile_enqueue",
    "version_clean",
    "version_clean_enqueue",
    "version_create",
    "version_delete",
    "version_reclean",
    "version_rematch",
    "version_rematch_enqueue",
    "version_require_editable",
    "version_revision_record",
]
