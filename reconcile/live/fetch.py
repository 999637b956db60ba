"""Read the complete live state from a SCIM service: every user, every group, every member.

Completeness first: a listing that moved while it was read (ids on two pages,
`totalResults` shrinking, a short page before the end, a member that is no listed user)
is read once more from scratch; inconsistent twice, it fails with IncompleteListingError.
A listing that only grew (new users after every page read: creation order) is read to
its new end instead (see listing.py).
Speed right after: users and groups are listed at the same time, and each listing
requests its remaining pages concurrently, as few as the service's page size allows.
"""

from __future__ import annotations

import asyncio
import logging

from reconcile.live.client import ScimClient
from reconcile.live.errors import IncompleteListingError, LiveStateError
from reconcile.live.gate import PriorityGate
from reconcile.live.listing import gather_all, speculative_pages
from reconcile.live.model import Live, LiveGroup, LiveUser

logger = logging.getLogger(__name__)


async def fetch_live(
    client: ScimClient, *, expected_users: int = 0, expected_groups: int = 0
) -> Live:
    """The live state, complete, or an error: never a partial picture.

    `expected_users` / `expected_groups` (what the desired state declares) let the first
    round of requests carry more than the two first pages; see
    `listing.speculative_pages`. They change how fast the listing is read, never what is
    read.
    """
    speculate = speculative_pages(
        expected=(expected_users, expected_groups),
        page_size=client.page_size,
        slots=client.max_concurrency,
    )
    try:
        return await _read_once(client, speculate)
    except IncompleteListingError as first:
        logger.info("%s; reading the live state again", first)
        try:
            return await _read_once(client, speculate)
        except IncompleteListingError as second:
            raise IncompleteListingError(
                f"{second} (read twice; the first time: {first}). The engine never plans "
                "from a partial listing: run again when nothing else is changing the service"
            ) from second


async def _read_once(client: ScimClient, speculate: list[int]) -> Live:
    gate = PriorityGate(client.max_concurrency)  # the two listings take turns (gate.py)
    users = asyncio.ensure_future(client.list_users(speculate=speculate[0], gate=gate))
    groups = asyncio.ensure_future(client.list_groups(speculate=speculate[1], gate=gate))
    await gather_all([users, groups])  # the first failure cancels the other listing
    return check_live(users=users.result(), groups=groups.result())


def check_live(*, users: list[LiveUser], groups: list[LiveGroup]) -> Live:
    """Build `Live` after the cross-listing checks (members exist, e-mails unique).

    The state is built first and checked through its own indexes: the checks then cost
    no sorting and no sets of their own, which matters at the end of a read, when nothing
    else is left to wait for. The first problem is reported in id order.
    """
    live = Live.build(users=users, groups=groups)
    known = set(live.users_by_id)
    for group in live.groups:  # sorted by id
        # Set against set; member ids are their users' own id objects ("Shared objects"
        # in plan/planner.py), so this compares pointers.
        if not group.member_ids <= known:
            unknown = sorted(group.member_ids - known)
            raise IncompleteListingError(
                f"group {group.name!r} ({group.id}) has member {unknown[0]} that is not a "
                "listed user (the listing changed while it was read)"
            )
    if len(live.users_by_email) != len(live.users):
        by_key: dict[str, LiveUser] = {}
        for user in live.users:  # sorted by id
            other = by_key.setdefault(user.key, user)
            if other is not user:
                raise LiveStateError(
                    f"two live users share the e-mail {user.email!r} ({other.id} and "
                    f"{user.id}); users are told apart by e-mail (R1): merge or re-address "
                    "one in the service"
                )
    return live
