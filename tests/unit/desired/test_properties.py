"""Property: whatever the input, the loader either returns or raises DesiredStateError,
never anything else (no YAML, pydantic, Unicode or recursion error escapes)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.desired import DesiredStateError, LoadResult, load_desired

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_KEYS = st.sampled_from(
    [
        "tenant", "users", "groups", "email", "first_name", "last_name", "display_name",
        "suspended", "password_expired", "language", "name", "id", "renamed_from", "state",
        "members", "safety", "max_deactivations", "max_deactivation_percent", "sso_customer_id",
        "manage_groups", "unmanaged_users", "enabled", "password", "<<",
    ]
) | st.text(max_size=12)  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(["a@x.test", "A@X.TEST", "${HOME}", "${UNSET_VAR}", "${A:-b}", "present"])
)
_DATA = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(_KEYS | st.integers(), children, max_size=6)
    ),
    max_leaves=40,
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "state.yaml"


def _load(file: Path) -> LoadResult | None:
    try:
        return load_desired(file, environ={"HOME": "/home/x"})
    except DesiredStateError as exc:
        diagnostics = exc.diagnostics
    assert diagnostics, "a DesiredStateError always says why"
    assert all(d.severity == "error" for d in diagnostics)
    return None


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text(scratch: Path, text: str) -> None:
    scratch.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load(scratch)


@SETTINGS
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    _load(scratch)


@SETTINGS
@given(data=_DATA, flow=st.booleans())
def test_arbitrary_nested_yaml_like_data(scratch: Path, data: Any, flow: bool) -> None:
    scratch.write_text(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True))
    _load(scratch)


@SETTINGS
@given(
    tenant=_DATA,
    users=st.lists(st.dictionaries(_KEYS, _SCALARS, max_size=5), max_size=4),
    groups=st.dictionaries(_KEYS, st.dictionaries(_KEYS, _DATA, max_size=4), max_size=3),
)
def test_arbitrary_desired_state_shapes(
    scratch: Path, tenant: Any, users: list[Any], groups: dict[str, Any]
) -> None:
    document = {"tenant": tenant, "users": users, "groups": groups}
    scratch.write_text(yaml.safe_dump(document, allow_unicode=True))
    result = _load(scratch)
    if result is not None:  # when it loads, members are declared users (keys)
        for group in result.desired.groups.values():
            assert all(member in result.desired.users for member in group.members)
