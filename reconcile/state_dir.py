"""The working-state folder, `.reconcile/` in the current directory (git-ignored).

It holds the embedded emulator's database (`embedded.sqlite3`), the audit log
(`audit.jsonl`) and the apply lock (`apply.lock`). Every module names it through
`STATE_DIR`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

STATE_DIR: Final = Path(".reconcile")
