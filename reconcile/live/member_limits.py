"""How many member values one group request may carry, learnt from the service's refusals.

TeamViewer publishes no such limit (its Web API takes 100 accounts per member request;
the client starts at 1,000). A group request answered 413, or 400 with `scimType`
`tooMany` or a detail about the request's size, was refused whole: nothing of it was
applied (RFC 7644 3.5.2, a PATCH is all or nothing). So it is split and sent again, and
the smaller size is kept for the rest of the run (`ScimClient.patch_limits`). The next
size is the limit the answer states when it states one ("the limit is 100 per request"),
else half of what was refused: at most one refusal per size learnt. A refusal that
follows a lost answer of the same request proves nothing and is never split (it could
have been applied the first time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconcile.live.errors import ScimError

# A 400 whose detail says the request was too big (rather than, say, an unknown member).
_ABOUT_SIZE = re.compile(
    r"too (?:large|big|long|many)|request (?:size|entity)|payload|per request|exceed",
    re.IGNORECASE,
)
# The number a refusal states as its limit: "the limit is 100", "at most 100",
# "maximum of 100", "max 100", "up to 100", "no more than 100".
_STATED = re.compile(
    r"(?:limit(?:\s+is)?|at\s+most|maximum(?:\s+of)?|max\.?|up\s+to|no\s+more\s+than)"
    r"\s*[:=]?\s*(\d+)",
    re.IGNORECASE,
)


def refused_for_size(exc: ScimError) -> bool:
    """Whether the answer says the request carried too much (and so changed nothing)."""
    if exc.status == 413:
        return True
    if exc.status != 400:
        return False
    if (exc.scim_type or "").lower() == "toomany":
        return True
    return bool(exc.detail and _ABOUT_SIZE.search(exc.detail))


def stated_limit(detail: str | None) -> int | None:
    """The limit a refusal's detail states, or None."""
    found = _STATED.search(detail or "")
    return int(found.group(1)) if found else None


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedLimit:
    """One size learnt from a refusal: what the run sends from then on, and why."""

    size: int
    refused: int  # member values the refused request carried
    stated: bool  # the service said the number; else it was halved
    method: str
    path: str
    status: int

    @property
    def message(self) -> str:
        if self.stated:
            return f"the service takes at most {self.size} member values per request"
        return (
            f"the service refused {self.refused} member values in one request; "
            f"reconcile sends at most {self.size} from now on"
        )


def next_size(exc: ScimError, *, refused: int, method: str, path: str) -> LearnedLimit | None:
    """The size to send after a request of `refused` member values was refused for its
    size; None when it cannot be split (one value) or the refusal proves nothing."""
    if refused <= 1 or exc.maybe_applied or not refused_for_size(exc):
        return None
    stated = stated_limit(exc.detail)
    if stated is not None and 1 <= stated < refused:
        size, said = stated, True
    else:
        size, said = max(1, refused // 2), False
    return LearnedLimit(
        size=size, refused=refused, stated=said, method=method, path=path, status=exc.status
    )
