"""The reconciliation service (W3C Reconciliation Service API 0.2) and the site search, on a small
fixture catalogue: the fields and types the spec requires, names in every language, namesakes,
types, properties, suggest, preview, data extension, CORS, JSONP and errors."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import flask
import pytest
from bs4 import BeautifulSoup
from rdflib import Graph

from icc_graph.build import build
from icc_graph.lookup import SearchIndex, strip_place_words
from icc_graph.model import plain_term
from icc_graph.namespaces import DEFAULT_BASE_IRI, ICC_IRI
from icc_graph.release import Release, read_sums
from icc_graph.search_index import INDEX_FILE, fold, write_index
from server import create_app
from server.settings import Settings

FIXTURE = Path(__file__).parent / "fixtures" / "recon"
CITY, ORG, COUNTRY = f"{ICC_IRI}City", f"{ICC_IRI}Organisation", f"{ICC_IRI}Country"


@pytest.fixture(scope="module")
def recon_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build(FIXTURE, tmp_path_factory.mktemp("recon") / "dist", DEFAULT_BASE_IRI)


@pytest.fixture(scope="module")
def recon_app(recon_release: Release) -> Iterator[flask.Flask]:
    app = create_app(Settings(release=recon_release.path))
    yield app
    app.extensions["icc"].backend.close()


@pytest.fixture
def rc(recon_app: flask.Flask) -> flask.testing.FlaskClient:
    return recon_app.test_client()


def ask(rc: flask.testing.FlaskClient, queries: dict[str, Any], method: str = "POST") -> Any:
    if method == "POST":
        r = rc.post("/reconcile", data={"queries": json.dumps(queries)})
    else:
        r = rc.get("/reconcile?" + urlencode({"queries": json.dumps(queries)}))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    body = r.get_json()
    assert set(body) == set(queries)
    for answer in body.values():
        check_candidates(answer["result"])
    return body


def one(rc: flask.testing.FlaskClient, query: str, **fields: Any) -> list[dict[str, Any]]:
    return list(ask(rc, {"q0": {"query": query, **fields}})["q0"]["result"])


def check_candidates(result: list[dict[str, Any]]) -> None:
    """What the spec requires of a result: id, name, a numeric score (sorted), a boolean match,
    types with ids, features with boolean or numeric values."""
    scores = []
    for c in result:
        assert isinstance(c["id"], str) and isinstance(c["name"], str)
        assert isinstance(c["score"], int | float) and not isinstance(c["score"], bool)
        assert isinstance(c["match"], bool)
        assert all(isinstance(t["id"], str) and isinstance(t["name"], str) for t in c["type"])
        for f in c["features"]:
            assert isinstance(f["id"], str) and isinstance(f["value"], bool | int | float)
        scores.append(c["score"])
    assert scores == sorted(scores, reverse=True)
    assert sum(c["match"] for c in result[1:]) == 0, "only the top candidate may match"


# ---------------------------------------------------------------- manifest

def test_manifest_has_what_the_spec_requires(rc: flask.testing.FlaskClient) -> None:
    r = rc.get("/reconcile")
    assert r.status_code == 200 and r.mimetype == "application/json"
    m = r.get_json()
    assert "0.2" in m["versions"]
    assert m["identifierSpace"] == f"{DEFAULT_BASE_IRI}id/"
    assert m["schemaSpace"] == ICC_IRI
    assert isinstance(m["name"], str) and m["name"]
    ids = [t["id"] for t in m["defaultTypes"]]
    assert len(ids) == len(set(ids)) and CITY in ids and ORG in ids
    assert "{{id}}" in m["view"]["url"] and "{{id}}" in m["preview"]["url"]
    assert isinstance(m["preview"]["width"], int) and isinstance(m["preview"]["height"], int)
    for kind in ("entity", "type", "property"):
        assert m["suggest"][kind]["service_url"].startswith("http")
        assert m["suggest"][kind]["service_path"].startswith("/")
    assert m["extend"]["propose_properties"]["service_path"].startswith("/")
    assert isinstance(m["batchSize"], int)


def test_manifest_view_and_preview_urls_work(rc: flask.testing.FlaskClient) -> None:
    m = rc.get("/reconcile").get_json()
    view = m["view"]["url"].replace("{{id}}", "city/geneva")
    assert view == f"{DEFAULT_BASE_IRI}id/city/geneva"  # the IRI, served on any host
    assert rc.get(view.removeprefix(DEFAULT_BASE_IRI.rstrip("/")),
                  headers={"Accept": "text/html"}).status_code == 303
    preview = m["preview"]["url"].replace("{{id}}", "city/geneva")
    assert rc.get(preview.removeprefix("http://localhost")).status_code == 200


@pytest.mark.parametrize("path", ["/reconcile", "/reconcile/suggest/entity?prefix=gen",
                                  "/reconcile/suggest/type?prefix=ci",
                                  "/reconcile/suggest/property?prefix=co"])
def test_jsonp_wraps_the_get_forms(rc: flask.testing.FlaskClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    r = rc.get(f"{path}{sep}callback=jQuery_123.cb")
    assert r.status_code == 200 and r.mimetype == "application/javascript"
    text = r.get_data(as_text=True)
    start = text.index("jQuery_123.cb(")
    assert text.rstrip().endswith(");")
    json.loads(text[start + len("jQuery_123.cb("):text.rstrip().rindex(")")])


@pytest.mark.parametrize("callback", ["alert(1)", "1abc", "a-b", "<script>", ""])
def test_jsonp_callback_names_are_checked(rc: flask.testing.FlaskClient, callback: str) -> None:
    r = rc.get("/reconcile?" + urlencode({"callback": callback}))
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert "callback" in r.get_json()["error"]


def test_cors_preflight(rc: flask.testing.FlaskClient) -> None:
    r = rc.options("/reconcile", headers={"Origin": "http://127.0.0.1:3333",
                                          "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- queries

NAMES = [  # (query, type, expected top candidate); each must also be a certain match
    ("Barcelone", CITY, "city/barcelona"),
    ("BARCELONA", None, "city/barcelona"),
    ("GENÈVE", CITY, "city/geneva"),
    ("genf", CITY, "city/geneva"),
    ("Ginevra", None, "city/geneva"),
    ("City of Lisbon", CITY, "city/lisbon"),
    ("lisboa", "City", "city/lisbon"),
    ("Lisbonne", "icc:City", "city/lisbon"),
    ("Ville de Montréal", CITY, "city/montreal"),
    ("montreal", CITY, "city/montreal"),
    ("Reggio nell’Emilia", CITY, "city/reggio-emilia"),
    ("Comune di Reggio Emilia", ORG, "org/municipality-of-reggio-emilia"),
    ("España", COUNTRY, "country/es"),
    ("schweiz", "Country", "country/ch"),
    ("Commission Européenne", ORG, "org/european-commission"),
    ("EC", ORG, "org/european-commission"),
    ("REC", None, "programme/rec"),
    ("ODN", "Project", "project/open-doors"),
    ("portes ouvertes aux nouveaux arrivants", None, "project/open-doors"),
    ("anti rumeurs", "Topic", "topic/anti-rumour"),
    ("education", "Topic", "topic/education"),
    ("a welcome desk for newcomers", "GoodPractice", "practice/welcome-desk"),
    ("Q71", None, "city/geneva"),
    (f"{DEFAULT_BASE_IRI}id/city/lisbon", None, "city/lisbon"),
    ("org/barcelona-activa", None, "org/barcelona-activa"),
]


@pytest.mark.parametrize(("query", "kind", "expected"), NAMES)
def test_names_in_every_language_and_form_match(rc: flask.testing.FlaskClient, query: str,
                                                kind: str | None, expected: str) -> None:
    result = one(rc, query, **({"type": kind} if kind else {}))
    assert result[0]["id"] == expected
    assert result[0]["match"] is True
    assert {f["id"] for f in result[0]["features"]} >= {"name_similarity"} or \
        any(f["id"] == "identifier" for f in result[0]["features"])


def test_post_and_get_give_the_same_batch(rc: flask.testing.FlaskClient) -> None:
    batch = {f"q{i}": {"query": q} for i, (q, _, _) in enumerate(NAMES[:10])}
    assert ask(rc, batch, "POST") == ask(rc, batch, "GET")


def test_a_json_body_is_read_like_the_form(rc: flask.testing.FlaskClient) -> None:
    batch = {"q0": {"query": "Genf", "type": CITY}}
    as_json = rc.post("/reconcile", json={"queries": batch})
    assert as_json.status_code == 200 and as_json.get_json() == ask(rc, batch)


def test_another_spelling_is_the_top_candidate_but_not_certain(
        rc: flask.testing.FlaskClient) -> None:
    result = one(rc, "Barcellona", type=CITY)
    assert result[0]["id"] == "city/barcelona" and result[0]["match"] is False
    # a property that agrees makes it certain
    result = one(rc, "Barcellona", type=CITY, properties=[{"pid": "country", "v": "Spain"}])
    assert result[0]["id"] == "city/barcelona" and result[0]["match"] is True


def test_namesakes_are_never_certain_without_a_property(rc: flask.testing.FlaskClient) -> None:
    result = one(rc, "Bergen", type=CITY)
    assert {c["id"] for c in result[:2]} == {"city/bergen", "city/bergen-nh"}
    assert not any(c["match"] for c in result)
    for value, expected in (("Norway", "city/bergen"), ({"id": "country/nl"}, "city/bergen-nh"),
                            ("NL", "city/bergen-nh"), ("Pays-Bas", "city/bergen-nh")):
        result = one(rc, "Bergen", type=CITY, properties=[{"pid": "country", "v": value}])
        assert result[0]["id"] == expected and result[0]["match"] is True, value
        assert {"id": "property_country", "value": True} in result[0]["features"]


def test_type_lowers_or_filters(rc: flask.testing.FlaskClient) -> None:
    lowered = one(rc, "Geneva", type=ORG)
    assert lowered[0]["id"] == "org/city-of-geneva"
    assert lowered[0]["match"] is False  # "Geneva" alone names the city, not its council
    city = next(c for c in lowered if c["id"] == "city/geneva")
    assert {"id": "type_match", "value": False} in city["features"]
    strict = one(rc, "Geneva", type=ORG, type_strict="all")
    assert all(any(t["id"] == ORG for t in c["type"]) for c in strict)
    assert one(rc, "Geneva", type=CITY)[0]["id"] == "city/geneva"
    both = one(rc, "Geneva", type=[CITY, ORG], type_strict="any")
    assert {c["id"] for c in both[:2]} == {"city/geneva", "org/city-of-geneva"}
    every = one(rc, "Geneva", type=[CITY, f"{ICC_IRI}Place"], type_strict="all")
    assert every and all({CITY, f"{ICC_IRI}Place"} <= {t["id"] for t in c["type"]}
                         for c in every)
    assert one(rc, "Geneva", type=[CITY, ORG], type_strict="all") == []


def test_a_city_and_its_namesake_council_are_told_apart(rc: flask.testing.FlaskClient) -> None:
    plain = one(rc, "Ville de Genève")  # the city's French name form and the council's name
    assert {c["id"] for c in plain[:2]} == {"city/geneva", "org/city-of-geneva"}
    assert not plain[0]["match"]
    based = one(rc, "Ville de Genève", properties=[{"pid": "basedIn", "v": "Geneva"}])
    assert based[0]["id"] == "org/city-of-geneva" and based[0]["match"]
    assert one(rc, "Ville de Genève", type=CITY)[0]["match"]


def test_unknown_type_matches_nothing(rc: flask.testing.FlaskClient) -> None:
    assert not any(c["match"] for c in one(rc, "Geneva", type="/people/person"))


def test_limit(rc: flask.testing.FlaskClient) -> None:
    assert len(one(rc, "e", limit=1)) <= 1
    assert len(one(rc, "Bergen", limit=1)) == 1


@pytest.mark.parametrize(("query", "props", "verdict"), [
    ("Geneva", [{"pid": "owl:sameAs", "v": "Q71"}], True),
    ("Geneva", [{"pid": "sameAs", "v": "http://www.wikidata.org/entity/Q597"}], False),
    ("Ville de Genève", [{"pid": "basedIn", "v": "Genève"}], True),
    ("Ville de Genève", [{"pid": "basedIn", "v": {"id": "city/lisbon"}}], False),
    ("a welcome desk for newcomers", [{"pid": "years", "v": "2018"}], True),
    ("a welcome desk for newcomers", [{"pid": "years", "v": 2010}], False),
    ("Rumour-free neighbourhoods", [{"pid": "years", "v": "2024"}], True),  # ongoing
    ("a welcome desk for newcomers", [{"pid": "topic", "v": "Éducation"}], True),
    ("a welcome desk for newcomers", [{"pid": "topic", "v": ["anti-rumour"]}], False),
    ("Lisbon", [{"pid": "locatedIn", "v": "Portugal"}], True),
])
def test_properties_rescore(rc: flask.testing.FlaskClient, query: str, props: list[Any],
                            verdict: bool) -> None:
    kind = {"type": ORG} if props[0]["pid"] == "basedIn" else {}
    plain = one(rc, query, **kind)[0]
    result = one(rc, query, properties=props, **kind)
    feature = next(f for f in result[0]["features"] if f["id"].startswith("property_")) \
        if verdict else None
    if verdict:
        assert result[0]["id"] == plain["id"] and result[0]["match"] is True
        assert feature is not None and feature["value"] is True
    else:
        same = [c for c in result if c["id"] == plain["id"]]
        assert not same or (same[0]["score"] < plain["score"] and not same[0]["match"])


def test_nonsense_and_blank_cells_match_nothing(rc: flask.testing.FlaskClient) -> None:
    assert not any(c["match"] for c in one(rc, "Zzyzx quorble"))
    assert one(rc, "") == [] and one(rc, "  ", type=CITY) == []


@pytest.mark.parametrize(("data", "words"), [
    ({"queries": "{not json"}, "not JSON"),
    ({"queries": "[1, 2]"}, "object"),
    ({"queries": json.dumps({"q0": "Geneva"})}, "q0"),
    ({"queries": json.dumps({"q0": {"query": "a", "limit": "x"}})}, "limit"),
    ({"queries": json.dumps({"q0": {"query": "a", "type_strict": "maybe"}})}, "type_strict"),
    ({"queries": json.dumps({"q0": {"query": "a", "properties": [{"v": 1}]}})}, "pid"),
    ({"queries": json.dumps({"q0": {"query": "a", "colour": "red"}})}, "unknown fields"),
    ({"extend": "{}"}, "ids"),
    ({"extend": json.dumps({"ids": ["city/geneva"], "properties": [{"id": "nope"}]})},
     "unknown property"),
])
def test_bad_requests_are_400_with_a_json_message(rc: flask.testing.FlaskClient,
                                                  data: dict[str, str], words: str) -> None:
    r = rc.post("/reconcile", data=data)
    assert r.status_code == 400 and r.mimetype == "application/json"
    assert words in r.get_json()["error"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- suggest

def test_suggest_entity_prefix_type_and_cursor(rc: flask.testing.FlaskClient) -> None:
    r = rc.get("/reconcile/suggest/entity?prefix=gen")
    result = r.get_json()["result"]
    assert "city/geneva" in [e["id"] for e in result]
    assert all(isinstance(e["id"], str) and isinstance(e["name"], str) for e in result)
    cities = rc.get("/reconcile/suggest/entity?" + urlencode(
        {"prefix": "ber", "type": CITY})).get_json()["result"]
    assert {e["id"] for e in cities} == {"city/bergen", "city/bergen-nh"}
    second = rc.get("/reconcile/suggest/entity?" + urlencode(
        {"prefix": "ber", "type": CITY, "cursor": 1})).get_json()["result"]
    assert second == cities[1:]


def test_suggest_type_and_property(rc: flask.testing.FlaskClient) -> None:
    types = rc.get("/reconcile/suggest/type?prefix=cit").get_json()["result"]
    assert [t["id"] for t in types] == [CITY]
    props = rc.get("/reconcile/suggest/property?prefix=coun").get_json()["result"]
    assert "country" in [p["id"] for p in props]
    assert rc.get("/reconcile/suggest/entity").status_code == 400
    assert rc.get("/reconcile/suggest/entity?prefix=a&cursor=-1").status_code == 400


# ---------------------------------------------------------------- preview

def test_preview_card_may_be_framed_and_loads_nothing_else(
        rc: flask.testing.FlaskClient) -> None:
    r = rc.get("/reconcile/preview?id=city/geneva")
    assert r.status_code == 200 and r.mimetype == "text/html"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "default-src 'none'" in csp
    soup = BeautifulSoup(r.data, "html.parser")
    assert soup.h1 is not None and soup.h1.get_text(strip=True) == "Geneva"
    assert "Switzerland" in soup.get_text() and "Genf" in soup.get_text()
    assert not soup.find_all(["script", "img", "link", "iframe"])
    assert "frame-ancestors *" not in rc.get("/reconcile").headers.get(
        "Content-Security-Policy", "")
    assert rc.get("/reconcile/preview?id=city/atlantis").status_code == 400


# ---------------------------------------------------------------- data extension

def test_propose_properties(rc: flask.testing.FlaskClient) -> None:
    body = rc.get("/reconcile/propose_properties?" + urlencode({"type": CITY})).get_json()
    ids = [p["id"] for p in body["properties"]]
    assert {"country", "coordinates", "sameAs"} <= set(ids) and "topic" not in ids
    assert all(isinstance(p["name"], str) for p in body["properties"])
    limited = rc.get("/reconcile/propose_properties?" + urlencode({"type": CITY, "limit": 2}))
    assert len(limited.get_json()["properties"]) == 2


def test_extend_returns_values_with_ids_that_reconcile_in_turn(
        rc: flask.testing.FlaskClient) -> None:
    request = {"ids": ["city/geneva", "practice/welcome-desk", "city/atlantis"],
               "properties": [{"id": "country"}, {"id": "coordinates"}, {"id": "sameAs"},
                              {"id": "startYear"}, {"id": "partners"}, {"id": "topic"},
                              {"id": "years"}]}
    r = rc.post("/reconcile", data={"extend": json.dumps(request)})
    assert r.status_code == 200
    body = r.get_json()
    assert [m["id"] for m in body["meta"]] == [p["id"] for p in request["properties"]]
    assert all(isinstance(m["name"], str) for m in body["meta"])
    assert set(body["rows"]) == set(request["ids"])
    geneva, desk = body["rows"]["city/geneva"], body["rows"]["practice/welcome-desk"]
    assert geneva["country"] == [{"id": "country/ch", "name": "Switzerland"}]
    lat, long = map(float, geneva["coordinates"][0]["str"].split(","))
    assert (round(lat, 2), round(long, 2)) == (46.2, 6.15)
    assert geneva["sameAs"][0]["id"] == "Q71"
    assert desk["startYear"] == [{"int": 2018}] and desk["years"] == [{"str": "2018"}]
    assert desk["topic"] == [{"id": "topic/education", "name": "Education"}]
    assert desk["partners"] == [{"id": "org/city-of-geneva", "name": "City of Geneva"}]
    assert all(v == [] for v in body["rows"]["city/atlantis"].values())
    rumours = rc.post("/reconcile", data={"extend": json.dumps(
        {"ids": ["practice/rumour-free-neighbourhoods", "project/open-doors"],
         "properties": [{"id": "years"}]})}).get_json()["rows"]
    assert rumours["practice/rumour-free-neighbourhoods"]["years"] == [{"str": "2015-"}]
    assert rumours["project/open-doors"]["years"] == [{"str": "2019-2021"}]
    country = one(rc, geneva["country"][0]["id"])[0]
    assert country["id"] == "country/ch" and country["match"]


# ---------------------------------------------------------------- site search

def test_search_page_works_without_javascript(rc: flask.testing.FlaskClient) -> None:
    r = rc.get("/search?q=Genf")
    assert r.status_code == 200
    soup = BeautifulSoup(r.data, "html.parser")
    form = soup.find("form", attrs={"action": "/search"})
    assert form is not None and form.get("method") == "get"
    first = soup.select("ol.results li a")[0]
    assert first.get_text() == "Geneva" and first["href"] == "/id/city/geneva"
    assert not soup.find_all("script")
    twin = soup.find("link", rel="alternate")["href"]
    assert twin in r.headers["Link"]
    data = rc.get(twin).get_json()
    assert data["results"][0]["id"] == "city/geneva"
    assert [x["name"] for x in data["results"]] == \
        [a.get_text() for a in soup.select("ol.results li a")]


def test_search_errors_and_empty(rc: flask.testing.FlaskClient) -> None:
    assert rc.get("/search?q=x&page=zero").status_code == 400
    assert rc.get("/search.json?q=x&type=Person").status_code == 400
    assert rc.get("/search.json?q=").get_json()["results"] == []
    page = BeautifulSoup(rc.get("/search?q=Zzyzx+quorble").data, "html.parser")
    assert not page.select("ol.results") and "Nothing is called" in page.get_text()


# ---------------------------------------------------------------- the index

def test_index_is_part_of_the_release_checksums(recon_release: Release) -> None:
    path = recon_release.path / INDEX_FILE
    assert read_sums(recon_release.path)[INDEX_FILE] == hashlib.sha256(
        path.read_bytes()).hexdigest()
    with sqlite3.connect(path) as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM entity GROUP BY kind").fetchall())
    assert kinds == {"city": 7, "country": 7, "org": 4, "place": 1, "practice": 2,
                     "programme": 1, "project": 1, "topic": 2}


def test_index_reads_whatever_names_and_coordinates_the_graph_holds(tmp_path: Path) -> None:
    g = Graph().parse(format="turtle", data=f"""
        @prefix icc: <{ICC_IRI}> . @prefix gn: <http://www.geonames.org/ontology#> .
        @prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <{DEFAULT_BASE_IRI}id/city/koln> a icc:City, icc:Place ; icc:slug "koln" ;
            icc:name "Cologne"@en ; skos:prefLabel "Köln"@de ; gn:alternateName "Colonia"@es ;
            geo:lat "50.9375" ; geo:long "6.9603" .
        """)
    write_index(tmp_path / INDEX_FILE, ((str(s), str(p), plain_term(o)) for s, p, o in g),
                DEFAULT_BASE_IRI)
    index = SearchIndex(tmp_path / INDEX_FILE)
    for name in ("koln", "KÖLN", "colonia", "City of Cologne"):
        assert index.candidates(name)[0].entity.id == "city/koln", name
    assert index.entity("city/koln").props["latitude"] == [50.9375]  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "folded"), [
    ("Saint-Étienne", "saint etienne"), ("  ŁÓDŹ ", "lodz"), ("Reggio nell'Emilia",
                                                              "reggio nellemilia"),
    ("Straße", "strasse"), ("Ålesund", "alesund"), ("Tromsø", "tromso")])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(("text", "bare"), [
    ("city of geneva", "geneva"), ("ville de montreal", "montreal"), ("the city of york", "york"),
    ("comune di reggio emilia", "reggio emilia"), ("auckland council", "auckland council"),
    ("oslo kommune", "oslo"),
    ("geneva", "geneva"), ("city", "city")])
def test_place_words(text: str, bare: str) -> None:
    assert strip_place_words(text) == bare


def _index_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite3.connect(path)
    try:
        tables = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608
                  for t in ("entity", "name", "key")}
        tables["words"] = sorted(db.execute("SELECT rowid, folded FROM name_words").fetchall())
        tables["grams"] = sorted(db.execute("SELECT * FROM name_grams_vocab").fetchall())
        return tables
    finally:
        db.close()


def test_the_release_index_is_the_index_of_its_dump_as_rdflib_reads_it(
        recon_release: Release, tmp_path: Path) -> None:
    """The build writes the index from the model's plain quads; written from the Turtle dump
    parsed by rdflib (every triple as a client reads it), it holds the same rows."""
    dump = Graph().parse(recon_release.path / "icc-graph.ttl", format="turtle")
    write_index(tmp_path / INDEX_FILE, ((str(s), str(p), plain_term(o)) for s, p, o in dump),
                DEFAULT_BASE_IRI)
    ours, theirs = _index_rows(recon_release.path / INDEX_FILE), _index_rows(tmp_path / INDEX_FILE)
    assert len(ours["entity"]) > 20
    for table, rows in ours.items():
        assert rows == theirs[table], table


def _changed(triples: list[tuple[str, str, Any]], change: str) -> list[tuple[str, str, Any]]:
    """The release's triples with one kind of change an entity's rows depend on."""
    from icc_graph.model import Lit

    typed = {(s, o) for s, p, o in triples if p.endswith("22-rdf-syntax-ns#type")}
    first = {kind: sorted(s for s, o in typed if o == ICC_IRI + kind)[0]
             for kind in ("Country", "City", "Topic")}
    if change == "country name":  # the cities in it show its name, the places their country
        return [(s, p, Lit(o.value + " (renamed)", o.lang, o.datatype))
                if s == first["Country"] and p == ICC_IRI + "name" else (s, p, o)
                for s, p, o in triples]
    if change == "partner gone":  # a participation loses its agent: partners on both sides
        node = sorted(s for s, p, _ in triples if p == ICC_IRI + "agent")[0]
        return [t for t in triples if not (t[0] == node and t[1] == ICC_IRI + "agent")]
    if change == "coordinates":
        located = sorted(s for s, p, _ in triples if p.endswith("#lat"))[0]
        return [(s, p, Lit("12.5", None, o.datatype)) if s == located and p.endswith("#lat")
                else (s, p, o) for s, p, o in triples]
    if change == "topic gone":  # the practices on it now show an IRI without a name
        return [t for t in triples if t[0] != first["Topic"]]
    assert change == "new organisation"
    org = f"{DEFAULT_BASE_IRI}id/org/a-new-one"
    return [*triples, (org, RDF_TYPE, ICC_IRI + "Organisation"), (org, ICC_IRI + "slug",
            Lit("a-new-one")), (org, ICC_IRI + "name", Lit("A new one", "en")),
            (org, ICC_IRI + "basedIn", first["City"])]


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize("change", ["country name", "partner gone", "coordinates", "topic gone",
                                    "new organisation"])
def test_an_index_from_kept_rows_is_the_index_written_from_scratch(
        recon_release: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        change: str) -> None:
    """A rebuild makes again only the rows of the entities whose triples (or whose neighbours'
    triples they show) changed, and writes the same index as a build without the kept rows."""
    from icc_graph import search_index

    dump = Graph().parse(recon_release.path / "icc-graph.ttl", format="turtle")
    before = [(str(s), str(p), plain_term(o)) for s, p, o in dump]
    kept = tmp_path / "cache" / search_index.ROWS_FILE
    write_index(tmp_path / "before.sqlite", before, DEFAULT_BASE_IRI, cache=kept)
    made: list[str] = []
    entry = search_index._entry
    monkeypatch.setattr(search_index, "_entry", lambda g, s, partners: (
        made.append(s), entry(g, s, partners))[1])
    after = _changed(before, change)
    count = write_index(tmp_path / "again.sqlite", after, DEFAULT_BASE_IRI, cache=kept)
    assert 0 < len(made) < count / 2, made
    write_index(tmp_path / "fresh.sqlite", after, DEFAULT_BASE_IRI)
    again, fresh = _index_rows(tmp_path / "again.sqlite"), _index_rows(tmp_path / "fresh.sqlite")
    assert again != _index_rows(tmp_path / "before.sqlite")
    for table, rows in fresh.items():
        assert again[table] == rows, table
    assert (tmp_path / "again.sqlite").read_bytes() == (tmp_path / "fresh.sqlite").read_bytes()
