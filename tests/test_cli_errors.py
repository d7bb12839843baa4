"""The command line as its users meet it: every mistake is one clear line on stderr with the
documented exit status, never a traceback; Ctrl-C stops `serve` quietly; `build` reports the
triple count of the dump it wrote."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph

from icc_graph.release import Release

from .conftest import BIN, free_port, wait_for

ICC = str(BIN / "icc-graph")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ICC, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": ""})


def _one_error_line(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "\x1b[" not in done.stderr  # no colour codes when not a terminal
    return lines[0]


@pytest.fixture
def here(release: Release) -> Path:
    """The folder that holds the release folder `dist` (its versions and its `current` link),
    where a user types the commands."""
    out = release.path.parent.parent
    assert out.name == "dist"
    return out.parent


def test_a_missing_query_file(here: Path) -> None:
    line = _one_error_line(_run("query", "@missing.rq", cwd=here))
    assert "missing.rq" in line and "no such file" in line


def test_an_undeclared_prefix_names_it_and_the_declared_ones(here: Path) -> None:
    line = _one_error_line(_run("query", "PREFIX ex: <http://example.org/>\n"
                                "SELECT * WHERE { ?s foo:bar ?o }", cwd=here))
    assert "foo:" in line and "ex:" in line and "2:" in line
    assert "\\u{" not in line and len(line) < 300
    line = _one_error_line(_run("query", "SELECT * WHERE { ?s icc:place ?o }", cwd=here))
    assert "PREFIX icc: <https://w3id.org/icc-graph/def/icc#>" in line


@pytest.mark.parametrize("update", ["INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                                    "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ?p ?o }"])
def test_an_update_is_refused(here: Path, update: str) -> None:
    line = _one_error_line(_run("query", update, cwd=here))
    assert "update" in line.lower() and "read-only" in line


@pytest.mark.parametrize("text", ["", "   ", "# only a comment\n"])
def test_an_empty_query(here: Path, text: str) -> None:
    assert "empty" in _one_error_line(_run("query", text, cwd=here))


def test_a_bad_query_says_where(here: Path) -> None:
    line = _one_error_line(_run("query", "SELECT * WHERE { ?s ?p }", cwd=here))
    assert "1:" in line and "\\u{" not in line


def test_a_relative_release_is_found_from_where_the_command_is_typed(here: Path) -> None:
    done = _run("query", "ASK { ?s ?p ?o }", "--release", "dist", cwd=here)
    assert done.returncode == 0 and done.stdout.strip() == "true"


def test_build_reports_the_triple_count_of_the_dump(tmp_path: Path, small_data: Path) -> None:
    done = _run("build", "--data", str(small_data), "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    triples = len(Graph().parse(tmp_path / "out" / "current" / "icc-graph.ttl"))
    counts = [int(n) for n in re.findall(r"(\d+) (?:triples|quads)", done.stdout + done.stderr)]
    assert counts and set(counts) == {triples}


def test_serve_on_a_port_in_use_says_so_before_serving(here: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run("serve", "--port", str(port), "--release", "dist", cwd=here)
    line = _one_error_line(done)
    assert str(port) in line and "serving" not in done.stderr


def test_serve_stops_quietly_on_ctrl_c(here: Path) -> None:
    port = free_port()
    log = here / f"serve-{port}.log"
    with log.open("wb") as err:
        process = subprocess.Popen([ICC, "serve", "--port", str(port), "--release", "dist"],
                                   cwd=here, stdout=subprocess.DEVNULL, stderr=err,
                                   start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", 60)  # starts a worker
        for path in ("/no-such-page", "/doc/city/lublin.ttl"):  # a 404 and a 200 in the log
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}"],
                           timeout=30)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert process.wait(timeout=20) in (0, 130)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = log.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert "one-person" in text and "development server" not in text.lower()
    assert "\x1b[" not in text and '"GET /no-such-page HTTP/1.1" 404' in text
