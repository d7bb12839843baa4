"""The worker processes a build forks for its parallel stages (records, validation, documents,
the related sections, the search index)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator
from typing import Any


def quiet_worker() -> None:
    """Run first in each forked worker: SIGTERM ends it at once (the build's own handler, which
    turns the signal into a clean stop, belongs to the parent; a pool ends its workers with
    SIGTERM), and Ctrl-C is left to the parent, which stops the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_holding = 0  # forks under way (in the main thread, where Python runs signal handlers)
_held: list[int] = []  # signals that came meanwhile


def deferred(handler: Callable[[int, Any], object]) -> Callable[[int, Any], None]:
    """A signal handler that waits for the forks under way (``held_signals``): the build's
    handlers raise to stop it, and an exception raised while Python forks (in its at-fork
    hooks, where a pending handler may run) is printed and lost, so a build signalled at that
    moment went on to publish."""
    def run(signum: int, frame: Any) -> None:
        if _holding:
            _held.append(signum)
            return
        handler(signum, frame)
    return run


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Around each start of forked workers: a signal a ``deferred`` handler receives meanwhile
    is raised again once they are started."""
    global _holding
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
        if not _holding:
            while _held:
                signal.raise_signal(_held.pop(0))


class Forked:
    """``fn(*args)`` run by a forked process while the caller goes on (by the caller itself,
    in ``result``, on a machine with one core). ``result()`` waits for it and gives what it
    returned, or raises what it raised; ``close()`` stops it if it still runs (call it in a
    ``finally``: a build stopped meanwhile leaves no process behind). What ``fn`` reads is
    the caller's memory as it was at the fork, not sent through a pipe."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        self.fn, self.args = fn, args
        self.process: Any = None
        if (os.cpu_count() or 1) > 1:
            ctx = multiprocessing.get_context("fork")
            self.reader, writer = ctx.Pipe(duplex=False)
            try:
                process = ctx.Process(target=_run, args=(writer, fn, args), daemon=True)
                with held_signals():
                    process.start()
            except BaseException:
                self.reader.close()
                raise
            finally:
                writer.close()
            self.process = process

    def result(self) -> Any:
        if self.process is None:
            return self.fn(*self.args)
        try:
            ok, value = self.reader.recv()
        except Exception as exc:  # ended without a word (killed, out of memory), or garbled
            self.process.join()
            raise OSError(f"the process running {self.fn.__name__} ended without an answer "
                          f"(exit {self.process.exitcode}: {type(exc).__name__})") from None
        finally:
            self.reader.close()
        self.process.join()
        self.process = None
        if ok:
            return value
        raise value

    def close(self) -> None:
        if self.process is not None:
            if self.process.is_alive():
                self.process.terminate()
            self.process.join()
            self.process = None
            self.reader.close()


def _run(writer: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    quiet_worker()
    try:
        outcome: tuple[bool, Any] = (True, fn(*args))
    except BaseException as exc:  # sent back to be raised in the caller
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an exception that cannot travel: its text and traceback do
            exc = RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        outcome = (False, exc)
    writer.send(outcome)
    writer.close()
