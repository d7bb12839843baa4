"""A mixed load while hostile queries run: cheap requests (documents of every thing, pages,
dumps, small queries, rotating so that no cache flatters them) from N connections spread over
127.0.0.x addresses, while 4 hostile clients send queries that run to their deadline, exhaust
their worker's memory, or crash the engine. Prints errors by status, p50/p99 of the cheap
requests, and the peak RSS of every process of the server.

    python benchmarks/hostile_load.py [--release DIR] [--seconds 60] [--connections 4,64]

Builds the bundled data unless --release is given; starts gunicorn as README says.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOSTILE = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",  # runs to its deadline
    "ASK { " + " ".join(['BIND("ab" AS ?v0)'] + [f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})"
                                              for i in range(45)]) + " }",  # memory
    "SELECT * WHERE " + "{" * 2500 + "}" * 2500,  # crashes the parser
    "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",  # a big sort
]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cheap_paths(release: Path) -> list[str]:
    """Every thing's document, facet pages, the dumps listing, small queries."""
    import gzip

    from rdflib import Graph

    with gzip.open(release / "icc-graph.nt.gz") as dump:
        g = Graph().parse(dump, format="nt")
    base = "https://w3id.org/icc-graph/id/"
    things = sorted({str(s)[len(base):] for s in g.subjects() if str(s).startswith(base)})
    paths = [f"/doc/{t}.ttl" for t in things]
    paths += [f"/doc/{t}" for t in things[::7]]
    topics = [t.split("/", 1)[1] for t in things if t.startswith("topic/")]
    paths += [f"/practices?topic={t}" for t in topics] + ["/practices", "/dumps/", "/"]
    paths += ["/sparql?" + urllib.parse.urlencode({"query": f"ASK {{ <{base}{t}> ?p ?o }}"})
              for t in things[::5]]
    return paths


class Load:
    def __init__(self, port: int):
        self.port = port
        self.latencies: list[float] = []
        self.statuses: collections.Counter[str] = collections.Counter()
        self.hostile: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def cheap(self, n: int, paths: list[str], until: float) -> None:
        source = f"127.0.0.{2 + n % 250}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                          source_address=(source, 0))
        i = n
        while time.monotonic() < until:
            path = paths[i % len(paths)]
            i += 97
            start = time.monotonic()
            try:
                conn.request("GET", path, headers={"Accept": "text/turtle, text/html;q=0.9, "
                                                              "application/sparql-results+json"})
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                  source_address=(source, 0))
            with self.lock:
                self.latencies.append(time.monotonic() - start)
                self.statuses[status] += 1

    def attack(self, n: int, until: float) -> None:
        source = f"127.0.1.{2 + n}"
        while time.monotonic() < until:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                              source_address=(source, 0))
            try:
                body = urllib.parse.urlencode({"query": HOSTILE[n % len(HOSTILE)]})
                conn.request("POST", "/sparql", body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json"})
                status = str(conn.getresponse().status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            finally:
                conn.close()
            with self.lock:
                self.hostile[status] += 1


def _rss(pids: set[int]) -> dict[int, int]:
    out = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1])
        except OSError:
            pass
    return out


def _family(pid: int) -> set[int]:
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                table[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                             .split()[1])
    found, frontier = {pid}, {pid}
    while frontier:
        frontier = {p for p, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def _role(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    return "query worker" if "icc_graph.store.worker" in cmd else "gunicorn"


def run(release: Path, seconds: float, connections: int) -> None:
    port = _free_port()
    workers = str(os.cpu_count() or 2)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", workers, "--threads", "4", "--graceful-timeout", "15",
         "-b", f"127.0.0.1:{port}", "server:create_app()"],
        env={**os.environ, "ICC_RELEASE": str(release)}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request

        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        paths = cheap_paths(release)
        load = Load(port)
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=load.attack, args=(n, until)) for n in range(4)]
        threads += [threading.Thread(target=load.cheap, args=(n, paths, until))
                    for n in range(connections)]
        for t in threads:
            t.start()
        peak: dict[int, int] = {}
        roles: dict[int, str] = {}
        while any(t.is_alive() for t in threads):
            for pid, kib in _rss(_family(server.pid)).items():
                peak[pid] = max(peak.get(pid, 0), kib)
                roles[pid] = _role(pid)  # a new worker is gunicorn until it execs
            time.sleep(0.5)
        lat = sorted(load.latencies)
        p50 = statistics.median(lat) * 1000 if lat else float("nan")
        p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else float("nan")
        errors = {k: v for k, v in load.statuses.items() if not k.startswith(("2", "3"))}
        print(json.dumps({
            "connections": connections, "seconds": seconds, "cheap_requests": len(lat),
            "cheap_per_second": round(len(lat) / seconds, 1), "cheap_p50_ms": round(p50, 1),
            "cheap_p99_ms": round(p99, 1), "cheap_errors": errors,
            "hostile_answers": dict(load.hostile),
            "peak_rss_mib": {f"{roles[p]} {p}": round(k / 1024, 1) for p, k in
                             sorted(peak.items())},
        }, indent=1))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", default="4,64")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        release = args.release
        if release is None:
            from icc_graph.build import build
            from icc_graph.namespaces import DEFAULT_BASE_IRI

            release = build(ROOT / "data", Path(tmp) / "dist", DEFAULT_BASE_IRI).path
        for n in (int(c) for c in args.connections.split(",")):
            run(release, args.seconds, n)


if __name__ == "__main__":
    main()
