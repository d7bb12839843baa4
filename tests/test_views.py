"""Maps, charts, the collaboration network, query result views, the interface language and the
page rules (no inline style or script, values once, lang on values), on a small graph of our
own that has coordinates (tests/fixtures/views.ttl), served from an on-disk store like a
release's. Pages are parsed; numbers are checked against the fixture read with rdflib."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from rdflib import Graph, Namespace

from icc_graph.paths import ONTOLOGY
from icc_graph.release import STORE_DIR
from server import close_app, create_app, result_views
from server.settings import Settings

FIXTURE = Path(__file__).parent / "fixtures" / "views.ttl"
ICC = Namespace("https://w3id.org/icc-graph/def/icc#")
BASE = "https://w3id.org/icc-graph/"
HTML = {"Accept": "text/html"}
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(FIXTURE)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    release = tmp_path_factory.mktemp("views-release")
    store = ox.Store(str(release / STORE_DIR))
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TURTLE,
               to_graph=ox.NamedNode(f"{BASE}graph/fixture"))
    store.flush()
    del store
    # the files a release holds beside its store, so that the app opens it as a release
    import json
    import shutil

    from icc_graph.paths import ONTOLOGY, SHAPES

    shutil.copyfile(ONTOLOGY, release / "ontology.ttl")
    shutil.copyfile(SHAPES, release / "shapes.ttl")
    (release / "void.ttl").write_text("", encoding="utf-8")
    (release / "release.json").write_text(json.dumps({"version": "views-fixture"}),
                                          encoding="utf-8")
    (release / "SHA256SUMS").write_text("", encoding="utf-8")
    from icc_graph.model import Lit
    from icc_graph.readmodel import READ_MODEL_FILE, Source, write

    def term(t):  # the fixture's quads as the model makes them, for the read model
        if isinstance(t, ox.Literal):
            return Lit(t.value, t.language, None if t.language else t.datatype.value)
        return t.value

    quads = sorted((q.subject.value, q.predicate.value, term(q.object), f"{BASE}graph/fixture")
                   for q in ox.parse(path=str(FIXTURE), format=ox.RdfFormat.TURTLE))
    write(release / READ_MODEL_FILE, Source(quads, BASE, release / STORE_DIR))
    app = create_app(Settings(release=release, query_timeout=5, max_rows=10_000))
    yield app.test_client()
    close_app(app)


def page(web, url: str, status: int = 200) -> BeautifulSoup:
    r = web.get(url, headers=HTML)
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    return BeautifulSoup(r.data, "html.parser")


def total(web, url: str) -> int:
    return int(page(web, url).find(id="total").strong.text)


def expected_years(graph: Graph) -> tuple[Counter[str], int]:
    years: Counter[str] = Counter()
    none = 0
    for p in graph.subjects(None, ICC.GoodPractice):
        start, end = graph.value(p, ICC.startYear), graph.value(p, ICC.endYear)
        if start is None:
            none += 1
            continue
        years.update(str(y) for y in range(int(start), int(end or start) + 1))
    return years, none


def test_home_map_has_every_city_with_coordinates(web, graph):
    home = page(web, "/")
    located = {"/" + str(s)[len(BASE):] for s in
               graph.subjects(Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#").lat, None)}
    maps = home.select("svg.map")
    assert maps, "the home page has a map"
    drawn = {a["href"] for m in maps for a in m.select("g.cities a")}
    assert drawn == located
    # the world map as well, since Auckland is outside Europe; Europe's map leaves it out
    europe = home.select_one("svg.map-europe")
    assert "/id/city/auckland" not in {a["href"] for a in europe.select("g.cities a")}
    assert "Nowhere" in home.find(class_="note").text, "cities without coordinates are named"
    # circle area follows the count: Lublin has two practices, Auckland one
    r = {a["href"]: float(a.circle["r"]) for a in home.select("svg.map-world g.cities a")}
    assert r["/id/city/lublin"] > r["/id/city/auckland"]
    # a text alternative: the table twin lists the same cities
    rows = home.select("table.places tbody tr")
    assert {tr.a["href"] for tr in rows} == located


def test_year_chart_counts_every_year_of_a_period(web, graph):
    years, none = expected_years(graph)
    chart = page(web, "/").find("svg", id="chart-year")
    bars = {}
    for a in chart.find_all("a"):
        year = parse_qs(urlsplit(a["href"]).query)["year"][0]
        bars[year] = int(re.search(r": (\d+) ", a["aria-label"]).group(1))
        assert total(web, a["href"]) == bars[year], "a bar leads to as many practices"
    assert bars == {**dict(years), "none": none}, "the grey bar lists the practices without"
    missing = chart.find("a", href=re.compile("year=none"))
    assert missing is not None and f": {none} " in missing["aria-label"]
    assert "not recorded" in missing["aria-label"]


def test_topic_and_country_charts_link_to_the_filtered_list(web, graph):
    home = page(web, "/")
    for facet in ("topic", "country"):
        chart = home.find("svg", id=f"chart-{facet}")
        links = chart.find_all("a")
        assert links
        for a in links:
            n = int(re.search(r": (\d+) ", a["aria-label"]).group(1))
            assert total(web, a["href"]) == n
    topics = {a["aria-label"].split(":")[0] for a in home.find("svg", id="chart-topic")("a")}
    assert topics == {"Education", "Anti-rumour", "not recorded"}
    untold = home.find("svg", id="chart-topic").find("a", href=re.compile("topic=none"))
    assert untold["aria-label"].startswith("not recorded: 1 ")


def test_practices_charts_follow_the_filters(web):
    listing = page(web, "/practices?topic=anti-rumour")
    assert int(listing.find(id="total").strong.text) == 2
    drawn = {a["href"] for a in listing.select("svg.map g.cities a")}
    assert drawn == {"/id/city/lublin", "/id/city/auckland"}
    years = listing.find("svg", id="chart-year")
    labels = {parse_qs(urlsplit(a["href"]).query)["year"][0] for a in years("a")}
    assert labels == {"2019", "2020", "2021"}
    assert all("topic=anti-rumour" in a["href"] for a in years("a"))


def test_a_chosen_filter_with_no_hits_stays_and_can_be_removed(web):
    listing = page(web, "/practices?topic=anti-rumour&country=ch")
    assert int(listing.find(id="total").strong.text) == 0
    chosen = listing.select("#chosen a")
    assert {a["data-value"] for a in chosen} == {"anti-rumour", "ch"}
    facet = listing.select_one('section[data-facet="country"] a[data-value="ch"]')
    assert facet is not None and "selected" in facet["class"]
    removed = next(a["href"] for a in chosen if a["data-value"] == "ch")
    assert total(web, removed) == 2


def test_each_value_once_and_lang_on_other_languages(web):
    city = page(web, "/doc/city/lublin")
    values = [td.get_text(" ", strip=True)
              for td in city.select("#properties tbody td:nth-of-type(2)")]
    assert values.count("Lublin (en)") == 1, values
    assert not [v for v in values if v.startswith("Poland")][1:], "country once"
    french = page(web, "/doc/practice/untold")
    assert french.find("h1")["lang"] == "fr"
    cells = french.select('#properties td[lang="fr"]')
    assert cells and all(td["lang"] == "fr" for td in cells)
    assert page(web, "/doc/practice/untold?lang=fr").find("h1").get("lang") is None
    assert page(web, "/doc/city/lublin?lang=fr").select_one("section.related h2").text == \
        "Pratiques", "headings in the interface language"


def test_a_city_lists_its_practices_and_has_a_locator(web):
    city = page(web, "/doc/city/lublin?lang=en")
    sections = {s.h2.text: {a["href"] for a in s("a")} for s in city.select("section.related")}
    assert sections["Practices"] == {"/id/practice/welcome", "/id/practice/rumours"}
    locator = city.find(id="locator-map").svg
    assert locator.select("g.cities circle")
    assert locator.select("path.marked"), "its country is marked"


def test_collaborations_show_titles_a_legend_and_a_map(web):
    collab = page(web, "/collaborations?lang=en")
    shared = [a.text for a in collab.select("#edges td:nth-of-type(3) a")]
    assert "Welcome desks" in shared and "welcome" not in shared
    svg = collab.find("figure", id="network").svg
    edge = svg.select_one("a.edge")
    assert edge["href"].startswith("#e-") and collab.find(id=edge["href"][1:]) is not None
    assert {a["href"] for a in svg.select("g.nodes a")} == {"/id/city/lublin",
                                                             "/id/city/neuchatel",
                                                             "/id/city/auckland",
                                                             "/id/city/nowhere"}
    assert {li.text.strip() for li in collab.select("#legend li")} >= {"Poland", "Switzerland"}
    fills = {c["fill"] for c in svg.select("circle.node")}
    assert len(fills) >= 2, "colour by country"
    on_map = page(web, "/collaborations?layout=map")
    assert "map" in on_map.find("figure", id="network").svg["class"]
    assert "Nowhere" in on_map.text


QUERIES = {
    "BarChart": "SELECT ?topic (COUNT(?p) AS ?n) WHERE { ?p icc:topic ?topic } GROUP BY ?topic",
    "Map": "SELECT ?city WHERE { ?city a icc:City }",
    "Graph": "SELECT ?a ?b WHERE { ?p icc:place ?a , ?b FILTER(STR(?a) < STR(?b)) }",
    "Timeline": "SELECT ?p ?start ?end WHERE { ?p icc:startYear ?start ; icc:endYear ?end }",
}
PREFIX = "PREFIX icc: <https://w3id.org/icc-graph/def/icc#>\n"


@pytest.mark.parametrize("view", sorted(QUERIES))
def test_each_result_view_draws_with_a_share_link_and_downloads(web, view):
    query = f"#defaultView:{view}\n{PREFIX}{QUERIES[view]}"
    result = page(web, "/sparql?" + urlencode({"query": query}))
    section = result.find(id="view")
    assert section["data-view"] == view, "chosen by the #defaultView comment"
    svg = section.find("svg")
    assert svg is not None and svg.find("title").text
    assert result.select_one('#views a[aria-current="page"]').text == view
    share = result.find(id="views").find("a", string=view)["href"]
    assert page(web, share).find(id="view")["data-view"] == view
    download = web.get(result.find(id="svg-download")["href"])
    assert download.mimetype == "image/svg+xml"
    assert ET.fromstring(download.data).tag == f"{SVG_NS}svg"
    rows = list(csv.reader(io.StringIO(web.get(
        "/sparql?" + urlencode({"query": query, "format": "csv"})).get_data(as_text=True))))
    assert len(rows) - 1 == len(result.select("#results tbody tr"))


def test_the_view_in_the_page_wins_over_the_comment_and_a_mismatch_is_explained(web):
    query = f"#defaultView:Map\n{PREFIX}{QUERIES['BarChart']}"
    chosen = page(web, "/sparql?" + urlencode({"query": query, "view": "BarChart"}))
    assert chosen.find(id="view")["data-view"] == "BarChart"
    table = page(web, "/sparql?" + urlencode({"query": query, "view": "Table"}))
    assert table.find(id="view") is None and table.find(id="results")
    wrong = page(web, "/sparql?" + urlencode({"query": PREFIX + "SELECT ?x WHERE { ?x icc:slug "
                                                                "?s }", "view": "Timeline"}))
    assert "years" in wrong.find(id="view-note").text


def test_a_view_stops_at_its_row_cap_and_says_so(web, monkeypatch):
    monkeypatch.setattr(result_views, "ROW_CAP", 2)
    query = f"#defaultView:Map\n{PREFIX}{QUERIES['Map']}"
    result = page(web, "/sparql?" + urlencode({"query": query}))
    assert result.find(id="view-cut") is not None
    assert len(result.select("#view svg g.cities a")) <= 2
    assert len(result.select("#results tbody tr")) == 4, "the table keeps every row"


def test_vocabulary_lists_every_class_and_property(web):
    onto = Graph().parse(ONTOLOGY)
    owl = Namespace("http://www.w3.org/2002/07/owl#")
    terms = {str(s).split("#")[1] for t in (owl.Class, owl.ObjectProperty, owl.DatatypeProperty)
             for s in onto.subjects(None, t) if str(s).startswith(str(ICC))}
    vocab = page(web, "/def/icc")
    assert {a["id"] for a in vocab.select("article.term")} == terms
    practice = vocab.find(id="GoodPractice")
    assert practice.find(lang="fr") is not None and "schema:CreativeWork" in practice.text


def test_interface_language_switch(web):
    fr = page(web, "/practices?lang=fr")
    assert fr.html["lang"] == "fr" and fr.h1.text == "Pratiques"
    assert "Licence" in fr.find("footer").text and "CC BY 4.0" in fr.find("footer").text
    # the choice is remembered (cookie) on the next page
    assert page(web, "/collaborations").html["lang"] == "fr"
    web.get("/?lang=en")
    switch = page(web, "/practices?topic=education").select(".switch a")
    assert [a["hreflang"] for a in switch] == ["en", "fr"]
    assert "topic=education" in switch[1]["href"] and "lang=fr" in switch[1]["href"]


PAGES = ["/", "/practices", "/practices?topic=education", "/doc/practice/welcome",
         "/doc/city/lublin", "/doc/country/pl", "/collaborations", "/collaborations?layout=map",
         "/def/icc", "/sparql"] + ["/sparql?" + urlencode({"query": f"#defaultView:{v}\n"
                                                          f"{PREFIX}{q}"})
                                   for v, q in QUERIES.items()]


@pytest.mark.parametrize("url", PAGES)
def test_pages_follow_the_content_security_policy_and_carry_licence_and_search(web, url):
    html = page(web, url)
    assert not html.find("style") and not html.find(attrs={"style": True})
    for script in html.find_all("script"):
        assert script.get("type") == "application/ld+json", "no scripts but data"
    for tag, attr in (("link", "href"), ("img", "src"), ("script", "src")):
        for el in html.find_all(tag):
            if el.get(attr) and el.get("rel") not in (["license"], ["alternate"]):
                assert el[attr].startswith("/"), f"{el} loads from another host"
    assert not [el for el in html.find_all(True) if any(a.startswith("on") for a in el.attrs)]
    assert html.find("link", rel="icon")["href"] == "/static/favicon.svg"
    search = html.find("form", attrs={"role": "search"})
    assert search["action"] == "/search" and search.find("input")["name"] == "q"
    footer = html.find("footer")
    assert footer.find("a", rel="license")["href"].endswith("/by/4.0/")
    assert footer.find(id="cite").cite.text
    for svg in html.find_all("svg"):
        assert svg.get("role") != "img" or not svg.find("a"), "no links inside role=img"


def test_static_files(web):
    css = web.get("/static/icc.css")
    assert css.status_code == 200 and "prefers-color-scheme: dark" in css.get_data(as_text=True)
    assert "@media print" in css.get_data(as_text=True)
    icon = web.get("/static/favicon.svg")
    assert ET.fromstring(icon.data).tag == f"{SVG_NS}svg"
