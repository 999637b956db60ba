"""What a standard SCIM service says it supports (RFC 7644 section 4), read once per run.

    facts = await discover(client.get_document)  # GET /ServiceProviderConfig, /ResourceTypes
    client.use_facts(facts)

The `teamviewer` profile needs none of this: its facts are known (`TEAMVIEWER_FACTS`) and
it spends no request on them. For `rfc7644` the answers decide three things: whether the
TeamViewer SsoUser extension is sent on create (only when the User resource type lists
it in `schemaExtensions`: a standard server refuses an unknown extension with 400), whether
look-ups may filter (`filter.supported`; else the full list decides), and the page size
(`filter.maxResults` caps it). `patch.supported: false` makes every update fail with a
clear error instead of a 501 per operation.

Parsing is pure and lenient: a missing or malformed part leaves the standard assumption
(filters and PATCH work, no page cap) except for the extension, which is sent only when
it is listed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from reconcile.live.errors import (
    BadRequest,
    ConfigurationError,
    NotFound,
    ScimError,
    UnexpectedResponseError,
)
from reconcile.live.wire import SSO_SCHEMA


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceFacts:
    """What the service supports, as far as the engine's requests depend on it."""

    sso_extension: bool  # the User resource type lists the TeamViewer SsoUser extension
    filter_supported: bool
    patch_supported: bool
    max_results: int | None  # filter.maxResults: the most resources one page may hold
    discovered: bool  # read from the service (False: assumed)

    def check_patch(self, *, label: str) -> None:
        """Raise before an update the service said it cannot take (patch.supported)."""
        if not self.patch_supported:
            raise ConfigurationError(
                f"{label} says it does not support PATCH (ServiceProviderConfig "
                "patch.supported is false); reconcile updates users and groups with PATCH, "
                "so only creates can be applied to this service"
            )


TEAMVIEWER_FACTS: Final = ServiceFacts(
    sso_extension=True,
    filter_supported=True,  # displayName only; the client knows (profile traits)
    patch_supported=True,
    max_results=None,
    discovered=False,
)
# A standard service that answered no discovery document: standard behaviour, no extension.
STANDARD_FACTS: Final = ServiceFacts(
    sso_extension=False,
    filter_supported=True,
    patch_supported=True,
    max_results=None,
    discovered=False,
)


def parse_facts(*, service_provider_config: Any, resource_types: Any) -> ServiceFacts:
    """The facts from the two documents as received (a ListResponse or a bare list of
    resource types); anything unreadable keeps the standard assumption."""
    config = service_provider_config if isinstance(service_provider_config, Mapping) else {}
    filter_ = _mapping(config.get("filter"))
    patch = _mapping(config.get("patch"))
    max_results = filter_.get("maxResults")
    return ServiceFacts(
        sso_extension=_user_lists_sso(resource_types),
        filter_supported=filter_.get("supported") is not False,
        patch_supported=patch.get("supported") is not False,
        max_results=(
            max_results
            if isinstance(max_results, int)
            and not isinstance(max_results, bool)
            and max_results > 0
            else None
        ),
        discovered=True,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _user_lists_sso(resource_types: Any) -> bool:
    if isinstance(resource_types, Mapping):
        resource_types = resource_types.get("Resources")
    if not isinstance(resource_types, list):
        return False
    for resource_type in resource_types:
        if not isinstance(resource_type, Mapping):
            continue
        if resource_type.get("id") != "User" and resource_type.get("name") != "User":
            continue
        extensions = resource_type.get("schemaExtensions")
        if not isinstance(extensions, list):
            return False
        return any(
            isinstance(ext, Mapping) and str(ext.get("schema", "")).lower() == SSO_SCHEMA.lower()
            for ext in extensions
        )
    return False


async def discover(get_document: Callable[[str], Awaitable[Any]]) -> ServiceFacts:
    """Two requests (`ScimClient.get_document`, passed in so that this module does not
    import the client): /ServiceProviderConfig and /ResourceTypes. A service that has no
    such endpoints (404, 400, 501, or not JSON) gets `STANDARD_FACTS`; any other failure
    (the token, the network) is raised: the run could not go on anyway."""
    try:
        config = await get_document("/ServiceProviderConfig")
        resource_types = await get_document("/ResourceTypes")
    except (NotFound, BadRequest, UnexpectedResponseError):
        return STANDARD_FACTS
    except ScimError as exc:
        if exc.status == 501:
            return STANDARD_FACTS
        raise
    return parse_facts(service_provider_config=config, resource_types=resource_types)
