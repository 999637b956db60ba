"""A small synchronous client of the control API (`/_emulator/...`).

For tests and benchmarks: seed, reset, dump the state, read the request log, set
faults. Every call raises `httpx.HTTPStatusError` on an error answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import yaml

from reconcile.emulator.embedded import demo_seed_text


class ControlClient:
    def __init__(self, *, origin: str, token: str, timeout: float = 60.0) -> None:
        self._http = httpx.Client(
            base_url=f"{origin}/_emulator",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def __repr__(self) -> str:
        return f"ControlClient(origin={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._json(self._http.post("/reset"))

    def seed(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        users: Sequence[Mapping[str, Any]] = (),
        groups: Sequence[Mapping[str, Any]] = (),
        foreign_accounts: Sequence[str] = (),
    ) -> dict[str, int]:
        """Seed from a seed-file-shaped mapping, or from the keyword lists."""
        body = (
            dict(data)
            if data is not None
            else {
                "users": list(users),
                "groups": list(groups),
                "foreign_accounts": list(foreign_accounts),
            }
        )
        result: dict[str, int] = self._json(self._http.post("/seed", json=body))
        return result

    def seed_demo(self) -> dict[str, int]:
        """The demo tenant of the embedded target (reconcile/emulator/demo_seed.yaml)."""
        return self.seed(yaml.safe_load(demo_seed_text()))

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.get("/state"))
        return result

    def requests(self, *, limit: int | None = None) -> dict[str, Any]:
        params = {"limit": limit} if limit is not None else None
        result: dict[str, Any] = self._json(self._http.get("/requests", params=params))
        return result

    def clear_requests(self) -> None:
        self._json(self._http.delete("/requests"))

    def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.get("/faults"))
        return result

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.put("/faults", json=changes))
        return result
