"""Shared fixtures: the real data is built once per test session; small data folders are made
per test from the real shared files plus the records a test writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI
from icc_graph.paths import ONTOLOGY, ROOT
from icc_graph.release import Release

DATA = ROOT / "data"
BASE = DEFAULT_BASE_IRI


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The release of the real, committed data (built once)."""
    return build(DATA, tmp_path_factory.mktemp("release") / "dist", BASE)


@pytest.fixture(scope="session")
def dump(release: Release) -> Graph:
    return Graph().parse(release.path / "icc-graph.ttl", format="turtle")


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY)


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """A data folder with the real shared records and only the seed practice."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("topics.yaml", "countries.yaml", "programmes.yaml", "grants.yaml"):
        shutil.copy(DATA / name, data / name)
    # shared records that the seed needs: the reviewed ones (imported ones belong to practices)
    import yaml

    for name in ("places.yaml", "organisations.yaml", "projects.yaml"):
        items = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        reviewed = [r for r in items if r["status"] == "reviewed"]
        (data / name).write_text(yaml.safe_dump(reviewed, allow_unicode=True, sort_keys=False),
                                 encoding="utf-8")
    (data / "practices").mkdir()
    seed = "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge.yaml"
    shutil.copy(DATA / "practices" / seed, data / "practices" / seed)
    return data


# ---------------------------------------------------------------- servers

import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import flask  # noqa: E402

from server import create_app  # noqa: E402
from server.settings import Settings  # noqa: E402

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def oxigraph_server(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server on loopback, loaded with the release by `icc-graph publish`."""
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve", "--location", str(location),
         "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/query?query=ASK%7B%7D")
        subprocess.run([str(BIN / "icc-graph"), "publish", "--endpoint", f"{url}/store",
                        "--release", str(release.path)], check=True, capture_output=True)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session", params=["embedded", "remote"])
def app(request: pytest.FixtureRequest, release: Release) -> Iterator[flask.Flask]:
    """The app on the release's embedded store, and on a real Oxigraph server."""
    endpoint = None
    if request.param == "remote":
        endpoint = f"{request.getfixturevalue('oxigraph_server')}/query"
    application = create_app(Settings(release=release.path, sparql_endpoint=endpoint,
                                      query_timeout=5, max_rows=10_000))
    yield application
    application.extensions["icc"].backend.close()


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def gunicorn_server(release: Release) -> Iterator[str]:
    """The production form, started as the README says, with a 1 s query timeout."""
    port = free_port()
    env = {**os.environ, "ICC_RELEASE": str(release.path), "ICC_QUERY_TIMEOUT": "1"}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "server:create_app()"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/sparql?query=ASK%7B%7D")
        yield url
    finally:
        process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
