"""``Forked``: work done by a forked process while the build goes on. What it returns or
raises reaches the caller; a process that dies says so; one still running when the build
stops is ended. And a failure of the search index, written that way, fails the build as a
failure of the release's own writing does: one clear error, nothing published."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from icc_graph import release
from icc_graph.build import build
from icc_graph.errors import WriteError
from icc_graph.forking import Forked, deferred, held_signals
from icc_graph.processes import alive

from .conftest import BASE


class Unsendable(Exception):
    def __init__(self) -> None:
        super().__init__("held a lock")
        self.lock = threading.Lock()  # cannot be pickled


class TwoParts(Exception):
    """Pickles, but cannot be unpickled (its arguments are not those it was made with)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a}/{b}")


def _two_parts() -> None:
    raise TwoParts("left", "right")


def _answer(x: int) -> int:
    return x * 2


def _fail() -> None:
    raise sqlite3.OperationalError("database or disk is full")


def _unsendable() -> None:
    raise Unsendable()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _sleep() -> None:
    time.sleep(60)


def test_what_the_forked_process_returns_reaches_the_caller():
    shared = list(range(100_000))  # read from the fork's memory, not sent

    job = Forked(lambda n: sum(shared) + n, 1)
    try:
        assert job.result() == sum(shared) + 1
    finally:
        job.close()
    assert Forked(_answer, 21).result() == 42


def test_what_it_raises_is_raised_in_the_caller():
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        Forked(_fail).result()
    with pytest.raises(RuntimeError, match="Unsendable: held a lock"):
        Forked(_unsendable).result()
    with pytest.raises(RuntimeError, match="TwoParts: left/right") as raised:
        Forked(_two_parts).result()
    assert "_two_parts" in str(raised.value)  # with the worker's traceback


def test_a_stop_asked_while_forking_comes_after_the_fork():
    """SIGTERM sent while workers are forked is held, then delivered to the build's handler
    (an exception raised inside Python's fork was lost, and the build went on); with other
    threads running, which the kernel may hand the signal to."""
    ticking = threading.Event()
    threading.Thread(target=ticking.wait, args=(5,), daemon=True).start()
    seen: list[str] = []
    previous = signal.signal(signal.SIGTERM, deferred(lambda *_: seen.append("stop")))
    try:
        with held_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            job = Forked(_answer, 1)
            seen.append("forked")
        assert job.result() == 2
        assert seen == ["forked", "stop"]
    finally:
        ticking.set()
        signal.signal(signal.SIGTERM, previous)


def test_a_process_that_dies_says_so():
    with pytest.raises(OSError, match="ended without an answer"):
        Forked(_die).result()


def test_close_ends_a_process_still_running():
    job = Forked(_sleep)
    pid = job.process.pid
    assert alive(pid)
    job.close()
    assert job.process is None
    assert not alive(pid)  # ended and reaped


def test_a_failed_search_index_fails_the_build_and_publishes_nothing(small_data, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(release, "write_index", lambda *args: _fail())
    out = tmp_path / "dist"
    with pytest.raises(WriteError, match="the disk is full"):
        build(small_data, out, BASE)
    assert not [p for p in (out / "versions").iterdir()] and not (out / "current").exists()
    assert not list(Path(out).glob("versions/.building*"))
