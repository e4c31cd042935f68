"""Run one stage in a second process while this one goes on, so both of a machine's cores work.

The child is forked: it sees the archive as it is, nothing is copied to start it, and only its
result comes back (pickled through a pipe). Where fork is not available, or when
PAPERS_ARCHIVE_SERIAL is set, the stage simply runs first, in this process: the result is the
same either way, only the time differs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def serial() -> bool:
    """Whether stages run one after the other in this process."""
    return bool(os.environ.get("PAPERS_ARCHIVE_SERIAL")) or "fork" not in multiprocessing.get_all_start_methods()


def in_background(function: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start `function(*args)` in a forked child; return a function that waits for its result.

    An exception in the child is raised again by the waiting function.
    """
    if serial():
        result = function(*args)
        return lambda: result
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            payload: tuple[bool, Any] = (True, function(*args))
        except BaseException as err:
            payload = (False, err)
        sender.send(payload)
        sender.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()

    def wait() -> T:
        try:
            ok, value = receiver.recv()  # before join: a large result fills the pipe
        except EOFError:
            process.join()
            raise RuntimeError(
                f"a build stage's process ended without a result (exit code {process.exitcode})"
            ) from None
        finally:
            receiver.close()
        process.join()
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    return wait
