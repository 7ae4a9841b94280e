"""The medication-errors family (errors reported to the agency, with or without
an adverse effect). Its cleaning rules come first (``rules``, pure); its schema
and public sections register it later (#15)."""
