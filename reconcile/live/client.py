"""The SCIM client: the resource operations the engine needs, on users and on groups.

    async with ScimClient(base_url=..., token=..., profile=Profile.TEAMVIEWER) as client:
        live = await fetch_live(client)
        with client.recording() as requests:          # per-operation audit trail
            user_id = await client.create_user(email=..., display_name=..., active=True)

Layered the way httpx layers `send`: every request goes through the session
(session.py: rate limit, bounded concurrency, retries, typed errors), its body and query
come from the pure builders (requests.py), and what users and groups share - the complete
listing, the create that never duplicates (R17) - lives in resources.py. This module
says what each operation is for and which profile shape it takes.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterable
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import httpx

from reconcile.identity import email_key
from reconcile.live.answers import answer_json
from reconcile.live.discovery import STANDARD_FACTS, TEAMVIEWER_FACTS, ServiceFacts
from reconcile.live.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    ForeignAccountConflict,
    ScimError,
)
from reconcile.live.gate import PriorityGate
from reconcile.live.httpclient import Timeouts, check_token
from reconcile.live.member_limits import LearnedLimit, next_size
from reconcile.live.model import LiveGroup, LiveUser
from reconcile.live.network import NetworkSettings
from reconcile.live.profiles import Profile
from reconcile.live.ratelimit import RateLimiter
from reconcile.live.records import RequestHook, RequestRecord, recording
from reconcile.live.requests import (
    eq_filter,
    group_create,
    group_patches,
    patch_cost,
    split_patch,
    user_create,
    user_update,
    user_update_by_name_parts,
)
from reconcile.live.resources import (
    GROUP_PATCH,
    GROUPS,
    USERS,
    Fallbacks,
    Settlement,
    create_then_settle,
    list_all,
    patch_group_by_value,
    send_user_update,
    unstored_members,
)
from reconcile.live.retry import RetryPolicy
from reconcile.live.secret import Secret
from reconcile.live.session import Session
from reconcile.live.target import check_base_url, label_of

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "LearnedLimit",
    "PatchLimits",
    "RequestRecord",
    "ScimClient",
    "Timeouts",
]

DEFAULT_PAGE_SIZE: Final = 1000

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True, kw_only=True)
class PatchLimits:
    """How much one group request may carry; past it the changes are split (R18).

    `max_operations` counts every member value as one operation (an `add` of 50 ids
    costs 50), as TeamViewer's limit is documented and emulated; a rename costs 1. A
    created group carries at most that many initial members, the rest follow in PATCHes.
    The client reads it at each group request (`ScimClient.patch_limits`), never earlier,
    and lowers it there when the service refuses a request for its size (member_limits.py).
    """

    max_operations: int = 1000

    def __post_init__(self) -> None:
        if self.max_operations < 1:
            raise ValueError("max_operations must be at least 1")


class ScimClient:
    """An async SCIM 2.0 client for one service; use it as an async context manager."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | Secret,
        profile: Profile = Profile.TEAMVIEWER,
        transport: httpx.AsyncBaseTransport | None = None,
        network: NetworkSettings = NetworkSettings(),
        timeouts: Timeouts = Timeouts(),
        max_concurrency: int = 8,
        rate_limit_rps: float | None = None,
        rate_limit_burst: int = 1,
        retry: RetryPolicy = RetryPolicy(),
        page_size: int = DEFAULT_PAGE_SIZE,
        patch_limits: PatchLimits = PatchLimits(),
        on_request: RequestHook | None = None,
        allow_http: bool = False,
        label: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        if page_size < 1:
            raise ConfigurationError("page_size must be at least 1")
        url = check_base_url(base_url, allow_http=allow_http)
        self.profile = Profile(profile)
        # How the target is named in messages and snapshots (never with credentials).
        self.label = label or label_of(url)
        self.page_size = page_size
        # What the service supports: known for teamviewer, read by discovery.discover()
        # for rfc7644 (until then: a standard service without the SSO extension).
        self.facts = TEAMVIEWER_FACTS if self.profile is Profile.TEAMVIEWER else STANDARD_FACTS
        self._fallbacks = Fallbacks(enabled=self.profile.traits.not_implemented_fallbacks)
        # The one place the member chunk size of group requests is held; read per request,
        # lowered when the service refuses a request for its size (see _sized).
        self.patch_limits = patch_limits
        self.learned_limits: list[LearnedLimit] = []  # each size learnt, in order
        self.size_refusals = 0  # group requests refused for their size (the discovery cost)
        # The largest member count the service accepted so far. A request carrying more
        # goes alone (under the lock), so that concurrent operations never send several
        # requests of a size the service is about to refuse: one refusal per size learnt.
        self._proven = 0
        self._probe = asyncio.Lock()
        self._session = Session(
            base_url=url,
            token=check_token(token),
            label=self.label,
            transport=transport,
            network=network,
            timeouts=timeouts,
            max_concurrency=max_concurrency,
            # rate_limit_burst: the service's own bucket (1 by default: every request
            # spaced). The client saves up at most half of it while idle (see RateLimiter):
            # the other half absorbs requests that arrive bunched, so a catch-up never
            # meets a 429.
            limiter=RateLimiter(rate=rate_limit_rps, burst=max(1, rate_limit_burst // 2)),
            retry=retry,
            rng=rng or random.Random(),
            on_request=on_request,
        )

    def __repr__(self) -> str:
        return f"ScimClient(target={self.label!r}, profile={self.profile.value!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self._session.limiter

    @property
    def max_concurrency(self) -> int:
        """Requests in flight at most (listing pages and writes alike)."""
        return self._session.max_concurrency

    def use_facts(self, facts: ServiceFacts) -> None:
        """Adapt to what the service said it supports (see discovery.py)."""
        self.facts = facts
        if facts.max_results is not None:
            self.page_size = min(self.page_size, facts.max_results)

    async def get_document(self, path: str) -> Any:
        """The JSON of one GET (discovery documents)."""
        response = await self._session.send("GET", path)
        assert response is not None  # only deletes settle without an answer
        return answer_json(method="GET", path=path, label=self.label, response=response)

    async def __aenter__(self) -> Self:
        await self._session.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.__aexit__(exc_type, exc, tb)

    @contextmanager
    def recording(self) -> Generator[list[RequestRecord], None, None]:
        """Collect the requests made inside the block by this task (and tasks it starts)."""
        with recording() as records:
            yield records

    # --- reading -----------------------------------------------------------------------

    async def list_users(
        self, *, filter: str | None = None, speculate: int = 0, gate: PriorityGate | None = None
    ) -> list[LiveUser]:
        """All users (every page), or those matching a filter. `speculate`: pages after
        the first to request together with it (see listing.speculative_pages); `gate`:
        shared with another listing read at the same time (see gate.py)."""
        return await list_all(
            self._session,
            USERS,
            page_size=self.page_size,
            filter=filter,
            speculate=speculate,
            gate=gate,
        )

    async def list_groups(
        self, *, filter: str | None = None, speculate: int = 0, gate: PriorityGate | None = None
    ) -> list[LiveGroup]:
        """All groups with their members (every page), or those matching a filter."""
        return await list_all(
            self._session,
            GROUPS,
            page_size=self.page_size,
            filter=filter,
            speculate=speculate,
            gate=gate,
        )

    async def find_user(
        self, *, email: str, display_name: str | None = None, exhaustive: bool = True
    ) -> LiveUser | None:
        """The user inside the company with this e-mail (R1), or None.

        `rfc7644` filters on userName. `teamviewer` cannot filter by e-mail: it filters on
        the display name and falls back to the full list, so the answer is always certain.
        `exhaustive=False` trusts a display-name filter that the service answered: right
        after our own create whose answer was lost, the user can only exist with the exact
        name we sent. That spares a full listing per lost answer, which under a burst of
        faults (while other creates change the listing) would itself fail.
        """
        key = email_key(email)
        if self.profile.traits.email_filter:
            query: str | None = eq_filter("userName", email.strip())
        elif display_name:
            query = eq_filter("displayName", display_name)
        else:
            query = None
        if query is not None and self.facts.filter_supported:  # else the full list decides
            try:
                candidates = await self.list_users(filter=query)
            except BadRequest:
                candidates = None  # the filter is not supported: the full list decides
            for user in candidates or ():
                if user.key == key:
                    return user
            if candidates is not None and not exhaustive:
                return None
        for user in await self.list_users():
            if user.key == key:
                return user
        return None

    async def find_groups_by_name(self, *, name: str) -> list[LiveGroup]:
        if not self.facts.filter_supported:
            return [g for g in await self.list_groups() if g.name == name]
        try:
            found = await self.list_groups(filter=eq_filter("displayName", name))
        except BadRequest:
            found = await self.list_groups()
        return [g for g in found if g.name == name]

    # --- writing: users ----------------------------------------------------------------

    async def create_user(
        self,
        *,
        email: str,
        display_name: str,
        active: bool,
        language: str | None = None,
        sso_customer_id: str | None = None,
    ) -> str:
        """Create a user; the new id. Never creates a duplicate (R17).

        A create whose answer is lost is settled by looking the user up: found inside the
        company -> done; not found -> sent again. A 409 after such a loss is resolved the
        same way; a 409 for an address outside the company raises ForeignAccountConflict.
        """
        body = user_create(
            email=email,
            display_name=display_name,
            active=active,
            language=language,
            sso_customer_id=sso_customer_id,
            with_emails=self.profile.traits.create_with_emails,
            sso_extension=self.facts.sso_extension,  # else the plan says so once
            name_parts=self.profile.traits.create_with_emails,
        )

        async def find(exhaustive: bool) -> str | None:
            found = await self.find_user(
                email=email, display_name=display_name, exhaustive=exhaustive
            )
            return None if found is None else found.id

        settlement = Settlement(
            subject=email,
            find=find,
            not_found="a look-up found no such user, and",
            look_up_failed="run plan again to see whether the user exists",
            conflict=lambda exc, found: _user_conflict(exc, email=email, found=found),
        )
        created = await create_then_settle(
            self._session, endpoint=USERS.endpoint, body=body, settlement=settlement
        )
        return created.id

    async def update_user(
        self, *, user_id: str, display_name: str | None = None, active: bool | None = None
    ) -> None:
        """One PATCH with `replace` operations (the only kind TeamViewer accepts).

        A rename that the service answered 501 to (rfc7644) is sent as name parts, at
        once for the rest of the run (see profiles.py)."""
        body = user_update(display_name=display_name, active=active)
        if body is None:
            return  # nothing changed: no request (R18)
        self.facts.check_patch(label=self.label)
        parts = None
        if display_name is not None:
            parts = user_update_by_name_parts(display_name=display_name, active=active)
        await send_user_update(
            self._session, body, path=f"/Users/{user_id}", fallbacks=self._fallbacks, other=parts
        )

    # --- writing: groups ---------------------------------------------------------------

    async def create_group(self, *, name: str, member_ids: Iterable[str] = ()) -> str:
        """Create a group with its initial members (R18); the new id.

        Members past the per-request limit are added by a follow-up PATCH; a create
        refused for its size (nothing created) is sent again with fewer. A create whose
        answer is lost is settled by looking the group up by name before re-sending.
        """
        members = sorted(set(member_ids))

        async def find(exhaustive: bool) -> str | None:
            found = await self.find_groups_by_name(name=name)
            return found[0].id if found else None

        settlement = Settlement(
            subject=f"group {name!r}",
            find=find,
            not_found="no such group was found and",
            look_up_failed="run plan again",
        )
        while True:
            body, rest = group_create(
                name=name, member_ids=members, max_operations=self.patch_limits.max_operations
            )
            sized = await self._sized(
                len(body.members),
                partial(
                    create_then_settle,
                    self._session,
                    endpoint=GROUPS.endpoint,
                    body=body,
                    settlement=settlement,
                ),
                method="POST",
                path=f"/{GROUPS.endpoint}",
            )
            if sized is not None:
                break
        (created,) = sized
        if self._fallbacks.enabled:  # members a create dropped follow in the PATCH
            rest = unstored_members(self._session, created, sent=body.members) + rest
        if rest:
            await self.patch_group(group_id=created.id, add_ids=rest)
        return created.id

    async def patch_group(
        self,
        *,
        group_id: str,
        rename: str | None = None,
        add_ids: Iterable[str] = (),
        remove_ids: Iterable[str] = (),
    ) -> int:
        """Rename and change members in one PATCH (more only past the limits); the count
        of requests that changed the group.

        A request refused for its size is split to the size learnt and sent again
        (member_limits.py); the ones already accepted are never sent again. A change
        whose first request the service answered 501 to (rfc7644) is sent in the other
        form, at once for the rest of the run (see resources.patch_group_by_value)."""
        add_ids, remove_ids = list(add_ids), list(remove_ids)
        requests = group_patches(
            rename=rename,
            add_ids=add_ids,
            remove_ids=remove_ids,
            max_operations=self.patch_limits.max_operations,
        )
        if not requests:
            return 0
        self.facts.check_patch(label=self.label)
        path = f"/Groups/{group_id}"

        async def by_value() -> int:  # the other form, for rfc7644 after a 501
            return await patch_group_by_value(
                self._session,
                path=path,
                rename=rename,
                add_ids=add_ids,
                remove_ids=remove_ids,
                max_operations=self.patch_limits.max_operations,
            )

        if self._fallbacks.known(GROUP_PATCH):
            return await by_value()
        queue, sent = deque(requests), 0
        while queue:
            request = queue.popleft()
            limit = self.patch_limits.max_operations
            if patch_cost(request) > limit:  # built before a smaller size was learnt
                queue.extendleft(reversed(split_patch(request, max_operations=limit)))
                continue
            try:
                done = await self._sized(
                    patch_cost(request),
                    partial(self._session.send, "PATCH", path, body=request),
                    method="PATCH",
                    path=path,
                )
            except ScimError as exc:
                # Nothing of a refused request was applied (RFC 7644 3.5.2: all or none);
                # before the first success nothing of the change was.
                if sent or not self._fallbacks.learn(GROUP_PATCH, exc):
                    raise
                return await by_value()
            if done is None:
                queue.appendleft(request)  # re-cut to the size now in force
            else:
                sent += 1
        return sent

    async def _sized(
        self, cost: int, send: Callable[[], Awaitable[_R]], *, method: str, path: str
    ) -> tuple[_R] | None:
        """Send a group request carrying `cost` member values: (its result,), or None
        when it must be cut to the size in force first (which its refusal may just have
        lowered). A request larger than any accepted so far goes alone."""
        async with AsyncExitStack() as stack:
            if cost > self._proven:
                await stack.enter_async_context(self._probe)
            if cost > self.patch_limits.max_operations:
                return None  # lowered while this one waited
            try:
                result = await send()
            except ScimError as exc:
                learned = next_size(exc, refused=cost, method=method, path=path)
                if learned is None:
                    raise
                self.size_refusals += 1
                if learned.size < self.patch_limits.max_operations:
                    self.patch_limits = PatchLimits(max_operations=learned.size)
                    self.learned_limits.append(learned)
                return None
            self._proven = max(self._proven, cost)
            return (result,)

    async def delete_group(self, *, group_id: str) -> None:
        """Delete a group; a 404 after a lost answer means the first attempt worked."""
        await self._session.send("DELETE", f"/Groups/{group_id}", absent_is_done=True)


def _user_conflict(exc: Conflict, *, email: str, found: str | None) -> Conflict:
    """The error for a 409 on a user create that was not our own earlier attempt."""
    if found is not None:
        return Conflict(
            status=exc.status,
            method=exc.method,
            path=exc.path,
            scim_type=exc.scim_type,
            detail=f"{email} already exists in the company as {found}",
            hint="the live state changed since the plan; run plan again",
        )
    return ForeignAccountConflict(
        status=exc.status,
        method=exc.method,
        path=exc.path,
        scim_type=exc.scim_type,
        detail=f"{email} belongs to a TeamViewer account outside the company",
        hint="ask its owner to remove the account or change its e-mail, or "
        "declare the user with another address",
    )
