"""The pool of query worker processes of one web process.

pyoxigraph cannot cancel a query, so each user's query runs in a worker process that is
killed when the query's deadline passes, and replaced. The deadline counts from the request:
waiting for a free worker is part of it. Workers are started from one long-lived thread of the
pool (the kernel ties a worker's life to the thread that started it) as fresh interpreters
(see ``worker``), and end when the pool closes or the web process goes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .protocol import (
    BackendError,
    QueryCrashed,
    QueryReply,
    QueryRequest,
    QueryTimeout,
    QueryTooLarge,
    StoreError,
)

START_TIMEOUT = 30.0  # seconds a new worker may take to open the store


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection

    def end(self) -> int | None:
        """Kill the process and reap it; its exit status (negative: the signal)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        self.conn.close()
        return code


def _verdict(code: int | None, seconds: float) -> StoreError:
    if code in (-signal.SIGABRT, 3, -signal.SIGKILL):
        return QueryTooLarge("the query needed more memory than a query worker may use "
                             "and was stopped; narrow it (fewer rows, no cross products) "
                             "or add a LIMIT")
    if code in (-signal.SIGSEGV, -signal.SIGBUS):
        return QueryCrashed("the query made the query engine fail (too deeply nested or "
                            "too long a chain of operators?) and was stopped; simplify it")
    return BackendError(f"the query worker stopped unexpectedly after {seconds:.1f} s "
                        f"(exit status {code})")


class WorkerPool:
    def __init__(self, store: Path, size: int = 2, memory_mib: int = 1024,
                 query_store: str = "disk"):
        self.store = store
        self.query_store = query_store  # what each worker queries (see ``worker``)
        self.size = max(1, size)
        self.memory_mib = memory_mib
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._closed = False
        self._spawner = concurrent.futures.ThreadPoolExecutor(1, "icc-query-spawner")
        self._finalizer = weakref.finalize(self, _close_all, self._all, self._spawner)
        self._warming = self.size  # workers being started ahead of the first query
        for _ in range(self.size):
            self._spawner.submit(self._warm)

    def _warm(self) -> None:
        try:
            worker = self._start()
            with self._lock:
                if self._closed:
                    worker.end()
                    return
                self._all.add(worker)
            self._idle.put(worker)
        except BackendError:
            pass  # the first query starts one again, and reports the error
        finally:
            with self._lock:
                self._warming -= 1

    # -------------------------------------------------------------- life of workers

    def _start(self) -> _Worker:
        parent, child = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "icc_graph.store.worker", "--store", str(self.store),
                 "--fd", str(child.fileno()), "--parent", str(os.getpid()),
                 "--memory-mib", str(self.memory_mib), "--query-store", self.query_store],
                pass_fds=(child.fileno(),), close_fds=True, start_new_session=True,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                env={**os.environ, "RUST_BACKTRACE": "0"})
        finally:
            child.close()
        conn = Connection(os.dup(parent.fileno()))
        parent.close()
        worker = _Worker(process, conn)
        if not conn.poll(START_TIMEOUT):
            worker.end()
            raise BackendError(f"a query worker did not open the store {self.store} "
                               f"within {START_TIMEOUT:g} s")
        try:
            conn.recv()
        except (EOFError, OSError):
            code = worker.end()
            raise BackendError(f"a query worker could not open the store {self.store} "
                               f"(exit status {code}); is it a release's store?") from None
        return worker

    def _spawn(self) -> _Worker:
        worker = self._spawner.submit(self._start).result()
        with self._lock:
            if self._closed:
                worker.end()
                raise BackendError("the server is shutting down")
            self._all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> int | None:
        with self._lock:
            self._all.discard(worker)
        return worker.end()

    # -------------------------------------------------------------- queries

    def run(self, request: QueryRequest) -> QueryReply:
        start = time.monotonic()
        if not self._slots.acquire(timeout=max(0.0, request.deadline - start)):
            raise QueryTimeout("every query worker stayed busy until the query's deadline; "
                               "try again in a moment")
        try:
            return self._run(request, start)
        finally:
            self._slots.release()

    def _worker(self, deadline: float) -> _Worker:
        """An idle worker, one being started ahead, or a new one. An idle worker that has
        ended meanwhile (it died copying the store, or was killed) is replaced, not blamed
        on the query about to be sent."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                pass
            else:
                if self._alive(worker):
                    return worker
                continue
            if not self._warming:
                return self._spawn()
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout("no query worker was ready before the query's deadline")
            try:
                worker = self._idle.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            if self._alive(worker):
                return worker

    def _alive(self, worker: _Worker) -> bool:
        if worker.process.poll() is None:
            return True
        self._discard(worker)
        return False

    def _run(self, request: QueryRequest, start: float) -> QueryReply:
        worker = self._worker(request.deadline)
        try:
            worker.conn.send(request)
            left = request.deadline - time.monotonic()
            if left <= 0 or not worker.conn.poll(left):
                self._discard(worker)
                raise QueryTimeout(f"the query ran past its deadline "
                                   f"({time.monotonic() - start:.1f} s) and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = self._discard(worker)
            raise _verdict(code, time.monotonic() - start) from None
        if status == "memory":
            self._discard(worker)
            raise _verdict(3, time.monotonic() - start)
        self._idle.put(worker)
        if status == "error":
            assert isinstance(payload, StoreError)
            raise payload
        assert isinstance(payload, QueryReply)
        return payload

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()


def _close_all(workers: set[_Worker],
               spawner: concurrent.futures.ThreadPoolExecutor) -> None:
    for worker in list(workers):
        worker.end()
    workers.clear()
    spawner.shutdown(wait=False)
