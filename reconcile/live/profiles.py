"""Service profiles: what the SCIM service supports, and so which request shapes to send.

`teamviewer` is the default: TeamViewer's SCIM API has no e-mail filter (look-ups go
through `displayName` or the full list), only `replace` in user PATCH, and no user DELETE.
`rfc7644` is a standard SCIM 2.0 service (for example scim2-server, django-scim2):
`userName` filters work and users carry an `emails` list and a name split like
TeamViewer's. What a service says it supports is read by discovery.py; what it does not
say but answers with 501 Not Implemented (django-scim2's PATCH of `displayName`, of a
group's name, of a `members[value eq ...]` removal) is retried once in the other form
the RFC allows, and remembered for the run (see docs/interop.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Profile(StrEnum):
    TEAMVIEWER = "teamviewer"
    RFC7644 = "rfc7644"

    @property
    def traits(self) -> ProfileTraits:
        return _TRAITS[self]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileTraits:
    # `userName eq "..."` filters work; TeamViewer answers 400 invalidFilter instead.
    email_filter: bool
    # Users can be deleted; never used by the engine (R4) but documented per profile.
    user_delete: bool
    # Send `emails: [{value, primary}]` and `name.formatted` on create (a standard service
    # keeps them apart from userName); TeamViewer derives both from userName/displayName.
    create_with_emails: bool
    # After a 501 Not Implemented, retry in the other standard form (see above).
    not_implemented_fallbacks: bool


_TRAITS: dict[Profile, ProfileTraits] = {
    Profile.TEAMVIEWER: ProfileTraits(
        email_filter=False,
        user_delete=False,
        create_with_emails=False,
        not_implemented_fallbacks=False,
    ),
    Profile.RFC7644: ProfileTraits(
        email_filter=True,
        user_delete=True,
        create_with_emails=True,
        not_implemented_fallbacks=True,
    ),
}


def split_name(display_name: str) -> tuple[str, str]:
    """(givenName, familyName) as TeamViewer splits a name: before the first space, and
    the rest. A service that derives `displayName` from the two (django-scim2) then
    shows the name that was sent, as long as it has a space."""
    given, _, family = display_name.strip().partition(" ")
    return given, family.strip()
