"""The worker processes a build forks for its parallel stages (records, validation, documents,
the search index)."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any


def quiet_worker() -> None:
    """Run first in each forked worker: SIGTERM ends it at once (the build's own handler, which
    turns the signal into a clean stop, belongs to the parent; a pool ends its workers with
    SIGTERM), and Ctrl-C is left to the parent, which stops the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
            self.process = ctx.Process(target=_run, args=(writer, fn, args), daemon=True)
            self.process.start()
            writer.close()

    def result(self) -> Any:
        if self.process is None:
            return self.fn(*self.args)
        try:
            ok, value = self.reader.recv()
        except EOFError:  # ended without a word: killed, or out of memory
            self.process.join()
            raise OSError(f"the process running {self.fn.__name__} ended without an answer "
                          f"(exit {self.process.exitcode})") from None
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
            pickle.dumps(exc)
        except Exception:  # an exception that cannot travel: its text does
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        outcome = (False, exc)
    writer.send(outcome)
    writer.close()
