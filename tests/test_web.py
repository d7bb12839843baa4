"""The web interface, through the Flask test client, with the HTML parsed: facets and their
counts (checked against SPARQL), entity pages, the query page and its gallery, collaborations."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from bs4 import BeautifulSoup

from server import close_app, create_app, network
from server.browse import SHOWN
from server.catalogue import years
from server.settings import Settings

from .conftest import BASE, DATA

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ICC = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#> "
FACET_PATTERNS = {  # what a facet value means, in SPARQL, for ?p and the value ?v
    "topic": "?p icc:topic ?v .",
    "country": "?p icc:country ?v .",
    "city": "?p icc:place ?v .",
    "organisation": "?x icc:participationIn ?p ; icc:agent ?v .",
    "project": "?p icc:relatedProject ?v .",
}


@pytest.fixture(scope="module")
def web(release):
    app = create_app(Settings(release=release.path))
    yield app.test_client()
    app.extensions["icc"].backend.close()


@pytest.fixture(scope="module")
def store(release):
    return ox.Store.read_only(str(release.path / "store"))


def sparql_count(store, pattern: str) -> int:
    q = ICC + f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a icc:GoodPractice . {pattern} }}"
    return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:300]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def facet_values(page: BeautifulSoup, facet: str) -> dict[str, int]:
    section = page.find("section", attrs={"data-facet": facet})
    return {a["data-value"]: int(a.find_next("span", class_="count").text)
            for a in section.find_all("a", attrs={"data-value": True})}


def test_list_has_every_facet_and_counts_match_sparql(web, store):
    page = soup(web.get("/practices", headers=BROWSER))
    total = int(re.match(r"(\d+)", page.find(id="total").text).group(1))
    assert total == sparql_count(store, "")
    for facet, pattern in FACET_PATTERNS.items():
        counts = facet_values(page, facet)
        assert counts, facet
        for key, n in list(counts.items())[:5]:
            iri = f"{BASE}id/{'org' if facet == 'organisation' else facet}/{key}"
            if facet == "city" and not sparql_count(store, f"?p icc:place <{iri}> ."):
                iri = f"{BASE}id/place/{key}"
            assert n == sparql_count(store, pattern.replace("?v", f"<{iri}>")), (facet, key)
    assert {"topic", "country", "year", "city", "organisation", "project", "programme"} == {
        s["data-facet"] for s in page.find_all("section", class_="facet")}


@pytest.mark.parametrize("facet", ["city", "organisation", "project"])
def test_a_long_facet_lists_its_first_values_and_links_to_all_of_them(web, facet):
    every = json.loads(web.get("/practices.json").data)["facets"][facet]
    assert len(every) > SHOWN, "the data has facets longer than a page lists"
    page = soup(web.get("/practices?sort=year", headers=BROWSER))
    assert facet_values(page, facet) == {v["key"]: v["count"] for v in every[:SHOWN]}
    more = page.find(id=f"more-{facet}")
    assert more is not None and str(len(every)) in more.text
    whole = soup(web.get(more["href"], headers=BROWSER))
    assert list(facet_values(whole, facet).items()) == [(v["key"], v["count"]) for v in every]
    assert whole.find(id=f"more-{facet}") is None
    others = whole.find("section", attrs={"data-facet": "topic"}).find_all(
        "a", attrs={"data-value": True})
    assert all(f"expand={facet}" in a["href"] for a in others), "a filter keeps the whole list"
    assert whole.find("input", attrs={"name": "expand", "value": facet}), "and so does the form"
    fewer = whole.find(id=f"fewer-{facet}")
    again = soup(web.get(fewer["href"], headers=BROWSER))
    assert facet_values(again, facet) == facet_values(page, facet)
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(fewer["href"]).query)) == {
        "sort": "year"}


def test_a_chosen_value_is_listed_even_past_the_first_values(web):
    every = json.loads(web.get("/practices.json").data)["facets"]["city"]
    late = every[-1]
    page = soup(web.get(f"/practices?city={late['key']}", headers=BROWSER))
    section = page.find("section", attrs={"data-facet": "city"})
    link = section.find("a", attrs={"data-value": late["key"]})
    assert link is not None and "selected" in link["class"]
    assert len(facet_values(page, "city")) == SHOWN + 1


def test_expanding_an_unknown_facet_says_which_exist(web):
    r = web.get("/practices?expand=colour", headers=BROWSER)
    assert r.status_code == 400
    text = BeautifulSoup(r.data, "html.parser").get_text()
    assert "colour" in text and "expand" in text and "topic" in text
    assert web.get("/practices?expand=", headers=BROWSER).status_code == 200, \
        "an empty expand (a form's empty field) names no facet"


def test_facets_combine_and_counts_follow_the_filters(web, store):
    page = soup(web.get("/practices?country=pt", headers=BROWSER))
    topics = facet_values(page, "topic")
    assert "none" in topics, "the facet offers 'no topic recorded'"
    for key, n in topics.items():
        topic = "FILTER NOT EXISTS { ?p icc:topic ?t }" if key == "none" else \
            f"?p icc:topic <{BASE}id/topic/{key}> ."
        assert n == sparql_count(store, f"?p icc:country <{BASE}id/country/pt> . {topic}")
    key, n = next(iter(topics.items()))
    both = soup(web.get(f"/practices?country=pt&topic={key}", headers=BROWSER))
    assert len(both.select("#practices li")) == n
    link = both.find("section", attrs={"data-facet": "topic"}).find("a", attrs={"data-value": key})
    assert "selected" in link["class"]
    assert f"topic={key}" not in link["href"], "a chosen value toggles off"
    assert both.find(id="reset")["href"] == "/practices"


def test_year_facet_counts_every_year_of_a_period(web, store):
    data = json.loads(web.get("/practices.json?year=2018&per_page=500").data)
    q = ICC + ("SELECT DISTINCT ?p ?s ?e ?o WHERE { ?p a icc:GoodPractice ; icc:startYear ?s . "
               "OPTIONAL { ?p icc:endYear ?e } OPTIONAL { ?p icc:ongoing ?o } }")
    expected = set()
    for row in store.query(q, use_default_graph_as_union=True):
        span = years(int(row["s"].value), int(row["e"].value) if row["e"] else None,
                     row["o"] is not None and row["o"].value == "true", dt.date.today().year)
        if "2018" in span:
            expected.add(row["p"].value)
    assert {p["iri"] for p in data["practices"]} == expected
    assert data["total"] == len(expected)


@pytest.mark.parametrize(("plain", "written"), [("neuchatel", "Neuchâtel"),
                                                 ("NEUCHÂTEL", "neuchatel"),
                                                 ("citizens'", "citizens’")])
def test_text_search_sets_case_accents_and_apostrophes_aside(web, plain, written):
    """A word found whether the reader types its accents and apostrophes or not, as /search
    finds it; each title found holds the word, once both are folded."""
    from icc_graph.search_index import fold

    found = json.loads(web.get("/practices.json", query_string={"q": plain}).data)
    same = json.loads(web.get("/practices.json", query_string={"q": written}).data)
    assert found["total"] and found["total"] == same["total"]
    assert all(fold(plain) in fold(p["title"]) for p in found["practices"])


@pytest.mark.parametrize("path", ["/practices.json", "/practices.csv", "/collaborations.json",
                                  "/"])
def test_an_answer_in_the_reader_s_language_varies_on_what_chose_it(web, path):
    """What the language switch's cookie or Accept-Language changes, a cache must keep apart:
    the answer names both in Vary (JSON and CSV lists carry labels in the reader's language)."""
    from server.i18n import COOKIE

    answers = {}
    for lang in ("en", "fr"):
        web.set_cookie(COOKIE, lang)
        answers[lang] = web.get(path, headers=BROWSER if path == "/" else {})
    web.delete_cookie(COOKIE)
    assert answers["en"].data != answers["fr"].data, "the language changes the answer"
    for r in answers.values():
        assert {"Cookie", "Accept-Language"} <= set(r.vary), r.headers.get("Vary")


def test_text_search_sort_and_pages(web):
    data = json.loads(web.get("/practices.json?q=lublin&sort=title").data)
    titles = [p["title"] for p in data["practices"]]
    assert titles and all("lublin" in t.casefold() for t in titles)
    assert titles == sorted(titles, key=str.casefold)
    page2 = soup(web.get("/practices?page=2", headers=BROWSER))
    assert len(page2.select("#practices li")) == 20
    assert page2.find("a", rel="prev")["href"].endswith("page=1")


def test_csv_without_paging_holds_every_match(web, store):
    r = web.get("/practices.csv?country=es")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert rows[0][0] == "iri"
    assert len(rows) - 1 == sparql_count(store, f"?p icc:country <{BASE}id/country/es> .")
    by_accept = web.get("/practices?country=es", headers={"Accept": "text/csv"})
    assert by_accept.get_data(as_text=True) == r.get_data(as_text=True)


def test_list_page_links_its_twins(web):
    page = soup(web.get("/practices?country=pl", headers=BROWSER))
    alternates = {ln["type"]: ln["href"] for ln in page.find_all("link", rel="alternate")}
    assert alternates["application/json"] == "/practices.json?country=pl"
    assert alternates["text/csv"] == "/practices.csv?country=pl"


def test_unknown_filter_value_is_a_clear_400(web):
    r = web.get("/practices.json?topic=cooking", headers={"Accept": "application/json"})
    assert r.status_code == 400 and "unknown topic 'cooking'" in json.loads(r.data)["error"]


def test_city_page(web):
    page = soup(web.get("/doc/city/lublin", headers=BROWSER))
    assert page.h1.text == "Lublin"
    headings = {h.text for h in page.find_all("h2")}
    assert {"Partner organisations", "Cities it collaborates with"} <= headings
    links = {a["href"] for a in page.find_all("a")}
    assert "/id/city/neuchatel" in links and "/id/org/cosm" in links
    assert any(h.startswith("/id/practice/") for h in links)
    assert "http://www.wikidata.org/entity/Q37333" in links
    twins = {ln["type"] for ln in page.find_all("link", rel="alternate")}
    assert {"text/turtle", "application/ld+json", "application/n-triples"} <= twins
    jsonld = json.loads(page.find("script", type="application/ld+json").string)
    assert "City" in jsonld["@type"] and jsonld["@id"] == f"{BASE}id/city/lublin"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.find(id="open-query")["href"]).query)
    assert f"<{BASE}id/city/lublin>" in query["query"][0]


