"""Issue 18: the loader's fast path (large files through yaml_rs, fast_reader.py) changes
nothing but the time. Every folder loads to the same state, the same warnings and the same
errors at the same FILE:LINE:COLUMN whether its files take the fast path or the exact one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.desired import DesiredStateError, fast_reader, load_desired
from reconcile.desired import loader as loader_module
from reconcile.desired.fast_reader import FAST_MIN_CHARS
from reconcile.desired.yaml_reader import read_yaml

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
FOLDERS = sorted(
    [
        *(FIXTURES / "invalid").iterdir(),
        *(FIXTURES / "valid").iterdir(),
        ROOT / "desired_state",
    ]
)


def outcome(path: Path, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What a load shows a user: errors, or the state with every place and warning."""
    monkeypatch.setattr(loader_module, "FAST_MIN_CHARS", 0 if fast else 1 << 62)
    try:
        result = load_desired(path, environ={"TEAMVIEWER_SSO_CUSTOMER_ID": "sso"})
    except DesiredStateError as exc:
        return {"errors": [str(d) for d in exc.diagnostics]}
    desired = result.desired
    return {
        "tenant": desired.tenant,
        "tenant_places": {k: str(v) for k, v in desired.tenant.locations.items()},
        "users": {k: (u, str(u.location), u.expires and str(u.expires.location))
                  for k, u in desired.users.items()},
        "groups": {k: (g, str(g.location), {m: str(e.location) for m, e in g.expiries.items()})
                   for k, g in desired.groups.items()},
        "warnings": [str(d) for d in result.warnings],
        "fingerprint": desired.fingerprint,
    }  # fmt: skip


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_each_fixture_loads_alike_on_both_paths(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)
    assert outcome(folder, fast=True, monkeypatch=monkeypatch) == exact


def _big_users(count: int, *, extra: str = "") -> str:
    lines = ["users:"]
    for n in range(count):
        lines += [f"  - email: user{n:05d}@example.test", f'    first_name: "F{n}"',
                  f"    last_name: L{n}"]  # fmt: skip
    return "\n".join(lines) + "\n" + extra


def test_a_large_file_takes_the_fast_path_and_a_later_error_still_points_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = _big_users(3000)
    assert len(users) > FAST_MIN_CHARS
    (tmp_path / "users.yaml").write_text(users, encoding="utf-8")
    # user 1500 again, in another file read first: R1 reports both places
    (tmp_path / "more.yaml").write_text(
        "users:\n  - email: USER01500@example.test\n    display_name: Again\n", encoding="utf-8"
    )
    read_fast: list[bool] = []
    real = fast_reader.fast_read

    def spy(text: str) -> Any:
        document = real(text)
        read_fast.append(document is not None)
        return document

    monkeypatch.setattr("reconcile.desired.rows.fast_read", spy)
    with pytest.raises(DesiredStateError) as caught:
        load_desired(tmp_path, environ={})
    assert read_fast == [True]  # only the large file is offered to the fast reader
    (error,) = caught.value.diagnostics
    line = 2 + 3 * 1500  # user 1500's "- email:", in the file the fast reader read
    assert str(error).startswith(f"{tmp_path / 'users.yaml'}:{line}:12: user 'user01500@")
    assert f"(also at {tmp_path / 'more.yaml'}:2:5)" in str(error)


def test_a_large_file_with_one_problem_is_read_again_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "groups:\n  ops:\n    name: Ops\n    members: [user00001@example.test, nobody@x.test]\n"
    (tmp_path / "all.yaml").write_text(_big_users(3000, extra=bad), encoding="utf-8")
    for fast in (True, False):
        monkeypatch.setattr(loader_module, "FAST_MIN_CHARS", 0 if fast else 1 << 62)
        with pytest.raises(DesiredStateError) as caught:
            load_desired(tmp_path, environ={})
        (error,) = caught.value.diagnostics
        assert str(error).startswith(f"{tmp_path / 'all.yaml'}:9005:39: member 'nobody@x.test'")


def test_a_file_with_a_tenant_section_is_read_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "tenant:\n  manage_groups: true\n" + _big_users(3000)
    (tmp_path / "all.yaml").write_text(text, encoding="utf-8")
    called: list[str] = []
    monkeypatch.setattr("reconcile.desired.loader.read_yaml", _spying(read_yaml, called))
    load_desired(tmp_path, environ={})
    assert called == ["read"]


def _spying(function: Any, calls: list[str]) -> Any:
    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append("read")
        return function(*args, **kwargs)

    return spy


# Random documents, valid and not: both paths must agree on every one.
_EMAILS = st.sampled_from(["ann@example.test", "Bo@Example.test", " cy@example.test", "bad", ""])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "", "2027-03-31", "0b11",
    "1_000", "True", "no", "2027-02-30", "de", "pt-BR"]),
)  # fmt: skip
_USER = st.fixed_dictionaries(
    {"email": _EMAILS},
    optional={
        "first_name": _SCALARS, "last_name": _SCALARS, "display_name": _SCALARS,
        "suspended": _SCALARS, "language": _SCALARS, "expires": _SCALARS, "mail": _SCALARS,
    },
)  # fmt: skip
_MEMBER = st.one_of(_EMAILS, st.fixed_dictionaries({"email": _EMAILS, "expires": _SCALARS}))
_GROUP = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["Ops", "ops", ""]), _SCALARS)},
    optional={
        "members": st.lists(_MEMBER, max_size=4), "renamed_from": st.lists(_SCALARS, max_size=2),
        "state": st.sampled_from(["present", "deleted", "gone"]), "id": _SCALARS,
    },
)  # fmt: skip
_DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "users": st.lists(_USER, max_size=4),
        "groups": st.dictionaries(st.sampled_from(["ops", "dev", "Bad Key"]), _GROUP, max_size=3),
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents=st.lists(_DOCUMENT, min_size=1, max_size=2), flow=st.booleans())
def test_random_folders_load_alike_on_both_paths(
    documents: list[dict[str, Any]], flow: bool, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("random")
    for index, document in enumerate(documents):
        text = yaml.safe_dump(document, default_flow_style=flow, sort_keys=False)
        (folder / f"part{index}.yaml").write_text(text, encoding="utf-8")
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)
    assert outcome(folder, fast=True, monkeypatch=monkeypatch) == exact


def test_without_yaml_rs_every_file_is_read_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "users.yaml").write_text(_big_users(3000), encoding="utf-8")
    with caplog.at_level("DEBUG", logger="reconcile.desired.loader"):
        fast = load_desired(tmp_path, environ={}).desired
    assert "read by the fast reader" in caplog.text
    caplog.clear()
    monkeypatch.setattr(fast_reader, "_parser", None)  # a platform without its wheel
    with caplog.at_level("DEBUG", logger="reconcile.desired.loader"):
        exact = load_desired(tmp_path, environ={}).desired
    assert "read by the exact reader" in caplog.text
    assert exact.users == fast.users
    assert exact.fingerprint == fast.fingerprint
