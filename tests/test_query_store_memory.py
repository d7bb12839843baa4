"""ICC_QUERY_STORE=memory: each query worker copies the release's store into memory and
queries the copy; the answers are those of the store's files, before and after the copy, and a
store too large for half the worker's memory bound stays on its files, saying so."""

from __future__ import annotations

import io
import json
import math
import threading
import time
from contextlib import redirect_stderr
from multiprocessing import Pipe
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from icc_graph.store import worker
from icc_graph.store.embedded import run_request
from icc_graph.store.oxigraph import open_read_only
from icc_graph.store.protocol import QueryRequest
from server import close_app

from .conftest import make_app

QUERIES = [
    "SELECT ?s ?title WHERE { ?s <https://w3id.org/icc-graph/def/icc#title> ?title } "
    "ORDER BY ?s ?title",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?city (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a "
    "<https://w3id.org/icc-graph/def/icc#GoodPractice> ; "
    "<https://w3id.org/icc-graph/def/icc#place> ?city } GROUP BY ?city ORDER BY DESC(?n) ?city",
    "ASK { ?s a <https://w3id.org/icc-graph/def/icc#City> }",
]
CONSTRUCT = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/icc-graph/def/icc#Country> ;"
             " ?p ?o }")


def _answers(client) -> list[object]:
    out: list[object] = []
    for text in QUERIES:
        r = client.post("/sparql", data={"query": text},
                        headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.get_data(as_text=True)
        body = json.loads(r.data)
        out.append(body.get("boolean", body.get("results", {}).get("bindings")))
    r = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    out.append(sorted(Graph().parse(data=r.data, format="turtle")))
    return out


def _workers(app) -> list[int]:
    pool = app.extensions["icc"].backend.pool
    return [w.process.pid for w in list(pool._all)]


def test_the_workers_of_the_memory_mode_answer_as_the_files_do(fixture_release):
    disk = make_app(fixture_release, None, query_workers=1, cache_size=0, query_store="disk")
    memory = make_app(fixture_release, None, query_workers=1, cache_size=0,
                      query_store="memory")
    try:
        expected = _answers(disk.test_client())
        assert expected[0] and expected[3] is True  # the fixture has titles and cities
        first = _answers(memory.test_client())  # perhaps before the copy is made
        assert first == expected
        def modes(app):
            found = []
            for pid in _workers(app):
                args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
                found.append(args[args.index("--query-store") + 1])
            return found

        assert modes(memory) == ["memory"] and modes(disk) == ["disk"]
        assert _answers(memory.test_client()) == expected
    finally:
        close_app(disk)
        close_app(memory)


def test_the_copy_holds_every_quad_and_answers_the_same(fixture_release):
    disk = open_read_only(fixture_release.path / "store")
    stores = worker._Stores(disk)
    worker._copy(stores, 0)  # no bound: this process is the test run, not a worker
    copy = stores.current
    assert copy is not disk and isinstance(copy, ox.Store)
    assert set(copy) == set(disk) and len(copy) == len(disk) > 1000
    text = "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?s"
    assert [tuple(r) for r in copy.query(text, use_default_graph_as_union=True)] == \
        [tuple(r) for r in disk.query(text, use_default_graph_as_union=True)]


def test_a_store_too_large_for_the_bound_stays_on_its_files(fixture_release):
    disk = open_read_only(fixture_release.path / "store")
    stores = worker._Stores(disk)
    needed = len(disk) * worker.COPY_BYTES_PER_QUAD
    bound = max(1, (2 * needed >> 20) - 1)  # MiB: the copy would take more than half
    said = io.StringIO()
    with redirect_stderr(said):
        worker._copy(stores, bound)
    assert stores.current is disk
    assert "ICC_WORKER_MEMORY_MIB" in said.getvalue() and f"the {bound} MiB" in said.getvalue()


def test_auto_copies_a_small_store_and_leaves_a_large_one_on_its_files(fixture_release,
                                                                      monkeypatch, capsys):
    disk = open_read_only(fixture_release.path / "store")
    small = worker._Stores(disk)
    worker._copy(small, 0, "auto")  # the fixture's copy takes a few MiB
    assert small.current is not disk and len(small.current) == len(disk)
    monkeypatch.setattr(worker, "AUTO_COPY_MIB", 0)  # as if the store were large
    large = worker._Stores(disk)
    worker._copy(large, 0, "auto")
    assert large.current is disk
    assert capsys.readouterr().err == ""  # the default says nothing of what it chose



def test_a_copy_past_half_the_bound_is_dropped_and_said(fixture_release, monkeypatch, capsys):
    """The worker's memory is looked at while it copies: past half of its bound the copy
    stops, the files answer, and the worker lives on (the estimate before it can be wrong:
    long literals)."""
    disk = open_read_only(fixture_release.path / "store")
    monkeypatch.setattr(worker, "COPY_BATCH", 100)
    monkeypatch.setattr(worker, "_data_bytes", lambda: 600 << 20)  # past 1024 / 2 MiB
    for mode, says in (("memory", True), ("auto", False)):
        stores = worker._Stores(disk)
        worker._copy(stores, 1024, mode)
        assert stores.current is disk
        err = capsys.readouterr().err
        assert ("reached 600 MiB while copying" in err) is says


def test_the_worker_loop_answers_from_the_copy_once_made(fixture_release):
    """``serve`` as a worker runs it, over a real pipe: ready at once, the copy made in its
    thread, and the next query answered from the copy as the files answer it."""
    disk = open_read_only(fixture_release.path / "store")
    stores = worker._Stores(disk)
    ours, theirs = Pipe()
    loop = threading.Thread(target=worker.serve, args=(theirs, stores, "memory", 0),
                            daemon=True)
    loop.start()
    assert ours.recv()[0] == "ready"
    for _ in range(600):  # the fixture's copy takes milliseconds; give it up to a minute
        if stores.current is not disk:
            break
        time.sleep(0.1)
    assert stores.current is not disk, "the copy was never made"
    accept = {"select": "application/sparql-results+json",
              "ask": "application/sparql-results+json", "graph": "text/turtle"}
    text = QUERIES[2]
    ours.send(QueryRequest(text, accept, math.inf))
    status, reply = ours.recv()
    assert status == "ok"
    expected = run_request(disk, QueryRequest(text, accept, math.inf))
    assert json.loads(reply.body) == json.loads(expected.body)
    ours.close()
    loop.join(10)
    assert not loop.is_alive()


def test_an_idle_worker_that_died_is_replaced_not_blamed(fixture_release):
    app = make_app(fixture_release, None, query_workers=1, cache_size=0)
    try:
        client = app.test_client()
        ask = {"query": QUERIES[3]}
        json_accept = {"Accept": "application/sparql-results+json"}
        assert client.post("/sparql", data=ask, headers=json_accept).get_json()["boolean"]
        pool = app.extensions["icc"].backend.pool
        (dead,) = list(pool._all)
        dead.process.kill()
        dead.process.wait(10)
        r = client.post("/sparql", data=ask, headers=json_accept)
        assert r.status_code == 200 and r.get_json()["boolean"] is True
        assert dead not in pool._all
    finally:
        close_app(app)
