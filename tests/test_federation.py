"""SERVICE reaches only allowed endpoints: the query text is checked before it runs, and a
listener on 127.0.0.1 that counts connections shows that nothing is sent for a refused one."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icc_graph.federation import SETTING, ServiceRefused, check_services, tokens
from icc_graph.paths import ROOT

WDQS = "https://query.wikidata.org/sparql"
ALLOWED = (WDQS,)
EVIL = "http://127.0.0.1:9/evil"


class Listener:
    """A loopback TCP listener that counts the connections made to it and closes them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self.count = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def refused(query: str, allowed: tuple[str, ...] = ALLOWED) -> ServiceRefused:
    with pytest.raises(ServiceRefused) as info:
        check_services(query, allowed)
    return info.value


HOSTILE = {
    "plain": f"SELECT * {{ SERVICE <{EVIL}> {{ ?s ?p ?o }} }}",
    "lower case": f"select * {{ service <{EVIL}> {{ ?s ?p ?o }} }}",
    "mixed case, no spaces": f"SELECT*{{SeRvIcE<{EVIL}>{{?s?p?o}}}}",
    "silent": f"SELECT * {{ SERVICE SILENT <{EVIL}> {{ ?s ?p ?o }} }}",
    "comment between": f"SELECT * {{ SERVICE # why not\n <{EVIL}> {{ ?s ?p ?o }} }}",
    "CR line ends": f"SELECT * {{\r SERVICE\r<{EVIL}>\r{{ ?s ?p ?o }} }}",
    "variable": "SELECT * { BIND(<http://127.0.0.1:9/> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "dollar variable": "SELECT * { SERVICE $e { ?s ?p ?o } }",
    "prefixed name": "PREFIX w: <https://query.wikidata.org/> SELECT * { SERVICE w:sparql {} }",
    "empty prefix": "PREFIX : <https://query.wikidata.org/sparql> SELECT * { SERVICE : {} }",
    "relative IRI with BASE": "BASE <https://query.wikidata.org/> SELECT * { SERVICE <sparql> {} }",
    "relative IRI": "SELECT * { SERVICE <//query.wikidata.org/sparql> {} }",
    "escaped allowed IRI": r"SELECT * { SERVICE <https://query.wikidata.org/spar\u0071l> {} }",
    "escaped long form": r"SELECT * { SERVICE <\U00000068ttps://query.wikidata.org/sparql> {} }",
    "trailing slash": f"SELECT * {{ SERVICE <{WDQS}/> {{}} }}",
    "longer path": f"SELECT * {{ SERVICE <{WDQS}x> {{}} }}",
    "query string": f"SELECT * {{ SERVICE <{WDQS}?x=1> {{}} }}",
    "user info": "SELECT * { SERVICE <https://query.wikidata.org@127.0.0.1/sparql> {} }",
    "upper-case host": "SELECT * { SERVICE <https://QUERY.wikidata.org/sparql> {} }",
    "in FILTER EXISTS": f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{WDQS}> {{}} }} }}",
    "in FILTER NOT EXISTS": f"ASK {{ FILTER(1 && NOT EXISTS {{ {{ SERVICE <{WDQS}> {{}} }} }}) }}",
    "nested in SERVICE": f"SELECT * {{ SERVICE <{WDQS}> {{ {{ SERVICE <{WDQS}> {{}} }} }} }}",
    "deep in groups": "SELECT * { { { OPTIONAL { MINUS { SERVICE <" + EVIL + "> {} } } } } }",
    "in a subquery": f"SELECT * {{ {{ SELECT * {{ SERVICE <{EVIL}> {{}} }} }} }}",
    "after an allowed one": f"SELECT * {{ SERVICE <{WDQS}> {{}} SERVICE <{EVIL}> {{}} }}",
    "string that an IRI swallows": f"SELECT * {{ FILTER(?s<'x>' ) SERVICE <{EVIL}> {{}} #'\n}}",
    "a comment that is a string to the engine": f"SELECT * {{ FILTER(?s<'x>#' SERVICE <{EVIL}> "
                                                "{} ) }",
    "pname escape before #": "PREFIX e: <http://e/> SELECT * { ?s e:a\\# SERVICE <"
                             + EVIL + "> {} }",
    "escaped quote closing a string": "SELECT * { BIND(\"\\u0022 SERVICE <" + EVIL
                                      + "> {} \\u0022\" AS ?x) }",
    "escaped newline ending a comment": f"SELECT * {{ SERVICE # \\u000A <{EVIL}> {{}}\n"
                                        f"<{WDQS}> {{}} }}",
    "escaped keyword": f"SELECT * {{ \\u0053ERVICE <{EVIL}> {{}} }}",
    "unterminated string": f"SELECT * {{ SERVICE <{WDQS}> {{}} \"abc }}",
    "unterminated long string": f"SELECT * {{ SERVICE <{WDQS}> {{}} '''abc }}",
    "stray backslash": f"SELECT * {{ SERVICE <{WDQS}> {{}} \\ }}",
    "keyword glued to a prefixed name": "PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x {} }",
    "nothing after SERVICE": "SELECT * { SERVICE",
    "SILENT and nothing": "SELECT * { SERVICE SILENT",
    "a literal as endpoint": "SELECT * { SERVICE 'https://query.wikidata.org/sparql' {} }",
    "NUL in the text": f"SELECT * {{ SERVICE <{WDQS}> {{}} \x00 }}",
    "control character in IRI": "SELECT * { SERVICE <https://query.wikidata.org/\x01sparql> {} }",
}


