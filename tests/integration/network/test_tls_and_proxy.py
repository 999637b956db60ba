"""The client through a real CONNECT proxy to the emulator served over TLS (a test CA).

What must hold: the proxy sees only `CONNECT host:port` (no Authorization header, no
path, the token never in clear on the wire); the CAs come from --ca-bundle,
RECONCILE_CA_BUNDLE or SSL_CERT_FILE; a certificate from another CA fails at once with
an error naming --ca-bundle; NO_PROXY and plain-http loopback targets connect directly.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconcile.cli import app
from reconcile.live.client import ScimClient
from reconcile.live.fetch import fetch_live
from reconcile.live.network import CertificateNotTrusted, NetworkSettings, ProxyRefused
from reconcile.live.retry import RetryPolicy
from reconcile.live.snapshot import read_snapshot
from tests.integration.network.conftest import TOKEN, TlsEmulator
from tests.integration.network.connect_proxy import RunningProxy, run_connect_proxy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, total_time=10.0)


def host_port(url: str) -> str:
    found = re.match(r"https?://([^/]+)", url)
    assert found is not None
    return found.group(1)


def create_and_list(url: str, *, ca_bundle: Path | None, email: str) -> list[str]:
    async def scenario() -> list[str]:
        async with ScimClient(
            base_url=url,
            token=TOKEN,
            network=NetworkSettings(ca_bundle=ca_bundle),
            retry=FAST,
        ) as client:
            await client.create_user(email=email, display_name="Tunnelled User", active=True)
            live = await fetch_live(client)
            return sorted(u.email for u in live.users)

    return asyncio.run(scenario())


def test_https_goes_through_the_proxy_as_connect_only(
    tls_emulator: TlsEmulator, proxy: RunningProxy
) -> None:
    emails = create_and_list(
        tls_emulator.url, ca_bundle=tls_emulator.ca_bundle, email="tunnel@example.test"
    )
    assert "tunnel@example.test" in emails
    log = proxy.log
    assert log.request_lines, "nothing went through the proxy"
    assert set(log.request_lines) == {f"CONNECT {host_port(tls_emulator.url)} HTTP/1.1"}
    assert all("authorization" not in names for names in log.header_names)
    # The tunnel carried TLS: neither the token nor a path crossed it in clear.
    assert log.tunnelled
    assert TOKEN.encode() not in log.tunnelled
    assert b"/scim/v2" not in log.tunnelled


def test_a_certificate_from_another_ca_fails_at_once_naming_ca_bundle(
    tls_emulator: TlsEmulator, proxy: RunningProxy
) -> None:
    with pytest.raises(CertificateNotTrusted) as caught:
        create_and_list(
            tls_emulator.url, ca_bundle=tls_emulator.other_ca_bundle, email="never@example.test"
        )
    message = str(caught.value)
    assert "--ca-bundle" in message
    assert "not trusted" in message
    assert str(tls_emulator.other_ca_bundle) in message  # which CAs were tried
    assert TOKEN not in message
    assert len(proxy.log.request_lines) == 1  # not retried: it cannot get better


def test_the_default_ca_list_does_not_trust_a_private_ca(
    tls_emulator: TlsEmulator, clean_network_env: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CertificateNotTrusted, match=r"certifi.*--ca-bundle"):
        create_and_list(tls_emulator.url, ca_bundle=None, email="never@example.test")


def test_ssl_cert_file_is_honoured(
    tls_emulator: TlsEmulator, clean_network_env: pytest.MonkeyPatch
) -> None:
    clean_network_env.setenv("SSL_CERT_FILE", str(tls_emulator.ca_bundle))
    emails = create_and_list(tls_emulator.url, ca_bundle=None, email="certfile@example.test")
    assert "certfile@example.test" in emails


def test_no_proxy_connects_directly(tls_emulator: TlsEmulator, proxy: RunningProxy) -> None:
    proxy_env = pytest.MonkeyPatch()
    try:
        proxy_env.setenv("NO_PROXY", "localhost,127.0.0.0/8")
        emails = create_and_list(
            tls_emulator.url, ca_bundle=tls_emulator.ca_bundle, email="direct@example.test"
        )
    finally:
        proxy_env.undo()
    assert "direct@example.test" in emails
    assert proxy.log.request_lines == []


def test_plain_http_on_loopback_never_uses_a_proxy(
    emulator: object, proxy: RunningProxy, clean_network_env: pytest.MonkeyPatch
) -> None:
    from tests.conftest import RunningEmulator

    assert isinstance(emulator, RunningEmulator)
    clean_network_env.setenv("HTTP_PROXY", proxy.url)
    clean_network_env.setenv("ALL_PROXY", proxy.url)

    async def scenario() -> int:
        async with ScimClient(base_url=emulator.url, token=emulator.token, retry=FAST) as client:
            return len((await fetch_live(client)).users)

    assert asyncio.run(scenario()) == 0
    assert proxy.log.request_lines == []


def test_a_proxy_that_refuses_the_tunnel_is_named(
    tls_emulator: TlsEmulator, clean_network_env: pytest.MonkeyPatch
) -> None:
    with run_connect_proxy(refuse=True) as refusing:
        clean_network_env.setenv("HTTPS_PROXY", refusing.url)
        with pytest.raises(ProxyRefused, match=r"HTTPS_PROXY.*NO_PROXY") as caught:
            create_and_list(
                tls_emulator.url, ca_bundle=tls_emulator.ca_bundle, email="never@example.test"
            )
    assert refusing.url in str(caught.value)
    assert len(refusing.log.request_lines) == 1


def invoke(args: list[str], **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, args, env={"RECONCILE_TARGET": "", "TEAMVIEWER_TOKEN": TOKEN, **env}
    )
    return result.exit_code, result.stdout + result.stderr


def test_cli_snapshot_through_the_proxy_with_ca_bundle(
    tls_emulator: TlsEmulator, proxy: RunningProxy, tmp_path: Path
) -> None:
    out = tmp_path / "live.json"
    code, output = invoke(
        [
            "snapshot",
            "--target",
            tls_emulator.url,
            "--ca-bundle",
            str(tls_emulator.ca_bundle),
            "--out",
            str(out),
        ]
    )
    assert code == 0, output
    assert read_snapshot(out).live.users is not None
    assert proxy.log.request_lines
    assert all(line.startswith("CONNECT ") for line in proxy.log.request_lines)


def test_cli_wrong_ca_from_the_environment_is_one_clear_line(
    tls_emulator: TlsEmulator, proxy: RunningProxy, tmp_path: Path
) -> None:
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "users.yaml").write_text("users: []\n", encoding="utf-8")
    code, output = invoke(
        ["plan", str(tmp_path / "desired"), "--target", tls_emulator.url],
        RECONCILE_CA_BUNDLE=str(tls_emulator.other_ca_bundle),
    )
    assert code == 1
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "--ca-bundle" in errors[0]
    assert "RECONCILE_CA_BUNDLE" in errors[0]
    assert "Traceback" not in output
    assert TOKEN not in output


def test_cli_a_missing_ca_bundle_is_named(
    tls_emulator: TlsEmulator, clean_network_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, output = invoke(
        [
            "snapshot",
            "--target",
            tls_emulator.url,
            "--ca-bundle",
            str(tmp_path / "nope.pem"),
            "--out",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 1
    assert "nope.pem" in output
    assert "--ca-bundle" in output
    assert not (tmp_path / "x.json").exists()
