"""Issue 18: the loader's fast path (large files through yaml_rs, fast_reader.py) changes
nothing but the time. Every folder loads to the same state, the same warnings and the same
errors at the same FILE:LINE:COLUMN whether its files take the fast path or the exact one."""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconcile.desired import DesiredStateError, fast_reader, large_files, load_desired, parallel
from reconcile.desired.fast_reader import FAST_MIN_CHARS
from reconcile.desired.model import DesiredUser, Location, desired_user, effective_name
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


def outcome(
    path: Path,
    *,
    fast: bool,
    monkeypatch: pytest.MonkeyPatch,
    helped: bool = False,
    threads_seen: bool = False,
) -> dict[str, Any]:
    """What a load shows a user: errors, or the state with every place and warning.
    `fast`: every file is offered to the fast path; `helped`: with a helper process too.

    The session's test servers run in threads of this process, where the loader would
    (rightly) fork no helper; their locks are nothing the helper touches, so unless
    `threads_seen`, the loader is told it is alone.
    """
    monkeypatch.setattr(large_files, "FAST_MIN_CHARS", 0 if fast else 1 << 62)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CHARS", 0 if helped else 1 << 62)
    count = parallel.thread_count if threads_seen else (lambda: 1)
    monkeypatch.setattr(parallel, "thread_count", count)
    # and told it has two CPUs, so that the helper is tested on a machine of one too
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    try:
        result = load_desired(path, environ={"TEAMVIEWER_SSO_CUSTOMER_ID": "sso"})
    except DesiredStateError as exc:
        return {"errors": [str(d) for d in exc.diagnostics]}
    desired = result.desired
    for group in desired.groups.values():  # whatever the path, members come sorted
        assert list(group.members) == sorted(group.members)
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
        monkeypatch.setattr(large_files, "FAST_MIN_CHARS", 0 if fast else 1 << 62)
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
    if len(documents) > 1:
        assert outcome(folder, fast=True, helped=True, monkeypatch=monkeypatch) == exact


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


# With a helper process (parallel.py, large_files.py): the same outcome again, whatever
# the helper answers or fails to answer.
class _CountingHelper(parallel.Helper):
    started = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        type(self).started += 1
        super().__init__(*args, **kwargs)


