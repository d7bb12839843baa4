"""The server's processes have a clean life: gunicorn started as README says stops on SIGTERM,
SIGINT and SIGQUIT with every process of ours gone and its port free; SIGHUP replaces the web
workers and leaves no old query worker behind; a web worker killed with SIGKILL takes its query
workers with it and its clients get an answer or a closed connection; `icc-graph serve` ends
quietly on Ctrl-C. Limits are generous (a slow machine must not fail them); the times are
measured in benchmarks, not here."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Namespace, URIRef

from .conftest import BASE, BIN, gunicorn
from .engines import free_port, wait_for
from .processes import descendants, gone, port_is_free

ICC = Namespace("https://w3id.org/icc-graph/def/icc#")
SEED = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge"
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIMIT = 20.0  # seconds: generous, so that a slow machine does not fail these tests
WORKER = "icc_graph.store.worker"


def _ask(url: str) -> int:
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    with urllib.request.urlopen(f"{url}/sparql?{query}", timeout=LIMIT) as r:
        return r.status


def _warm(url: str, times: int = 6) -> None:
    """Send queries until every web worker has started query workers (several requests, as
    gunicorn spreads them over its workers)."""
    threads = [threading.Thread(target=_ask, args=(url,)) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(LIMIT)


def _query_workers(pids: set[int]) -> set[int]:
    return {p for p in pids if WORKER in open(f"/proc/{p}/cmdline").read().replace("\0", " ")}


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
def test_an_idle_gunicorn_stops_with_everything_of_ours(fixture_release, sig):
    process, url = gunicorn(fixture_release.path)
    _warm(url)
    ours = descendants(process.pid)
    assert _query_workers(ours), "the queries started query workers"
    process.send_signal(sig)
    process.wait(LIMIT)
    assert not gone(ours, LIMIT), "every web worker and query worker ended with the master"
    assert port_is_free(_port(url)), "nothing is left holding the port"
    assert b"Traceback" not in process.stderr.read()  # type: ignore[union-attr]


def test_sighup_replaces_the_workers_and_leaves_no_old_one(fixture_release):
    process, url = gunicorn(fixture_release.path)
    try:
        _warm(url)
        old = descendants(process.pid)
        assert _query_workers(old)
        process.send_signal(signal.SIGHUP)
        assert not gone(old, LIMIT), "the old web workers and their query workers ended"
        wait_for(f"{url}/sparql?query=ASK%7B%7D", LIMIT)
        _warm(url)
        new = descendants(process.pid)
        assert new and not (new & old)
        assert _query_workers(new), "the new workers answer queries"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(LIMIT)


def test_a_killed_web_worker_takes_its_query_workers_and_no_client_hangs(fixture_release):
    """Four heavy queries are sent; once each web worker runs as many as it holds (two at
    most: two query workers each), one running a query is killed. Each of its clients sees the
    connection close; every other client gets its 503 at the query's deadline (30 s, waiting
    for a query worker included); nobody waits past twice that."""
    process, url = gunicorn(fixture_release.path, env={"ICC_QUERY_TIMEOUT": "30"})
    port = _port(url)
    outcomes: list[str] = []
    try:
        def heavy() -> None:
            query = urllib.parse.urlencode({"query": HEAVY})
            start = time.monotonic()
            try:
                with urllib.request.urlopen(f"{url}/sparql?{query}", timeout=LIMIT * 3) as r:
                    outcome = f"answer {r.status}"
            except urllib.error.HTTPError as exc:
                outcome = f"answer {exc.code}"
            except (ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError) as exc:
                outcome = "hang" if "timed out" in str(exc) else "closed"
            except TimeoutError:
                outcome = "hang"
            outcomes.append(f"{outcome} after {time.monotonic() - start:.1f} s")

        workers = _children(process.pid)
        _running_queries(workers, port, 0)  # every query worker started and idle
        clients = [threading.Thread(target=heavy) for _ in range(4)]
        for c in clients:
            c.start()
        running, held = _running_queries(workers, port, 4)
        victim = next(w for w, queries in running.items() if queries)
        its_queries = _query_workers(descendants(victim))
        os.kill(victim, signal.SIGKILL)
        assert not gone(its_queries, LIMIT), "its query workers ended with it"
        for c in clients:
            c.join(LIMIT * 4)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(LIMIT * 2)
    log = process.stderr.read().decode(errors="replace")[-3000:]  # type: ignore[union-attr]
    assert len(outcomes) == 4 and not any("hang" in o for o in outcomes), (outcomes, log)
    closed = held[victim]
    assert sorted(o.split(" after")[0] for o in outcomes) == (
        ["answer 503"] * (4 - closed) + ["closed"] * closed), (outcomes, held, log)


def _children(pid: int) -> set[int]:
    table = descendants(pid)
    return {p for p in table if _parent(p) == pid}


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def _clients_of(pid: int, port: int) -> int:
    """How many client connections to ``port`` the process holds open (from /proc)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as f:
            for line in list(f)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    established.add(fields[9])  # the socket's inode
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:[") and target[8:-1] in established:
                held += 1
    return held


def _running_queries(web_workers: set[int], port: int, clients: int
                     ) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Each web worker's query workers using CPU (running a query), and its client
    connections, polled until the web workers hold ``clients`` connections between them and
    each runs a query for each of them it can (two query workers each, started ahead: having
    query workers does not mean running a query)."""
    deadline = time.monotonic() + LIMIT
    found: dict[int, set[int]] = {}
    held: dict[int, int] = {}
    while time.monotonic() < deadline:
        queries = {w: _query_workers(descendants(w)) for w in web_workers}
        before = {q: _cpu_ticks(q) for qs in queries.values() for q in qs}
        time.sleep(0.3)
        found = {w: {q for q in qs if _cpu_ticks(q) > before[q] >= 0}
                 for w, qs in queries.items()}
        held = {w: _clients_of(w, port) for w in web_workers}
        if (all(len(qs) == 2 for qs in queries.values()) and sum(held.values()) == clients
                and all(len(found[w]) == min(2, held[w]) for w in web_workers)):
            return found, held
    raise AssertionError(f"the {clients} queries were not all under way: running {found}, "
                         f"connections {held}")


def test_serve_ends_quietly_on_ctrl_c(fixture_release):
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "icc-graph"), "serve", "--port", str(port), "--release",
         str(fixture_release.path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/sparql?query=ASK%7B%7D", LIMIT, process=process)
    _warm(url, 2)
    ours = descendants(process.pid)
    assert _query_workers(ours)
    process.send_signal(signal.SIGINT)
    process.wait(LIMIT)
    assert not gone(ours, LIMIT)
    assert port_is_free(port)
    output = process.stderr.read().decode() + process.stdout.read().decode()  # type: ignore[union-attr]
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output


def test_rdflib_dereferences_a_practice(gunicorn_server):
    g = Graph().parse(f"{gunicorn_server}/id/practice/{SEED}")
    practice = URIRef(f"{BASE}id/practice/{SEED}")
    assert (practice, RDF.type, ICC.GoodPractice) in g
    assert (practice, ICC.place, URIRef(f"{BASE}id/city/lublin")) in g


def test_a_query_past_its_deadline_is_stopped_while_others_are_served(gunicorn_server):
    outcome: dict[str, object] = {}

    def heavy() -> None:
        url = f"{gunicorn_server}/sparql?{urllib.parse.urlencode({'query': HEAVY})}"
        try:
            urllib.request.urlopen(url, timeout=LIMIT)
            outcome["status"] = 200
        except urllib.error.HTTPError as exc:
            outcome["status"] = exc.code
            outcome["message"] = exc.read().decode()

    thread = threading.Thread(target=heavy)
    thread.start()
    with urllib.request.urlopen(f"{gunicorn_server}/doc/city/lublin.ttl", timeout=LIMIT) as r:
        assert r.status == 200
    assert _ask(gunicorn_server) == 200
    thread.join(LIMIT)
    assert outcome["status"] == 503
    assert "deadline" in str(outcome["message"])

