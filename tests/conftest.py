"""Shared fixtures: the real data is built once per test session; small data folders are made
per test from the real shared files plus the records a test writes."""

from __future__ import annotations

import contextlib
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


# ---------------------------------------------------------------- fixture data and servers

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import flask  # noqa: E402

from server import close_app, create_app  # noqa: E402
from server.settings import Settings  # noqa: E402

from .engines import BIN, free_port, oxigraph_server, virtuoso, wait_for  # noqa: E402, F401

# the practices of the small fixture release: the seed, practices in several cities, one with
# a project of several cities, one with a topic and none, a Swiss city beside Neuchâtel, one
# whose source records neither topic nor year
FIXTURE_PRACTICES = (
    "collaboration-with-neuchatel-study-visits-and-exchange-of-knowledge",
    "iorispetto-active-citizenship-against-discrimination",
    "fostering-inclusive-recruitment-project-report-and-guidebook-for-employers",
    "a-welcoming-app",
    "don-t-feed-the-rumour-1",
    "geneva-the-city-tackles-hurtful-words",
    "a-path-to-build-a-united-and-inclusive-society-the-city-of-turin-adopts-its-guidelines-for-"
    "interculture-and-participation",  # no topic and no year recorded
)


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the last test, no process started by the suite is still running: servers,
    engines and query workers all name a folder of the session's temporary tree."""
    from .processes import gone, mentioning

    base = str(tmp_path_factory.getbasetemp())
    yield
    left = gone(mentioning(base) | mentioning("icc_graph.store.worker --store " + base), 20)
    assert not left, f"processes left running after the tests: {sorted(left)}"


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """A small release: the real shared records and six practices (see FIXTURE_PRACTICES)."""
    root = tmp_path_factory.mktemp("fixture")
    data = root / "data"
    (data / "practices").mkdir(parents=True)
    for path in DATA.iterdir():
        if path.is_file():
            shutil.copy(path, data / path.name)
    for folder in ("links", "queries", "curation"):
        if (DATA / folder).is_dir():
            shutil.copytree(DATA / folder, data / folder)
    for slug in FIXTURE_PRACTICES:
        shutil.copy(DATA / "practices" / f"{slug}.yaml", data / "practices" / f"{slug}.yaml")
    return build(data, root / "dist", BASE)


@pytest.fixture(scope="session")
def fixture_dump(fixture_release: Release) -> Graph:
    return Graph().parse(fixture_release.path / "icc-graph.ttl", format="turtle")


ENGINES = ("embedded", "oxigraph", "virtuoso")


class Engines:
    """The external engines of a test session, each started the first time it is asked for
    and loaded with the fixture release; stopped at the end of the session."""

    def __init__(self, release: Path, factory: pytest.TempPathFactory,
                 stack: contextlib.ExitStack):
        self.release, self.factory, self.stack = release, factory, stack
        self.urls: dict[str, str] = {}

    def endpoint(self, name: str) -> str | None:
        """The SPARQL query endpoint of an engine (None for the embedded store)."""
        if name == "embedded":
            return None
        if name not in self.urls:
            folder = self.factory.mktemp(name)
            if name == "oxigraph":
                base = self.stack.enter_context(oxigraph_server(self.release, folder))
                self.urls[name] = f"{base}/query"
            else:
                base = self.stack.enter_context(virtuoso(self.release, folder))
                self.urls[name] = f"{base}/sparql"
        return self.urls[name]


@pytest.fixture(scope="session")
def engines(fixture_release: Release, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Engines]:
    with contextlib.ExitStack() as stack:
        yield Engines(fixture_release.path, tmp_path_factory, stack)


def make_app(release: Release, endpoint: str | None, **changes: object) -> flask.Flask:
    """The app on a release, answering from its store or from an external endpoint."""
    import dataclasses

    settings = Settings(release=release.path, sparql_endpoint=endpoint, query_timeout=10)
    return create_app(dataclasses.replace(settings, **changes))


@pytest.fixture(scope="session", params=["embedded", "oxigraph"])
def app(request: pytest.FixtureRequest, fixture_release: Release,
        engines: Engines) -> Iterator[flask.Flask]:
    """The app on the fixture release: the embedded store, and a real Oxigraph server."""
    application = make_app(fixture_release, engines.endpoint(request.param))
    yield application
    close_app(application)


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def real_app(release: Release) -> Iterator[flask.Flask]:
    """The app on the release of the real data (for the tests of what the real data shows)."""
    application = create_app(Settings(release=release.path))
    yield application
    close_app(application)


@pytest.fixture
def real_client(real_app: flask.Flask) -> flask.testing.FlaskClient:
    return real_app.test_client()


def gunicorn(release: Path, *args: str, env: dict[str, str] | None = None
             ) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn started as README says for production, on a free loopback port."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", "2", "--threads", "4", "--graceful-timeout", "5",
               "-b", f"127.0.0.1:{port}", *args, "server:create_app()"]
    process = subprocess.Popen(command, env={**os.environ, "ICC_RELEASE": str(release),
                                             **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/sparql?query=ASK%7B%7D", process=process)
    return process, url


@pytest.fixture(scope="session")
def gunicorn_server(fixture_release: Release) -> Iterator[str]:
    """The production form on the fixture release, with a 1 s query timeout."""
    process, url = gunicorn(fixture_release.path, env={"ICC_QUERY_TIMEOUT": "1"})
    try:
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
