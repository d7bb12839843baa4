"""Looking at the processes of the machine from /proc: which are alive, who their children are,
which mention a folder on their command line."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        out[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmd)
    return out


def descendants(pid: int) -> set[int]:
    table = _table()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {p for p, (ppid, _) in table.items() if ppid in frontier} - found
        found |= children
        frontier = children
    return {p for p in found if alive(p)}


def mentioning(text: str) -> set[int]:
    """Living processes (other than this one) whose command line contains ``text``."""
    return {p for p, (_, cmd) in _table().items()
            if text in cmd and p != os.getpid() and alive(p)}


def gone(pids: set[int], seconds: float) -> set[int]:
    """Wait up to ``seconds`` for the processes to end; the ones still alive."""
    deadline = time.monotonic() + seconds
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left


def port_is_free(port: int) -> bool:
    """True when a new server could listen on the port at once (as gunicorn would)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True
