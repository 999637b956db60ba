"""Servers for the live integration tests: the emulator and scim2-server, on 127.0.0.1:0."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from reconcile.emulator.app import create_app
from reconcile.emulator.config import READ, WRITE, EmulatorConfig
from reconcile.emulator.server import serve_in_thread

TOKEN = "TKN-integration-4f1e-SECRET-9a7b"  # recognisable: tests grep output for it
READ_TOKEN = "TKN-readonly-2c3d-SECRET"


@dataclass
class Emu:
    """One running emulator: its SCIM base URL and a small control-API client."""

    origin: str
    token: str = TOKEN
    app: Any = None  # the emulator's ASGI app, served in this process

    def reseed_faults(self, seed: int) -> None:
        """Make the rolled faults repeatable: a test that must see some 503s, but never
        more in a row than the client retries, picks a seed that does so."""
        self.app.state.emulator.faults.reseed(seed)

    @property
    def base_url(self) -> str:
        return self.origin + "/scim/v2"

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.origin}/_emulator/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def seed(self, **body: Any) -> Any:
        return self._control("POST", "seed", body)

    def state(self) -> dict[str, Any]:
        return dict(self._control("GET", "state"))

    def requests(self) -> dict[str, Any]:
        return dict(self._control("GET", "requests"))

    def clear_requests(self) -> None:
        self._control("DELETE", "requests")

    def set_faults(self, **faults: Any) -> None:
        self._control("PUT", "faults", faults)


@pytest.fixture
def emu_factory() -> Iterator[Callable[..., Emu]]:
    with ExitStack() as stack:

        def start(**overrides: Any) -> Emu:
            config = EmulatorConfig(
                tokens={TOKEN: frozenset({READ, WRITE}), READ_TOKEN: frozenset({READ})},
                **overrides,
            )
            app = create_app(config)
            origin = stack.enter_context(serve_in_thread(app))
            return Emu(origin=origin, app=app)

        yield start


@pytest.fixture
def emu(emu_factory: Callable[..., Emu]) -> Emu:
    return emu_factory()


# --- scim2-server (third-party, RFC 7644) ------------------------------------------------


@dataclass
class Scim2Server:
    base_url: str
    storage: Any  # scim2_server.memory.InMemoryStorage: the server's own dump

    def dump(self) -> list[dict[str, Any]]:
        return [r.model_dump() for r in self.storage.resources]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def scim2_server() -> Iterator[Scim2Server]:
    """scim2-server's own WSGI application (what `scim2-server --bearer-token` runs),
    served on 127.0.0.1 with a free port."""
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.testserver.cli import ThreadingWSGIServer
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    storage = InMemoryStorage()
    application = BearerTokenApplication(
        storage, provider, service=ScimService(provider, secret="s" * 32), bearer_tokens=[TOKEN]
    )
    server = make_server(
        "127.0.0.1", 0, application, server_class=ThreadingWSGIServer, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Scim2Server(base_url=f"http://127.0.0.1:{server.server_port}/v2", storage=storage)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
