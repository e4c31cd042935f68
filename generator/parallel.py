"""Run one stage in a second process while this one goes on, so both of a machine's cores work.

The child is forked: it sees the archive as it is, nothing is copied to start it, and only its
result comes back: pickled into an in-memory file (memfd) where Linux has them, with only its
size sent through a pipe; else pickled through the pipe. Where fork is not available, or when
PAPERS_ARCHIVE_SERIAL is set, the stage runs in this process when its result is asked for: the
result is the same either way, only the time differs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def serial() -> bool:
    """Whether stages run one after the other in this process."""
    return bool(os.environ.get("PAPERS_ARCHIVE_SERIAL")) or "fork" not in multiprocessing.get_all_start_methods()


def in_background(function: Callable[..., T], *args: Any, idle: bool = False) -> Callable[[], T]:
    """Start `function(*args)` in a forked child; return a function that waits for its result.

    An exception in the child is raised again by the waiting function. An `idle` child runs at
    the lowest priority: it takes only the processor time the other processes leave.
    """

    def single() -> Iterator[T]:
        if idle and not serial():  # in serial mode this is the calling process
            os.nice(19)
        yield function(*args)

    return steps_in_background(single, steps=1)


class Tickets:
    """Numbers 0, 1, 2, ..., each handed out once, in this process and in the children it forks.

    Processes that share a list of tasks take the next one by number, each as soon as it is free.
    Where shared memory is refused, only the process that made the tickets takes numbers; the
    others get NONE_LEFT, past the end of any list of tasks.
    """

    NONE_LEFT = sys.maxsize

    def __init__(self) -> None:
        self._shared: Any = None
        if not serial():
            with contextlib.suppress(OSError):  # no shared memory here (some sandboxes)
                self._shared = multiprocessing.get_context("fork").Value("q", 0)
        self._owner = os.getpid()
        self._next = 0

    def take(self) -> int:
        """The next number nobody has taken."""
        if self._shared is None:
            if os.getpid() != self._owner:
                return self.NONE_LEFT
            self._next += 1
            return self._next - 1
        with self._shared.get_lock():
            number = int(self._shared.value)
            self._shared.value = number + 1
        return number


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
    # One in-memory file per value, made before the fork so both processes have it. Through
    # the pipe alone, a value of 150 MB crosses in 64 KB pieces, and the thread that reads
    # them waits for the GIL before each while this process computes: seconds instead of a
    # tenth of one.
    files = _memory_files(steps) if _MEMFD else []

    def child() -> None:
        step = 0
        try:
            for value in function(*args):
                _send(sender, files[step] if files else None, (True, value))
                step += 1
        except BaseException as err:  # through the pipe: the value's file may hold part of a value
            _send(sender, None, (False, err))
        sender.close()

    process = context.Process(target=child, daemon=True)
    try:
        process.start()
    except BaseException:
        for handle in files:
            os.close(handle)
        raise
    finally:
        sender.close()
    # A thread takes each value as soon as it comes: a child blocked on a full pipe would wait
    # for this process to ask, and hand over its first value only to stop working.
    arrived: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def read() -> None:
        try:
            for step in range(steps):
                ok, value = _receive(receiver, files[step] if files else None)
                arrived.put((ok, value))
                if not ok:
                    break
        except EOFError:
            arrived.put((False, None))
        except BaseException as err:  # a value that cannot be read: the waiting call raises it
            arrived.put((False, err))
        finally:
            receiver.close()
            process.join()
            for handle in files:
                os.close(handle)

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


_MEMFD = hasattr(os, "memfd_create")


def _memory_files(count: int) -> list[int]:
    """`count` in-memory files, or none where the kernel refuses them (then the pipe serves)."""
    files: list[int] = []
    try:
        for _ in range(count):
            files.append(os.memfd_create("papers-archive-stage", os.MFD_CLOEXEC))
    except OSError:
        for handle in files:
            os.close(handle)
        return []
    return files


def _send(sender: Any, file: int | None, message: tuple[bool, Any]) -> None:
    """Hand a message to the waiting process: into `file` with its size through the pipe, or
    (with no file) through the pipe."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if file is None:
        sender.send_bytes(b"p" + data)
        return
    view = memoryview(data)
    while view:
        view = view[os.write(file, view) :]
    sender.send_bytes(b"f" + str(len(data)).encode("ascii"))


def _receive(receiver: Any, file: int | None) -> tuple[bool, Any]:
    """The message `_send` handed over (raises EOFError if the child ended without one)."""
    header = receiver.recv_bytes()
    if header[:1] == b"p":
        return pickle.loads(header[1:])  # type: ignore[no-any-return]
    assert file is not None
    size = int(header[1:])
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(file, size - offset, offset)
        if not chunk:
            raise EOFError("a build stage's result was cut short")
        chunks.append(chunk)
        offset += len(chunk)
    os.ftruncate(file, 0)  # its memory is not needed any more
    return pickle.loads(b"".join(chunks))  # type: ignore[no-any-return]
