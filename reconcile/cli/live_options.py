"""Options and helpers shared by every command that talks to a SCIM service.

    @app.command()
    def plan(target: str | None = TARGET, profile: Profile = PROFILE,
             token_file: Path | None = TOKEN_FILE, live_file: Path | None = LIVE_FILE) -> None:
        live, label = read_live(target=target, live_file=live_file, profile=profile,
                                token_file=token_file)

The proxy comes from HTTPS_PROXY / ALL_PROXY / NO_PROXY and the trusted CAs from
`--ca-bundle`, else SSL_CERT_FILE / SSL_CERT_DIR (see reconcile.live.network).

Target resolution: `--target URL`, else `RECONCILE_TARGET`, else `embedded` - the demo
emulator in-process on `.reconcile/embedded.sqlite3`, announced first on stderr so nobody
mistakes it for TeamViewer. The token comes from `--token-file` or `TEAMVIEWER_TOKEN`,
never from an argument, and is never printed; the embedded target brings its own.
"""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Final

import typer

from reconcile.cli.app import state
from reconcile.cli.common import fail, stderr
from reconcile.cli.progress import fetching
from reconcile.desired.model import Desired
from reconcile.errors import ReconcileError
from reconcile.live.client import PatchLimits, ScimClient
from reconcile.live.discovery import ServiceFacts, discover
from reconcile.live.errors import ConfigurationError
from reconcile.live.fetch import fetch_live
from reconcile.live.model import Live
from reconcile.live.network import CA_BUNDLE_ENV, NetworkSettings
from reconcile.live.profiles import Profile
from reconcile.live.secret import Secret
from reconcile.live.snapshot import read_snapshot
from reconcile.state_dir import STATE_DIR

TARGET_ENV: Final = "RECONCILE_TARGET"
TOKEN_ENV: Final = "TEAMVIEWER_TOKEN"
RATE_LIMIT_ENV: Final = "RECONCILE_RATE_LIMIT"
EMBEDDED: Final = "embedded"
EMBEDDED_STATE_DIR: Final = STATE_DIR

TARGET = typer.Option(
    None,
    "--target",
    envvar=TARGET_ENV,
    show_envvar=True,
    metavar="URL",
    help="SCIM base URL, e.g. https://webapi.teamviewer.com/scim/v2, or 'embedded' "
    "(the demo emulator, the default when neither --target nor RECONCILE_TARGET is set).",
)
PROFILE = typer.Option(
    Profile.TEAMVIEWER.value,
    "--profile",
    case_sensitive=False,
    help="What the service supports: teamviewer (no e-mail filter, replace-only user "
    "PATCH, no user DELETE) or rfc7644 (a standard SCIM 2.0 service; its "
    "/ServiceProviderConfig and /ResourceTypes are read first, see docs/interop.md).",
)
TOKEN_FILE = typer.Option(
    None,
    "--token-file",
    dir_okay=False,
    metavar="FILE",
    help="Read the bearer token from FILE instead of the TEAMVIEWER_TOKEN variable.",
)
LIVE_FILE = typer.Option(
    None,
    "--live",
    dir_okay=False,
    metavar="FILE",
    help="Read the live state from a snapshot (reconcile snapshot --out FILE) instead of "
    "the service: no token needed.",
)
RATE_LIMIT = typer.Option(
    None,
    "--rate-limit",
    envvar=RATE_LIMIT_ENV,
    min=0.1,
    metavar="RPS",
    help="At most this many requests per second (lowered automatically after a 429).",
)
RATE_LIMIT_BURST = typer.Option(
    1,
    "--rate-limit-burst",
    min=1,
    max=100,
    metavar="N",
    help="Requests the service's rate limit lets through at once (its bucket size). "
    "Up to half of them are saved up while idle (between phases) to catch up; 1 spaces "
    "every request.",
)


def _remember_ca_bundle(value: Path | None) -> Path | None:
    # Every command declares the option, and open_client() reads it from here, so it
    # need not be passed down through each command's layers.
    state.ca_bundle = value
    return value


CA_BUNDLE = typer.Option(
    None,
    "--ca-bundle",
    envvar=CA_BUNDLE_ENV,
    show_envvar=True,
    dir_okay=False,
    metavar="FILE",
    callback=_remember_ca_bundle,
    help="Trust the CA certificates in this PEM file (a private CA, a TLS-inspecting "
    "proxy) instead of SSL_CERT_FILE / SSL_CERT_DIR or the default list. The proxy comes "
    "from HTTPS_PROXY / ALL_PROXY / NO_PROXY.",
)


def is_embedded(target: str | None) -> bool:
    return target is None or target.strip() in {"", EMBEDDED}


