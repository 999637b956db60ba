"""Where a saved plan's desired state is: recorded by `plan --out`, found by `apply --plan`.

The folder is recorded relative to the working directory (as POSIX text), so a plan made
in a CI job's checkout applies from any other checkout of the same repository, wherever
it lies on disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from reconcile.cli.common import fail
from reconcile.cli.live_options import cli_errors
from reconcile.plan import Plan
from reconcile.plan.wire import plan_from_json

DEFAULT_DESIRED: Final = Path("desired_state")


def recorded_path(path: Path) -> str:
    """`path` as the plan records it: relative to the working directory when possible."""
    absolute = path.resolve()
    try:
        return Path(os.path.relpath(absolute, Path.cwd())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return absolute.as_posix()


def desired_path_for_apply(*, path: Path | None, plan_file: Path | None) -> Path:
    """PATH when given; else, with `--plan`, the folder the plan records; else the default.

    A folder that does not exist ends the command with what to do: `apply --plan` plans
    again from the desired state to check that the saved plan is still current (R21).
    """
    if plan_file is None:
        return path or DEFAULT_DESIRED
    if path is not None:
        if not path.exists():
            fail(
                f"{path} not found: `apply --plan` plans again from the desired state to "
                "check that the saved plan is still current (R21); pass the desired-state "
                "folder as PATH"
            )
        return path
    recorded = _read(plan_file).desired_state
    if recorded is None:  # a plan saved before plans recorded their folder
        return desired_path_for_apply(path=DEFAULT_DESIRED, plan_file=plan_file)
    found = Path(recorded)
    if not found.exists():
        fail(
            f"the desired state {recorded} that {plan_file} was made from is not found "
            f"(the path is relative to the directory `reconcile plan` ran in): run apply "
            "from that directory, or pass the desired-state folder as PATH; `apply --plan` "
            "plans again from it to check that the saved plan is still current (R21)"
        )
    return found


def _read(plan_file: Path) -> Plan:
    try:
        text = plan_file.read_bytes()
    except OSError as exc:
        fail(f"cannot read the plan file {plan_file} ({exc.strerror}); check --plan")
    with cli_errors():
        saved = plan_from_json(text)
    return saved
