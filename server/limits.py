"""At most ``ICC_CLIENT_CONCURRENCY`` queries at once per client, across every process of the
server (as Wikidata's query service allows 5).

A client is its peer address, or, when the peer is one of ``ICC_TRUSTED_PROXIES``, the nearest
address of ``X-Forwarded-For`` that is not a trusted proxy. While a query runs, its client
holds one of N lock files (``flock``), so the count is shared by the gunicorn workers and a lock
goes with the process that held it, even one killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

from flask import request

from icc_graph.processes import alive

from .errors import Problem

BUCKETS = 1024  # clients are hashed into this many buckets of N lock files


def client_address(trusted: tuple[str, ...]) -> str:
    peer = request.remote_addr or "unknown"
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


PREFIX = "icc-graph-clients-"


def _server_folder() -> tuple[Path, bool]:
    """A folder shared by the processes of one server (gunicorn's workers share their
    master's), and whether this process owns it (removes it when it ends). Folders of servers
    whose process is gone are removed first, so none accumulate."""
    owner, own = str(os.getpid()), True
    try:
        parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        parent = b""
    if b"gunicorn" in parent:
        owner, own = str(os.getppid()), False
    else:  # an app of its own (icc-graph serve, a test): its own folder, even beside others
        owner += "-" + secrets.token_hex(4)
    temp = Path(tempfile.gettempdir())
    for stale in temp.glob(f"{PREFIX}*"):
        pid = stale.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    folder = temp / f"{PREFIX}{owner}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder, own


    return True


class ClientLimits:
    def __init__(self, per_client: int, trusted: tuple[str, ...] = ()):
        self.per_client = per_client
        self.trusted = trusted
        self.folder: Path | None = None
        self._remove: weakref.finalize | None = None
        if per_client > 0:
            self.folder, own = _server_folder()
            if own:  # removed when the limits go, the process ends, or close() is called
                self._remove = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def close(self) -> None:
        """Remove the lock folder now when this process owns it."""
        if self._remove is not None:
            self._remove()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the client's slots while the block runs; 429 when all are taken."""
        if self.folder is None:
            yield
            return
        client = client_address(self.trusted)
        bucket = int(hashlib.sha256(client.encode()).hexdigest()[:8], 16) % BUCKETS
        for n in range(self.per_client):
            fd = os.open(self.folder / f"{bucket}.{n}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield
            finally:
                os.close(fd)  # closing the file releases its lock
            return
        raise Problem(429, f"this client already runs {self.per_client} queries at once, the "
                           "most allowed (ICC_CLIENT_CONCURRENCY); wait for one to finish",
                      {"Retry-After": "2"})
