"""Read the large files of a folder on two cores: a forked child reads some, we read the rest.

Why a forked child: parsing and validating is CPU work under the GIL, so threads gain
nothing; a child forked here starts with every text already in its memory (shared
copy-on-write, nothing is sent to it) and sends back only the rows of its files (rows.py:
builtins), through a pipe, with `marshal`: for such data the cheapest serializer, and
safe here, as both ends are the same interpreter and the data is our own.

Only where it is safe and pays (`_may_fork`): on Linux (elsewhere processes are not forked
by default, and starting one costs more than it saves), with two CPUs to run on, when this
process has no other thread (a child forked beside a thread that holds a lock can hang on
it), and with enough text to read (PARALLEL_MIN_CHARS).

A child that fails in any way (it crashed, was killed, its answer is cut short or not what
was asked) costs time only: we read its files ourselves. Ctrl-C stops both.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# Below this much text a fork costs about what it saves (measured in BENCHMARKS.md).
PARALLEL_MIN_CHARS = 4 * 1024 * 1024
# The child's share of the text: we also unpack its answer, so it takes a little less.
CHILD_SHARE = 0.5


def read_all(texts: Sequence[str], read: Callable[[str], Result]) -> list[Result]:
    """`[read(text) for text in texts]`, with part of it done in a forked child when that
    is safe and worth it. `read` must return builtins only (what `marshal` can carry)."""
    if not _may_fork(texts):
        return [read(text) for text in texts]
    theirs, ours = _split(texts)
    try:
        receiving, sending = os.pipe()
        _widen(sending)
        child = os.fork()
    except OSError as exc:
        logger.debug("reading on one core: cannot fork (%s)", exc)
        return [read(text) for text in texts]
    if child == 0:  # pragma: no cover - runs in the child, which never returns
        _answer_and_exit(texts, theirs, read, receiving, sending)
    os.close(sending)
    results: list[Any] = [None] * len(texts)
    with os.fdopen(receiving, "rb") as stream:
        try:
            for index in ours:
                results[index] = read(texts[index])
            data = stream.read()
        except BaseException:  # Ctrl-C, or a bug of ours: stop the child too
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            raise
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    answer = _checked(data, theirs) if status == 0 else None
    if answer is None:
        logger.debug("reading on one core: the child did not answer (exit status %s)", status)
        answer = {index: read(texts[index]) for index in theirs}
    for index in theirs:
        results[index] = answer[index]
    return results


def _widen(pipe: int) -> None:
    """A 1 MiB pipe buffer (Linux's usual most) halves the time the answer takes to cross."""
    import fcntl  # here: a module of POSIX systems only, and this runs on Linux only

    with contextlib.suppress(OSError, AttributeError):  # a lower limit: the default then
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, 1 << 20)


def _may_fork(texts: Sequence[str]) -> bool:
    return (
        sys.platform == "linux"
        and len(texts) >= 2
        and sum(map(len, texts)) >= PARALLEL_MIN_CHARS
        and len(os.sched_getaffinity(0)) >= 2
        and threading.active_count() == 1
    )


def _cost(text: str) -> int:
    """About how long `text` takes to read: a mapping key (every `:`) costs as much as
    ~80 characters of a plain list (measured on users files beside groups files)."""
    return len(text) + 80 * text.count(":")


def _split(texts: Sequence[str]) -> tuple[list[int], list[int]]:
    """(the child's, ours): indexes, costliest first to whichever side is further below its
    share of the work."""
    costs = [_cost(text) for text in texts]
    total = sum(costs)
    targets = (total * CHILD_SHARE, total * (1 - CHILD_SHARE))
    sides: tuple[list[int], list[int]] = ([], [])
    loads = [0, 0]
    for index in sorted(range(len(texts)), key=lambda i: -costs[i]):
        side = 0 if loads[0] / targets[0] <= loads[1] / targets[1] else 1
        sides[side].append(index)
        loads[side] += costs[index]
    return sides[0], sides[1]


def _answer_and_exit(  # pragma: no cover - runs in the child
    texts: Sequence[str],
    indexes: list[int],
    read: Callable[[str], Any],
    receiving: int,
    sending: int,
) -> None:
    """The child: read its texts, write the answer, exit without running anything of the
    parent's (no cleanup, no buffered output written twice)."""
    status = 1
    try:
        os.close(receiving)
        data = marshal.dumps({index: read(texts[index]) for index in indexes})
        with os.fdopen(sending, "wb") as stream:
            stream.write(data)
        status = 0
    finally:
        os._exit(status)


def _checked(data: bytes, indexes: list[int]) -> dict[int, Any] | None:
    try:
        answer = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None  # cut short: the child died while writing
    if type(answer) is not dict or sorted(answer) != sorted(indexes):
        return None
    return answer
