"""Desired state: YAML loading, strict schema, validation with FILE:LINE:COLUMN errors.

    load_desired(path) -> LoadResult(desired, warnings, files)   or DesiredStateError
    json_schema()      -> the JSON Schema of one YAML file (for editors, `reconcile schema`)

Modules, in pipeline order: yaml_reader (strict YAML with positions, env.py for ${VAR}),
schema (pydantic models), errors_map (pydantic errors -> diagnostics), rules (cross-file
checks and the merge), loader (files in, `Desired` out), model (the result types).
"""

from reconcile.desired.diagnostics import DesiredStateError, Diagnostic
from reconcile.desired.loader import LoadResult, load_desired
from reconcile.desired.model import (
    Desired,
    DesiredGroup,
    DesiredUser,
    GroupState,
    Location,
    Safety,
    Tenant,
    UnmanagedUsers,
)
from reconcile.desired.schema import json_schema

__all__ = [
    "Desired",
    "DesiredGroup",
    "DesiredStateError",
    "DesiredUser",
    "Diagnostic",
    "GroupState",
    "LoadResult",
    "Location",
    "Safety",
    "Tenant",
    "UnmanagedUsers",
    "json_schema",
    "load_desired",
]