def test_itaca_page(web):
    page = soup(web.get("/doc/project/itaca", headers=BROWSER))
    text = " | ".join(li.get_text(" ", strip=True) for li in page.find_all("li"))
    for words in ("grant n. 963374", "Rights, Equality and Citizenship Programme",
                  "Istituto per la Cooperazione Economica Internazionale (coordinator)",
                  "ISMU Foundation (implementing organisation)", "Viareggio"):
        assert words in text, words


def test_practice_page_in_french_shows_source_and_period(web):
    page = soup(web.get("/doc/practice/lublin-for-all?lang=fr", headers=BROWSER))
    assert page.find(id="period").text.endswith("Permanent since 2012")
    assert page.find(id="source").a["href"].startswith("https://www.coe.int/")
    page = soup(web.get("/doc/city/modena", headers={**BROWSER, "Accept-Language": "fr"}))
    assert page.h1.text == "Modène"


@pytest.mark.parametrize("path", ["/doc/country/pl", "/doc/org/cosm", "/doc/programme/rec",
                                  "/doc/grant/963374", "/doc/topic/anti-rumour",
                                  "/doc/place/camden"])
def test_every_kind_has_a_page(web, path):
    page = soup(web.get(path, headers=BROWSER))
    assert page.h1.text and page.find("table", id="properties")
    assert page.find("script", type="application/ld+json")


