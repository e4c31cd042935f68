"""Run one stage in a second process while this one goes on, so both of a machine's cores work.

The child is forked: it sees the archive as it is, nothing is copied to start it, and only its
result comes back (pickled through a pipe). Where fork is not available, or when
PAPERS_ARCHIVE_SERIAL is set, the stage runs in this process when its result is asked for: the
result is the same either way, only the time differs.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def serial() -> bool:
    """Whether stages run one after the other in this process."""
    return bool(os.environ.get("PAPERS_ARCHIVE_SERIAL")) or "fork" not in multiprocessing.get_all_start_methods()


def in_background(function: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start `function(*args)` in a forked child; return a function that waits for its result.

    An exception in the child is raised again by the waiting function.
    """

    def single() -> Iterator[T]:
        yield function(*args)

    return steps_in_background(single, steps=1)


def steps_in_background(function: Callable[..., Iterator[Any]], *args: Any, steps: int) -> Callable[[], Any]:
    """Start `function(*args)`, a generator of `steps` values, in a forked child.

    Each call of the returned function waits for the next value, so the child can hand over a
    first result and go on working. An exception in the child is raised again by the call that
    waits for the value it did not make. In serial mode each value is made when it is asked for.
    """
    if serial():
        values = function(*args)
        return lambda: next(values)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            for value in function(*args):
                sender.send((True, value))
        except BaseException as err:
            sender.send((False, err))
        sender.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    # A thread takes each value as soon as it comes: a child blocked on a full pipe would wait
    # for this process to ask, and hand over its first value only to stop working.
    arrived: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def read() -> None:
        try:
            for _ in range(steps):
                ok, value = receiver.recv()
                arrived.put((ok, value))
                if not ok:
                    break
        except EOFError:
            arrived.put((False, None))
        finally:
            receiver.close()
            process.join()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def wait() -> Any:
        ok, value = arrived.get()
        if not ok:
            reader.join()
            if value is None:
                raise RuntimeError(f"a build stage's process ended without a result (exit code {process.exitcode})")
            raise value
        return value

    return wait
