"""The emulator over TLS (a certificate from a test CA) and a CONNECT proxy, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from reconcile.emulator.app import create_app
from reconcile.emulator.config import READ, WRITE, EmulatorConfig
from reconcile.emulator.server import TlsFiles, serve_in_thread
from tests.integration.network.connect_proxy import RunningProxy, run_connect_proxy

TOKEN = "TKN-tls-7d2e-SECRET-41aa"  # recognisable: tests look for it in what the proxy saw
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class TlsEmulator:
    url: str  # https://127.0.0.1:PORT/scim/v2
    ca_bundle: Path  # the test CA that signed its certificate
    other_ca_bundle: Path  # a CA that did not


@pytest.fixture(scope="session")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsEmulator]:
    folder = tmp_path_factory.mktemp("tls")
    ca, other = trustme.CA(), trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(certfile=folder / "server.pem", keyfile=folder / "server.key")
    cert.private_key_and_cert_chain_pem.write_to_path(str(files.certfile))
    cert.private_key_pem.write_to_path(str(files.keyfile))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    other.cert_pem.write_to_path(str(folder / "other-ca.pem"))
    app = create_app(EmulatorConfig(tokens={TOKEN: frozenset({READ, WRITE})}))
    try:
        with serve_in_thread(app, tls=files) as origin:
            yield TlsEmulator(
                url=f"{origin}/scim/v2",
                ca_bundle=folder / "ca.pem",
                other_ca_bundle=folder / "other-ca.pem",
            )
    finally:
        app.state.emulator.store.close()


@pytest.fixture
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy or CA variables from the machine running the tests."""
    for name in (*PROXY_VARIABLES, "SSL_CERT_FILE", "SSL_CERT_DIR", "RECONCILE_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.fixture
def proxy(clean_network_env: pytest.MonkeyPatch) -> Iterator[RunningProxy]:
    """A CONNECT proxy, named by HTTPS_PROXY for the test."""
    with run_connect_proxy() as running:
        clean_network_env.setenv("HTTPS_PROXY", running.url)
        yield running