def test_query_page_gallery_and_results(web):
    page = soup(web.get("/sparql", headers=BROWSER))
    assert "PREFIX icc: <https://w3id.org/icc-graph/def/icc#>" in page.find(id="query").text
    examples = page.select("#examples a")
    assert len(examples) == len(list((DATA / "queries").glob("*.rq")))
    first = next(a for a in examples if "topic" in a.text.lower())
    result = soup(web.get(first["href"], headers=BROWSER))
    assert result.select("#results tbody tr")
    downloads = {a.text: a["href"] for a in result.find_all("a") if a.text in ("CSV", "JSON")}
    assert web.get(downloads["CSV"]).mimetype == "text/csv"
    assert result.find(id="share")["href"].startswith("/sparql?query=")


def test_query_page_error_has_the_position(web):
    r = web.get("/sparql?query=SELECT%20%3Fx%20WHERE%20%7B", headers=BROWSER)
    assert r.status_code == 400
    assert re.search(r"\d+:\d+", BeautifulSoup(r.data, "html.parser").find(id="error").text)


@pytest.mark.parametrize(("text", "status", "said"), [
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403, "read-only"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", 400,
     "ICC_SERVICE_ALLOW"),
])
def test_query_page_says_a_refusal_and_keeps_the_query(web, text, status, said):
    """An update or a SERVICE this server may not call is refused on the page itself: the
    message where the results would be, the query still in its editor to be mended."""
    r = web.get("/sparql", query_string={"query": text}, headers=BROWSER)
    assert r.status_code == status
    page = BeautifulSoup(r.data, "html.parser")
    assert said in page.find(id="error").text
    assert page.find(id="query").text == text


