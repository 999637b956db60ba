"""`${VAR}` and `${VAR:-default}` references in string values, resolved at load time.

Secrets stay out of git: a value such as `${TEAMVIEWER_SSO_CUSTOMER_ID}` is read from the
environment when the files are loaded. `$${` writes a literal `${`. Resolved values are
never echoed in messages (they may be secret); only variable names are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# `$${` (escape) | `${NAME}` | `${NAME:-default}` | a malformed `${...`
_REFERENCE = re.compile(
    r"\$\$\{|\$\{(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bad>[^}]*\}?))"
)


class EnvError(ValueError):
    """A reference that cannot be resolved; the message names the variable, never a value."""


def resolve_env(value: str, *, environ: Mapping[str, str]) -> str:
    """Return `value` with every reference replaced; raise EnvError for the first bad one."""
    if "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group("name")
        if name is None:
            raise EnvError(
                f"malformed variable reference '${{{match.group('bad') or ''}': "
                "write ${NAME} or ${NAME:-default} (NAME: letters, digits, _), "
                "or $${ for a literal ${"
            )
        default = match.group("default")
        current = environ.get(name)
        if default is not None:
            # Shell semantics: `:-` also applies when the variable is set but empty.
            return current if current else default
        if current is None:
            raise EnvError(
                f"environment variable {name} is not set: export it, "
                f"or give a default with ${{{name}:-default}}"
            )
        return current

    return _REFERENCE.sub(substitute, value)
