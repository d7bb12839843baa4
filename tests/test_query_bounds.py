"""Bounds a client cannot pass: a query that exhausts its worker's memory or crashes the engine
gets a clear answer and a fresh worker (the web process never runs a user's query); the
deadline counts the wait for a worker; a client runs at most N queries at once; the response
cache is bounded in bytes."""

from __future__ import annotations

import threading

import pytest

from server import close_app
from server.cache import Cache

from .conftest import make_app

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ASK = "ASK { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


def doubling(times: int) -> str:
    """An ASK of under 1.5 KB whose string doubles ``times`` times (2**times bytes)."""
    binds = ['BIND("ab" AS ?v0)'] + [f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})"
                                     for i in range(times)]
    return "ASK { " + " ".join(binds) + " }"


@pytest.fixture
def small_app(fixture_release):
    app = make_app(fixture_release, None, query_workers=1, worker_memory_mib=256,
                   query_timeout=5, cache_size=0)
    yield app
    close_app(app)


def _query(client, text, headers=None, **kwargs):
    return client.post("/sparql", data={"query": text}, headers={**JSON, **(headers or {})},
                       **kwargs)


def test_a_query_past_the_memory_limit_is_stopped_and_the_next_one_answered(small_app):
    client = small_app.test_client()
    r = _query(client, doubling(45))
    assert r.status_code == 503 and "memory" in r.get_json()["error"]
    assert r.headers["Retry-After"]
    assert _query(client, ASK).get_json()["boolean"] is True


@pytest.mark.parametrize("text", [
    "SELECT * WHERE " + "{" * 2500 + "}" * 2500,
    "ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
    "ASK { FILTER(" + " && ".join(["true"] * 10_000) + ") }",
])
def test_a_query_that_crashes_the_engine_gets_a_clean_answer(small_app, text):
    client = small_app.test_client()
    r = _query(client, text)
    assert 400 <= r.status_code < 600 and r.status_code != 500
    assert r.get_json()["error"]
    assert _query(client, ASK).get_json()["boolean"] is True, "a fresh worker answers"


def test_waiting_for_a_worker_counts_in_the_deadline(fixture_release):
    app = make_app(fixture_release, None, query_workers=1, query_timeout=1, cache_size=0)
    try:
        answers: list[int] = []
        first = threading.Thread(target=lambda: answers.append(
            _query(app.test_client(), HEAVY).status_code))
        first.start()
        second = _query(app.test_client(), ASK + " # another")
        first.join(30)
        assert answers == [503]
        assert second.status_code in (200, 503)  # answered or stopped, never left waiting
        if second.status_code == 503:
            assert "deadline" in second.get_json()["error"]
    finally:
        close_app(app)


def test_a_client_runs_at_most_n_queries_at_once(fixture_release):
    app = make_app(fixture_release, None, query_timeout=10, cache_size=0, client_concurrency=1,
                   trusted_proxies=("10.0.0.9",))
    limits = app.extensions["icc"].limits
    try:
        # the client 127.0.0.5 runs one query (its slot held as a running query holds it)
        with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.5"}), limits.slot():
            r = _query(app.test_client(), ASK, environ_base={"REMOTE_ADDR": "127.0.0.5"})
            assert r.status_code == 429
            assert r.headers["Retry-After"] and "ICC_CLIENT_CONCURRENCY" in r.get_json()["error"]
            other = _query(app.test_client(), ASK, environ_base={"REMOTE_ADDR": "127.0.0.6"})
            assert other.status_code == 200, "another client is answered"
            proxied = _query(app.test_client(), ASK, environ_base={"REMOTE_ADDR": "10.0.0.9"},
                             headers={"X-Forwarded-For": "127.0.0.5"})
            assert proxied.status_code == 429, "behind a trusted proxy the forwarded one counts"
            spoofed = _query(app.test_client(), ASK, environ_base={"REMOTE_ADDR": "127.0.0.7"},
                             headers={"X-Forwarded-For": "127.0.0.5"})
            assert spoofed.status_code == 200, "an untrusted peer cannot borrow an address"
        again = _query(app.test_client(), ASK, environ_base={"REMOTE_ADDR": "127.0.0.5"})
        assert again.status_code == 200, "the slot is free when the query ends"
    finally:
        close_app(app)


def test_a_running_query_holds_its_clients_slot(fixture_release):
    app = make_app(fixture_release, None, query_timeout=1, cache_size=0, client_concurrency=1)
    try:
        statuses: list[int] = []

        def run_heavy() -> None:
            status = 429
            while status == 429:  # until it gets the slot before one of the ASKs below
                status = _query(app.test_client(), HEAVY,
                                environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code
            statuses.append(status)

        heavy = threading.Thread(target=run_heavy)
        heavy.start()
        seen: set[int] = set()
        while heavy.is_alive():  # while the heavy query runs, the same client is refused
            seen.add(_query(app.test_client(), ASK,
                            environ_base={"REMOTE_ADDR": "127.0.0.8"}).status_code)
        heavy.join()
        assert statuses == [503], statuses  # stopped at its deadline
        assert 429 in seen, seen
    finally:
        close_app(app)


def test_the_cache_is_bounded_in_bytes():
    cache = Cache(size=1000, max_bytes=1600)
    for n in range(50):
        cache.get_or_make(n, lambda n=n: b"x" * 100, len)
    assert cache.bytes <= 1600
    assert cache.get_or_make(49, lambda: b"new", len) == b"x" * 100, "recent entries stay"
    assert cache.get_or_make(0, lambda: b"new", len) == b"new", "old ones went"
    cache.get_or_make("big", lambda: b"y" * 1000, len)
    assert "big" not in cache._items, "no one body takes more than its share"


def test_a_query_worker_loads_neither_rdflib_nor_flask():
    """What a worker process imports (its module, and what ``serve`` imports) stays small:
    neither rdflib nor Flask, which would cost every worker of every web worker their memory."""
    import subprocess
    import sys

    code = ("import sys, icc_graph.store.worker, icc_graph.store.embedded, "
            "icc_graph.store.oxigraph; print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert "pyoxigraph" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("rdflib", "flask", "werkzeug")}


def test_the_client_lock_folder_goes_with_its_app(fixture_release, tmp_path, monkeypatch):
    """Each app outside gunicorn has its own lock folder, removed when the app closes; the
    folders of servers whose process is gone are swept when a server starts."""
    import subprocess
    import tempfile
    from pathlib import Path

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.Popen(["true"])
    ended.wait()  # its pid belongs to no process now
    dead = Path(tmp_path) / f"icc-graph-clients-{ended.pid}"
    dead.mkdir()
    (dead / "0.0").write_text("")
    first = make_app(fixture_release, None, client_concurrency=2)
    second = make_app(fixture_release, None, client_concurrency=2)
    folders = {app.extensions["icc"].limits.folder for app in (first, second)}
    assert len(folders) == 2, "two apps in one process do not share their clients' slots"
    assert not dead.exists(), "the folder of a server that has gone is removed"
    close_app(first)
    close_app(second)
    assert not any(f.exists() for f in folders if f is not None)
