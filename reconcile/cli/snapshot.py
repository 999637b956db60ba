"""`reconcile snapshot`: the live state to a JSON file, for planning without credentials."""

from __future__ import annotations

from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import stderr
from reconcile.cli.live_options import CA_BUNDLE, PROFILE, TARGET, TOKEN_FILE, cli_errors, read_live
from reconcile.live.profiles import Profile
from reconcile.live.snapshot import write_snapshot


@app.command()
def snapshot(
    out: Path = typer.Option(
        ...,
        "--out",
        dir_okay=False,
        metavar="FILE",
        help="Write the snapshot here (deterministic JSON, no secrets).",
    ),
    target: str | None = TARGET,
    profile: Profile = PROFILE,
    token_file: Path | None = TOKEN_FILE,
    ca_bundle: Path | None = CA_BUNDLE,  # read by open_client (see live_options)
) -> None:
    """Write the complete live state to FILE; `plan`/`drift --live FILE` read it."""
    live, label = read_live(target=target, live_file=None, profile=profile, token_file=token_file)
    with cli_errors():
        write_snapshot(live, out, target_label=label)
    memberships = sum(len(g.member_ids) for g in live.groups)
    stderr.print(
        f"wrote {len(live.users)} users, {len(live.groups)} groups and {memberships} "
        f"memberships from {label} to {out}",
        highlight=False,
        markup=False,
    )
