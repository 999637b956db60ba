"""The helper process of large loads (parallel.py): a real fork, a real pipe."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from reconcile.desired import parallel
from reconcile.desired.parallel import Helper, may_fork, split

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def test_the_helper_answers_then_answers_the_question() -> None:
    with Helper(first=lambda: {"n": [1, 2, 3]}, second=lambda q: [q, q * 2]) as helper:
        assert helper.answer() == {"n": [1, 2, 3]}
        helper.ask(21)
        assert helper.answer() == [21, 42]


def test_a_helper_never_asked_goes_away() -> None:
    helper = Helper(first=lambda: "ready", second=lambda q: q)
    assert helper.answer() == "ready"
    pid = helper._pid
    helper.close()
    with pytest.raises(ChildProcessError):  # reaped: no process of that id is ours any more
        os.waitpid(pid, os.WNOHANG)


def _boom() -> Any:
    raise RuntimeError("the helper fails")


def test_a_helper_that_fails_answers_none_every_time() -> None:
    with Helper(first=_boom, second=lambda q: q) as helper:
        assert helper.answer() is None
        helper.ask(1)
        assert helper.answer() is None


def test_a_helper_that_fails_at_the_question_answers_none() -> None:
    with Helper(first=lambda: 1, second=lambda q: os._exit(5)) as helper:
        assert helper.answer() == 1
        helper.ask("q")
        assert helper.answer() is None


def test_what_marshal_cannot_carry_is_a_failure_not_a_crash() -> None:
    with Helper(first=lambda: object(), second=lambda q: q) as helper:
        assert helper.answer() is None


def test_a_helper_still_working_is_stopped_on_close() -> None:
    helper = Helper(first=lambda: threading.Event().wait(60), second=lambda q: q)
    pid = helper._pid
    helper.close()  # does not wait a minute
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_forking_only_where_safe_and_worth_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel.sys, "platform", "linux")
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr(parallel, "thread_count", lambda: 1)
    assert may_fork(parallel.PARALLEL_MIN_CHARS)
    assert not may_fork(parallel.PARALLEL_MIN_CHARS - 1)  # too little to read
    monkeypatch.setattr(parallel, "thread_count", lambda: 2)
    assert not may_fork(parallel.PARALLEL_MIN_CHARS)  # another thread
    monkeypatch.setattr(parallel, "thread_count", lambda: 1)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert not may_fork(parallel.PARALLEL_MIN_CHARS)  # one CPU
    monkeypatch.setattr(parallel.sys, "platform", "darwin")
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert not may_fork(parallel.PARALLEL_MIN_CHARS)  # not Linux


def test_the_work_is_split_in_halves_the_helper_taking_what_it_is_preferred_for() -> None:
    costs = [50, 40, 30, 30, 20, 10, 10, 10]
    preference = [0.1, 0.9, 0.8, 0.2, 0.7, 0.0, 0.6, 0.3]
    theirs, ours = split(costs, preference)
    assert sorted(theirs + ours) == list(range(len(costs)))
    assert theirs[:3] == [1, 2, 4]  # by preference, while under half of the 200
    assert abs(sum(costs[i] for i in theirs) - sum(costs[i] for i in ours)) <= 20


def test_a_helper_reaped_by_the_system_is_no_error() -> None:
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped at exit
    try:
        with Helper(first=lambda: 1, second=lambda q: q) as helper:
            assert helper.answer() == 1
            time.sleep(0.2)  # let it exit, unasked, once we close
    finally:
        signal.signal(signal.SIGCHLD, previous)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_pipe_to_be_had_leaves_no_pipe_open(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.pipe
    calls: list[int] = []

    def second_fails() -> tuple[int, int]:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(24, "Too many open files")
        return real()

    before = _open_fds()
    monkeypatch.setattr(parallel.os, "pipe", second_fails)
    with pytest.raises(OSError, match="Too many open files"):
        Helper(first=lambda: 1, second=lambda q: q)
    assert _open_fds() == before


def test_an_interruption_right_after_the_fork_leaves_no_child(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_fork, real_fdopen = os.fork, os.fdopen
    children: list[int] = []

    def fork() -> int:
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    def fdopen(fd: int, mode: str) -> Any:
        if os.getpid() != parent:  # pragma: no cover - the child
            return real_fdopen(fd, mode)
        raise KeyboardInterrupt

    parent = os.getpid()
    monkeypatch.setattr(parallel.os, "fork", fork)
    monkeypatch.setattr(parallel.os, "fdopen", fdopen)
    with pytest.raises(KeyboardInterrupt):
        Helper(first=lambda: 1, second=lambda q: q)
    (child,) = children
    with pytest.raises(ChildProcessError):  # stopped and reaped, not a zombie
        os.waitpid(child, os.WNOHANG)


def test_ctrl_c_ends_the_helper_outright() -> None:
    with Helper(first=lambda: time.sleep(30), second=lambda q: q) as helper:
        time.sleep(0.1)
        os.kill(helper._pid, signal.SIGINT)  # as the terminal sends it to both of us
        started = time.monotonic()
        assert helper.answer() is None
        assert time.monotonic() - started < 10  # it did not go on sleeping


def test_a_helper_that_hangs_is_given_up_on_in_time() -> None:
    with Helper(first=lambda: time.sleep(60), second=lambda q: q) as helper:
        started = time.monotonic()
        assert helper.answer(within=0.3) is None
        assert time.monotonic() - started < 5
        assert helper.answer() is None  # failed once: no more waiting
    # closing stopped it (the with block did not wait the minute)
    assert time.monotonic() - started < 10


def test_every_thread_is_counted() -> None:
    before = parallel.thread_count()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.thread_count() == before + 1
    finally:
        stop.set()
        other.join()
