"""Linking to Wikidata against a real Oxigraph server holding Wikidata-shaped data: links on
evidence, ambiguity flagged, retries on 429, a dead endpoint changes nothing, re-runs are stable,
and the build publishes the links and the facts."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rdflib import OWL, Graph, URIRef

from icc_graph.build import build
from icc_graph.cli import main
from icc_graph.errors import UsageError
from icc_graph.links import read_links
from icc_graph.sources.wikidata import Client, link

from .conftest import BASE, BIN, free_port, wait_for

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata.ttl"
HEADER = ("subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\t"
          "mapping_justification\tconfidence\tstatus\tcomment\n")
COUNTRIES = {"pl": "Q36", "ch": "Q39", "es": "Q29", "ua": "Q212", "it": "Q38"}


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory) -> str:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "oxigraph"), "serve", "--location", str(tmp_path_factory.mktemp("wd")),
         "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/query?query=ASK%7B%7D")
    request = urllib.request.Request(f"{url}/store?default", data=FIXTURE.read_bytes(),
                                     method="PUT", headers={"Content-Type": "text/turtle"})
    urllib.request.urlopen(request).read()
    yield f"{url}/query"
    process.terminate()
    process.wait(10)


@pytest.fixture
def data(small_data: Path) -> Path:
    places = yaml.safe_load((small_data / "places.yaml").read_text(encoding="utf-8"))
    places += [{"slug": "odesa", "type": "city", "label": {"en": "Odesa"},
                "alt_labels": ["Odessa"], "country": "ua", "status": "imported"},
               {"slug": "sabadell", "type": "city", "label": {"en": "Sabadell"},
                "country": "es", "status": "imported"}]
    (small_data / "places.yaml").write_text(yaml.safe_dump(places, allow_unicode=True),
                                            encoding="utf-8")
    rows = [f"{BASE}id/country/{c}\t{c}\tskos:exactMatch\twd:{q}\t{c}\t"
            "semapv:ManualMappingCuration\t1.0\treviewed\t\n" for c, q in COUNTRIES.items()]
    rows.append(f"{BASE}id/city/modena\tModena\tskos:exactMatch\twd:Q279\tModena\t"
                "semapv:ManualMappingCuration\t0.9\treviewed\tchecked by hand\n")
    (small_data / "links").mkdir()
    (small_data / "links" / "wikidata.sssom.tsv").write_text(
        "# curie_map:\n#   wd: http://www.wikidata.org/entity/\n" + HEADER + "".join(rows),
        encoding="utf-8")
    return small_data


def status(data: Path) -> dict[tuple[str, str], str]:
    return {(lk.subject_id.rsplit("/", 1)[-1], lk.object_id): lk.status
            for lk in read_links(data / "links" / "wikidata.sssom.tsv")}


def test_links_on_evidence_and_flags_the_ambiguous(wikidata, data):
    report = link(data, BASE, Client(wikidata), {"city", "org", "project"}, today="2026-01-01")
    s = status(data)
    assert s[("lublin", "wd:Q37333")] == "accepted"      # not the village 200 km away
    assert ("lublin", "wd:Q99900001") not in s
    assert s[("geneva", "wd:Q71")] == "accepted"         # the city, not the canton
    assert ("geneva", "wd:Q11917") not in s
    assert s[("barcelona", "wd:Q1492")] == "accepted"    # Spain, not Venezuela
    assert s[("odesa", "wd:Q1874")] == "accepted"        # Ukraine, not Texas
    assert ("odesa", "wd:Q128212") not in s
    assert s[("sabadell", "wd:Q12258")] == "needs-review"  # two items the evidence cannot split
    assert s[("sabadell", "wd:Q23993166")] == "needs-review"
    assert s[("itaca", "wd:Q99900003")] == "accepted"    # CORDIS id = our grant number
    assert ("itaca", "wd:Q99900004") not in s
    assert s[("la-lanterne-magique", "wd:Q99900005")] == "accepted"
    assert s[("modena", "wd:Q279")] == "reviewed"        # reviewed rows survive
    assert any("Sabadell" in r for r in report.review)
    assert report.requests <= 6, "few, batched queries"


def test_a_reviewed_geonames_match_settles_a_city_through_p1566(wikidata, data):
    from icc_graph.coordinates import GEONAMES_FILE, GeoLink, write_geolinks

    write_geolinks(data / GEONAMES_FILE, [GeoLink(
        "sabadell", "Sabadell", "es", "3111199", "Sabadell", "41.54329", "2.10942", "matched",
        "GeoNames name 'Sabadell' in ES")])
    link(data, BASE, Client(wikidata), {"city"}, today="2026-01-01")
    s = status(data)
    assert s[("sabadell", "wd:Q12258")] == "accepted"   # Wikidata's P1566 is our GeoNames id
    assert ("sabadell", "wd:Q23993166") not in s
    [row] = [lk for lk in read_links(data / "links" / "wikidata.sssom.tsv")
             if lk.subject_id.endswith("/sabadell")]
    assert "P1566" in row.comment


def test_a_second_run_changes_nothing(wikidata, data):
    link(data, BASE, Client(wikidata), {"city", "org", "project"}, today="2026-01-01")
    files = [data / "links" / "wikidata.sssom.tsv", data / "links" / "wikidata-facts.json"]
    before = [f.read_bytes() for f in files]
    link(data, BASE, Client(wikidata), {"city", "org", "project"}, today="2026-02-02")
    assert [f.read_bytes() for f in files] == before


def test_review_accept_and_reject_are_one_command_each(wikidata, data):
    link(data, BASE, Client(wikidata), {"city"}, today="2026-01-01")
    result = CliRunner().invoke(main, ["link", "review", "--data", str(data)])
    assert "wd:Q12258" in result.output and "wd:Q23993166" in result.output
    result = CliRunner().invoke(main, ["link", "accept", f"{BASE}id/city/sabadell", "wd:Q12258",
                                       "--data", str(data)])
    assert result.exit_code == 0, result.output
    s = status(data)
    assert s[("sabadell", "wd:Q12258")] == "reviewed"
    assert s[("sabadell", "wd:Q23993166")] == "rejected"
    link(data, BASE, Client(wikidata), {"city"}, today="2026-01-01")
    assert status(data)[("sabadell", "wd:Q23993166")] == "rejected"  # never proposed again


def test_the_build_publishes_links_and_facts(wikidata, data, tmp_path):
    link(data, BASE, Client(wikidata), {"city", "org", "project"}, today="2026-01-01")
    release = build(data, tmp_path / "dist", BASE)
    g = Graph().parse(release.path / "icc-graph.ttl")
    lublin, item = URIRef(f"{BASE}id/city/lublin"), URIRef("http://www.wikidata.org/entity/Q37333")
    assert (lublin, OWL.sameAs, item) in g
    assert (URIRef(f"{BASE}id/city/sabadell"), OWL.sameAs, None) not in g  # not yet reviewed
    population = g.value(item, URIRef("http://www.wikidata.org/prop/direct/P1082"))
    assert int(population) == 339784
    trig = (release.path / "icc-graph.trig").read_text(encoding="utf-8")
    assert f"<{BASE}graph/wikidata>" in trig


class _TooMany(http.server.BaseHTTPRequestHandler):
    """Answers 429 with Retry-After to the first request, then passes requests on."""

    target = ""
    seen = 0

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        type(self).seen += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).seen == 1:
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        request = urllib.request.Request(self.target, data=body, headers={
            "Content-Type": self.headers["Content-Type"], "Accept": self.headers["Accept"]})
        with urllib.request.urlopen(request) as r:
            payload = r.read()
            self.send_response(200)
            self.send_header("Content-Type", r.headers["Content-Type"])
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_429_with_retry_after_is_retried(wikidata, data):
    _TooMany.target, _TooMany.seen = wikidata, 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TooMany)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    waits: list[float] = []
    try:
        client = Client(f"http://127.0.0.1:{server.server_port}/", sleep=waits.append)
        link(data, BASE, client, {"project"}, today="2026-01-01")
    finally:
        server.shutdown()
    assert waits == [1.0]
    assert status(data)[("itaca", "wd:Q99900003")] == "accepted"


def test_an_endpoint_that_does_not_answer_changes_nothing(data):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    links = data / "links" / "wikidata.sssom.tsv"
    before = links.read_bytes()
    try:
        client = Client(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=1, retries=1,
                        sleep=lambda _: None)
        with pytest.raises(UsageError) as exc:
            link(data, BASE, client, {"city"})
    finally:
        silent.close()
    assert "did not answer" in str(exc.value) and "not changed" in str(exc.value)
    assert links.read_bytes() == before
    assert not (data / "links" / "wikidata-facts.json").exists()


def test_the_documented_federated_query_runs_on_our_endpoint(wikidata, data, tmp_path):
    """The SERVICE query of docs/wikidata.md, with Wikidata replaced by the test endpoint."""
    from server import create_app
    from server.settings import Settings

    link(data, BASE, Client(wikidata), {"city"}, today="2026-01-01")
    release = build(data, tmp_path / "dist", BASE)
    query = (Path(__file__).parent.parent / "data" / "queries" /
             "federated-wikidata-population.rq").read_text(encoding="utf-8")
    assert "https://query.wikidata.org/sparql" in query
    query = query.replace("https://query.wikidata.org/sparql", wikidata)
    app = create_app(Settings(release=release.path, service_allow=(wikidata,)))
    r = app.test_client().get("/sparql", query_string={"query": query, "format": "csv"})
    app.extensions["icc"].backend.close()
    assert r.status_code == 200, r.data
    rows = r.get_data(as_text=True).splitlines()
    assert any(row.startswith(f"{BASE}id/city/lublin,Lublin,339784") for row in rows)
