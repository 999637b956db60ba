"""Service profiles: what the SCIM service supports, and so which request shapes to send.

`teamviewer` is the default: TeamViewer's SCIM API has no e-mail filter (look-ups go
through `displayName` or the full list), only `replace` in user PATCH, and no user DELETE.
`rfc7644` is a standard SCIM 2.0 service (for example scim2-server): `userName` filters
work and users carry an `emails` list.
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


_TRAITS: dict[Profile, ProfileTraits] = {
    Profile.TEAMVIEWER: ProfileTraits(
        email_filter=False, user_delete=False, create_with_emails=False
    ),
    Profile.RFC7644: ProfileTraits(email_filter=True, user_delete=True, create_with_emails=True),
}