def test_query_page_shows_a_bounded_table_and_downloads_every_row(web):
    from server.query_page import TABLE_ROWS

    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 2500"
    page = BeautifulSoup(web.get("/sparql", query_string={"query": text}, headers=BROWSER).data,
                         "html.parser")
    assert len(page.select("#results tbody tr")) == TABLE_ROWS
    assert page.find(id="table-cut") and "2500" in page.find(id="table-cut").parent.text
    csv = next(a["href"] for a in page.find_all("a") if a.text == "CSV")
    assert len(web.get(csv).get_data(as_text=True).strip().splitlines()) == 2500 + 1


EXAMPLES = sorted((DATA / "queries").glob("*.rq"))
# Federated examples call Wikidata, which tests never reach: they run against a Wikidata-shaped
# Oxigraph server in test_wikidata.py (test_the_documented_federated_query_runs_on_our_endpoint).
LOCAL_EXAMPLES = [p for p in EXAMPLES if "SERVICE" not in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_query_has_a_title_and_a_description(path):
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^# title: \S", text, re.M) and re.search(r"^# description: \S", text, re.M)


@pytest.mark.parametrize("path", LOCAL_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_query_answers_on_the_release(store, path):
    rows = list(store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True))
    assert rows


def test_collaborations(web):
    page = soup(web.get("/collaborations", headers=BROWSER))
    svg = page.find("figure", id="network").find("svg")
    edges = svg.find_all("a", class_="edge")
    # each line leads to the row of the table saying what the two cities share
    assert edges and all(page.find(id=a["href"][1:]).name == "tr" for a in edges)
    data = json.loads(web.get("/collaborations.json").data)
    assert len(data["edges"]) == len(edges)
    pair = {(e["a"], e["b"]) for e in data["edges"]}
    assert (f"{BASE}id/city/lublin", f"{BASE}id/city/neuchatel") in pair
    italy = json.loads(web.get("/collaborations.json?country=it").data)["edges"]
    assert italy and len(italy) < len(data["edges"])
    rows = list(csv.reader(io.StringIO(web.get("/collaborations.csv").get_data(as_text=True))))
    assert len(rows) - 1 == len(data["edges"])


def test_a_large_network_draws_its_most_connected_cities_and_lists_every_link(release,
                                                                                 monkeypatch):
    monkeypatch.setattr(network, "MOST", 3)
    app = create_app(Settings(release=release.path, cache_size=0))
    try:
        web = app.test_client()
        links = json.loads(web.get("/collaborations.json").data)["edges"]
        partners: dict[str, set[str]] = {}
        for e in links:
            partners.setdefault(e["a"], set()).add(e["b"])
            partners.setdefault(e["b"], set()).add(e["a"])
        assert len(partners) > 3, "the data links more than three cities"
        most = set(sorted(partners, key=lambda c: (-len(partners[c]), c))[:3])
        page = soup(web.get("/collaborations", headers=BROWSER))
        svg = page.find("figure", id="network").find("svg")
        assert {a["href"] for a in svg.select("g.nodes a")} == {
            "/" + c[len(BASE):] for c in most}
        assert len(svg.select("g.edges a")) == sum(1 for e in links
                                                   if e["a"] in most and e["b"] in most)
        note = page.find(id="most-linked")
        assert "3" in note.text and str(len(partners)) in note.text
        assert "layout=map" in note.find("a")["href"]
        assert len(page.select("#edges tbody tr")) == len(links), "the table keeps every link"
        whole = soup(web.get("/collaborations?layout=map", headers=BROWSER))
        assert whole.find(id="most-linked") is None
        assert len(whole.find("figure", id="network").select("g.nodes a")) > 3
    finally:
        close_app(app)


def test_home_page(web, store):
    page = soup(web.get("/?lang=en", headers=BROWSER))  # the client may carry a lang cookie
    counts = {li.text.split(" ", 1)[1]: int(li.strong.text) for li in page.select("#counts li")}
    assert counts["good practices"] == sparql_count(store, "")
    links = {a["href"] for a in page.find_all("a")}
    assert {"/practices", "/sparql", "/dumps/", "/collaborations", "/def/icc"} <= links


def test_html_is_escaped(release, tmp_path, small_data):
    from icc_graph.build import build

    rec = yaml.safe_load((DATA / "practices" / "lublin-for-all.yaml").read_text())
    rec["slug"] = "xss"
    rec.pop("participants", None)
    rec["title"] = {"en": "<script>alert(1)</script> practice"}
    (small_data / "practices" / "xss.yaml").write_text(yaml.safe_dump(rec), encoding="utf-8")
    places = yaml.safe_load((small_data / "places.yaml").read_text())
    assert any(p["slug"] == "lublin" for p in places)
    rel = build(small_data, tmp_path / "dist", BASE)
    app = create_app(Settings(release=rel.path))
    client = app.test_client()
    for path in ("/practices", "/doc/practice/xss", "/"):
        page = soup(client.get(path, headers=BROWSER))
        scripts = page.find_all("script")
        assert not [s for s in scripts if s.get("type") != "application/ld+json"], path
        for s in scripts:  # data islands only, and nothing that can close them early
            json.loads(s.string)
        assert "</script><script>" not in client.get(path, headers=BROWSER).get_data(as_text=True)
    assert "<script>alert(1)</script> practice" in soup(
        client.get("/doc/practice/xss", headers=BROWSER)).h1.text
    app.extensions["icc"].backend.close()


@pytest.mark.parametrize("path", ["/", "/practices", "/doc/city/lublin", "/sparql",
                                  "/collaborations", "/dumps/"])
def test_no_page_loads_anything_from_another_host(web, path):
    page = soup(web.get(path, headers=BROWSER))
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        for el in page.find_all(tag):
            value = el.get(attr)
            if value and tag != "link" or (tag == "link" and "stylesheet" in el.get("rel", [])):
                assert not value.startswith(("http://", "https://", "//")), (path, value)


def test_rq_files_only(release):
    assert all(p.suffix == ".rq" for p in (DATA / "queries").iterdir())
    assert Path(release.path / "queries").is_dir()


def test_a_known_topic_without_practices_is_an_empty_list_not_an_error(web, store):
    q = ICC + ("SELECT DISTINCT ?t WHERE { ?t a icc:Topic . "
               "FILTER NOT EXISTS { ?p icc:topic ?t } }")
    unused = sorted(r["t"].value.rsplit("/", 1)[-1]
                    for r in store.query(q, use_default_graph_as_union=True))
    assert unused, "the data has a topic no practice has"
    data = json.loads(web.get(f"/practices.json?topic={unused[0]}").data)
    assert data["total"] == 0 and data["practices"] == []
    assert web.get("/practices.json?topic=no-such-topic").status_code == 400
