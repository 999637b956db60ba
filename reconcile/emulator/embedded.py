"""The `embedded` target: the emulator served in-process on a local SQLite file.

`open_embedded()` gives an httpx transport over the ASGI app, so every command works
on a fresh machine without a server or a token; the database lives in
`.reconcile/embedded.sqlite3` (git-ignored) and is seeded with the demo tenant
(`demo_seed.yaml`) the first time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import httpx
import yaml

from reconcile.emulator.app import create_app
from reconcile.emulator.config import READ, WRITE, EmulatorConfig
from reconcile.emulator.seed import parse_seed
from reconcile.emulator.store import Store
from reconcile.state_dir import STATE_DIR

DB_NAME = "embedded.sqlite3"
BASE_URL = "http://embedded/scim/v2"


def demo_seed_text() -> str:
    return resources.files("reconcile.emulator").joinpath("demo_seed.yaml").read_text("utf-8")


@dataclass(frozen=True, slots=True)
class EmbeddedTarget:
    transport: httpx.AsyncBaseTransport
    base_url: str
    token: str = field(repr=False)
    db_path: Path


def _seed_if_new(store: Store) -> None:
    with store.locked():
        if store.count_users() or store.count_groups():
            return
        seed = parse_seed(yaml.safe_load(demo_seed_text()), source="demo_seed.yaml")
        store.seed(
            users=seed.store_users(),
            groups=seed.store_groups(),
            foreign_accounts=seed.foreign_accounts,
        )


def open_embedded(*, state_dir: Path = STATE_DIR) -> EmbeddedTarget:
    """The demo tenant on `state_dir/embedded.sqlite3`, seeded on first use."""
    state_dir.mkdir(parents=True, exist_ok=True)
    ignore = state_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    # A fresh random token per process: nothing to configure, nothing to leak.
    token = secrets.token_urlsafe(24)
    db_path = state_dir / DB_NAME
    app = create_app(EmulatorConfig(tokens={token: frozenset({READ, WRITE})}, db_path=str(db_path)))
    _seed_if_new(app.state.emulator.store)
    return EmbeddedTarget(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE_URL,
        token=token,
        db_path=db_path,
    )
