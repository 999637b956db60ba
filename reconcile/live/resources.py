"""What users and groups have in common: their endpoint, their complete listing, a
create that never makes a duplicate (R17), and the other request forms a service that
answers 501 Not Implemented gets (rfc7644, see profiles.py).

The resource operations of `ScimClient` (client.py) are built from these pieces, the
session (session.py) and the request builders (requests.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import httpx
from pydantic import BaseModel

from reconcile.live.errors import Conflict, LiveError, ScimError, UnknownOutcomeError
from reconcile.live.gate import PriorityGate, Slot
from reconcile.live.listing import Listing
from reconcile.live.model import LiveGroup, LiveUser
from reconcile.live.requests import group_patches_by_value, group_replace, page_params
from reconcile.live.session import OutcomeUnknown, Session
from reconcile.live.wire import (
    CreatedGroup,
    CreatedResource,
    GroupResource,
    ListResponse,
    MemberRef,
    PatchRequest,
    UserResource,
)

L = TypeVar("L", LiveUser, LiveGroup)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceType(Generic[L]):
    """One SCIM resource type as the engine lists it."""

    endpoint: str  # "Users": the path below the base URL
    what: str  # "user": names it in messages
    parse_item: Callable[[Session, dict[str, Any]], L]  # one listed item, checked


USERS: ResourceType[LiveUser] = ResourceType(
    endpoint="Users",
    what="user",
    parse_item=lambda session, item: session.parse(UserResource, "GET", "/Users", item).to_live(),
)
GROUPS: ResourceType[LiveGroup] = ResourceType(
    endpoint="Groups",
    what="group",
    parse_item=lambda session, item: session.parse(GroupResource, "GET", "/Groups", item).to_live(),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ReceivedPage:
    """A list page as received: decoded (JSON, then the list's shape) only when asked,
    so that a listing can first let the other requests in flight go on (see gate.py)."""

    session: Session
    path: str
    response: httpx.Response

    def decode(self) -> ListResponse:
        return self.session.parse(ListResponse, "GET", self.path, self.response)


async def list_all(
    session: Session,
    kind: ResourceType[L],
    *,
    page_size: int,
    filter: str | None = None,
    speculate: int = 0,
    gate: PriorityGate | None = None,
) -> list[L]:
    """Every resource of `kind` (every page), or those matching a filter (see Listing)."""
    path = f"/{kind.endpoint}"

    async def fetch_page(start: int, count: int, slot: Slot) -> _ReceivedPage:
        params = page_params(start_index=start, count=count, filter=filter)
        response = await session.send("GET", path, params=params, slot=slot)
        assert response is not None  # only deletes settle without an answer
        return _ReceivedPage(session=session, path=path, response=response)

    listing = Listing(
        fetch_page=fetch_page,
        parse=lambda items: [kind.parse_item(session, item) for item in items],
        what=kind.what,
        page_size=page_size,
        # A gate of its own when not shared: a page then counts as busy only once it
        # holds one of the session's slots, not while it queues for one.
        gate=gate or PriorityGate(session.max_concurrency),
    )
    return await listing.read(speculate=speculate)


@dataclass(frozen=True, slots=True, kw_only=True)
class Created:
    """A create's outcome: the new id, and the service's answer (None: the answer was
    lost and a look-up settled the create)."""

    id: str
    answer: httpx.Response | None


# Finds the created resource (`exhaustive`: see ScimClient.find_user); its id or None.
Finder = Callable[[bool], Awaitable[str | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Settlement:
    """How a create whose answer is lost is settled, and what its messages say."""

    subject: str  # "jane@example.test", "group 'Eng'"
    find: Finder
    not_found: str  # completes "...; {not_found} the retry budget is spent"
    look_up_failed: str  # what to do when the look-up itself fails
    # Given a 409 and the look-up's answer, the error to raise; None: the 409 as it is.
    conflict: Callable[[Conflict, str | None], Conflict] | None = None


async def create_then_settle(
    session: Session, *, endpoint: str, body: BaseModel, settlement: Settlement
) -> Created:
    """POST a create; the new id (and the answer). Never creates a duplicate (R17).

    A create whose answer is lost is settled by looking the resource up: found -> done;
    not found -> sent again (within the retry budget). A 409 after such a loss, found by
    the look-up, was our own earlier attempt and counts as done; any other 409 becomes
    `settlement.conflict`'s error.
    """
    path = f"/{endpoint}"
    started = time.monotonic()
    uncertain = False
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await session.send("POST", path, body=body, idempotent=False)
        except OutcomeUnknown as unknown:
            uncertain = True
            found = await _look_up(settlement, cause=unknown, exhaustive=False)
            if found is not None:
                return Created(id=found, answer=None)
            delay = session.next_delay(attempt=attempt, started=started, hint=None)
            if delay is None:
                raise UnknownOutcomeError(
                    f"creating {settlement.subject}: {unknown.error}; {settlement.not_found} "
                    "the retry budget is spent - run plan again"
                ) from unknown.error
            await asyncio.sleep(delay)
            continue
        except Conflict as exc:
            if settlement.conflict is None:
                raise
            found = await _look_up(settlement, cause=exc, exhaustive=True)
            if found is not None and uncertain:
                return Created(id=found, answer=None)  # our own earlier attempt landed (R17)
            raise settlement.conflict(exc, found) from exc
        assert response is not None
        created = session.parse(CreatedResource, "POST", path, response)
        return Created(id=created.id, answer=response)


async def _look_up(settlement: Settlement, *, cause: BaseException, exhaustive: bool) -> str | None:
    try:
        return await settlement.find(exhaustive)
    except LiveError as exc:
        raise UnknownOutcomeError(
            f"creating {settlement.subject}: the outcome is unknown ({cause}) and the "
            f"look-up failed ({exc}); {settlement.look_up_failed}"
        ) from exc


# The request forms a service may answer 501 Not Implemented to (django-scim2): a user's
# `displayName` replace, and a group PATCH (its filtered removal or `displayName` replace).
USER_RENAME: Final = "user displayName"
GROUP_PATCH: Final = "group patch"


@dataclass(slots=True, kw_only=True)
class Fallbacks:
    """The request forms a service answered 501 to, remembered for the run: from then on
    the other form the RFC allows is sent at once. `enabled` only for rfc7644 (the
    teamviewer forms are known to work)."""

    enabled: bool
    _forms: set[str] = field(default_factory=set)

    def known(self, form: str) -> bool:
        return form in self._forms

    def learn(self, form: str, exc: ScimError) -> bool:
        """Whether a 501 to `form` is to be retried in the other form (and remember it)."""
        if exc.status != 501 or not self.enabled:
            return False
        self._forms.add(form)
        return True


async def send_user_update(
    session: Session,
    body: PatchRequest,
    *,
    path: str,
    fallbacks: Fallbacks,
    other: PatchRequest | None,
) -> None:
    """A user's PATCH. After a 501 to it, or once the run has seen one, `other` (a rename
    as the name's parts) is sent instead, when there is one (see Fallbacks)."""
    if other is not None and fallbacks.known(USER_RENAME):
        body = other
    try:
        await session.send("PATCH", path, body=body)
    except ScimError as exc:
        if other is None or not fallbacks.learn(USER_RENAME, exc):
            raise
        await session.send("PATCH", path, body=other)


async def patch_group_by_value(
    session: Session,
    *,
    path: str,
    rename: str | None,
    add_ids: Iterable[str],
    remove_ids: Iterable[str],
    max_operations: int,
) -> int:
    """A group change for a service that answered 501 to the filtered removal or the
    `displayName` replace (django-scim2): members added and removed by value lists, the
    rename by a PUT of the group as it is (read just before, so its members stay). The
    count of changing requests sent (the PUT counts, the GET before it does not)."""
    requests = group_patches_by_value(
        add_ids=add_ids, remove_ids=remove_ids, max_operations=max_operations
    )
    for request in requests:
        await session.send("PATCH", path, body=request)
    if rename is None:
        return len(requests)
    response = await session.send("GET", path)
    assert response is not None  # only deletes settle without an answer
    current = session.parse(GroupResource, "GET", path, response).to_live()
    await session.send("PUT", path, body=group_replace(name=rename, member_ids=current.member_ids))
    return len(requests) + 1


def unstored_members(session: Session, created: Created, *, sent: list[MemberRef]) -> list[str]:
    """The initial members a group create sent that its answer does not list (django-scim2
    drops them); none when the answer omits `members` (taken as stored) or was lost."""
    if created.answer is None:
        return []
    echoed = session.parse(CreatedGroup, "POST", f"/{GROUPS.endpoint}", created.answer)
    if echoed.members is None:
        return []
    stored = {m.value for m in echoed.members}
    return [m.value for m in sent if m.value not in stored]
