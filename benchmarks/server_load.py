"""Requests per second and p50/p99 latency of our server (gunicorn) against Oxigraph server
answering the same SPARQL on the same data, measured in the same run by the same load tool (wrk)
on 127.0.0.1, at 1 and 4 concurrent clients.

    python benchmarks/server_load.py [--practices 10000] [--release DIR] [--seconds 5]

Needs wrk (Debian package `wrk`). Builds a synthetic release unless --release is given.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
BIN = Path(sys.executable).parent
ICC = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
QUERIES = {
    "facet": ICC + "SELECT ?topic (COUNT(?p) AS ?n) WHERE { ?p a icc:GoodPractice ; "
                   "icc:topic ?topic } GROUP BY ?topic ORDER BY DESC(?n)",
    "listing": ICC + "SELECT ?p ?title WHERE { ?p a icc:GoodPractice ; icc:topic ?t ; "
                     "icc:country ?c ; icc:title ?title . FILTER(lang(?title) = 'en') "
                     "VALUES (?t ?c) { (<https://w3id.org/icc-graph/id/topic/education> "
                     "<https://w3id.org/icc-graph/id/country/pl>) } } ORDER BY ?title LIMIT 20",
    "collaboration": ICC + "SELECT ?a ?b (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p icc:place ?a , ?b "
                           ". ?a a icc:City . ?b a icc:City . FILTER(STR(?a) < STR(?b)) } "
                           "GROUP BY ?a ?b ORDER BY DESC(?n) LIMIT 50",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def wrk(url: str, clients: int, seconds: int) -> tuple[float, float, float]:
    out = subprocess.run(["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d",
                          f"{seconds}s", "--latency", url], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def ms(pct: str) -> float:
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} failed requests")
    return rps, ms("50"), ms("99")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=10000)
    parser.add_argument("--release", type=Path)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache-size", type=int, default=2048,
                        help="ICC_CACHE_SIZE of our server (0: every request does the work)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="icc-load-"))
    release = args.release
    if release is None:
        from synthetic import generate

        from icc_graph.build import build

        data = generate(work / "data", args.practices)
        release = build(data, work / "dist", "https://w3id.org/icc-graph/").path
        print(f"built a synthetic release of {args.practices} practices in {release}")
    processes = []
    try:
        ox_port, our_port = free_port(), free_port()
        processes.append(subprocess.Popen(
            [str(BIN / "oxigraph"), "serve", "--location", str(work / "ox"), "--bind",
             f"127.0.0.1:{ox_port}", "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ox_url = f"http://127.0.0.1:{ox_port}"
        wait_for(f"{ox_url}/query?query=ASK%7B%7D")
        subprocess.run([str(BIN / "icc-graph"), "publish", "--endpoint", f"{ox_url}/store",
                        "--release", str(release)], check=True, capture_output=True)
        env = {**os.environ, "ICC_RELEASE": str(release), "ICC_MAX_ROWS": "100000",
               "ICC_CACHE_SIZE": str(args.cache_size)}
        processes.append(subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(args.workers), "--threads", "4", "-b",
             f"127.0.0.1:{our_port}", "server:create_app()"],
            env=env, cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        our_url = f"http://127.0.0.1:{our_port}"
        wait_for(f"{our_url}/sparql?query=ASK%7B%7D")

        practice = "https://w3id.org/icc-graph/id/practice/practice-1"
        from icc_graph.store import documents

        describe = documents.query(practice)
        cases = {name: (f"{our_url}/sparql?{urllib.parse.urlencode({'query': q})}",
                        f"{ox_url}/query?{urllib.parse.urlencode({'query': q})}")
                 for name, q in QUERIES.items()}
        cases["dereference"] = (
            f"{our_url}/doc/practice/practice-1.ttl",
            f"{ox_url}/query?{urllib.parse.urlencode({'query': describe})}")
        for url in (u for pair in cases.values() for u in pair):  # warm up
            urllib.request.urlopen(urllib.request.Request(
                url, headers={"Accept": "application/sparql-results+json, text/turtle"})).read()

        print(f"\n{'request':<14}{'clients':>8}{'ours req/s':>12}{'oxigraph req/s':>16}"
              f"{'ratio':>8}{'ours p50/p99 ms':>20}{'oxigraph p50/p99 ms':>22}")
        for name, (ours, theirs) in cases.items():
            for clients in (1, 4):
                a = wrk(ours, clients, args.seconds)
                b = wrk(theirs, clients, args.seconds)
                print(f"{name:<14}{clients:>8}{a[0]:>12.0f}{b[0]:>16.0f}{a[0] / b[0]:>8.2f}"
                      f"{a[1]:>10.1f}/{a[2]:<9.1f}{b[1]:>11.1f}/{b[2]:<9.1f}")
    finally:
        for p in processes:
            p.send_signal(signal.SIGQUIT if "gunicorn" in str(p.args) else signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
