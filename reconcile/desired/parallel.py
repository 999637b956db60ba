"""A forked helper that answers two questions, so that a large load uses two cores.

Why a forked child: parsing, validating and resolving members is CPU work under the GIL,
so threads gain nothing. A child forked here starts with every text already in its memory
(shared copy-on-write, nothing is sent to it) and answers with builtins only (the rows of
rows.py, lists of numbers), through a pipe, with `marshal`: for such data the cheapest
serializer, and safe here, as both ends are the same interpreter and the data is our own.

The conversation (large_files.py holds its content): the child runs `first()` and sends the
answer; then waits for one question, runs `second(question)` and sends that answer; then
exits. We may skip the question (closing our end): the child then exits at once.

Only where it is safe and pays (`may_fork`): on Linux (elsewhere processes are not forked
by default, and starting one costs more than it saves), with two CPUs to run on, when this
process has no other thread (a child forked beside a thread that holds a lock can hang on
it), and with enough text to read (PARALLEL_MIN_CHARS).

A helper that fails in any way (it crashed, was killed, an answer is cut short) costs time
only: every answer is then None and the caller does that part of the work itself. Ctrl-C
stops both.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger(__name__)

# Below this much text a fork costs about what it saves (measured in BENCHMARKS.md).
PARALLEL_MIN_CHARS = 4 * 1024 * 1024
_LENGTH = struct.Struct("<Q")  # each message: its length, then the marshalled data
_HELD = {signal.SIGINT, signal.SIGTERM}


def may_fork(total_chars: int) -> bool:
    return (
        sys.platform == "linux"
        and total_chars >= PARALLEL_MIN_CHARS
        and len(os.sched_getaffinity(0)) >= 2
        and thread_count() == 1
    )


def thread_count() -> int:
    """Threads of this process: every one the system runs (those started outside Python
    too), else the ones Python knows."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


class Helper:
    """The parent's end of the conversation. Every method returns None once it failed."""

    def __init__(self, first: Callable[[], Any], second: Callable[[Any], Any]) -> None:
        self._pid = 0
        self._failed = False
        self._answered = 0  # answers received
        self._asked = False
        fds: list[int] = []
        try:
            fds.extend(os.pipe())  # answers, answering
            fds.extend(os.pipe())  # questions, asking
            answers, answering, questions, asking = fds
            _widen(answering)
            # Ctrl-C (or a TERM) is held back across the fork: the child must never see it
            # as an exception, which could run our caller's code in it.
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
            try:
                self._pid = os.fork()
                if self._pid == 0:  # pragma: no cover - the child, which never returns
                    _converse(first, second, fds, held)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
            os.close(answering)
            os.close(questions)
            fds = [answers, asking]
            self._answers: Any = os.fdopen(answers, "rb")
            fds = [asking]
            self._asking: Any = os.fdopen(asking, "wb")
        except BaseException:  # no pipe or process to be had, or Ctrl-C: leave nothing
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._stop()
            raise

    def answer(self, *, within: float | None = None) -> Any:
        """The next answer (the first, or the second once asked); None if it failed or
        took longer than `within` seconds (a helper that hangs: stopped on close)."""
        if self._failed:
            return None
        deadline = None if within is None else time.monotonic() + within
        try:
            (length,) = _LENGTH.unpack(self._receive(_LENGTH.size, deadline))
            answer = marshal.loads(self._receive(length, deadline))
        except (OSError, EOFError, ValueError, TypeError, struct.error) as exc:
            self._fail(f"no answer ({exc or type(exc).__name__})")
            return None
        self._answered += 1
        return answer

    def _receive(self, size: int, deadline: float | None) -> bytes:
        fd = self._answers.fileno()
        chunks: list[bytes] = []
        while size:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0)
            if not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no answer in time")
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError("answer cut short")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def ask(self, question: Any) -> None:
        if self._failed:
            return
        try:
            _send(self._asking, question)
            self._asking.close()
            self._asked = True
        except (OSError, ValueError) as exc:
            self._fail(f"cannot ask ({exc})")

    def close(self) -> None:
        """Done (or given up): the child is told to go, or stopped, and reaped."""
        with contextlib.suppress(OSError):
            self._asking.close()  # a child waiting for the question exits at once
        with contextlib.suppress(OSError):
            self._answers.close()
        # A child with nothing left to do is leaving: wait for it. One still working (we
        # gave up on it) is stopped.
        finished = not self._failed and self._answered == (2 if self._asked else 1)
        self._stop(wait=finished)

    def _stop(self, *, wait: bool = False) -> None:
        if not self._pid:
            return
        pid, self._pid = self._pid, 0
        # ChildProcessError: reaped already, by the system (SIGCHLD ignored)
        with contextlib.suppress(ChildProcessError):
            if not wait and os.waitpid(pid, os.WNOHANG)[0] == 0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    def _fail(self, why: str) -> None:
        logger.debug("the helper process failed: %s; doing its part here", why)
        self._failed = True

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _converse(  # pragma: no cover - runs in the child
    first: Callable[[], Any],
    second: Callable[[Any], Any],
    fds: list[int],
    held: Iterable[int],
) -> None:
    """The child: answer, wait for the question, answer, and exit without running anything
    of the parent's (no cleanup, no buffered output written twice). Ctrl-C and TERM end it
    outright (their default action), never as an exception."""
    status = 1
    try:
        for number in _HELD:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        answers, answering, questions, asking = fds
        os.close(answers)
        os.close(asking)
        with os.fdopen(answering, "wb") as out, os.fdopen(questions, "rb") as inbox:
            _send(out, first())
            out.flush()
            head = inbox.read(_LENGTH.size)
            if len(head) == _LENGTH.size:  # else: not asked
                (length,) = _LENGTH.unpack(head)
                _send(out, second(marshal.loads(inbox.read(length))))
        status = 0
    finally:
        os._exit(status)


def _send(stream: Any, value: Any) -> None:
    data = marshal.dumps(value)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def _widen(pipe: int) -> None:
    """A 1 MiB pipe buffer (Linux's usual most) halves the time an answer takes to cross."""
    import fcntl  # here: a module of POSIX systems only, and this runs on Linux only

    with contextlib.suppress(OSError, AttributeError):  # a lower limit: the default then
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)


def split(
    costs: list[int], preference: list[float], share: float = 0.5
) -> tuple[list[int], list[int]]:
    """(the helper's, ours): positions in `costs`; the helper takes the items it is
    preferred for first (highest `preference`), each while it has less than `share` of the
    total cost (counting half of that item), and we take the rest."""
    half = sum(costs) * share
    theirs: list[int] = []
    ours: list[int] = []
    load = 0
    for index in sorted(range(len(costs)), key=lambda i: -preference[i]):
        if load + costs[index] / 2 <= half:
            theirs.append(index)
            load += costs[index]
        else:
            ours.append(index)
    return theirs, ours
