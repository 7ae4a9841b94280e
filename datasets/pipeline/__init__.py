"""Pure, vectorised cleaning steps on pandas frames (no Django imports)."""