def _folder_of_many_files(root: Path, *, problems: bool) -> Path:
    users = [f"user{n:04d}@example.test" for n in range(60)]
    for part in range(3):
        lines = ["users:"]
        for email in users[part * 20 : part * 20 + 20]:
            lines += [f"  - email: {email}", f"    display_name: {email.split('@')[0]}"]
        if part == 2:
            lines += ["  - email: gone@example.test", "    display_name: Gone",
                      "    expires: 2027-03-31"]  # fmt: skip
        if problems and part == 2:
            lines += ["  - email: USER0001@example.test", "    display_name: Twice"]
        (root / f"users-{part}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for part in range(2):
        lines = ["groups:"]
        for n in range(part * 5, part * 5 + 5):
            members = users[n : n + 30 : 3]
            lines += [f"  g{n}:", f"    name: Group {n}", "    members:"]
            lines += [f"      - {m}" for m in members]
        lines += [f"  odd{part}:", f"    name: Odd {part}", "    renamed_from: [Old]" * part,
                  "    members:", "      - USER0002@example.test",
                  "      - {email: user0003@example.test, expires: 2027-01-01}",
                  "      - gone@example.test"]  # fmt: skip
        if problems:  # undeclared; the same user twice
            lines += ["      - nobody@example.test", "      - user0002@example.test"]
            # both spellings of an e-mail declared twice, in a group with no other problem
            lines += [f"  twice{part}:", f"    name: Twice {part}", "    members:",
                      "      - USER0001@example.test", "      - user0001@example.test"]  # fmt: skip
        (root / f"groups-{part}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("problems", [False, True], ids=["valid", "with-problems"])
def test_a_folder_loads_alike_with_a_helper_process(
    problems: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder = _folder_of_many_files(tmp_path, problems=problems)
    monkeypatch.setattr(large_files, "Helper", _CountingHelper)
    _CountingHelper.started = 0
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)
    assert ("errors" in exact) is problems
    assert outcome(folder, fast=True, monkeypatch=monkeypatch) == exact
    assert _CountingHelper.started == 0
    with caplog.at_level("DEBUG", logger="reconcile.desired"):
        assert outcome(folder, fast=True, helped=True, monkeypatch=monkeypatch) == exact
    assert _CountingHelper.started == 1
    assert re.search(r"a helper process reads [1-4] of the 5 large files", caplog.text)
    assert "the helper" not in caplog.text  # it answered both steps: nothing done twice


def _raises(*args: Any) -> Any:
    raise RuntimeError("the helper fails")


def _exits(*args: Any) -> Any:
    os._exit(3)


def _answers_nonsense(*args: Any) -> Any:
    return {"not": "asked"}


@pytest.mark.parametrize("step", ["_read", "_resolve"])
@pytest.mark.parametrize("failure", [_raises, _exits, _answers_nonsense], ids=lambda f: f.__name__)
def test_whatever_the_helper_fails_at_we_do_ourselves(
    step: str, failure: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    folder = _folder_of_many_files(tmp_path, problems=False)
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(large_files, "Helper", _CountingHelper)
    monkeypatch.setattr(large_files, step, failure)
    _CountingHelper.started = 0
    with caplog.at_level("DEBUG", logger="reconcile.desired"):
        assert outcome(folder, fast=True, helped=True, monkeypatch=monkeypatch) == exact
    assert _CountingHelper.started == 1
    step_said = "read its files" if step == "_read" else "resolve its groups"
    assert f"the helper did not {step_said}: " in caplog.text


def test_no_helper_process_beside_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder_of_many_files(tmp_path, problems=False)
    monkeypatch.setattr(large_files, "Helper", _CountingHelper)
    _CountingHelper.started = 0
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        helped = outcome(folder, fast=True, helped=True, threads_seen=True, monkeypatch=monkeypatch)
    finally:
        stop.set()
        other.join()
    assert _CountingHelper.started == 0  # a fork beside a thread could hang the child
    assert helped == outcome(folder, fast=False, monkeypatch=monkeypatch)


def test_no_process_to_be_had_means_all_of_it_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder_of_many_files(tmp_path, problems=False)
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", no_fork)
    with caplog.at_level("DEBUG", logger="reconcile.desired"):
        assert outcome(folder, fast=True, helped=True, monkeypatch=monkeypatch) == exact
    assert "no helper process (" in caplog.text


def _hangs(*args: Any) -> Any:
    time.sleep(60)


def test_a_helper_that_hangs_costs_time_not_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder_of_many_files(tmp_path, problems=False)
    exact = outcome(folder, fast=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(large_files, "_resolve", _hangs)
    monkeypatch.setattr(large_files, "PATIENCE_SECONDS", 0.5)
    started = time.monotonic()
    with caplog.at_level("DEBUG", logger="reconcile.desired"):
        assert outcome(folder, fast=True, helped=True, monkeypatch=monkeypatch) == exact
    assert time.monotonic() - started < 20
    assert "no answer in time" in caplog.text


@given(
    names=st.tuples(*[st.one_of(st.none(), st.sampled_from(["", " Ann ", "Lee", "A B"]))] * 3),
    flags=st.tuples(st.booleans(), st.booleans()),
    language=st.sampled_from([None, "de"]),
)
def test_the_loaders_user_is_the_dataclasss_user(
    names: tuple[str | None, str | None, str | None], flags: tuple[bool, bool],
    language: str | None,
) -> None:  # fmt: skip
    first, last, display = names
    where = Location("users.yaml", 2, 5)
    built = DesiredUser(
        email="ann@example.test", first_name=first, last_name=last, display_name=display,
        suspended=flags[0], password_expired=flags[1], language=language, location=where,
    )  # fmt: skip
    fast = desired_user(
        "ann@example.test", first, last, display, *flags, language, None, where,
        effective_name(first, last, display),
    )  # fmt: skip
    assert fast == built
    assert [getattr(fast, f.name) for f in fields(DesiredUser)] == [
        getattr(built, f.name) for f in fields(DesiredUser)
    ]
