"""Running the client against a server from synchronous tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from reconcile.live.client import ScimClient
from reconcile.live.retry import RetryPolicy
from tests.integration.live.conftest import TOKEN

T = TypeVar("T")
FAST = RetryPolicy(max_attempts=12, base_delay=0.005, max_delay=0.05, total_time=60.0)


def run(base_url: str, action: Callable[[ScimClient], Awaitable[T]], **options: Any) -> T:
    options.setdefault("retry", FAST)
    options.setdefault("token", TOKEN)

    async def main() -> T:
        async with ScimClient(base_url=base_url, **options) as client:
            return await action(client)

    return asyncio.run(main())
