"""How the client reaches the service: a proxy from the environment, the CAs it trusts.

    transport = transport_for(url, settings=NetworkSettings(ca_bundle=path), limits=limits)

`httpclient.open_http_client` (the one place the httpx client is built) takes this
transport unless it is given one (in-process, tests), always with `trust_env=False`.

httpx's own `trust_env=True` would also read `~/.netrc` and send what it finds there, so
the environment is read here instead, and only for two things:

- the proxy: `HTTPS_PROXY` (else `ALL_PROXY`) and `NO_PROXY`, upper or lower case, with
  the standard library's precedence (`urllib.request.getproxies_environment`). Only an
  https target is proxied, and always through a CONNECT tunnel, so the proxy sees the
  host and port, never the token or a path. A plain-http target (only accepted on
  loopback, see target.py) never goes through a proxy: the proxy would read the token.
- the CAs: `--ca-bundle` / `RECONCILE_CA_BUNDLE`, else `SSL_CERT_FILE` / `SSL_CERT_DIR`,
  else certifi's list (what httpx trusts by default). Certificates are always verified,
  host names always checked: there is no switch to turn that off.

A certificate that does not verify fails at once (it would fail again on every retry)
with an error naming `--ca-bundle`; a proxy that refuses the tunnel fails at once too.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import certifi
import httpx

from reconcile.live.errors import ConfigurationError, TransportError
from reconcile.live.target import label_of

CA_BUNDLE_ENV: Final = "RECONCILE_CA_BUNDLE"
_CA_BUNDLE_SOURCE: Final = f"--ca-bundle / {CA_BUNDLE_ENV}"
_PROXY_SCHEMES: Final = frozenset({"http", "https"})


class CertificateNotTrusted(ConfigurationError):
    """The service's (or the https proxy's) certificate does not verify against the CAs."""


class ProxyRefused(TransportError):
    """The proxy answered the CONNECT request with an error instead of opening a tunnel."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """What the command line adds to the environment: a CA bundle to trust instead."""

    ca_bundle: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trust:
    """The TLS context every connection uses, and where its CAs came from (for messages)."""

    context: ssl.SSLContext
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxyRoute:
    """The proxy an https target is reached through; `label` is safe to print."""

    url: httpx.URL
    variable: str  # the environment variable it came from
    label: str


def trust_for(settings: NetworkSettings) -> Trust:
    """The verifying TLS context: --ca-bundle, else SSL_CERT_FILE/SSL_CERT_DIR, else certifi."""
    if settings.ca_bundle is not None:
        path = settings.ca_bundle
        if not path.is_file():
            raise ConfigurationError(
                f"the CA bundle {path} ({_CA_BUNDLE_SOURCE}) is not a readable file; pass "
                "a PEM file with the CA certificates that sign the service's (or the "
                "TLS-inspecting proxy's) certificates"
            )
        return _load(source=f"{path} ({_CA_BUNDLE_SOURCE})", cafile=str(path), capath=None)
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        names = [
            f"{name}={value}"
            for name, value in (("SSL_CERT_FILE", cafile), ("SSL_CERT_DIR", capath))
            if value
        ]
        return _load(source=", ".join(names), cafile=cafile, capath=capath)
    return _load(source="the default CA list (certifi)", cafile=certifi.where(), capath=None)


def _load(*, source: str, cafile: str | None, capath: str | None) -> Trust:
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"cannot load the CA certificates from {source} ({exc.strerror or exc}); "
            "pass a PEM file with --ca-bundle, or fix the variable"
        ) from exc
    # create_default_context already verifies; stated so no later edit can lose it.
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return Trust(context=context, source=source)


def proxy_for(url: httpx.URL) -> ProxyRoute | None:
    """The proxy to reach `url` through, or None for a direct connection."""
    if url.scheme != "https":
        return None  # plain http is loopback only, and a proxy would read the token
    proxies = urllib.request.getproxies_environment()
    if bypassed(url.host, url.port or 443, no_proxy=proxies.get("no", "")):
        return None
    for key, variable in (("https", "HTTPS_PROXY"), ("all", "ALL_PROXY")):
        value = proxies.get(key)
        if value:
            return _proxy_route(value, variable=variable)
    return None


def _proxy_route(value: str, *, variable: str) -> ProxyRoute:
    text = value.strip()
    if "://" not in text:
        text = "http://" + text  # `proxy:3128`, as curl and httpx read it
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(
            f"{variable} is not a valid proxy URL; use e.g. http://proxy.example:3128"
        ) from exc
    if url.scheme not in _PROXY_SCHEMES or not url.host:
        raise ConfigurationError(
            f"{variable} names a {url.scheme}:// proxy; reconcile supports http:// and "
            "https:// proxies (CONNECT): change it, or list the target host in NO_PROXY"
        )
    # Never printed with its user info: a proxy password may be in it.
    return ProxyRoute(url=url, variable=variable, label=label_of(url.copy_with(userinfo=b"")))


def bypassed(host: str, port: int, *, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts host:port (curl's rules: `*`, domain suffixes with or
    without a leading dot, `host:port`, IP addresses and networks such as 10.0.0.0/8)."""
    host = host.strip("[]").rstrip(".").lower()
    address = _address(host)
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry, _, entry_port = _split_port(entry)
        if entry_port and entry_port != str(port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = entry.lstrip(".").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _split_port(entry: str) -> tuple[str, str, str]:
    """`host:port` -> (host, ':', port); IPv6 entries keep their colons unless bracketed."""
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        return inside, ":", rest.removeprefix(":")
    if entry.count(":") == 1:
        host, sep, port = entry.partition(":")
        if port.isdigit():
            return host, sep, port
    return entry, "", ""


def transport_for(
    url: httpx.URL,
    *,
    settings: NetworkSettings,
    limits: httpx.Limits,
) -> httpx.AsyncBaseTransport:
    """The transport for a client of `url`: its proxy (if any), its CAs, clear TLS errors."""
    trust = trust_for(settings)
    route = proxy_for(url)
    proxy = None
    if route is not None:
        # An https proxy is verified against the same CAs; an http one takes no context.
        tls_to_proxy = trust.context if route.url.scheme == "https" else None
        proxy = httpx.Proxy(route.url, ssl_context=tls_to_proxy)
    inner = httpx.AsyncHTTPTransport(
        verify=trust.context,
        limits=limits,
        proxy=proxy,
        trust_env=False,  # nothing more from the environment, .netrc above all
    )
    return _ExplainedTransport(inner, target=label_of(url), trust=trust, route=route)


class _ExplainedTransport(httpx.AsyncBaseTransport):
    """Turns the failures that no retry can cure into errors that say what to change."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        target: str,
        trust: Trust,
        route: ProxyRoute | None,
    ) -> None:
        self._inner = inner
        self._target = target
        self._trust = trust
        self._route = route

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.ProxyError as exc:
            assert self._route is not None  # only raised when a proxy is in use
            raise ProxyRefused(
                f"the proxy {self._route.label} (from {self._route.variable}) refused to "
                f"open a tunnel to {self._target} ({exc}); check {self._route.variable}, "
                "or list the target host in NO_PROXY to connect directly"
            ) from exc
        except httpx.ConnectError as exc:
            reason = _certificate_failure(exc)
            if reason is None:
                raise
            route = self._route
            via = ""
            if route is not None and route.url.scheme == "https":
                via = f" (or of the proxy {route.label})"
            raise CertificateNotTrusted(
                f"the TLS certificate of {self._target}{via} is not trusted: {reason}; "
                f"trusted CAs: {self._trust.source}. If a private CA or a TLS-inspecting "
                "proxy signs it, pass that CA as a PEM file with --ca-bundle FILE (or "
                f"{CA_BUNDLE_ENV}); verification cannot be switched off"
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


def _certificate_failure(exc: BaseException) -> str | None:
    """The verification failure behind a connection error, if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or current.reason or "certificate verify failed"
        current = current.__cause__ or current.__context__
    return None
