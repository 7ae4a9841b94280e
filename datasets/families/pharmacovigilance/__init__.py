"""Family ``pharmacovigilance``: cases of suspected adverse effects declared in
France. Its cleaning rules (``rules``, ``cleaning``, ``substances``), records
(``records``) and tables (``tables``) are pure; its schema registers itself
when this package's ``schema`` module is imported (``load_families``)."""
