"""Unit tests of learning a group request's member limit from a refusal (issue 20), and of
re-cutting a PATCH to a smaller size."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconcile.live.client import ScimClient
from reconcile.live.errors import BadRequest, ScimError, ServerError
from reconcile.live.member_limits import next_size, refused_for_size, stated_limit
from reconcile.live.requests import group_patches, patch_cost, split_patch
from reconcile.live.retry import RetryPolicy


def _error(status: int, detail: str | None = None, scim_type: str | None = None) -> ScimError:
    cls = {400: BadRequest, 500: ServerError}.get(status, ScimError)
    return cls(status=status, method="PATCH", path="/Groups/g1", scim_type=scim_type, detail=detail)


@pytest.mark.parametrize(
    ("status", "scim_type", "detail", "expected"),
    [
        (413, None, None, True),
        (400, "tooMany", None, True),
        (400, None, "Request payload too large", True),
        (400, None, "at most 50 members per request", True),
        (400, "invalidValue", "members must be existing user ids; unknown: u1", False),
        (500, None, "the limit is 100 per request", False),
    ],
)
def test_which_answers_are_refusals_for_size(
    status: int, scim_type: str | None, detail: str | None, expected: bool
) -> None:
    assert refused_for_size(_error(status, detail, scim_type)) is expected


def test_the_stated_limit_is_parsed_else_the_size_is_halved() -> None:
    emulated = "this PATCH carries 240 operations; the limit is 100 per request"
    assert stated_limit(emulated) == 100
    assert stated_limit("no more than 25 values") == 25
    assert stated_limit("too large") is None
    learned = next_size(_error(413, emulated), refused=240, method="PATCH", path="/Groups/g1")
    assert learned is not None
    assert learned.size == 100
    assert learned.stated
    assert learned.message == "the service takes at most 100 member values per request"
    halved = next_size(_error(413, "Payload Too Large"), refused=240, method="PATCH", path="/x")
    assert halved is not None
    assert (halved.size, halved.stated) == (120, False)
    # a stated limit that does not make the request smaller is not believed
    odd = next_size(_error(413, "the limit is 500"), refused=240, method="PATCH", path="/x")
    assert odd is not None
    assert odd.size == 120


def test_a_refusal_after_a_lost_answer_or_of_one_value_is_never_split() -> None:
    after_loss = _error(413, "the limit is 100")
    after_loss.maybe_applied = True
    assert next_size(after_loss, refused=240, method="PATCH", path="/x") is None
    assert next_size(_error(413), refused=1, method="PATCH", path="/x") is None
    assert next_size(_error(400, "unknown member"), refused=240, method="PATCH", path="/x") is None


def test_split_patch_keeps_rename_adds_removals_in_order_and_each_fits() -> None:
    (whole,) = group_patches(
        rename="New",
        add_ids=[f"u{i:03d}" for i in range(30)],
        remove_ids=[f"r{i:03d}" for i in range(9)],
        max_operations=1000,
    )
    assert patch_cost(whole) == 40
    parts = split_patch(whole, max_operations=7)
    assert [patch_cost(p) for p in parts] == [7, 7, 7, 7, 7, 5]
    ops = [op for p in parts for op in p.operations]
    assert ops[0].path == "displayName"
    assert ops[0].value == "New"
    added = [ref.value for op in ops if op.op == "add" for ref in op.value]
    prefix = len("members[value eq ")
    removed = [json.loads(op.path[prefix:-1]) for op in ops if op.op == "remove"]
    assert added == [f"u{i:03d}" for i in range(30)]
    assert removed == [f"r{i:03d}" for i in range(9)]
    assert max(i for i, op in enumerate(ops) if op.op == "add") < min(
        i for i, op in enumerate(ops) if op.op == "remove"
    )


def test_a_400_too_many_without_a_number_halves_until_accepted() -> None:
    """A service that states no number: halving, one refusal per size tried, and the
    accepted size is kept for the next group."""
    limit = 30
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        ops = json.loads(request.content)["Operations"]
        cost = sum(len(op["value"]) if isinstance(op.get("value"), list) else 1 for op in ops)
        seen.append(cost)
        if cost > limit:
            return httpx.Response(400, json={"scimType": "tooMany", "status": "400"})
        return httpx.Response(200, json={"id": "g1", "displayName": "G", "members": []})

    async def main() -> tuple[list[int], list[str]]:
        async with ScimClient(
            base_url="https://scim.example.test/scim/v2",
            token="t0ken",
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002),
        ) as client:
            first = await client.patch_group(group_id="g1", add_ids=[f"u{i}" for i in range(100)])
            second = await client.patch_group(group_id="g2", add_ids=[f"v{i}" for i in range(50)])
            return [first, second], [x.message for x in client.learned_limits]

    counts, learned = asyncio.run(main())
    # 100 refused, 50 refused, 25 accepted x4; then the next group goes at 25 at once
    assert seen == [100, 50, 25, 25, 25, 25, 25, 25]
    assert counts == [4, 2]
    assert learned[-1] == (
        "the service refused 50 member values in one request; reconcile sends at most 25 "
        "from now on"
    )
