"""Shared fixtures: the SCIM emulator on a real HTTP server on 127.0.0.1.

`emulator`: a TeamViewer-mode emulator, empty, default faults, fresh request log (one
server per test session, reset before each test: fast). `emulator_factory(**overrides)`:
a dedicated server with other `EmulatorConfig` settings (rfc_strict, max_page_size,
max_patch_operations, faults, db_path), stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette

from reconcile.emulator.app import create_app
from reconcile.emulator.config import READ, WRITE, EmulatorConfig, Faults
from reconcile.emulator.control_client import ControlClient
from reconcile.emulator.server import serve_in_thread

# Test-only tokens for a loopback server; not secrets.
WRITE_TOKEN = "test-token-read-write"
READ_TOKEN = "test-token-read-only"
TOKENS = {WRITE_TOKEN: frozenset({READ, WRITE}), READ_TOKEN: frozenset({READ})}


@dataclass
class RunningEmulator:
    """A served emulator: `url` is the SCIM base (.../scim/v2), `origin` the server root."""

    url: str
    origin: str
    token: str = field(repr=False)
    read_token: str = field(repr=False)
    control: ControlClient
    app: Starlette = field(repr=False)
    config: EmulatorConfig

    def headers(self, *, read_only: bool = False) -> dict[str, str]:
        token = self.read_token if read_only else self.token
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def run_emulator(**overrides: Any) -> Iterator[RunningEmulator]:
    """Serve a new emulator app; `overrides` are EmulatorConfig fields."""
    overrides.setdefault("tokens", TOKENS)
    config = EmulatorConfig(**overrides)
    app = create_app(config)
    with serve_in_thread(app) as origin:
        control = ControlClient(origin=origin, token=WRITE_TOKEN)
        try:
            yield RunningEmulator(
                url=f"{origin}/scim/v2",
                origin=origin,
                token=WRITE_TOKEN,
                read_token=READ_TOKEN,
                control=control,
                app=app,
                config=config,
            )
        finally:
            control.close()
            app.state.emulator.store.close()


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[RunningEmulator]:
    with run_emulator() as emu:
        yield emu


@pytest.fixture
def emulator(_shared_emulator: RunningEmulator) -> RunningEmulator:
    """An empty TeamViewer-mode emulator with default faults and an empty request log."""
    emu = _shared_emulator
    emu.control.set_faults(**Faults().as_dict())
    emu.control.reset()
    emu.control.clear_requests()
    return emu


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., RunningEmulator]]:
    """`emulator_factory(rfc_strict=True, max_page_size=2, faults=Faults(...))`."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> RunningEmulator:
            return stack.enter_context(run_emulator(**overrides))

        yield make
