"""The `reconcile` command line: commands, options and exit codes, nothing else.

Each command lives in its own module and registers itself on `app`.
"""

import sys

import typer
from typer import rich_utils

from reconcile.cli import apply as _apply  # noqa: F401  (registers commands)
from reconcile.cli import emulator as _emulator  # noqa: F401  (registers commands)
from reconcile.cli import expiring as _expiring  # noqa: F401  (registers commands)
from reconcile.cli import importer as _importer  # noqa: F401  (registers commands)
from reconcile.cli import plan as _plan  # noqa: F401  (registers commands)
from reconcile.cli import report as _report  # noqa: F401  (registers commands)
from reconcile.cli import snapshot as _snapshot  # noqa: F401  (registers commands)
from reconcile.cli import tenants as _tenants  # noqa: F401  (registers commands)
from reconcile.cli import validate as _validate  # noqa: F401  (registers commands)
from reconcile.cli.app import app
from reconcile.cli.common import ExitCode, stderr

# Options of `reconcile` itself: given after a command, click only says "No such option".
_ROOT_OPTIONS = frozenset({"-v", "--verbose", "--debug"})  # -vv is read as -v twice


def main() -> None:
    """Run the CLI; a usage error (unknown option, bad value) exits 1, not click's 2.

    Exit code 2 means "changes or drift pending" here: a mistyped option in a CI step
    running `plan --detailed-exitcode` must not read as pending changes.
    """
    command = typer.main.get_command(app)
    try:
        code = command.main(standalone_mode=False, prog_name="reconcile")
    except typer.TyperException as exc:  # click's UsageError and friends
        # typer vendors click, so its NoSuchOption is told by its `option_name`
        option = getattr(exc, "option_name", None)
        if option in _ROOT_OPTIONS and isinstance(getattr(exc, "message", None), str):
            ctx = getattr(exc, "ctx", None)
            name = getattr(ctx, "info_name", None) or "plan"
            exc.message += f" ({option} goes before the command: reconcile {option} {name} ...)"
        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]  # a click exception
        sys.exit(int(ExitCode.ERROR))
    except typer.Abort:
        stderr.print("aborted", markup=False)
        sys.exit(int(ExitCode.ERROR))
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
