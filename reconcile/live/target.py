"""Checks on a target URL before any token is sent to it, and its printable label."""

from __future__ import annotations

import ipaddress

import httpx

from reconcile.live.errors import ConfigurationError


def is_loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, *, allow_http: bool = False) -> httpx.URL:
    """The parsed base URL, or a ConfigurationError saying what to change.

    HTTPS is required except for loopback addresses (the emulator in tests) and for
    in-process transports (`allow_http`), because the bearer token travels in every request.
    """
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(
            "the target is not a valid URL; use e.g. https://webapi.teamviewer.com/scim/v2"
        ) from exc
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(
            f"the target must be an http(s) URL with a host, got scheme {url.scheme!r}; "
            "use e.g. https://webapi.teamviewer.com/scim/v2"
        )
    if url.userinfo:
        # Never echo the URL itself here: the user info may hold a password.
        raise ConfigurationError(
            "the target URL contains credentials; remove them and pass the token in "
            "TEAMVIEWER_TOKEN or --token-file instead"
        )
    if url.query or url.fragment:
        raise ConfigurationError(
            "the target URL must not carry a query or fragment; use the SCIM base URL, "
            "e.g. https://webapi.teamviewer.com/scim/v2"
        )
    if url.scheme == "http" and not allow_http and not is_loopback(url.host):
        raise ConfigurationError(
            f"refusing to send the token over plain HTTP to {url.host}; use https:// "
            "(plain http is accepted only for loopback addresses)"
        )
    return url


def label_of(url: httpx.URL) -> str:
    """scheme://host[:port]/path: safe to print and to write into snapshots."""
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}{url.path.rstrip('/')}"