@pytest.mark.parametrize("query", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_services_are_refused(query):
    exc = refused(query)
    assert exc.line >= 1 and exc.column >= 1
    assert isinstance(exc, ValueError)


def test_the_message_names_the_setting_and_how_to_allow_one():
    exc = refused(f"SELECT * {{\n  SERVICE <{EVIL}> {{ ?s ?p ?o }}\n}}", ())
    assert SETTING in exc.message and "add its IRI" in exc.message and "(now: none)" in exc.message
    assert (exc.line, exc.column) == (2, 11)
    assert f"<{EVIL}>" in str(exc)


ACCEPTED = {
    "no SERVICE": "SELECT * { ?s ?p ?o } LIMIT 1",
    "allowed": f"SELECT * {{ SERVICE <{WDQS}> {{ ?s ?p ?o }} }}",
    "allowed, silent, lower case": f"select * {{ service silent <{WDQS}> {{ ?s ?p ?o }} }}",
    "allowed in OPTIONAL": f"SELECT * {{ ?s ?p ?o OPTIONAL {{ SERVICE <{WDQS}> "
                           "{ ?s ?q ?v } } }",
    "two allowed side by side": f"SELECT * {{ SERVICE <{WDQS}> {{}} SERVICE <{WDQS}> {{}} }}",
    "the word in a literal": 'SELECT * { ?s ?p "customer service desk" }',
    "the word in a comment": "# a service to the reader\nSELECT * { ?s ?p ?o }",
    "a comment that names one": f"# Wikidata's query service: <{EVIL}>\n"
                                f"SELECT * {{ SERVICE <{WDQS}> {{}} }}",
    "an IRI with service in it": f"SELECT * {{ ?s ?p <http://e/service?x=1> SERVICE <{WDQS}> "
                                 "{} }",
    "a prefixed name ending in service": "PREFIX e: <http://e/> SELECT * { ?s e:service ?o }",
    "a variable named service": "SELECT ?service { ?service ?p ?o }",
    "all four quote forms": "SELECT * { VALUES ?x { 'a\\'b' \"c\\\"d\" '''e''f''' "
                            "\"\"\"g\"\"h\"\"\" } "
                            f"SERVICE <{WDQS}> {{}} }}",
    "less-than after a variable": f"SELECT * {{ ?s ?p ?o FILTER(?o<3) SERVICE <{WDQS}> {{}} }}",
    "escapes elsewhere": r'SELECT * { BIND("caf\u00e9" AS ?x) SERVICE <' + WDQS + "> {} }",
}


@pytest.mark.parametrize("query", ACCEPTED.values(), ids=list(ACCEPTED))
def test_ordinary_and_allowed_queries_pass(query):
    check_services(query, ALLOWED)


def test_the_gallery_query_passes_when_wikidata_is_allowed_only():
    text = (ROOT / "data" / "queries" / "federated-wikidata-population.rq").read_text("utf-8")
    check_services(text, ALLOWED)
    assert SETTING in refused(text, ()).message


def test_the_tokeniser_reads_each_kind_of_token():
    kinds = [t.kind for t in tokens("PREFIX e: <http://e/> SELECT ?x $y { _:b e:p 'v'@en, "
                                    "\"1\"^^e:t, 2.5e3 }")]
    assert kinds == ["word", "pname", "iri", "word", "var", "var", "punct", "bnode", "pname",
                     "string", "lang", "punct", "string", "punct", "pname", "punct", "number",
                     "punct"]


# ----------------------------------------------------------------------------- properties

PIECES = ["'", '"', "'''", '"""', "#", "\n", "\r", " ", "\t", "<", ">", "\\", "\\u0022",
          "\\u0027", "\\u000A", "\\u003E", "{", "}", "(", ")", ".", ";", "?x", "$y", "e:p",
          "e:", ":", "_:b", "a", "FILTER", "EXISTS", "NOT", "SILENT", "service", "SERVICE",
          "BIND", "AS", "<http://e/x>", "1", "@en", "^^", "'x'", '"y"', "\\'", '\\"']


def _text(parts: list[str]) -> str:
    return "".join(parts)


texts = st.lists(st.sampled_from(PIECES), max_size=12).map(_text)


def _runs_without_calling(query: str, listener: Listener) -> None:
    """Run a query the check let through on pyoxigraph: the listener must see no connection."""
    before = listener.count
    with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
        list(ox.Store().query(query))  # type: ignore[arg-type]
    assert listener.count == before, query


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=texts, after=texts, spaces=st.sampled_from([" ", "\n", "\t", " # c\n", "  "]),
       silent=st.booleans())
