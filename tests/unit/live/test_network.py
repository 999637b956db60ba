"""Unit tests of reconcile.live.network: which proxy, which CAs, and what is refused."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from reconcile.live.errors import ConfigurationError
from reconcile.live.network import NetworkSettings, bypassed, proxy_for, trust_for

VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")
TARGET = httpx.URL("https://webapi.teamviewer.com/scim/v2")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("REQUEST_METHOD", raising=False)


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "expected"),
    [
        ("scim.example.com", 443, "*", True),
        ("scim.example.com", 443, "example.com", True),
        ("scim.example.com", 443, ".example.com", True),
        ("example.com", 443, ".example.com", True),
        ("badexample.com", 443, "example.com", False),
        ("scim.example.com", 443, "other.test, example.com:443", True),
        ("scim.example.com", 443, "example.com:8443", False),
        ("10.1.2.3", 443, "10.0.0.0/8", True),
        ("10.1.2.3", 443, "10.1.2.3", True),
        ("11.1.2.3", 443, "10.0.0.0/8", False),
        ("::1", 443, "::1", True),
        ("[::1]", 443, "[::1]:443", True),
        ("Scim.Example.COM.", 443, "example.com", True),
        ("scim.example.com", 443, "", False),
        ("scim.example.com", 443, " , ,", False),
    ],
)
def test_no_proxy_matching(host: str, port: int, no_proxy: str, expected: bool) -> None:
    assert bypassed(host, port, no_proxy=no_proxy) is expected


def test_https_proxy_is_used_for_https_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.test:3128")
    route = proxy_for(TARGET)
    assert route is not None
    assert (route.url.host, route.url.port, route.variable) == (
        "proxy.corp.test",
        3128,
        "HTTPS_PROXY",
    )


def test_lower_case_wins_and_all_proxy_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://all.corp.test:8080")
    route = proxy_for(TARGET)
    assert route is not None
    assert (route.url.host, route.variable) == ("all.corp.test", "ALL_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", "http://upper.corp.test:1")
    monkeypatch.setenv("https_proxy", "http://lower.corp.test:2")
    route = proxy_for(TARGET)
    assert route is not None
    assert route.url.host == "lower.corp.test"


def test_http_proxy_alone_is_not_used_for_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.test:3128")
    assert proxy_for(TARGET) is None


def test_plain_http_targets_never_use_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://proxy.corp.test:3128")
    assert proxy_for(httpx.URL("http://127.0.0.1:8080/scim/v2")) is None


def test_no_proxy_exempts_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.test:3128")
    monkeypatch.setenv("no_proxy", ".teamviewer.com")
    assert proxy_for(TARGET) is None


def test_a_scheme_less_proxy_is_http_and_its_password_is_never_in_the_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "alice:pa55word@proxy.corp.test:3128")
    route = proxy_for(TARGET)
    assert route is not None
    assert route.url.scheme == "http"
    assert route.label == "http://proxy.corp.test:3128"
    assert "pa55word" not in route.label


def test_a_socks_proxy_is_refused_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://proxy.corp.test:1080")
    with pytest.raises(ConfigurationError, match=r"ALL_PROXY names a socks5:// proxy.*NO_PROXY"):
        proxy_for(TARGET)


def test_default_trust_is_certifi_and_always_verifies() -> None:
    trust = trust_for(NetworkSettings())
    assert "certifi" in trust.source
    assert trust.context.verify_mode is ssl.CERT_REQUIRED
    assert trust.context.check_hostname is True
    assert trust.context.cert_store_stats()["x509_ca"] > 10


def test_ca_bundle_replaces_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corp-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))  # not even looked at
    trust = trust_for(NetworkSettings(ca_bundle=bundle))
    assert "--ca-bundle" in trust.source
    assert trust.context.cert_store_stats()["x509_ca"] == 1
    assert trust.context.verify_mode is ssl.CERT_REQUIRED


def test_ssl_cert_dir_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    trust = trust_for(NetworkSettings())
    assert trust.source == f"SSL_CERT_DIR={tmp_path}"


@pytest.mark.parametrize("content", [None, "", "not a certificate\n"])
def test_an_unusable_ca_bundle_is_a_clear_error(tmp_path: Path, content: str | None) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"--ca-bundle") as caught:
        trust_for(NetworkSettings(ca_bundle=bundle))
    assert str(bundle) in str(caught.value)


def test_a_bad_ssl_cert_file_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    with pytest.raises(ConfigurationError, match=r"SSL_CERT_FILE="):
        trust_for(NetworkSettings())
