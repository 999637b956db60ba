"""`reconcile emulator serve`: the TeamViewer SCIM emulator on a real HTTP server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import typer

from reconcile.cli.app import app
from reconcile.cli.common import fail, stderr
from reconcile.emulator.config import READ, WRITE, ConfigError, EmulatorConfig, Faults

emulator_app = typer.Typer(
    name="emulator",
    help="The TeamViewer SCIM emulator (tests, demos, benchmarks).",
    no_args_is_help=True,
)
app.add_typer(emulator_app, name="emulator")


def _load_tokens(path: Path) -> dict[str, frozenset[str]]:
    """A YAML/JSON mapping token -> list of scopes (read, write)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        fail(
            f"{path}: cannot read the tokens file ({type(exc).__name__}); expected a mapping"
            " token -> [read, write]"
        )
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
        for k, v in data.items()
    ):
        fail(f"{path}: the tokens file must map each token to a list of scopes (read, write)")
    return {k: frozenset(v) for k, v in data.items()}


@emulator_app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8080, min=0, max=65535, help="Port to bind (0 = any free port)."),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite file (kept across restarts); in memory when omitted."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="RECONCILE_EMULATOR_TOKEN",
        help="A bearer token with read and write scope (or set RECONCILE_EMULATOR_TOKEN).",
        show_default=False,
    ),
    tokens_file: Path | None = typer.Option(
        None, "--tokens-file", help="YAML/JSON mapping each token to its scopes (read, write)."
    ),
    seed: Path | None = typer.Option(
        None,
        "--seed",
        help="YAML/JSON seed (users, groups, foreign_accounts); loaded into an empty database.",
    ),
    latency_ms: float = typer.Option(0.0, "--latency-ms", help="Fixed delay per request."),
    jitter_ms: float = typer.Option(0.0, "--jitter-ms", help="Extra random delay 0..N ms."),
    rate_limit: float | None = typer.Option(
        None, "--rate-limit", help="Requests per second before 429 + Retry-After."
    ),
    rate_limit_burst: int = typer.Option(1, "--rate-limit-burst", help="Token bucket size."),
    error_rate: float = typer.Option(0.0, "--error-rate", help="Probability of a 503."),
    drop_rate: float = typer.Option(
        0.0,
        "--drop-rate",
        help="Probability that a write is committed, then the connection dropped.",
    ),
    slow_page_ms: float = typer.Option(0.0, "--slow-page-ms", help="Extra delay per list page."),
    max_page_size: int = typer.Option(
        1000, "--max-page-size", help="Most resources per list page."
    ),
    max_patch_operations: int = typer.Option(
        1000, "--max-patch-operations", help="Most operations (member values) per PATCH."
    ),
    max_create_members: int | None = typer.Option(
        None,
        "--max-create-members",
        help="Most members one group create (POST) or replace (PUT) may carry; default: no limit.",
    ),
    list_order: str = typer.Option(
        "creation",
        "--list-order",
        help="Order of list answers: creation (like TeamViewer) or name (test the re-read path).",
    ),
    rfc_strict: bool = typer.Option(
        False, "--rfc-strict", help="Plain RFC 7644: user DELETE, all PATCH ops, all filters."
    ),
    tls_cert: Path | None = typer.Option(
        None,
        "--tls-cert",
        dir_okay=False,
        metavar="FILE",
        help="Serve HTTPS with this PEM certificate chain (with --tls-key).",
    ),
    tls_key: Path | None = typer.Option(
        None, "--tls-key", dir_okay=False, metavar="FILE", help="The private key of --tls-cert."
    ),
) -> None:
    """Serve the emulator: SCIM at http(s)://HOST:PORT/scim/v2, control API at /_emulator."""
    import uvicorn  # only when serving: every other command starts without it

    from reconcile.emulator.app import create_app
    from reconcile.emulator.seed import SeedFileError, load_seed_file
    from reconcile.emulator.store import SeedError

    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together: pass both to serve HTTPS, or neither")
    tokens: dict[str, frozenset[str]] = {}
    if tokens_file is not None:
        tokens.update(_load_tokens(tokens_file))
    if token:
        tokens[token] = frozenset({READ, WRITE})
    if not tokens:
        fail("no token: pass --token TOKEN (or RECONCILE_EMULATOR_TOKEN) or --tokens-file FILE")
    try:
        config = EmulatorConfig(
            tokens=tokens,
            db_path=str(db) if db is not None else None,
            rfc_strict=rfc_strict,
            max_page_size=max_page_size,
            max_patch_operations=max_patch_operations,
            max_create_members=max_create_members,
            list_order=list_order,
            faults=Faults(
                latency_ms=latency_ms,
                jitter_ms=jitter_ms,
                rate_limit_rps=rate_limit,
                rate_limit_burst=rate_limit_burst,
                error_rate=error_rate,
                drop_rate=drop_rate,
                slow_page_ms=slow_page_ms,
            ),
        )
    except ConfigError as exc:
        fail(f"{exc}; see `reconcile emulator serve --help`")
    asgi = create_app(config)
    store = asgi.state.emulator.store
    if seed is not None:
        try:
            data = load_seed_file(seed)
            with store.locked():
                if store.count_users() or store.count_groups():
                    stderr.print(f"note: {db} already holds data; --seed {seed} not loaded")
                else:
                    counts = store.seed(
                        users=data.store_users(),
                        groups=data.store_groups(),
                        foreign_accounts=data.foreign_accounts,
                    )
                    stderr.print(f"seeded {counts}", highlight=False)
        except (SeedFileError, SeedError) as exc:
            fail(str(exc))
    # Bind here, not in uvicorn: a busy port is a one-line error (uvicorn exits 3, our
    # "refused" code), and with --port 0 the announced URL carries the real port.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        store.close()
        fail(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port or --host")
    bound_port = sock.getsockname()[1]
    mode = "RFC 7644 strict" if rfc_strict else "TeamViewer"
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    scheme = "http" if tls_cert is None else "https"
    stderr.print(
        f"emulator ({mode} mode) on {scheme}://{shown}:{bound_port}/scim/v2, control API at "
        "/_emulator",
        highlight=False,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            asgi,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_certfile=None if tls_cert is None else str(tls_cert),
            ssl_keyfile=None if tls_key is None else str(tls_key),
        )
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
