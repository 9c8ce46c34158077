"""The YAML indicator library: models of the format, the safe loader, formulas, validation rules."""
