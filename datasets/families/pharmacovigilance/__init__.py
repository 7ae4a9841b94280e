"""The pharmacovigilance family (cases of suspected adverse effects declared in
France). Its cleaning rules come first (``rules``, pure); the family's schema,
its multi-table extract and its public sections register it later (#15)."""
