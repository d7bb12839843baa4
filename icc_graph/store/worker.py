"""A query worker process: ``python -m icc_graph.store.worker``, started by ``workers``.

It runs in a fresh interpreter of its own session, so it inherits neither the web server's
signal handlers nor its sockets (only the one socket to its parent), and it dies with its
parent: the kernel sends it SIGKILL when the thread that started it ends, and a closed socket
ends its loop. Its memory is bounded with RLIMIT_DATA: an allocation past the bound aborts
the process, which its parent reports as a query that needed too much memory.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import signal
import socket
import sys
from multiprocessing.connection import Connection

PR_SET_PDEATHSIG = 1


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


def serve(conn: Connection, store_path: str) -> None:
    from pathlib import Path

    from .embedded import run_request
    from .oxigraph import open_read_only
    from .protocol import StoreError

    store = open_read_only(Path(store_path))
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = run_request(store, request)
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
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker ends
    os.nice(10)  # pages and documents, served by the web process, go first
    sock = socket.socket(fileno=args.fd)
    conn = Connection(os.dup(sock.fileno()))
    sock.close()
    _limit_memory(args.memory_mib)
    serve(conn, args.store)


if __name__ == "__main__":
    main()
