"""A query worker process: ``python -m icc_graph.store.worker``, started by ``workers``.

It runs in a fresh interpreter of its own session, so it inherits neither the web server's
signal handlers nor its sockets (only the one socket to its parent), and it dies with its
parent: the kernel sends it SIGKILL when the thread that started it ends, and a closed socket
ends its loop. Its memory is bounded with RLIMIT_DATA: an allocation past the bound aborts
the process, which its parent reports as a query that needed too much memory.

With ``--query-store memory`` it copies the store into an in-memory one, in a thread at the
lowest priority, while it answers from the files; each query runs on the copy once it is made.
The engine's in-memory store answers the endpoint's queries 2–3 times faster than its files do
(docs/benchmarks.md) and costs the store's size in every worker, so a copy is started only when
estimated at half the worker's memory bound or less (``COPY_BYTES_PER_QUAD``), and dropped if
the worker's memory passes that half while it is made: the rest is left to queries. ``auto``
(the server's default) copies a small store only (``AUTO_COPY_MIB``): the speed for a few MiB,
and the files for a store whose copy would be large.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal
import socket
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1
# a quad in the engine's in-memory store takes about 340 bytes (0.5.13, measured at 10 000
# practices); the estimate that decides whether to start a copy counts more, for long literals
COPY_BYTES_PER_QUAD = 600
AUTO_COPY_MIB = 64  # the largest copy ``auto`` starts (about 110 000 quads)
COPY_BATCH = 1_000  # quads copied between two looks at the worker's memory (a look: 20 µs)
MODES = ("auto", "disk", "memory")


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent went before the request above was made
        os._exit(0)


def _limit_memory(mib: int) -> None:
    if mib > 0:
        limit = mib << 20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


class _Stores:
    """The store queries run on: the files, then the in-memory copy once it is made."""

    def __init__(self, store: Any):
        self.current = store


def _data_bytes() -> int:
    """The worker's data segment and anonymous mappings: what RLIMIT_DATA bounds."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) << 10
    return 0


def _copy(stores: _Stores, memory_mib: int, mode: str = "memory") -> None:
    """Copy the store into memory, in a thread at the lowest priority: the worker's loop goes
    on answering from the files meanwhile (each query releases the interpreter's lock while
    the engine runs it). The copy stops, and is dropped, once the worker's memory would pass
    half of its bound, so that queries keep the other half. ``auto`` starts a copy estimated at
    ``AUTO_COPY_MIB`` or less only, and says nothing; ``memory`` says on standard error why
    there is no copy."""
    import pyoxigraph as ox

    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    disk = stores.current
    quads = len(disk)
    need = quads * COPY_BYTES_PER_QUAD
    budget = (memory_mib << 20) // 2 if memory_mib > 0 else None

    def no_copy(why: str) -> None:
        if mode == "memory":
            print(f"query worker {os.getpid()}: the store ({quads} quads) is not copied into "
                  f"memory: {why}, more than half of the {memory_mib} MiB a worker may use "
                  "(ICC_WORKER_MEMORY_MIB); queries run on its files", file=sys.stderr,
                  flush=True)

    if mode == "auto" and need > AUTO_COPY_MIB << 20:
        return
    if budget is not None and need > budget:
        no_copy(f"the copy needs about {need >> 20} MiB")
        return
    memory = ox.Store()
    # quad by quad, not through a dump and a load (a load names the blank nodes anew), in
    # transactions of a batch each (``bulk_extend`` takes a buffer of 200 MB at once)
    batch: list[Any] = []
    for quad in disk.quads_for_pattern(None, None, None, None):
        batch.append(quad)
        if len(batch) == COPY_BATCH:
            memory.extend(batch)
            batch.clear()
            if budget is not None and _data_bytes() > budget:
                del memory
                no_copy(f"the worker reached {_data_bytes() >> 20} MiB while copying it")
                return
    memory.extend(batch)
    stores.current = memory  # the next query runs on the copy (the files close once no
    # query runs on them)


def serve(conn: Connection, stores: _Stores, mode: str = "disk", memory_mib: int = 0) -> None:
    """Answer the parent's requests on ``stores.current`` until the socket closes."""
    from .embedded import run_request
    from .protocol import StoreError

    conn.send(("ready", os.getpid()))
    if mode != "disk":
        threading.Thread(target=_copy, args=(stores, memory_mib, mode), name="store-copy",
                         daemon=True).start()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = run_request(stores.current, request)
        except StoreError as exc:
            conn.send(("error", exc))
            continue
        except MemoryError:
            conn.send(("memory", None))
            os._exit(3)  # the heap may be in a bad state: let the parent start a fresh worker
        conn.send(("ok", reply))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="icc_graph.store.worker")
    parser.add_argument("--store", required=True)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--memory-mib", type=int, default=1024)
    parser.add_argument("--query-store", choices=MODES, default="disk",
                        help="memory: copy the store into memory and query the copy once it "
                             "is made; auto: the same for a small store only")
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker ends
    os.nice(10)  # pages and documents, served by the web process, go first
    sock = socket.socket(fileno=args.fd)
    conn = Connection(os.dup(sock.fileno()))
    sock.close()
    _limit_memory(args.memory_mib)
    from pathlib import Path

    from .oxigraph import open_read_only

    serve(conn, _Stores(open_read_only(Path(args.store))), args.query_store, args.memory_mib)


if __name__ == "__main__":
    main()