def test_a_service_to_a_non_allowed_iri_never_passes(before, after, spaces, silent, listener):
    """Refused, or (inside a comment, say) never run as a SERVICE call."""
    keyword = "SERVICE" + (" SILENT" if silent else "")
    query = f"SELECT * {{ {before} {keyword}{spaces}<{listener.url}>{{}}{after} }}"
    try:
        check_services(query, ALLOWED)
    except ServiceRefused:
        return
    assert "#" in before or "#" in spaces, query  # only a comment hides it
    _runs_without_calling(query, listener)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.sampled_from([*PIECES, "SERVICE <@>", "SERVICE SILENT <@>", "<@>",
                                      "SERVICE ?e", "BIND(<@> AS ?e)", "\\u0053ERVICE <@>"]),
                     max_size=14).map(_text))
def test_whatever_passes_the_check_makes_no_outbound_call(body, listener):
    """Run through pyoxigraph every generated query that the check lets through: the listener,
    the only endpoint the texts name, is never reached."""
    query = "SELECT * WHERE { " + body.replace("@", listener.url) + " }"
    try:
        check_services(query, ALLOWED)
    except ServiceRefused:
        return
    _runs_without_calling(query, listener)


# ----------------------------------------------------------------------------- the app


class Endpoint(BaseHTTPRequestHandler):
    """A SPARQL endpoint that answers every query with one binding of ?population."""

    calls = 0

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        Endpoint.calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"head": {"vars": ["population"]}, "results": {"bindings": [
            {"population": {"type": "literal", "value": "12345"}}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def federating_client(release, endpoint):
    from server import create_app
    from server.settings import Settings

    app = create_app(Settings(release=release.path, service_allow=(endpoint,), query_timeout=5))
    yield app.test_client()
    app.extensions["icc"].backend.close()


def test_an_allowed_endpoint_is_called_and_answers(federating_client, endpoint):
    before = Endpoint.calls
    response = federating_client.get("/sparql", query_string={
        "query": f"SELECT ?population WHERE {{ SERVICE <{endpoint}> {{ ?x ?y ?population }} }}"},
        headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    values = [b["population"]["value"] for b in response.get_json()["results"]["bindings"]]
    assert values == ["12345"]
    assert Endpoint.calls > before


@pytest.mark.parametrize("name", ["plain", "silent", "variable", "escaped keyword",
                                  "string that an IRI swallows", "in FILTER EXISTS"])
def test_a_refused_service_is_a_400_and_nothing_connects(federating_client, listener, name):
    query = HOSTILE[name].replace(EVIL, listener.url).replace("127.0.0.1:9/", listener.url[7:-6])
    before = listener.count
    for accept in ("application/sparql-results+json", "text/html"):
        response = federating_client.post("/sparql", data={"query": query},
                                          headers={"Accept": accept})
        assert listener.count == before, f"{name}: the server connected to the listener"
        assert response.status_code == 400, response.get_data(as_text=True)
        assert SETTING in response.get_data(as_text=True)


@pytest.mark.parametrize(("allowed", "noted"), [((), True), ((WDQS,), False)])
def test_the_gallery_says_when_federation_is_off(release, allowed, noted):
    from bs4 import BeautifulSoup

    from server import create_app
    from server.settings import Settings

    app = create_app(Settings(release=release.path, service_allow=allowed))
    try:
        page = app.test_client().get("/sparql", headers={"Accept": "text/html"})
    finally:
        app.extensions["icc"].backend.close()
    items = BeautifulSoup(page.data, "html.parser").select("#examples li")
    federated = [li for li in items if "Wikidata" in li.text]
    assert federated and len(items) > len(federated)
    assert all(bool(li.select(".federation-off")) == noted for li in federated)
    assert all(SETTING in note.text for li in federated for note in li.select(".federation-off"))
    assert not any(li.select(".federation-off") for li in items if li not in federated)
