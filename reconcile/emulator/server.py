"""Serving an ASGI app with uvicorn in a background thread (tests, benchmarks, demos)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFiles:
    """A PEM certificate chain and its private key: the server then speaks HTTPS only."""

    certfile: Path
    keyfile: Path


class ServerStartError(RuntimeError):
    """uvicorn did not come up (port taken, bad host); the message says which."""


@contextmanager
def serve_in_thread(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    tls: TlsFiles | None = None,
) -> Iterator[str]:
    """Run `app` on host:port (0 = a free port) and yield its origin `http://host:PORT`
    (`https://` with `tls`)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        ssl_certfile=None if tls is None else str(tls.certfile),
        ssl_keyfile=None if tls is None else str(tls.keyfile),
    )
    server = uvicorn.Server(config)
    # uvicorn installs no signal handlers outside the main thread, so Ctrl+C stays ours.
    thread = threading.Thread(target=server.run, name=f"emulator-{host}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=2)
            raise ServerStartError(f"the emulator could not start on {host}:{port}")
        time.sleep(0.005)
    sockets = [s for srv in server.servers for s in srv.sockets]
    bound_port = sockets[0].getsockname()[1]
    try:
        yield f"{'http' if tls is None else 'https'}://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