def read_token(token_file: Path | None) -> Secret:
    """The token from --token-file, else TEAMVIEWER_TOKEN; a ConfigurationError if neither."""
    if token_file is not None:
        try:
            value = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read the token file {token_file} ({exc.strerror or 'unreadable'}); "
                "check --token-file"
            ) from exc
        if not value:
            raise ConfigurationError(f"the token file {token_file} is empty; check --token-file")
        return Secret(value)
    value = os.environ.get(TOKEN_ENV, "").strip()
    if not value:
        raise ConfigurationError(
            f"no token: set {TOKEN_ENV} or pass --token-file (a TeamViewer script token "
            "with the Users scopes)"
        )
    return Secret(value)


def announce_embedded(db_path: Path) -> None:
    stderr.print(
        f"note: target is the embedded demo emulator ({db_path}), not TeamViewer",
        highlight=False,
        markup=False,
    )


@asynccontextmanager
async def open_client(
    *,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    rate_limit_rps: float | None = None,
    rate_limit_burst: int = 1,
    max_concurrency: int = 8,
    max_members_per_request: int | None = None,
) -> AsyncIterator[ScimClient]:
    """An open ScimClient for the resolved target (its `.label` names it for humans)."""
    limits = (
        PatchLimits()
        if max_members_per_request is None
        else PatchLimits(max_operations=max_members_per_request)
    )
    if is_embedded(target):
        from reconcile.emulator.embedded import open_embedded  # only when it is used

        announce_embedded(EMBEDDED_STATE_DIR / "embedded.sqlite3")
        embedded = open_embedded(state_dir=EMBEDDED_STATE_DIR)
        client = ScimClient(
            base_url=embedded.base_url,
            token=Secret(embedded.token),
            profile=profile,
            transport=embedded.transport,
            rate_limit_rps=rate_limit_rps,
            rate_limit_burst=rate_limit_burst,
            max_concurrency=max_concurrency,
            patch_limits=limits,
            allow_http=True,  # in-process: the requests never leave this process
            label=f"{EMBEDDED} ({embedded.db_path})",
        )
    else:
        assert target is not None
        client = ScimClient(
            base_url=target.strip(),
            token=read_token(token_file),
            profile=profile,
            rate_limit_rps=rate_limit_rps,
            rate_limit_burst=rate_limit_burst,
            max_concurrency=max_concurrency,
            patch_limits=limits,
            network=NetworkSettings(ca_bundle=state.ca_bundle),
        )
    async with client:
        if client.profile is Profile.RFC7644:
            client.use_facts(await discover(client.get_document))  # once per run (see discovery.py)
        yield client


async def fetch_from(
    *,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    desired: Desired | None = None,
) -> tuple[Live, str]:
    live, label, _ = await fetch_with_facts(
        target=target, profile=profile, token_file=token_file, desired=desired
    )
    return live, label


async def fetch_with_facts(
    *,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    desired: Desired | None = None,
) -> tuple[Live, str, ServiceFacts]:
    """The live state, the target's label, and what the service supports."""
    async with open_client(target=target, profile=profile, token_file=token_file) as client:
        with fetching(client.label):
            return await fetch_desired_for(client, desired), client.label, client.facts


async def fetch_desired_for(client: ScimClient, desired: Desired | None) -> Live:
    """The live state; the desired state's size (when known) only speeds up the listing."""
    if desired is None:
        return await fetch_live(client)
    return await fetch_live(
        client, expected_users=len(desired.users), expected_groups=len(desired.groups)
    )


def read_live(
    *,
    target: str | None,
    live_file: Path | None,
    profile: Profile,
    token_file: Path | None,
    desired: Desired | None = None,
) -> tuple[Live, str]:
    """The live state and a label naming where it came from; errors end the command.

    With `--live FILE` the snapshot is read and no service is contacted (no token needed).
    """
    with cli_errors():
        if live_file is not None:
            snap = read_snapshot(live_file)
            return snap.live, f"snapshot {live_file} of {snap.target}"
    live, label, _ = read_live_with_facts(
        target=target, profile=profile, token_file=token_file, desired=desired
    )
    return live, label


def read_live_with_facts(
    *,
    target: str | None,
    profile: Profile,
    token_file: Path | None,
    desired: Desired | None = None,
) -> tuple[Live, str, ServiceFacts]:
    """Like read_live from the service, with what the service supports (for the plan)."""
    with cli_errors():
        return asyncio.run(
            fetch_with_facts(
                target=target, profile=Profile(profile), token_file=token_file, desired=desired
            )
        )


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn a ReconcileError into a one-line error (and exit 1); --debug adds the traceback."""
    try:
        yield
    except ReconcileError as exc:
        if state.debug:
            stderr.print(
                "".join(traceback.format_exception(exc)), highlight=False, markup=False, end=""
            )
        fail(str(exc))
