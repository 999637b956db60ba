"""Desired state: YAML loading, strict schema, validation with FILE:LINE:COLUMN errors."""
