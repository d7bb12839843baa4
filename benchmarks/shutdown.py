"""How long the server's processes take to end: gunicorn started as README says, warmed so that
every web worker has its query workers, then SIGTERM, SIGINT or SIGQUIT to the master (time to
the master's exit and to the last process of ours, and whether the port is free), SIGHUP (time
until every old worker is gone), and SIGKILL of one web worker (time until its query workers
are gone).

    python benchmarks/shutdown.py [--release DIR] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.processes import alive, descendants, port_is_free  # noqa: E402

BIN = Path(sys.executable).parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(release: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(os.cpu_count() or 2), "--threads", "4",
         "--graceful-timeout", "15", "-b", f"127.0.0.1:{port}", "server:create_app()"],
        env={**os.environ, "ICC_RELEASE": str(release)}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D"
    deadline = time.monotonic() + 60
    while True:
        try:
            for _ in range(8):
                urllib.request.urlopen(url, timeout=5).read()
            return process, port
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _until_gone(pids: set[int], start: float, limit: float = 60) -> float:
    while any(alive(p) for p in pids):
        if time.monotonic() - start > limit:
            return float("inf")
        time.sleep(0.005)
    return time.monotonic() - start


def _workers(pid: int) -> set[int]:
    return {p for p in descendants(pid)
            if b"icc_graph.store.worker" in Path(f"/proc/{p}/cmdline").read_bytes()}


def measure(release: Path, sig: str) -> tuple[float, float, bool]:
    process, port = _start(release)
    ours = descendants(process.pid)
    start = time.monotonic()
    if sig == "KILL-WORKER":
        web = sorted(p for p in ours if _workers(p))[0]
        children = _workers(web)
        os.kill(web, signal.SIGKILL)
        gone = _until_gone(children, start)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        return gone, gone, True
    if sig == "HUP":
        process.send_signal(signal.SIGHUP)
        gone = _until_gone(ours, start)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        return gone, gone, True
    process.send_signal(getattr(signal, f"SIG{sig}"))
    process.wait(60)
    master = time.monotonic() - start
    return master, _until_gone(ours, start), port_is_free(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        release = args.release
        if release is None:
            from icc_graph.build import build
            from icc_graph.namespaces import DEFAULT_BASE_IRI

            release = build(ROOT / "data", Path(tmp) / "dist", DEFAULT_BASE_IRI).path
        print(f"{'signal':<12}{'master exits s':>16}{'all of ours gone s':>20}{'port free':>11}")
        for sig in ("TERM", "INT", "QUIT", "HUP", "KILL-WORKER"):
            runs = [measure(release, sig) for _ in range(args.runs)]
            print(f"{sig:<12}{statistics.median(r[0] for r in runs):>16.2f}"
                  f"{statistics.median(r[1] for r in runs):>20.2f}"
                  f"{str(all(r[2] for r in runs)):>11}")


if __name__ == "__main__":
    main()
