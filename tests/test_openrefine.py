"""End to end with a real OpenRefine (Debian package ``openrefine``): a project made from a CSV of
city names in several languages and spellings is reconciled against the service (gunicorn, on
the fixture catalogue) with type City and auto-match, then extended with the country."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from icc_graph.build import build
from icc_graph.namespaces import DEFAULT_BASE_IRI, ICC_IRI
from icc_graph.paths import ROOT
from icc_graph.release import Release

from .test_reconcile import FIXTURE

OPENREFINE = shutil.which("openrefine") or "/usr/bin/openrefine"
BIN = Path(sys.executable).parent
# (cell, the entity OpenRefine must match it to, or None: left for a person to choose)
CITIES = [
    ("Barcelone", "city/barcelona"),
    ("GENÈVE", "city/geneva"),
    ("Genf", "city/geneva"),
    ("City of Lisbon", "city/lisbon"),
    ("lisboa", "city/lisbon"),
    ("Ville de Montréal", "city/montreal"),
    ("Reggio nell'Emilia", "city/reggio-emilia"),
    ("Bergen", None),  # two cities have this name
    ("Barcellona", None),  # another spelling: a candidate, not a certain match
    ("Atlantis", None),
]
COUNTRIES = {"city/barcelona": "Spain", "city/geneva": "Switzerland", "city/lisbon": "Portugal",
             "city/montreal": "Canada", "city/reggio-emilia": "Italy"}

if not Path(OPENREFINE).exists():
    if os.environ.get("CI"):
        raise RuntimeError("OpenRefine is missing: .ci/run installs the Debian package openrefine")
    pytest.skip("OpenRefine is not installed here (apt-get install openrefine); CI installs it",
                allow_module_level=True)

http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=60))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if http.request("GET", url, retries=False).status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, with everything it started."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reconciliation service under gunicorn, on the fixture catalogue."""
    release: Release = build(FIXTURE, tmp_path_factory.mktemp("or") / "dist", DEFAULT_BASE_IRI)
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}",
         "server:create_app()"], cwd=ROOT, env={**os.environ, "ICC_RELEASE": str(release.path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{port}/reconcile", 30, process)
        yield f"http://127.0.0.1:{port}/reconcile"
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def openrefine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    workspace = tmp_path_factory.mktemp("openrefine-workspace")
    log = (workspace.parent / "openrefine.log").open("wb")
    process = subprocess.Popen(
        [OPENREFINE, "-i", "127.0.0.1", "-p", str(port), "-d", str(workspace), "-m", "700M",
         "-x", "refine.headless=true"], stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{port}/command/core/get-csrf-token", 120, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        log.close()


class Refine:
    """OpenRefine's HTTP API, the way its own web client calls it."""

    def __init__(self, url: str):
        self.url = url

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        r = http.request(method, self.url + path, **kw)
        assert r.status == 200, (path, r.status, r.data[:500])
        return json.loads(r.data)

    def token(self) -> str:
        return str(self._json("GET", "/command/core/get-csrf-token")["token"])

    def create(self, name: str, rows: list[list[str]]) -> str:
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        options = {"separator": ",", "headerLines": 1, "ignoreLines": -1, "skipDataLines": 0,
                   "limit": -1, "storeBlankRows": True, "guessCellValueTypes": False,
                   "processQuotes": True, "storeBlankCellsAsNulls": True,
                   "includeFileSources": False, "encoding": "UTF-8"}
        r = http.request(
            "POST", f"{self.url}/command/core/create-project-from-upload?csrf_token="
            + self.token(), redirect=False,
            fields={"project-file": (f"{name}.csv", text.getvalue().encode(), "text/csv"),
                    "project-name": name, "format": "text/line-based/*sv",
                    "options": json.dumps(options)})
        assert r.status == 302, r.data[:500]
        return str(r.headers["Location"]).split("project=")[1]

    def apply(self, project: str, operation: dict[str, Any]) -> None:
        operation = {"engineConfig": {"facets": [], "mode": "row-based"}, **operation}
        body = self._json("POST", f"/command/core/apply-operations?project={project}",
                          fields={"operations": json.dumps([operation]),
                                  "csrf_token": self.token()}, encode_multipart=False)
        assert body["code"] in ("ok", "pending"), body
        deadline = time.monotonic() + 120
        while self._json("GET", f"/command/core/get-processes?project={project}")["processes"]:
            assert time.monotonic() < deadline, "OpenRefine's operation did not finish"
            time.sleep(0.2)

    def rows(self, project: str) -> tuple[list[str], list[list[dict[str, Any]]], dict[str, Any]]:
        columns = [c["name"] for c in self._json(
            "GET", f"/command/core/get-models?project={project}")["columnModel"]["columns"]]
        body = self._json("GET", f"/command/core/get-rows?project={project}&start=0&limit=100")
        return columns, [r["cells"] for r in body["rows"]], body["pool"]["recons"]


def test_openrefine_reconciles_and_extends(openrefine: str, service: str) -> None:
    refine = Refine(openrefine)
    project = refine.create("cities", [["city"], *[[name] for name, _ in CITIES]])
    spaces = {"identifierSpace": f"{DEFAULT_BASE_IRI}id/", "schemaSpace": ICC_IRI}
    refine.apply(project, {
        "op": "core/recon", "columnName": "city", "description": "Reconcile city",
        "config": {"mode": "standard-service", "service": service, **spaces,
                   "type": {"id": f"{ICC_IRI}City", "name": "City"}, "autoMatch": True,
                   "columnDetails": [], "limit": 0}})
    _, rows, recons = refine.rows(project)
    assert len(rows) == len(CITIES)
    for (name, expected), cells in zip(CITIES, rows, strict=True):
        assert cells[0]["v"] == name
        recon = recons[str(cells[0]["r"])]
        if expected is None:
            assert recon["j"] == "none", (name, recon.get("m"))
        else:
            assert recon["j"] == "matched" and recon["m"]["id"] == expected, (name, recon)
    barcellona = recons[str(rows[8][0]["r"])]
    assert barcellona["c"][0]["id"] == "city/barcelona"  # offered first, left to a person

    refine.apply(project, {
        "op": "core/extend-reconciled-data", "baseColumnName": "city", "endpoint": service,
        **spaces, "extension": {"properties": [{"id": "country", "name": "country"}]},
        "columnInsertIndex": 1, "description": "Add the country"})
    columns, rows, recons = refine.rows(project)
    assert columns == ["city", "country"]
    for (name, expected), cells in zip(CITIES, rows, strict=True):
        country = cells[1] if len(cells) > 1 else None
        if expected is None:
            assert not country or country.get("v") is None, name
            continue
        assert country is not None and country["v"] == COUNTRIES[expected], name
        # the country comes as an entity of the service, already matched
        assert recons[str(country["r"])]["m"]["id"].startswith("country/")
