"""The usage family (Open Medic: patients treated per presentation, year, sex and
age class). Its rules come first (``rules``, pure); its schema and public
sections register it later (#15)."""
